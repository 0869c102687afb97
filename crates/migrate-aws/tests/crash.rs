//! Crashes over the wire: the seed-001 apply against moto is stopped again and again at journal
//! writes (the write fails and nothing more is written, as when the process is killed there),
//! and a fresh engine resumes from the stored state each time. At the end, describe calls made
//! with plain SDK clients show one of each created resource: no duplicate ALB, target group,
//! security group, ingress rule, listener or service.
//!
//! As in `migration.rs`, the test acts as ECS would: moto runs with
//! `MOTO_ECS_SERVICE_RUNNING=2`, and task IPs are registered in the new target group once it
//! exists.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::seed::{self, FastClock};
use migrate_aws::TcpProbe;
use migrate_engine::{Engine, NullReporter, RunOutcome};
use migrate_journal::{MemoryStore, State, StateStore};

/// The n-th run is stopped at its `FIRST_CRASH + n`-th journal write: each run gets one write
/// further than the one before, so the stops walk across every step, before and after each
/// create, and a step that needs many writes (the health gate) is still finished eventually.
const FIRST_CRASH: u64 = 2;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_every_few_writes_and_resumed_leaves_no_duplicates() {
    let seed::Seeded {
        moto,
        dir: _dir,
        ids,
        playbook: playbook_path,
    } = seed::seed_001_with_two_tasks(&[]);
    let sdk = common::sdk_config(&moto.url()).await;
    let app = seed::app_server().await;
    let conn = migrate_aws::from_sdk_config(
        &sdk,
        Arc::new(TcpProbe::new(Some(&app)).unwrap()),
        Arc::new(FastClock::default()),
    );
    let playbook = migrate_playbook::Playbook::from_path(&playbook_path).unwrap();
    let plan = migrate_plan::build(&playbook);
    let names = plan.names.clone();
    let mut store = MemoryStore::new();
    store
        .save(&mut State::new(plan, chrono::Utc::now()))
        .unwrap();
    let ecs_stand_in = seed::act_as_ecs(sdk.clone(), names.target_group.clone());

    let mut crashes: u64 = 0;
    loop {
        store.crash_at_save(FIRST_CRASH + crashes);
        // A new engine from the stored bytes only, as `migrate resume` in a new process.
        let mut engine = Engine::new(
            conn.cloud.clone(),
            Box::new(store.clone()),
            Arc::new(NullReporter),
        )
        .unwrap();
        match engine.apply().await {
            Ok(RunOutcome::Completed) => break,
            Ok(other) => panic!("unexpected outcome {other:?}"),
            Err(_) => crashes += 1,
        }
        assert!(
            crashes < 400,
            "the migration does not progress between crashes"
        );
    }
    ecs_stand_in.await.unwrap();
    assert!(
        crashes >= 5,
        "only {crashes} crashes: the test proves little"
    );

    common::verify::assert_one_of_each(&sdk, &names, &ids).await;
    println!("{crashes} crashes, then completed");
}
