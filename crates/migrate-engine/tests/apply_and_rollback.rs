//! A whole migration over the in-memory account, and its rollback.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use migrate_engine::{EngineError, RunOutcome};
use migrate_journal::{Phase, StepStatus};
use migrate_testkit::{OLD_CERTIFICATE, ZONE_ID};
use support::*;

#[tokio::test(start_paused = true)]
async fn apply_moves_traffic_and_scales_the_old_side_down() {
    let playbook = demo_playbook();
    let (account, store, plan) = setup(&playbook);
    assert_eq!(
        apply(&account, &store).await.unwrap(),
        RunOutcome::Completed
    );

    let state = load(&store);
    assert_eq!(state.phase, Phase::Applied);
    assert!(state
        .steps
        .iter()
        .all(|r| matches!(r.status, StepStatus::Done | StepStatus::Skipped)));

    let world = account.world();
    let record = &world.records[ZONE_ID][0];
    let alias = record.alias.as_ref().expect("the record stays an alias");
    let new_lb = world
        .load_balancer_by_dns(&alias.dns_name)
        .expect("the alias names a load balancer");
    assert_eq!(new_lb.name, plan.names.load_balancer);
    assert_eq!(world.groups["shop-ecs-instances"].capacity.desired, 0);
    assert_eq!(world.groups["shop-ecs-instances"].capacity.min, 0);
    for old in ["shop-web", "shop-worker"] {
        assert_eq!(
            world.services[&("shop-ec2".to_string(), old.to_string())]
                .status
                .desired_count,
            0
        );
    }
    // The HTTPS listener copied the old listener's certificate.
    assert!(world.listeners.values().any(|l| l.listener.port == 443
        && l.listener.certificate_arn.as_deref() == Some(OLD_CERTIFICATE)
        && l.listener.load_balancer_arn == new_lb.arn));
    // Every created resource carries the plan's tags.
    let tagged = |tags: &migrate_engine::ports::Tags| {
        tags.get("migrate:plan-id") == Some(&plan.id) && tags.contains_key("migrate:step")
    };
    assert!(world
        .services
        .values()
        .filter(|s| s.status.cluster == "shop-fargate")
        .all(|s| tagged(&s.tags)));
    assert!(world
        .security_groups
        .values()
        .filter(|(g, _)| g.name == plan.names.service_security_group)
        .all(|(_, t)| tagged(t)));
    assert_eq!(world.alarms.len(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_second_apply_has_nothing_to_do() {
    let playbook = demo_playbook();
    let (account, store, _) = setup(&playbook);
    apply(&account, &store).await.unwrap();
    let mutations = account.mutations();
    assert_eq!(
        apply(&account, &store).await.unwrap(),
        RunOutcome::NothingToDo
    );
    assert_eq!(account.mutations(), mutations);
}

#[tokio::test(start_paused = true)]
async fn rollback_after_a_full_apply_restores_the_start() {
    for playbook in [demo_playbook(), with_strategy_weighted(demo_playbook())] {
        let (account, store, _) = setup(&playbook);
        let before = account.snapshot();
        apply(&account, &store).await.unwrap();
        assert_ne!(account.snapshot(), before);
        assert_eq!(
            rollback(&account, &store).await.unwrap(),
            RunOutcome::Completed
        );
        assert_eq!(account.snapshot(), before);
        assert_eq!(load(&store).phase, Phase::RolledBack);
        // A rolled-back migration is not applied again by accident.
        assert!(matches!(
            apply(&account, &store).await,
            Err(EngineError::WrongPhase(_))
        ));
    }
}

#[tokio::test(start_paused = true)]
async fn weighted_cutover_ends_on_a_plain_alias_to_the_new_load_balancer() {
    let playbook = with_strategy_weighted(demo_playbook());
    let (account, store, plan) = setup(&playbook);
    apply(&account, &store).await.unwrap();
    let world = account.world();
    let records = &world.records[ZONE_ID];
    assert_eq!(records.len(), 1, "{records:?}");
    let lb = world
        .load_balancer_by_dns(&records[0].alias.as_ref().unwrap().dns_name)
        .unwrap();
    assert_eq!(lb.name, plan.names.load_balancer);
    assert!(records[0].set_identifier.is_none());
}

#[tokio::test(start_paused = true)]
async fn tasks_that_never_become_healthy_stop_before_dns_and_roll_back_cleanly() {
    let playbook = demo_playbook();
    let (account, store, _) = setup(&playbook);
    let before = account.snapshot();
    account.tasks_never_healthy();
    let error = apply(&account, &store).await.unwrap_err();
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
    {
        let world = account.world();
        let alias = world.records[ZONE_ID][0].alias.clone().unwrap();
        assert_eq!(
            world.load_balancer_by_dns(&alias.dns_name).unwrap().name,
            "shop-old-alb"
        );
    }
    rollback(&account, &store).await.unwrap();
    assert_eq!(account.snapshot(), before);
}

#[tokio::test(start_paused = true)]
async fn throttled_calls_are_retried_one_by_one() {
    let playbook = demo_playbook();
    let total_calls =
        |account: &migrate_testkit::FakeAccount| account.world().calls.values().sum::<u64>();
    let (clean, clean_store, _) = setup(&playbook);
    apply(&clean, &clean_store).await.unwrap();

    let (account, store, _) = setup(&playbook);
    account.throttle_next(3);
    apply(&account, &store).await.unwrap();
    let state = load(&store);
    assert_eq!(state.phase, Phase::Applied);
    // Each throttled read was repeated on its own: exactly three calls more than a clean run,
    // and the step did not have to start over.
    assert_eq!(total_calls(&account), total_calls(&clean) + 3);
    assert_eq!(state.record("discover-source").unwrap().attempts, 1);
}

#[tokio::test(start_paused = true)]
async fn a_missing_old_load_balancer_fails_discovery_and_changes_nothing() {
    let mut playbook = demo_playbook();
    let (account, store, _) = setup(&playbook);
    playbook.source.load_balancer = Some("no-such-alb".into());
    let plan = migrate_plan::build(&playbook);
    let mut state = migrate_journal::State::new(plan, chrono::Utc::now());
    let fresh = migrate_journal::MemoryStore::new();
    migrate_journal::StateStore::save(&mut fresh.clone(), &mut state).unwrap();
    drop(store);
    let before = account.snapshot();
    let error = apply(&account, &fresh).await.unwrap_err();
    assert!(
        error.to_string().contains("no-such-alb does not exist"),
        "{error}"
    );
    assert_eq!(account.mutations(), 0);
    assert_eq!(account.snapshot(), before);
}
