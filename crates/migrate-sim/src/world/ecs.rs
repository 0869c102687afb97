//! ECS as the world holds it: clusters, task definitions, services and their tasks.

use std::collections::BTreeMap;

use migrate_engine::ports::{ServiceLoadBalancer, ServiceSpec, ServiceStatus, Tags};

use crate::clock::Millis;

#[derive(Debug, Clone)]
pub(crate) struct ClusterRec {
    pub name: String,
    pub arn: String,
    pub active: bool,
    pub tags: Tags,
    pub visible_at: Millis,
}

#[derive(Debug, Clone)]
pub(crate) struct TaskDefRec {
    pub arn: String,
    pub family: String,
    pub revision: u32,
    pub active: bool,
    pub definition: serde_json::Value,
    pub tags: Tags,
    pub visible_at: Millis,
}

/// Where a service's tasks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Launch {
    Fargate,
    Ec2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ServiceState {
    Active,
    /// Deleted, tasks still stopping.
    Draining,
    Inactive,
}

#[derive(Debug, Clone)]
pub(crate) struct ServiceRec {
    pub arn: String,
    pub name: String,
    pub cluster: String,
    pub state: ServiceState,
    pub task_definition_arn: String,
    pub desired: u32,
    pub load_balancer: Option<ServiceLoadBalancer>,
    /// Further target groups its tasks register in (the `listener` strategy's bridge).
    pub also_registers_in: Vec<String>,
    pub launch: Launch,
    pub security_groups: Vec<String>,
    /// The request that created the service, for `clientToken` idempotency.
    pub spec: Option<ServiceSpec>,
    pub tags: Tags,
    pub created_at: Millis,
    pub visible_at: Millis,
    pub grace_ms: Millis,
    /// When the service first had `desired` tasks running (and, with a load balancer, healthy).
    pub ready_at: Option<Millis>,
    pub stopped_reasons: Vec<String>,
    /// True for services the migration creates (the new side), false for the old side.
    pub new_side: bool,
    /// Bumped by every `UpdateService` of its load balancers: a task started under an earlier
    /// one is replaced by the rolling update (see `World::tick_services`).
    pub deployment: u32,
}

impl ServiceRec {
    /// The target groups a task started now registers in.
    pub fn target_groups(&self) -> Vec<String> {
        self.load_balancer
            .iter()
            .map(|lb| lb.target_group_arn.clone())
            .chain(self.also_registers_in.iter().cloned())
            .collect()
    }

    /// Its load balancers as ECS lists them: the same container and port in every group.
    pub fn load_balancers(&self) -> Vec<ServiceLoadBalancer> {
        let Some(first) = &self.load_balancer else {
            return Vec::new();
        };
        std::iter::once(first.clone())
            .chain(
                self.also_registers_in
                    .iter()
                    .map(|arn| ServiceLoadBalancer {
                        target_group_arn: arn.clone(),
                        ..first.clone()
                    }),
            )
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TaskState {
    Provisioning {
        running_at: Millis,
    },
    Running,
    /// Deregistered from its target group; stops when the deregistration delay has passed.
    Draining {
        stop_at: Millis,
    },
    Stopped,
}

#[derive(Debug, Clone)]
pub(crate) struct TaskRec {
    pub id: String,
    pub cluster: String,
    pub service: String,
    pub state: TaskState,
    /// The target id the task registers as: its IP (awsvpc) or its instance id (bridge).
    pub target_id: String,
    pub target_port: u16,
    pub instance: Option<String>,
    pub security_groups: Vec<String>,
    pub started_at: Millis,
    pub running_since: Option<Millis>,
    /// False when the application inside answers errors (a broken image).
    pub app_ok: bool,
    /// The service's deployment it was started under, and the target groups that deployment
    /// registers it in: ECS starts a task with its deployment's configuration.
    pub deployment: u32,
    pub target_groups: Vec<String>,
}

impl TaskRec {
    pub fn alive(&self) -> bool {
        !matches!(self.state, TaskState::Stopped)
    }
    pub fn running(&self) -> bool {
        matches!(self.state, TaskState::Running)
    }
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Ecs {
    pub clusters: BTreeMap<String, ClusterRec>,
    pub task_definitions: BTreeMap<String, TaskDefRec>,
    pub revisions: BTreeMap<String, u32>,
    /// Keyed by (cluster, service name, ARN suffix) so a deleted service and its successor of the
    /// same name can coexist, as they do on ECS.
    pub services: BTreeMap<(String, String, u64), ServiceRec>,
    pub tasks: BTreeMap<String, TaskRec>,
    pub next_service_generation: u64,
}

impl Ecs {
    /// The service named `name` in `cluster` that is not INACTIVE.
    pub fn live_service_key(&self, cluster: &str, name: &str) -> Option<(String, String, u64)> {
        self.services
            .iter()
            .filter(|((c, n, _), s)| c == cluster && n == name && s.state != ServiceState::Inactive)
            .map(|(k, _)| k.clone())
            .next_back()
    }

    pub fn status_of(&self, key: &(String, String, u64)) -> Option<ServiceStatus> {
        let s = self.services.get(key)?;
        let tasks = self
            .tasks
            .values()
            .filter(|t| t.cluster == s.cluster && t.service == s.name && t.alive());
        let (mut running, mut pending) = (0u32, 0u32);
        // A task of an earlier deployment that has not stopped keeps that deployment listed,
        // so the service has two and is not steady until the rolling update is done.
        let mut earlier_deployment = false;
        for t in tasks {
            earlier_deployment |= t.deployment != s.deployment;
            match t.state {
                TaskState::Running => running += 1,
                TaskState::Provisioning { .. } => pending += 1,
                _ => {}
            }
        }
        Some(ServiceStatus {
            arn: s.arn.clone(),
            name: s.name.clone(),
            cluster: s.cluster.clone(),
            status: match s.state {
                ServiceState::Active => "ACTIVE",
                ServiceState::Draining => "DRAINING",
                ServiceState::Inactive => "INACTIVE",
            }
            .into(),
            task_definition_arn: s.task_definition_arn.clone(),
            desired_count: s.desired,
            running_count: running,
            pending_count: pending,
            steady: running == s.desired && pending == 0 && !earlier_deployment,
            stopped_reasons: s.stopped_reasons.iter().rev().take(5).cloned().collect(),
            load_balancers: s.load_balancers(),
        })
    }
}
