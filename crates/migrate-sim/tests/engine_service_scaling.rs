//! The new web service's Application Auto Scaling target: its bounds, where its CPU target comes
//! from, and its rollback. (Why these tests live in this crate: `engine_support/mod.rs`.)

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod engine_support;

use engine_support::*;
use migrate_engine::RunOutcome;
use migrate_playbook::CpuTarget;

fn web_target(plan: &migrate_plan::Plan) -> String {
    format!(
        "service/{}/{}",
        plan.names.cluster, plan.names.services["web"]
    )
}

fn targets_of(sim: &migrate_sim::Simulation, resource_id: &str) -> Vec<String> {
    sim.snapshot()
        .scalable_targets
        .into_iter()
        .filter(|t| t.starts_with(&format!("{resource_id} ")))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn the_web_service_scales_on_the_old_groups_cpu_target_and_the_rollback_removes_it() {
    let playbook = demo_playbook();
    let (sim, store, plan) = setup(&playbook);
    // The seeded old group tracks average CPU at 50 %.
    assert_eq!(sim.topology().asg_cpu_target_percent, Some(50));
    assert_eq!(apply(&sim, &store).await.unwrap(), RunOutcome::Completed);

    let id = web_target(&plan);
    assert_eq!(
        targets_of(&sim, &id),
        vec![format!("{id} 2..8 [shop-web-cpu@50%] (plan {})", plan.id)]
    );
    // Workers get no target unless the playbook asks.
    assert_eq!(sim.snapshot().scalable_targets.len(), 1);

    assert_eq!(rollback(&sim, &store).await.unwrap(), RunOutcome::Completed);
    assert!(targets_of(&sim, &id).is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_old_side_without_a_policy_gives_bounds_only() {
    let playbook = demo_playbook();
    let (sim, store, plan) = setup_old_side(&playbook, |t| t.asg_cpu_target_percent = None);
    assert_eq!(apply(&sim, &store).await.unwrap(), RunOutcome::Completed);
    let id = web_target(&plan);
    assert_eq!(
        targets_of(&sim, &id),
        vec![format!("{id} 2..8 [] (plan {})", plan.id)]
    );
}

#[tokio::test(start_paused = true)]
async fn the_playbooks_cpu_target_and_maximum_win_over_the_old_side() {
    let mut playbook = demo_playbook();
    let scaling = playbook.target.services[0].scaling.as_mut().unwrap();
    scaling.max_count = 5;
    scaling.cpu_target = CpuTarget::Percent(70);
    let (sim, store, plan) = setup(&playbook);
    assert_eq!(apply(&sim, &store).await.unwrap(), RunOutcome::Completed);
    let id = web_target(&plan);
    assert_eq!(
        targets_of(&sim, &id),
        vec![format!("{id} 2..5 [shop-web-cpu@70%] (plan {})", plan.id)]
    );
}

#[tokio::test(start_paused = true)]
async fn scaling_turned_off_plans_no_step_and_registers_nothing() {
    let mut playbook = demo_playbook();
    playbook.target.services[0].scaling = None;
    let (sim, store, plan) = setup(&playbook);
    assert!(plan
        .steps
        .iter()
        .all(|s| !s.id.starts_with("create-service-scaling")));
    assert_eq!(apply(&sim, &store).await.unwrap(), RunOutcome::Completed);
    assert!(sim.snapshot().scalable_targets.is_empty());
}

/// AWS moves an active service's count into a newly registered range at once; the simulator
/// does too, which is why the step's minimum is the plan's desired count and why validation
/// refuses a `max_count` below it.
#[tokio::test(start_paused = true)]
async fn registering_a_range_moves_an_active_services_count_into_it() {
    use migrate_engine::ports::{ecs_service_resource_id, ScalableTargetSpec, Tags};
    let (sim, _, _) = setup(&demo_playbook());
    let old = sim.topology();
    let cluster = old.old_cluster.clone().unwrap();
    let web = &old.old_services[0];
    assert_eq!(web.desired, 2);
    let cloud = sim.cloud();
    let spec = |min_count, max_count| ScalableTargetSpec {
        resource_id: ecs_service_resource_id(&cluster, &web.name),
        min_count,
        max_count,
        tags: Tags::new(),
    };
    cloud
        .service_scaling
        .register_target(&spec(0, 1))
        .await
        .unwrap();
    assert_eq!(
        sim.snapshot().service(&cluster, &web.name).unwrap().desired,
        1
    );
    cloud
        .service_scaling
        .register_target(&spec(3, 6))
        .await
        .unwrap();
    assert_eq!(
        sim.snapshot().service(&cluster, &web.name).unwrap().desired,
        3
    );
    // A minimum above the maximum is refused, as AWS refuses it.
    assert!(cloud
        .service_scaling
        .register_target(&spec(4, 2))
        .await
        .is_err());
}
