//! A full seed-001 migration over the wire: `Engine::apply` against moto on the seeded
//! topology, checked with describe calls made by plain SDK clients (not the adapter), then
//! `Engine::rollback`, checked the same way.
//!
//! moto's ECS starts no task and registers no target. This test acts as ECS would: it starts
//! moto with `MOTO_ECS_SERVICE_RUNNING=2`, so every service reports two running tasks, and it
//! registers two task IPs in the new target group as soon as that exists. Both services run two
//! tasks in the playbook used here, so "running equals desired" holds for each. The HTTP probe
//! goes to a loopback server standing in for the application behind the new ALB.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::seed::{self, id, FastClock};
use migrate_aws::TcpProbe;
use migrate_engine::ports::{TAG_PLAN_ID, TAG_STEP};
use migrate_engine::{Engine, NullReporter, RunOutcome};
use migrate_journal::{MemoryStore, State, StateStore};

async fn alias_of(sdk: &aws_types::SdkConfig, zone: &str) -> String {
    let r53 = aws_sdk_route53::Client::new(sdk);
    let out = r53
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .start_record_name("shop.example.com")
        .send()
        .await
        .unwrap();
    let set = out
        .resource_record_sets()
        .iter()
        .find(|s| s.name() == "shop.example.com." && s.r#type().as_str() == "A")
        .expect("the A record of shop.example.com");
    set.alias_target()
        .expect("an alias")
        .dns_name()
        .trim_end_matches('.')
        .to_string()
}

async fn asg_capacity(sdk: &aws_types::SdkConfig) -> (i32, i32) {
    let out = aws_sdk_autoscaling::Client::new(sdk)
        .describe_auto_scaling_groups()
        .auto_scaling_group_names("shop-ecs-instances")
        .send()
        .await
        .unwrap();
    let g = &out.auto_scaling_groups()[0];
    (g.min_size().unwrap(), g.desired_capacity().unwrap())
}

/// The old group's suspended processes, sorted, read independently of the adapter.
async fn suspended_processes(sdk: &aws_types::SdkConfig) -> Vec<String> {
    let out = aws_sdk_autoscaling::Client::new(sdk)
        .describe_auto_scaling_groups()
        .auto_scaling_group_names("shop-ecs-instances")
        .send()
        .await
        .unwrap();
    let mut names: Vec<String> = out.auto_scaling_groups()[0]
        .suspended_processes()
        .iter()
        .filter_map(|p| p.process_name().map(String::from))
        .collect();
    names.sort();
    names
}

async fn desired(sdk: &aws_types::SdkConfig, cluster: &str, service: &str) -> i32 {
    let out = aws_sdk_ecs::Client::new(sdk)
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .unwrap();
    out.services()[0].desired_count()
}

async fn admits(sdk: &aws_types::SdkConfig, group: &str, source: &str, port: i32) -> bool {
    let out = aws_sdk_ec2::Client::new(sdk)
        .describe_security_group_rules()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-id")
                .values(group)
                .build(),
        )
        .send()
        .await
        .unwrap();
    out.security_group_rules().iter().any(|r| {
        r.is_egress() == Some(false)
            && r.from_port() == Some(port)
            && r.to_port() == Some(port)
            && r.referenced_group_info().and_then(|g| g.group_id()) == Some(source)
    })
}
/// The log group named exactly `name`, as DescribeLogGroups answers, with its retention.
async fn log_group(sdk: &aws_types::SdkConfig, name: &str) -> Option<Option<i32>> {
    let logs = aws_sdk_cloudwatchlogs::Client::new(sdk);
    let out = logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .unwrap();
    out.log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))
        .map(|g| g.retention_in_days())
}

/// The new service's scalable target as Application Auto Scaling reports it: its bounds and its
/// policies with their CPU targets.
async fn scalable_target(
    sdk: &aws_types::SdkConfig,
    resource_id: &str,
) -> Option<(i32, i32, Vec<(String, Option<f64>)>)> {
    use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
    let client = aws_sdk_applicationautoscaling::Client::new(sdk);
    let targets = client
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_ids(resource_id)
        .send()
        .await
        .unwrap();
    let target = targets
        .scalable_targets()
        .iter()
        .find(|t| t.resource_id() == resource_id)?;
    let policies = client
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(resource_id)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .send()
        .await
        .unwrap()
        .scaling_policies()
        .iter()
        .map(|p| {
            (
                p.policy_name().to_string(),
                p.target_tracking_scaling_policy_configuration()
                    .map(|c| c.target_value()),
            )
        })
        .collect();
    Some((target.min_capacity(), target.max_capacity(), policies))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_001_apply_then_rollback_over_the_wire() {
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
    let plan_id = plan.id.clone();
    let log_groups = match &plan
        .step("create-log-groups")
        .expect("the log-group step")
        .action
    {
        migrate_plan::Action::CreateLogGroups { groups, .. } => groups.clone(),
        other => panic!("{other:?}"),
    };
    assert!(log_groups.len() >= 2, "{log_groups:?}");
    // One group exists before the migration, with a retention of its owner's choosing: the
    // plan must leave it as it is, and its rollback must not delete it.
    let (kept, created) = log_groups.split_first().unwrap();
    aws_sdk_cloudwatchlogs::Client::new(&sdk)
        .create_log_group()
        .log_group_name(kept)
        .send()
        .await
        .unwrap();
    aws_sdk_cloudwatchlogs::Client::new(&sdk)
        .put_retention_policy()
        .log_group_name(kept)
        .retention_in_days(7)
        .send()
        .await
        .unwrap();
    // What `migrate policy` prints for this playbook; checked against the calls at the end.
    let policy = migrate_policy::policy(&plan);
    let mut store = MemoryStore::new();
    let mut state = State::new(plan, chrono::Utc::now());
    store.save(&mut state).unwrap();

    let ecs_stand_in = seed::act_as_ecs(sdk.clone(), names.target_group.clone());
    let mut engine = Engine::new(
        conn.cloud.clone(),
        Box::new(store.clone()),
        Arc::new(NullReporter),
    )
    .unwrap();
    let outcome = engine.apply().await;
    assert!(
        matches!(outcome, Ok(RunOutcome::Completed)),
        "{outcome:?}\n{:#?}",
        engine.state().failure
    );
    ecs_stand_in.await.unwrap();

    // The FQDN aliases the new ALB.
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&sdk);
    let new_alb = elb
        .describe_load_balancers()
        .names(&names.load_balancer)
        .send()
        .await
        .unwrap();
    let new_alb = &new_alb.load_balancers()[0];
    let zone = id(&ids, "zone");
    assert_eq!(alias_of(&sdk, &zone).await, new_alb.dns_name().unwrap());

    // The old side is at zero.
    assert_eq!(asg_capacity(&sdk).await, (0, 0));
    // Zero sticks: what would raise the group again is suspended.
    assert_eq!(
        suspended_processes(&sdk).await,
        vec![
            "AZRebalance",
            "AlarmNotification",
            "Launch",
            "ScheduledActions"
        ]
    );
    assert_eq!(desired(&sdk, "shop-ec2", "shop-web").await, 0);
    assert_eq!(desired(&sdk, "shop-ec2", "shop-worker").await, 0);

    // The new services and the service security group carry the plan's tags.
    let ecs = aws_sdk_ecs::Client::new(&sdk);
    for service in names.services.values() {
        let out = ecs
            .describe_services()
            .cluster(&names.cluster)
            .services(service)
            .include(aws_sdk_ecs::types::ServiceField::Tags)
            .send()
            .await
            .unwrap();
        let s = &out.services()[0];
        assert_eq!(
            s.launch_type(),
            Some(&aws_sdk_ecs::types::LaunchType::Fargate)
        );
        assert!(
            s.tags()
                .iter()
                .any(|t| t.key() == Some(TAG_PLAN_ID) && t.value() == Some(plan_id.as_str())),
            "{s:?}"
        );
        assert!(s.tags().iter().any(|t| t.key() == Some(TAG_STEP)), "{s:?}");
    }
    // The execution role the playbook names by name was resolved in the caller's account (STS,
    // through the preflight's outputs), not in an image's registry account.
    let preflight = engine.state().record("preflight").unwrap().outputs.clone();
    assert_eq!(preflight["account"], "123456789012", "{preflight}");
    for family in names.families.values() {
        let td = ecs
            .describe_task_definition()
            .task_definition(family)
            .send()
            .await
            .unwrap();
        assert_eq!(
            td.task_definition().unwrap().execution_role_arn(),
            Some("arn:aws:iam::123456789012:role/ecsTaskExecutionRole"),
            "{family}"
        );
    }
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
    let service_sg = sgs.security_groups()[0].clone();
    assert!(service_sg
        .tags()
        .iter()
        .any(|t| t.key() == Some(TAG_PLAN_ID) && t.value() == Some(plan_id.as_str())));
    let service_sg = service_sg.group_id().unwrap().to_string();

    // The data stores admit the service SG on their ports.
    assert!(admits(&sdk, &id(&ids, "redis_sg"), &service_sg, 6379).await);
    assert!(admits(&sdk, &id(&ids, "rds_sg"), &service_sg, 3306).await);

    // The log groups exist: the one that existed keeps its retention, the others have the
    // playbook's.
    assert_eq!(log_group(&sdk, kept).await, Some(Some(7)));
    for group in created {
        assert_eq!(log_group(&sdk, group).await, Some(Some(30)), "{group}");
    }

    // The web service scales between its desired count and four times it, tracking CPU at the
    // old Auto Scaling group's target (55 %, seeded by seed_demo.py).
    let web_target = format!("service/{}/{}", names.cluster, names.services["web"]);
    let (min, max, policies) = scalable_target(&sdk, &web_target)
        .await
        .expect("the web service is a scalable target");
    let desired_web = i32::try_from(playbook.target.services[0].desired_count).unwrap();
    assert_eq!((min, max), (desired_web, 4 * desired_web));
    assert_eq!(policies, vec![("shop-web-cpu".to_string(), Some(55.0))]);

    let apply_calls = conn.calls.render();

    // Rollback restores the alias, the ASG's min/desired and the old services' counts.
    let outcome = engine.rollback().await;
    assert!(
        matches!(outcome, Ok(RunOutcome::Completed)),
        "{outcome:?}\n{:#?}",
        engine.state().failure
    );
    assert_eq!(alias_of(&sdk, &zone).await, id(&ids, "old_alb_dns"));
    assert_eq!(asg_capacity(&sdk).await, (2, 2));
    // The rollback resumed what the scale-down suspended (nothing was suspended before).
    assert!(suspended_processes(&sdk).await.is_empty());
    assert_eq!(desired(&sdk, "shop-ec2", "shop-web").await, 2);
    assert_eq!(desired(&sdk, "shop-ec2", "shop-worker").await, 2);
    assert!(!admits(&sdk, &id(&ids, "redis_sg"), &service_sg, 6379).await);
    // The groups this plan created are gone; the one that existed before is still there.
    for group in created {
        assert_eq!(log_group(&sdk, group).await, None, "{group}");
    }
    assert_eq!(log_group(&sdk, kept).await, Some(Some(7)));
    assert_eq!(scalable_target(&sdk, &web_target).await, None);

    println!(
        "API calls of apply:\n{apply_calls}\nAPI calls of apply + rollback:\n{}",
        conn.calls.render()
    );
    policy_covers_every_call(&policy, &conn.calls);
}

/// The IAM prefix of an adapter client, as the call counter names it.
fn iam_prefix(service: &str) -> &'static str {
    match service {
        "ecs" => "ecs",
        "ec2" => "ec2",
        "elasticloadbalancing" => "elasticloadbalancing",
        "route53" => "route53",
        "cloudwatch" => "cloudwatch",
        "autoscaling" => "autoscaling",
        "elasticbeanstalk" => "elasticbeanstalk",
        "s3" => "s3",
        "logs" => "logs",
        "application-autoscaling" => "application-autoscaling",
        "sts" => "sts",
        "iam" => "iam",
        "servicequotas" => "servicequotas",
        "wafv2" => "wafv2",
        other => panic!("the counter names a service this test does not know: {other}"),
    }
}

/// Every operation the adapter called during apply and rollback is allowed by the plan's
/// policy (a wildcard such as `ec2:Describe*` counts); the policy's actions that were never
/// called are listed, not failed, since some serve paths this run does not take (a failed
/// step's compensation, a Beanstalk source, a shared state).
fn policy_covers_every_call(
    policy: &migrate_policy::PolicyDocument,
    calls: &migrate_aws::ApiCalls,
) {
    let called: std::collections::BTreeSet<String> = calls
        .snapshot()
        .into_keys()
        .map(|(service, operation)| format!("{}:{operation}", iam_prefix(&service)))
        // "No permissions are required to perform this operation" (STS API reference,
        // GetCallerIdentity): no policy can grant or deny it.
        .filter(|action| action != "sts:GetCallerIdentity")
        .collect();
    assert!(
        called.len() > 20,
        "the run made too few distinct calls to prove anything: {called:?}"
    );
    let missing: Vec<&String> = called
        .iter()
        .filter(|action| !policy.allows_action(action))
        .collect();
    assert!(
        missing.is_empty(),
        "`migrate policy` leaves out actions the adapter called during apply and rollback: {missing:?}\n\
         policy:\n{}",
        policy.to_json_pretty()
    );
    let never_called: Vec<&str> = policy
        .actions()
        .into_iter()
        .filter(|pattern| {
            !called
                .iter()
                .any(|action| migrate_policy::wildcard_match(pattern, action))
        })
        .collect();
    println!(
        "{} distinct actions called, all in the policy; policy actions this run never called: {never_called:?}",
        called.len()
    );
}
