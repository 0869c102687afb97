//! The journal cannot lie: a run killed at any point resumes from the state alone, does every
//! step once and creates nothing twice; a rollback from any point restores the start, and a
//! rollback that is itself killed finishes when run again.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use migrate_engine::{EngineError, RunOutcome};
use migrate_journal::Phase;
use migrate_playbook::Playbook;
use migrate_testkit::CrashMode;
use support::*;

/// The mutating calls and journal writes of an uninterrupted run, and its end state.
async fn clean_run(playbook: &Playbook) -> (u64, u64, serde_json::Value) {
    let (account, store, _) = setup(playbook);
    let saves_before = store.saves();
    apply(&account, &store).await.unwrap();
    (
        account.mutations(),
        store.saves() - saves_before,
        account.snapshot(),
    )
}

async fn resume_until_done(
    account: &migrate_testkit::FakeAccount,
    store: &migrate_journal::MemoryStore,
) {
    match apply(account, store).await {
        Ok(RunOutcome::Completed) => {}
        other => panic!("the resumed run must complete, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_crash_at_any_mutating_call_resumes_without_duplicates() {
    for playbook in [demo_playbook(), with_strategy_weighted(demo_playbook())] {
        let (mutations, _, expected) = clean_run(&playbook).await;
        assert!(
            mutations > 15,
            "the demo migration makes {mutations} mutating calls"
        );
        for n in 1..=mutations {
            for mode in [CrashMode::BeforeEffect, CrashMode::AfterEffect] {
                let (account, store, _) = setup(&playbook);
                account.crash_at_mutation(n, mode);
                let first = apply(&account, &store).await;
                assert!(
                    matches!(first, Err(EngineError::Interrupted)),
                    "call {n} ({mode:?}) must interrupt the run, got {first:?}"
                );
                resume_until_done(&account, &store).await;
                assert_eq!(
                    account.duplicates(),
                    Vec::<String>::new(),
                    "crash at call {n} ({mode:?})"
                );
                assert_eq!(account.snapshot(), expected, "crash at call {n} ({mode:?})");
                assert_eq!(load(&store).phase, Phase::Applied);
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_crash_at_any_journal_write_resumes_without_duplicates() {
    let playbook = demo_playbook();
    let (_, saves, expected) = clean_run(&playbook).await;
    for n in 1..=saves {
        let (account, store, _) = setup(&playbook);
        store.crash_at_save(n);
        assert!(
            matches!(apply(&account, &store).await, Err(EngineError::Interrupted)),
            "save {n}"
        );
        resume_until_done(&account, &store).await;
        assert_eq!(
            account.duplicates(),
            Vec::<String>::new(),
            "crash at save {n}"
        );
        assert_eq!(account.snapshot(), expected, "crash at save {n}");
    }
}

#[tokio::test(start_paused = true)]
async fn every_step_is_done_exactly_once_across_a_resume() {
    let playbook = demo_playbook();
    let (mutations, _, _) = clean_run(&playbook).await;
    let (account, store, _) = setup(&playbook);
    account.crash_at_mutation(mutations / 2, CrashMode::AfterEffect);
    let _ = apply(&account, &store).await;
    resume_until_done(&account, &store).await;
    let world = account.world();
    for (kind, names) in &world.creations {
        let unique: std::collections::BTreeSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "{kind} created twice: {names:?}");
    }
    let created = |kind: &str| world.creations.get(kind).map_or(0, Vec::len);
    assert_eq!(created("cluster"), 1);
    assert_eq!(created("task-definition"), 2);
    assert_eq!(created("security-group"), 1);
    assert_eq!(created("target-group"), 1);
    assert_eq!(created("load-balancer"), 1);
    assert_eq!(created("listener"), 2);
    assert_eq!(created("service"), 2);
    assert_eq!(created("alarm"), 3);
}

#[tokio::test(start_paused = true)]
async fn rollback_from_every_checkpoint_restores_the_start() {
    let playbook = demo_playbook();
    let (_, saves, _) = clean_run(&playbook).await;
    for n in 1..=saves {
        let (account, store, _) = setup(&playbook);
        let start = account.snapshot();
        store.crash_at_save(n);
        let _ = apply(&account, &store).await;
        match rollback(&account, &store).await {
            Ok(_) => {}
            Err(e) => panic!("rollback after a stop at save {n} failed: {e}"),
        }
        assert_eq!(
            account.snapshot(),
            start,
            "rollback after a stop at save {n}"
        );
        assert_eq!(load(&store).phase, Phase::RolledBack);
    }
}

#[tokio::test(start_paused = true)]
async fn a_rollback_killed_at_any_call_finishes_when_run_again() {
    let playbook = demo_playbook();
    let (account, store, _) = setup(&playbook);
    let start = account.snapshot();
    apply(&account, &store).await.unwrap();
    let applied_bytes = store.bytes().unwrap();
    let applied_world_mutations = account.mutations();
    rollback(&account, &store).await.unwrap();
    let rollback_calls = account.mutations() - applied_world_mutations;
    assert!(rollback_calls > 10);
    drop(applied_bytes);

    for n in 1..=rollback_calls {
        for mode in [CrashMode::BeforeEffect, CrashMode::AfterEffect] {
            let (account, store, _) = setup(&playbook);
            apply(&account, &store).await.unwrap();
            account.crash_at_mutation(n, mode);
            assert!(
                matches!(
                    rollback(&account, &store).await,
                    Err(EngineError::Interrupted)
                ),
                "rollback call {n} ({mode:?})"
            );
            assert_eq!(load(&store).phase, Phase::RollingBack);
            // `apply` refuses to run over an unfinished rollback.
            assert!(matches!(
                apply(&account, &store).await,
                Err(EngineError::WrongPhase(_))
            ));
            rollback(&account, &store).await.unwrap();
            assert_eq!(
                account.snapshot(),
                start,
                "rollback killed at call {n} ({mode:?})"
            );
        }
    }
}
