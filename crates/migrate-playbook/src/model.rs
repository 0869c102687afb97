//! The validated playbook: what the planner may rely on without checking again.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Playbook {
    pub name: String,
    pub region: Option<String>,
    pub source: Source,
    pub network: Network,
    pub target: Target,
    pub cutover: Cutover,
    pub drain: Drain,
    pub scale_down: ScaleDown,
    /// Absent from plans written before it existed; they read the default.
    #[serde(default)]
    pub logs: Logs,
    pub tags: BTreeMap<String, String>,
    /// The shared state location (`s3://BUCKET/PREFIX`), if the playbook names one. Not part of
    /// what the migration does, so the plan id leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// When `migrate cleanup` may delete the old side. It changes nothing `apply` does, so the
    /// plan id leaves it out; absent from plans written before it existed, which read the
    /// default.
    #[serde(default, skip_serializing_if = "Cleanup::is_default")]
    pub cleanup: Cleanup,
    /// What the engine watches while traffic moves and after, and when it hands the traffic
    /// back. Left out of the serialised playbook when it is the default, so that the plan id of
    /// a playbook without it is what it was before the section existed.
    #[serde(default, skip_serializing_if = "Guard::is_default")]
    pub guard: Guard,
    /// What the plan does when old and new together would open more connections than a data
    /// store accepts. Left out when default, for the same reason as `guard`.
    #[serde(default, skip_serializing_if = "ConnectionBudget::is_default")]
    pub connection_budget: ConnectionBudget,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    Asg,
    EcsEc2,
    Beanstalk,
    /// Plain EC2 instances registered in the old target group, in no Auto Scaling group.
    Ec2,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Asg => "asg",
            Self::EcsEc2 => "ecs-ec2",
            Self::Beanstalk => "beanstalk",
            Self::Ec2 => "ec2",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub kind: SourceKind,
    /// The group serving today; for Beanstalk it may be left to discovery (by the
    /// `elasticbeanstalk:environment-name` tag).
    pub auto_scaling_group: Option<String>,
    pub ecs_cluster: Option<String>,
    pub ecs_services: Vec<String>,
    pub beanstalk_environment: Option<String>,
    /// The load balancer serving today; for Beanstalk it may be left to discovery.
    pub load_balancer: Option<String>,
    /// Connections one old instance (or old ECS task) holds to each data store, for the
    /// connection budget; `None`: the largest `connections_per_task` of the new services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connections_per_instance: Option<u32>,
    /// The plain instances of an `ec2` source; empty: those registered in the old load
    /// balancer's target groups that belong to no Auto Scaling group, found by discovery. Left
    /// out of the serialised form when empty, so that the plan id of every playbook written
    /// before it stays the same.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instances: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    pub vpc: String,
    pub subnets: Vec<String>,
    pub load_balancer_subnets: Vec<String>,
    pub assign_public_ip: bool,
    pub data_stores: Vec<DataStore>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataStoreKind {
    Rds,
    Redis,
    Efs,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataStore {
    pub name: String,
    pub kind: DataStoreKind,
    pub security_group: String,
    pub port: u16,
    /// The most client connections the store accepts; `None`: no budget is checked. Left out
    /// of the serialised playbook when `None`, so plan ids of playbooks without it stay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub cluster: String,
    pub container_insights: bool,
    pub load_balancer: LoadBalancerSettings,
    pub services: Vec<Service>,
    pub execution_role: Option<String>,
    pub task_role: Option<String>,
}

impl Target {
    /// The one service behind the load balancer.
    pub fn web(&self) -> Option<&Service> {
        self.services.iter().find(|s| s.web.is_some())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HttpsCertificate {
    /// Copy the certificate of the old load balancer's HTTPS listener, if it has one.
    FromOldLoadBalancer,
    Arn(String),
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadBalancerSettings {
    pub internal: bool,
    /// Empty: reuse the old load balancer's groups, as seed 001 does.
    pub security_groups: Vec<String>,
    pub https_certificate: HttpsCertificate,
    pub deregistration_delay: Duration,
    /// Parts of the old load balancer's behaviour that cannot be copied and that the new one is
    /// created without, each named as the plan error names it. Left out of the serialised form
    /// when empty, so that the plan id of every playbook written before it stays the same.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acknowledge: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    pub name: String,
    /// Set for the web service; workers have no load balancer.
    pub web: Option<WebSettings>,
    /// The Fargate-ready `RegisterTaskDefinition` body, translated from what the playbook gave
    /// (inline or from its file) by `migrate-taskdef`.
    pub task_definition: serde_json::Value,
    /// Where the task definition came from, for messages.
    pub task_definition_origin: String,
    /// Every change the translation made, with its reason, for the reviewer.
    pub task_definition_changes: Vec<String>,
    /// The awslogs groups the translated task definition logs to; they must exist before a task
    /// starts. Absent from plans written before it existed.
    #[serde(default)]
    pub log_groups: Vec<String>,
    pub cpu: u32,
    pub memory: u32,
    pub desired_count: u32,
    /// Connections one task holds to each data store (its pool size), for the connection
    /// budget; `None`: not declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connections_per_task: Option<u32>,
    pub enable_execute_command: bool,
    /// The Application Auto Scaling target of the new service; `None`: none is registered.
    /// Absent from plans written before it existed.
    #[serde(default)]
    pub scaling: Option<Scaling>,
}

/// Application Auto Scaling of a new service's task count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scaling {
    /// The service's `desired_count`: scaling never runs fewer tasks than the plan starts.
    pub min_count: u32,
    pub max_count: u32,
    pub cpu_target: CpuTarget,
}

/// Target tracking on the service's average CPU utilisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CpuTarget {
    /// The old side's CPU target when it scaled on a policy (read at apply time), else none.
    FromOldSide,
    Percent(u32),
    Off,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebSettings {
    pub container: String,
    pub port: u16,
    pub health_check: HealthCheckSettings,
    /// The playbook gave no `health_check`: the new target group takes the old one's (path,
    /// codes, interval, timeout, thresholds), read at apply time, and `health_check` holds the
    /// defaults used when the old side has none to copy. Left out of the serialised playbook
    /// when false, so that the plan id of a playbook that names its health check is what it was
    /// before the field existed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub health_check_from_old_side: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheckSettings {
    pub path: String,
    /// Normalised ELB matcher, e.g. `200,302`.
    pub codes: String,
    pub interval: Duration,
    pub timeout: Duration,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
    pub grace_period: Duration,
}

impl HealthCheckSettings {
    /// Whether `status` is one of the expected codes.
    pub fn accepts(&self, status: u16) -> bool {
        self.codes
            .split(',')
            .any(|part| match part.split_once('-') {
                Some((low, high)) => {
                    match (low.trim().parse::<u16>(), high.trim().parse::<u16>()) {
                        (Ok(low), Ok(high)) => (low..=high).contains(&status),
                        _ => false,
                    }
                }
                None => part.trim().parse::<u16>() == Ok(status),
            })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Zone {
    Id(String),
    Name(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CutoverStrategy {
    Alias,
    /// A ramp of weighted Route53 records, then the alias.
    Weighted {
        steps: Vec<u8>,
        bake: Duration,
    },
    /// A ramp of weighted forwards on the old load balancer's listeners (no DNS cache in the
    /// way), then the alias, so that the old side can be cleaned up later.
    Listener {
        steps: Vec<u8>,
        bake: Duration,
    },
}

impl CutoverStrategy {
    /// The ramp's steps and bake, for the two strategies that ramp.
    pub fn ramp(&self) -> Option<(&[u8], Duration)> {
        match self {
            Self::Alias => None,
            Self::Weighted { steps, bake } | Self::Listener { steps, bake } => Some((steps, *bake)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cutover {
    pub zone: Zone,
    /// Fully qualified, without the trailing dot.
    pub record: String,
    pub strategy: CutoverStrategy,
    pub lower_ttl_to: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drain {
    pub min_wait: Duration,
    pub zero_traffic_window: Duration,
    pub timeout: Duration,
    /// Requests per window that each old target group may still serve and count as drained
    /// (health checkers, scanners that hit the target group directly). Default 0, and then left
    /// out of the serialised playbook, so that the plan id of a playbook without it is what it
    /// was before the field existed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub noise_threshold: u64,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Logs {
    /// Retention of the log groups the migration creates, in days.
    pub retention_days: u32,
}

impl Default for Logs {
    fn default() -> Self {
        Self {
            retention_days: DEFAULT_RETENTION_DAYS,
        }
    }
}

/// Thirty days: long enough to investigate a migration, short enough not to pay for logs forever.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;

/// The retention periods `PutRetentionPolicy` accepts, in days
/// (<https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html>).
pub const RETENTION_DAYS_ACCEPTED: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// The clean-up of the old side (`migrate cleanup`), the point of no return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cleanup {
    /// How long the new side must have served after the migration finished before the old side
    /// may be deleted (unless `--soak-override` gives a reason).
    pub soak: Duration,
    /// The old side's ECR repository, deleted (with its images) by `migrate cleanup`; a
    /// repository is never found by a name pattern, so only one named here is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecr_repository: Option<String>,
}

impl Cleanup {
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

impl Default for Cleanup {
    fn default() -> Self {
        Self {
            soak: DEFAULT_SOAK,
            ecr_repository: None,
        }
    }
}

/// The traffic guard: during every bake of a ramp and for `watch` after the last traffic step,
/// the engine reads the new side's target groups each minute and hands all traffic back to the
/// old side when one of these limits is broken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Guard {
    /// Off: the bakes are plain waits and there is no watch (not recommended).
    pub enabled: bool,
    /// How long the new side is watched after the last traffic step, before the drain; zero
    /// plans no watch step.
    pub watch: Duration,
    /// A minute whose target 5xx exceed this share of the new side's requests, above the old
    /// side's own share before the move, breaks the limit...
    pub max_5xx_percent: f64,
    /// ...when it has at least this many (one error in a quiet minute is not a rate).
    pub min_5xx: u64,
    /// More unhealthy targets than this in any new target group...
    pub max_unhealthy_hosts: u32,
    /// ...or an average `TargetResponseTime` above this many times the old side's...
    pub response_time_factor: f64,
    /// ...or fewer running tasks than a service's desired count, for this many minutes in a
    /// row, breaks the limit (5xx break it in one minute: every one of them is a user's error).
    pub periods: u32,
    /// An SNS topic (ARN) the alarms `create-alarms` sets notify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_topic: Option<String>,
}

impl Guard {
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// Whether the plan watches the new side after its last traffic step.
    pub fn watches_after_cutover(&self) -> bool {
        self.enabled && !self.watch.is_zero()
    }
}

impl Default for Guard {
    fn default() -> Self {
        Self {
            enabled: true,
            watch: Duration::from_secs(300),
            max_5xx_percent: 1.0,
            min_5xx: 5,
            max_unhealthy_hosts: 0,
            response_time_factor: 3.0,
            periods: 2,
            alarm_topic: None,
        }
    }
}

/// The connection budget's policy: when the old side at its running capacity and the new side
/// at its desired counts would together open more connections than a data store's
/// `max_connections`, the migration is sequenced (the old side shrunk first, the new side
/// started smaller and grown once the old side is gone) or refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionBudget {
    pub over_budget: OverBudget,
    /// Neither side is shrunk below this share (percent) of its capacity during the overlap: a
    /// smaller side could not carry the traffic.
    pub min_capacity_percent: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OverBudget {
    Sequence,
    Refuse,
}

impl ConnectionBudget {
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

impl Default for ConnectionBudget {
    fn default() -> Self {
        Self {
            over_budget: OverBudget::Sequence,
            min_capacity_percent: 50,
        }
    }
}

/// Seven days: a week of real traffic, weekly jobs included, on the new side before the old one
/// is gone for good.
pub const DEFAULT_SOAK: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScaleDown {
    pub old_auto_scaling_group: bool,
    pub old_ecs_services: bool,
    /// Stop (not terminate) the plain instances of an `ec2` source after the drain. Left out of
    /// the serialised form when true (its default), so that the plan id of every playbook
    /// written before it stays the same.
    #[serde(default = "stop_old_instances", skip_serializing_if = "is_true")]
    pub old_instances: bool,
}

fn stop_old_instances() -> bool {
    true
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's `skip_serializing_if` passes a reference
fn is_true(value: &bool) -> bool {
    *value
}
