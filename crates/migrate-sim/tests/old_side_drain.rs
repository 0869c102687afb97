//! The drain judges each old target group, with proof that CloudWatch has published the window
//! (issue 15, item 3), on an account whose old load balancer is scanned and whose metrics are
//! published late. Each fix has a mutation that shows a property fails without it: the drain
//! read as the whole load balancer never ends while scanners call it, and "no data points" read
//! as zero scales the old side down while clients still use it.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::Duration;

use migrate_plan::Plan;
use migrate_playbook::Playbook;
use migrate_sim::harness::{self, RunReport, Scenario};
use migrate_sim::{DrainReading, FaultProfile, Topology};

/// The demo with a drain that gives up after 30 minutes, so that a drain that cannot end fails
/// within a short simulated time.
fn demo_plan() -> Plan {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    let mut playbook = Playbook::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
    playbook.drain.timeout = Duration::from_secs(30 * 60);
    migrate_plan::build(&playbook)
}

/// Scanners send three requests a minute to the old load balancer's own name.
fn scanned(plan: &Plan) -> Topology {
    let mut topology = Topology::from_plan(plan).unwrap();
    topology.old_side.scanner_requests_per_minute = 3;
    topology
}

/// CloudWatch five minutes late (it happens), and a quarter of the clients keeping DNS answers
/// for ten minutes.
fn late_metrics() -> FaultProfile {
    FaultProfile {
        metric_delay_ms: 300_000,
        sticky_clients: 0.25,
        sticky_hold_ms: 600_000,
        ..FaultProfile::none()
    }
}

fn run(plan: &Plan, scenario: &Scenario, topology: Topology) -> RunReport {
    harness::run_on(plan, scenario, topology).unwrap()
}

fn completed_without_a_failed_request(r: &RunReport) -> Result<(), String> {
    r.apply
        .clone()
        .map_err(|e| format!("the apply did not complete: {e}"))?;
    if r.audit.old_asg_desired != 0 {
        return Err(format!("the old side was not scaled down: {:?}", r.audit));
    }
    r.traffic.none_failed()
}

const SEEDS: [u64; 3] = [1, 2, 3];

#[test]
fn scanners_on_the_old_load_balancer_do_not_hold_up_the_drain() {
    let plan = demo_plan();
    for seed in SEEDS {
        let r = run(
            &plan,
            &Scenario::new(seed, FaultProfile::none()),
            scanned(&plan),
        );
        completed_without_a_failed_request(&r).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    }
}

#[test]
fn mutation_draining_the_whole_load_balancer_never_ends_with_scanners() {
    let plan = demo_plan();
    for seed in SEEDS {
        let scenario = Scenario {
            drain_reading: Some(DrainReading::WholeLoadBalancer),
            ..Scenario::new(seed, FaultProfile::none())
        };
        let r = run(&plan, &scenario, scanned(&plan));
        let error = r
            .apply
            .as_ref()
            .expect_err("a drain on the whole load balancer cannot end while scanners call it");
        assert!(error.contains("drain"), "seed {seed}: {error}");
        assert_ne!(r.audit.old_asg_desired, 0, "seed {seed}");
    }
}

#[test]
fn late_metrics_do_not_end_the_drain_early() {
    let plan = demo_plan();
    for seed in SEEDS {
        let r = run(
            &plan,
            &Scenario::new(seed, late_metrics()),
            Topology::from_plan(&plan).unwrap(),
        );
        completed_without_a_failed_request(&r).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    }
}

#[test]
fn mutation_counting_no_data_as_zero_scales_down_too_early_and_loses_requests() {
    let plan = demo_plan();
    for seed in SEEDS {
        let scenario = Scenario {
            drain_reading: Some(DrainReading::NoDataIsZero),
            ..Scenario::new(seed, late_metrics())
        };
        let r = run(&plan, &scenario, Topology::from_plan(&plan).unwrap());
        assert!(
            r.apply.is_ok(),
            "seed {seed}: the mutated drain completes: {:?}",
            r.apply
        );
        assert!(
            r.traffic.old.failed > 0,
            "seed {seed}: scaling down on unpublished metrics lost no request: {:?}",
            r.traffic
        );
    }
}
