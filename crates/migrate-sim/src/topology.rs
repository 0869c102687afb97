//! The old side a simulation starts from: what exists in the account before the migration.
//!
//! The engine names resources by the ids the playbook gives (moto's, for the demo), so the world
//! is seeded with exactly those ids rather than with ids of its own.

use migrate_engine::ports::HealthCheck;
use migrate_plan::Plan;
use migrate_playbook::{SourceKind, Zone};
use serde::Serialize;

use crate::world::access::default_access;
pub use crate::world::access::Access;
use crate::SimError;

/// A data store the application needs (Redis, RDS, EFS): its security group admits the app on `port`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataStore {
    pub name: String,
    pub security_group_id: String,
    pub security_group_name: String,
    pub port: u16,
    /// The most connections it accepts; `None`: unlimited.
    pub max_connections: Option<u32>,
}

/// An ECS service on EC2 container instances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OldService {
    pub name: String,
    pub desired: u32,
    pub task_definition_family: String,
    /// The container behind the old target group, if the service has a load balancer.
    pub load_balanced_container: Option<(String, u16)>,
}

/// A plain EC2 instance behind the old load balancer (an `ec2` source).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlainInstance {
    pub id: String,
    /// Its root device is instance store: AWS cannot stop it.
    pub instance_store: bool,
    /// An Auto Scaling group launched it (its `aws:autoscaling:groupName` tag).
    pub launched_by_group: Option<String>,
}

impl PlainInstance {
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            instance_store: false,
            launched_by_group: None,
        }
    }
}

/// The account before the migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Topology {
    pub region: String,
    pub account: String,
    pub vpc_id: String,
    pub public_subnets: Vec<String>,
    pub private_subnets: Vec<String>,
    pub zone_name: String,
    pub zone_id: String,
    /// The name users reach the application by; an alias A record to the old load balancer.
    pub fqdn: String,
    pub old_lb_name: String,
    /// True when the old load balancer is `dualstack` and the FQDN also has an `AAAA` alias to
    /// it, which IPv6 clients follow (see `traffic`).
    pub old_lb_dual_stack: bool,
    /// A private hosted zone of the same name as the public one, associated with the VPC, whose
    /// FQDN aliases the old load balancer too; clients inside the VPC resolve through it. `None`:
    /// no such zone.
    pub private_zone_id: Option<String>,
    /// Test-only mutation: discovery does not see the `AAAA` records (as before it looked for
    /// them): `ListResourceRecordSets` of a whole zone leaves them out.
    pub hide_aaaa_from_discovery: bool,
    /// Test-only mutation: `ListHostedZones` answers only the cutover zone, as discovery saw the
    /// account before it looked in every zone.
    pub hide_other_zones_from_discovery: bool,
    pub old_lb_security_group_id: String,
    pub old_lb_security_group_name: String,
    pub old_target_group_name: String,
    pub old_health_check: HealthCheck,
    /// The application answers `200` only on this path and redirects everything else to its
    /// sign-in page (`302`), as an app behind a login does; `None`: it answers `200` everywhere.
    /// A target group's health check passes when it asks that path and accepts `200`, or accepts
    /// `302`.
    pub app_health_path: Option<String>,
    /// The old side's ECR repository (the playbook's `cleanup.ecr_repository`).
    pub old_ecr_repository: Option<String>,
    pub old_deregistration_delay_secs: u32,
    pub asg_name: String,
    pub asg_instances: u32,
    /// The instance type of the group's launch template (every instance has it).
    pub asg_instance_type: String,
    /// True when the old target group is attached to the Auto Scaling group (plain EC2): scale-in
    /// then deregisters and drains an instance before terminating it. False for ECS-on-EC2, where
    /// the target group belongs to the ECS service and terminating an instance kills its tasks.
    pub asg_attached_to_target_group: bool,
    /// The old group's target tracking on average CPU, when it scales on one.
    pub asg_cpu_target_percent: Option<u32>,
    /// Plain instances registered in the old target group in place of an Auto Scaling group's
    /// (an `ec2` source); when there are any, the world has no old group.
    pub plain_instances: Vec<PlainInstance>,
    /// The ECS-on-EC2 cluster, if the old side runs on ECS.
    pub old_cluster: Option<String>,
    pub old_services: Vec<OldService>,
    pub old_app_security_group_id: String,
    pub old_app_security_group_name: String,
    pub data_stores: Vec<DataStore>,
    /// The connection pools the old and the new side open to every data store.
    pub connections: crate::world::connections::Pools,
    /// An Elastic Beanstalk environment in front of the old side, if any.
    pub beanstalk_environment: Option<String>,
    /// The certificate of the old load balancer's HTTPS listener, if it has one.
    pub old_certificate_arn: Option<String>,
    /// Roles, routes, endpoints, quota, instance profile: what the preflight reads and what
    /// decides whether a new task can start.
    pub access: Access,
    /// Scanners and the old group's own scaling setup (all off unless a test asks).
    pub old_side: crate::world::old_side::OldSideBehaviour,
    /// What the old load balancer does beyond forwarding everything (redirects, rules,
    /// certificates, attributes) and what the clients send it; `None`: plain forwards, every
    /// client sending `GET /` over HTTP to the FQDN.
    pub old_front_end: Option<crate::world::front_end::FrontEnd>,
}

impl Topology {
    /// Seed 001: ALB → target group → ECS-on-EC2 (web and worker services) on an Auto Scaling
    /// group, Redis and RDS, a Route53 alias on the FQDN.
    pub fn seed_001() -> Self {
        Self {
            region: "ap-northeast-1".into(),
            account: "123456789012".into(),
            vpc_id: "vpc-0a1b2c3d".into(),
            public_subnets: vec!["subnet-pub-a".into(), "subnet-pub-c".into()],
            private_subnets: vec!["subnet-priv-a".into(), "subnet-priv-c".into()],
            zone_name: "example.com".into(),
            zone_id: "Z0SHOPEXAMPLE".into(),
            fqdn: "shop.example.com".into(),
            old_lb_name: "shop-alb".into(),
            old_lb_dual_stack: false,
            private_zone_id: None,
            hide_aaaa_from_discovery: false,
            hide_other_zones_from_discovery: false,
            old_lb_security_group_id: "sg-0alb0000".into(),
            old_lb_security_group_name: "shop-alb-sg".into(),
            old_target_group_name: "shop-web-tg".into(),
            old_health_check: HealthCheck {
                path: "/healthz".into(),
                matcher: "200".into(),
                interval_secs: 15,
                timeout_secs: 5,
                healthy_threshold: 2,
                unhealthy_threshold: 3,
            },
            app_health_path: None,
            old_ecr_repository: None,
            old_deregistration_delay_secs: 30,
            asg_name: "shop-ecs-asg".into(),
            asg_instances: 2,
            asg_instance_type: "m5.large".into(),
            asg_attached_to_target_group: false,
            asg_cpu_target_percent: Some(50),
            plain_instances: Vec::new(),
            old_cluster: Some("shop-ec2".into()),
            old_services: vec![
                OldService {
                    name: "web".into(),
                    desired: 2,
                    task_definition_family: "shop-web".into(),
                    load_balanced_container: Some(("nginx".into(), 80)),
                },
                OldService {
                    name: "worker".into(),
                    desired: 1,
                    task_definition_family: "shop-worker".into(),
                    load_balanced_container: None,
                },
            ],
            old_app_security_group_id: "sg-0app0000".into(),
            old_app_security_group_name: "shop-ecs-instances".into(),
            data_stores: vec![
                DataStore {
                    name: "redis".into(),
                    security_group_id: "sg-0redis00".into(),
                    security_group_name: "shop-redis".into(),
                    port: 6379,
                    max_connections: None,
                },
                DataStore {
                    name: "rds".into(),
                    security_group_id: "sg-0rds0000".into(),
                    security_group_name: "shop-rds".into(),
                    port: 3306,
                    max_connections: None,
                },
            ],
            connections: crate::world::connections::Pools::default(),
            beanstalk_environment: None,
            old_certificate_arn: Some(
                "arn:aws:acm:ap-northeast-1:123456789012:certificate/5eed0001-0000-4000-8000-000000000001".into(),
            ),
            access: default_access(
                &["ecsTaskExecutionRole".to_string()],
                &["subnet-pub-a".to_string(), "subnet-pub-c".to_string()],
                &["subnet-priv-a".to_string(), "subnet-priv-c".to_string()],
                "ap-northeast-1",
            ),
            old_side: crate::world::old_side::OldSideBehaviour::default(),
            old_front_end: None,
        }
    }

    /// The same account with a dual-stack old load balancer that the FQDN reaches by an `AAAA`
    /// alias too, and a private zone of the same name for clients inside the VPC.
    pub fn with_every_name(mut self) -> Self {
        self.old_lb_dual_stack = true;
        self.private_zone_id = Some(format!("{}PRIVATE", self.zone_id));
        self
    }

    /// The old side a plan's playbook names, with the playbook's own ids, so that the engine
    /// finds in the simulated account exactly what it would find in the real one.
    pub fn from_plan(plan: &Plan) -> Result<Self, SimError> {
        let p = &plan.playbook;
        let mut t = Self::seed_001();
        t.region = p.region.clone().unwrap_or(t.region);
        t.vpc_id = p.network.vpc.clone();
        t.private_subnets = p.network.subnets.clone();
        t.public_subnets = if p.network.load_balancer_subnets.is_empty() {
            p.network.subnets.clone()
        } else {
            p.network.load_balancer_subnets.clone()
        };
        t.fqdn = p.cutover.record.trim_end_matches('.').to_string();
        match &p.cutover.zone {
            Zone::Name(name) => {
                t.zone_name = name.trim_end_matches('.').to_string();
                t.zone_id = format!("Z{:0>12}", plan.id.to_ascii_uppercase());
            }
            Zone::Id(id) => {
                t.zone_id = id.clone();
                t.zone_name = t
                    .fqdn
                    .split_once('.')
                    .map(|(_, z)| z.to_string())
                    .unwrap_or_default();
            }
        }
        t.old_lb_name = p
            .source
            .load_balancer
            .clone()
            .unwrap_or_else(|| format!("{}-old-alb", p.name));
        t.old_lb_security_group_name = format!("{}-alb-sg", p.name);
        t.old_app_security_group_name = format!("{}-app-sg", p.name);
        t.old_target_group_name = format!("{}-old-tg", p.name);
        t.asg_name = p
            .source
            .auto_scaling_group
            .clone()
            .unwrap_or_else(|| format!("{}-asg", p.name));
        t.old_ecr_repository = p.cleanup.ecr_repository.clone();
        let web = p.target.web().and_then(|s| s.web.clone());
        if let Some(w) = &web {
            t.old_health_check = HealthCheck {
                path: w.health_check.path.clone(),
                matcher: w.health_check.codes.clone(),
                interval_secs: w.health_check.interval.as_secs() as u32,
                timeout_secs: w.health_check.timeout.as_secs() as u32,
                healthy_threshold: w.health_check.healthy_threshold,
                unhealthy_threshold: w.health_check.unhealthy_threshold,
            };
        }
        t.data_stores = p
            .network
            .data_stores
            .iter()
            .map(|d| DataStore {
                name: d.name.clone(),
                security_group_id: d.security_group.clone(),
                security_group_name: format!("{}-{}", p.name, d.name),
                port: d.port,
                max_connections: d.max_connections,
            })
            .collect();
        t.connections = crate::world::connections::Pools::from_plan(plan);
        t.beanstalk_environment = None;
        t.plain_instances = Vec::new();
        match p.source.kind {
            SourceKind::EcsEc2 => {
                let cluster = p.source.ecs_cluster.clone().ok_or_else(|| {
                    SimError::Topology("an ecs-ec2 source needs its cluster".into())
                })?;
                t.old_cluster = Some(cluster);
                t.asg_attached_to_target_group = false;
                let web_name = p.target.web().map(|s| s.name.clone()).unwrap_or_default();
                // The old service behind the load balancer is the one named like the new web
                // service (`shop-web` for `web`), or else the first one.
                let lb_index = p
                    .source
                    .ecs_services
                    .iter()
                    .position(|s| !web_name.is_empty() && s.ends_with(&web_name))
                    .unwrap_or(0);
                t.old_services = p
                    .source
                    .ecs_services
                    .iter()
                    .enumerate()
                    .map(|(i, name)| OldService {
                        name: name.clone(),
                        desired: 2,
                        task_definition_family: name.clone(),
                        load_balanced_container: (i == lb_index)
                            .then(|| web.as_ref().map(|w| ("nginx".to_string(), w.port)))
                            .flatten()
                            .or_else(|| (i == lb_index).then(|| ("web".to_string(), 80))),
                    })
                    .collect();
                t.asg_instances = 2;
            }
            SourceKind::Ec2 => {
                t.old_cluster = None;
                t.old_services = vec![];
                t.asg_attached_to_target_group = false;
                t.asg_instances = 0;
                t.asg_cpu_target_percent = None;
                // The instances the playbook lists, or two that discovery finds in the target
                // group.
                t.plain_instances = if p.source.instances.is_empty() {
                    ["i-0plain00000000001", "i-0plain00000000002"]
                        .into_iter()
                        .map(PlainInstance::new)
                        .collect()
                } else {
                    p.source
                        .instances
                        .iter()
                        .map(|id| PlainInstance::new(id.clone()))
                        .collect()
                };
            }
            SourceKind::Asg | SourceKind::Beanstalk => {
                t.old_cluster = None;
                t.old_services = vec![];
                t.asg_attached_to_target_group = true;
                t.asg_instances = 2;
                if p.source.kind == SourceKind::Beanstalk {
                    t.beanstalk_environment = p.source.beanstalk_environment.clone();
                }
            }
        }
        t.access = default_access(
            &migrate_engine::preflight::role_references(p),
            &t.public_subnets,
            &t.private_subnets,
            &t.region,
        );
        Ok(t)
    }
}
