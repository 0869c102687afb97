//! The state file's discipline: atomic writes, lineage and serial, the lock, and corrupt input
//! that is reported and left untouched.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use migrate_journal::{lock, FileStore, JournalError, State, StateStore};

fn plan() -> migrate_plan::Plan {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    let playbook =
        migrate_playbook::Playbook::from_path(&path).expect("the demo playbook is valid");
    migrate_plan::build(&playbook)
}

fn fresh(dir: &Path) -> (FileStore, State) {
    let mut store = FileStore::new(dir);
    let mut state = State::new(plan(), chrono::Utc::now());
    store.save(&mut state).expect("the first write succeeds");
    (store, state)
}

#[test]
fn a_written_state_reads_back_and_each_write_bumps_the_serial() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, mut state) = fresh(dir.path());
    assert_eq!(state.serial, 1);
    store.save(&mut state).unwrap();
    assert_eq!(state.serial, 2);
    assert_eq!(store.load().unwrap(), state);
    // No temporary file is left beside the state.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("state.json")]);
}

#[test]
fn a_state_of_another_lineage_is_refused_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = fresh(dir.path());
    let on_disk = std::fs::read(store.path()).unwrap();
    let mut foreign = State::new(plan(), chrono::Utc::now());
    let error = store.save(&mut foreign).unwrap_err();
    assert!(
        matches!(error, JournalError::ForeignLineage { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("another migration"));
    assert_eq!(std::fs::read(store.path()).unwrap(), on_disk);
}

#[test]
fn an_older_serial_is_refused_and_the_newer_state_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, state) = fresh(dir.path());
    let mut stale = state.clone();
    let mut current = state;
    store.save(&mut current).unwrap();
    store.save(&mut current).unwrap();
    let on_disk = std::fs::read(store.path()).unwrap();
    let error = store.save(&mut stale).unwrap_err();
    match &error {
        JournalError::StaleSerial { on_disk, ours, .. } => {
            assert_eq!((*on_disk, *ours), (3, 1));
        }
        other => panic!("expected a stale serial, got {other}"),
    }
    assert_eq!(std::fs::read(store.path()).unwrap(), on_disk);
}

#[test]
fn truncated_or_corrupt_states_give_a_clear_error_and_stay_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = fresh(dir.path());
    let good = std::fs::read(store.path()).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", good[..good.len() / 2].to_vec()),
        ("empty", Vec::new()),
        ("not json", b"\x00\x01garbage".to_vec()),
        (
            "wrong shape",
            br#"{"format": 3, "lineage": "x", "serial": 3}"#.to_vec(),
        ),
    ];
    for (what, bytes) in cases {
        std::fs::write(store.path(), &bytes).unwrap();
        let error = store.load().unwrap_err();
        assert!(
            matches!(error, JournalError::Corrupt { .. }),
            "{what}: {error}"
        );
        assert!(
            error.to_string().contains("left untouched"),
            "{what}: {error}"
        );
        assert_eq!(
            std::fs::read(store.path()).unwrap(),
            bytes,
            "{what}: the file was changed"
        );
    }
    let mut future = serde_json::from_slice::<serde_json::Value>(&good).unwrap();
    future["format"] = serde_json::json!(99);
    std::fs::write(store.path(), serde_json::to_vec(&future).unwrap()).unwrap();
    assert!(matches!(
        store.load().unwrap_err(),
        JournalError::UnsupportedFormat { found: 99, .. }
    ));
}

#[test]
fn step_records_that_do_not_match_the_plan_are_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut state) = fresh(dir.path());
    state.steps.pop();
    std::fs::write(store.path(), serde_json::to_vec(&state).unwrap()).unwrap();
    let error = FileStore::new(dir.path()).load().unwrap_err();
    assert!(
        error.to_string().contains("do not match the plan"),
        "{error}"
    );
}

#[test]
fn a_missing_state_says_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    let error = FileStore::new(dir.path().join("nothing"))
        .load()
        .unwrap_err();
    assert!(error.to_string().contains("migrate plan"), "{error}");
}

#[test]
fn a_held_lock_names_its_holder_and_only_its_exact_id_unlocks_it() {
    let dir = tempfile::tempdir().unwrap();
    let guard = lock::acquire(dir.path(), "apply", chrono::Utc::now()).unwrap();
    let error = lock::acquire(dir.path(), "apply", chrono::Utc::now()).unwrap_err();
    let message = error.to_string();
    assert!(message.contains(&guard.info().id), "{message}");
    assert!(
        message.contains(&format!("pid {}", std::process::id())),
        "{message}"
    );
    assert!(message.contains("`apply`"), "{message}");

    let wrong = lock::force_unlock(dir.path(), "not-the-id").unwrap_err();
    assert!(matches!(wrong, JournalError::WrongLockId { .. }));
    assert!(lock::current(dir.path()).unwrap().is_some());

    let prefix = &guard.info().id[..8];
    assert!(
        lock::force_unlock(dir.path(), prefix).is_err(),
        "a prefix of the id is not enough"
    );
    let id = guard.info().id.clone();
    std::mem::forget(guard);
    lock::force_unlock(dir.path(), &id).unwrap();
    assert!(lock::current(dir.path()).unwrap().is_none());
}

#[test]
fn a_lock_is_released_when_its_run_ends() {
    let dir = tempfile::tempdir().unwrap();
    drop(lock::acquire(dir.path(), "apply", chrono::Utc::now()).unwrap());
    assert!(lock::acquire(dir.path(), "rollback", chrono::Utc::now()).is_ok());
}

#[test]
fn states_of_older_formats_are_refused_naming_both_formats() {
    for found in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = fresh(dir.path());
        let good = std::fs::read(store.path()).unwrap();
        let mut old = serde_json::from_slice::<serde_json::Value>(&good).unwrap();
        old["format"] = serde_json::json!(found);
        if found == 1 {
            // Format 1 kept every step's outputs as a map of strings.
            old["steps"][0]["outputs"] =
                serde_json::json!({"zone_id": "Z1", "target_groups": "a,b"});
        } else {
            // Format 2 held a plan without the account snapshot.
            old["plan"]["format"] = serde_json::json!(1);
            if let Some(plan) = old["plan"].as_object_mut() {
                plan.remove("snapshot");
            }
        }
        let bytes = serde_json::to_vec(&old).unwrap();
        std::fs::write(store.path(), &bytes).unwrap();
        let error = store.load().unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(
                error,
                JournalError::UnsupportedFormat { found: f, expected: 3, .. } if f == found
            ),
            "{message}"
        );
        assert!(
            message.contains(&format!("format {found}")) && message.contains("format 3"),
            "{message}"
        );
        assert_eq!(std::fs::read(store.path()).unwrap(), bytes);
    }
}

#[test]
fn a_run_that_ends_after_its_lock_was_broken_leaves_the_new_holders_lock() {
    let dir = tempfile::tempdir().unwrap();
    let slow = lock::acquire(dir.path(), "apply", chrono::Utc::now()).unwrap();
    lock::force_unlock(dir.path(), &slow.info().id).unwrap();
    let next = lock::acquire(dir.path(), "resume", chrono::Utc::now()).unwrap();
    drop(slow);
    assert_eq!(
        lock::current(dir.path()).unwrap().map(|l| l.id),
        Some(next.info().id.clone())
    );
}

#[test]
fn the_local_backend_keeps_the_state_and_the_lock_in_its_directory() {
    use migrate_journal::{BackendStore, LocalBackend, StateBackend};
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let backend = Arc::new(LocalBackend::new(dir.path()));
    let mut state = State::new(plan(), chrono::Utc::now());
    backend.replace(&mut state).unwrap();
    assert_eq!(backend.location(), dir.path().join("state.json"));
    // The engine's store over the backend reads and writes the same file.
    let mut store = BackendStore(backend.clone());
    let mut loaded = store.load().unwrap();
    store.save(&mut loaded).unwrap();
    assert_eq!(FileStore::new(dir.path()).load().unwrap().serial, 2);

    let guard =
        migrate_journal::backend::acquire(backend.clone(), "apply", chrono::Utc::now()).unwrap();
    assert_eq!(
        backend.current_lock().unwrap().map(|l| l.id),
        Some(guard.info().id.clone())
    );
    assert!(dir.path().join("state.lock").is_file());
    drop(guard);
    assert_eq!(backend.current_lock().unwrap(), None);
}

#[test]
fn a_lock_of_this_host_says_whether_its_process_still_runs() {
    let mut info = migrate_journal::LockInfo::for_this_process("apply", chrono::Utc::now());
    if !Path::new("/proc/self").exists() {
        // Without /proc there is nothing to look in: the answer is "unknown".
        assert_eq!(info.holder_alive(), None);
        return;
    }
    assert_eq!(info.holder_alive(), Some(true), "this test's own process");
    // Above the kernel's pid_max (at most 2^22), so no process has it.
    info.pid = 1 << 23;
    assert_eq!(info.holder_alive(), Some(false));
    info.host = format!("{}-elsewhere", info.host);
    assert_eq!(
        info.holder_alive(),
        None,
        "another host's process cannot be seen"
    );
}
