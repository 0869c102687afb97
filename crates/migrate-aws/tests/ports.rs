//! Each port method over the wire, against moto server: create, find, repeat, delete, and
//! not-found on delete. Checks of what was created are made with plain SDK clients, so they do
//! not depend on the adapter's own parsing.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use migrate_engine::ports::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecs_cluster_task_definition_and_service() {
    let w = common::start().await;
    let c = &w.conn.cloud.containers;
    let ecs = aws_sdk_ecs::Client::new(&w.sdk);

    assert_eq!(c.find_cluster("shop-fargate").await.unwrap(), None);
    let spec = ClusterSpec {
        name: "shop-fargate".into(),
        container_insights: true,
        tags: common::tags("create-cluster"),
    };
    let cluster = c.create_cluster(&spec).await.unwrap();
    assert_eq!(cluster.status, "ACTIVE");
    assert_eq!(
        c.find_cluster("shop-fargate").await.unwrap().unwrap().arn,
        cluster.arn
    );
    let described = ecs
        .describe_clusters()
        .clusters("shop-fargate")
        .include(aws_sdk_ecs::types::ClusterField::Settings)
        .include(aws_sdk_ecs::types::ClusterField::Tags)
        .send()
        .await
        .unwrap();
    let d = &described.clusters()[0];
    assert!(
        d.settings().iter().any(|s| s.value() == Some("enabled")),
        "{d:?}"
    );
    assert!(d
        .tags()
        .iter()
        .any(|t| t.key() == Some(TAG_PLAN_ID) && t.value() == Some("plan-wire")));

    // Task definitions: only a revision tagged with this plan is found.
    assert_eq!(
        c.find_task_definition("shop-web", "plan-wire")
            .await
            .unwrap(),
        None
    );
    let definition = json!({
        "family": "shop-web",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "512", "memory": "1024",
        "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
        "containerDefinitions": [
            { "name": "nginx", "image": "nginx:1.25", "essential": true,
              "portMappings": [{ "containerPort": 80, "hostPort": 80, "protocol": "tcp" }],
              "dependsOn": [{ "containerName": "php-fpm", "condition": "START" }],
              "logConfiguration": { "logDriver": "awslogs", "options": { "awslogs-group": "/ecs/new" } } },
            { "name": "php-fpm", "image": "php:8-fpm", "essential": true,
              "secrets": [{ "name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:shop-AbCdEf:DB_PASSWORD::" }],
              "environment": [{ "name": "REDIS_HOST", "value": "redis" }] }
        ]
    });
    let td = c
        .register_task_definition(&TaskDefinitionSpec {
            family: "shop-web".into(),
            definition: definition.clone(),
            tags: common::tags("register-task-definition"),
        })
        .await
        .unwrap();
    assert_eq!(td.family, "shop-web");
    // Another plan's revision of the same family, newer, must not be taken for ours.
    let mut foreign = common::tags("register-task-definition");
    foreign.insert(TAG_PLAN_ID.into(), "another-plan".into());
    c.register_task_definition(&TaskDefinitionSpec {
        family: "shop-web".into(),
        definition: definition.clone(),
        tags: foreign,
    })
    .await
    .unwrap();
    assert_eq!(
        c.find_task_definition("shop-web", "plan-wire")
            .await
            .unwrap(),
        Some(td.clone())
    );
    let json = c.describe_task_definition(&td.arn).await.unwrap().unwrap();
    assert_eq!(
        json["containerDefinitions"][1]["secrets"][0]["name"],
        "DB_PASSWORD"
    );
    assert_eq!(json["networkMode"], "awsvpc");
    assert_eq!(
        json["containerDefinitions"][0]["logConfiguration"]["options"]["awslogs-group"],
        "/ecs/new"
    );
    assert_eq!(
        c.describe_task_definition(
            "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/nothing:1"
        )
        .await
        .unwrap(),
        None
    );

    // Services.
    let (_vpc, subnets) = common::vpc(&w.sdk).await;
    assert_eq!(c.find_service("shop-fargate", "web").await.unwrap(), None);
    assert_eq!(
        c.find_service("no-such-cluster", "web").await.unwrap(),
        None
    );
    let service = ServiceSpec {
        cluster: "shop-fargate".into(),
        name: "web".into(),
        task_definition_arn: td.arn.clone(),
        desired_count: 2,
        subnets: subnets.clone(),
        security_groups: vec![],
        assign_public_ip: false,
        also_registers_in: Vec::new(),
        load_balancer: None,
        health_check_grace_period_secs: Some(60),
        enable_execute_command: true,
        client_token: "plan-wire-web".into(),
        tags: common::tags("create-service-web"),
    };
    let created = c.create_service(&service).await.unwrap();
    assert_eq!(created.desired_count, 2);
    let found = c
        .find_service("shop-fargate", "web")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.arn, created.arn);
    assert_eq!(found.running_count, 0, "moto starts no task");
    assert!(!found.steady);
    let raw = ecs
        .describe_services()
        .cluster("shop-fargate")
        .services("web")
        .include(aws_sdk_ecs::types::ServiceField::Tags)
        .send()
        .await
        .unwrap();
    let s = &raw.services()[0];
    assert_eq!(
        s.launch_type(),
        Some(&aws_sdk_ecs::types::LaunchType::Fargate)
    );
    // moto 5.2.5 does not keep `enableExecuteCommand` (it always answers false), so it cannot be
    // checked here; the request carries it (see `EcsPlatform::create_service`).
    assert!(s
        .tags()
        .iter()
        .any(|t| t.key() == Some(TAG_STEP) && t.value() == Some("create-service-web")));
    let vpc_conf = s
        .network_configuration()
        .unwrap()
        .awsvpc_configuration()
        .unwrap();
    assert_eq!(vpc_conf.subnets(), subnets.as_slice());

    c.set_desired_count("shop-fargate", "web", 0).await.unwrap();
    assert_eq!(
        c.find_service("shop-fargate", "web")
            .await
            .unwrap()
            .unwrap()
            .desired_count,
        0
    );
    let err = c
        .set_desired_count("shop-fargate", "nothing", 1)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
    assert_eq!(err.operation, "ecs:UpdateService");

    c.delete_service("shop-fargate", "web").await.unwrap();
    let err = c
        .delete_service("shop-fargate", "nothing")
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");

    c.deregister_task_definition(&td.arn).await.unwrap();
    assert_eq!(
        c.find_task_definition("shop-web", "plan-wire")
            .await
            .unwrap(),
        None
    );
    let err = c.deregister_task_definition(&td.arn).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");

    c.delete_cluster("shop-fargate").await.unwrap();
    assert_eq!(c.find_cluster("shop-fargate").await.unwrap(), None);
    let err = c.delete_cluster("shop-fargate").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");

    let calls = w.conn.calls.per_service();
    assert!(calls["ecs"].calls > 10, "{:?}", calls);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_groups_and_ingress() {
    let w = common::start().await;
    let n = &w.conn.cloud.network;
    let (vpc, _) = common::vpc(&w.sdk).await;
    assert_eq!(
        n.find_security_group(&vpc, "shop-fargate-web")
            .await
            .unwrap(),
        None
    );
    let spec = SecurityGroupSpec {
        vpc_id: vpc.clone(),
        name: "shop-fargate-web".into(),
        description: "web service".into(),
        tags: common::tags("create-service-sg"),
    };
    let sg = n.create_security_group(&spec).await.unwrap();
    assert_eq!(
        n.find_security_group(&vpc, "shop-fargate-web")
            .await
            .unwrap(),
        Some(sg.clone())
    );
    let err = n.create_security_group(&spec).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::AlreadyExists, "{err}");

    // The tags were set at creation.
    let described = common::ec2(&w.sdk)
        .describe_security_groups()
        .group_ids(&sg.id)
        .send()
        .await
        .unwrap();
    let tags = described.security_groups()[0].tags();
    assert!(
        tags.iter()
            .any(|t| t.key() == Some(TAG_PLAN_ID) && t.value() == Some("plan-wire")),
        "{tags:?}"
    );

    let redis = n
        .create_security_group(&SecurityGroupSpec {
            vpc_id: vpc.clone(),
            name: "shop-redis".into(),
            description: "redis".into(),
            tags: Tags::new(),
        })
        .await
        .unwrap();
    let rule = IngressRule {
        group_id: redis.id.clone(),
        source_group_id: sg.id.clone(),
        port: 6379,
        description: "migrate: web to redis".into(),
    };
    assert!(!n.has_ingress(&rule).await.unwrap());
    n.authorize_ingress(&rule).await.unwrap();
    // A second authorize of the same rule is success (InvalidPermission.Duplicate).
    n.authorize_ingress(&rule).await.unwrap();
    assert!(n.has_ingress(&rule).await.unwrap());
    let other_port = IngressRule {
        port: 6380,
        ..rule.clone()
    };
    assert!(!n.has_ingress(&other_port).await.unwrap());

    // Independently: exactly one rule from the service SG on 6379, nothing wider.
    let rules = common::ec2(&w.sdk)
        .describe_security_group_rules()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-id")
                .values(&redis.id)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let ingress: Vec<_> = rules
        .security_group_rules()
        .iter()
        .filter(|r| r.is_egress() == Some(false))
        .collect();
    assert_eq!(ingress.len(), 1, "{ingress:?}");
    assert_eq!(ingress[0].from_port(), Some(6379));
    assert_eq!(
        ingress[0]
            .referenced_group_info()
            .and_then(|g| g.group_id()),
        Some(sg.id.as_str())
    );

    n.revoke_ingress(&rule).await.unwrap();
    assert!(!n.has_ingress(&rule).await.unwrap());
    let err = n.revoke_ingress(&rule).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");

    n.delete_security_group(&sg.id).await.unwrap();
    assert_eq!(
        n.find_security_group(&vpc, "shop-fargate-web")
            .await
            .unwrap(),
        None
    );
    let err = n.delete_security_group(&sg.id).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
    assert_eq!(err.operation, "ec2:DeleteSecurityGroup");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_balancer_target_group_and_listener() {
    let w = common::start().await;
    let lb = &w.conn.cloud.load_balancing;
    let (vpc, subnets) = common::vpc(&w.sdk).await;
    let sg = w
        .conn
        .cloud
        .network
        .create_security_group(&SecurityGroupSpec {
            vpc_id: vpc.clone(),
            name: "alb".into(),
            description: "alb".into(),
            tags: Tags::new(),
        })
        .await
        .unwrap();

    assert_eq!(lb.find_load_balancer("shop-new").await.unwrap(), None);
    let alb = lb
        .create_load_balancer(&LoadBalancerSpec {
            name: "shop-new".into(),
            subnets: subnets.clone(),
            security_groups: vec![sg.id.clone()],
            internal: false,
            ip_address_type: "ipv4".into(),
            tags: common::tags("create-load-balancer"),
        })
        .await
        .unwrap();
    assert!(!alb.dns_name.is_empty());
    assert!(!alb.canonical_hosted_zone_id.is_empty());
    assert_eq!(alb.vpc_id, vpc);
    assert_eq!(
        lb.find_load_balancer("shop-new")
            .await
            .unwrap()
            .unwrap()
            .arn,
        alb.arn
    );
    assert_eq!(
        lb.load_balancer_by_arn(&alb.arn)
            .await
            .unwrap()
            .unwrap()
            .name,
        "shop-new"
    );

    assert_eq!(lb.find_target_group("shop-new-web").await.unwrap(), None);
    let tg = lb
        .create_target_group(&TargetGroupSpec {
            name: "shop-new-web".into(),
            vpc_id: vpc.clone(),
            port: 80,
            target_type: "ip".into(),
            health_check: HealthCheck {
                path: "/healthz".into(),
                matcher: "200,302".into(),
                interval_secs: 10,
                timeout_secs: 5,
                healthy_threshold: 2,
                unhealthy_threshold: 3,
            },
            deregistration_delay_secs: 30,
            tags: common::tags("create-target-group"),
        })
        .await
        .unwrap();
    assert_eq!(tg.target_type, "ip");
    assert_eq!(
        lb.find_target_group("shop-new-web")
            .await
            .unwrap()
            .unwrap()
            .arn,
        tg.arn
    );

    // Independently: the health check, the matcher, the delay and the tags are what was asked.
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&w.sdk);
    let raw = elb
        .describe_target_groups()
        .target_group_arns(&tg.arn)
        .send()
        .await
        .unwrap();
    let raw = &raw.target_groups()[0];
    assert_eq!(raw.health_check_path(), Some("/healthz"));
    assert_eq!(raw.matcher().and_then(|m| m.http_code()), Some("200,302"));
    let attrs = elb
        .describe_target_group_attributes()
        .target_group_arn(&tg.arn)
        .send()
        .await
        .unwrap();
    assert!(attrs.attributes().iter().any(|a| a.key()
        == Some("deregistration_delay.timeout_seconds")
        && a.value() == Some("30")));
    let tagged = elb
        .describe_tags()
        .resource_arns(&alb.arn)
        .resource_arns(&tg.arn)
        .send()
        .await
        .unwrap();
    for d in tagged.tag_descriptions() {
        assert!(
            d.tags().iter().any(|t| t.key() == Some(TAG_PLAN_ID)),
            "{d:?}"
        );
    }

    let listener = lb
        .create_listener(&ListenerSpec {
            load_balancer_arn: alb.arn.clone(),
            port: 80,
            protocol: ListenerProtocol::Http,
            certificate_arn: None,
            target_group_arn: tg.arn.clone(),
            tags: common::tags("create-listener"),
        })
        .await
        .unwrap();
    assert_eq!(listener.port, 80);
    assert_eq!(
        lb.listeners(&alb.arn).await.unwrap(),
        vec![listener.clone()]
    );
    let groups = lb.target_groups_of(&alb.arn).await.unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].arn, tg.arn);

    // Act as ECS would: register two task IPs. moto reports them healthy at once.
    assert!(lb.target_health(&tg.arn).await.unwrap().is_empty());
    elb.register_targets()
        .target_group_arn(&tg.arn)
        .targets(
            aws_sdk_elasticloadbalancingv2::types::TargetDescription::builder()
                .id("10.0.0.10")
                .port(80)
                .build(),
        )
        .targets(
            aws_sdk_elasticloadbalancingv2::types::TargetDescription::builder()
                .id("10.0.1.10")
                .port(80)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let health = lb.target_health(&tg.arn).await.unwrap();
    assert_eq!(health.len(), 2);
    assert!(
        health
            .iter()
            .all(|h| h.state == TargetState::Healthy && h.port == 80),
        "{health:?}"
    );

    lb.delete_listener(&listener.arn).await.unwrap();
    assert!(lb.listeners(&alb.arn).await.unwrap().is_empty());
    let err = lb.delete_listener(&listener.arn).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
    lb.delete_load_balancer(&alb.arn).await.unwrap();
    assert_eq!(lb.find_load_balancer("shop-new").await.unwrap(), None);
    let err = lb.delete_load_balancer(&alb.arn).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
    lb.delete_target_group(&tg.arn).await.unwrap();
    assert_eq!(lb.find_target_group("shop-new-web").await.unwrap(), None);
    let err = lb.delete_target_group(&tg.arn).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route53_alias_upsert_and_records() {
    let w = common::start().await;
    let dns = &w.conn.cloud.dns;
    let r53 = aws_sdk_route53::Client::new(&w.sdk);
    assert_eq!(dns.find_zone("example.com").await.unwrap(), None);
    r53.create_hosted_zone()
        .name("example.com")
        .caller_reference("wire-1")
        .send()
        .await
        .unwrap();
    // A zone whose name merely starts the same must not be taken.
    r53.create_hosted_zone()
        .name("example.com.au")
        .caller_reference("wire-2")
        .send()
        .await
        .unwrap();
    let zone = dns.find_zone("Example.com.").await.unwrap().unwrap();
    assert!(!zone.starts_with('/'), "{zone}");

    let alias = |dns_name: &str| DnsRecord {
        name: "shop.example.com".into(),
        record_type: "A".into(),
        ttl: None,
        values: vec![],
        alias: Some(AliasTarget {
            dns_name: dns_name.into(),
            hosted_zone_id: "Z14GRHDCWA56QT".into(),
            evaluate_target_health: false,
        }),
        set_identifier: None,
        weight: None,
        routing: Default::default(),
    };
    let old = alias("old-alb-1.ap-northeast-1.elb.amazonaws.com");
    let change = dns
        .change_records(
            &zone,
            &[RecordChange {
                action: ChangeAction::Create,
                record: old.clone(),
            }],
        )
        .await
        .unwrap();
    assert_eq!(
        dns.change_status(&change).await.unwrap(),
        ChangeStatus::Insync
    );
    let www = DnsRecord {
        name: "www.example.com".into(),
        record_type: "CNAME".into(),
        ttl: Some(300),
        values: vec!["shop.example.com".into()],
        alias: None,
        set_identifier: None,
        weight: None,
        routing: Default::default(),
    };
    dns.change_records(
        &zone,
        &[RecordChange {
            action: ChangeAction::Create,
            record: www,
        }],
    )
    .await
    .unwrap();

    let records = dns.records(&zone, "shop.example.com").await.unwrap();
    assert_eq!(records.len(), 1, "{records:?}");
    assert!(records[0]
        .alias
        .as_ref()
        .unwrap()
        .dns_name
        .starts_with("old-alb-1"));

    // The cutover: UPSERT, twice (the second is a no-op, as a retried step would do).
    let new = alias("new-alb-2.ap-northeast-1.elb.amazonaws.com");
    for _ in 0..2 {
        dns.change_records(
            &zone,
            &[RecordChange {
                action: ChangeAction::Upsert,
                record: new.clone(),
            }],
        )
        .await
        .unwrap();
    }
    let raw = r53
        .list_resource_record_sets()
        .hosted_zone_id(&zone)
        .start_record_name("shop.example.com")
        .send()
        .await
        .unwrap();
    let set = raw
        .resource_record_sets()
        .iter()
        .find(|s| s.name().starts_with("shop."))
        .unwrap();
    assert!(
        set.alias_target()
            .unwrap()
            .dns_name()
            .starts_with("new-alb-2"),
        "{set:?}"
    );

    // moto answers INSYNC for any change id, so "no such change" cannot be checked here.
    let err = dns
        .records("ZNOSUCHZONE", "shop.example.com")
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudwatch_datapoint_times_are_the_minutes_with_data() {
    let w = common::start().await;
    let m = &w.conn.cloud.metrics;
    let cw = aws_sdk_cloudwatch::Client::new(&w.sdk);
    let dims = vec![
        (
            "LoadBalancer".to_string(),
            "app/shop-old/50dc6c495c0c9188".to_string(),
        ),
        (
            "TargetGroup".to_string(),
            "targetgroup/shop-old-web/73e2d6bc24d8a067".to_string(),
        ),
    ];
    let now = chrono::Utc::now().timestamp();
    let first = chrono::DateTime::from_timestamp(now - now % 60 - 600, 0).unwrap();
    let minute = |n: i64| first + chrono::Duration::minutes(n);
    // Minutes 0, 1 and 3 have a data point; minute 2 has none, as when the load balancer
    // reported nothing for it.
    for n in [0, 1, 3] {
        cw.put_metric_data()
            .namespace("AWS/ApplicationELB")
            .metric_data(
                aws_sdk_cloudwatch::types::MetricDatum::builder()
                    .metric_name("HealthyHostCount")
                    .set_dimensions(Some(
                        dims.iter()
                            .map(|(k, v)| {
                                aws_sdk_cloudwatch::types::Dimension::builder()
                                    .name(k)
                                    .value(v)
                                    .build()
                            })
                            .collect(),
                    ))
                    .timestamp(aws_sdk_cloudwatch::primitives::DateTime::from_secs(
                        minute(n).timestamp(),
                    ))
                    .value(0.0)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
    let query = MetricQuery {
        namespace: "AWS/ApplicationELB".into(),
        metric_name: "HealthyHostCount".into(),
        dimensions: dims.clone(),
        start: minute(0),
        end: minute(5),
        period_secs: 60,
    };
    // A data point whose value is 0 still counts: the minute was published.
    assert_eq!(
        m.datapoint_times(&query).await.unwrap(),
        vec![minute(0), minute(1), minute(3)]
    );
    let other = MetricQuery {
        dimensions: vec![dims[0].clone()],
        ..query
    };
    assert!(m.datapoint_times(&other).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudwatch_sum_and_alarms() {
    let w = common::start().await;
    let m = &w.conn.cloud.metrics;
    let cw = aws_sdk_cloudwatch::Client::new(&w.sdk);
    // Whether the alarm exists, asked independently of the port.
    let alarm_count = |name: String| {
        let cw = cw.clone();
        async move {
            cw.describe_alarms()
                .alarm_names(name)
                .send()
                .await
                .unwrap()
                .metric_alarms()
                .len()
        }
    };
    let dimension = (
        "LoadBalancer".to_string(),
        "app/shop-old/50dc6c495c0c9188".to_string(),
    );
    let now = chrono::Utc::now();
    for value in [3.0, 4.0] {
        cw.put_metric_data()
            .namespace("AWS/ApplicationELB")
            .metric_data(
                aws_sdk_cloudwatch::types::MetricDatum::builder()
                    .metric_name("RequestCount")
                    .dimensions(
                        aws_sdk_cloudwatch::types::Dimension::builder()
                            .name(&dimension.0)
                            .value(&dimension.1)
                            .build(),
                    )
                    .timestamp(aws_sdk_cloudwatch::primitives::DateTime::from_secs(
                        now.timestamp() - 30,
                    ))
                    .value(value)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
    let query = MetricQuery {
        namespace: "AWS/ApplicationELB".into(),
        metric_name: "RequestCount".into(),
        dimensions: vec![dimension.clone()],
        start: now - chrono::Duration::minutes(5),
        end: now + chrono::Duration::minutes(1),
        period_secs: 60,
    };
    assert_eq!(m.sum(&query).await.unwrap(), 7.0);
    // The guard's per-minute reads: both values fall in one period.
    let sums = m.points(&query, Statistic::Sum).await.unwrap();
    assert_eq!(sums.iter().map(|(_, v)| *v).collect::<Vec<_>>(), [7.0]);
    let highest = m.points(&query, Statistic::Maximum).await.unwrap();
    assert_eq!(highest.iter().map(|(_, v)| *v).collect::<Vec<_>>(), [4.0]);
    let average = m.points(&query, Statistic::Average).await.unwrap();
    assert_eq!(average.iter().map(|(_, v)| *v).collect::<Vec<_>>(), [3.5]);
    let quiet = MetricQuery {
        dimensions: vec![("LoadBalancer".into(), "app/other/1".into())],
        ..query
    };
    assert_eq!(m.sum(&quiet).await.unwrap(), 0.0);

    let alarm = AlarmSpec {
        name: "shop-web-healthy-hosts".into(),
        namespace: "AWS/ApplicationELB".into(),
        metric_name: "HealthyHostCount".into(),
        dimensions: vec![dimension],
        statistic: "Minimum".into(),
        comparison: "LessThanThreshold".into(),
        threshold: 1.0,
        period_secs: 60,
        evaluation_periods: 2,
        alarm_actions: vec!["arn:aws:sns:us-east-1:123456789012:oncall".into()],
        tags: common::tags("alarms"),
    };
    assert_eq!(alarm_count(alarm.name.clone()).await, 0);
    m.put_alarm(&alarm).await.unwrap();
    m.put_alarm(&alarm).await.unwrap();
    assert_eq!(alarm_count(alarm.name.clone()).await, 1);
    let raw = cw
        .describe_alarms()
        .alarm_names(&alarm.name)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.metric_alarms().len(), 1);
    assert_eq!(raw.metric_alarms()[0].threshold(), Some(1.0));
    // The playbook's `guard.alarm_topic` reaches PutMetricAlarm as the alarm's action.
    assert_eq!(raw.metric_alarms()[0].alarm_actions(), alarm.alarm_actions);
    m.delete_alarm(&alarm.name).await.unwrap();
    assert_eq!(alarm_count(alarm.name.clone()).await, 0);
    let err = m.delete_alarm(&alarm.name).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_scaling_capacity_and_tags() {
    let w = common::start().await;
    let s = &w.conn.cloud.scaling;
    let (_, subnets) = common::vpc(&w.sdk).await;
    let ec2 = common::ec2(&w.sdk);
    ec2.create_launch_template()
        .launch_template_name("shop-lt")
        .launch_template_data(
            aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                .image_id("ami-12c6146b")
                .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let asg = aws_sdk_autoscaling::Client::new(&w.sdk);
    asg.create_auto_scaling_group()
        .auto_scaling_group_name("shop-ecs-instances")
        .launch_template(
            aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder()
                .launch_template_name("shop-lt")
                .build(),
        )
        .min_size(2)
        .max_size(4)
        .desired_capacity(2)
        .vpc_zone_identifier(subnets.join(","))
        .tags(
            aws_sdk_autoscaling::types::Tag::builder()
                .key("elasticbeanstalk:environment-name")
                .value("shop-prod")
                .propagate_at_launch(true)
                .build(),
        )
        .send()
        .await
        .unwrap();

    assert_eq!(s.find_group("nothing").await.unwrap(), None);
    let g = s.find_group("shop-ecs-instances").await.unwrap().unwrap();
    assert_eq!(
        g.capacity,
        Capacity {
            min: 2,
            max: 4,
            desired: 2
        }
    );
    assert_eq!(g.in_service, 2);
    // Scaling processes: suspended, read back (independently too), resumed by name only.
    let group = "shop-ecs-instances";
    assert!(s.suspended_processes(group).await.unwrap().is_empty());
    let held: Vec<String> = [
        "Launch",
        "AlarmNotification",
        "ScheduledActions",
        "AZRebalance",
    ]
    .map(String::from)
    .to_vec();
    s.suspend_processes(group, &held).await.unwrap();
    let raw_suspended = |asg: aws_sdk_autoscaling::Client| async move {
        let out = asg
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
    };
    assert_eq!(
        raw_suspended(asg.clone()).await,
        vec![
            "AZRebalance",
            "AlarmNotification",
            "Launch",
            "ScheduledActions"
        ]
    );
    let mut read = s.suspended_processes(group).await.unwrap();
    read.sort();
    assert_eq!(read, raw_suspended(asg.clone()).await);
    s.resume_processes(group, &held[..2]).await.unwrap();
    assert_eq!(
        raw_suspended(asg.clone()).await,
        vec!["AZRebalance", "ScheduledActions"]
    );
    // An empty list changes nothing (the API would read it as "every process").
    s.resume_processes(group, &[]).await.unwrap();
    assert_eq!(raw_suspended(asg.clone()).await.len(), 2);
    s.resume_processes(group, &held).await.unwrap();
    assert!(raw_suspended(asg.clone()).await.is_empty());
    let err = s.suspend_processes("nothing", &held).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");

    // Scale-in protection of one instance: set, read back, cleared.
    let ids = s.instance_ids(group).await.unwrap();
    assert_eq!(ids.len(), 2);
    assert!(s.protected_instances(group).await.unwrap().is_empty());
    s.set_scale_in_protection(group, &ids[..1], true)
        .await
        .unwrap();
    assert_eq!(
        s.protected_instances(group).await.unwrap(),
        ids[..1].to_vec()
    );
    s.set_scale_in_protection(group, &ids[..1], false)
        .await
        .unwrap();
    assert!(s.protected_instances(group).await.unwrap().is_empty());

    s.set_capacity(
        "shop-ecs-instances",
        Capacity {
            min: 0,
            max: 4,
            desired: 0,
        },
    )
    .await
    .unwrap();
    let raw = asg
        .describe_auto_scaling_groups()
        .auto_scaling_group_names("shop-ecs-instances")
        .send()
        .await
        .unwrap();
    let raw = &raw.auto_scaling_groups()[0];
    assert_eq!((raw.min_size(), raw.desired_capacity()), (Some(0), Some(0)));
    assert_eq!(
        s.find_group("shop-ecs-instances")
            .await
            .unwrap()
            .unwrap()
            .in_service,
        0
    );
    let err = s
        .set_capacity(
            "nothing",
            Capacity {
                min: 0,
                max: 0,
                desired: 0,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beanstalk_environment() {
    let w = common::start().await;
    let eb = aws_sdk_elasticbeanstalk::Client::new(&w.sdk);
    eb.create_application()
        .application_name("shop")
        .send()
        .await
        .unwrap();
    eb.create_environment()
        .application_name("shop")
        .environment_name("shop-prod")
        .solution_stack_name("64bit Amazon Linux 2 v3.5.0 running Docker")
        .send()
        .await
        .unwrap();
    let e = &w.conn.cloud.environments;
    assert_eq!(e.find_environment("nothing").await.unwrap(), None);
    let env = e.find_environment("shop-prod").await.unwrap().unwrap();
    assert_eq!(env.name, "shop-prod");
    // moto leaves the environment id empty; AWS always fills it.
    assert_eq!(env.status, "Ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_groups_created_tagged_retained_and_deleted() {
    let w = common::start().await;
    let logs = &w.conn.cloud.logs;
    let raw = aws_sdk_cloudwatchlogs::Client::new(&w.sdk);
    // A group whose name extends the one looked up: DescribeLogGroups matches prefixes, the port
    // must not take it for the exact name.
    raw.create_log_group()
        .log_group_name("/ecs/shop-fargate/web-fargate-old")
        .send()
        .await
        .unwrap();
    let name = "/ecs/shop-fargate/web-fargate";
    assert_eq!(logs.find_log_group(name).await.unwrap(), None);

    let spec = LogGroupSpec {
        name: name.into(),
        tags: common::tags("create-log-groups"),
    };
    logs.create_log_group(&spec).await.unwrap();
    let err = logs.create_log_group(&spec).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::AlreadyExists, "{err}");
    assert_eq!(err.operation, "logs:CreateLogGroup");

    let found = logs.find_log_group(name).await.unwrap().expect("found");
    assert_eq!(found.name, name);
    assert_eq!(found.retention_days, None);
    assert_eq!(found.tags, spec.tags);
    logs.set_log_group_retention(name, 30).await.unwrap();
    assert_eq!(
        logs.find_log_group(name)
            .await
            .unwrap()
            .unwrap()
            .retention_days,
        Some(30)
    );

    // Independently of the port: one group of that name, with its retention.
    let described = raw
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .unwrap();
    let exact: Vec<_> = described
        .log_groups()
        .iter()
        .filter(|g| g.log_group_name() == Some(name))
        .collect();
    assert_eq!(exact.len(), 1);
    assert_eq!(exact[0].retention_in_days(), Some(30));

    logs.delete_log_group(name).await.unwrap();
    assert_eq!(logs.find_log_group(name).await.unwrap(), None);
    let err = logs.delete_log_group(name).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
    let err = logs.set_log_group_retention(name, 30).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
    // The longer name was never touched.
    assert!(logs
        .find_log_group("/ecs/shop-fargate/web-fargate-old")
        .await
        .unwrap()
        .is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_scaling_target_policy_and_deregistration() {
    let w = common::start().await;
    let s = &w.conn.cloud.service_scaling;
    let ecs = aws_sdk_ecs::Client::new(&w.sdk);
    // Application Auto Scaling checks that the ECS service exists.
    ecs.create_cluster()
        .cluster_name("shop-fargate")
        .send()
        .await
        .unwrap();
    ecs.register_task_definition()
        .family("shop-web")
        .container_definitions(
            aws_sdk_ecs::types::ContainerDefinition::builder()
                .name("web")
                .image("nginx")
                .memory(128)
                .build(),
        )
        .send()
        .await
        .unwrap();
    ecs.create_service()
        .cluster("shop-fargate")
        .service_name("shop-web")
        .task_definition("shop-web")
        .desired_count(2)
        .send()
        .await
        .unwrap();
    let id = ecs_service_resource_id("shop-fargate", "shop-web");

    let probe = tokio::time::timeout(std::time::Duration::from_secs(20), s.find_target(&id)).await;
    assert_eq!(
        probe.expect("DescribeScalableTargets answers").unwrap(),
        None
    );
    let policies = tokio::time::timeout(std::time::Duration::from_secs(20), s.policies(&id)).await;
    assert_eq!(
        policies.expect("DescribeScalingPolicies answers").unwrap(),
        vec![]
    );
    let spec = ScalableTargetSpec {
        resource_id: id.clone(),
        min_count: 2,
        max_count: 8,
        tags: common::tags("create-service-scaling:web"),
    };
    s.register_target(&spec).await.unwrap();
    // Registering again with the same bounds is an update, not an error.
    s.register_target(&spec).await.unwrap();
    assert_eq!(
        s.find_target(&id).await.unwrap(),
        Some(ScalableTarget {
            resource_id: id.clone(),
            min_count: 2,
            max_count: 8
        })
    );
    let tracking = CpuTrackingSpec {
        policy_name: "shop-web-cpu".into(),
        resource_id: id.clone(),
        target_percent: 55.0,
        scale_out_cooldown_secs: 60,
        scale_in_cooldown_secs: 300,
    };
    s.put_cpu_tracking(&tracking).await.unwrap();
    s.put_cpu_tracking(&tracking).await.unwrap();
    assert_eq!(
        s.policies(&id).await.unwrap(),
        vec![ScalingPolicy {
            name: "shop-web-cpu".into(),
            cpu_target_percent: Some(55.0)
        }]
    );
    // Checked with a plain client: the policy tracks ECS average CPU with the cooldowns asked.
    let described = aws_sdk_applicationautoscaling::Client::new(&w.sdk)
        .describe_scaling_policies()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .resource_id(&id)
        .send()
        .await
        .unwrap();
    let config = described.scaling_policies()[0]
        .target_tracking_scaling_policy_configuration()
        .unwrap();
    assert_eq!(config.scale_out_cooldown(), Some(60));
    assert_eq!(config.scale_in_cooldown(), Some(300));

    s.deregister_target(&id).await.unwrap();
    assert_eq!(s.find_target(&id).await.unwrap(), None);
    // AWS deletes the target's policies with it; moto 5 keeps them (looser than AWS), so that
    // half is held by the simulator's model, not here.
    assert!(s.deregister_target(&id).await.unwrap_err().is_not_found());
}

/// The old side's ECR repository: found with its images, deleted with them (`force`), then
/// absent; deleting it again is `NotFound`, which clean-up reads as done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecr_repository_found_then_deleted_with_its_images() {
    let w = common::start().await;
    let d = &w.conn.cloud.decommission;
    assert_eq!(d.find_repository("shop/legacy-web").await.unwrap(), None);
    let ecr = aws_sdk_ecr::Client::new(&w.sdk);
    ecr.create_repository()
        .repository_name("shop/legacy-web")
        .send()
        .await
        .unwrap();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2, "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
        "layers": []
    });
    ecr.put_image()
        .repository_name("shop/legacy-web")
        .image_manifest(manifest.to_string())
        .image_tag("v41")
        .send()
        .await
        .unwrap();
    let found = d.find_repository("shop/legacy-web").await.unwrap().unwrap();
    assert_eq!((found.name.as_str(), found.images), ("shop/legacy-web", 1));
    d.delete_repository("shop/legacy-web").await.unwrap();
    assert_eq!(d.find_repository("shop/legacy-web").await.unwrap(), None);
    let again = d.delete_repository("shop/legacy-web").await.unwrap_err();
    assert_eq!(again.kind, ErrorKind::NotFound, "{again}");
}
