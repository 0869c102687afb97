//! The old side a simulation starts from: what exists in the account before the migration.
//!
//! The engine names resources by the ids the playbook gives (moto's, for the demo), so the world
//! is seeded with exactly those ids rather than with ids of its own.

use migrate_engine::ports::HealthCheck;
use serde::Serialize;

/// A data store the application needs (Redis, RDS, EFS): its security group admits the app on `port`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataStore {
    pub name: String,
    pub security_group_id: String,
    pub security_group_name: String,
    pub port: u16,
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
    pub old_lb_security_group_id: String,
    pub old_lb_security_group_name: String,
    pub old_target_group_name: String,
    pub old_health_check: HealthCheck,
    pub old_deregistration_delay_secs: u32,
    pub asg_name: String,
    pub asg_instances: u32,
    /// True when the old target group is attached to the Auto Scaling group (plain EC2): scale-in
    /// then deregisters and drains an instance before terminating it. False for ECS-on-EC2, where
    /// the target group belongs to the ECS service and terminating an instance kills its tasks.
    pub asg_attached_to_target_group: bool,
    /// The ECS-on-EC2 cluster, if the old side runs on ECS.
    pub old_cluster: Option<String>,
    pub old_services: Vec<OldService>,
    pub old_app_security_group_id: String,
    pub old_app_security_group_name: String,
    pub data_stores: Vec<DataStore>,
    /// An Elastic Beanstalk environment in front of the old side, if any.
    pub beanstalk_environment: Option<String>,
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
            old_deregistration_delay_secs: 30,
            asg_name: "shop-ecs-asg".into(),
            asg_instances: 2,
            asg_attached_to_target_group: false,
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
                },
                DataStore {
                    name: "rds".into(),
                    security_group_id: "sg-0rds0000".into(),
                    security_group_name: "shop-rds".into(),
                    port: 3306,
                },
            ],
            beanstalk_environment: None,
        }
    }
}
