//! The simulated account on its own, driven through the ports by a hand-written migration, so
//! that its semantics are pinned independently of the engine: the canonical order serves every
//! request, and the two classic mistakes (scaling the old side down before the drain, cutting
//! DNS over before the new targets are healthy) fail requests.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use migrate_engine::ports::*;
use migrate_sim::{runtime, FaultProfile, Simulation, Topology, TrafficConfig};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Order {
    Canonical,
    ScaleDownBeforeDrain,
    CutoverBeforeHealthy,
}

fn tags() -> Tags {
    Tags::from([
        (TAG_PLAN_ID.to_string(), "p1".to_string()),
        (TAG_STEP.to_string(), "test".to_string()),
    ])
}

async fn until<F, Fut>(cloud: &Cloud, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..2000 {
        if check().await {
            return;
        }
        cloud.clock.sleep(Duration::from_secs(5)).await;
    }
    panic!("condition never held");
}

fn migrate(seed: u64, order: Order) -> (migrate_sim::TrafficReport, migrate_sim::audit::Audit) {
    let rt = runtime().unwrap();
    rt.block_on(async move {
        let topo = Topology::seed_001();
        let sim = Simulation::new(seed, topo.clone(), FaultProfile::none(), &TrafficConfig::default());
        let c = sim.cloud();
        c.clock.sleep(Duration::from_secs(30)).await;
        c.containers
            .create_cluster(&ClusterSpec { name: "shop-fargate".into(), container_insights: true, tags: tags() })
            .await
            .unwrap();
        let td = c
            .containers
            .register_task_definition(&TaskDefinitionSpec {
                family: "shop-web-fargate".into(),
                definition: serde_json::json!({"family": "shop-web-fargate", "networkMode": "awsvpc",
                    "requiresCompatibilities": ["FARGATE"], "cpu": "512", "memory": "1024", "containerDefinitions": []}),
                tags: tags(),
            })
            .await
            .unwrap();
        let sg = c
            .network
            .create_security_group(&SecurityGroupSpec { vpc_id: topo.vpc_id.clone(), name: "svc".into(), description: "svc".into(), tags: tags() })
            .await
            .unwrap();
        let rule = |g: &str, s: &str, port| IngressRule { group_id: g.into(), source_group_id: s.into(), port, description: "t".into() };
        c.network.authorize_ingress(&rule(&sg.id, &topo.old_lb_security_group_id, 80)).await.unwrap();
        for d in &topo.data_stores {
            c.network.authorize_ingress(&rule(&d.security_group_id, &sg.id, d.port)).await.unwrap();
        }
        let hc = HealthCheck { path: "/healthz".into(), matcher: "200".into(), interval_secs: 10, timeout_secs: 5, healthy_threshold: 2, unhealthy_threshold: 3 };
        let tg = c
            .load_balancing
            .create_target_group(&TargetGroupSpec { name: "new-tg".into(), vpc_id: topo.vpc_id.clone(), port: 80, target_type: "ip".into(), health_check: hc, deregistration_delay_secs: 30, tags: tags() })
            .await
            .unwrap();
        let lb = c
            .load_balancing
            .create_load_balancer(&LoadBalancerSpec { name: "new-alb".into(), subnets: topo.public_subnets.clone(), security_groups: vec![topo.old_lb_security_group_id.clone()], internal: false, ip_address_type: "ipv4".into(), tags: tags() })
            .await
            .unwrap();
        c.load_balancing
            .create_listener(&ListenerSpec { load_balancer_arn: lb.arn.clone(), port: 80, protocol: ListenerProtocol::Http, certificate_arn: None, target_group_arn: tg.arn.clone(), tags: tags() })
            .await
            .unwrap();
        let spec = ServiceSpec {
            cluster: "shop-fargate".into(), name: "shop-web".into(), task_definition_arn: td.arn.clone(), desired_count: 2,
            subnets: topo.private_subnets.clone(), security_groups: vec![sg.id.clone()], assign_public_ip: false,
            also_registers_in: Vec::new(),
            load_balancer: Some(ServiceLoadBalancer { target_group_arn: tg.arn.clone(), container_name: "nginx".into(), container_port: 80 }),
            health_check_grace_period_secs: Some(60), enable_execute_command: false, client_token: "tok-1".into(), tags: tags(),
        };
        c.containers.create_service(&spec).await.unwrap();
        // The same token and parameters return the service; anything else is not idempotent.
        c.containers.create_service(&spec).await.unwrap();
        let mut other = spec.clone();
        other.client_token = "tok-2".into();
        assert_eq!(c.containers.create_service(&other).await.unwrap_err().kind, ErrorKind::IdempotencyMismatch);

        let zone = c.dns.find_zone(&topo.zone_name).await.unwrap().unwrap();
        let cutover = |c: Cloud, lb: LoadBalancer, zone: String, fqdn: String| async move {
            let change = RecordChange {
                action: ChangeAction::Upsert,
                record: DnsRecord { name: fqdn, record_type: "A".into(), ttl: None, values: vec![],
                    alias: Some(AliasTarget { dns_name: lb.dns_name.clone(), hosted_zone_id: lb.canonical_hosted_zone_id.clone(), evaluate_target_health: false }),
                    set_identifier: None, weight: None, routing: Default::default() },
            };
            let id = c.dns.change_records(&zone, &[change]).await.unwrap();
            until(&c, || { let c = c.clone(); let id = id.clone(); async move { c.dns.change_status(&id).await.unwrap() == ChangeStatus::Insync } }).await;
        };
        if order == Order::CutoverBeforeHealthy {
            c.clock.sleep(Duration::from_secs(5)).await;
            cutover(c.clone(), lb.clone(), zone.clone(), topo.fqdn.clone()).await;
        }
        until(&c, || {
            let c = c.clone();
            let tg = tg.arn.clone();
            async move {
                let h = c.load_balancing.target_health(&tg).await.unwrap();
                h.len() == 2 && h.iter().all(|t| t.state == TargetState::Healthy)
            }
        })
        .await;
        let probe = ProbeRequest { url: format!("http://{}/healthz", lb.dns_name), host_header: None, timeout: Duration::from_secs(5), server_name: None };
        assert_eq!(c.probe.get(&probe).await.unwrap(), 200);
        if order != Order::CutoverBeforeHealthy {
            cutover(c.clone(), lb.clone(), zone.clone(), topo.fqdn.clone()).await;
        }
        let scale_down = |c: Cloud| async move {
            c.scaling.set_capacity("shop-ecs-asg", Capacity { min: 0, max: 0, desired: 0 }).await.unwrap();
            c.containers.set_desired_count("shop-ec2", "web", 0).await.unwrap();
        };
        if order == Order::ScaleDownBeforeDrain {
            scale_down(c.clone()).await;
        }
        // Drain: two minutes at least, then two minutes with no request on the old load balancer.
        let old = c.load_balancing.find_load_balancer(&topo.old_lb_name).await.unwrap().unwrap();
        let dim = old.arn.split_once(":loadbalancer/").unwrap().1.to_string();
        c.clock.sleep(Duration::from_secs(120)).await;
        until(&c, || {
            let c = c.clone();
            let dim = dim.clone();
            async move {
                let now = c.clock.now();
                let q = MetricQuery { namespace: "AWS/ApplicationELB".into(), metric_name: "RequestCount".into(),
                    dimensions: vec![("LoadBalancer".into(), dim)], start: now - chrono::Duration::minutes(2), end: now, period_secs: 60 };
                c.metrics.sum(&q).await.unwrap() == 0.0
            }
        })
        .await;
        if order != Order::ScaleDownBeforeDrain {
            scale_down(c.clone()).await;
        }
        sim.idle(Duration::from_secs(600)).await;
        let g = c.scaling.find_group("shop-ecs-asg").await.unwrap().unwrap();
        assert_eq!(g.in_service, 0);
        (sim.traffic(), sim.audit("p1"))
    })
}

#[test]
fn canonical_order_serves_every_request() {
    for seed in 1..=12 {
        let (t, audit) = migrate(seed, Order::Canonical);
        assert_eq!(t.failed(), 0, "seed {seed}: {:#?}", t.first_failures);
        assert!(
            t.new.served > 1000 && t.old.served > 100,
            "seed {seed}: {t:?}"
        );
        assert_eq!(audit.dns_target, migrate_sim::audit::DnsTarget::New);
        assert!(
            audit.duplicate_creations.is_empty(),
            "{:?}",
            audit.duplicate_creations
        );
    }
}

#[test]
fn scaling_down_before_the_drain_fails_requests() {
    let failing = (1..=12)
        .filter(|s| migrate(*s, Order::ScaleDownBeforeDrain).0.old.failed > 0)
        .count();
    assert_eq!(failing, 12);
}

#[test]
fn cutting_over_before_health_fails_requests() {
    let failing = (1..=12)
        .filter(|s| migrate(*s, Order::CutoverBeforeHealthy).0.new.failed > 0)
        .count();
    assert!(failing >= 10, "only {failing} of 12 seeds failed a request");
}

#[test]
fn a_seed_replays_exactly() {
    let a = migrate(7, Order::Canonical);
    let b = migrate(7, Order::Canonical);
    assert_eq!(a, b);
}
