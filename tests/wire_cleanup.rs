//! `migrate cleanup` over the wire: after a full seed-001 apply against moto (in-process, on a
//! clock that does not wait, as `crates/migrate-aws/tests/migration.rs` does it), the real
//! binary is refused while the soak is not over and without a confirmation, shows its plan,
//! is killed with SIGKILL in the middle of its deletions and resumed, stops at a security group
//! that another group still names, and finishes once that is removed. Describe calls made with
//! plain SDK clients then find every old resource gone and the new side untouched; `rollback`
//! is refused.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../crates/migrate-aws/tests/common/mod.rs"]
mod common;

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::seed::{self, id, FastClock, Ids};
use common::text;
use migrate_engine::{Engine, NullReporter, RunOutcome};
use migrate_journal::{FileStore, State, StepStatus};
use tokio::io::{AsyncBufReadExt, BufReader};

async fn migrate(dir: &Path, endpoint: &str, args: &[&str]) -> Output {
    common::run_migrate(env!("CARGO_BIN_EXE_migrate"), dir, endpoint, args).await
}

/// Runs `migrate cleanup …` and kills it with SIGKILL when it starts the deletion `step`.
async fn killed_at(dir: &Path, endpoint: &str, args: &[&str], step: &str) -> Vec<String> {
    let mut command = common::migrate_command(env!("CARGO_BIN_EXE_migrate"), dir, endpoint);
    let mut child = command
        .arg("--no-progress")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    loop {
        let line = tokio::time::timeout(Duration::from_secs(120), lines.next_line())
            .await
            .expect("clean-up prints its progress")
            .unwrap()
            .unwrap_or_else(|| panic!("clean-up ended before {step}:\n{}", seen.join("\n")));
        eprintln!("  cleanup| {line}");
        seen.push(line.clone());
        if line.contains(&format!("] {step}")) {
            child.start_kill().unwrap();
            let status = child.wait().await.unwrap();
            assert_eq!(status.signal(), Some(9), "{status:?}");
            return seen;
        }
    }
}

async fn status(dir: &Path, endpoint: &str) -> (State, Option<migrate_journal::LockInfo>) {
    let out = migrate(dir, endpoint, &["status", "shop", "--json"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        serde_json::from_value(json["state"].take()).unwrap(),
        serde_json::from_value(json["lock"].take()).unwrap(),
    )
}

async fn volume_ids(sdk: &aws_types::SdkConfig) -> Vec<String> {
    aws_sdk_ec2::Client::new(sdk)
        .describe_volumes()
        .send()
        .await
        .unwrap()
        .volumes()
        .iter()
        .filter_map(|v| v.volume_id().map(str::to_string))
        .collect()
}

async fn group_exists(sdk: &aws_types::SdkConfig, group: &str) -> bool {
    aws_sdk_ec2::Client::new(sdk)
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-id")
                .values(group)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .security_groups()
        .iter()
        .any(|g| g.group_id() == Some(group))
}

async fn admits(sdk: &aws_types::SdkConfig, group: &str, source: &str) -> bool {
    let out = aws_sdk_ec2::Client::new(sdk)
        .describe_security_groups()
        .group_ids(group)
        .send()
        .await
        .unwrap();
    out.security_groups().iter().any(|g| {
        g.ip_permissions()
            .iter()
            .flat_map(|p| p.user_id_group_pairs())
            .any(|pair| pair.group_id() == Some(source))
    })
}

async fn load_balancers(sdk: &aws_types::SdkConfig) -> Vec<String> {
    aws_sdk_elasticloadbalancingv2::Client::new(sdk)
        .describe_load_balancers()
        .send()
        .await
        .unwrap()
        .load_balancers()
        .iter()
        .filter_map(|l| l.load_balancer_name().map(str::to_string))
        .collect()
}

async fn target_groups(sdk: &aws_types::SdkConfig) -> Vec<String> {
    aws_sdk_elasticloadbalancingv2::Client::new(sdk)
        .describe_target_groups()
        .send()
        .await
        .unwrap()
        .target_groups()
        .iter()
        .filter_map(|t| t.target_group_arn().map(str::to_string))
        .collect()
}

async fn service_status(sdk: &aws_types::SdkConfig, cluster: &str, service: &str) -> String {
    let out = aws_sdk_ecs::Client::new(sdk)
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .unwrap();
    out.services()
        .first()
        .and_then(|s| s.status())
        .unwrap_or("MISSING")
        .to_string()
}

/// Seeds moto, applies the demo migration in-process into `dir/.migrate/shop`.
async fn applied(sdk: &aws_types::SdkConfig, dir: &Path, playbook: &Path) -> migrate_plan::Plan {
    let app = seed::app_server().await;
    let conn = migrate_aws::from_sdk_config(
        sdk,
        Arc::new(migrate_aws::TcpProbe::new(Some(&app)).unwrap()),
        Arc::new(FastClock::default()),
    );
    let plan = migrate_plan::build(&migrate_playbook::Playbook::from_path(playbook).unwrap());
    let store = FileStore::new(dir.join(".migrate/shop"));
    std::fs::create_dir_all(store.dir()).unwrap();
    store
        .replace(&mut State::new(plan.clone(), chrono::Utc::now()))
        .unwrap();
    let ecs_stand_in = seed::act_as_ecs(sdk.clone(), plan.names.target_group.clone());
    let mut engine =
        Engine::new(conn.cloud.clone(), Box::new(store), Arc::new(NullReporter)).unwrap();
    let outcome = engine.apply().await;
    assert!(
        matches!(outcome, Ok(RunOutcome::Completed)),
        "{outcome:?}\n{:#?}",
        engine.state().failure
    );
    ecs_stand_in.await.unwrap();
    plan
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_after_a_full_apply_deletes_the_old_side_and_only_it() {
    let seed::Seeded {
        moto,
        dir,
        ids,
        playbook,
    } = seed::seed_001_with_two_tasks(&[]);
    let endpoint = moto.url();
    let sdk = common::sdk_config(&endpoint).await;
    let plan = applied(&sdk, dir.path(), &playbook).await;
    let dir = dir.path();
    let ids: &Ids = &ids;
    let old_tg = id(ids, "old_tg_arn");
    let instances_sg = id(ids, "instances_sg");

    // Refused while the soak (7 days by default) is not over, saying when it may run.
    let out = migrate(dir, &endpoint, &["cleanup", "shop", "--confirm", "shop"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("soak period (7d) is not over") && stderr.contains("may run from"),
        "{stderr}"
    );
    // Refused without a confirmation when there is no terminal to ask on, naming the flag.
    let out = migrate(
        dir,
        &endpoint,
        &["cleanup", "shop", "--soak-override", "wire test"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--confirm shop"),
        "{}",
        text(&out.stderr)
    );
    // A confirmation naming another migration deletes nothing either.
    let out = migrate(
        dir,
        &endpoint,
        &[
            "cleanup",
            "shop",
            "--soak-override",
            "wire test",
            "--confirm",
            "shop2",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(status(dir, &endpoint).await.0.cleanup.is_none());

    // The plan: each resource with its id, the point of no return, and when it may run.
    let out = migrate(dir, &endpoint, &["cleanup", "shop", "--plan"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    for expected in [
        id(ids, "old_alb_arn"),
        old_tg.clone(),
        "Auto Scaling group shop-ecs-instances".to_string(),
        id(ids, "launch_template"),
        id(ids, "old_volume_1"),
        id(ids, "old_volume_2"),
        format!("security group {instances_sg}"),
        "ECS service shop-web".to_string(),
        "CloudWatch alarm shop-old-alb-5xx".to_string(),
        "CloudWatch alarm shop-ecs-instances-cpu-high".to_string(),
        "TargetTracking-shop-ecs-instances-AlarmHigh-5f1c".to_string(),
        "point of no return".to_string(),
        "Not yet".to_string(),
    ] {
        assert!(
            shown.contains(&expected),
            "--plan lacks {expected}:\n{shown}"
        );
    }
    assert!(!shown.contains(&id(ids, "other_volume")), "{shown}");
    assert!(!shown.contains("billing-estimated-charges"), "{shown}");
    assert!(
        shown.contains(&format!(
            "security group {}: the new load balancer uses it",
            id(ids, "old_alb_sg")
        )),
        "{shown}"
    );

    // Another group names the old instances' group: clean-up must stop there.
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let reports = ec2
        .create_security_group()
        .vpc_id(id(ids, "vpc"))
        .group_name("reports")
        .description("a reporting box that still talks to the old instances")
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();
    let from_instances = aws_sdk_ec2::types::IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(5432)
        .to_port(5432)
        .user_id_group_pairs(
            aws_sdk_ec2::types::UserIdGroupPair::builder()
                .group_id(&instances_sg)
                .build(),
        )
        .build();
    ec2.authorize_security_group_ingress()
        .group_id(&reports)
        .ip_permissions(from_instances.clone())
        .send()
        .await
        .unwrap();

    // Killed in the middle: as the old load balancer's deletion starts.
    let args = [
        "cleanup",
        "shop",
        "--soak-override",
        "wire test",
        "--confirm",
        "shop",
    ];
    killed_at(dir, &endpoint, &args, "delete-load-balancer:shop-old-alb").await;
    let (state, lock) = status(dir, &endpoint).await;
    let cleanup = state
        .cleanup
        .clone()
        .expect("the confirmed set is recorded");
    assert_eq!(cleanup.soak_override.as_deref(), Some("wire test"));
    assert!(cleanup
        .deletions
        .iter()
        .any(|d| d.status == StepStatus::Done));
    assert!(cleanup
        .deletions
        .iter()
        .any(|d| d.status == StepStatus::Pending));
    let lock = lock.expect("the killed run left its lock");
    let out = migrate(dir, &endpoint, &["unlock", &lock.id, "shop"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));

    // Resumed (no second confirmation: the recorded set runs), it stops at the group in use.
    let out = migrate(dir, &endpoint, &["cleanup", "shop"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("delete-security-group:{instances_sg}"))
            && stderr.contains("still in use")
            && stderr.contains(&reports),
        "{stderr}"
    );
    assert!(group_exists(&sdk, &instances_sg).await);

    // Once the reference is gone, the same clean-up finishes.
    ec2.revoke_security_group_ingress()
        .group_id(&reports)
        .ip_permissions(from_instances)
        .send()
        .await
        .unwrap();
    let out = migrate(dir, &endpoint, &["cleanup", "shop"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));

    // Every old resource is gone, checked with describe calls of our own.
    let lbs = load_balancers(&sdk).await;
    assert_eq!(lbs, vec![plan.names.load_balancer.clone()], "{lbs:?}");
    let tgs = target_groups(&sdk).await;
    assert!(!tgs.contains(&old_tg), "{tgs:?}");
    assert_eq!(tgs.len(), 1, "{tgs:?}");
    let asgs = aws_sdk_autoscaling::Client::new(&sdk)
        .describe_auto_scaling_groups()
        .send()
        .await
        .unwrap();
    assert!(asgs.auto_scaling_groups().is_empty());
    let templates = ec2.describe_launch_templates().send().await.unwrap();
    assert!(templates.launch_templates().is_empty());
    let volumes = volume_ids(&sdk).await;
    assert!(!volumes.contains(&id(ids, "old_volume_1")), "{volumes:?}");
    assert!(!volumes.contains(&id(ids, "old_volume_2")), "{volumes:?}");
    assert!(volumes.contains(&id(ids, "other_volume")), "{volumes:?}");
    for service in ["shop-web", "shop-worker"] {
        let status = service_status(&sdk, "shop-ec2", service).await;
        assert!(status != "ACTIVE", "{service} is {status}");
    }
    assert!(!group_exists(&sdk, &instances_sg).await);
    for store in ["redis_sg", "rds_sg"] {
        assert!(
            !admits(&sdk, &id(ids, store), &instances_sg).await,
            "{store}"
        );
    }

    // The old side's alarms are gone; the one its target tracking policy made went with the
    // group, and the unrelated one stays (moto keeps a policy's alarm after its group, so only
    // the deletions and the survivor are checked).
    let alarms: Vec<String> = aws_sdk_cloudwatch::Client::new(&sdk)
        .describe_alarms()
        .send()
        .await
        .unwrap()
        .metric_alarms()
        .iter()
        .filter_map(|a| a.alarm_name().map(str::to_string))
        .collect();
    for gone in ["shop-old-alb-5xx", "shop-ecs-instances-cpu-high"] {
        assert!(!alarms.contains(&gone.to_string()), "{gone}: {alarms:?}");
    }
    assert!(
        alarms.contains(&"billing-estimated-charges".to_string()),
        "{alarms:?}"
    );
    assert!(
        alarms
            .iter()
            .any(|a| a.starts_with(&plan.names.alarm_prefix)),
        "the migration's own alarms stay: {alarms:?}"
    );

    // The new side is untouched.
    let old_alb_sg = id(ids, "old_alb_sg");
    assert!(
        group_exists(&sdk, &old_alb_sg).await,
        "the new ALB's group stays"
    );
    for service in plan.names.services.values() {
        assert_eq!(
            service_status(&sdk, &plan.names.cluster, service).await,
            "ACTIVE"
        );
    }
    let state = status(dir, &endpoint).await.0;
    let service_group = state
        .outputs("create-service-security-group")
        .and_then(|o| o["group_id"].as_str())
        .unwrap()
        .to_string();
    assert!(group_exists(&sdk, &service_group).await);
    for store in ["redis_sg", "rds_sg"] {
        assert!(
            admits(&sdk, &id(ids, store), &service_group).await,
            "{store}"
        );
    }

    // Rollback is refused, saying clean-up was done and by whom; status shows the clean-up.
    let out = migrate(dir, &endpoint, &["rollback", "shop"]).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("cannot be rolled back")
            && stderr.contains("clean-up")
            && stderr.contains("finished at"),
        "{stderr}"
    );
    let out = migrate(dir, &endpoint, &["status", "shop"]).await;
    let shown = text(&out.stdout);
    assert!(
        shown.contains("Clean-up: confirmed by") && shown.contains("reason: wire test"),
        "{shown}"
    );
}
