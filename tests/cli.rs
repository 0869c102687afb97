//! The command line as a new user meets it: help, plan review, bad input refused with every
//! problem listed and nothing written, locked and corrupt states refused and left untouched.
//! None of these reach a cloud: each is refused (or finished) before `migrate` connects.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Runs `migrate` in `dir`, with no AWS settings that could send it anywhere.
fn migrate(dir: &Path, args: &[&str]) -> Output {
    migrate_with_env(dir, args, &[])
}

/// As [`migrate`], with `env` set; the caller's `RUST_LOG` is never passed on, so the logs are
/// what the flags and `env` ask for.
fn migrate_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migrate"))
        .args(args)
        .current_dir(dir)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("RUST_LOG")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A scratch directory holding a copy of the demo playbook and its task definitions.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let playbooks = dir.path().join("playbooks/taskdefs");
    std::fs::create_dir_all(&playbooks).unwrap();
    for file in ["demo.yaml", "taskdefs/web.json", "taskdefs/worker.json"] {
        std::fs::copy(
            repo().join("playbooks").join(file),
            dir.path().join("playbooks").join(file),
        )
        .unwrap();
    }
    dir
}

#[test]
fn help_lists_every_command() {
    let out = migrate(&repo(), &["--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for command in ["plan", "apply", "resume", "rollback", "status", "unlock"] {
        assert!(help.contains(command), "{command} missing from:\n{help}");
    }
    for command in ["plan", "apply", "resume", "rollback", "status", "unlock"] {
        let out = migrate(&repo(), &[command, "--help"]);
        assert!(out.status.success(), "{command} --help");
    }
}

#[test]
fn a_playbook_with_three_mistakes_reports_all_three_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let playbook = repo().join("tests/fixtures/three-mistakes.yaml");
    let out = migrate(
        dir.path(),
        &["plan", playbook.to_str().unwrap(), "--offline"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("3 problems"), "{stderr}");
    for (field, line) in [
        ("target.services[0].memory", 25),
        ("target.services[0].health_check.path", 27),
        ("cutover.strategy", 31),
    ] {
        assert!(stderr.contains(field), "{field} missing from:\n{stderr}");
        assert!(
            stderr.contains(&format!("three-mistakes.yaml:{line}:")),
            "line {line} missing from:\n{stderr}"
        );
    }
    assert!(
        !dir.path().join(".migrate").exists(),
        "nothing may be written"
    );
}

#[test]
fn plan_writes_the_state_and_prints_a_reviewable_plan() {
    let dir = workspace();
    let out = migrate(
        dir.path(),
        &[
            "plan",
            "playbooks/demo.yaml",
            "--offline",
            "--detailed-exitcode",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for expected in [
        "discover-source",
        "+ create",
        "cutover-dns",
        "undo:",
        "scale-down-old-auto-scaling-group",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected} missing from:\n{stdout}"
        );
    }
    assert!(dir.path().join(".migrate/shop/state.json").is_file());

    // Planning the same playbook again keeps the state (same plan id, same lineage).
    let before = std::fs::read(dir.path().join(".migrate/shop/state.json")).unwrap();
    let json = migrate(
        dir.path(),
        &["plan", "playbooks/demo.yaml", "--offline", "--json"],
    );
    assert!(json.status.success());
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(parsed["phase"], "planned");
    assert!(parsed["plan"]["steps"].as_array().unwrap().len() > 15);
    assert_eq!(
        std::fs::read(dir.path().join(".migrate/shop/state.json")).unwrap(),
        before
    );

    let status = migrate(dir.path(), &["status"]);
    assert!(status.status.success(), "{}", text(&status.stderr));
    let stdout = text(&status.stdout);
    assert!(
        stdout.contains("phase Planned") && stdout.contains("pending"),
        "{stdout}"
    );
    assert!(
        stdout.contains("A rollback now would undo nothing."),
        "{stdout}"
    );
}

#[test]
fn apply_on_a_locked_state_is_refused_naming_the_holder() {
    let dir = workspace();
    assert!(
        migrate(dir.path(), &["plan", "playbooks/demo.yaml", "--offline"])
            .status
            .success()
    );
    let state_dir = dir.path().join(".migrate/shop");
    let guard = migrate_journal_lock(&state_dir);
    let state_before = std::fs::read(state_dir.join("state.json")).unwrap();
    for command in ["apply", "resume", "rollback"] {
        let out = migrate(dir.path(), &[command, "shop"]);
        assert_eq!(out.status.code(), Some(1), "{command}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains("locked by"), "{stderr}");
        assert!(
            stderr.contains(&format!("pid {}", std::process::id())),
            "{stderr}"
        );
        assert!(stderr.contains(&guard), "the lock id is named: {stderr}");
    }
    assert_eq!(
        std::fs::read(state_dir.join("state.json")).unwrap(),
        state_before
    );

    // `unlock` needs the exact id.
    let wrong = migrate(dir.path(), &["unlock", "0000", "shop"]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(state_dir.join("state.lock").exists());
    let right = migrate(dir.path(), &["unlock", &guard, "shop"]);
    assert!(right.status.success(), "{}", text(&right.stderr));
    assert!(!state_dir.join("state.lock").exists());
}

/// Takes the lock as another run would, leaving it behind; answers its id.
fn migrate_journal_lock(state_dir: &Path) -> String {
    let info = serde_json::json!({
        "id": "7d4c2f0e-1b9a-4c55-9e0d-2f6a8b3c1d77",
        "holder": "alice",
        "pid": std::process::id(),
        "host": "laptop",
        "created_at": "2026-11-22T03:00:00Z",
        "operation": "apply",
    });
    std::fs::write(
        state_dir.join("state.lock"),
        serde_json::to_vec(&info).unwrap(),
    )
    .unwrap();
    info["id"].as_str().unwrap().to_string()
}

#[test]
fn a_corrupt_state_is_refused_with_its_position_and_left_untouched() {
    let dir = workspace();
    assert!(
        migrate(dir.path(), &["plan", "playbooks/demo.yaml", "--offline"])
            .status
            .success()
    );
    let path = dir.path().join(".migrate/shop/state.json");
    let good = std::fs::read(&path).unwrap();
    let truncated = good[..good.len() / 3].to_vec();
    std::fs::write(&path, &truncated).unwrap();
    for args in [
        vec!["apply", "shop"],
        vec!["status", "shop"],
        vec!["rollback", "shop"],
    ] {
        let out = migrate(dir.path(), &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains("corrupt at line"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            truncated,
            "{args:?} changed the file"
        );
    }
    // No lock is left behind by the refused runs.
    assert!(!dir.path().join(".migrate/shop/state.lock").exists());
}

#[test]
fn planning_a_changed_playbook_over_an_unfinished_migration_is_refused() {
    let dir = workspace();
    assert!(
        migrate(dir.path(), &["plan", "playbooks/demo.yaml", "--offline"])
            .status
            .success()
    );
    let path = dir.path().join(".migrate/shop/state.json");
    // Mark the migration as in progress, as an interrupted apply leaves it.
    let mut state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    state["phase"] = serde_json::json!("applying");
    std::fs::write(&path, serde_json::to_vec_pretty(&state).unwrap()).unwrap();
    let before = std::fs::read(&path).unwrap();
    let playbook = dir.path().join("playbooks/demo.yaml");
    let changed = std::fs::read_to_string(&playbook)
        .unwrap()
        .replace("desired_count: 2", "desired_count: 3");
    std::fs::write(&playbook, changed).unwrap();

    let out = migrate(dir.path(), &["plan", "playbooks/demo.yaml", "--offline"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("finish it or roll it back"),
        "{}",
        text(&out.stderr)
    );
    let apply = migrate(dir.path(), &["apply", "playbooks/demo.yaml"]);
    assert_eq!(apply.status.code(), Some(1));
    assert!(
        text(&apply.stderr).contains("has changed since it was planned"),
        "{}",
        text(&apply.stderr)
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn completions_and_schema_print() {
    let out = migrate(&repo(), &["completions", "bash"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("migrate"));
    let schema = migrate(&repo(), &["schema"]);
    let parsed: serde_json::Value = serde_json::from_slice(&schema.stdout).unwrap();
    assert!(parsed["properties"]["cutover"].is_object());
}

#[test]
fn logs_are_json_lines_on_stderr_with_log_format_json() {
    let dir = workspace();
    let out = migrate(
        dir.path(),
        &[
            "plan",
            "playbooks/demo.yaml",
            "--offline",
            "--log-format",
            "json",
            "-v",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The plan is on stdout, untouched by the logs.
    let stdout = text(&out.stdout);
    assert!(stdout.contains("discover-source"), "{stdout}");
    assert!(!stdout.contains("\"level\""), "{stdout}");

    let stderr = text(&out.stderr);
    let events: Vec<serde_json::Value> = stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let ready = events
        .iter()
        .find(|e| e["message"] == "plan ready for review")
        .unwrap_or_else(|| panic!("no plan event in:\n{stderr}"));
    assert_eq!(ready["level"], "INFO");
    assert!(ready["timestamp"].is_string(), "{ready}");
    assert!(ready["steps"].as_u64().unwrap() > 15, "{ready}");
    let state = std::fs::read_to_string(dir.path().join(".migrate/shop/state.json")).unwrap();
    let plan_id = ready["plan_id"].as_str().unwrap();
    assert!(state.contains(plan_id), "{plan_id} is not the written plan");
}

#[test]
fn log_levels_follow_v_q_and_rust_log() {
    let dir = workspace();
    let plan = ["plan", "playbooks/demo.yaml", "--offline"];
    let with = |extra: &[&str], env: &[(&str, &str)]| {
        let args: Vec<&str> = plan.iter().chain(extra).copied().collect();
        let out = migrate_with_env(dir.path(), &args, env);
        assert!(out.status.success(), "{extra:?}: {}", text(&out.stderr));
        text(&out.stderr)
    };
    // By default only warnings and errors are logged: a plan has neither.
    assert_eq!(with(&[], &[]), "");
    assert_eq!(with(&["-q"], &[]), "");
    let verbose = with(&["-v"], &[]);
    assert!(
        verbose.contains("INFO") && verbose.contains("plan ready for review"),
        "{verbose}"
    );
    // RUST_LOG wins over the flags.
    let from_env = with(&[], &[("RUST_LOG", "migrate=info")]);
    assert!(from_env.contains("plan ready for review"), "{from_env}");
}

#[test]
fn bad_log_settings_are_refused_with_what_is_accepted() {
    let dir = workspace();
    let out = migrate(
        dir.path(),
        &[
            "plan",
            "playbooks/demo.yaml",
            "--offline",
            "--log-format",
            "xml",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "clap's usage error");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("'xml'") && stderr.contains("[possible values: text, json]"),
        "{stderr}"
    );

    let out = migrate(
        dir.path(),
        &["plan", "playbooks/demo.yaml", "--offline", "-q", "-v"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot be used with"),
        "{}",
        text(&out.stderr)
    );

    let out = migrate_with_env(
        dir.path(),
        &["plan", "playbooks/demo.yaml", "--offline"],
        &[("RUST_LOG", "migrate=loud")],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("RUST_LOG=migrate=loud is not a valid log filter"),
        "{stderr}"
    );
    // Refused before the command ran: nothing was written.
    assert!(!dir.path().join(".migrate").exists());
}

#[test]
fn a_bad_shared_state_location_is_refused_before_anything_is_written() {
    let dir = workspace();
    for (args, expected) in [
        (
            vec![
                "plan",
                "playbooks/demo.yaml",
                "--offline",
                "--state",
                "team-state/shop",
            ],
            "is not an S3 state location",
        ),
        (
            vec!["status", "--state", "s3://Team_State/shop"],
            "the bucket name is not valid",
        ),
        (
            vec!["unlock", "some-id", "--state", "s3:///shop"],
            "names no bucket",
        ),
        (
            vec![
                "apply",
                "--state",
                "s3://team-state/shop",
                "--state-dir",
                "x",
            ],
            "cannot be used with",
        ),
    ] {
        let out = migrate(dir.path(), &args);
        assert_ne!(out.status.code(), Some(0), "{args:?}");
        assert!(
            text(&out.stderr).contains(expected),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    assert!(!dir.path().join(".migrate").exists(), "nothing was written");
}
