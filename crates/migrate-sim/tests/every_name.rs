//! Every name that reaches the old load balancer moves (issue 15, item 1): an account whose old
//! load balancer is dual-stack, reached by an `AAAA` alias that IPv6 clients follow, and by a
//! private zone of the same name that clients inside the VPC resolve through. Both populations
//! call periodically, so a name left on the old side does not hold the drain open: its clients
//! come back after the scale-down and fail.
//!
//! The mutation: discovery as it was before, seeing only the cutover name's `A` record
//! (`Topology::hide_other_records_from_discovery`), must make `no_failed_requests` fail; the full
//! move must pass it, and a rollback must give every client the old side back.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use migrate_plan::Plan;
use migrate_playbook::Playbook;
use migrate_sim::harness::{self, Afterwards, RunReport, Scenario};
use migrate_sim::traffic::PathKind;
use migrate_sim::{FaultProfile, Topology};

fn demo_plan() -> Plan {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    let playbook = Playbook::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
    migrate_plan::build(&playbook)
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

#[test]
fn mutation_moving_only_the_playbook_name_loses_ipv6_and_private_zone_clients() {
    let plan = demo_plan();
    let mut caught = 0;
    for seed in SEEDS {
        let mut topology = every_name(&plan);
        topology.hide_other_records_from_discovery = true;
        let r = run(&plan, &Scenario::new(seed, FaultProfile::none()), topology);
        if failed_requests(&r) > 0 {
            caught += 1;
            // The lost requests are those of the clients left on the old side.
            let first = r.traffic.first_failures.first().expect("a failure is kept");
            assert_eq!(
                first.path,
                PathKind::Old,
                "seed {seed}: the first failure is not on the old side: {first:?}"
            );
            eprintln!(
                "seed {seed}: {} failed, first {first:?}",
                failed_requests(&r)
            );
        }
    }
    eprintln!(
        "moving only the playbook's name: caught in {caught} of {} seeds",
        SEEDS.count()
    );
    assert_eq!(
        caught,
        SEEDS.count(),
        "moving only the playbook's name lost no request in {} seeds",
        SEEDS.count() - caught
    );
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
