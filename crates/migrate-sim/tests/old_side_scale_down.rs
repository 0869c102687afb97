//! The old side stays at zero once scaled down, and a rollback undoes exactly what the
//! scale-down did (issue 15, item 4), on an old side with its own scaling setup: a scheduled
//! action that raises the group, an alarm policy that raises it, instances protected from
//! scale-in, and an old ECS service whose Application Auto Scaling target has a minimum. For
//! each fix a mutation (the account ignores the call, as if the step had not made it) makes a
//! property fail.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod engine_support;

use std::path::Path;

use migrate_plan::Plan;
use migrate_playbook::Playbook;
use migrate_sim::audit::DnsTarget;
use migrate_sim::harness::{self, Afterwards, RunReport, Scenario};
use migrate_sim::{FaultProfile, LeftOut, OldSideBehaviour, ScheduledRaise, Topology};

use engine_support::{apply, demo_playbook, rollback, setup_old_side};

fn demo_plan() -> Plan {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    let playbook = Playbook::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
    migrate_plan::build(&playbook)
}

/// A business-hours schedule every two minutes, an alarm policy stuck in ALARM, one protected
/// instance and a minimum of 1 on the old web service's scalable target.
fn everything(instances: u32) -> OldSideBehaviour {
    OldSideBehaviour {
        scheduled_raise: Some(ScheduledRaise {
            every_secs: 120,
            capacity: instances,
        }),
        alarm_floor: Some(1),
        protected_instances: 1,
        old_service_min: Some(1),
        ..OldSideBehaviour::default()
    }
}

fn topology(plan: &Plan, behaviour: impl FnOnce(u32) -> OldSideBehaviour) -> Topology {
    let mut topology = Topology::from_plan(plan).unwrap();
    topology.old_side = behaviour(topology.asg_instances);
    topology
}

fn run(plan: &Plan, scenario: &Scenario, topology: Topology) -> RunReport {
    harness::run_on(plan, scenario, topology).unwrap()
}

/// The property this file adds: after a completed apply and the settle period, nothing of the
/// old side is wanted again.
fn stays_at_zero(r: &RunReport) -> Result<(), String> {
    r.apply
        .clone()
        .map_err(|e| format!("the apply did not complete: {e}"))?;
    if r.audit.old_asg_desired != 0 || r.audit.old_services_desired.values().any(|d| *d != 0) {
        return Err(format!(
            "the old side came back after the scale-down: asg desired {}, services {:?}",
            r.audit.old_asg_desired, r.audit.old_services_desired
        ));
    }
    r.traffic.none_failed()
}

const SEEDS: [u64; 2] = [1, 2];

#[test]
fn the_old_side_stays_at_zero_whatever_its_scaling_setup() {
    let plan = demo_plan();
    for seed in SEEDS {
        let r = run(
            &plan,
            &Scenario::new(seed, FaultProfile::none()),
            topology(&plan, everything),
        );
        stays_at_zero(&r).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    }
}

#[test]
fn a_rollback_after_the_scale_down_brings_the_old_side_back_and_serves() {
    let plan = demo_plan();
    for seed in SEEDS {
        let scenario = Scenario {
            afterwards: Afterwards::Rollback,
            ..Scenario::new(seed, FaultProfile::none())
        };
        let r = run(&plan, &scenario, topology(&plan, everything));
        assert_eq!(r.rollback, Some(Ok(())), "seed {seed}");
        assert_eq!(r.audit.dns_target, DnsTarget::Old, "seed {seed}");
        assert!(r.audit.old_asg_desired > 0, "seed {seed}: {:?}", r.audit);
        assert_eq!(r.traffic.failed(), 0, "seed {seed}: {:?}", r.traffic);
    }
}

/// The mutation: `left_out` on an old side with only `behaviour`; answers why the properties
/// failed, or an error when they held.
fn mutation(left_out: LeftOut, behaviour: &OldSideBehaviour) -> Vec<String> {
    let plan = demo_plan();
    SEEDS
        .iter()
        .map(|&seed| {
            let scenario = Scenario {
                left_out: vec![left_out],
                ..Scenario::new(seed, FaultProfile::none())
            };
            let r = run(&plan, &scenario, topology(&plan, |_| behaviour.clone()));
            match stays_at_zero(&r) {
                Ok(()) => panic!("seed {seed}: leaving out {left_out:?} went unnoticed"),
                Err(why) => why,
            }
        })
        .collect()
}

#[test]
fn mutation_without_suspending_scheduled_actions_the_group_comes_back() {
    let instances = Topology::seed_001().asg_instances;
    for why in mutation(
        LeftOut::SuspendProcesses,
        &OldSideBehaviour {
            scheduled_raise: Some(ScheduledRaise {
                every_secs: 120,
                capacity: instances,
            }),
            ..OldSideBehaviour::default()
        },
    ) {
        assert!(why.contains("came back"), "{why}");
    }
}

#[test]
fn mutation_without_suspending_alarm_notification_the_group_comes_back() {
    for why in mutation(
        LeftOut::SuspendProcesses,
        &OldSideBehaviour {
            alarm_floor: Some(1),
            ..OldSideBehaviour::default()
        },
    ) {
        // Raised again after the scale-down ended, or while it waited (then it gives up).
        assert!(
            why.contains("came back") || why.contains("raised the group again"),
            "{why}"
        );
    }
}

#[test]
fn mutation_without_clearing_scale_in_protection_the_scale_down_never_ends() {
    for why in mutation(
        LeftOut::ClearScaleInProtection,
        &OldSideBehaviour {
            protected_instances: 1,
            ..OldSideBehaviour::default()
        },
    ) {
        assert!(why.contains("did not terminate"), "{why}");
    }
}

#[test]
fn mutation_without_lowering_the_old_services_minimum_it_comes_back() {
    for why in mutation(
        LeftOut::OldServiceMinimum,
        &OldSideBehaviour {
            old_service_min: Some(1),
            ..OldSideBehaviour::default()
        },
    ) {
        assert!(why.contains("came back"), "{why}");
    }
}

/// On the engine's instant account: a process suspended before the run stays suspended, the
/// scalable target's bounds come back, and the account after the rollback is the one before.
#[tokio::test(start_paused = true)]
async fn rollback_resumes_only_what_the_scale_down_suspended() {
    let (sim, store, _) = setup_old_side(&demo_playbook(), |t| {
        t.old_side = everything(t.asg_instances);
    });
    let cloud = sim.cloud();
    let topology = sim.topology();
    let group = topology.asg_name.clone();
    // Someone suspended HealthCheck before the migration.
    cloud
        .scaling
        .suspend_processes(&group, &["HealthCheck".to_string()])
        .await
        .unwrap();
    let before = sim.snapshot();
    let web = topology
        .old_services
        .iter()
        .find(|s| s.load_balanced_container.is_some())
        .map(|s| s.name.clone())
        .unwrap();
    let resource_id = format!("service/{}/{web}", topology.old_cluster.unwrap_or_default());
    let target_before = cloud
        .service_scaling
        .find_target(&resource_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(target_before.min_count, 1);

    apply(&sim, &store).await.unwrap();
    let mut suspended = cloud.scaling.suspended_processes(&group).await.unwrap();
    suspended.sort();
    assert_eq!(
        suspended,
        vec![
            "AZRebalance",
            "AlarmNotification",
            "HealthCheck",
            "Launch",
            "ScheduledActions"
        ]
    );
    assert_eq!(
        cloud.scaling.protected_instances(&group).await.unwrap(),
        Vec::<String>::new()
    );
    let held = cloud
        .service_scaling
        .find_target(&resource_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held.min_count, 0, "the old service's minimum is lowered");
    assert_eq!(held.max_count, target_before.max_count);

    rollback(&sim, &store).await.unwrap();
    assert_eq!(
        cloud.scaling.suspended_processes(&group).await.unwrap(),
        vec!["HealthCheck".to_string()],
        "only what the scale-down suspended is resumed"
    );
    assert_eq!(
        cloud
            .service_scaling
            .find_target(&resource_id)
            .await
            .unwrap(),
        Some(target_before)
    );
    assert_eq!(sim.snapshot(), before);
}
