//! The engine's tests: the journal cannot lie. A run killed at any point resumes from the state
//! alone, does every step once and creates nothing twice; a rollback from any point restores the
//! start, and a rollback that is itself killed finishes when run again. (Why they live in this
//! crate: `engine_support/mod.rs`.)

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod engine_support;

use engine_support::*;
use migrate_engine::{EngineError, RunOutcome};
use migrate_journal::{MemoryStore, Phase};
use migrate_playbook::Playbook;
use migrate_sim::{AccountSnapshot, CrashPoint, Simulation};

/// Where a crash falls: before the call reaches the account (it changes nothing), or after (the
/// change is made and its answer lost).
const BEFORE_AND_AFTER_THE_EFFECT: [bool; 2] = [false, true];

fn when(after_effect: bool) -> &'static str {
    if after_effect {
        "after its effect"
    } else {
        "before its effect"
    }
}

/// The mutating calls and journal writes of an uninterrupted run, and its end state.
async fn clean_run(playbook: &Playbook) -> (u64, u64, AccountSnapshot) {
    let (sim, store, _) = setup(playbook);
    let saves_before = store.saves();
    apply(&sim, &store).await.unwrap();
    (
        sim.mutating_calls_so_far(),
        store.saves() - saves_before,
        sim.snapshot(),
    )
}

async fn resume_until_done(sim: &Simulation, store: &MemoryStore) {
    match apply(sim, store).await {
        Ok(RunOutcome::Completed) => {}
        other => panic!("the resumed run must complete, got {other:?}"),
    }
}

/// Crashes a run at each mutating call in turn, before and after its effect, and resumes it.
/// One test per cutover strategy, so that the test runner can run them side by side.
async fn a_crash_at_any_mutating_call_resumes_without_duplicates(playbook: Playbook) {
    let (mutations, _, expected) = clean_run(&playbook).await;
    assert!(
        mutations > 15,
        "the demo migration makes {mutations} mutating calls"
    );
    for n in 1..=mutations {
        for after_effect in BEFORE_AND_AFTER_THE_EFFECT {
            let at = format!("crash at call {n} {}", when(after_effect));
            let (sim, store, _) = setup(&playbook);
            sim.crash_at(CrashPoint::at_mutating_call(n, after_effect));
            let first = apply(&sim, &store).await;
            assert!(
                matches!(first, Err(EngineError::Interrupted)),
                "{at} must interrupt the run, got {first:?}"
            );
            resume_until_done(&sim, &store).await;
            assert_eq!(sim.duplicates(), Vec::<String>::new(), "{at}");
            assert_eq!(sim.snapshot(), expected, "{at}");
            assert_eq!(load(&store).phase, Phase::Applied, "{at}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_crash_at_any_mutating_call_of_an_alias_cutover_resumes_without_duplicates() {
    a_crash_at_any_mutating_call_resumes_without_duplicates(demo_playbook()).await;
}

#[tokio::test(start_paused = true)]
async fn a_crash_at_any_mutating_call_of_a_weighted_cutover_resumes_without_duplicates() {
    a_crash_at_any_mutating_call_resumes_without_duplicates(
        with_strategy_weighted(demo_playbook()),
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_crash_at_any_journal_write_resumes_without_duplicates() {
    let playbook = demo_playbook();
    let (_, saves, expected) = clean_run(&playbook).await;
    for n in 1..=saves {
        let (sim, store, _) = setup(&playbook);
        store.crash_at_save(n);
        assert!(
            matches!(apply(&sim, &store).await, Err(EngineError::Interrupted)),
            "save {n}"
        );
        resume_until_done(&sim, &store).await;
        assert_eq!(sim.duplicates(), Vec::<String>::new(), "crash at save {n}");
        assert_eq!(sim.snapshot(), expected, "crash at save {n}");
    }
}

#[tokio::test(start_paused = true)]
async fn every_step_is_done_exactly_once_across_a_resume() {
    let playbook = demo_playbook();
    let (mutations, _, _) = clean_run(&playbook).await;
    let (sim, store, _) = setup(&playbook);
    sim.crash_at(CrashPoint::at_mutating_call(mutations / 2, true));
    let _ = apply(&sim, &store).await;
    resume_until_done(&sim, &store).await;
    let creations = sim.creations();
    for (kind, names) in &creations {
        let unique: std::collections::BTreeSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "{kind} created twice: {names:?}");
    }
    let created = |kind: &str| creations.get(kind).map_or(0, Vec::len);
    assert_eq!(created("cluster"), 1);
    assert_eq!(created("task-definition"), 2);
    assert_eq!(created("security-group"), 1);
    assert_eq!(created("target-group"), 1);
    assert_eq!(created("load-balancer"), 1);
    assert_eq!(created("listener"), 2);
    assert_eq!(created("service"), 2);
    assert_eq!(created("alarm"), 4);
}

#[tokio::test(start_paused = true)]
async fn rollback_from_every_checkpoint_restores_the_start() {
    let playbook = demo_playbook();
    let (_, saves, _) = clean_run(&playbook).await;
    for n in 1..=saves {
        let (sim, store, _) = setup(&playbook);
        let start = sim.snapshot();
        store.crash_at_save(n);
        let _ = apply(&sim, &store).await;
        match rollback(&sim, &store).await {
            Ok(_) => {}
            Err(e) => panic!("rollback after a stop at save {n} failed: {e}"),
        }
        assert_eq!(sim.snapshot(), start, "rollback after a stop at save {n}");
        assert_eq!(load(&store).phase, Phase::RolledBack);
    }
}

/// Kills a rollback at each of its mutating calls in turn and runs it again. One test for the
/// crashes before the effect and one for those after it, so that they can run side by side.
async fn a_rollback_killed_at_any_call_finishes_when_run_again(after_effect: bool) {
    let playbook = demo_playbook();
    let (sim, store, _) = setup(&playbook);
    let start = sim.snapshot();
    apply(&sim, &store).await.unwrap();
    let applied_mutations = sim.mutating_calls_so_far();
    rollback(&sim, &store).await.unwrap();
    let rollback_calls = sim.mutating_calls_so_far() - applied_mutations;
    assert!(rollback_calls > 10);
    assert_eq!(sim.snapshot(), start);

    for n in 1..=rollback_calls {
        let at = format!("rollback killed at call {n} {}", when(after_effect));
        let (sim, store, _) = setup(&playbook);
        apply(&sim, &store).await.unwrap();
        sim.crash_at(CrashPoint::at_mutating_call(n, after_effect));
        assert!(
            matches!(rollback(&sim, &store).await, Err(EngineError::Interrupted)),
            "{at}"
        );
        assert_eq!(load(&store).phase, Phase::RollingBack, "{at}");
        // `apply` refuses to run over an unfinished rollback.
        assert!(
            matches!(apply(&sim, &store).await, Err(EngineError::WrongPhase(_))),
            "{at}"
        );
        rollback(&sim, &store).await.unwrap();
        assert_eq!(sim.snapshot(), start, "{at}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_rollback_killed_at_any_call_before_its_effect_finishes_when_run_again() {
    a_rollback_killed_at_any_call_finishes_when_run_again(false).await;
}

#[tokio::test(start_paused = true)]
async fn a_rollback_killed_at_any_call_after_its_effect_finishes_when_run_again() {
    a_rollback_killed_at_any_call_finishes_when_run_again(true).await;
}
