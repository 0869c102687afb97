//! Clean-up over the wire, in-process: after a full seed-001 apply against moto, `Cleaner`
//! deletes the old side through the adapter, and every operation it called is one that
//! `migrate policy --cleanup` grants (the binary's own wire test, `tests/wire_cleanup.rs`,
//! checks what is deleted and kept; this one checks the permissions).

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::seed::{self, FastClock};
use migrate_aws::TcpProbe;
use migrate_engine::cleanup::Cleaner;
use migrate_engine::ports::SystemClock;
use migrate_engine::{Engine, NullReporter, RunOutcome};
use migrate_journal::{MemoryStore, State, StateStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_of_cleanup_is_granted_by_its_policy() {
    let seeded = seed::seed_001_with_two_tasks(&[]);
    let sdk = common::sdk_config(&seeded.moto.url()).await;
    let app = seed::app_server().await;
    let applying = migrate_aws::from_sdk_config(
        &sdk,
        Arc::new(TcpProbe::new(Some(&app)).unwrap()),
        Arc::new(FastClock::default()),
    );
    let plan =
        migrate_plan::build(&migrate_playbook::Playbook::from_path(&seeded.playbook).unwrap());
    let policy = migrate_policy::cleanup_policy(&plan);
    let mut store = MemoryStore::new();
    store
        .save(&mut State::new(plan.clone(), chrono::Utc::now()))
        .unwrap();
    let ecs_stand_in = seed::act_as_ecs(sdk.clone(), plan.names.target_group.clone());
    let mut engine = Engine::new(
        applying.cloud.clone(),
        Box::new(store.clone()),
        Arc::new(NullReporter),
    )
    .unwrap();
    assert!(matches!(engine.apply().await, Ok(RunOutcome::Completed)));
    ecs_stand_in.await.unwrap();

    // A connection of its own, so that its counter holds clean-up's calls only.
    let cleaning =
        migrate_aws::from_sdk_config(&sdk, Arc::new(TcpProbe::default()), Arc::new(SystemClock));
    let mut cleaner = Cleaner::new(
        cleaning.cloud.clone(),
        Box::new(store.clone()),
        Arc::new(NullReporter),
    )
    .unwrap();
    let found = cleaner.discover().await.unwrap();
    // The thirteen of the old side's resources and the two alarms the seed left on it.
    assert_eq!(found.deletions.len(), 15, "{:#?}", found.deletions);
    cleaner
        .confirm(&found, "wire@test", Some("the wire test"))
        .unwrap();
    assert_eq!(cleaner.run().await.unwrap(), RunOutcome::Completed);

    let called: Vec<String> = cleaning
        .calls
        .snapshot()
        .into_keys()
        .map(|(service, operation)| format!("{service}:{operation}"))
        .collect();
    for delete in [
        "cloudwatch:DeleteAlarms",
        "ecs:DeleteService",
        "ecs:DeregisterTaskDefinition",
        "autoscaling:DeleteAutoScalingGroup",
        "ec2:DeleteLaunchTemplate",
        "ec2:DeleteVolume",
        "elasticloadbalancing:DeleteLoadBalancer",
        "elasticloadbalancing:DeleteTargetGroup",
        "ec2:RevokeSecurityGroupIngress",
        "ec2:DeleteSecurityGroup",
    ] {
        assert!(
            called.iter().any(|c| c == delete),
            "{delete} not called: {called:?}"
        );
    }
    let missing: Vec<&String> = called
        .iter()
        .filter(|action| !policy.allows_action(action))
        .collect();
    assert!(
        missing.is_empty(),
        "`migrate policy --cleanup` leaves out actions clean-up called: {missing:?}\npolicy:\n{}",
        policy.to_json_pretty()
    );
}
