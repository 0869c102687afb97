//! The engine's tests: a whole migration over the simulated account, and its rollback. (Why they
//! live in this crate: `engine_support/mod.rs`.)

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod engine_support;

use engine_support::*;
use migrate_engine::ports::{Tags, TAG_PLAN_ID, TAG_STEP};
use migrate_engine::{EngineError, RunOutcome};
use migrate_journal::{Phase, StepStatus};
use migrate_sim::snapshot::RecordTarget;
use migrate_sim::FaultProfile;

#[tokio::test(start_paused = true)]
async fn apply_moves_traffic_and_scales_the_old_side_down() {
    let playbook = demo_playbook();
    let (sim, store, plan) = setup(&playbook);
    assert_eq!(apply(&sim, &store).await.unwrap(), RunOutcome::Completed);

    let state = load(&store);
    assert_eq!(state.phase, Phase::Applied);
    assert!(state
        .steps
        .iter()
        .all(|r| matches!(r.status, StepStatus::Done | StepStatus::Skipped)));

    let old = sim.topology();
    let account = sim.snapshot();
    let records = account.records_named(&old.fqdn);
    assert_eq!(records.len(), 1, "{records:?}");
    // The record stays an alias, now to the new load balancer.
    assert_eq!(
        records[0].target,
        RecordTarget::LoadBalancer(plan.names.load_balancer.clone())
    );
    let asg = account.auto_scaling_group(&old.asg_name).unwrap();
    assert_eq!(asg.capacity.desired, 0);
    assert_eq!(asg.capacity.min, 0);
    let old_cluster = old.old_cluster.clone().unwrap();
    assert_eq!(old.old_services.len(), 2);
    for service in &old.old_services {
        assert_eq!(
            account
                .service(&old_cluster, &service.name)
                .unwrap()
                .desired,
            0,
            "{}",
            service.name
        );
    }
    // The HTTPS listener copied the old listener's certificate.
    assert!(old.old_certificate_arn.is_some());
    assert!(account.listeners.iter().any(|l| l.port == 443
        && l.certificate_arn == old.old_certificate_arn
        && l.load_balancer == plan.names.load_balancer));
    // Every created resource carries the plan's tags.
    let tagged =
        |tags: &Tags| tags.get(TAG_PLAN_ID) == Some(&plan.id) && tags.contains_key(TAG_STEP);
    let new_services: Vec<_> = account
        .services
        .iter()
        .filter(|s| s.cluster == playbook.target.cluster)
        .collect();
    assert_eq!(new_services.len(), 2);
    assert!(new_services.iter().all(|s| tagged(&s.tags)));
    let new_groups: Vec<_> = account
        .security_groups
        .iter()
        .filter(|g| g.name == plan.names.service_security_group)
        .collect();
    assert_eq!(new_groups.len(), 1);
    assert!(new_groups.iter().all(|g| tagged(&g.tags)));
    // The migration's four, beside the old side's (seeded by the world).
    assert_eq!(
        account
            .alarms
            .iter()
            .filter(|a| a.starts_with(&plan.names.alarm_prefix))
            .count(),
        4
    );
}

#[tokio::test(start_paused = true)]
async fn a_second_apply_has_nothing_to_do() {
    let playbook = demo_playbook();
    let (sim, store, _) = setup(&playbook);
    apply(&sim, &store).await.unwrap();
    let mutations = sim.mutating_calls_so_far();
    assert_eq!(apply(&sim, &store).await.unwrap(), RunOutcome::NothingToDo);
    assert_eq!(sim.mutating_calls_so_far(), mutations);
}

#[tokio::test(start_paused = true)]
async fn rollback_after_a_full_apply_restores_the_start() {
    for playbook in [demo_playbook(), with_strategy_weighted(demo_playbook())] {
        let (sim, store, _) = setup(&playbook);
        let before = sim.snapshot();
        apply(&sim, &store).await.unwrap();
        assert_ne!(sim.snapshot(), before);
        assert_eq!(rollback(&sim, &store).await.unwrap(), RunOutcome::Completed);
        assert_eq!(sim.snapshot(), before);
        assert_eq!(load(&store).phase, Phase::RolledBack);
        // A rolled-back migration is not applied again by accident.
        assert!(matches!(
            apply(&sim, &store).await,
            Err(EngineError::WrongPhase(_))
        ));
    }
}

#[tokio::test(start_paused = true)]
async fn weighted_cutover_ends_on_a_plain_alias_to_the_new_load_balancer() {
    let playbook = with_strategy_weighted(demo_playbook());
    let (sim, store, plan) = setup(&playbook);
    apply(&sim, &store).await.unwrap();
    let records = sim.snapshot().records;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(
        records[0].target,
        RecordTarget::LoadBalancer(plan.names.load_balancer.clone())
    );
    assert!(records[0].set_identifier.is_none());
    assert!(records[0].weight.is_none());
}

#[tokio::test(start_paused = true)]
async fn tasks_that_never_become_healthy_stop_before_dns_and_roll_back_cleanly() {
    let playbook = demo_playbook();
    let never_healthy = FaultProfile {
        never_healthy: true,
        ..FaultProfile::instant()
    };
    let (sim, store, _) = setup_with(&playbook, never_healthy);
    let before = sim.snapshot();
    let error = apply(&sim, &store).await.unwrap_err();
    match &error {
        EngineError::StepFailed { step, reason } => {
            assert_eq!(step, "verify-health");
            assert!(reason.contains("never became healthy"), "{reason}");
            assert!(reason.contains("Target.FailedHealthChecks"), "{reason}");
        }
        other => panic!("expected the health gate to fail, got {other}"),
    }
    let state = load(&store);
    assert_eq!(state.phase, Phase::Failed);
    // No DNS change happened: the record still aliases the old load balancer.
    let old = sim.topology();
    let account = sim.snapshot();
    let records = account.records_named(&old.fqdn);
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(
        records[0].target,
        RecordTarget::LoadBalancer(old.old_lb_name)
    );
    rollback(&sim, &store).await.unwrap();
    assert_eq!(sim.snapshot(), before);
}

#[tokio::test(start_paused = true)]
async fn throttled_calls_are_retried_one_by_one() {
    let playbook = demo_playbook();
    let (clean, clean_store, _) = setup(&playbook);
    apply(&clean, &clean_store).await.unwrap();

    let (sim, store, _) = setup(&playbook);
    sim.throttle_next(3);
    apply(&sim, &store).await.unwrap();
    let state = load(&store);
    assert_eq!(state.phase, Phase::Applied);
    // Each throttled read was repeated on its own: exactly three calls more than a clean run,
    // and the step did not have to start over.
    assert_eq!(sim.calls_so_far(), clean.calls_so_far() + 3);
    assert_eq!(state.record("discover-source").unwrap().attempts, 1);
    assert_eq!(sim.snapshot(), clean.snapshot());
}

#[tokio::test(start_paused = true)]
async fn a_throttled_create_is_retried_and_creates_once() {
    let playbook = demo_playbook();
    let (sim, store, _) = setup(&playbook);
    sim.throttle_next_calls_to("elbv2:CreateLoadBalancer", 2);
    apply(&sim, &store).await.unwrap();
    assert_eq!(load(&store).phase, Phase::Applied);
    assert_eq!(sim.api_operations()["elbv2:CreateLoadBalancer"], 3);
    assert_eq!(sim.creations()["load-balancer"].len(), 1);
    assert_eq!(sim.duplicates(), Vec::<String>::new());
}

#[tokio::test(start_paused = true)]
async fn a_missing_old_load_balancer_fails_discovery_and_changes_nothing() {
    let mut playbook = demo_playbook();
    let (sim, _, _) = setup(&playbook);
    playbook.source.load_balancer = Some("no-such-alb".into());
    let store = planned_store(&sim, migrate_plan::build(&playbook));
    let before = sim.snapshot();
    let error = apply(&sim, &store).await.unwrap_err();
    assert!(
        error.to_string().contains("no-such-alb does not exist"),
        "{error}"
    );
    assert_eq!(sim.mutating_calls_so_far(), 0);
    assert_eq!(sim.snapshot(), before);
}
