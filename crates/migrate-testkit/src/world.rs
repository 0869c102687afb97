//! The in-memory account: what exists, and the faults to inject.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use migrate_engine::ports::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashMode {
    /// The process dies before the call reaches the cloud.
    BeforeEffect,
    /// The call takes effect, then the process dies before it reads the response.
    AfterEffect,
}

#[derive(Debug, Clone)]
pub struct FakeService {
    pub status: ServiceStatus,
    pub client_token: String,
    pub target_group: Option<String>,
    pub tags: Tags,
}

#[derive(Debug, Clone)]
pub struct FakeTaskDefinition {
    pub reference: TaskDefinitionRef,
    pub tags: Tags,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct FakeTargetGroup {
    pub group: TargetGroup,
    pub spec_port: u16,
    pub targets: Vec<TargetHealth>,
    pub tags: Tags,
}

#[derive(Debug, Clone)]
pub struct FakeListener {
    pub listener: Listener,
    pub target_group_arn: String,
}

#[derive(Debug, Default)]
pub struct World {
    pub clusters: BTreeMap<String, Cluster>,
    pub task_definitions: Vec<FakeTaskDefinition>,
    pub services: BTreeMap<(String, String), FakeService>,
    pub security_groups: BTreeMap<String, (SecurityGroup, Tags)>,
    pub rules: BTreeSet<(String, String, u16)>,
    pub load_balancers: BTreeMap<String, (LoadBalancer, Tags)>,
    pub target_groups: BTreeMap<String, FakeTargetGroup>,
    pub listeners: BTreeMap<String, FakeListener>,
    pub zones: BTreeMap<String, String>,
    pub records: BTreeMap<String, Vec<DnsRecord>>,
    /// Change id → polls left before INSYNC.
    pub changes: BTreeMap<String, u32>,
    /// Load balancer DNS name → when DNS stopped pointing at it.
    pub left_dns_at: BTreeMap<String, DateTime<Utc>>,
    pub alarms: BTreeMap<String, AlarmSpec>,
    pub groups: BTreeMap<String, AutoScalingGroup>,
    pub environments: BTreeMap<String, Environment>,
    pub container_instance_groups: BTreeMap<String, Vec<String>>,
    /// Every create that made a new resource: kind → names, in order.
    pub creations: BTreeMap<String, Vec<String>>,
    /// Calls per operation.
    pub calls: BTreeMap<String, u64>,
    pub mutations: u64,
    pub crash: Option<(u64, CrashMode)>,
    /// The next this-many calls are throttled.
    pub throttle_next: u32,
    /// New Fargate tasks never pass their health checks.
    pub tasks_never_healthy: bool,
    pub next_id: u64,
}

impl World {
    pub fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{:017x}", self.next_id)
    }

    pub fn created(&mut self, kind: &str, name: &str) {
        self.creations
            .entry(kind.to_string())
            .or_default()
            .push(name.to_string());
    }

    /// Targets of a service's tasks: registered as ECS would, healthy unless told otherwise.
    pub fn sync_targets(&mut self, key: &(String, String)) {
        let Some(service) = self.services.get(key) else {
            return;
        };
        let Some(tg_arn) = service.target_group.clone() else {
            return;
        };
        let running = if service.status.status == "ACTIVE" {
            service.status.running_count
        } else {
            0
        };
        let healthy = !(self.tasks_never_healthy && key.0 != "old");
        let prefix = format!("10.{}.{}.", key.0.len() % 200, key.1.len() % 200);
        if let Some(tg) = self.target_groups.get_mut(&tg_arn) {
            let port = tg.spec_port;
            tg.targets = (0..running)
                .map(|i| TargetHealth {
                    target_id: format!("{prefix}{}", 10 + i),
                    port,
                    state: if healthy {
                        TargetState::Healthy
                    } else {
                        TargetState::Unhealthy
                    },
                    reason: (!healthy).then(|| "Target.FailedHealthChecks".to_string()),
                })
                .collect();
        }
    }

    pub fn load_balancer_by_dns(&self, dns: &str) -> Option<&LoadBalancer> {
        let dns = normalise(dns);
        self.load_balancers
            .values()
            .map(|(lb, _)| lb)
            .find(|lb| normalise(&lb.dns_name) == dns)
    }

    /// DNS names of load balancers that records currently send traffic to.
    pub fn dns_targets(&self) -> BTreeSet<String> {
        self.records
            .values()
            .flatten()
            .filter(|r| r.weight != Some(0))
            .flat_map(|r| {
                r.alias
                    .iter()
                    .map(|a| normalise(&a.dns_name))
                    .chain(r.values.iter().map(|v| normalise(v)))
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

pub use migrate_engine::ports::normalise_dns_name as normalise;
