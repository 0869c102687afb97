//! A Beanstalk environment's capacity changes through Elastic Beanstalk (issue 15, item 5): the
//! scale-down sets the environment's `aws:autoscaling:asg` `MinSize`/`MaxSize` to 1 with
//! `UpdateEnvironment`, so Elastic Beanstalk's next environment update (the simulator runs one
//! every two minutes) leaves the old side at its one instance; the rollback restores the recorded
//! settings. The mutation scales the environment's Auto Scaling group directly, as the tool did
//! before: the next environment update brings the old side back.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod engine_support;

use std::path::Path;

use migrate_engine::ports::EnvironmentCapacity;
use migrate_plan::{Action, Plan};
use migrate_playbook::Playbook;
use migrate_sim::audit::DnsTarget;
use migrate_sim::harness::{self, Afterwards, RunReport, Scenario};
use migrate_sim::{FaultProfile, OldSideBehaviour, Topology};

use engine_support::{apply, rollback, setup_old_side};

fn beanstalk_playbook() -> Playbook {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/beanstalk.yaml");
    Playbook::from_path(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// Elastic Beanstalk updates the environment every two minutes (deployments, managed updates).
fn with_updates(plan: &Plan) -> Topology {
    let mut topology = Topology::from_plan(plan).unwrap();
    topology.old_side = OldSideBehaviour {
        beanstalk_update_every_secs: Some(120),
        ..OldSideBehaviour::default()
    };
    topology
}

/// The plan as the tool made it before: the environment's group scaled directly.
fn scaling_the_group_directly(mut plan: Plan) -> Plan {
    let step = plan
        .steps
        .iter_mut()
        .find(|s| s.action == Action::ScaleDownBeanstalkEnvironment)
        .expect("a beanstalk plan scales the environment down");
    step.id = "scale-down-old-auto-scaling-group".into();
    step.action = Action::ScaleDownAutoScalingGroup;
    plan
}

/// The property: after a completed apply and the settle period, the old side runs the one
/// instance Elastic Beanstalk keeps, and no request failed.
fn stays_at_one(r: &RunReport) -> Result<(), String> {
    r.apply
        .clone()
        .map_err(|e| format!("the apply did not complete: {e}"))?;
    if r.audit.old_asg_desired != 1 {
        return Err(format!(
            "the old side came back after the scale-down: the environment's group wants {} \
             instances",
            r.audit.old_asg_desired
        ));
    }
    if r.traffic.failed() > 0 {
        return Err(format!("{} requests failed", r.traffic.failed()));
    }
    Ok(())
}

const SEEDS: [u64; 2] = [1, 2];

#[test]
fn the_environment_stays_at_one_instance_through_its_updates() {
    let plan = migrate_plan::build(&beanstalk_playbook());
    for seed in SEEDS {
        let r = harness::run_on(
            &plan,
            &Scenario::new(seed, FaultProfile::none()),
            with_updates(&plan),
        )
        .unwrap();
        stays_at_one(&r).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    }
}

#[test]
fn a_rollback_restores_the_environment_and_serves_from_it() {
    let plan = migrate_plan::build(&beanstalk_playbook());
    for seed in SEEDS {
        let scenario = Scenario {
            afterwards: Afterwards::Rollback,
            ..Scenario::new(seed, FaultProfile::none())
        };
        let r = harness::run_on(&plan, &scenario, with_updates(&plan)).unwrap();
        assert_eq!(r.rollback, Some(Ok(())), "seed {seed}");
        assert_eq!(r.audit.dns_target, DnsTarget::Old, "seed {seed}");
        assert!(r.audit.old_asg_desired > 1, "seed {seed}: {:?}", r.audit);
        assert_eq!(r.traffic.failed(), 0, "seed {seed}: {:?}", r.traffic);
    }
}

#[test]
fn mutation_scaling_the_environments_group_directly_is_undone_by_beanstalk() {
    let plan = scaling_the_group_directly(migrate_plan::build(&beanstalk_playbook()));
    for seed in SEEDS {
        let r = harness::run_on(
            &plan,
            &Scenario::new(seed, FaultProfile::none()),
            with_updates(&plan),
        )
        .unwrap();
        match stays_at_one(&r) {
            Ok(()) => panic!("seed {seed}: scaling Beanstalk's group directly went unnoticed"),
            Err(why) => assert!(why.contains("came back"), "seed {seed}: {why}"),
        }
    }
}

/// On the engine's instant account: the environment's settings are 1/1 after the apply and the
/// recorded ones after the rollback, and the account is the one before.
#[tokio::test(start_paused = true)]
async fn the_rollback_restores_the_recorded_settings() {
    let (sim, store, _) = setup_old_side(&beanstalk_playbook(), |_| {});
    let cloud = sim.cloud();
    let environment = sim.topology().beanstalk_environment.unwrap();
    let before_settings = cloud
        .environments
        .capacity_settings(&environment)
        .await
        .unwrap();
    let before = sim.snapshot();

    apply(&sim, &store).await.unwrap();
    assert_eq!(
        cloud
            .environments
            .capacity_settings(&environment)
            .await
            .unwrap(),
        EnvironmentCapacity { min: 1, max: 1 }
    );

    rollback(&sim, &store).await.unwrap();
    assert_eq!(
        cloud
            .environments
            .capacity_settings(&environment)
            .await
            .unwrap(),
        before_settings
    );
    assert_eq!(sim.snapshot(), before);
}

/// Elastic Beanstalk refuses a `MinSize` below 1, and an update while another one runs.
#[tokio::test(start_paused = true)]
async fn beanstalk_refuses_zero_instances_and_an_update_during_an_update() {
    let (sim, _, _) = setup_old_side(&beanstalk_playbook(), |_| {});
    let cloud = sim.cloud();
    let environment = sim.topology().beanstalk_environment.unwrap();
    let zero = cloud
        .environments
        .update_capacity(&environment, EnvironmentCapacity { min: 0, max: 0 })
        .await
        .unwrap_err();
    assert!(zero.to_string().contains("MinSize"), "{zero}");
    cloud
        .environments
        .update_capacity(&environment, EnvironmentCapacity { min: 1, max: 1 })
        .await
        .unwrap();
    let busy = cloud
        .environments
        .update_capacity(&environment, EnvironmentCapacity { min: 2, max: 4 })
        .await
        .unwrap_err();
    assert!(busy.to_string().contains("Must be Ready"), "{busy}");
}
