//! The engine's clean-up (`migrate cleanup`) on the simulated account: what it finds, the order
//! it deletes in, idempotence, a crash at any of its calls, "in use", the soak gate, and the
//! rollback it forbids afterwards. (Why these tests live in this crate: `engine_support/mod.rs`.)

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod engine_support;

use std::sync::Arc;
use std::time::Duration;

use engine_support::*;
use migrate_engine::cleanup::{Cleaner, Deleted, Deletion};
use migrate_engine::ports::{Capacity, IngressRule};
use migrate_engine::{EngineError, NullReporter, RunOutcome};
use migrate_journal::{MemoryStore, StepStatus};
use migrate_playbook::Playbook;
use migrate_sim::world::{OLD_VOLUME_IDS, UNRELATED_VOLUME_ID};
use migrate_sim::{AccountSnapshot, CrashPoint, Simulation};

const SOAK: Duration = Duration::from_secs(3600);

/// The demo playbook with a one-hour soak, so that the tests wait an hour, not a week.
fn playbook() -> Playbook {
    let mut playbook = demo_playbook();
    playbook.cleanup.soak = SOAK;
    playbook
}

fn cleaner(sim: &Simulation, store: &MemoryStore) -> Cleaner {
    Cleaner::new(sim.cloud(), Box::new(store.clone()), Arc::new(NullReporter))
        .expect("the stored state loads")
}

/// A finished migration whose soak is over.
async fn applied_and_soaked() -> (Simulation, MemoryStore) {
    let (sim, store, _) = setup(&playbook());
    assert_eq!(apply(&sim, &store).await.unwrap(), RunOutcome::Completed);
    sim.idle(SOAK + Duration::from_secs(1)).await;
    (sim, store)
}

/// Discovers and confirms the clean-up, as `migrate cleanup --confirm` does.
async fn confirm(sim: &Simulation, store: &MemoryStore) -> Vec<Deletion> {
    let mut cleaner = cleaner(sim, store);
    let plan = cleaner.discover().await.unwrap();
    cleaner.confirm(&plan, "tester@host", None).unwrap();
    plan.deletions
}

async fn run(sim: &Simulation, store: &MemoryStore) -> Result<RunOutcome, EngineError> {
    cleaner(sim, store).run().await
}

fn position(deletions: &[Deletion], wanted: impl Fn(&Deletion) -> bool) -> usize {
    deletions
        .iter()
        .position(wanted)
        .unwrap_or_else(|| panic!("no such deletion in {deletions:#?}"))
}

#[tokio::test(start_paused = true)]
async fn cleanup_deletes_the_old_side_in_dependency_order_and_nothing_of_the_new() {
    let (sim, store) = applied_and_soaked().await;
    let old = sim.topology();
    let before = sim.snapshot();
    let plan = load(&store).plan;

    let deletions = confirm(&sim, &store).await;
    // Found through what the migration recorded, and discovery from it: both old services and
    // their task definitions, the group and its launch template, the two volumes the template
    // tagged (not the unrelated one), the load balancer and its target group, both data stores'
    // rules for the instances' group, and that group; first, the alarms on the group, the load
    // balancer and the services (not the one target tracking made, nor the billing alarm). The
    // old load balancer's group stays: the new load balancer reuses it.
    let ids: Vec<String> = deletions.iter().map(Deletion::id).collect();
    assert_eq!(
        ids,
        vec![
            format!("delete-alarm:{}-cpu-high", old.asg_name),
            format!("delete-alarm:{}-5xx", old.old_lb_name),
            format!("delete-alarm:{}-memory", old.old_services[0].name),
            format!("delete-alarm:{}-memory", old.old_services[1].name),
            format!("delete-ecs-service:{}", old.old_services[0].name),
            format!("delete-ecs-service:{}", old.old_services[1].name),
            "deregister-task-definition:shop-web:1".into(),
            "deregister-task-definition:shop-worker:1".into(),
            format!("delete-auto-scaling-group:{}", old.asg_name),
            "delete-launch-template:lt-0old0000000000001".into(),
            format!("delete-volume:{}", OLD_VOLUME_IDS[0]),
            format!("delete-volume:{}", OLD_VOLUME_IDS[1]),
            format!("delete-load-balancer:{}", old.old_lb_name),
            format!("delete-target-group:{}", old.old_target_group_name),
            format!("revoke-ingress:sessions:{}", old.old_app_security_group_id),
            format!("revoke-ingress:database:{}", old.old_app_security_group_id),
            format!("delete-security-group:{}", old.old_app_security_group_id),
        ]
    );
    let order = |kind: fn(&Deletion) -> bool| position(&deletions, kind);
    assert!(
        order(|d| matches!(d, Deletion::LoadBalancer { .. }))
            < order(|d| matches!(d, Deletion::TargetGroup { .. }))
    );
    assert!(
        order(|d| matches!(d, Deletion::IngressRule { .. }))
            < order(|d| matches!(d, Deletion::SecurityGroup { .. }))
    );

    assert_eq!(run(&sim, &store).await.unwrap(), RunOutcome::Completed);
    let state = load(&store);
    let cleanup = state.cleanup.as_ref().unwrap();
    assert!(cleanup.finished_at.is_some());
    assert!(cleanup
        .deletions
        .iter()
        .all(|d| d.status == StepStatus::Done && d.outcome.as_deref() == Some("deleted")));

    let after = sim.snapshot();
    assert!(
        !after.alarms.contains(&format!("{}-5xx", old.old_lb_name))
            && after
                .alarms
                .contains(&"billing-estimated-charges".to_string())
            && after
                .alarms
                .contains(&format!("TargetTracking-{}-AlarmHigh-5f1c", old.asg_name)),
        "{:?}",
        after.alarms
    );
    let old_cluster = old.old_cluster.clone().unwrap();
    assert!(
        after.services.iter().all(|s| s.cluster != old_cluster),
        "{:?}",
        after.services
    );
    assert!(!after
        .task_definitions
        .iter()
        .any(|t| t.starts_with("shop-web:1") || t.starts_with("shop-worker:1")));
    assert!(
        after.auto_scaling_groups.is_empty(),
        "{:?}",
        after.auto_scaling_groups
    );
    assert!(after.launch_templates.is_empty());
    assert_eq!(
        after.volumes,
        vec![format!("{UNRELATED_VOLUME_ID} (available)")]
    );
    assert_eq!(after.load_balancers, vec![plan.names.load_balancer.clone()]);
    assert_eq!(after.target_groups, vec![plan.names.target_group.clone()]);
    assert!(!after
        .security_groups
        .iter()
        .any(|g| g.name == old.old_app_security_group_name));
    assert!(after
        .security_groups
        .iter()
        .any(|g| g.name == old.old_lb_security_group_name));
    assert!(!after
        .ingress_rules
        .iter()
        .any(|r| r.contains(&old.old_app_security_group_name)));

    // The new side is exactly as it was.
    let new_side = |s: &AccountSnapshot| {
        (
            s.clusters.clone(),
            s.services
                .iter()
                .filter(|x| x.cluster == plan.names.cluster)
                .cloned()
                .collect::<Vec<_>>(),
            s.task_definitions
                .iter()
                .filter(|t| {
                    plan.names
                        .families
                        .values()
                        .any(|f| t.starts_with(f.as_str()))
                })
                .cloned()
                .collect::<Vec<_>>(),
            s.listeners
                .iter()
                .filter(|l| l.load_balancer == plan.names.load_balancer)
                .cloned()
                .collect::<Vec<_>>(),
            s.records.clone(),
            s.alarms
                .iter()
                .filter(|a| a.starts_with(&plan.names.alarm_prefix))
                .cloned()
                .collect::<Vec<_>>(),
            s.log_groups.clone(),
            s.ingress_rules
                .iter()
                .filter(|r| r.contains(&plan.names.service_security_group))
                .cloned()
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(new_side(&after), new_side(&before));
    assert!(after.clusters.contains(&plan.names.cluster));
}

#[tokio::test(start_paused = true)]
async fn every_deletion_is_idempotent_and_reads_absence_as_done() {
    let (sim, store) = applied_and_soaked().await;
    let deletions = confirm(&sim, &store).await;
    assert_eq!(run(&sim, &store).await.unwrap(), RunOutcome::Completed);
    let cloud = sim.cloud();
    for deletion in &deletions {
        assert_eq!(
            deletion.run(&cloud).await.unwrap(),
            Deleted::AlreadyGone,
            "{}",
            deletion.id()
        );
    }
    // A finished clean-up has nothing left to do.
    assert_eq!(run(&sim, &store).await.unwrap(), RunOutcome::NothingToDo);
}

#[tokio::test(start_paused = true)]
async fn a_crash_at_any_mutating_call_of_cleanup_resumes_to_the_same_account() {
    let (sim, store) = applied_and_soaked().await;
    confirm(&sim, &store).await;
    let start = sim.mutating_calls_so_far();
    run(&sim, &store).await.unwrap();
    let mutations = sim.mutating_calls_so_far() - start;
    let expected = sim.snapshot();
    assert!(mutations >= 13, "clean-up made {mutations} mutating calls");

    for n in 1..=mutations {
        for after_effect in [false, true] {
            let at = format!("crash at clean-up call {n} (after its effect: {after_effect})");
            let (sim, store) = applied_and_soaked().await;
            confirm(&sim, &store).await;
            sim.crash_at(CrashPoint::at_mutating_call(n, after_effect));
            let first = run(&sim, &store).await;
            assert!(
                matches!(first, Err(EngineError::Interrupted)),
                "{at}: {first:?}"
            );
            let state = load(&store);
            assert!(
                state
                    .cleanup
                    .as_ref()
                    .unwrap()
                    .deletions
                    .iter()
                    .any(|d| d.status == StepStatus::Running),
                "{at}: the interrupted deletion is recorded as running"
            );
            assert_eq!(
                run(&sim, &store).await.unwrap(),
                RunOutcome::Completed,
                "{at}"
            );
            assert_eq!(sim.snapshot(), expected, "{at}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn an_auto_scaling_group_scaled_up_again_stops_cleanup_before_it_is_deleted() {
    let (sim, store) = applied_and_soaked().await;
    let old = sim.topology();
    confirm(&sim, &store).await;
    // Someone brought the old instances back after the migration (resuming the launches the
    // scale-down suspended).
    let cloud = sim.cloud();
    cloud
        .scaling
        .resume_processes(&old.asg_name, &["Launch".to_string()])
        .await
        .unwrap();
    cloud
        .scaling
        .set_capacity(
            &old.asg_name,
            Capacity {
                min: 1,
                max: 4,
                desired: 1,
            },
        )
        .await
        .unwrap();
    sim.idle(Duration::from_secs(600)).await;

    let error = run(&sim, &store).await.unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(&error, EngineError::CleanupStopped { deletion, .. } if deletion == &format!("delete-auto-scaling-group:{}", old.asg_name)),
        "{message}"
    );
    assert!(
        message.contains("still in use") && message.contains("1 instance(s) in service"),
        "{message}"
    );
    let state = load(&store);
    let records = &state.cleanup.as_ref().unwrap().deletions;
    let stopped = records
        .iter()
        .position(|d| d.status == StepStatus::Failed)
        .unwrap();
    assert!(records[..stopped]
        .iter()
        .all(|d| d.status == StepStatus::Done));
    assert!(records[stopped + 1..]
        .iter()
        .all(|d| d.status == StepStatus::Pending));
    // Nothing after it was touched: the load balancer, the template and the volumes are there.
    let account = sim.snapshot();
    assert!(account.load_balancers.contains(&old.old_lb_name));
    assert_eq!(account.launch_templates.len(), 1);
    assert_eq!(account.volumes.len(), 3);

    // Once the group is at zero again, the same clean-up continues and finishes.
    cloud
        .scaling
        .set_capacity(
            &old.asg_name,
            Capacity {
                min: 0,
                max: 4,
                desired: 0,
            },
        )
        .await
        .unwrap();
    sim.idle(Duration::from_secs(900)).await;
    assert_eq!(run(&sim, &store).await.unwrap(), RunOutcome::Completed);
    assert!(sim.snapshot().auto_scaling_groups.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_security_group_another_group_still_names_is_not_deleted() {
    let (sim, store) = applied_and_soaked().await;
    let old = sim.topology();
    confirm(&sim, &store).await;
    // A group the migration knows nothing of admits the old instances' group.
    let cloud = sim.cloud();
    let other = old.data_stores[0].security_group_id.clone();
    cloud
        .network
        .authorize_ingress(&IngressRule {
            group_id: other.clone(),
            source_group_id: old.old_app_security_group_id.clone(),
            port: 11211,
            description: "memcached, added by hand".into(),
        })
        .await
        .unwrap();
    let message = run(&sim, &store).await.unwrap_err().to_string();
    assert!(
        message.contains(&format!(
            "delete-security-group:{}",
            old.old_app_security_group_id
        )) && message.contains(&format!("the rules of {other} name it")),
        "{message}"
    );
    assert!(sim
        .snapshot()
        .security_groups
        .iter()
        .any(|g| g.name == old.old_app_security_group_name));
}

/// Scanners keep an internet-facing load balancer's own `RequestCount` above zero for ever; they
/// reach no target group, so they do not hold clean-up back.
#[tokio::test(start_paused = true)]
async fn scanners_of_the_old_load_balancer_do_not_stop_cleanup() {
    let (sim, store, _) = setup_old_side(&playbook(), |t| {
        t.old_side.scanner_requests_per_minute = 30;
    });
    assert_eq!(apply(&sim, &store).await.unwrap(), RunOutcome::Completed);
    sim.idle(SOAK + Duration::from_secs(1)).await;
    confirm(&sim, &store).await;
    assert_eq!(run(&sim, &store).await.unwrap(), RunOutcome::Completed);
    let old = sim.topology();
    assert!(!sim.snapshot().load_balancers.contains(&old.old_lb_name));
}

/// A client that still calls the old name after the drain reaches the old target group: the
/// old load balancer is not deleted, and clean-up says why and stops there.
#[tokio::test(start_paused = true)]
async fn requests_to_the_old_target_group_after_the_drain_stop_cleanup() {
    let (sim, store) = applied_and_soaked().await;
    confirm(&sim, &store).await;
    sim.old_side_serves(12);
    sim.idle(Duration::from_secs(60)).await;
    let message = run(&sim, &store).await.unwrap_err().to_string();
    assert!(
        message.contains("delete-load-balancer:") && message.contains("served 12 request(s)"),
        "{message}"
    );
    let old = sim.topology();
    assert!(sim.snapshot().load_balancers.contains(&old.old_lb_name));
}

/// The demo playbook naming the old side's ECR repository.
fn with_repository(name: &str) -> Playbook {
    let mut playbook = playbook();
    playbook.cleanup.ecr_repository = Some(name.into());
    playbook
}

#[tokio::test(start_paused = true)]
async fn the_repository_the_playbook_names_is_deleted_last() {
    let (sim, store, _) = setup(&with_repository("shop/legacy-web"));
    assert_eq!(apply(&sim, &store).await.unwrap(), RunOutcome::Completed);
    sim.idle(SOAK + Duration::from_secs(1)).await;
    let deletions = confirm(&sim, &store).await;
    assert_eq!(
        deletions.last().map(Deletion::id).as_deref(),
        Some("delete-ecr-repository:shop/legacy-web")
    );
    assert_eq!(run(&sim, &store).await.unwrap(), RunOutcome::Completed);
    let cloud = sim.cloud();
    assert_eq!(
        cloud
            .decommission
            .find_repository("shop/legacy-web")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test(start_paused = true)]
async fn a_repository_pulled_from_after_the_drain_is_in_use() {
    let (sim, store, _) = setup(&with_repository("shop/legacy-web"));
    assert_eq!(apply(&sim, &store).await.unwrap(), RunOutcome::Completed);
    sim.idle(SOAK + Duration::from_secs(1)).await;
    confirm(&sim, &store).await;
    sim.pull_from_repository("shop/legacy-web");
    sim.idle(Duration::from_secs(1)).await;
    let message = run(&sim, &store).await.unwrap_err().to_string();
    assert!(
        message.contains("delete-ecr-repository:shop/legacy-web") && message.contains("pulled at"),
        "{message}"
    );
    assert!(sim
        .cloud()
        .decommission
        .find_repository("shop/legacy-web")
        .await
        .unwrap()
        .is_some());
}

/// A repository the new task definitions pull from is not the old side's: clean-up refuses to
/// plan its deletion.
#[tokio::test(start_paused = true)]
async fn the_new_sides_own_repository_is_refused() {
    let playbook = playbook();
    let image = playbook.target.services[0].task_definition["containerDefinitions"][0]["image"]
        .as_str()
        .unwrap()
        .to_string();
    let repository = image
        .split_once('/')
        .map(|(_, rest)| rest.split([':', '@']).next().unwrap().to_string())
        .unwrap();
    let (sim, store, _) = setup(&with_repository(&repository));
    assert_eq!(apply(&sim, &store).await.unwrap(), RunOutcome::Completed);
    sim.idle(SOAK + Duration::from_secs(1)).await;
    let refused = cleaner(&sim, &store)
        .discover()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains(&repository) && refused.contains("not the old side's"),
        "{image}: {refused}"
    );
}

#[tokio::test(start_paused = true)]
async fn cleanup_waits_for_the_soak_unless_a_reason_is_given() {
    let (sim, store, _) = setup(&playbook());
    apply(&sim, &store).await.unwrap();
    let mut cleaner = cleaner(&sim, &store);
    let plan = cleaner.discover().await.unwrap();
    let refused = cleaner
        .confirm(&plan, "tester@host", None)
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("soak period (1h) is not over")
            && refused.contains("may run from")
            && refused.contains("on (in "),
        "{refused}"
    );
    assert!(load(&store).cleanup.is_none(), "a refusal records nothing");
    // An empty reason is no reason.
    assert!(cleaner.confirm(&plan, "tester@host", Some("  ")).is_err());

    cleaner
        .confirm(&plan, "tester@host", Some("the old account closes tonight"))
        .unwrap();
    let cleanup = load(&store).cleanup.unwrap();
    assert_eq!(
        cleanup.soak_override.as_deref(),
        Some("the old account closes tonight")
    );
    assert_eq!(cleanup.confirmed_by, "tester@host");
    // A second confirmation is refused: the recorded set is the one that runs.
    let again = cleaner
        .confirm(&plan, "someone@else", None)
        .unwrap_err()
        .to_string();
    assert!(
        again.contains("confirmed already by tester@host"),
        "{again}"
    );
}

#[tokio::test(start_paused = true)]
async fn cleanup_of_a_migration_that_has_not_finished_is_refused() {
    let (sim, store, _) = setup(&playbook());
    let refused = cleaner(&sim, &store)
        .discover()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("has not finished") && refused.contains("planned"),
        "{refused}"
    );
    let refused = cleaner(&sim, &store).run().await.unwrap_err().to_string();
    assert!(
        refused.contains("no clean-up of shop has been confirmed"),
        "{refused}"
    );
}

#[tokio::test(start_paused = true)]
async fn rollback_is_refused_once_cleanup_was_confirmed() {
    let (sim, store) = applied_and_soaked().await;
    confirm(&sim, &store).await;
    let before = sim.snapshot();
    let refused = rollback(&sim, &store).await.unwrap_err().to_string();
    assert!(
        refused.contains("cannot be rolled back")
            && refused.contains("confirmed by tester@host")
            && refused.contains("0 of 17 deletions done"),
        "{refused}"
    );
    assert_eq!(sim.snapshot(), before, "a refused rollback changes nothing");
    run(&sim, &store).await.unwrap();
    let refused = rollback(&sim, &store).await.unwrap_err().to_string();
    assert!(refused.contains("finished at"), "{refused}");
}

#[tokio::test(start_paused = true)]
async fn a_crash_at_any_journal_write_of_cleanup_resumes_to_the_same_account() {
    let (sim, store) = applied_and_soaked().await;
    confirm(&sim, &store).await;
    let start = store.saves();
    run(&sim, &store).await.unwrap();
    let saves = store.saves() - start;
    let expected = sim.snapshot();

    for n in 1..=saves {
        let (sim, store) = applied_and_soaked().await;
        confirm(&sim, &store).await;
        store.crash_at_save(n);
        let first = run(&sim, &store).await;
        assert!(
            matches!(first, Err(EngineError::Interrupted)),
            "save {n}: {first:?}"
        );
        assert_eq!(
            run(&sim, &store).await.unwrap(),
            RunOutcome::Completed,
            "save {n}"
        );
        assert_eq!(sim.snapshot(), expected, "save {n}");
        assert!(
            load(&store).cleanup.unwrap().finished_at.is_some(),
            "save {n}"
        );
    }
}

/// The plain EC2 playbook with a one-hour soak.
fn ec2_playbook() -> Playbook {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/ec2.yaml");
    let mut playbook = Playbook::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
    playbook.cleanup.soak = SOAK;
    playbook
}

async fn instance_states(
    sim: &Simulation,
    ids: &[String],
) -> Vec<migrate_engine::ports::InstanceState> {
    sim.cloud()
        .instances
        .describe_instances(ids)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.state)
        .collect()
}

#[tokio::test(start_paused = true)]
async fn stopped_plain_instances_are_terminated_unless_someone_started_one_again() {
    use migrate_engine::ports::InstanceState::{Stopped, Terminated};
    let playbook = ec2_playbook();
    let ids = playbook.source.instances.clone();
    let (sim, store, _) = setup(&playbook);
    assert_eq!(apply(&sim, &store).await.unwrap(), RunOutcome::Completed);
    sim.idle(SOAK + Duration::from_secs(1)).await;
    assert_eq!(instance_states(&sim, &ids).await, [Stopped, Stopped]);
    let deletions = confirm(&sim, &store).await;
    let terminate = position(&deletions, |d| matches!(d, Deletion::Instances { .. }));
    let topology = sim.topology();
    let instance_group = topology.old_app_security_group_id;
    let instance_group_name = topology.old_app_security_group_name;
    assert!(
        terminate
            < position(
                &deletions,
                |d| matches!(d, Deletion::SecurityGroup { id } if *id == instance_group)
            ),
        "{deletions:#?}"
    );

    // Someone starts one again after the migration: it is in use, and nothing is terminated.
    sim.cloud()
        .instances
        .start_instances(&ids[..1])
        .await
        .unwrap();
    sim.idle(Duration::from_secs(120)).await;
    let error = run(&sim, &store).await.unwrap_err().to_string();
    assert!(
        error.contains("still in use") && error.contains("someone started it again"),
        "{error}"
    );
    assert_ne!(instance_states(&sim, &ids).await[1], Terminated);

    // Stopped again, the same clean-up goes on: both terminated, their group deleted after them.
    sim.cloud()
        .instances
        .stop_instances(&ids[..1])
        .await
        .unwrap();
    sim.idle(Duration::from_secs(120)).await;
    assert_eq!(run(&sim, &store).await.unwrap(), RunOutcome::Completed);
    assert_eq!(instance_states(&sim, &ids).await, [Terminated, Terminated]);
    assert!(!sim
        .snapshot()
        .security_groups
        .iter()
        .any(|g| g.name == instance_group_name));
}
