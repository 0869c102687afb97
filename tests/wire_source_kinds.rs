//! The three other source kinds end to end over the wire: a full apply and rollback of
//! `playbooks/asg.yaml` (plain instances in an Auto Scaling group behind a dual-stack ALB with an
//! HTTP-to-HTTPS redirect, an HTTPS listener with a host rule and an SNI certificate, an `A` and
//! an `AAAA` alias, a scheduled action on the group), of `playbooks/beanstalk.yaml` (an
//! Elastic Beanstalk environment reached through a CNAME of its own name) and of
//! `playbooks/ec2.yaml` (two plain instances in the old target group, no group), each seeded into moto
//! by `scripts/seed_demo.py` as `make demo DEMO=…` seeds it. The engine runs in-process on a clock
//! that does not wait, as `crates/migrate-aws/tests/migration.rs` runs seed 001. What the
//! migration did is checked with plain SDK clients, independently of the adapter.
//!
//! moto has no `UpdateEnvironment`: for Beanstalk, `scripts/beanstalk_standin.py` answers
//! Elastic Beanstalk's requests in front of moto and applies the environment's settings to its
//! Auto Scaling group as EB does.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../crates/migrate-aws/tests/common/mod.rs"]
mod common;

use std::sync::Arc;

use aws_types::SdkConfig;
use common::seed::{self, id, FastClock, Ids};
use migrate_aws::TcpProbe;
use migrate_engine::{Engine, NullReporter, RunOutcome};
use migrate_journal::{MemoryStore, State, StateStore};
use migrate_plan::Plan;

/// What one record set points at: an alias's DNS name (normalised) or its values.
async fn record_target(sdk: &SdkConfig, zone: &str, name: &str, record_type: &str) -> String {
    let out = aws_sdk_route53::Client::new(sdk)
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .send()
        .await
        .unwrap();
    let set = out
        .resource_record_sets()
        .iter()
        .find(|r| r.name().trim_end_matches('.') == name && r.r#type().as_str() == record_type)
        .unwrap_or_else(|| panic!("no {record_type} record {name} in {zone}"));
    match set.alias_target() {
        Some(alias) => migrate_engine::ports::normalise_dns_name(alias.dns_name()),
        None => set
            .resource_records()
            .iter()
            .map(|r| r.value().to_string())
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// (min, max, desired) of an Auto Scaling group.
async fn capacity(sdk: &SdkConfig, group: &str) -> (i32, i32, i32) {
    let out = aws_sdk_autoscaling::Client::new(sdk)
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(group)
        .send()
        .await
        .unwrap();
    let g = &out.auto_scaling_groups()[0];
    (
        g.min_size().unwrap(),
        g.max_size().unwrap(),
        g.desired_capacity().unwrap(),
    )
}

/// The environment's `aws:autoscaling:asg` MinSize and MaxSize, read independently of the adapter.
async fn asg_options(sdk: &SdkConfig, application: &str, environment: &str) -> (u32, u32) {
    let out = aws_sdk_elasticbeanstalk::Client::new(sdk)
        .describe_configuration_settings()
        .application_name(application)
        .environment_name(environment)
        .send()
        .await
        .unwrap();
    let option = |name: &str| -> u32 {
        out.configuration_settings()[0]
            .option_settings()
            .iter()
            .find(|o| o.namespace() == Some("aws:autoscaling:asg") && o.option_name() == Some(name))
            .and_then(|o| o.value())
            .unwrap()
            .parse()
            .unwrap()
    };
    (option("MinSize"), option("MaxSize"))
}

async fn load_balancer_dns(sdk: &SdkConfig, name: &str) -> Option<String> {
    let out = aws_sdk_elasticloadbalancingv2::Client::new(sdk)
        .describe_load_balancers()
        .names(name)
        .send()
        .await
        .ok()?;
    out.load_balancers()
        .first()
        .and_then(|l| l.dns_name())
        .map(migrate_engine::ports::normalise_dns_name)
}

/// Applies `plan` in-process against `sdk`'s endpoint, with ECS's target registration played by
/// the test on `port`; answers the engine for the rollback.
async fn apply(sdk: &SdkConfig, plan: Plan, port: i32) -> (Engine, MemoryStore) {
    // The stand-in answers each probe as the new load balancer's listener in moto would.
    let app = seed::front_end_server(sdk.clone(), plan.names.load_balancer.clone()).await;
    let conn = migrate_aws::from_sdk_config(
        sdk,
        Arc::new(TcpProbe::new(Some(&app)).unwrap()),
        Arc::new(FastClock::default()),
    );
    let ecs = seed::act_as_ecs_on_port(sdk.clone(), plan.names.target_group.clone(), port);
    // The listener strategy's bridge target group gets the same tasks, as ECS registers a
    // service's tasks in each of its target groups.
    let bridge = (!plan.names.bridge_target_group.is_empty()).then(|| {
        seed::act_as_ecs_on_port(sdk.clone(), plan.names.bridge_target_group.clone(), port)
    });
    let mut store = MemoryStore::new();
    let mut state = State::new(plan, chrono::Utc::now());
    store.save(&mut state).unwrap();
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
    ecs.await.unwrap();
    if let Some(bridge) = bridge {
        bridge.await.unwrap();
    }
    (engine, store)
}

/// Asserts that `name`'s `A` record aliases the new load balancer `load_balancer`.
async fn assert_aliases_new(sdk: &SdkConfig, zone: &str, name: &str, load_balancer: &str) {
    let new_alb = load_balancer_dns(sdk, load_balancer)
        .await
        .expect("the new load balancer exists");
    assert_eq!(record_target(sdk, zone, name, "A").await, new_alb);
}

/// Rolls the migration back and asserts that the rollback completed.
async fn roll_back(engine: &mut Engine) {
    let outcome = engine.rollback().await;
    assert!(
        matches!(outcome, Ok(RunOutcome::Completed)),
        "{outcome:?}\n{:#?}",
        engine.state().failure
    );
}

fn plan_of(seeded: &seed::Seeded) -> Plan {
    let playbook =
        migrate_playbook::Playbook::from_path(&seeded.playbook).unwrap_or_else(|e| panic!("{e}"));
    migrate_plan::build(&playbook)
}

fn old_alb_dns(ids: &Ids) -> String {
    migrate_engine::ports::normalise_dns_name(&id(ids, "old_alb_dns"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asg_playbook_apply_then_rollback_over_the_wire() {
    let seeded = seed::seed_kind("asg", &[]);
    let sdk = common::sdk_config(&seeded.moto.url()).await;
    let ids = seeded.ids.clone();
    let zone = id(&ids, "zone");
    let group = id(&ids, "asg");
    let plan = plan_of(&seeded);
    let names = plan.names.clone();
    assert_eq!(capacity(&sdk, &group).await, (2, 6, 2));

    let (mut engine, _store) = apply(&sdk, plan, 8080).await;

    // The name users reach now aliases the new load balancer, and the old group is at zero.
    assert_aliases_new(&sdk, &zone, "catalog.example.com", &names.load_balancer).await;
    let (min, _, desired) = capacity(&sdk, &group).await;
    assert_eq!((min, desired), (0, 0));

    roll_back(&mut engine).await;
    // Back where it started: the record on the old load balancer, the group's capacity as it
    // was, the new load balancer gone.
    assert_eq!(
        record_target(&sdk, &zone, "catalog.example.com", "A").await,
        old_alb_dns(&ids)
    );
    assert_eq!(capacity(&sdk, &group).await, (2, 6, 2));
    assert_eq!(load_balancer_dns(&sdk, &names.load_balancer).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beanstalk_playbook_apply_then_rollback_over_the_wire() {
    let seeded = seed::seed_kind("beanstalk", &[]);
    let standin =
        seed::BeanstalkStandIn::start(&seeded.moto.url(), &seeded.dir.path().join("ids.json"));
    // Every request goes through the stand-in: it answers Elastic Beanstalk's and passes the
    // rest on to moto.
    let sdk = common::sdk_config(&standin.url).await;
    let ids = seeded.ids.clone();
    let zone = id(&ids, "zone");
    let group = id(&ids, "asg");
    let environment_cname = ids["beanstalk"]["environments"][0]["cname"]
        .as_str()
        .unwrap()
        .to_string();
    let plan = plan_of(&seeded);
    let names = plan.names.clone();
    assert_eq!(
        record_target(&sdk, &zone, "portal.example.com", "CNAME").await,
        environment_cname
    );

    let (mut engine, _store) = apply(&sdk, plan, 80).await;

    // The CNAME of the environment's name points at the new load balancer (a CNAME stays a
    // CNAME: the DNS move keeps every field of the record set as read).
    let new_alb = load_balancer_dns(&sdk, &names.load_balancer)
        .await
        .expect("the new load balancer exists");
    assert_eq!(
        migrate_engine::ports::normalise_dns_name(
            &record_target(&sdk, &zone, "portal.example.com", "CNAME").await
        ),
        migrate_engine::ports::normalise_dns_name(&new_alb)
    );
    // The old side went down through the environment (UpdateEnvironment, which the stand-in
    // checks and applies to the group as Elastic Beanstalk does), to the one instance EB keeps.
    assert_eq!(asg_options(&sdk, "portal", "portal-prod").await, (1, 1));
    assert_eq!(capacity(&sdk, &group).await, (1, 1, 1));
    // The new load balancer is in a group of its own, never Elastic Beanstalk's: the group
    // admits the clients EB's group admits and sends only to the service group on its port.
    let own = own_load_balancer_group(&sdk, &names, &id(&ids, "old_alb_sg")).await;
    assert_eq!(
        own.ingress,
        vec![("tcp".to_string(), 80, "0.0.0.0/0".to_string())]
    );
    let service_group = security_group_named(&sdk, &names.service_security_group)
        .await
        .expect("the service group exists");
    assert_eq!(own.egress, vec![("tcp".to_string(), 80, service_group)]);

    roll_back(&mut engine).await;
    // The CNAME is back, as it was read, and the environment's group serves at its capacity.
    assert_eq!(
        record_target(&sdk, &zone, "portal.example.com", "CNAME").await,
        environment_cname
    );
    assert_eq!(capacity(&sdk, &group).await, (2, 4, 2));
    assert_eq!(asg_options(&sdk, "portal", "portal-prod").await, (2, 4));
    assert_eq!(load_balancer_dns(&sdk, &names.load_balancer).await, None);
    assert_eq!(
        security_group_named(&sdk, &names.load_balancer_security_group).await,
        None
    );
}

/// A group's rules as (protocol, port, peer), the peer a CIDR or a group id, sorted.
struct GroupRules {
    ingress: Vec<(String, i32, String)>,
    egress: Vec<(String, i32, String)>,
}

async fn security_group_named(sdk: &SdkConfig, name: &str) -> Option<String> {
    let out = aws_sdk_ec2::Client::new(sdk)
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-name")
                .values(name)
                .build(),
        )
        .send()
        .await
        .unwrap();
    out.security_groups()
        .first()
        .and_then(|g| g.group_id())
        .map(str::to_string)
}

/// The new load balancer's one security group, read independently, after checking that it is
/// the plan's own and not `beanstalks`.
async fn own_load_balancer_group(
    sdk: &SdkConfig,
    names: &migrate_plan::ResourceNames,
    beanstalks: &str,
) -> GroupRules {
    let lbs = aws_sdk_elasticloadbalancingv2::Client::new(sdk)
        .describe_load_balancers()
        .names(&names.load_balancer)
        .send()
        .await
        .unwrap();
    let groups = lbs.load_balancers()[0].security_groups().to_vec();
    let own = security_group_named(sdk, &names.load_balancer_security_group)
        .await
        .expect("the load balancer's own group exists");
    assert_eq!(groups, vec![own.clone()], "not in {beanstalks}");
    let described = aws_sdk_ec2::Client::new(sdk)
        .describe_security_groups()
        .group_ids(&own)
        .send()
        .await
        .unwrap();
    let group = &described.security_groups()[0];
    let flatten = |permissions: &[aws_sdk_ec2::types::IpPermission]| {
        let mut rules: Vec<(String, i32, String)> = permissions
            .iter()
            .flat_map(|p| {
                let protocol = p.ip_protocol().unwrap_or("").to_string();
                let port = p.from_port().unwrap_or(-1);
                p.ip_ranges()
                    .iter()
                    .filter_map(|r| r.cidr_ip().map(str::to_string))
                    .chain(
                        p.user_id_group_pairs()
                            .iter()
                            .filter_map(|g| g.group_id().map(str::to_string)),
                    )
                    .map(move |peer| (protocol.clone(), port, peer))
                    .collect::<Vec<_>>()
            })
            .collect();
        rules.sort();
        rules
    };
    GroupRules {
        ingress: flatten(group.ip_permissions()),
        egress: flatten(group.ip_permissions_egress()),
    }
}

/// Runs clean-up of the old side in-process after `engine`'s completed apply (the soak
/// overridden, as `--soak-override` does); answers what it deleted, as its plan lines.
async fn clean_up(sdk: &SdkConfig, store: MemoryStore) -> Vec<String> {
    let conn = migrate_aws::from_sdk_config(
        sdk,
        Arc::new(TcpProbe::default()),
        Arc::new(migrate_engine::ports::SystemClock),
    );
    let mut cleaner = migrate_engine::cleanup::Cleaner::new(
        conn.cloud.clone(),
        Box::new(store),
        Arc::new(NullReporter),
    )
    .unwrap();
    let found = cleaner.discover().await.unwrap();
    let shown = found.deletions.iter().map(|d| d.summary()).collect();
    cleaner
        .confirm(&found, "wire@test", Some("the wire test"))
        .unwrap();
    assert_eq!(cleaner.run().await.unwrap(), RunOutcome::Completed);
    shown
}

async fn environment_status(sdk: &SdkConfig, name: &str) -> String {
    let out = aws_sdk_elasticbeanstalk::Client::new(sdk)
        .describe_environments()
        .environment_names(name)
        .send()
        .await
        .unwrap();
    out.environments()[0].status().unwrap().as_str().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_after_an_asg_migration_deletes_the_group_and_keeps_the_new_side() {
    let seeded = seed::seed_kind("asg", &[]);
    let sdk = common::sdk_config(&seeded.moto.url()).await;
    let ids = seeded.ids.clone();
    let plan = plan_of(&seeded);
    let names = plan.names.clone();
    let (_engine, store) = apply(&sdk, plan, 8080).await;

    let deleted = clean_up(&sdk, store).await.join("\n");
    assert!(
        deleted.contains("Auto Scaling group catalog-web"),
        "{deleted}"
    );
    let groups = aws_sdk_autoscaling::Client::new(&sdk)
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(id(&ids, "asg"))
        .send()
        .await
        .unwrap();
    assert!(groups.auto_scaling_groups().is_empty(), "{groups:?}");
    let old = aws_sdk_elasticloadbalancingv2::Client::new(&sdk)
        .describe_load_balancers()
        .names("catalog-old-alb")
        .send()
        .await;
    assert!(
        old.is_err(),
        "the old load balancer is still there: {old:?}"
    );
    // The new side serves on.
    assert!(load_balancer_dns(&sdk, &names.load_balancer)
        .await
        .is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_after_a_beanstalk_migration_terminates_the_environment() {
    let seeded = seed::seed_kind("beanstalk", &[]);
    let standin =
        seed::BeanstalkStandIn::start(&seeded.moto.url(), &seeded.dir.path().join("ids.json"));
    let sdk = common::sdk_config(&standin.url).await;
    let plan = plan_of(&seeded);
    let names = plan.names.clone();
    let (_engine, store) = apply(&sdk, plan, 80).await;
    assert_eq!(environment_status(&sdk, "portal-prod").await, "Ready");

    let deleted = clean_up(&sdk, store).await;
    // Beanstalk deletes what it made when its environment terminates: clean-up terminates the
    // environment and deletes none of its resources one by one.
    assert!(
        deleted
            .iter()
            .any(|d| d.contains("terminate Elastic Beanstalk environment portal-prod")),
        "{deleted:#?}"
    );
    assert!(
        !deleted
            .iter()
            .any(|d| d.contains("AWSEBAutoScalingGroup") || d.contains("delete load balancer")),
        "{deleted:#?}"
    );
    assert_eq!(environment_status(&sdk, "portal-prod").await, "Terminated");
    assert!(load_balancer_dns(&sdk, &names.load_balancer)
        .await
        .is_some());
}

/// Each instance's state name, as EC2 answers.
async fn instance_states(sdk: &SdkConfig, ids: &[String]) -> Vec<String> {
    let out = aws_sdk_ec2::Client::new(sdk)
        .describe_instances()
        .set_instance_ids(Some(ids.to_vec()))
        .send()
        .await
        .unwrap();
    let mut states: Vec<(String, String)> = out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .map(|i| {
            (
                i.instance_id().unwrap().to_string(),
                i.state().unwrap().name().unwrap().as_str().to_string(),
            )
        })
        .collect();
    states.sort();
    states.into_iter().map(|(_, state)| state).collect()
}

/// The old target group's targets and their states, as ELB answers.
async fn old_target_states(sdk: &SdkConfig, target_group: &str) -> Vec<(String, String)> {
    let out = aws_sdk_elasticloadbalancingv2::Client::new(sdk)
        .describe_target_health()
        .target_group_arn(target_group)
        .send()
        .await
        .unwrap();
    let mut states: Vec<(String, String)> = out
        .target_health_descriptions()
        .iter()
        .map(|d| {
            (
                d.target().unwrap().id().unwrap().to_string(),
                d.target_health()
                    .and_then(|h| h.state())
                    .map_or("?".into(), |s| s.as_str().to_string()),
            )
        })
        .collect();
    states.sort();
    states
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ec2_playbook_stops_the_instances_and_a_rollback_starts_them_over_the_wire() {
    let seeded = seed::seed_kind("ec2", &[]);
    let sdk = common::sdk_config(&seeded.moto.url()).await;
    let ids = seeded.ids.clone();
    let zone = id(&ids, "zone");
    let instances = vec![id(&ids, "instance_1"), id(&ids, "instance_2")];
    let old_tg = id(&ids, "old_tg_arn");
    let plan = plan_of(&seeded);
    assert_eq!(plan.playbook.source.instances, instances);
    let names = plan.names.clone();
    assert_eq!(
        instance_states(&sdk, &instances).await,
        ["running", "running"]
    );

    let (mut engine, _store) = apply(&sdk, plan, 8000).await;

    // The name aliases the new load balancer; the instances are stopped, not terminated, and
    // still registered, `unused`.
    assert_aliases_new(&sdk, &zone, "ledger.example.com", &names.load_balancer).await;
    assert_eq!(
        instance_states(&sdk, &instances).await,
        ["stopped", "stopped"]
    );
    let unused: Vec<(String, String)> = instances
        .iter()
        .map(|i| (i.clone(), "unused".to_string()))
        .collect();
    assert_eq!(old_target_states(&sdk, &old_tg).await, unused);

    roll_back(&mut engine).await;
    assert_eq!(
        instance_states(&sdk, &instances).await,
        ["running", "running"]
    );
    let healthy: Vec<(String, String)> = instances
        .iter()
        .map(|i| (i.clone(), "healthy".to_string()))
        .collect();
    assert_eq!(old_target_states(&sdk, &old_tg).await, healthy);
    assert_eq!(
        record_target(&sdk, &zone, "ledger.example.com", "A").await,
        old_alb_dns(&ids)
    );
    assert_eq!(load_balancer_dns(&sdk, &names.load_balancer).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_after_an_ec2_migration_terminates_the_stopped_instances() {
    let seeded = seed::seed_kind("ec2", &[]);
    let sdk = common::sdk_config(&seeded.moto.url()).await;
    let ids = seeded.ids.clone();
    let instances = vec![id(&ids, "instance_1"), id(&ids, "instance_2")];
    let plan = plan_of(&seeded);
    let names = plan.names.clone();
    let (_engine, store) = apply(&sdk, plan, 8000).await;

    let deleted = clean_up(&sdk, store).await.join("\n");
    assert!(
        deleted.contains(&format!(
            "terminate the stopped old instances {}",
            instances.join(", ")
        )),
        "{deleted}"
    );
    assert!(
        deleted.contains("delete CloudWatch alarm ledger-web-1-cpu"),
        "{deleted}"
    );
    assert_eq!(
        instance_states(&sdk, &instances).await,
        ["terminated", "terminated"]
    );
    // Their security group went after them; the database's group stays.
    assert!(security_group_named(&sdk, "ledger-web").await.is_none());
    assert!(security_group_named(&sdk, "ledger-database")
        .await
        .is_some());
    assert!(load_balancer_dns(&sdk, &names.load_balancer)
        .await
        .is_some());
}

/// The ARN of the target group `name`, or `None` when there is none.
async fn target_group_arn(sdk: &SdkConfig, name: &str) -> Option<String> {
    let out = aws_sdk_elasticloadbalancingv2::Client::new(sdk)
        .describe_target_groups()
        .names(name)
        .send()
        .await
        .ok()?;
    out.target_groups()
        .first()
        .and_then(|t| t.target_group_arn())
        .map(str::to_string)
}

/// Every listener of a load balancer with its default actions and its rules' priorities,
/// conditions and actions, as an independent SDK client reads them (rendered for comparison).
async fn listener_actions(sdk: &SdkConfig, load_balancer: &str) -> Vec<String> {
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(sdk);
    let lb = elb
        .describe_load_balancers()
        .names(load_balancer)
        .send()
        .await
        .unwrap();
    let arn = lb.load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_string();
    let listeners = elb
        .describe_listeners()
        .load_balancer_arn(&arn)
        .send()
        .await
        .unwrap();
    let mut out = Vec::new();
    for l in listeners.listeners() {
        out.push(format!(
            "{:?} {:?} default {:?}",
            l.protocol(),
            l.port(),
            l.default_actions()
        ));
        let rules = elb
            .describe_rules()
            .listener_arn(l.listener_arn().unwrap())
            .send()
            .await
            .unwrap();
        for r in rules.rules() {
            out.push(format!(
                "  rule {:?} {:?} {:?}",
                r.priority(),
                r.conditions(),
                r.actions()
            ));
        }
    }
    // The first action of a list has order 1 whether or not the request said so: AWS returns it
    // either way (`Action.Order`,
    // https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Action.html), moto
    // echoes the request, and the adapter always sends it. Everything else must match exactly.
    let mut out: Vec<String> = out
        .into_iter()
        .map(|line| line.replace("order: Some(1)", "order: None"))
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listener_strategy_shares_the_old_forwards_and_a_rollback_restores_them_exactly() {
    let seeded = seed::seed_kind("asg", &[]);
    let sdk = common::sdk_config(&seeded.moto.url()).await;
    let ids = seeded.ids.clone();
    let zone = id(&ids, "zone");
    let mut playbook =
        migrate_playbook::Playbook::from_path(&seeded.playbook).unwrap_or_else(|e| panic!("{e}"));
    playbook.cutover.strategy = migrate_playbook::CutoverStrategy::Listener {
        steps: vec![10, 100],
        bake: std::time::Duration::from_secs(60),
    };
    let old_lb = playbook.source.load_balancer.clone().unwrap();
    let plan = migrate_plan::build(&playbook);
    let names = plan.names.clone();
    let before = listener_actions(&sdk, &old_lb).await;
    let (mut engine, _store) = apply(&sdk, plan, 8080).await;

    // Every forward of the old listeners to the old target group now sends everything to the
    // bridge (weight 100) and keeps the old group attached at 0; the name aliases the new load
    // balancer.
    let bridge = target_group_arn(&sdk, &names.bridge_target_group)
        .await
        .expect("the bridge target group exists");
    let after = listener_actions(&sdk, &old_lb).await;
    let shared: Vec<&String> = after.iter().filter(|l| l.contains(&bridge)).collect();
    assert!(
        !shared.is_empty(),
        "no old forward names the bridge: {after:#?}"
    );
    for line in &shared {
        assert!(
            line.contains("weight: Some(100)") && line.contains("weight: Some(0)"),
            "{line}"
        );
    }
    assert_eq!(
        after.len(),
        before.len(),
        "a listener or rule was added or lost"
    );
    assert_aliases_new(&sdk, &zone, "catalog.example.com", &names.load_balancer).await;

    roll_back(&mut engine).await;
    // Every default action and rule of the old load balancer exactly as before, the name back,
    // the bridge and the new load balancer gone.
    assert_eq!(listener_actions(&sdk, &old_lb).await, before);
    assert_eq!(
        record_target(&sdk, &zone, "catalog.example.com", "A").await,
        old_alb_dns(&ids)
    );
    assert_eq!(load_balancer_dns(&sdk, &names.load_balancer).await, None);
    assert_eq!(
        target_group_arn(&sdk, &names.bridge_target_group).await,
        None,
        "the bridge target group is still there"
    );
}

/// The target groups the ECS service `service` registers in, as an SDK client reads them.
async fn service_target_groups(sdk: &SdkConfig, cluster: &str, service: &str) -> Vec<String> {
    let out = aws_sdk_ecs::Client::new(sdk)
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .unwrap();
    out.services()[0]
        .load_balancers()
        .iter()
        .filter_map(|lb| lb.target_group_arn().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_after_a_listener_migration_takes_the_bridge_out_of_the_service_then_deletes_it() {
    let seeded = seed::seed_kind("asg", &[]);
    let sdk = common::sdk_config(&seeded.moto.url()).await;
    let mut playbook =
        migrate_playbook::Playbook::from_path(&seeded.playbook).unwrap_or_else(|e| panic!("{e}"));
    playbook.cutover.strategy = migrate_playbook::CutoverStrategy::Listener {
        steps: vec![100],
        bake: std::time::Duration::from_secs(60),
    };
    let plan = migrate_plan::build(&playbook);
    let names = plan.names.clone();
    let web = names.services["web"].clone();
    let (_engine, store) = apply(&sdk, plan, 8080).await;
    let bridge = target_group_arn(&sdk, &names.bridge_target_group)
        .await
        .expect("the bridge target group exists");
    let new_group = target_group_arn(&sdk, &names.target_group).await.unwrap();
    assert_eq!(
        service_target_groups(&sdk, &names.cluster, &web).await,
        vec![new_group.clone(), bridge.clone()]
    );
    // moto starts no task; ECS's part is played here: the service reports its tasks running,
    // which moto records when the desired count is set again.
    let desired = i32::try_from(playbook.target.services[0].desired_count).unwrap();
    aws_sdk_ecs::Client::new(&sdk)
        .update_service()
        .cluster(&names.cluster)
        .service(&web)
        .desired_count(desired)
        .send()
        .await
        .unwrap();

    let shown = clean_up(&sdk, store).await.join("\n");
    assert!(
        shown.contains(&format!(
            "take target group {bridge} out of ECS service {web}"
        )),
        "{shown}"
    );
    // The service registers in the new load balancer's group alone (UpdateService's
    // `loadBalancers` as moto keeps them), and the bridge is gone with the old load balancer.
    assert_eq!(
        service_target_groups(&sdk, &names.cluster, &web).await,
        vec![new_group]
    );
    assert_eq!(
        target_group_arn(&sdk, &names.bridge_target_group).await,
        None
    );
    assert_eq!(
        load_balancer_dns(&sdk, &playbook.source.load_balancer.clone().unwrap()).await,
        None
    );
}
