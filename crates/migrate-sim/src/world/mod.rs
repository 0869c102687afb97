//! The simulated account: every resource, its clock, and the rules by which it changes on its own.
//!
//! The world is passive. Port calls, and the test harness, ask it to [`World::advance_to`] a
//! virtual instant first; it then runs its one-second ticks up to that instant, each tick serving
//! the traffic of the second before it and then applying whatever became due (tasks reaching
//! RUNNING, health checks, deregistrations ending, instances terminating). Ticks make the order of
//! events total and independent of when the engine happens to look.

pub mod access;
pub(crate) mod asg;
pub(crate) mod beanstalk;
pub mod connections;
pub(crate) mod ec2;
pub(crate) mod ecs;
pub(crate) mod elb;
pub mod front_end;
pub(crate) mod ids;
pub(crate) mod instances;
pub mod listener_rules;
pub(crate) mod logs;
pub mod old_side;
pub(crate) mod route53;
pub(crate) mod scaling;

use std::collections::BTreeMap;

use migrate_engine::ports::{
    AliasTarget, Capacity, DnsRecord, ServiceLoadBalancer, Tags, TargetState,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::clock::Millis;
use crate::faults::{CrashPoint, FaultProfile, Span};
use crate::metrics::CloudWatch;
use crate::topology::Topology;
use crate::traffic::{Traffic, TrafficConfig};

use self::asg::{Asg, InstanceRec, InstanceState};
use self::ec2::Ec2;
use self::ecs::{
    ClusterRec, Ecs, Launch, ServiceRec, ServiceState, TaskDefRec, TaskRec, TaskState,
};
use self::elb::{Backend, Elb, LbRec, ListenerRec, TargetRec, TgRec};
use self::ids::Ids;
use self::logs::{LogGroupRec, Logs};
use self::route53::{Route53, ZoneRec, ZoneVersion};

/// The old Auto Scaling group's launch template.
pub const OLD_LAUNCH_TEMPLATE_ID: &str = "lt-0old0000000000001";
/// Volumes the old group's terminated instances left `available`, tagged by its launch template.
pub const OLD_VOLUME_IDS: [&str; 2] = ["vol-0old000000000001", "vol-0old000000000002"];
/// An `available` volume that belongs to nobody the migration knows; clean-up must keep it.
pub const UNRELATED_VOLUME_ID: &str = "vol-0other00000000001";

/// The world's time step.
pub(crate) const TICK: Millis = 1000;

/// The part of a service its tick reads.
struct ServiceView {
    cluster: String,
    name: String,
    state: ServiceState,
    desired: u32,
    load_balancer: Option<ServiceLoadBalancer>,
    ready_at: Option<Millis>,
    deployment: u32,
}

/// How often HealthyHostCount is sampled.
const HOST_COUNT_SAMPLE: Millis = 10 * TICK;

/// The hosted zone id AWS gives application load balancers in the simulated region.
pub(crate) const ALB_ZONE_ID: &str = "Z14GRHDCWA56QT";

/// One API call as the world counts it.
#[derive(Debug, Default, Clone)]
pub(crate) struct ApiLog {
    /// Calls per service (`ecs`, `elbv2`, ...), faulted ones included.
    pub per_service: BTreeMap<String, u64>,
    /// Calls per operation (`ecs:CreateService`, ...).
    pub per_operation: BTreeMap<String, u64>,
    pub total: u64,
    /// Calls that change the account, faulted ones included.
    pub mutating: u64,
    pub faults_injected: u64,
}

/// Calls a test chose to throttle: the next `calls` calls to `operation` (to any operation when
/// `None`) answer `Throttled` without effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChosenThrottle {
    pub operation: Option<String>,
    pub calls: u32,
}

/// A resource the migration created, as the audit sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Creation {
    pub kind: &'static str,
    pub name: String,
    pub id: String,
    pub at: Millis,
}

pub struct World {
    pub(crate) seed: u64,
    pub(crate) topology: Topology,
    pub(crate) profile: FaultProfile,
    pub(crate) now: Millis,
    pub(crate) rng: ChaCha8Rng,
    pub(crate) fault_rng: ChaCha8Rng,
    pub(crate) ids: Ids,
    pub(crate) ecs: Ecs,
    pub(crate) ec2: Ec2,
    pub(crate) elb: Elb,
    pub(crate) asg: Asg,
    pub(crate) route53: Route53,
    pub(crate) logs: Logs,
    pub(crate) scaling: scaling::Scaling,
    pub(crate) cloudwatch: CloudWatch,
    pub(crate) traffic: Traffic,
    pub(crate) api: ApiLog,
    pub(crate) crash: Option<CrashPoint>,
    pub(crate) crashes: u32,
    pub(crate) throttles: Vec<ChosenThrottle>,
    pub(crate) creations: Vec<Creation>,
    /// When the old Auto Scaling group was told to scale to zero.
    pub(crate) timeline_scale_in: Option<Millis>,
    /// Tasks that died without draining during the current tick.
    killed: Vec<String>,
    /// Whether the Beanstalk environment of the topology was terminated.
    pub(crate) environment_terminated: bool,
    /// ECR repositories of the old side: name → when an image of it was last pulled.
    pub(crate) ecr: BTreeMap<String, Option<Millis>>,
    /// How CloudWatch answers the drain in a mutation test (`None`: as CloudWatch does).
    pub(crate) drain_reading: Option<old_side::DrainReading>,
    /// Calls a mutation test makes the account ignore, as if the step had not made them.
    pub(crate) left_out: Vec<old_side::LeftOut>,
    /// The Beanstalk environment's capacity settings, when the topology has an environment.
    pub(crate) beanstalk: Option<beanstalk::EnvironmentRec>,
    /// The plain instances of an `ec2` source.
    pub(crate) plain: instances::PlainInstances,
    /// The old load balancer's listener actions as the topology made them: what a rollback must
    /// leave them as.
    pub(crate) old_listeners_at_start: Vec<listener_rules::ListenerActionsSeen>,
}

/// What `refresh_serving` finds for one target: it answers, it lacks credentials, it got no
/// data-store connection.
type ServingFlags = (bool, bool, bool);

impl World {
    pub(crate) fn new(
        seed: u64,
        topology: Topology,
        profile: FaultProfile,
        traffic: &TrafficConfig,
    ) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(1);
        let mut fault_rng = ChaCha8Rng::seed_from_u64(seed);
        fault_rng.set_stream(2);
        let mut traffic_rng = ChaCha8Rng::seed_from_u64(seed);
        traffic_rng.set_stream(3);
        let cloudwatch = CloudWatch {
            delay_ms: profile.metric_delay_ms,
            ..CloudWatch::default()
        };
        let mut traffic = Traffic::new(traffic, &profile, &mut traffic_rng);
        traffic.split_clients(
            topology.old_lb_dual_stack,
            topology.private_zone_id.is_some(),
        );
        let mut world = Self {
            seed,
            topology,
            profile,
            now: 0,
            rng,
            fault_rng,
            ids: Ids::new(seed),
            ecs: Ecs::default(),
            ec2: Ec2::default(),
            elb: Elb::default(),
            asg: Asg::default(),
            route53: Route53::default(),
            logs: Logs::default(),
            scaling: scaling::Scaling::default(),
            cloudwatch,
            traffic,
            api: ApiLog::default(),
            crash: None,
            crashes: 0,
            throttles: Vec::new(),
            creations: Vec::new(),
            timeline_scale_in: None,
            killed: Vec::new(),
            environment_terminated: false,
            ecr: BTreeMap::new(),
            drain_reading: None,
            left_out: Vec::new(),
            beanstalk: None,
            plain: instances::PlainInstances::default(),
            old_listeners_at_start: Vec::new(),
        };
        world.seed_old_side();
        world.old_listeners_at_start = world.elb.old_listener_actions();
        world
    }

    pub(crate) fn draw(&mut self, span: Span) -> Millis {
        if span.max_ms <= span.min_ms {
            span.min_ms
        } else {
            self.rng.gen_range(span.min_ms..=span.max_ms)
        }
    }

    pub(crate) fn arn(&self, service: &str, rest: &str) -> String {
        format!(
            "arn:aws:{service}:{}:{}:{rest}",
            self.topology.region, self.topology.account
        )
    }

    pub(crate) fn lb_dns_name(&mut self, name: &str) -> String {
        let n = self.ids.raw() % 9_000_000_000 + 1_000_000_000;
        format!("{name}-{n}.{}.elb.amazonaws.com", self.topology.region).to_ascii_lowercase()
    }

    /// The launch template of the old group, the volumes it left behind (tagged by it, as
    /// `migrate cleanup` finds them) and one volume of someone else's. Fixed ids that draw
    /// nothing from the seed, so every other id of a seed stays what it was.
    fn seed_launch_setup(&mut self) {
        let t = self.topology.clone();
        let volume_tags: Tags = [("Name".to_string(), format!("{}-data", t.asg_name))].into();
        self.ec2.launch_templates.insert(
            OLD_LAUNCH_TEMPLATE_ID.into(),
            ec2::LaunchTemplateRec {
                id: OLD_LAUNCH_TEMPLATE_ID.into(),
                name: format!("{}-lt", t.asg_name),
                security_groups: vec![t.old_app_security_group_id.clone()],
                volume_tags: volume_tags.clone(),
            },
        );
        for (id, tags) in [
            (OLD_VOLUME_IDS[0], volume_tags.clone()),
            (OLD_VOLUME_IDS[1], volume_tags),
            (UNRELATED_VOLUME_ID, Tags::new()),
        ] {
            self.ec2.volumes.insert(
                id.into(),
                ec2::VolumeRec {
                    id: id.into(),
                    state: "available".into(),
                    size_gib: 30,
                    tags,
                },
            );
        }
    }

    /// Builds the old side the topology describes, all of it healthy and serving.
    fn seed_old_side(&mut self) {
        self.seed_launch_setup();
        let t = self.topology.clone();
        let no_tags = Tags::new;
        for (id, name) in [
            (&t.old_lb_security_group_id, &t.old_lb_security_group_name),
            (&t.old_app_security_group_id, &t.old_app_security_group_name),
        ]
        .into_iter()
        .chain(
            t.data_stores
                .iter()
                .map(|d| (&d.security_group_id, &d.security_group_name)),
        ) {
            self.ec2.groups.insert(
                id.clone(),
                ec2::GroupRec {
                    id: id.clone(),
                    name: name.clone(),
                    vpc_id: t.vpc_id.clone(),
                    tags: no_tags(),
                    visible_at: 0,
                },
            );
        }
        self.ec2.rules.insert(
            (
                t.old_app_security_group_id.clone(),
                t.old_lb_security_group_id.clone(),
                80,
            ),
            "from the old load balancer".into(),
        );
        // The old load balancer admits clients on HTTP and HTTPS, over IPv6 too when it is
        // dual-stack.
        for port in [80, 443] {
            self.ec2.rules.insert(
                (
                    t.old_lb_security_group_id.clone(),
                    ec2::ANYWHERE.into(),
                    port,
                ),
                "clients".into(),
            );
            if t.old_lb_dual_stack {
                self.ec2.rules.insert(
                    (
                        t.old_lb_security_group_id.clone(),
                        ec2::ANYWHERE_V6.into(),
                        port,
                    ),
                    "IPv6 clients".into(),
                );
            }
        }
        // Elastic Beanstalk's load balancer group sends only to its instances' port 80.
        if t.beanstalk_environment.is_some() {
            self.ec2.egress.insert(
                t.old_lb_security_group_id.clone(),
                vec![(80, ec2::ANYWHERE.into())],
            );
        }
        for d in &t.data_stores {
            self.ec2.rules.insert(
                (
                    d.security_group_id.clone(),
                    t.old_app_security_group_id.clone(),
                    d.port,
                ),
                format!("{} from the old instances", d.name),
            );
        }

        let lb_hex = self.ids.hex16();
        let lb_arn = self.arn(
            "elasticloadbalancing",
            &format!("loadbalancer/app/{}/{lb_hex}", t.old_lb_name),
        );
        let lb_dns = self.lb_dns_name(&t.old_lb_name);
        self.elb.load_balancers.insert(
            lb_arn.clone(),
            LbRec {
                arn: lb_arn.clone(),
                name: t.old_lb_name.clone(),
                dns_name: lb_dns.clone(),
                zone_id: ALB_ZONE_ID.into(),
                subnets: t.public_subnets.clone(),
                security_groups: vec![t.old_lb_security_group_id.clone()],
                internal: false,
                vpc_id: t.vpc_id.clone(),
                active_at: 0,
                tags: no_tags(),
                visible_at: 0,
                deleted: false,
                old_side: true,
                // A dual-stack old load balancer is what the `AAAA` aliases of `with_every_name`
                // reach (a front end may set it too, see `front_end::install`).
                ip_address_type: if t.old_lb_dual_stack {
                    "dualstack"
                } else {
                    "ipv4"
                }
                .into(),
                attributes: BTreeMap::new(),
                web_acl: None,
            },
        );
        let tg_hex = self.ids.hex16();
        let tg_arn = self.arn(
            "elasticloadbalancing",
            &format!("targetgroup/{}/{tg_hex}", t.old_target_group_name),
        );
        self.elb.target_groups.insert(
            tg_arn.clone(),
            TgRec {
                arn: tg_arn.clone(),
                name: t.old_target_group_name.clone(),
                port: 80,
                target_type: "instance".into(),
                vpc_id: t.vpc_id.clone(),
                health_check: t.old_health_check.clone(),
                deregistration_delay_ms: u64::from(t.old_deregistration_delay_secs) * 1000,
                tags: no_tags(),
                visible_at: 0,
                targets: BTreeMap::new(),
                cursor: 0,
                attributes: BTreeMap::new(),
                new_side: false,
            },
        );
        let listener_hex = self.ids.hex16();
        let listener_arn = self.arn(
            "elasticloadbalancing",
            &format!("listener/app/{}/{lb_hex}/{listener_hex}", t.old_lb_name),
        );
        self.elb.listeners.insert(
            listener_arn.clone(),
            ListenerRec::forwarding(
                listener_arn,
                lb_arn.clone(),
                80,
                migrate_engine::ports::ListenerProtocol::Http,
                None,
                tg_arn.clone(),
                no_tags(),
            ),
        );

        if let Some(cert) = &t.old_certificate_arn {
            let hex = self.ids.hex16();
            let arn = self.arn(
                "elasticloadbalancing",
                &format!("listener/app/{}/{lb_hex}/{hex}", t.old_lb_name),
            );
            self.elb.listeners.insert(
                arn.clone(),
                ListenerRec::forwarding(
                    arn,
                    lb_arn.clone(),
                    443,
                    migrate_engine::ports::ListenerProtocol::Https,
                    Some(cert.clone()),
                    tg_arn.clone(),
                    no_tags(),
                ),
            );
        }

        if let Some(front_end) = &t.old_front_end {
            front_end::install(&mut self.elb, front_end, &lb_arn, &tg_arn);
        }

        // The Auto Scaling group and its instances, all in service.
        let mut instances = BTreeMap::new();
        for _ in 0..t.asg_instances {
            let id = self.ids.ec2("i");
            instances.insert(
                id.clone(),
                InstanceRec {
                    id,
                    state: InstanceState::InService,
                },
            );
        }
        let instance_ids: Vec<String> = instances.keys().cloned().collect();
        let mut asg_tags = Tags::new();
        if let Some(env) = &t.beanstalk_environment {
            asg_tags.insert("elasticbeanstalk:environment-name".into(), env.clone());
        }
        self.seed_plain_instances(&tg_arn);
        // An `ec2` source has no group: its instances were launched by hand.
        if t.plain_instances.is_empty() {
            self.asg.groups.insert(
                t.asg_name.clone(),
                asg::GroupRec {
                    name: t.asg_name.clone(),
                    capacity: Capacity {
                        min: t.asg_instances,
                        max: t.asg_instances * 2,
                        desired: t.asg_instances,
                    },
                    instances,
                    instance_type: t.asg_instance_type.clone(),
                    target_group_arns: if t.asg_attached_to_target_group {
                        vec![tg_arn.clone()]
                    } else {
                        vec![]
                    },
                    tags: asg_tags,
                    launch_template: Some(OLD_LAUNCH_TEMPLATE_ID.into()),
                    emptied_at: None,
                    suspended: Default::default(),
                    protected: instance_ids
                        .iter()
                        .take(t.old_side.protected_instances as usize)
                        .cloned()
                        .collect(),
                },
            );
        }
        self.seed_old_service_scaling();
        self.seed_beanstalk_environment();
        self.seed_old_alarms(&lb_arn);
        // The old side's image repository, its image pulled when the old side started.
        if let Some(repository) = &t.old_ecr_repository {
            self.ecr.insert(repository.clone(), Some(0));
        }
        if let Some(target) = t.asg_cpu_target_percent {
            self.scaling.group_policies.insert(
                t.asg_name.clone(),
                vec![migrate_engine::ports::ScalingPolicy {
                    name: format!("{}-cpu", t.asg_name),
                    cpu_target_percent: Some(f64::from(target)),
                }],
            );
        }
        let healthy_target = |id: String, port: u16, backend: Backend| TargetRec {
            id,
            port,
            backend,
            state: TargetState::Healthy,
            ok_streak: 10,
            fail_streak: 0,
            next_check: 1000 + port as u64 * 37 % 5000,
            draining_until: None,
            healthy_since: Some(0),
            serving: true,
            without_credentials: false,
            without_connection: false,
        };
        if t.asg_attached_to_target_group {
            let tg = self.elb.target_groups.get_mut(&tg_arn);
            if let Some(tg) = tg {
                for id in &instance_ids {
                    tg.targets.insert(
                        (id.clone(), 80),
                        healthy_target(id.clone(), 80, Backend::Instance(id.clone())),
                    );
                }
            }
        }

        // The ECS-on-EC2 cluster, its task definitions, services and tasks.
        if let Some(cluster) = &t.old_cluster {
            self.ecs.clusters.insert(
                cluster.clone(),
                ClusterRec {
                    name: cluster.clone(),
                    arn: self.arn("ecs", &format!("cluster/{cluster}")),
                    active: true,
                    tags: no_tags(),
                    visible_at: 0,
                },
            );
            let mut port = 32768u16;
            for (si, s) in t.old_services.iter().enumerate() {
                let td_arn = self.arn(
                    "ecs",
                    &format!("task-definition/{}:1", s.task_definition_family),
                );
                let containers: Vec<serde_json::Value> = match &s.load_balanced_container {
                    Some((name, cport)) => vec![
                        serde_json::json!({
                            "name": name, "image": format!("nginx:{}", s.name), "essential": true,
                            "portMappings": [{"containerPort": cport, "hostPort": 0, "protocol": "tcp"}],
                            "links": ["php-fpm"]
                        }),
                        serde_json::json!({"name": "php-fpm", "image": "shop/php-fpm:1", "essential": true}),
                    ],
                    None => vec![
                        serde_json::json!({"name": s.name, "image": "shop/php-fpm:1", "essential": true,
                        "command": ["php", "artisan", "queue:work"]}),
                    ],
                };
                // The old tasks log to a group of their own, which exists: they run today.
                let old_group = format!("/ecs/{}", s.task_definition_family);
                let containers: Vec<serde_json::Value> = containers
                    .into_iter()
                    .map(|mut c| {
                        c["logConfiguration"] = serde_json::json!({
                            "logDriver": "awslogs",
                            "options": {"awslogs-group": old_group, "awslogs-region": "ap-northeast-1",
                                        "awslogs-stream-prefix": "ecs"}
                        });
                        c
                    })
                    .collect();
                self.logs.groups.insert(
                    old_group.clone(),
                    LogGroupRec {
                        name: old_group,
                        retention_days: Some(14),
                        tags: no_tags(),
                    },
                );
                self.ecs.task_definitions.insert(
                    td_arn.clone(),
                    TaskDefRec {
                        arn: td_arn.clone(),
                        family: s.task_definition_family.clone(),
                        revision: 1,
                        active: true,
                        definition: serde_json::json!({
                            "taskDefinitionArn": td_arn, "family": s.task_definition_family, "revision": 1,
                            "networkMode": "bridge", "requiresCompatibilities": ["EC2"],
                            "containerDefinitions": containers, "status": "ACTIVE"
                        }),
                        tags: no_tags(),
                        visible_at: 0,
                    },
                );
                self.ecs
                    .revisions
                    .insert(s.task_definition_family.clone(), 1);
                let generation = self.ecs.next_service_generation;
                self.ecs.next_service_generation += 1;
                self.ecs.services.insert(
                    (cluster.clone(), s.name.clone(), generation),
                    ServiceRec {
                        arn: self.arn("ecs", &format!("service/{cluster}/{}", s.name)),
                        name: s.name.clone(),
                        cluster: cluster.clone(),
                        state: ServiceState::Active,
                        task_definition_arn: td_arn,
                        desired: s.desired,
                        load_balancer: s.load_balanced_container.as_ref().map(|(c, p)| {
                            ServiceLoadBalancer {
                                target_group_arn: tg_arn.clone(),
                                container_name: c.clone(),
                                container_port: *p,
                            }
                        }),
                        also_registers_in: Vec::new(),
                        launch: Launch::Ec2,
                        security_groups: vec![t.old_app_security_group_id.clone()],
                        spec: None,
                        tags: no_tags(),
                        created_at: 0,
                        visible_at: 0,
                        grace_ms: 0,
                        ready_at: Some(0),
                        stopped_reasons: vec![],
                        new_side: false,
                        deployment: 0,
                    },
                );
                for n in 0..s.desired {
                    let instance =
                        instance_ids[(n as usize + si) % instance_ids.len().max(1)].clone();
                    let id = self.ids.hex16();
                    port += 1;
                    self.ecs.tasks.insert(
                        id.clone(),
                        TaskRec {
                            id: id.clone(),
                            cluster: cluster.clone(),
                            service: s.name.clone(),
                            state: TaskState::Running,
                            target_id: instance.clone(),
                            target_port: port,
                            instance: Some(instance.clone()),
                            security_groups: vec![t.old_app_security_group_id.clone()],
                            started_at: 0,
                            running_since: Some(0),
                            app_ok: true,
                            deployment: 0,
                            target_groups: if s.load_balanced_container.is_some() {
                                vec![tg_arn.clone()]
                            } else {
                                Vec::new()
                            },
                        },
                    );
                    if s.load_balanced_container.is_some() {
                        if let Some(tg) = self.elb.target_groups.get_mut(&tg_arn) {
                            tg.targets.insert(
                                (instance.clone(), port),
                                healthy_target(instance, port, Backend::Task(id)),
                            );
                        }
                    }
                }
            }
        }

        // Route53: the FQDN is an alias to the old load balancer.
        let mut records = BTreeMap::new();
        let record = DnsRecord {
            name: t.fqdn.clone(),
            record_type: "A".into(),
            ttl: None,
            values: vec![],
            alias: Some(AliasTarget {
                dns_name: format!("dualstack.{lb_dns}."),
                hosted_zone_id: ALB_ZONE_ID.into(),
                evaluate_target_health: false,
            }),
            set_identifier: None,
            weight: None,
            routing: Default::default(),
        };
        records.insert(route53::key_of(&record), record.clone());
        // A dual-stack load balancer is reached by an `AAAA` alias to its `dualstack.` name too:
        // https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-to-elb-load-balancer.html
        if t.old_lb_dual_stack {
            let aaaa = DnsRecord {
                record_type: "AAAA".into(),
                ..record.clone()
            };
            records.insert(route53::key_of(&aaaa), aaaa);
        }
        self.route53.zones.insert(
            t.zone_id.clone(),
            ZoneRec {
                id: t.zone_id.clone(),
                name: t.zone_name.clone(),
                private: false,
                versions: vec![ZoneVersion {
                    submitted_at: 0,
                    insync_at: 0,
                    records,
                }],
            },
        );
        if let Some(private_id) = &t.private_zone_id {
            let mut private = BTreeMap::new();
            private.insert(route53::key_of(&record), record);
            self.route53.zones.insert(
                private_id.clone(),
                ZoneRec {
                    id: private_id.clone(),
                    name: t.zone_name.clone(),
                    private: true,
                    versions: vec![ZoneVersion {
                        submitted_at: 0,
                        insync_at: 0,
                        records: private,
                    }],
                },
            );
        }
    }

    /// Runs the world's ticks up to `t`.
    pub(crate) fn advance_to(&mut self, t: Millis) {
        while self.now + TICK <= t {
            self.now += TICK;
            let at = self.now;
            self.tick(at);
        }
    }

    fn tick(&mut self, at: Millis) {
        self.dispatch_traffic(at - TICK, at);
        self.average_new_side_load();
        // Requests started in the second before `at` are published in that second's minute.
        self.flush_request_metrics(at - 1);
        self.tick_instances(at);
        self.tick_plain_instances(at);
        self.tick_tasks(at);
        self.tick_targets(at);
        self.tick_services(at);
        self.refresh_serving();
        let killed = std::mem::take(&mut self.killed);
        self.settle_traffic(at, &killed);
        self.record_host_counts(at);
        self.scan_old_load_balancers(at);
        self.run_old_scaling_setup(at);
        self.run_beanstalk_updates(at);
        // ECS forgets stopped tasks; so does the world, once their requests are settled.
        self.ecs.tasks.retain(|_, t| t.alive());
    }

    /// A task stops at once, without draining: requests in flight on it fail.
    pub(crate) fn kill_task(&mut self, id: &str, reason: &str) {
        let Some(task) = self.ecs.tasks.get_mut(id) else {
            return;
        };
        if !task.alive() {
            return;
        }
        task.state = TaskState::Stopped;
        let (cluster, service) = (task.cluster.clone(), task.service.clone());
        self.killed.push(id.to_string());
        for tg in self.elb.target_groups.values_mut() {
            tg.targets
                .retain(|_, t| t.backend != Backend::Task(id.to_string()));
        }
        if let Some(key) = self.ecs.live_service_key(&cluster, &service) {
            if let Some(s) = self.ecs.services.get_mut(&key) {
                s.stopped_reasons.push(reason.to_string());
            }
        }
    }

    /// Deregisters the target backed by `backend` everywhere: it drains for its group's delay.
    fn deregister_backend(&mut self, backend: &Backend, at: Millis) -> Millis {
        let mut until = at;
        for tg in self.elb.target_groups.values_mut() {
            let delay = tg.deregistration_delay_ms;
            for t in tg.targets.values_mut() {
                if &t.backend == backend && t.draining_until.is_none() {
                    t.draining_until = Some(at + delay);
                    until = until.max(at + delay);
                }
            }
        }
        until
    }

    fn tick_instances(&mut self, at: Millis) {
        let names: Vec<String> = self.asg.groups.keys().cloned().collect();
        for name in names {
            let mut to_kill = Vec::new();
            let mut launches = 0u32;
            let mut drains = Vec::new();
            let mut booted = Vec::new();
            {
                let Some(g) = self.asg.groups.get_mut(&name) else {
                    continue;
                };
                for inst in g.instances.values_mut() {
                    match inst.state {
                        InstanceState::Pending { in_service_at } if in_service_at <= at => {
                            inst.state = InstanceState::InService;
                            booted.push(inst.id.clone());
                        }
                        InstanceState::Draining { terminate_at } if terminate_at <= at => {
                            inst.state = InstanceState::Terminating {
                                terminated_at: at + 10_000,
                            };
                            to_kill.push(inst.id.clone());
                        }
                        InstanceState::Terminating { terminated_at } if terminated_at <= at => {
                            inst.state = InstanceState::Terminated;
                        }
                        _ => {}
                    }
                }
                let active: Vec<String> = g
                    .instances
                    .values()
                    .filter(|i| i.counts_in_service())
                    .map(|i| i.id.clone())
                    .collect();
                let desired = g.capacity.desired;
                if (active.len() as u32) < desired {
                    // A suspended `Launch` launches nothing (see `world::old_side`).
                    if g.runs("Launch") {
                        launches = desired - active.len() as u32;
                    }
                } else if g.runs("Terminate") {
                    // Scale-in terminates the newest instances first (ids sort by creation
                    // here), never one protected from scale-in: the desired capacity drops and
                    // the protected instances stay in service (see `world::old_side`).
                    let excess = active.len() - desired as usize;
                    for id in active
                        .iter()
                        .rev()
                        .filter(|id| !g.protected.contains(*id))
                        .take(excess)
                    {
                        drains.push(id.clone());
                    }
                }
                if g.instances
                    .values()
                    .all(|i| i.state == InstanceState::Terminated)
                    && !g.instances.is_empty()
                    && g.emptied_at.is_none()
                {
                    g.emptied_at = Some(at);
                }
            }
            let attached = self
                .asg
                .groups
                .get(&name)
                .map(|g| !g.target_group_arns.is_empty())
                .unwrap_or(false);
            if attached {
                self.register_instances(&name, &booted, at);
            }
            for id in drains {
                let state = if attached {
                    let until = self.deregister_backend(&Backend::Instance(id.clone()), at);
                    InstanceState::Draining {
                        terminate_at: until,
                    }
                } else {
                    to_kill.push(id.clone());
                    InstanceState::Terminating {
                        terminated_at: at + 10_000,
                    }
                };
                if let Some(i) = self
                    .asg
                    .groups
                    .get_mut(&name)
                    .and_then(|g| g.instances.get_mut(&id))
                {
                    i.state = state;
                }
            }
            for _ in 0..launches {
                let id = self.ids.ec2("i");
                let boot = self.draw(Span::secs(60, 120));
                if let Some(g) = self.asg.groups.get_mut(&name) {
                    g.instances.insert(
                        id.clone(),
                        InstanceRec {
                            id,
                            state: InstanceState::Pending {
                                in_service_at: at + boot,
                            },
                        },
                    );
                    g.emptied_at = None;
                }
            }
            for id in to_kill {
                // The instance shuts down: its containers die with it, and a target that was
                // still registered stops answering mid-request.
                for tg in self.elb.target_groups.values_mut() {
                    tg.targets
                        .retain(|_, t| t.backend != Backend::Instance(id.clone()));
                }
                let tasks: Vec<String> = self
                    .ecs
                    .tasks
                    .values()
                    .filter(|t| t.alive() && t.instance.as_deref() == Some(id.as_str()))
                    .map(|t| t.id.clone())
                    .collect();
                for task in tasks {
                    self.kill_task(&task, "Host EC2 instance terminated");
                }
                self.killed.push(format!("instance:{id}"));
            }
        }
    }

    fn tick_tasks(&mut self, at: Millis) {
        let mut became_running = Vec::new();
        for task in self.ecs.tasks.values_mut() {
            match task.state {
                TaskState::Provisioning { running_at } if running_at <= at => {
                    task.state = TaskState::Running;
                    task.running_since = Some(at);
                    became_running.push(task.id.clone());
                }
                TaskState::Draining { stop_at } if stop_at <= at => {
                    task.state = TaskState::Stopped;
                }
                _ => {}
            }
        }
        for id in became_running {
            let Some(task) = self.ecs.tasks.get(&id).cloned() else {
                continue;
            };
            // ECS registers the task in each target group of its deployment; one deleted since
            // (`DeleteTargetGroup` asks only whether a listener forwards to it, not whether a
            // service registers in it:
            // <https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DeleteTargetGroup.html>)
            // answers `TargetGroupNotFound`
            // (<https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RegisterTargets.html>),
            // and the task never serves: it is stopped and the service says why. Stricter than
            // moto, which starts no task.
            if let Some(missing) = task
                .target_groups
                .iter()
                .find(|arn| !self.elb.target_groups.contains_key(*arn))
                .cloned()
            {
                let reason = format!(
                    "service {} failed to register targets in target-group {missing}: \
                     TargetGroupNotFound",
                    task.service
                );
                self.stop_task_gracefully(&id, at);
                if let Some(key) = self.ecs.live_service_key(&task.cluster, &task.service) {
                    if let Some(rec) = self.ecs.services.get_mut(&key) {
                        if rec.stopped_reasons.last() != Some(&reason) {
                            rec.stopped_reasons.push(reason);
                        }
                    }
                }
                continue;
            }
            for tg_arn in &task.target_groups {
                self.register_task_target(tg_arn, &task, &id, at);
            }
        }
    }

    /// Registers a task that just started in one of its service's target groups, `initial`,
    /// its first health check somewhere in the group's interval.
    fn register_task_target(&mut self, tg_arn: &str, task: &TaskRec, id: &str, at: Millis) {
        {
            let interval = self
                .elb
                .target_groups
                .get(tg_arn)
                .map(|tg| u64::from(tg.health_check.interval_secs) * 1000)
                .unwrap_or(30_000);
            let first = self.draw(Span::ms(0, interval.saturating_sub(1)));
            if let Some(tg) = self.elb.target_groups.get_mut(tg_arn) {
                tg.targets.insert(
                    (task.target_id.clone(), task.target_port),
                    TargetRec {
                        id: task.target_id.clone(),
                        port: task.target_port,
                        backend: Backend::Task(id.to_string()),
                        state: TargetState::Initial,
                        ok_streak: 0,
                        fail_streak: 0,
                        next_check: at + first,
                        draining_until: None,
                        healthy_since: None,
                        serving: false,
                        without_credentials: false,
                        without_connection: false,
                    },
                );
            }
        }
    }

    /// Auto Scaling registers an instance it launches with the group's target groups, where it
    /// starts `initial` and serves once it passes the health checks: "the instances are
    /// automatically registered with the load balancer or target group when they are launched"
    /// (<https://docs.aws.amazon.com/autoscaling/ec2/userguide/attach-load-balancer-asg.html>).
    /// Without this, a group scaled back up by a rollback would never serve again.
    fn register_instances(&mut self, group: &str, instances: &[String], at: Millis) {
        let arns = self
            .asg
            .groups
            .get(group)
            .map(|g| g.target_group_arns.clone())
            .unwrap_or_default();
        for arn in arns {
            let interval = self
                .elb
                .target_groups
                .get(&arn)
                .map(|tg| u64::from(tg.health_check.interval_secs) * 1000)
                .unwrap_or(30_000);
            for id in instances {
                let first = self.draw(Span::ms(0, interval.saturating_sub(1)));
                if let Some(tg) = self.elb.target_groups.get_mut(&arn) {
                    tg.targets.insert(
                        (id.clone(), 80),
                        TargetRec {
                            id: id.clone(),
                            port: 80,
                            backend: Backend::Instance(id.clone()),
                            state: TargetState::Initial,
                            ok_streak: 0,
                            fail_streak: 0,
                            next_check: at + first,
                            draining_until: None,
                            healthy_since: None,
                            serving: false,
                            without_credentials: false,
                            without_connection: false,
                        },
                    );
                }
            }
        }
    }

    /// Would a request (or a health check) from `lb_sgs` to this target succeed now?
    fn backend_serves(&self, backend: &Backend, port: u16, lb_sgs: &[String]) -> bool {
        match backend {
            Backend::Instance(id) => {
                self.plain_instance_up(id) == Some(true)
                    || self
                        .asg
                        .groups
                        .values()
                        .filter_map(|g| g.instances.get(id))
                        .any(|i| i.up())
            }
            Backend::Task(id) => {
                let Some(task) = self.ecs.tasks.get(id) else {
                    return false;
                };
                if !matches!(task.state, TaskState::Running | TaskState::Draining { .. })
                    || !task.app_ok
                {
                    return false;
                }
                if task.instance.is_some() {
                    // Old bridge-mode tasks: the instance security group admits the old load
                    // balancer on the ephemeral range, which the topology does not spell out.
                    return true;
                }
                let reachable = self.ec2.admits(&task.security_groups, lb_sgs, port)
                    && self.ec2.sends(lb_sgs, port, &task.security_groups);
                let data_ok = self.topology.data_stores.iter().all(|d| {
                    self.ec2.admits(
                        std::slice::from_ref(&d.security_group_id),
                        &task.security_groups,
                        d.port,
                    )
                });
                reachable && data_ok
            }
        }
    }

    /// Whether the application's answer to `hc`'s request is one `hc` accepts (see
    /// [`Topology::app_health_path`]).
    fn app_passes(&self, hc: &migrate_engine::ports::HealthCheck) -> bool {
        match &self.topology.app_health_path {
            None => true,
            Some(path) => {
                let accepts = |status: u16| matcher_accepts(&hc.matcher, status);
                (hc.path == *path && accepts(200)) || accepts(302)
            }
        }
    }

    fn lb_sgs_of_tg(&self, tg_arn: &str) -> Option<Vec<String>> {
        let lbs = self.elb.lbs_of_tg(tg_arn);
        let mut sgs = Vec::new();
        let mut any = false;
        for arn in lbs {
            // Health checks come from the load balancer's nodes, which exist once it is active.
            if let Some(lb) = self
                .elb
                .load_balancers
                .get(&arn)
                .filter(|l| !l.deleted && l.active_at <= self.now)
            {
                any = true;
                sgs.extend(lb.security_groups.iter().cloned());
            }
        }
        any.then_some(sgs)
    }

    fn tick_targets(&mut self, at: Millis) {
        let arns: Vec<String> = self.elb.target_groups.keys().cloned().collect();
        let mut unhealthy_tasks = Vec::new();
        for arn in arns {
            let lb_sgs = self.lb_sgs_of_tg(&arn);
            let Some(tg) = self.elb.target_groups.get(&arn) else {
                continue;
            };
            let hc = tg.health_check.clone();
            let mut results = Vec::new();
            let mut stopped = Vec::new();
            for (key, t) in &tg.targets {
                if t.draining_until.is_some_and(|u| u <= at) {
                    results.push((key.clone(), None));
                } else if matches!(&t.backend, Backend::Instance(id) if self.plain_instance_down(id))
                {
                    // A stopped instance's target is `unused` at once, not failing checks.
                    stopped.push(key.clone());
                    results.push((key.clone(), Some(None)));
                } else if t.draining_until.is_none() && t.next_check <= at {
                    let pass = lb_sgs.as_ref().map(|sgs| {
                        self.backend_serves(&t.backend, t.port, sgs) && self.app_passes(&hc)
                    });
                    results.push((key.clone(), Some(pass)));
                }
            }
            let Some(tg) = self.elb.target_groups.get_mut(&arn) else {
                continue;
            };
            for (key, result) in results {
                match result {
                    None => {
                        tg.targets.remove(&key);
                    }
                    Some(pass) => {
                        let Some(t) = tg.targets.get_mut(&key) else {
                            continue;
                        };
                        t.next_check = at + u64::from(hc.interval_secs) * 1000;
                        match pass {
                            None => {
                                t.state = TargetState::Unused;
                                if stopped.contains(&key) {
                                    // Started again, it is checked from `initial`.
                                    t.ok_streak = 0;
                                    t.fail_streak = 0;
                                    t.healthy_since = None;
                                }
                            }
                            Some(true) => {
                                t.ok_streak += 1;
                                t.fail_streak = 0;
                                if t.state != TargetState::Healthy
                                    && t.ok_streak >= hc.healthy_threshold
                                {
                                    t.state = TargetState::Healthy;
                                    t.healthy_since = Some(at);
                                }
                                if t.state == TargetState::Unused {
                                    t.state = TargetState::Initial;
                                }
                            }
                            Some(false) => {
                                t.fail_streak += 1;
                                t.ok_streak = 0;
                                if t.state != TargetState::Unhealthy
                                    && t.fail_streak >= hc.unhealthy_threshold
                                {
                                    t.state = TargetState::Unhealthy;
                                    t.healthy_since = None;
                                    if let Backend::Task(id) = &t.backend {
                                        unhealthy_tasks.push(id.clone());
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // ECS replaces tasks that fail their load balancer's health checks once the service's
        // grace period has passed: the task is deregistered, drains, and stops.
        for id in unhealthy_tasks {
            let Some(task) = self.ecs.tasks.get(&id).cloned() else {
                continue;
            };
            let Some(key) = self.ecs.live_service_key(&task.cluster, &task.service) else {
                continue;
            };
            let Some(service) = self.ecs.services.get(&key) else {
                continue;
            };
            if task.running_since.unwrap_or(at) + service.grace_ms > at {
                continue;
            }
            let tg_name = service
                .load_balancer
                .as_ref()
                .and_then(|lb| self.elb.target_groups.get(&lb.target_group_arn))
                .map(|tg| tg.arn.clone())
                .unwrap_or_default();
            let until = self.deregister_backend(&Backend::Task(id.clone()), at);
            if let Some(t) = self.ecs.tasks.get_mut(&id) {
                t.state = TaskState::Draining { stop_at: until };
            }
            if let Some(s) = self.ecs.services.get_mut(&key) {
                s.stopped_reasons.push(format!(
                    "Task failed ELB health checks in (target-group {tg_name})"
                ));
            }
        }
    }

    /// Whether the task is healthy in the service's first target group (or, without one, runs).
    fn serves_in_primary_group(&self, task: &TaskRec, lb: Option<&ServiceLoadBalancer>) -> bool {
        let Some(lb) = lb else {
            return true;
        };
        self.elb
            .target_groups
            .get(&lb.target_group_arn)
            .is_some_and(|tg| {
                tg.targets.values().any(|x| {
                    x.backend == Backend::Task(task.id.clone()) && x.state == TargetState::Healthy
                })
            })
    }

    fn tick_services(&mut self, at: Millis) {
        let keys: Vec<(String, String, u64)> = self.ecs.services.keys().cloned().collect();
        for key in keys {
            // Only what the reconciliation reads: cloning the whole record (with the request
            // that created it) every tick would dominate the simulation's cost.
            let Some(s) = self.ecs.services.get(&key).map(|s| ServiceView {
                cluster: s.cluster.clone(),
                name: s.name.clone(),
                state: s.state,
                desired: s.desired,
                load_balancer: s.load_balancer.clone(),
                ready_at: s.ready_at,
                deployment: s.deployment,
            }) else {
                continue;
            };
            if s.state == ServiceState::Inactive {
                continue;
            }
            let mut live: Vec<(Millis, String)> = Vec::new();
            let mut outdated: Vec<(Millis, String)> = Vec::new();
            for t in self.ecs.tasks.values().filter(|t| {
                t.cluster == s.cluster
                    && t.service == s.name
                    && matches!(t.state, TaskState::Provisioning { .. } | TaskState::Running)
            }) {
                let entry = (t.started_at, t.id.clone());
                if t.deployment == s.deployment {
                    live.push(entry);
                } else {
                    outdated.push(entry);
                }
            }
            let desired = if s.state == ServiceState::Active {
                s.desired
            } else {
                0
            };
            if (live.len() as u32) < desired {
                for _ in live.len() as u32..desired {
                    self.launch_task(&key, at);
                }
            } else if live.len() as u32 > desired {
                live.sort_by(|a, b| b.cmp(a));
                for (_, id) in live.iter().take(live.len() - desired as usize) {
                    self.stop_task_gracefully(id, at);
                }
            }
            // A rolling update with the defaults (minimum healthy 100 %, maximum 200 %): the
            // new deployment's tasks start beside the old ones, and an old task stops only once
            // a new one is running and healthy in the primary target group.
            if !outdated.is_empty() {
                let replaced = self
                    .ecs
                    .tasks
                    .values()
                    .filter(|t| {
                        t.cluster == s.cluster
                            && t.service == s.name
                            && t.deployment == s.deployment
                            && t.running()
                            && self.serves_in_primary_group(t, s.load_balancer.as_ref())
                    })
                    .count();
                let keep = (desired as usize).saturating_sub(replaced);
                outdated.sort();
                for (_, id) in outdated.iter().skip(keep) {
                    self.stop_task_gracefully(id, at);
                }
            }
            let alive = self
                .ecs
                .tasks
                .values()
                .any(|t| t.cluster == s.cluster && t.service == s.name && t.alive());
            if s.state == ServiceState::Draining && !alive {
                if let Some(rec) = self.ecs.services.get_mut(&key) {
                    rec.state = ServiceState::Inactive;
                }
            }
            if s.state == ServiceState::Active && s.ready_at.is_none() && s.desired > 0 {
                let running: Vec<&TaskRec> = self
                    .ecs
                    .tasks
                    .values()
                    .filter(|t| t.cluster == s.cluster && t.service == s.name && t.running())
                    .collect();
                if running.len() as u32 >= s.desired
                    && running
                        .iter()
                        .all(|t| self.serves_in_primary_group(t, s.load_balancer.as_ref()))
                {
                    if let Some(rec) = self.ecs.services.get_mut(&key) {
                        rec.ready_at = Some(at);
                    }
                }
            }
        }
    }

    fn launch_task(&mut self, key: &(String, String, u64), at: Millis) {
        let Some(s) = self.ecs.services.get(key).cloned() else {
            return;
        };
        // A task whose awslogs group is missing is stopped by ECS before its containers start
        // (see `world::logs`); the service keeps trying, and says why.
        let missing_group = self
            .ecs
            .task_definitions
            .get(&s.task_definition_arn)
            .and_then(|td| logs::missing_log_group(&self.logs, &td.definition));
        // A task that cannot reach ECR (or Secrets Manager), or whose execution role may not
        // read its secrets, never starts either (see `world::access`).
        let missing_group = missing_group.or_else(|| {
            let spec = s.spec.as_ref()?;
            if s.launch != Launch::Fargate {
                return None;
            }
            let td = self.ecs.task_definitions.get(&s.task_definition_arn)?;
            self.topology
                .access
                .start_failure(&self.topology.account, spec, &td.definition)
        });
        if let Some(reason) = missing_group {
            if let Some(rec) = self.ecs.services.get_mut(key) {
                if rec.stopped_reasons.last() != Some(&reason) {
                    rec.stopped_reasons.push(reason);
                }
            }
            return;
        }
        let id = self.ids.hex16();
        let (target_id, port, instance, running_at) = match s.launch {
            Launch::Fargate => {
                let ip = self.ids.private_ip();
                let port = s
                    .load_balancer
                    .as_ref()
                    .map(|l| l.container_port)
                    .unwrap_or(80);
                let start = self.draw(self.profile.task_start);
                (ip, port, None, at + start)
            }
            Launch::Ec2 => {
                let up: Vec<String> = self
                    .asg
                    .groups
                    .values()
                    .flat_map(|g| g.instances.values())
                    .filter(|i| i.state == InstanceState::InService)
                    .map(|i| i.id.clone())
                    .collect();
                if up.is_empty() {
                    if let Some(rec) = self.ecs.services.get_mut(key) {
                        let reason = "service was unable to place a task: no container instances"
                            .to_string();
                        if rec.stopped_reasons.last() != Some(&reason) {
                            rec.stopped_reasons.push(reason);
                        }
                    }
                    return;
                }
                let instance = up[(self.ids.raw() % up.len() as u64) as usize].clone();
                let port = 32768 + (self.ids.raw() % 28000) as u16;
                let start = self.draw(self.profile.ec2_task_start);
                (instance.clone(), port, Some(instance), at + start)
            }
        };
        let app_ok = !(s.new_side && self.profile.never_healthy);
        self.ecs.tasks.insert(
            id.clone(),
            TaskRec {
                id,
                cluster: s.cluster.clone(),
                service: s.name.clone(),
                state: TaskState::Provisioning { running_at },
                target_id,
                target_port: port,
                instance,
                security_groups: s.security_groups.clone(),
                started_at: at,
                running_since: None,
                app_ok,
                deployment: s.deployment,
                target_groups: s.target_groups(),
            },
        );
    }

    /// ECS stops a task the way it does on scale-in: deregister, wait out the delay, stop.
    fn stop_task_gracefully(&mut self, id: &str, at: Millis) {
        let Some(task) = self.ecs.tasks.get(id).cloned() else {
            return;
        };
        let state = match task.state {
            TaskState::Provisioning { .. } => TaskState::Stopped,
            TaskState::Running => {
                let until = self.deregister_backend(&Backend::Task(id.to_string()), at);
                // SIGTERM, then the container exits within a couple of seconds.
                TaskState::Draining {
                    stop_at: until.max(at + 2000),
                }
            }
            other => other,
        };
        if let Some(t) = self.ecs.tasks.get_mut(id) {
            t.state = state;
        }
    }

    /// Whether the task is a new Fargate task whose application called AWS with the old
    /// instances' instance profile and now has no credentials: its task definition names no task
    /// role. Its health check (`/healthz`, which calls nothing) passes; the requests that need
    /// AWS fail. On Fargate the credentials come only from the task role
    /// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html>; not
    /// in our search corpus).
    fn lacks_credentials(&self, backend: &Backend) -> bool {
        let Backend::Task(id) = backend else {
            return false;
        };
        if self.topology.access.instance_profile.is_none() {
            return false;
        }
        let Some(task) = self.ecs.tasks.get(id).filter(|t| t.instance.is_none()) else {
            return false;
        };
        self.ecs
            .services
            .values()
            .filter(|s| s.new_side && s.cluster == task.cluster && s.name == task.service)
            .filter_map(|s| self.ecs.task_definitions.get(&s.task_definition_arn))
            .any(|td| td.definition["taskRoleArn"].as_str().is_none())
    }

    /// Recomputes, for every target, whether a request to it would succeed.
    fn refresh_serving(&mut self) {
        let arns: Vec<String> = self.elb.target_groups.keys().cloned().collect();
        let starved = self.without_connection();
        for arn in arns {
            let sgs = self.lb_sgs_of_tg(&arn).unwrap_or_default();
            let flags: Vec<((String, u16), ServingFlags)> = self.elb.target_groups[&arn]
                .targets
                .iter()
                .map(|(k, t)| {
                    let backend = match &t.backend {
                        Backend::Task(id) | Backend::Instance(id) => id,
                    };
                    (
                        k.clone(),
                        (
                            self.backend_serves(&t.backend, t.port, &sgs),
                            self.lacks_credentials(&t.backend),
                            starved.contains(backend),
                        ),
                    )
                })
                .collect();
            if let Some(tg) = self.elb.target_groups.get_mut(&arn) {
                for (k, (serving, without_credentials, without_connection)) in flags {
                    if let Some(t) = tg.targets.get_mut(&k) {
                        t.serving = serving;
                        t.without_credentials = without_credentials;
                        t.without_connection = without_connection;
                    }
                }
            }
        }
    }

    fn record_host_counts(&mut self, at: Millis) {
        // Sampled every ten seconds, weighted accordingly: the per-minute average is the same,
        // and publishing every tick would dominate the simulation's cost.
        if at % HOST_COUNT_SAMPLE != 0 {
            return;
        }
        let mut points = Vec::new();
        for tg in self.elb.target_groups.values() {
            let healthy = tg
                .targets
                .values()
                .filter(|t| t.draining_until.is_none() && t.state == TargetState::Healthy)
                .count();
            let unhealthy = tg
                .targets
                .values()
                .filter(|t| t.draining_until.is_none() && t.state == TargetState::Unhealthy)
                .count();
            for lb_arn in self.elb.lbs_of_tg(&tg.arn) {
                let Some(lb) = self.elb.load_balancers.get(&lb_arn).filter(|l| !l.deleted) else {
                    continue;
                };
                let dims = vec![
                    ("LoadBalancer".to_string(), lb.metric_dimension()),
                    ("TargetGroup".to_string(), tg.metric_dimension()),
                ];
                points.push((dims, healthy, unhealthy));
            }
        }
        for (dims, healthy, unhealthy) in points {
            let per_tick = HOST_COUNT_SAMPLE as f64 / crate::metrics::MINUTE as f64;
            self.cloudwatch.add(
                "AWS/ApplicationELB",
                "HealthyHostCount",
                &dims,
                at,
                healthy as f64 * per_tick,
            );
            self.cloudwatch.add(
                "AWS/ApplicationELB",
                "UnHealthyHostCount",
                &dims,
                at,
                unhealthy as f64 * per_tick,
            );
        }
    }

    pub(crate) fn record_creation(&mut self, kind: &'static str, name: &str, id: &str) {
        self.creations.push(Creation {
            kind,
            name: name.to_string(),
            id: id.to_string(),
            at: self.now,
        });
    }
}

/// Whether an ELB matcher (`200`, `200,302`, `200-299`) accepts `status`.
fn matcher_accepts(matcher: &str, status: u16) -> bool {
    matcher.split(',').any(|part| match part.split_once('-') {
        Some((low, high)) => match (low.trim().parse::<u16>(), high.trim().parse::<u16>()) {
            (Ok(low), Ok(high)) => (low..=high).contains(&status),
            _ => false,
        },
        None => part.trim().parse::<u16>() == Ok(status),
    })
}
