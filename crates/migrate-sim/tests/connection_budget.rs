//! The connection budget (issue 12 item 3): a data store that accepts `max_connections` must
//! not be overrun while the old and the new side both hold their pools. The simulator refuses
//! connections past the limit (`world::connections`), so a process without a pool fails every
//! request it gets. Over budget the migration is sequenced (`shrink-old-side` before the new
//! tasks start, the new services started smaller, `grow-new-side` after the old side is scaled
//! down) and completes with no failed request; where no sequence fits, or the playbook says
//! `refuse`, it is refused before anything is created. The mutations: without the budget steps,
//! or without the shrink alone, requests fail.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod engine_support;

use std::path::Path;

use migrate_engine::RunOutcome;
use migrate_plan::{Action, Plan};
use migrate_playbook::{OverBudget, Playbook};
use migrate_sim::faults::CrashPoint;
use migrate_sim::harness::{self, Afterwards, Crash, RunReport, Scenario};
use migrate_sim::{FaultProfile, ScheduledRaise, Topology};

/// Seed 001 with every process holding a pool of 20 to each store and the sessions store
/// accepting `max_connections`.
fn playbook_with_budget(max_connections: u32) -> Playbook {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    let mut playbook = Playbook::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
    for service in &mut playbook.target.services {
        service.connections_per_task = Some(20);
    }
    playbook.network.data_stores[0].max_connections = Some(max_connections);
    playbook
}

fn plan_with_budget(max_connections: u32) -> Plan {
    migrate_plan::build(&playbook_with_budget(max_connections))
}

fn without(plan: &Plan, left_out: fn(&Action) -> bool) -> Plan {
    let mut plan = plan.clone();
    plan.steps.retain(|s| !left_out(&s.action));
    plan
}

fn without_the_budget(plan: &Plan) -> Plan {
    without(plan, |a| {
        matches!(
            a,
            Action::CheckConnectionBudget | Action::ShrinkOldSide | Action::GrowNewSide
        )
    })
}

fn run(plan: &Plan, seed: u64) -> RunReport {
    let scenario = Scenario::new(seed, FaultProfile::default_profile());
    harness::run_on(plan, &scenario, Topology::from_plan(plan).unwrap()).unwrap()
}

const SEEDS: [u64; 4] = [1, 2, 3, 4];

/// The seeds of `seeds` on which `plan` lost a request: what a mutation must make non-empty.
fn seeds_losing_requests(plan: &Plan, seeds: &[u64]) -> Vec<u64> {
    seeds
        .iter()
        .copied()
        .filter(|&seed| run(plan, seed).traffic.failed() > 0)
        .collect()
}

/// The old side of seed 001 runs 4 tasks × 20 = 80; the new side 2 web and 1 worker × 20 = 60;
/// the peak 140. Either side alone fits under 120: the old side is shrunk to 3 tasks first.
const OVER: u32 = 120;
/// Both sides at half: the new web service starts with 1 task, the old side keeps 3.
const TIGHT: u32 = 100;
/// The new side alone (60) does not fit: no order of the steps helps (with old pools of 10).
const TOO_SMALL: u32 = 50;
const ENOUGH: u32 = 140;

#[test]
fn the_plan_checks_the_budget_before_anything_is_created() {
    let plan = plan_with_budget(OVER);
    let ids: Vec<&str> = plan.steps.iter().map(|s| s.id.as_str()).collect();
    let check = ids
        .iter()
        .position(|i| *i == "check-connection-budget")
        .unwrap();
    assert_eq!(ids[check - 1], "discover-source", "{ids:?}");
    assert_eq!(ids[check + 1], "shrink-old-side", "{ids:?}");
    assert_eq!(ids[check + 2], "create-cluster", "{ids:?}");
    // The growth comes after the old side's scale-down and before the alarms, whose
    // RunningTaskCount threshold is the desired count.
    let grow = ids.iter().position(|i| *i == "grow-new-side").unwrap();
    let last_scale_down = ids
        .iter()
        .rposition(|i| i.starts_with("scale-down-old"))
        .unwrap();
    assert!(last_scale_down < grow, "{ids:?}");
    assert_eq!(ids[grow + 1], "create-alarms", "{ids:?}");
    // No store declares a limit: no check.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    let plain = migrate_plan::build(&Playbook::from_path(&path).unwrap());
    assert!(!plain.steps.iter().any(|s| matches!(
        s.action,
        Action::CheckConnectionBudget | Action::ShrinkOldSide | Action::GrowNewSide
    )));
}

fn assert_refused(plan: &Plan, wanted: &[&str]) {
    for seed in SEEDS {
        let r = run(plan, seed);
        let error = r
            .apply
            .clone()
            .expect_err("a migration no sequence fits must be refused");
        assert!(
            error.contains("check-connection-budget") && wanted.iter().all(|w| error.contains(w)),
            "seed {seed}: {error}"
        );
        assert!(
            r.audit.inventory.is_empty(),
            "seed {seed}: created {:?}",
            r.audit.inventory
        );
        r.traffic
            .none_failed()
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    }
}

#[test]
fn over_budget_with_refuse_is_refused_with_the_numbers_and_no_request_fails() {
    let mut playbook = playbook_with_budget(OVER);
    playbook.connection_budget.over_budget = OverBudget::Refuse;
    let plan = migrate_plan::build(&playbook);
    assert_refused(
        &plan,
        &["140 connections", "max_connections 120", "`refuse`"],
    );
}

#[test]
fn a_new_side_that_alone_exceeds_the_budget_is_refused() {
    // The old side's pools are smaller (4 × 10 fits), the new side's 60 do not.
    let mut playbook = playbook_with_budget(TOO_SMALL);
    playbook.source.connections_per_instance = Some(10);
    assert_refused(
        &migrate_plan::build(&playbook),
        &[
            "60 connections once the old side is scaled down",
            "max_connections 50",
        ],
    );
}

#[test]
fn over_budget_the_overlap_is_sequenced_and_no_request_fails() {
    for limit in [OVER, TIGHT] {
        let plan = plan_with_budget(limit);
        let web = plan.names.services["web"].clone();
        for seed in SEEDS {
            let r = run(&plan, seed);
            r.completed_without_failed_requests()
                .unwrap_or_else(|e| panic!("limit {limit} seed {seed}: {e}"));
            let shrink = r.timeline.iter().find(|s| s.step == "shrink-old-side");
            assert!(
                shrink.is_some_and(|s| s.outcome == "done"),
                "limit {limit} seed {seed}: {shrink:?}"
            );
            let grow = r
                .timeline
                .iter()
                .find(|s| s.step == "grow-new-side")
                .unwrap();
            // Grown from the smaller start, or only given its scaling bounds back.
            assert_eq!(grow.outcome, "done", "limit {limit} seed {seed}: {grow:?}");
            // Either way the new side ends at its desired counts.
            assert_eq!(
                r.audit.new_services_desired.get(&web),
                Some(&2),
                "limit {limit} seed {seed}: {:?}",
                r.audit.new_services_desired
            );
        }
    }
}

#[test]
fn mutation_without_the_budget_steps_fails_requests() {
    // The property "no request fails" must fail without the budget steps. Not on every seed:
    // the process left without a pool is the last to come up, and on some seeds that is the
    // worker, which serves no client.
    let failing = seeds_losing_requests(&without_the_budget(&plan_with_budget(OVER)), &SEEDS);
    assert!(
        failing.len() * 2 >= SEEDS.len(),
        "without the budget steps only seeds {failing:?} of {SEEDS:?} lost requests"
    );
}

#[test]
fn mutation_without_the_shrink_fails_requests() {
    let plan = without(&plan_with_budget(OVER), |a| {
        matches!(a, Action::ShrinkOldSide)
    });
    let failing = seeds_losing_requests(&plan, &SEEDS);
    assert!(
        failing.len() * 2 >= SEEDS.len(),
        "without shrink-old-side only seeds {failing:?} of {SEEDS:?} lost requests"
    );
}

#[test]
fn within_budget_the_old_side_is_held_at_its_size_not_shrunk() {
    let plan = plan_with_budget(ENOUGH);
    let web = plan.names.services["web"].clone();
    for seed in SEEDS {
        let r = run(&plan, seed);
        r.completed_without_failed_requests()
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        // Held, not shrunk: the old services keep their 4 tasks until the scale-down, and the
        // new side its desired counts; grow-new-side gives the pinned target its bounds back.
        for step in ["shrink-old-side", "grow-new-side"] {
            let span = r.timeline.iter().find(|s| s.step == step).unwrap();
            assert_eq!(span.outcome, "done", "seed {seed}: {span:?}");
        }
        assert_eq!(
            r.audit.new_services_desired.get(&web),
            Some(&2),
            "seed {seed}"
        );
    }
}

/// The asg playbook with pools of 20 and a limit that both sides fit exactly at their running
/// sizes, over an old group whose scheduled action raises it by one instance every four minutes
/// ("business hours start"): the overlap fits as counted, and only holding the old side keeps it so.
fn exactly_fitting_asg_with_a_scheduled_raise() -> (Plan, Topology) {
    let (mut plan, old_units) = one_pool_short("../../playbooks/asg.yaml");
    let mut playbook = plan.playbook.clone();
    let limit = playbook.network.data_stores[0].max_connections.unwrap() + 20;
    playbook.network.data_stores[0].max_connections = Some(limit);
    plan = migrate_plan::build(&playbook);
    let mut topology = Topology::from_plan(&plan).unwrap();
    topology.old_side.scheduled_raise = Some(ScheduledRaise {
        every_secs: 240,
        capacity: old_units + 1,
    });
    (plan, topology)
}

#[test]
fn a_scheduled_raise_of_the_old_group_during_the_overlap_is_held_off() {
    let (plan, topology) = exactly_fitting_asg_with_a_scheduled_raise();
    for seed in [1, 2] {
        let scenario = Scenario::new(seed, FaultProfile::default_profile());
        let r = harness::run_on(&plan, &scenario, topology.clone()).unwrap();
        r.completed_without_failed_requests()
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let shrink = r.timeline.iter().find(|s| s.step == "shrink-old-side");
        assert!(
            shrink.is_some_and(|s| s.outcome == "done"),
            "seed {seed}: {shrink:?}"
        );
    }
    // The control: with no scheduled action the same plan without the hold loses nothing, so
    // what the mutation below loses is the raise's doing.
    let unheld = without(&plan, |a| matches!(a, Action::ShrinkOldSide));
    let mut quiet = topology.clone();
    quiet.old_side.scheduled_raise = None;
    for seed in [1, 2, 3] {
        let scenario = Scenario::new(seed, FaultProfile::default_profile());
        harness::run_on(&unheld, &scenario, quiet.clone())
            .unwrap()
            .completed_without_failed_requests()
            .unwrap_or_else(|e| panic!("control, seed {seed}: {e}"));
    }
    // The mutation: without the hold the scheduled action raises the old group while the new
    // side runs, and the extra instance's pool finds the store full.
    let failing: Vec<u64> = [1, 2, 3]
        .into_iter()
        .filter(|&seed| {
            let scenario = Scenario::new(seed, FaultProfile::default_profile());
            harness::run_on(&unheld, &scenario, topology.clone())
                .unwrap()
                .traffic
                .failed()
                > 0
        })
        .collect();
    assert!(
        !failing.is_empty(),
        "without the hold no request failed on any seed"
    );
}

#[test]
fn a_rollback_of_a_sequenced_overlap_gives_the_old_side_back_within_the_budget() {
    // A completed migration rolled back, then crashes spread over the apply, each rolled back
    // instead of resumed: the old side is back at its size, nothing is left, and no request
    // fails on the way (the new side gives its extra tasks back before the old side grows).
    let plan = plan_with_budget(TIGHT);
    // The old side as it runs before anything changes: what discovery alone leaves.
    let mut reading = plan.clone();
    reading.steps.truncate(2);
    let start = run(&reading, 5).audit.old_services_desired;
    assert_eq!(start.values().sum::<u32>(), 4, "{start:?}");
    let mut scenarios = vec![Scenario {
        afterwards: Afterwards::Rollback,
        ..Scenario::new(5, FaultProfile::none())
    }];
    for call in (20..260).step_by(20) {
        scenarios.push(Scenario {
            crash: Crash::AtCall(CrashPoint::at_call(call, call % 40 == 0)),
            afterwards: Afterwards::RollbackInsteadOfResume,
            ..Scenario::new(5, FaultProfile::none())
        });
    }
    let mut rolled_back = 0;
    for scenario in scenarios {
        let r = harness::run_on(&plan, &scenario, Topology::from_plan(&plan).unwrap()).unwrap();
        let Some(rollback) = &r.rollback else {
            continue;
        };
        rollback
            .clone()
            .unwrap_or_else(|e| panic!("{:?}: the rollback failed: {e}", scenario.crash));
        rolled_back += 1;
        assert!(
            r.audit.inventory.is_empty(),
            "{:?}: left {:?}",
            scenario.crash,
            r.audit.inventory
        );
        assert_eq!(r.audit.old_services_desired, start, "{:?}", scenario.crash);
        r.traffic
            .none_failed()
            .unwrap_or_else(|e| panic!("{:?}: {e}", scenario.crash));
    }
    assert!(rolled_back >= 6, "only {rolled_back} rollbacks ran");
}

/// `path`'s playbook with pools of 20 everywhere and a limit one pool short of both sides at
/// full size, and the old side's units as it runs before anything changes.
fn one_pool_short(path: &str) -> (Plan, u32) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let mut playbook = Playbook::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
    for service in &mut playbook.target.services {
        service.connections_per_task = Some(20);
    }
    playbook.source.connections_per_instance = Some(20);
    playbook.network.data_stores[0].max_connections = Some(u32::MAX);
    let mut reading = migrate_plan::build(&playbook);
    reading.steps.truncate(2);
    let audit = run(&reading, 1).audit;
    // An ECS-on-EC2 source's units are its old tasks (its group runs container instances).
    let old_units = if audit.old_services_desired.is_empty() {
        audit.old_asg_desired
    } else {
        audit.old_services_desired.values().sum()
    };
    let new_tasks: u32 = playbook
        .target
        .services
        .iter()
        .map(|s| s.desired_count)
        .sum();
    playbook.network.data_stores[0].max_connections = Some((old_units + new_tasks - 1) * 20);
    (migrate_plan::build(&playbook), old_units)
}

#[test]
fn every_source_kind_with_a_capacity_is_sequenced_without_a_failed_request() {
    // An Auto Scaling group is pinned through its capacity, a Beanstalk environment through
    // UpdateEnvironment (Elastic Beanstalk undoes a change made on its group), old ECS services
    // through their desired counts, each at the units the budget leaves it, and waits for its
    // targets to drain; where the old side is small the new side starts smaller instead.
    for path in [
        "../../playbooks/asg.yaml",
        "../../playbooks/beanstalk.yaml",
        "../../playbooks/demo.yaml",
    ] {
        let (plan, old_units) = one_pool_short(path);
        assert!(old_units >= 2, "{path}: the old side runs {old_units}");
        for seed in [1, 2] {
            let r = run(&plan, seed);
            r.completed_without_failed_requests()
                .unwrap_or_else(|e| panic!("{path} seed {seed}: {e}"));
            let shrink = r.timeline.iter().find(|s| s.step == "shrink-old-side");
            assert!(
                shrink.is_some_and(|s| s.outcome == "done"),
                "{path} seed {seed}: {shrink:?}"
            );
        }
        // The mutation: the same plan without the budget steps (the old side at full size and
        // the new services at their desired counts) loses requests.
        let unsequenced = without_the_budget(&plan);
        let failing = [1, 2, 3]
            .into_iter()
            .filter(|&seed| run(&unsequenced, seed).traffic.failed() > 0)
            .count();
        assert!(
            failing > 0,
            "{path}: without the budget steps no request failed"
        );
    }
}

/// The simulator's clients cost no CPU, so target tracking never scales a new service out here:
/// what keeps a scale-out from taking connections the budget did not count is checked on the
/// registration itself. Under a declared limit the scalable target is registered pinned at the
/// start count and gets the playbook's bounds only from grow-new-side, after the scale-down.
#[tokio::test(start_paused = true)]
async fn the_new_services_scaling_is_pinned_through_the_overlap_and_released_after() {
    let playbook = playbook_with_budget(ENOUGH);
    let (sim, store, _) = engine_support::setup(&playbook);
    assert_eq!(
        engine_support::apply(&sim, &store).await.unwrap(),
        RunOutcome::Completed
    );
    let state = engine_support::load(&store);
    let registered = &state
        .steps
        .iter()
        .find(|s| s.id == "create-service-scaling:web")
        .and_then(|s| s.intent.as_ref())
        .unwrap()
        .recorded;
    let scaling = playbook
        .target
        .services
        .iter()
        .find(|s| s.name == "web")
        .and_then(|s| s.scaling.clone())
        .unwrap();
    assert!(scaling.max_count > scaling.min_count, "{scaling:?}");
    assert_eq!(registered["min_count"], scaling.min_count, "{registered}");
    assert_eq!(registered["max_count"], scaling.min_count, "{registered}");
    let target = sim
        .cloud()
        .service_scaling
        .find_target(registered["resource_id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (target.min_count, target.max_count),
        (scaling.min_count, scaling.max_count)
    );
}
