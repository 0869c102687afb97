//! `migrate cleanup` after a `listener` migration: the old load balancer forwards to the bridge
//! target group until clean-up deletes it, so requests through the bridge since the drain keep
//! it, and once it is gone the bridge group leaves the new web service (a rolling update) before
//! it is deleted. Without that, ELB deletes the group the service still registers in, and the
//! service's next task fails to register and never serves. (Why these tests live in this crate:
//! `engine_support/mod.rs`.)

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod engine_support;

use std::sync::Arc;
use std::time::Duration;

use engine_support::*;
use migrate_engine::cleanup::{Cleaner, Deletion};
use migrate_engine::ports::{ServiceStatus, TargetState};
use migrate_engine::{EngineError, NullReporter, RunOutcome};
use migrate_journal::MemoryStore;
use migrate_plan::Plan;
use migrate_playbook::{CutoverStrategy, Playbook};
use migrate_sim::{FaultProfile, Simulation, Topology, TrafficConfig};

const SOAK: Duration = Duration::from_secs(3600);

fn listener_playbook() -> Playbook {
    let mut playbook = demo_playbook();
    playbook.cutover.strategy = CutoverStrategy::Listener {
        steps: vec![10, 50, 100],
        bake: Duration::from_secs(60),
    };
    playbook.cleanup.soak = SOAK;
    playbook
}

/// The listener playbook over an account with clients, `profile`'s timings and no faults, its
/// migration applied and the soak over.
async fn migrated_with_traffic(profile: FaultProfile) -> (Simulation, MemoryStore, Plan) {
    let plan = migrate_plan::build(&listener_playbook());
    let topology = Topology::from_plan(&plan).unwrap();
    let sim = Simulation::new(3, topology, profile, &TrafficConfig::default());
    let store = planned_store(&sim, plan.clone());
    assert_eq!(apply(&sim, &store).await.unwrap(), RunOutcome::Completed);
    sim.idle(SOAK + Duration::from_secs(1)).await;
    (sim, store, plan)
}

fn cleaner(sim: &Simulation, store: &MemoryStore) -> Cleaner {
    Cleaner::new(sim.cloud(), Box::new(store.clone()), Arc::new(NullReporter))
        .expect("the stored state loads")
}

/// Discovers the clean-up, lets `edit` change what it found (a mutation), confirms and runs it.
async fn clean_up(
    sim: &Simulation,
    store: &MemoryStore,
    edit: impl FnOnce(&mut Vec<Deletion>),
) -> (Vec<Deletion>, Result<RunOutcome, EngineError>) {
    let mut cleanup = cleaner(sim, store);
    let mut found = cleanup.discover().await.unwrap();
    edit(&mut found.deletions);
    cleanup.confirm(&found, "tester@host", None).unwrap();
    let outcome = cleaner(sim, store).run().await;
    (found.deletions, outcome)
}

fn web_service(plan: &Plan) -> (String, String) {
    (
        plan.names.cluster.clone(),
        plan.names.services["web"].clone(),
    )
}

async fn web_status(sim: &Simulation, plan: &Plan) -> ServiceStatus {
    let (cluster, service) = web_service(plan);
    sim.cloud()
        .containers
        .find_service(&cluster, &service)
        .await
        .unwrap()
        .expect("the web service exists")
}

/// The web service has every task it wants running and healthy in the new load balancer's
/// target group, or what it lacks.
async fn web_serves_fully(sim: &Simulation, plan: &Plan) -> Result<(), String> {
    let cloud = sim.cloud();
    let status = web_status(sim, plan).await;
    let group = cloud
        .load_balancing
        .find_target_group(&plan.names.target_group)
        .await
        .unwrap()
        .ok_or("the new target group is gone")?;
    let healthy = cloud
        .load_balancing
        .target_health(&group.arn)
        .await
        .unwrap()
        .iter()
        .filter(|t| t.state == TargetState::Healthy)
        .count();
    if status.running_count < status.desired_count || healthy < status.desired_count as usize {
        return Err(format!(
            "{} of {} tasks running, {healthy} healthy; stopped: {:?}",
            status.running_count, status.desired_count, status.stopped_reasons
        ));
    }
    Ok(())
}

fn position(deletions: &[Deletion], id: &str) -> usize {
    deletions
        .iter()
        .position(|d| d.id() == id)
        .unwrap_or_else(|| panic!("no deletion {id} in {deletions:#?}"))
}

#[tokio::test(start_paused = true)]
async fn the_bridge_leaves_the_web_service_before_it_is_deleted_and_tasks_still_start() {
    let (sim, store, plan) = migrated_with_traffic(FaultProfile::none()).await;
    let (deletions, outcome) = clean_up(&sim, &store, |_| {}).await;
    assert_eq!(outcome.unwrap(), RunOutcome::Completed);

    let bridge = format!("delete-target-group:{}", plan.names.bridge_target_group);
    let detach = format!("detach-bridge-target-group:{}", web_service(&plan).1);
    let old_lb = format!("delete-load-balancer:{}", sim.topology().old_lb_name);
    assert!(position(&deletions, &old_lb) < position(&deletions, &detach));
    assert!(position(&deletions, &detach) < position(&deletions, &bridge));

    let cloud = sim.cloud();
    let (cluster, service) = web_service(&plan);
    let status = web_status(&sim, &plan).await;
    let groups: Vec<&str> = status
        .load_balancers
        .iter()
        .map(|lb| lb.target_group_arn.as_str())
        .collect();
    let new_group = cloud
        .load_balancing
        .find_target_group(&plan.names.target_group)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(groups, vec![new_group.arn.as_str()]);
    assert!(status.steady, "{status:?}");
    assert!(cloud
        .load_balancing
        .find_target_group(&plan.names.bridge_target_group)
        .await
        .unwrap()
        .is_none());

    // Clean-up and the rolling update it caused lost no request.
    let traffic = sim.traffic();
    assert!(traffic.new.served > 0);
    traffic.none_failed().unwrap();

    // A task that stops later is replaced, and the replacement serves.
    assert!(sim.a_task_stops(&cluster, &service));
    sim.idle(Duration::from_secs(600)).await;
    web_serves_fully(&sim, &plan).await.unwrap();
}

/// Mutation: a clean-up that deletes the bridge group without taking it out of the service.
/// ELB deletes it (no listener forwards to it any more), and the next task of the service
/// fails to register in it: the web service never has all its tasks again.
#[tokio::test(start_paused = true)]
async fn without_the_detachment_the_web_service_cannot_replace_a_task() {
    let (sim, store, plan) = migrated_with_traffic(FaultProfile::none()).await;
    let (_, outcome) = clean_up(&sim, &store, |deletions| {
        deletions.retain(|d| !matches!(d, Deletion::BridgeAttachment { .. }));
    })
    .await;
    assert_eq!(outcome.unwrap(), RunOutcome::Completed);
    let (cluster, service) = web_service(&plan);
    assert!(sim.a_task_stops(&cluster, &service));
    sim.idle(Duration::from_secs(600)).await;
    let lacking = web_serves_fully(&sim, &plan).await.unwrap_err();
    assert!(lacking.contains("TargetGroupNotFound"), "{lacking}");
}

/// Clients that keep the old load balancer's address past the soak reach the new tasks
/// through the bridge: those requests count as the old side still in use, and clean-up stops
/// before the old load balancer, with nothing of the new side touched.
#[tokio::test(start_paused = true)]
async fn clients_still_on_the_old_name_keep_the_old_load_balancer() {
    let profile = FaultProfile {
        sticky_clients: 0.15,
        sticky_hold_ms: 4 * 3_600_000,
        ..FaultProfile::none()
    };
    let (sim, store, plan) = migrated_with_traffic(profile).await;
    let (_, outcome) = clean_up(&sim, &store, |_| {}).await;
    let error = outcome.unwrap_err().to_string();
    assert!(
        error.contains(&sim.topology().old_lb_name) && error.contains("after the drain"),
        "{error}"
    );
    let status = web_status(&sim, &plan).await;
    assert_eq!(status.load_balancers.len(), 2, "{status:?}");
    sim.traffic().none_failed().unwrap();
}

/// A crash at any mutating call of the clean-up, the detachment's `UpdateService` among them,
/// resumes to the same account: the detachment is idempotent (a service already without the
/// bridge only waits for its update to finish).
#[tokio::test(start_paused = true)]
async fn a_crash_at_any_call_of_the_cleanup_resumes_to_the_same_account() {
    async fn soaked() -> (Simulation, MemoryStore) {
        let (sim, store, _) = setup(&listener_playbook());
        assert_eq!(apply(&sim, &store).await.unwrap(), RunOutcome::Completed);
        sim.idle(SOAK + Duration::from_secs(1)).await;
        let mut cleanup = cleaner(&sim, &store);
        let found = cleanup.discover().await.unwrap();
        cleanup.confirm(&found, "tester@host", None).unwrap();
        (sim, store)
    }
    let (sim, store) = soaked().await;
    let start = sim.mutating_calls_so_far();
    cleaner(&sim, &store).run().await.unwrap();
    let mutations = sim.mutating_calls_so_far() - start;
    let expected = sim.snapshot();
    assert!(mutations >= 15, "clean-up made {mutations} mutating calls");
    for n in 1..=mutations {
        for after_effect in [false, true] {
            let at = format!("crash at clean-up call {n} (after its effect: {after_effect})");
            let (sim, store) = soaked().await;
            sim.crash_at(migrate_sim::CrashPoint::at_mutating_call(n, after_effect));
            let first = cleaner(&sim, &store).run().await;
            assert!(
                matches!(first, Err(EngineError::Interrupted)),
                "{at}: {first:?}"
            );
            assert_eq!(
                cleaner(&sim, &store).run().await.unwrap(),
                RunOutcome::Completed,
                "{at}"
            );
            assert_eq!(sim.snapshot(), expected, "{at}");
        }
    }
}
