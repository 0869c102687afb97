//! Every name that reaches the old load balancer moves (issue 15, item 1): an account whose old
//! load balancer is dual-stack, reached by an `AAAA` alias that IPv6 clients follow, and by a
//! private zone of the same name that clients inside the VPC resolve through. Both populations
//! call periodically, so a name left on the old side does not hold the drain open: its clients
//! come back after the scale-down and fail.
//!
//! The mutations: discovery blind to the `AAAA` records, to the other zones, or to both (as it was
//! before, seeing only the cutover name's `A` record), must each lose requests; the full move,
//! by alias or by a weighted ramp, must lose none, and a rollback must give every client the old
//! side back.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use migrate_plan::Plan;
use migrate_playbook::Playbook;
use migrate_sim::harness::{self, Afterwards, RunReport, Scenario};
use migrate_sim::traffic::PathKind;
use migrate_sim::{FaultProfile, Topology};

fn demo_playbook() -> Playbook {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    Playbook::from_path(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn demo_plan() -> Plan {
    migrate_plan::build(&demo_playbook())
}

fn every_name(plan: &Plan) -> Topology {
    Topology::from_plan(plan).unwrap().with_every_name()
}

fn run(plan: &Plan, scenario: &Scenario, topology: Topology) -> RunReport {
    harness::run_on(plan, scenario, topology).unwrap_or_else(|e| panic!("{e}"))
}

fn failed_requests(r: &RunReport) -> u64 {
    r.traffic.failed()
}

const SEEDS: std::ops::RangeInclusive<u64> = 1..=6;

#[test]
fn moving_every_name_fails_no_request() {
    let plan = demo_plan();
    for seed in SEEDS {
        let r = run(
            &plan,
            &Scenario::new(seed, FaultProfile::none()),
            every_name(&plan),
        );
        r.apply
            .as_ref()
            .unwrap_or_else(|e| panic!("seed {seed}: the apply did not complete: {e}"));
        assert_eq!(
            failed_requests(&r),
            0,
            "seed {seed}: requests failed; first: {:?}",
            r.traffic.first_failures.first()
        );
        assert!(
            r.traffic.new.served > 0,
            "seed {seed}: the new side served nothing"
        );
    }
}

/// Runs the plan on the every-name account with discovery blinded by `blind`; answers in how
/// many seeds requests failed, checking that the failures are on the old side.
fn caught_with(plan: &Plan, what: &str, blind: fn(&mut Topology)) -> usize {
    let mut caught = 0;
    for seed in SEEDS {
        let mut topology = every_name(plan);
        blind(&mut topology);
        let r = run(plan, &Scenario::new(seed, FaultProfile::none()), topology);
        if failed_requests(&r) > 0 {
            caught += 1;
            // The lost requests are those of the clients left on the old side.
            let first = r.traffic.first_failures.first().expect("a failure is kept");
            assert_eq!(
                first.path,
                PathKind::Old,
                "seed {seed}: the first failure is not on the old side: {first:?}"
            );
        }
    }
    eprintln!("{what}: caught in {caught} of {} seeds", SEEDS.count());
    caught
}

#[test]
fn mutation_moving_only_the_playbook_name_loses_ipv6_and_private_zone_clients() {
    let plan = demo_plan();
    let caught = caught_with(&plan, "moving only the playbook's A record", |t| {
        t.hide_aaaa_from_discovery = true;
        t.hide_other_zones_from_discovery = true;
    });
    assert_eq!(caught, SEEDS.count());
}

#[test]
fn mutation_leaving_the_aaaa_record_loses_ipv6_clients() {
    let plan = demo_plan();
    let caught = caught_with(&plan, "leaving the AAAA record", |t| {
        t.hide_aaaa_from_discovery = true;
    });
    assert_eq!(caught, SEEDS.count());
}

#[test]
fn mutation_leaving_the_private_zone_loses_its_clients() {
    let plan = demo_plan();
    let caught = caught_with(&plan, "leaving the private zone", |t| {
        t.hide_other_zones_from_discovery = true;
    });
    assert_eq!(caught, SEEDS.count());
}

#[test]
fn a_weighted_ramp_moves_every_name_without_a_failed_request() {
    let mut playbook = demo_playbook();
    playbook.cutover.strategy = migrate_playbook::CutoverStrategy::Weighted {
        steps: vec![10, 50, 100],
        bake: std::time::Duration::from_secs(120),
    };
    let plan = migrate_plan::build(&playbook);
    for seed in SEEDS {
        let r = run(
            &plan,
            &Scenario::new(seed, FaultProfile::none()),
            every_name(&plan),
        );
        r.apply
            .as_ref()
            .unwrap_or_else(|e| panic!("seed {seed}: the apply did not complete: {e}"));
        assert_eq!(
            failed_requests(&r),
            0,
            "seed {seed}: requests failed; first: {:?}",
            r.traffic.first_failures.first()
        );
    }
    // And the ramp is caught leaving a name behind, as the alias cutover is.
    let caught = caught_with(&plan, "a weighted ramp leaving the private zone", |t| {
        t.hide_other_zones_from_discovery = true;
    });
    assert_eq!(caught, SEEDS.count());
}

#[test]
fn a_rollback_gives_every_name_back_to_the_old_side() {
    let plan = demo_plan();
    for seed in SEEDS {
        let mut scenario = Scenario::new(seed, FaultProfile::none());
        scenario.afterwards = Afterwards::Rollback;
        let r = run(&plan, &scenario, every_name(&plan));
        match &r.rollback {
            Some(Ok(())) => {}
            other => panic!("seed {seed}: the rollback did not complete: {other:?}"),
        }
        assert!(
            r.audit.inventory.is_empty(),
            "seed {seed}: the rollback left {:?}",
            r.audit.inventory
        );
        // A name the rollback left on the new load balancer sends its clients to a load balancer
        // the rollback deleted.
        assert_eq!(
            failed_requests(&r),
            0,
            "seed {seed}: requests failed; first: {:?}",
            r.traffic.first_failures.first()
        );
    }
}

#[test]
fn moving_every_name_under_faults_fails_no_request() {
    // Under chaos some resolvers ignore TTLs for ten minutes: a periodic client that resolved
    // the old side just before the cutover comes back to it after its five-minute pause. A drain
    // whose zero-traffic window (the demo's 2 minutes) is shorter than that pause ends during it,
    // and the scale-down then cuts the client off even though every name moved; the window must
    // outlast the longest pause of any client, so this run sets 7 minutes.
    let mut playbook = demo_playbook();
    playbook.drain.zero_traffic_window = std::time::Duration::from_secs(7 * 60);
    let plan = migrate_plan::build(&playbook);
    let seeds = std::env::var("MIGRATE_SIM_SEEDS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(12u64);
    let mut violations = Vec::new();
    for seed in 1..=seeds {
        let r = run(
            &plan,
            // Every fourth seed under chaos, as the properties run.
            &Scenario::new(
                seed,
                if seed % 4 == 0 {
                    FaultProfile::chaos()
                } else {
                    FaultProfile::default_profile()
                },
            ),
            every_name(&plan),
        );
        if let Err(e) = &r.apply {
            violations.push(format!("seed {seed}: the apply did not complete: {e}"));
        } else if failed_requests(&r) > 0 {
            violations.push(format!(
                "seed {seed}: {} requests failed; first: {:?}",
                failed_requests(&r),
                r.traffic.first_failures.first()
            ));
        }
    }
    eprintln!(
        "every name under faults: {seeds} seeds, {} violations",
        violations.len()
    );
    assert!(violations.is_empty(), "{violations:#?}");
}
