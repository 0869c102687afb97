//! The traffic guard (issue 12 item 2): while the new side takes traffic (every bake of a ramp,
//! and the watch after the last traffic step) the engine reads its target groups each minute
//! and hands every request back to the old side when it breaks a limit. The simulator's
//! `overloaded` profile gives the new side a capacity per task beyond which a growing share of
//! its requests answers 500 (health checks still pass, so the health gate cannot see it).
//!
//! Properties: with each strategy the guard hands the traffic back before more than
//! [`FAILURE_BUDGET`] requests fail; after a fix, `resume` moves the traffic again from the
//! first traffic step and completes; a crash during the hand back is finished by `resume`.
//! Mutation: with the guard off the same runs fail many times more requests.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::Duration;

use migrate_plan::Plan;
use migrate_playbook::{CutoverStrategy, Playbook};
use migrate_sim::audit::DnsTarget;
use migrate_sim::harness::{self, Afterwards, Crash, RunReport, Scenario};
use migrate_sim::{CrashPoint, FaultProfile};

/// The demo playbook with `strategy`, the guard on or off.
fn plan(strategy: &CutoverStrategy, guard_on: bool) -> Plan {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    let mut playbook = Playbook::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
    playbook.cutover.strategy = strategy.clone();
    playbook.guard.enabled = guard_on;
    migrate_plan::build(&playbook)
}

/// Each strategy with the most requests its hand back may cost in the `overloaded` demo. The
/// guard sees a minute once CloudWatch publishes it (the minute, then its delay, then the
/// guard's poll: up to three minutes); what follows depends on the strategy: the listener
/// weights go back at once; records go back at once too, but clients hold the new answer for
/// the TTL, and five in a hundred (the profile's resolvers that ignore it) for five minutes.
/// `alias` moves all traffic at once, so its minutes of failures are the heaviest; the ramps
/// break the limit at 50 %.
fn strategies() -> [(&'static str, CutoverStrategy, u64); 3] {
    let bake = Duration::from_secs(180);
    [
        ("alias", CutoverStrategy::Alias, 4000),
        (
            "weighted",
            CutoverStrategy::Weighted {
                steps: vec![10, 50, 100],
                bake,
            },
            1500,
        ),
        (
            "listener",
            CutoverStrategy::Listener {
                steps: vec![10, 50, 100],
                bake,
            },
            1000,
        ),
    ]
}

const SEEDS: [u64; 3] = [1, 2, 3];

/// Every failed request falls within this long of the first: the guard saw the fault and every
/// client is back on the old side.
const HANDED_BACK_WITHIN_MS: u64 = 5 * 60_000;

/// `Err` saying why when more than `budget` requests failed, or failures went on past
/// [`HANDED_BACK_WITHIN_MS`].
fn within_budget(r: &RunReport, budget: u64) -> Result<(), String> {
    let failed = r.traffic.failed();
    let window = failing_for_ms(r);
    if failed > budget || window > HANDED_BACK_WITHIN_MS {
        return Err(format!(
            "{failed} requests failed over {}s (the budget is {budget} within {}s)",
            window / 1000,
            HANDED_BACK_WITHIN_MS / 1000
        ));
    }
    Ok(())
}

fn run(plan: &Plan, seed: u64, afterwards: Afterwards, crash: Crash) -> RunReport {
    let scenario = Scenario {
        afterwards,
        crash,
        ..Scenario::new(seed, FaultProfile::overloaded())
    };
    harness::run(plan, &scenario).unwrap()
}

/// From the first failed request to the last.
fn failing_for_ms(r: &RunReport) -> u64 {
    let first = r.traffic.first_failures.first().map_or(0, |f| f.at_ms);
    r.traffic.last_failure_ms.map_or(0, |last| last - first)
}

#[test]
fn a_new_side_failing_under_load_is_handed_back_within_the_budget() {
    for (name, strategy, budget) in strategies() {
        let plan = plan(&strategy, true);
        for seed in SEEDS {
            let r = run(&plan, seed, Afterwards::Nothing, Crash::None);
            let error = r
                .apply
                .clone()
                .expect_err("the guard did not stop the move");
            assert!(
                error.contains("traffic guard") && error.contains("to the old side again"),
                "{name} seed {seed}: {error}"
            );
            assert!(
                r.traffic.failed() > 0,
                "{name} seed {seed}: the fault never showed"
            );
            within_budget(&r, budget).unwrap_or_else(|e| panic!("{name} seed {seed}: {e}"));
            assert_eq!(r.audit.dns_target, DnsTarget::Old, "{name} seed {seed}");
            assert!(
                !r.audit.old_listeners_changed || name == "listener",
                "{name}"
            );
        }
    }
}

#[test]
fn mutation_without_the_guard_the_failures_go_on() {
    for (name, strategy, budget) in strategies() {
        let plan = plan(&strategy, false);
        for seed in SEEDS {
            let r = run(&plan, seed, Afterwards::Nothing, Crash::None);
            let why = within_budget(&r, budget)
                .expect_err("without the guard the failures stayed within the budget");
            eprintln!("{name} seed {seed}, guard off: {why}");
        }
    }
}

#[test]
fn after_a_fix_resume_moves_the_traffic_again_from_the_first_step() {
    for (name, strategy, budget) in strategies() {
        let plan = plan(&strategy, true);
        let first = plan
            .steps
            .iter()
            .find(|s| s.action.moves_traffic())
            .unwrap()
            .id
            .clone();
        let r = run(&plan, 1, Afterwards::FixThenResume, Crash::None);
        r.apply
            .clone()
            .unwrap_or_else(|e| panic!("{name}: the resumed move did not complete: {e}"));
        assert_eq!(r.resumes, 1, "{name}");
        let runs = r.timeline.iter().filter(|s| s.step == first).count();
        assert_eq!(
            runs, 2,
            "{name}: {first} ran {runs} times: {:?}",
            r.timeline
        );
        // No request fails after the fix: every failure is the first attempt's.
        within_budget(&r, budget).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(r.audit.dns_target, DnsTarget::New, "{name}");
    }
}

#[test]
fn a_crash_during_the_hand_back_is_finished_by_resume() {
    for (name, strategy, budget) in strategies() {
        let plan = plan(&strategy, true);
        let reference = run(&plan, 2, Afterwards::Nothing, Crash::None);
        // The hand back makes the apply's last changes.
        let last = reference.apply_mutating_calls;
        for after_effect in [false, true] {
            let crash = Crash::AtCall(CrashPoint::at_mutating_call(last, after_effect));
            let r = run(&plan, 2, Afterwards::Nothing, crash);
            assert_eq!(
                r.crashes, 1,
                "{name}: the crash at call {last} did not happen"
            );
            let error = r
                .apply
                .clone()
                .expect_err("the resumed hand back must stop");
            assert!(error.contains("to the old side again"), "{name}: {error}");
            assert_eq!(r.audit.dns_target, DnsTarget::Old, "{name}");
            within_budget(&r, budget).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

#[test]
fn with_the_5xx_limit_out_of_reach_slow_answers_still_hand_back() {
    // The overloaded new side answers its served requests slower by its overload: 2.5 times at
    // half the traffic (under the factor of 3), 5 times with all of it. Only the response time
    // against the old side's baseline can see that once 5xx never break the limit.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    let mut playbook = Playbook::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
    playbook.cutover.strategy = strategies()[2].1.clone();
    playbook.guard.max_5xx_percent = 100.0;
    let plan = migrate_plan::build(&playbook);
    let r = run(&plan, 1, Afterwards::Nothing, Crash::None);
    let error = r
        .apply
        .clone()
        .expect_err("the slow new side was not handed back");
    assert!(error.contains("slower than"), "{error}");
    assert!(error.contains("watch-new-side"), "{error}");
    assert_eq!(r.audit.dns_target, DnsTarget::Old);
}
