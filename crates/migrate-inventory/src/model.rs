//! The typed inventory: what each service of the account answered, trimmed to what grouping
//! and the wizard need, with the ids and names a playbook refers to.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One region of one account as `migrate discover` read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    /// Always [`crate::FORMAT`]: a saved file of another kind is refused by name.
    pub format: String,
    pub format_version: u32,
    pub region: String,
    pub read_at: DateTime<Utc>,
    #[serde(default)]
    pub load_balancers: Vec<LoadBalancer>,
    #[serde(default)]
    pub target_groups: Vec<TargetGroup>,
    #[serde(default)]
    pub auto_scaling_groups: Vec<AutoScalingGroup>,
    #[serde(default)]
    pub instances: Vec<Instance>,
    #[serde(default)]
    pub ecs_clusters: Vec<EcsCluster>,
    #[serde(default)]
    pub beanstalk_environments: Vec<BeanstalkEnvironment>,
    #[serde(default)]
    pub hosted_zones: Vec<HostedZone>,
    #[serde(default)]
    pub data_stores: Vec<DataStore>,
    #[serde(default)]
    pub security_groups: Vec<SecurityGroup>,
    /// The parts that could not be read (missing permission, a service not offered in the
    /// region), each with the reason: the rest of the inventory is still usable.
    #[serde(default)]
    pub unread: Vec<UnreadPart>,
    /// How many API requests the read made (retries included).
    #[serde(default)]
    pub api_calls: u64,
}

impl Inventory {
    /// An empty inventory of `region`, read now.
    pub fn new(region: impl Into<String>, read_at: DateTime<Utc>) -> Self {
        Inventory {
            format: crate::FORMAT.to_string(),
            format_version: crate::FORMAT_VERSION,
            region: region.into(),
            read_at,
            load_balancers: Vec::new(),
            target_groups: Vec::new(),
            auto_scaling_groups: Vec::new(),
            instances: Vec::new(),
            ecs_clusters: Vec::new(),
            beanstalk_environments: Vec::new(),
            hosted_zones: Vec::new(),
            data_stores: Vec::new(),
            security_groups: Vec::new(),
            unread: Vec::new(),
            api_calls: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnreadPart {
    /// What could not be read, e.g. `rds:DescribeDBInstances`.
    pub part: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadBalancer {
    pub arn: String,
    pub name: String,
    pub dns_name: String,
    /// `application`, `network` or `gateway`: only application load balancers are entry points
    /// this tool migrates.
    pub kind: String,
    /// `internet-facing` or `internal`.
    pub scheme: String,
    pub ip_address_type: String,
    pub vpc_id: String,
    #[serde(default)]
    pub subnets: Vec<String>,
    #[serde(default)]
    pub security_groups: Vec<String>,
    #[serde(default)]
    pub listeners: Vec<Listener>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Listener {
    pub arn: String,
    pub port: u16,
    pub protocol: String,
    /// Target groups the default action forwards to.
    #[serde(default)]
    pub default_target_groups: Vec<String>,
    /// Whether the default action redirects (e.g. HTTP to HTTPS).
    #[serde(default)]
    pub redirects: bool,
    #[serde(default)]
    pub rules: Vec<ListenerRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListenerRule {
    pub priority: String,
    /// The conditions in words, e.g. `host-header api.example.com`.
    #[serde(default)]
    pub conditions: Vec<String>,
    #[serde(default)]
    pub target_groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetGroup {
    pub arn: String,
    pub name: String,
    pub port: Option<u16>,
    pub protocol: Option<String>,
    /// `instance`, `ip`, `lambda` or `alb`.
    pub target_type: String,
    pub vpc_id: Option<String>,
    #[serde(default)]
    pub load_balancers: Vec<String>,
    pub health_check: HealthCheck,
    #[serde(default)]
    pub targets: Vec<Target>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HealthCheck {
    pub path: Option<String>,
    /// The success codes, e.g. `200` or `200-299`.
    pub matcher: Option<String>,
    pub interval_seconds: Option<u32>,
    pub timeout_seconds: Option<u32>,
    pub healthy_threshold: Option<u32>,
    pub unhealthy_threshold: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// An instance id or an IP address, as the target group's type says.
    pub id: String,
    pub port: Option<u16>,
    pub health: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoScalingGroup {
    pub name: String,
    pub min_size: u32,
    pub max_size: u32,
    pub desired_capacity: u32,
    #[serde(default)]
    pub instances: Vec<String>,
    #[serde(default)]
    pub instance_types: Vec<String>,
    pub launch_template: Option<String>,
    #[serde(default)]
    pub target_groups: Vec<String>,
    #[serde(default)]
    pub subnets: Vec<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub scaling_policies: Vec<String>,
    #[serde(default)]
    pub scheduled_actions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    pub id: String,
    pub instance_type: Option<String>,
    pub state: Option<String>,
    pub vpc_id: Option<String>,
    pub subnet_id: Option<String>,
    #[serde(default)]
    pub security_groups: Vec<String>,
    /// The group that launched it (its `aws:autoscaling:groupName` tag), if any.
    pub auto_scaling_group: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EcsCluster {
    pub name: String,
    pub arn: String,
    /// The EC2 instances registered as container instances.
    #[serde(default)]
    pub container_instances: Vec<String>,
    #[serde(default)]
    pub services: Vec<EcsService>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EcsService {
    pub name: String,
    pub arn: String,
    /// `EC2`, `FARGATE`, `EXTERNAL`, or none when a capacity provider strategy decides.
    pub launch_type: Option<String>,
    #[serde(default)]
    pub capacity_providers: Vec<String>,
    pub desired_count: u32,
    pub running_count: u32,
    pub task_definition: String,
    /// The task definition's task-level size, when it sets one.
    pub task_cpu: Option<String>,
    pub task_memory: Option<String>,
    #[serde(default)]
    pub load_balancers: Vec<EcsServiceLoadBalancer>,
    /// The security groups of an `awsvpc` service's tasks.
    #[serde(default)]
    pub security_groups: Vec<String>,
    #[serde(default)]
    pub subnets: Vec<String>,
}

impl EcsService {
    /// Whether this service runs on EC2 capacity (the kind of service this tool moves).
    pub fn runs_on_ec2(&self) -> bool {
        match self.launch_type.as_deref() {
            Some(kind) => kind == "EC2",
            None => !self
                .capacity_providers
                .iter()
                .any(|provider| provider.starts_with("FARGATE")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EcsServiceLoadBalancer {
    pub target_group: String,
    pub container_name: Option<String>,
    pub container_port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BeanstalkEnvironment {
    pub name: String,
    pub id: String,
    pub application: String,
    /// `WebServer` or `Worker`.
    pub tier: String,
    pub platform: Option<String>,
    pub cname: Option<String>,
    pub status: String,
    /// Load balancer names or ARNs, as `DescribeEnvironmentResources` gives them.
    #[serde(default)]
    pub load_balancers: Vec<String>,
    #[serde(default)]
    pub auto_scaling_groups: Vec<String>,
    #[serde(default)]
    pub instances: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostedZone {
    pub id: String,
    /// The zone's name without the trailing dot.
    pub name: String,
    pub private: bool,
    /// The `A`, `AAAA` and `CNAME` records of the zone that point at a load balancer or a
    /// Beanstalk environment of the inventory; the rest of the zone is not kept.
    #[serde(default)]
    pub records: Vec<DnsRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DnsRecord {
    /// The record's name without the trailing dot.
    pub name: String,
    pub record_type: String,
    /// The alias target's DNS name, for an alias record.
    pub alias_target: Option<String>,
    #[serde(default)]
    pub values: Vec<String>,
    pub set_identifier: Option<String>,
}

impl DnsRecord {
    /// Whether the record resolves to `dns_name` (an alias of it, with or without the
    /// `dualstack.` prefix the console writes, or a CNAME to it).
    pub fn points_at(&self, dns_name: &str) -> bool {
        let wanted = normalise(dns_name);
        self.alias_target
            .iter()
            .chain(self.values.iter())
            .any(|value| normalise(value) == wanted)
    }
}

/// A DNS name as compared: lower case, no trailing dot, no `dualstack.` prefix.
pub fn normalise(dns_name: &str) -> String {
    let lower = dns_name.trim_end_matches('.').to_ascii_lowercase();
    match lower.strip_prefix("dualstack.") {
        Some(rest) => rest.to_string(),
        None => lower,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataStoreKind {
    Rds,
    Aurora,
    Redis,
    Memcached,
    Efs,
}

impl DataStoreKind {
    /// The `network.data_stores[].kind` a playbook gives it.
    pub fn playbook_kind(self) -> &'static str {
        match self {
            DataStoreKind::Rds | DataStoreKind::Aurora => "rds",
            DataStoreKind::Redis => "redis",
            DataStoreKind::Efs => "efs",
            DataStoreKind::Memcached => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataStore {
    pub kind: DataStoreKind,
    /// The DB instance, DB cluster, cache cluster, replication group or file system id.
    pub id: String,
    pub engine: Option<String>,
    pub port: Option<u16>,
    pub vpc_id: Option<String>,
    #[serde(default)]
    pub security_groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    pub vpc_id: Option<String>,
    /// The inbound rules that admit another security group.
    #[serde(default)]
    pub ingress_from_groups: Vec<GroupIngress>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupIngress {
    pub from_group: String,
    pub from_port: Option<u16>,
    pub to_port: Option<u16>,
}
