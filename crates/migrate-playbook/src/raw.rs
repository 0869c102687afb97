//! The playbook exactly as written: every field optional and loosely typed, so that one pass of
//! validation can report every problem at once instead of stopping at the first.
//!
//! Unknown keys are collected in `unknown` maps rather than rejected by serde, for the same reason.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Keys the author wrote that the playbook does not know.
pub type Unknown = BTreeMap<String, serde_yaml::Value>;

#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawPlaybook {
    /// Format version of the playbook; `1`.
    pub version: Option<u32>,
    /// Name of the migration: names the state directory and prefixes every created resource.
    pub name: Option<String>,
    /// AWS region, e.g. `ap-northeast-1`.
    pub region: Option<String>,
    pub source: Option<RawSource>,
    pub network: Option<RawNetwork>,
    pub target: Option<RawTarget>,
    pub cutover: Option<RawCutover>,
    pub drain: Option<RawDrain>,
    pub scale_down: Option<RawScaleDown>,
    /// The CloudWatch Logs groups the new tasks log to.
    pub logs: Option<RawLogs>,
    /// Tags set on every resource the migration creates, beside `migrate:plan-id` and `migrate:step`.
    pub tags: Option<BTreeMap<String, String>>,
    /// Where the state and its lock live when not in `.migrate/<name>/`: `s3://BUCKET/PREFIX`,
    /// shared by everyone who runs this migration.
    pub state: Option<String>,
    /// When `migrate cleanup` may delete the old side.
    pub cleanup: Option<RawCleanup>,
    /// What the engine watches while traffic moves and after, and when it hands the traffic
    /// back to the old side by itself.
    pub guard: Option<RawGuard>,
    pub connection_budget: Option<RawConnectionBudget>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawSource {
    /// `asg`, `ecs-ec2`, `beanstalk` or `ec2`.
    pub kind: Option<String>,
    /// The Auto Scaling group that serves today (for `ecs-ec2`, the container instances' group).
    pub auto_scaling_group: Option<String>,
    pub ecs: Option<RawEcsSource>,
    pub beanstalk: Option<RawBeanstalkSource>,
    pub ec2: Option<RawEc2Source>,
    /// Name of the load balancer that serves today.
    pub load_balancer: Option<String>,
    /// Connections one old instance (or old ECS task) holds to each data store; the largest
    /// `connections_per_task` of the new services when left out.
    pub connections_per_instance: Option<u32>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawEcsSource {
    pub cluster: Option<String>,
    /// The old services, scaled to zero after the drain.
    pub services: Option<Vec<String>>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawBeanstalkSource {
    pub environment: Option<String>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawEc2Source {
    /// The instance ids that serve today; when absent, every instance registered in the old
    /// load balancer's target groups that belongs to no Auto Scaling group.
    pub instances: Option<Vec<String>>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawNetwork {
    pub vpc: Option<String>,
    /// Subnets of the Fargate tasks (private ones, usually).
    pub subnets: Option<Vec<String>>,
    /// Subnets of the new load balancer; the task subnets when absent.
    pub load_balancer_subnets: Option<Vec<String>>,
    pub assign_public_ip: Option<bool>,
    /// Security groups of data stores the new service must reach, each opened on one port.
    pub data_stores: Option<Vec<RawDataStore>>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawDataStore {
    pub name: Option<String>,
    /// `rds`, `redis`, `efs` or `other`; picks the default port.
    pub kind: Option<String>,
    pub security_group: Option<String>,
    pub port: Option<u32>,
    /// The most client connections the store accepts (RDS `max_connections`, ElastiCache
    /// `maxclients`): the overlap of old and new side must stay under it.
    pub max_connections: Option<u32>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawTarget {
    pub cluster: Option<String>,
    pub container_insights: Option<bool>,
    pub load_balancer: Option<RawLoadBalancer>,
    pub services: Option<Vec<RawService>>,
    /// `ecsTaskExecutionRole` or a full ARN.
    pub execution_role: Option<String>,
    pub task_role: Option<String>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawLoadBalancer {
    pub internal: Option<bool>,
    /// Security groups of the new load balancer; the old load balancer's when absent.
    pub security_groups: Option<Vec<String>>,
    /// `from-old-load-balancer`, an ACM certificate ARN, or `none`.
    pub https_certificate: Option<String>,
    pub deregistration_delay: Option<RawDuration>,
    /// Parts of the old load balancer's behaviour the new one is to be created without, each by
    /// the name the plan error gives it (e.g. `HTTPS:443 rule 10`).
    pub acknowledge: Option<Vec<String>>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawService {
    pub name: Option<String>,
    /// `web` (behind the load balancer) or `worker` (no load balancer).
    pub kind: Option<String>,
    /// A path to a task definition (JSON) or an Elastic Beanstalk `Dockerrun.aws.json` (version
    /// 2), relative to the playbook, or the task definition inline.
    #[schemars(with = "Option<serde_json::Value>")]
    pub task_definition: Option<serde_yaml::Value>,
    /// The container the load balancer sends traffic to (web services).
    pub container: Option<String>,
    pub port: Option<u32>,
    /// Task CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384.
    pub cpu: Option<u32>,
    /// Task memory in MiB; must form a valid Fargate pair with `cpu`.
    pub memory: Option<u32>,
    pub desired_count: Option<u32>,
    /// Connections one task holds to each data store (its pool size).
    pub connections_per_task: Option<u32>,
    pub health_check: Option<RawHealthCheck>,
    pub enable_execute_command: Option<bool>,
    pub scaling: Option<RawScaling>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub unknown: Unknown,
}

/// Application Auto Scaling of the service's task count.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawScaling {
    /// `false` registers no scalable target. Default: true for web services, false for workers.
    pub enabled: Option<bool>,
    /// The most tasks scaling may run; default 4 × `desired_count`. The least is `desired_count`.
    pub max_count: Option<u32>,
    /// Target tracking on the service's average CPU: a percentage (10–90), `from-old-side`
    /// (the default: the old side's CPU target when it scaled on a policy, else none) or `off`.
    pub cpu_target: Option<RawCpuTarget>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub unknown: Unknown,
}

/// A CPU target written either as a number (`60`) or a word (`from-old-side`, `off`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum RawCpuTarget {
    Percent(u32),
    Text(String),
}

#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawHealthCheck {
    pub path: Option<String>,
    /// Success codes: `200`, `200,302`, `200-299`.
    pub codes: Option<RawCodes>,
    pub interval: Option<RawDuration>,
    pub timeout: Option<RawDuration>,
    pub healthy_threshold: Option<u32>,
    pub unhealthy_threshold: Option<u32>,
    pub grace_period: Option<RawDuration>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawCutover {
    /// Hosted zone id (`Z...`) or name (`example.com`).
    pub zone: Option<String>,
    /// The record users reach, e.g. `www.example.com`.
    pub record: Option<String>,
    /// `alias` (one switch), `weighted` (a ramp of weighted DNS records) or `listener` (a ramp
    /// of weighted forwards on the old load balancer's listeners, then the alias).
    pub strategy: Option<String>,
    /// The ramp (`weighted`, `listener`): the new side's weight at each step, ending at 100.
    pub steps: Option<Vec<u32>>,
    /// How long each weighted step bakes before the next.
    pub bake: Option<RawDuration>,
    /// Lower a non-alias record's TTL to this before the cutover.
    pub lower_ttl_to: Option<u32>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawDrain {
    /// The shortest wait after the cutover, whatever the metrics say.
    pub min_wait: Option<RawDuration>,
    /// How long the old load balancer must have served no request.
    pub zero_traffic_window: Option<RawDuration>,
    /// Give up (and offer rollback) after this long.
    pub timeout: Option<RawDuration>,
    /// Requests per `zero_traffic_window` that each old target group may still serve and count
    /// as drained (background noise). Default 0.
    pub noise_threshold: Option<u64>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawScaleDown {
    pub old_auto_scaling_group: Option<bool>,
    pub old_ecs_services: Option<bool>,
    /// Stop the plain instances of an `ec2` source after the drain (default true); a rollback
    /// starts them again.
    pub old_instances: Option<bool>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawLogs {
    /// How long the log groups the migration creates keep their events, in days (default 30);
    /// one of the values CloudWatch Logs accepts.
    pub retention_days: Option<u32>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawCleanup {
    /// How long the new side must have served after the migration finished before
    /// `migrate cleanup` deletes the old side (default 7d); `--soak-override REASON` cuts it short.
    pub soak: Option<RawDuration>,
    /// The old side's ECR repository, which `migrate cleanup` deletes with its images (never
    /// one the new task definitions pull from).
    pub ecr_repository: Option<String>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawConnectionBudget {
    /// `sequence` (default): shrink the old side before the new one starts, start the new side
    /// smaller and grow it once the old side is scaled down; `refuse`: stop with the numbers.
    pub over_budget: Option<String>,
    /// Neither side goes below this percent of its capacity while both run (default 50).
    pub min_capacity_percent: Option<u8>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawGuard {
    /// `false` makes the bakes plain waits and plans no watch (default `true`).
    pub enabled: Option<bool>,
    /// How long the new side is watched after the last traffic step (default 5m; 0 for none).
    pub watch: Option<RawDuration>,
    /// Percent of the new side's requests in a minute that may end in a target 5xx, above the
    /// old side's own share (default 1).
    pub max_5xx_percent: Option<f64>,
    /// Fewer target 5xx than this in a minute never break the limit (default 5).
    pub min_5xx: Option<u64>,
    /// Unhealthy targets a new target group may have (default 0).
    pub max_unhealthy_hosts: Option<u32>,
    /// How many times the old side's average response time the new side may take (default 3).
    pub response_time_factor: Option<f64>,
    /// Minutes in a row that unhealthy targets, slow responses or missing tasks must last to
    /// break the limit (default 2).
    pub periods: Option<u32>,
    /// SNS topic ARN the alarms set at the end notify.
    pub alarm_topic: Option<String>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub unknown: Unknown,
}

/// A duration: a number of seconds, or a string such as `90s`, `5m`, `1h`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum RawDuration {
    Seconds(u64),
    Text(String),
}

/// Success codes written either as a number (`200`) or a string (`200,302`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum RawCodes {
    Single(u32),
    Text(String),
}
