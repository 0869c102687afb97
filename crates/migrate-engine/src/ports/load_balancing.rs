//! ELBv2: load balancers, target groups, listeners and target health.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{CloudResult, Tags};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadBalancerSpec {
    pub name: String,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub internal: bool,
    /// `ipv4` or `dualstack` (the old load balancer's), so `AAAA` clients reach the new one.
    #[serde(default = "ipv4")]
    pub ip_address_type: String,
    pub tags: Tags,
}

/// The IP address type of a load balancer that says none.
pub fn ipv4() -> String {
    "ipv4".into()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadBalancer {
    pub arn: String,
    pub name: String,
    pub dns_name: String,
    /// The load balancer's own Route53 zone, needed for an alias record.
    pub canonical_hosted_zone_id: String,
    pub security_groups: Vec<String>,
    pub vpc_id: String,
    /// `provisioning`, `active`, ...
    pub state: String,
    /// `ipv4`, `dualstack` or `dualstack-without-public-ipv4`; `None` when not read. The DNS
    /// move reads it to refuse an `AAAA` record in front of an IPv4-only load balancer, and
    /// `create-load-balancer` gives the new one the old one's.
    #[serde(default)]
    pub ip_address_type: Option<String>,
}

/// A target group's health check: what a new one is created with, and what discovery reads of
/// the old one.
pub use migrate_plan::behaviour::HealthCheck;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetGroupSpec {
    pub name: String,
    pub vpc_id: String,
    pub port: u16,
    /// Always `ip` for Fargate; kept explicit so a reviewer sees it in the plan.
    pub target_type: String,
    pub health_check: HealthCheck,
    pub deregistration_delay_secs: u32,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetGroup {
    pub arn: String,
    pub name: String,
    pub port: u16,
    pub target_type: String,
    pub load_balancer_arns: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ListenerProtocol {
    Http,
    Https,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenerSpec {
    pub load_balancer_arn: String,
    pub port: u16,
    pub protocol: ListenerProtocol,
    pub certificate_arn: Option<String>,
    pub target_group_arn: String,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listener {
    pub arn: String,
    pub load_balancer_arn: String,
    pub port: u16,
    pub protocol: ListenerProtocol,
    pub certificate_arn: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetState {
    Initial,
    Healthy,
    Unhealthy,
    Unused,
    Draining,
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetHealth {
    pub target_id: String,
    pub port: u16,
    pub state: TargetState,
    /// ELB's reason code, e.g. `Target.FailedHealthChecks`.
    pub reason: Option<String>,
}

#[async_trait]
pub trait LoadBalancing: Send + Sync {
    async fn find_load_balancer(&self, name: &str) -> CloudResult<Option<LoadBalancer>>;
    async fn load_balancer_by_arn(&self, arn: &str) -> CloudResult<Option<LoadBalancer>>;
    async fn create_load_balancer(&self, spec: &LoadBalancerSpec) -> CloudResult<LoadBalancer>;
    async fn delete_load_balancer(&self, arn: &str) -> CloudResult<()>;

    async fn find_target_group(&self, name: &str) -> CloudResult<Option<TargetGroup>>;
    async fn create_target_group(&self, spec: &TargetGroupSpec) -> CloudResult<TargetGroup>;
    async fn delete_target_group(&self, arn: &str) -> CloudResult<()>;
    /// Target groups that forward from the load balancer (discovery of the old side).
    async fn target_groups_of(&self, load_balancer_arn: &str) -> CloudResult<Vec<TargetGroup>>;
    async fn target_health(&self, target_group_arn: &str) -> CloudResult<Vec<TargetHealth>>;

    async fn listeners(&self, load_balancer_arn: &str) -> CloudResult<Vec<Listener>>;
    async fn create_listener(&self, spec: &ListenerSpec) -> CloudResult<Listener>;
    async fn delete_listener(&self, arn: &str) -> CloudResult<()>;
}
