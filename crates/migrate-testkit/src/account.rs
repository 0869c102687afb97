//! The handle tests hold: builds the [`Cloud`], seeds the old side, injects faults, and reports
//! what exists.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use migrate_engine::ports::*;
use migrate_playbook::{Playbook, SourceKind, Zone};
use serde_json::json;

use crate::clock::VirtualClock;
use crate::world::{normalise, CrashMode, FakeListener, FakeService, FakeTargetGroup, World};

/// The hosted zone id the fake gives a zone named in a playbook.
pub const ZONE_ID: &str = "Z0FAKEZONE0001";
/// The old load balancer's security group.
pub const OLD_LB_SECURITY_GROUP: &str = "sg-0oldalb000000001";
/// The certificate of the old HTTPS listener.
pub const OLD_CERTIFICATE: &str = "arn:aws:acm:ap-northeast-1:123456789012:certificate/old-cert";

#[derive(Clone)]
pub struct FakeAccount {
    pub(crate) world: Arc<Mutex<World>>,
    pub(crate) clock: Arc<VirtualClock>,
}

impl Default for FakeAccount {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeAccount {
    /// An empty account. Must be created inside a runtime whose time is paused.
    pub fn new() -> Self {
        Self {
            world: Arc::new(Mutex::new(World::default())),
            clock: Arc::new(VirtualClock::new()),
        }
    }

    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn cloud(&self) -> Cloud {
        Cloud::from_account(Arc::new(self.clone()), self.clock.clone())
    }

    /// The `n`-th mutating call from now dies, before or after taking effect.
    pub fn crash_at_mutation(&self, n: u64, mode: CrashMode) {
        let mut world = self.world();
        let at = world.mutations + n;
        world.crash = Some((at, mode));
    }

    pub fn throttle_next(&self, calls: u32) {
        self.world().throttle_next = calls;
    }

    pub fn tasks_never_healthy(&self) {
        self.world().tasks_never_healthy = true;
    }

    pub fn mutations(&self) -> u64 {
        self.world().mutations
    }

    /// Names created more than once, per kind.
    pub fn duplicates(&self) -> Vec<String> {
        let world = self.world();
        let mut out = Vec::new();
        for (kind, names) in &world.creations {
            let mut seen = std::collections::BTreeSet::new();
            for name in names {
                if !seen.insert(name) {
                    out.push(format!("{kind} {name}"));
                }
            }
        }
        out
    }

    /// Everything a person could see in the account, in a stable order, without generated ids
    /// where names exist: equal snapshots mean equal accounts.
    pub fn snapshot(&self) -> serde_json::Value {
        let world = self.world();
        let sg_name = |id: &str| {
            world
                .security_groups
                .get(id)
                .map_or(id.to_string(), |(g, _)| g.name.clone())
        };
        let clusters: Vec<_> = world
            .clusters
            .values()
            .filter(|c| c.status == "ACTIVE")
            .map(|c| c.name.clone())
            .collect();
        let task_definitions: Vec<_> = world
            .task_definitions
            .iter()
            .filter(|t| t.active)
            .map(|t| format!("{}:{}", t.reference.family, t.reference.revision))
            .collect();
        let services: Vec<_> = world
            .services
            .iter()
            .filter(|(_, s)| s.status.status == "ACTIVE")
            .map(|((c, n), s)| json!([c, n, s.status.desired_count]))
            .collect();
        let groups: Vec<_> = world
            .security_groups
            .values()
            .map(|(g, _)| g.name.clone())
            .collect();
        let rules: Vec<_> = world
            .rules
            .iter()
            .map(|(g, s, p)| format!("{} <- {} : {p}", sg_name(g), sg_name(s)))
            .collect();
        let lbs: Vec<_> = world
            .load_balancers
            .values()
            .map(|(lb, _)| lb.name.clone())
            .collect();
        let tgs: Vec<_> = world
            .target_groups
            .values()
            .map(|t| t.group.name.clone())
            .collect();
        let listeners: Vec<_> = world
            .listeners
            .values()
            .map(|l| {
                let lb = world
                    .load_balancers
                    .get(&l.listener.load_balancer_arn)
                    .map_or("?".to_string(), |(lb, _)| lb.name.clone());
                format!("{lb}:{}", l.listener.port)
            })
            .collect();
        let records: Vec<_> = world
            .records
            .values()
            .flatten()
            .map(|r| {
                let target = match &r.alias {
                    Some(a) => world
                        .load_balancer_by_dns(&a.dns_name)
                        .map_or(a.dns_name.clone(), |lb| format!("alias {}", lb.name)),
                    None => r.values.join(","),
                };
                json!([
                    normalise(&r.name),
                    r.record_type,
                    r.ttl,
                    target,
                    r.set_identifier,
                    r.weight
                ])
            })
            .collect();
        let alarms: Vec<_> = world.alarms.keys().cloned().collect();
        let asgs: Vec<_> = world
            .groups
            .values()
            .map(|g| {
                json!([
                    g.name,
                    g.capacity.min,
                    g.capacity.max,
                    g.capacity.desired,
                    g.in_service
                ])
            })
            .collect();
        json!({
            "clusters": clusters,
            "task_definitions": task_definitions,
            "services": services,
            "security_groups": groups,
            "rules": rules,
            "load_balancers": lbs,
            "target_groups": tgs,
            "listeners": listeners,
            "records": records,
            "alarms": alarms,
            "auto_scaling_groups": asgs,
        })
    }

    /// Creates the old side a playbook describes: its load balancer (with HTTP and HTTPS
    /// listeners and a healthy target group), Auto Scaling group, old ECS services or Beanstalk
    /// environment, data-store security groups, and the zone with the record aliasing the old
    /// load balancer.
    pub fn seed(&self, playbook: &Playbook) {
        let mut w = self.world();
        let vpc = playbook.network.vpc.clone();
        let old_lb_name = playbook
            .source
            .load_balancer
            .clone()
            .unwrap_or_else(|| "awseb-old-lb".into());
        w.security_groups.insert(
            OLD_LB_SECURITY_GROUP.into(),
            (
                SecurityGroup {
                    id: OLD_LB_SECURITY_GROUP.into(),
                    name: "old-alb".into(),
                    vpc_id: vpc.clone(),
                },
                Tags::new(),
            ),
        );
        for store in &playbook.network.data_stores {
            w.security_groups.insert(
                store.security_group.clone(),
                (
                    SecurityGroup {
                        id: store.security_group.clone(),
                        name: format!("{}-sg", store.name),
                        vpc_id: vpc.clone(),
                    },
                    Tags::new(),
                ),
            );
        }
        let lb_arn = format!("arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:loadbalancer/app/{old_lb_name}/0000000000000001");
        let lb = LoadBalancer {
            arn: lb_arn.clone(),
            name: old_lb_name.clone(),
            dns_name: format!("{old_lb_name}-1.ap-northeast-1.elb.amazonaws.com"),
            canonical_hosted_zone_id: "Z14GRHDCWA56QT".into(),
            security_groups: vec![OLD_LB_SECURITY_GROUP.into()],
            vpc_id: vpc.clone(),
            state: "active".into(),
        };
        w.load_balancers
            .insert(lb_arn.clone(), (lb.clone(), Tags::new()));
        let tg_arn = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/old-tg/0000000000000001".to_string();
        w.target_groups.insert(
            tg_arn.clone(),
            FakeTargetGroup {
                group: TargetGroup {
                    arn: tg_arn.clone(),
                    name: "old-tg".into(),
                    port: 80,
                    target_type: "instance".into(),
                    load_balancer_arns: vec![lb_arn.clone()],
                },
                spec_port: 80,
                targets: Vec::new(),
                tags: Tags::new(),
            },
        );
        for (port, protocol, cert) in [
            (80, ListenerProtocol::Http, None),
            (
                443,
                ListenerProtocol::Https,
                Some(OLD_CERTIFICATE.to_string()),
            ),
        ] {
            let arn = format!("{lb_arn}/listener-{port}").replace(":loadbalancer/", ":listener/");
            w.listeners.insert(
                arn.clone(),
                FakeListener {
                    listener: Listener {
                        arn,
                        load_balancer_arn: lb_arn.clone(),
                        port,
                        protocol,
                        certificate_arn: cert,
                    },
                    target_group_arn: tg_arn.clone(),
                },
            );
        }
        let asg_name = playbook
            .source
            .auto_scaling_group
            .clone()
            .unwrap_or_else(|| "old-instances".into());
        let mut tags = Tags::new();
        if let Some(env) = &playbook.source.beanstalk_environment {
            tags.insert("elasticbeanstalk:environment-name".into(), env.clone());
            w.environments.insert(
                env.clone(),
                Environment {
                    name: env.clone(),
                    id: "e-fake0001".into(),
                    cname: Some(format!("{env}.elasticbeanstalk.com")),
                    status: "Ready".into(),
                },
            );
        }
        w.groups.insert(
            asg_name.clone(),
            AutoScalingGroup {
                name: asg_name.clone(),
                capacity: Capacity {
                    min: 2,
                    max: 4,
                    desired: 2,
                },
                in_service: 2,
                target_group_arns: if playbook.source.kind == SourceKind::EcsEc2 {
                    vec![]
                } else {
                    vec![tg_arn.clone()]
                },
                tags,
            },
        );
        if playbook.source.kind == SourceKind::EcsEc2 {
            let cluster = playbook.source.ecs_cluster.clone().unwrap_or_default();
            w.container_instance_groups
                .insert(cluster.clone(), vec![asg_name.clone()]);
            w.clusters.insert(
                cluster.clone(),
                Cluster {
                    name: cluster.clone(),
                    arn: format!("arn:aws:ecs:ap-northeast-1:123456789012:cluster/{cluster}"),
                    status: "ACTIVE".into(),
                },
            );
            for (i, service) in playbook.source.ecs_services.iter().enumerate() {
                let desired = if i == 0 { 2 } else { 1 };
                let key = (cluster.clone(), service.clone());
                w.services.insert(
                    key.clone(),
                    FakeService {
                        status: ServiceStatus {
                            arn: format!("arn:aws:ecs:ap-northeast-1:123456789012:service/{cluster}/{service}"),
                            name: service.clone(),
                            cluster: cluster.clone(),
                            status: "ACTIVE".into(),
                            task_definition_arn: format!("arn:aws:ecs:ap-northeast-1:123456789012:task-definition/{service}:7"),
                            desired_count: desired,
                            running_count: desired,
                            pending_count: 0,
                            steady: true,
                            stopped_reasons: vec![],
                        },
                        client_token: String::new(),
                        target_group: (i == 0).then(|| tg_arn.clone()),
                        tags: Tags::new(),
                    },
                );
                w.sync_targets(&key);
            }
        } else {
            let port = w.target_groups[&tg_arn].spec_port;
            if let Some(tg) = w.target_groups.get_mut(&tg_arn) {
                tg.targets = (0..2)
                    .map(|i| TargetHealth {
                        target_id: format!("i-0old{i}"),
                        port,
                        state: TargetState::Healthy,
                        reason: None,
                    })
                    .collect();
            }
        }
        let zone_name = match &playbook.cutover.zone {
            Zone::Name(name) => name.clone(),
            Zone::Id(_) => playbook
                .cutover
                .record
                .split_once('.')
                .map_or("example.com".into(), |(_, z)| z.to_string()),
        };
        let zone_id = match &playbook.cutover.zone {
            Zone::Id(id) => id.clone(),
            Zone::Name(_) => ZONE_ID.to_string(),
        };
        w.zones.insert(zone_id.clone(), zone_name);
        w.records.insert(
            zone_id,
            vec![DnsRecord {
                name: format!("{}.", playbook.cutover.record),
                record_type: "A".into(),
                ttl: None,
                values: vec![],
                alias: Some(AliasTarget {
                    dns_name: format!("dualstack.{}.", lb.dns_name),
                    hosted_zone_id: lb.canonical_hosted_zone_id.clone(),
                    evaluate_target_health: true,
                }),
                set_identifier: None,
                weight: None,
            }],
        );
    }

    /// Runs `f` as one call: counts it, throttles it if asked, and for a mutating call applies
    /// the crash injection.
    pub(crate) fn call<T>(
        &self,
        operation: &str,
        mutating: bool,
        f: impl FnOnce(&mut World) -> CloudResult<T>,
    ) -> CloudResult<T> {
        let mut w = self.world();
        *w.calls.entry(operation.to_string()).or_default() += 1;
        if w.throttle_next > 0 {
            w.throttle_next -= 1;
            return Err(CloudError::new(
                ErrorKind::Throttled,
                operation,
                "-",
                "Rate exceeded",
            ));
        }
        if !mutating {
            return f(&mut w);
        }
        w.mutations += 1;
        match w.crash {
            Some((at, mode)) if at == w.mutations => {
                w.crash = None;
                if mode == CrashMode::AfterEffect {
                    let _ = f(&mut w);
                }
                Err(CloudError::new(
                    ErrorKind::Interrupted,
                    operation,
                    "-",
                    "the process died",
                ))
            }
            _ => f(&mut w),
        }
    }
}
