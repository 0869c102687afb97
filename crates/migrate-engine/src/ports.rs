//! The ports: everything the engine asks of the cloud, in the engine's own terms.
//!
//! No type here mentions an SDK. The AWS adapter (`migrate-aws`) and the deterministic simulator
//! (`migrate-sim`) implement these traits, so the same steps run against real AWS, a simulated
//! account with live traffic, or (the simulator's instant profile) the engine's own tests.
//!
//! Conventions every implementation follows:
//! - A `find_*` method answers `Ok(None)` when the resource does not exist; it never errors for
//!   absence. Steps call them to reconcile before they create.
//! - A `delete_*` / `revoke_*` method answers `Err` with [`ErrorKind::NotFound`] when the resource is
//!   already gone; compensations treat that as success.
//! - A create that collides with an existing resource answers [`ErrorKind::AlreadyExists`], except
//!   where AWS itself is idempotent (ELB create with identical settings, ECS `CreateService` with the
//!   same `clientToken`, Route53 `UPSERT`), where the existing resource is returned.
//! - Every created resource carries the tags the spec names, set at creation time.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Tags set on a resource at creation: always `migrate:plan-id` and `migrate:step`, plus the
/// playbook's own.
pub type Tags = BTreeMap<String, String>;

/// The tag key that names the plan a resource was created by.
pub const TAG_PLAN_ID: &str = "migrate:plan-id";
/// The tag key that names the step a resource was created by.
pub const TAG_STEP: &str = "migrate:step";

pub type CloudResult<T> = Result<T, CloudError>;

/// What kind of failure a port call met; the retry policy and the compensations decide on this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// The resource does not exist.
    NotFound,
    /// A resource with this name exists already and differs from what was asked.
    AlreadyExists,
    /// The request was throttled (HTTP 429, `Throttling`, `RequestLimitExceeded`).
    Throttled,
    /// The service answered 5xx or was unavailable.
    ServerError,
    /// The call did not answer in time; it may or may not have taken effect.
    Timeout,
    /// The request was refused as invalid; retrying the same request cannot succeed.
    InvalidRequest,
    /// The caller lacks a permission.
    AccessDenied,
    /// An idempotency token was reused with different parameters.
    IdempotencyMismatch,
    /// The process running the engine stopped here (used by fault injection in tests and the
    /// simulator to model a crash: the engine must stop at once and write nothing more).
    Interrupted,
    /// Anything else.
    Other,
}

impl ErrorKind {
    /// Errors that a later identical request may not meet.
    pub fn is_transient(self) -> bool {
        matches!(self, Self::Throttled | Self::ServerError | Self::Timeout)
    }
}

/// A failed port call: which operation, on which resource, and what the cloud said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{operation} on {resource} failed ({kind:?}): {message}")]
pub struct CloudError {
    pub kind: ErrorKind,
    /// The API operation, e.g. `ecs:CreateService`.
    pub operation: String,
    /// The resource it was about, e.g. `service web in cluster shop-fargate`.
    pub resource: String,
    /// What the cloud said, without secrets.
    pub message: String,
}

impl CloudError {
    pub fn new(
        kind: ErrorKind,
        operation: impl Into<String>,
        resource: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            operation: operation.into(),
            resource: resource.into(),
            message: message.into(),
        }
    }

    pub fn not_found(operation: impl Into<String>, resource: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, operation, resource, "not found")
    }

    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }
}

// ---------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------

/// A boxed future, so that the clock can be used as a trait object.
pub type Sleep<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// The only source of time the engine uses (invariant 7): waits and polls go through it, so the
/// simulator can run hours of migration in milliseconds.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
    fn sleep(&self, duration: Duration) -> Sleep<'_>;
}

/// Wall-clock time and tokio's timer.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    fn sleep(&self, duration: Duration) -> Sleep<'_> {
        Box::pin(tokio::time::sleep(duration))
    }
}

// ---------------------------------------------------------------------------------------------
// ECS
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterSpec {
    pub name: String,
    pub container_insights: bool,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cluster {
    pub name: String,
    pub arn: String,
    /// `ACTIVE`, `INACTIVE`, ...: an `INACTIVE` cluster counts as absent.
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskDefinitionSpec {
    pub family: String,
    /// The `RegisterTaskDefinition` request body as JSON (the shape `aws ecs
    /// register-task-definition --cli-input-json` takes), already Fargate-ready.
    pub definition: serde_json::Value,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskDefinitionRef {
    pub arn: String,
    pub family: String,
    pub revision: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceLoadBalancer {
    pub target_group_arn: String,
    pub container_name: String,
    pub container_port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSpec {
    pub cluster: String,
    pub name: String,
    pub task_definition_arn: String,
    pub desired_count: u32,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub assign_public_ip: bool,
    pub load_balancer: Option<ServiceLoadBalancer>,
    pub health_check_grace_period_secs: Option<u32>,
    pub enable_execute_command: bool,
    /// ECS `clientToken`: the same token with the same parameters returns the existing service.
    pub client_token: String,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceStatus {
    pub arn: String,
    pub name: String,
    pub cluster: String,
    /// `ACTIVE`, `DRAINING` or `INACTIVE`; `INACTIVE` counts as absent.
    pub status: String,
    pub task_definition_arn: String,
    pub desired_count: u32,
    pub running_count: u32,
    pub pending_count: u32,
    /// True when the service has a single deployment whose running count equals its desired count
    /// (what `aws ecs wait services-stable` waits for).
    pub steady: bool,
    /// Reasons of recently stopped tasks, newest first (the first thing to read when tasks cycle).
    pub stopped_reasons: Vec<String>,
}

#[async_trait]
pub trait ContainerPlatform: Send + Sync {
    async fn find_cluster(&self, name: &str) -> CloudResult<Option<Cluster>>;
    async fn create_cluster(&self, spec: &ClusterSpec) -> CloudResult<Cluster>;
    async fn delete_cluster(&self, name: &str) -> CloudResult<()>;

    /// The newest ACTIVE revision of `family` that carries `migrate:plan-id = plan_id`.
    async fn find_task_definition(
        &self,
        family: &str,
        plan_id: &str,
    ) -> CloudResult<Option<TaskDefinitionRef>>;
    async fn register_task_definition(
        &self,
        spec: &TaskDefinitionSpec,
    ) -> CloudResult<TaskDefinitionRef>;
    async fn deregister_task_definition(&self, arn: &str) -> CloudResult<()>;

    async fn find_service(&self, cluster: &str, name: &str) -> CloudResult<Option<ServiceStatus>>;
    async fn create_service(&self, spec: &ServiceSpec) -> CloudResult<ServiceStatus>;
    async fn set_desired_count(
        &self,
        cluster: &str,
        service: &str,
        desired: u32,
    ) -> CloudResult<()>;
    /// Deletes the service, scaling it to zero first (`force`).
    async fn delete_service(&self, cluster: &str, service: &str) -> CloudResult<()>;

    /// The task definition as `describe-task-definition` prints its `taskDefinition` member
    /// (discovery of the old side; the translator turns it into a Fargate one).
    async fn describe_task_definition(&self, arn: &str) -> CloudResult<Option<serde_json::Value>>;
    /// Names of the Auto Scaling groups whose instances are the cluster's container instances.
    async fn container_instance_groups(&self, cluster: &str) -> CloudResult<Vec<String>>;
}

// ---------------------------------------------------------------------------------------------
// EC2 security groups
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroupSpec {
    pub vpc_id: String,
    pub name: String,
    pub description: String,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    pub vpc_id: String,
}

/// One inbound rule: `group_id` admits TCP on `port` from members of `source_group_id`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IngressRule {
    pub group_id: String,
    pub source_group_id: String,
    pub port: u16,
    pub description: String,
}

#[async_trait]
pub trait Network: Send + Sync {
    async fn find_security_group(
        &self,
        vpc_id: &str,
        name: &str,
    ) -> CloudResult<Option<SecurityGroup>>;
    async fn create_security_group(&self, spec: &SecurityGroupSpec) -> CloudResult<SecurityGroup>;
    async fn delete_security_group(&self, group_id: &str) -> CloudResult<()>;
    /// Adds the rule; a rule that exists already is success (`InvalidPermission.Duplicate`).
    async fn authorize_ingress(&self, rule: &IngressRule) -> CloudResult<()>;
    /// Removes the rule; `NotFound` when it is not there.
    async fn revoke_ingress(&self, rule: &IngressRule) -> CloudResult<()>;
    async fn has_ingress(&self, rule: &IngressRule) -> CloudResult<bool>;
}

// ---------------------------------------------------------------------------------------------
// ELBv2
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadBalancerSpec {
    pub name: String,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub internal: bool,
    pub tags: Tags,
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    pub path: String,
    /// Success codes as ELB writes them: `200`, `200,302`, `200-299`.
    pub matcher: String,
    pub interval_secs: u32,
    pub timeout_secs: u32,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
}

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

// ---------------------------------------------------------------------------------------------
// Route53
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasTarget {
    pub dns_name: String,
    pub hosted_zone_id: String,
    pub evaluate_target_health: bool,
}

/// One record set. Either `alias` is set, or `ttl` and `values` are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsRecord {
    /// Fully qualified, with or without the trailing dot; implementations normalise.
    pub name: String,
    /// `A`, `AAAA` or `CNAME`.
    pub record_type: String,
    pub ttl: Option<u32>,
    pub values: Vec<String>,
    pub alias: Option<AliasTarget>,
    /// Set for weighted records.
    pub set_identifier: Option<String>,
    pub weight: Option<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ChangeAction {
    Create,
    Upsert,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordChange {
    pub action: ChangeAction,
    pub record: DnsRecord,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ChangeStatus {
    Pending,
    Insync,
}

#[async_trait]
pub trait Dns: Send + Sync {
    /// The id of the public hosted zone named `name` (e.g. `example.com`).
    async fn find_zone(&self, name: &str) -> CloudResult<Option<String>>;
    /// Every record set named `name` (all types, all set identifiers).
    async fn records(&self, zone_id: &str, name: &str) -> CloudResult<Vec<DnsRecord>>;
    /// Applies the changes atomically, as one `ChangeResourceRecordSets` batch; answers the change id.
    async fn change_records(&self, zone_id: &str, changes: &[RecordChange]) -> CloudResult<String>;
    async fn change_status(&self, change_id: &str) -> CloudResult<ChangeStatus>;
}

/// A DNS name in the one form every comparison uses: trimmed, lower-case, without the trailing
/// dot Route53 stores, and without the `dualstack.` prefix under which Route53 aliases name an
/// Elastic Load Balancing DNS name (`dualstack.shop-1.us-east-1.elb.amazonaws.com` is the same
/// load balancer as `shop-1.us-east-1.elb.amazonaws.com`).
pub fn normalise_dns_name(name: &str) -> String {
    let lower = name.trim().trim_end_matches('.').to_ascii_lowercase();
    match lower.strip_prefix("dualstack.") {
        Some(rest) => rest.to_string(),
        None => lower,
    }
}

// ---------------------------------------------------------------------------------------------
// CloudWatch
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricQuery {
    /// e.g. `AWS/ApplicationELB`.
    pub namespace: String,
    /// e.g. `RequestCount`.
    pub metric_name: String,
    pub dimensions: Vec<(String, String)>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub period_secs: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmSpec {
    pub name: String,
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Vec<(String, String)>,
    /// `Average`, `Sum`, `Minimum`, ...
    pub statistic: String,
    /// `LessThanThreshold`, `GreaterThanThreshold`, ...
    pub comparison: String,
    pub threshold: f64,
    pub period_secs: u32,
    pub evaluation_periods: u32,
    pub tags: Tags,
}

#[async_trait]
pub trait Metrics: Send + Sync {
    /// The sum of the metric over the window; `0.0` when there are no data points.
    async fn sum(&self, query: &MetricQuery) -> CloudResult<f64>;
    async fn put_alarm(&self, spec: &AlarmSpec) -> CloudResult<()>;
    async fn delete_alarm(&self, name: &str) -> CloudResult<()>;
}

/// The `LoadBalancer` dimension of CloudWatch's `AWS/ApplicationELB` metrics: the ARN after
/// `:loadbalancer/`, e.g. `app/shop-fg-3f2a9c/50dc6c495c0c9188`.
pub fn load_balancer_dimension(arn: &str) -> String {
    arn.split_once(":loadbalancer/")
        .map_or(arn, |(_, rest)| rest)
        .to_string()
}

/// The `TargetGroup` dimension: the ARN after the last `:`, e.g. `targetgroup/name/id`.
pub fn target_group_dimension(arn: &str) -> String {
    arn.rsplit_once(':')
        .map_or(arn, |(_, rest)| rest)
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Auto Scaling
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capacity {
    pub min: u32,
    pub max: u32,
    pub desired: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoScalingGroup {
    pub name: String,
    pub capacity: Capacity,
    /// Instances still in service (`InService` or on their way to it).
    pub in_service: u32,
    pub target_group_arns: Vec<String>,
    pub tags: Tags,
}

#[async_trait]
pub trait AutoScaling: Send + Sync {
    async fn find_group(&self, name: &str) -> CloudResult<Option<AutoScalingGroup>>;
    /// Groups carrying the tag `key = value` (e.g. `elasticbeanstalk:environment-name`).
    async fn groups_tagged(&self, key: &str, value: &str) -> CloudResult<Vec<AutoScalingGroup>>;
    async fn set_capacity(&self, name: &str, capacity: Capacity) -> CloudResult<()>;
}

// ---------------------------------------------------------------------------------------------
// Elastic Beanstalk
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    pub name: String,
    pub id: String,
    /// The environment's `*.elasticbeanstalk.com` name, which a CNAME record may point at.
    pub cname: Option<String>,
    pub status: String,
}

#[async_trait]
pub trait Environments: Send + Sync {
    async fn find_environment(&self, name: &str) -> CloudResult<Option<Environment>>;
}

// ---------------------------------------------------------------------------------------------
// CloudWatch Logs
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogGroupSpec {
    pub name: String,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogGroup {
    pub name: String,
    /// `None`: events are kept forever.
    pub retention_days: Option<u32>,
    /// Read with the group, so that a step can tell the groups its plan created.
    pub tags: Tags,
}

/// The log groups the tasks' awslogs driver writes to.
#[async_trait]
pub trait Logs: Send + Sync {
    /// The group with exactly this name (not merely this prefix).
    async fn find_log_group(&self, name: &str) -> CloudResult<Option<LogGroup>>;
    /// Creates the group with its tags; [`ErrorKind::AlreadyExists`] when it exists.
    async fn create_log_group(&self, spec: &LogGroupSpec) -> CloudResult<()>;
    async fn set_log_group_retention(&self, name: &str, days: u32) -> CloudResult<()>;
    async fn delete_log_group(&self, name: &str) -> CloudResult<()>;
}

// ---------------------------------------------------------------------------------------------
// HTTP probe
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeRequest {
    /// e.g. `http://new-alb-123.elb.amazonaws.com/healthz`.
    pub url: String,
    /// The `Host` header to send, so virtual hosts answer as they will after the cutover.
    pub host_header: Option<String>,
    pub timeout: Duration,
}

#[async_trait]
pub trait HttpProbe: Send + Sync {
    /// The HTTP status the URL answered with.
    async fn get(&self, request: &ProbeRequest) -> CloudResult<u16>;
}

// ---------------------------------------------------------------------------------------------
// The bundle the engine is given
// ---------------------------------------------------------------------------------------------

/// All the ports one migration needs, cheap to clone.
#[derive(Clone)]
pub struct Cloud {
    pub containers: Arc<dyn ContainerPlatform>,
    pub network: Arc<dyn Network>,
    pub load_balancing: Arc<dyn LoadBalancing>,
    pub dns: Arc<dyn Dns>,
    pub metrics: Arc<dyn Metrics>,
    pub scaling: Arc<dyn AutoScaling>,
    pub environments: Arc<dyn Environments>,
    pub logs: Arc<dyn Logs>,
    pub probe: Arc<dyn HttpProbe>,
    pub clock: Arc<dyn Clock>,
}

impl Cloud {
    /// The bundle for one account value that implements every port, as the in-memory fake and
    /// the simulator do.
    pub fn from_account<A>(account: Arc<A>, clock: Arc<dyn Clock>) -> Self
    where
        A: ContainerPlatform
            + Network
            + LoadBalancing
            + Dns
            + Metrics
            + AutoScaling
            + Environments
            + Logs
            + HttpProbe
            + 'static,
    {
        Self {
            containers: account.clone(),
            network: account.clone(),
            load_balancing: account.clone(),
            dns: account.clone(),
            metrics: account.clone(),
            scaling: account.clone(),
            environments: account.clone(),
            logs: account.clone(),
            probe: account,
            clock,
        }
    }
}

impl fmt::Debug for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cloud { .. }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimensions_come_from_arns() {
        assert_eq!(
            load_balancer_dimension(
                "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188"
            ),
            "app/shop/50dc6c495c0c9188"
        );
        assert_eq!(
            target_group_dimension(
                "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/shop-tg/73e2d6bc24d8a067"
            ),
            "targetgroup/shop-tg/73e2d6bc24d8a067"
        );
    }

    #[test]
    fn dns_names_compare_in_one_form() {
        assert_eq!(normalise_dns_name("Shop.Example.com."), "shop.example.com");
        assert_eq!(normalise_dns_name(" shop.example.com "), "shop.example.com");
        assert_eq!(
            normalise_dns_name("dualstack.Shop-1.us-east-1.elb.amazonaws.com."),
            "shop-1.us-east-1.elb.amazonaws.com"
        );
    }
}
