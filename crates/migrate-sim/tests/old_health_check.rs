//! A playbook that names no health check gets the old target group's (issue 15, item 2): the
//! old side's check is the one known to pass for this application. The simulated app answers
//! `200` only on `/healthz` and sends every other path to its sign-in page (`302`), as an app
//! behind a login does; its old target group checks `/healthz`. The mutation judges the new
//! targets with the playbook's defaults (`/`, `200`) instead: they never become healthy, and the
//! health gate stops the apply before any traffic moves.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod engine_support;

use migrate_plan::Plan;
use migrate_playbook::Playbook;
use migrate_sim::harness::{self, RunReport, Scenario};
use migrate_sim::{FaultProfile, Topology};

use engine_support::demo_playbook;

const SEEDS: [u64; 2] = [1, 2];

/// The demo playbook as if it named no health check: the defaults, to be replaced by the old
/// target group's.
fn without_a_health_check() -> Playbook {
    let mut playbook = demo_playbook();
    for service in &mut playbook.target.services {
        if let Some(web) = service.web.as_mut() {
            web.health_check.path = "/".into();
            web.health_check.codes = "200".into();
            web.health_check_from_old_side = true;
        }
    }
    playbook
}

/// The mutation: the defaults are used as they are, as the engine did before it copied.
fn with_the_defaults() -> Playbook {
    let mut playbook = without_a_health_check();
    for service in &mut playbook.target.services {
        if let Some(web) = service.web.as_mut() {
            web.health_check_from_old_side = false;
        }
    }
    playbook
}

fn behind_a_login(plan: &Plan) -> Topology {
    let mut topology = Topology::from_plan(plan).unwrap();
    topology.old_health_check.path = "/healthz".into();
    topology.old_health_check.matcher = "200".into();
    topology.app_health_path = Some("/healthz".into());
    topology
}

fn run(playbook: &Playbook, seed: u64) -> RunReport {
    let plan = migrate_plan::build(playbook);
    harness::run_on(
        &plan,
        &Scenario::new(seed, FaultProfile::none()),
        behind_a_login(&plan),
    )
    .unwrap()
}

#[test]
fn the_new_target_group_checks_what_the_old_one_checked() {
    for seed in SEEDS {
        let r = run(&without_a_health_check(), seed);
        assert_eq!(r.apply, Ok(()), "seed {seed}");
        assert_eq!(r.traffic.failed(), 0, "seed {seed}: {:?}", r.traffic);
    }
}

#[test]
fn mutation_with_the_playbook_defaults_the_new_targets_never_pass() {
    for seed in SEEDS {
        let r = run(&with_the_defaults(), seed);
        let why = r
            .apply
            .expect_err("a health check the app fails went unnoticed");
        assert!(
            why.contains("verify-health") && why.contains("never became healthy"),
            "seed {seed}: {why}"
        );
        // The gate stopped it before any traffic moved to the new side.
        assert_eq!(r.traffic.failed(), 0, "seed {seed}: {:?}", r.traffic);
    }
}
