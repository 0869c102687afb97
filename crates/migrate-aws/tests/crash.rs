//! Crashes over the wire: the seed-001 apply against moto is stopped again and again at journal
//! writes (the write fails and nothing more is written, as when the process is killed there),
//! and a fresh engine resumes from the stored state each time. At the end, describe calls made
//! with plain SDK clients show one of each created resource: no duplicate ALB, target group,
//! security group, ingress rule, listener or service.
//!
//! As in `migration.rs`, the test acts as ECS would: moto runs with
//! `MOTO_ECS_SERVICE_RUNNING=2`, and task IPs are registered in the new target group once it
//! exists.

mod common;

use std::sync::Arc;

use common::seed::{self, id, FastClock};
use migrate_aws::TcpProbe;
use migrate_engine::{Engine, NullReporter, RunOutcome};
use migrate_journal::{MemoryStore, State, StateStore};
use migrate_moto::MotoServer;

/// The n-th run is stopped at its `FIRST_CRASH + n`-th journal write: each run gets one write
/// further than the one before, so the stops walk across every step, before and after each
/// create, and a step that needs many writes (the health gate) is still finished eventually.
const FIRST_CRASH: u64 = 2;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_every_few_writes_and_resumed_leaves_no_duplicates() {
    let moto = MotoServer::builder()
        .env("MOTO_ECS_SERVICE_RUNNING", "2")
        .start()
        .expect("moto server starts (run `make venv`)");
    let dir = tempfile::tempdir().unwrap();
    let (ids, playbook_path) = seed::seed(
        &moto.url(),
        dir.path(),
        &[
            "--web-desired",
            "2",
            "--worker-desired",
            "2",
            "--set",
            "desired_count=2",
        ],
    );
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

    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&sdk);
    let albs = elb.describe_load_balancers().send().await.unwrap();
    let new_albs: Vec<_> = albs
        .load_balancers()
        .iter()
        .filter(|l| l.load_balancer_name() == Some(names.load_balancer.as_str()))
        .collect();
    assert_eq!(
        new_albs.len(),
        1,
        "load balancers named {}",
        names.load_balancer
    );
    let new_alb = new_albs[0].load_balancer_arn().unwrap();
    assert_eq!(
        albs.load_balancers().len(),
        2,
        "the old ALB and one new one"
    );
    let tgs = elb.describe_target_groups().send().await.unwrap();
    assert_eq!(
        tgs.target_groups()
            .iter()
            .filter(|t| t.target_group_name() == Some(names.target_group.as_str()))
            .count(),
        1
    );
    let listeners = elb
        .describe_listeners()
        .load_balancer_arn(new_alb)
        .send()
        .await
        .unwrap();
    assert_eq!(
        listeners.listeners().len(),
        1,
        "{:?}",
        listeners.listeners()
    );

    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let sgs = ec2
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-name")
                .values(&names.service_security_group)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(sgs.security_groups().len(), 1);
    let service_sg = sgs.security_groups()[0].group_id().unwrap();
    for (store, port) in [("redis_sg", 6379), ("rds_sg", 3306)] {
        let rules = ec2
            .describe_security_group_rules()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("group-id")
                    .values(id(&ids, store))
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let from_service: Vec<_> = rules
            .security_group_rules()
            .iter()
            .filter(|r| r.referenced_group_info().and_then(|g| g.group_id()) == Some(service_sg))
            .collect();
        assert_eq!(from_service.len(), 1, "{store}: {from_service:?}");
        assert_eq!(from_service[0].from_port(), Some(port));
    }

    let ecs = aws_sdk_ecs::Client::new(&sdk);
    let services = ecs
        .list_services()
        .cluster(&names.cluster)
        .send()
        .await
        .unwrap();
    assert_eq!(services.service_arns().len(), names.services.len());
    let clusters = ecs.list_clusters().send().await.unwrap();
    assert_eq!(
        clusters.cluster_arns().len(),
        2,
        "shop-ec2 and the new cluster"
    );
    let families = ecs
        .list_task_definitions()
        .family_prefix(&names.families["web"])
        .send()
        .await
        .unwrap();
    assert_eq!(
        families.task_definition_arns().len(),
        1,
        "{:?}",
        families.task_definition_arns()
    );
    println!("{crashes} crashes, then completed");
}
