//! Plain EC2 instances (an `ec2` source, issue 10 item 4): stopped after the drain, started by a
//! rollback that waits until their targets are healthy before traffic goes back. Each part has a
//! mutation that makes a property fail: the account ignoring `StopInstances` or
//! `StartInstances` (as if the step had not made them), and the stop moved before the drain.
//! Instances the migration must not stop are refused before anything is created.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use migrate_plan::{Action, Plan};
use migrate_playbook::Playbook;
use migrate_sim::audit::DnsTarget;
use migrate_sim::harness::{self, Afterwards, RunReport, Scenario};
use migrate_sim::{FaultProfile, LeftOut, PlainInstance, Topology};

fn ec2_plan() -> Plan {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/ec2.yaml");
    let playbook = Playbook::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
    migrate_plan::build(&playbook)
}

fn run(plan: &Plan, scenario: &Scenario, topology: Topology) -> RunReport {
    harness::run_on(plan, scenario, topology).unwrap()
}

const SEEDS: [u64; 3] = [1, 2, 3];

/// A completed migration stopped every old instance and failed no request.
fn stopped_and_served(r: &RunReport) -> Result<(), String> {
    r.apply
        .clone()
        .map_err(|e| format!("the apply did not complete: {e}"))?;
    if r.audit.old_instances_running != 0 {
        return Err(format!(
            "{} old instances still run after the migration",
            r.audit.old_instances_running
        ));
    }
    no_failures(r)
}

/// A rollback after the stop brought every instance back, the name to the old load balancer,
/// and no request failed on the way.
fn restored_and_served(r: &RunReport, instances: u32) -> Result<(), String> {
    match &r.rollback {
        Some(Ok(())) => {}
        Some(Err(e)) => return Err(format!("the rollback failed: {e}")),
        None => return Err("no rollback ran".into()),
    }
    if r.audit.dns_target != DnsTarget::Old {
        return Err(format!("the name points at {:?}", r.audit.dns_target));
    }
    if r.audit.old_instances_running != instances {
        return Err(format!(
            "{}/{instances} old instances run after the rollback",
            r.audit.old_instances_running
        ));
    }
    no_failures(r)
}

/// A completed apply of seed `seed`, then its rollback, with the calls `left_out` ignored by
/// the account; checked by [`restored_and_served`].
fn apply_then_roll_back(plan: &Plan, seed: u64, left_out: &[LeftOut]) -> Result<(), String> {
    let topology = Topology::from_plan(plan).unwrap();
    let instances = topology.plain_instances.len() as u32;
    let scenario = Scenario {
        afterwards: Afterwards::Rollback,
        left_out: left_out.to_vec(),
        ..Scenario::new(seed, FaultProfile::none())
    };
    restored_and_served(&run(plan, &scenario, topology), instances)
}

fn no_failures(r: &RunReport) -> Result<(), String> {
    r.traffic.none_failed()
}

#[test]
fn the_old_instances_are_stopped_after_the_drain_and_no_request_fails() {
    let plan = ec2_plan();
    assert!(plan
        .steps
        .iter()
        .any(|s| s.action == Action::StopOldInstances));
    for seed in SEEDS {
        let topology = Topology::from_plan(&plan).unwrap();
        let r = run(&plan, &Scenario::new(seed, FaultProfile::none()), topology);
        stopped_and_served(&r).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    }
}

#[test]
fn a_rollback_starts_them_and_sends_traffic_back_once_they_are_healthy() {
    let plan = ec2_plan();
    for seed in SEEDS {
        apply_then_roll_back(&plan, seed, &[]).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    }
}

#[test]
fn mutation_without_stop_instances_the_old_side_keeps_running() {
    let plan = ec2_plan();
    for seed in SEEDS {
        let scenario = Scenario {
            left_out: vec![LeftOut::StopInstances],
            ..Scenario::new(seed, FaultProfile::none())
        };
        let r = run(&plan, &scenario, Topology::from_plan(&plan).unwrap());
        let why = stopped_and_served(&r)
            .expect_err("leaving out StopInstances went unnoticed")
            .to_string();
        assert!(why.contains("stop-old-instances"), "seed {seed}: {why}");
    }
}

#[test]
fn mutation_without_start_instances_the_rollback_cannot_restore_the_old_side() {
    let plan = ec2_plan();
    for seed in SEEDS {
        let why = apply_then_roll_back(&plan, seed, &[LeftOut::StartInstances])
            .expect_err("leaving out StartInstances went unnoticed");
        assert!(why.contains("rollback failed"), "seed {seed}: {why}");
    }
}

#[test]
fn mutation_stopping_before_the_drain_fails_requests() {
    let mut plan = ec2_plan();
    let stop = plan
        .steps
        .iter()
        .position(|s| s.action == Action::StopOldInstances)
        .unwrap();
    let step = plan.steps.remove(stop);
    // Right after the cutover: before the guard's watch, which waits as long as a drain.
    let drain = plan
        .steps
        .iter()
        .position(|s| matches!(s.action, Action::WatchNewSide { .. } | Action::Drain))
        .unwrap();
    plan.steps.insert(drain, step);
    for seed in SEEDS {
        let r = run(
            &plan,
            &Scenario::new(seed, FaultProfile::none()),
            Topology::from_plan(&plan).unwrap(),
        );
        let why = no_failures(&r).expect_err("stopping before the drain went unnoticed");
        assert!(why.contains("requests failed"), "seed {seed}: {why}");
    }
}

/// Discovery refuses, and nothing is created: the account is left as it was.
fn refused(topology: Topology) -> String {
    let plan = ec2_plan();
    let r = run(&plan, &Scenario::new(1, FaultProfile::none()), topology);
    let error = r
        .apply
        .expect_err("the apply went on with an instance it cannot stop");
    assert!(error.contains("discover-source"), "{error}");
    assert!(
        r.audit.inventory.is_empty(),
        "created before the refusal: {:?}",
        r.audit.inventory
    );
    assert_eq!(r.audit.dns_target, DnsTarget::Old);
    error
}

#[test]
fn an_instance_store_instance_is_refused_before_anything_changes() {
    let mut topology = Topology::from_plan(&ec2_plan()).unwrap();
    topology.plain_instances[1].instance_store = true;
    let error = refused(topology);
    assert!(error.contains("instance-store"), "{error}");
}

#[test]
fn an_instance_an_auto_scaling_group_launched_is_refused_before_anything_changes() {
    let mut topology = Topology::from_plan(&ec2_plan()).unwrap();
    topology.plain_instances[0] = PlainInstance {
        launched_by_group: Some("ledger-spot".into()),
        ..topology.plain_instances[0].clone()
    };
    let error = refused(topology);
    assert!(error.contains("Auto Scaling group ledger-spot"), "{error}");
}

#[test]
fn a_listed_instance_that_does_not_exist_is_refused_before_anything_changes() {
    let mut topology = Topology::from_plan(&ec2_plan()).unwrap();
    topology.plain_instances.pop();
    let error = refused(topology);
    assert!(error.contains("does not exist"), "{error}");
}

#[test]
fn without_a_list_the_instances_are_found_in_the_old_target_group() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/ec2.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let listed = "    instances: [i-0a1b2c3d4e5f60001, i-0a1b2c3d4e5f60002]\n";
    assert!(text.contains(listed));
    let without = text.replace(listed, "").replace("  ec2:\n", "");
    let playbook = Playbook::from_yaml(
        &without,
        "ec2.yaml",
        &migrate_playbook::Directory(path.parent().unwrap()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let plan = migrate_plan::build(&playbook);
    let r = run(
        &plan,
        &Scenario::new(4, FaultProfile::none()),
        Topology::from_plan(&plan).unwrap(),
    );
    stopped_and_served(&r).unwrap();
    apply_then_roll_back(&plan, 5, &[]).unwrap();
}
