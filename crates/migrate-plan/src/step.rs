//! One planned step: what it does, what it touches, how it is undone, how it is retried.

use serde::{Deserialize, Serialize};

/// What a step does. Inputs that come from the playbook are read from the plan's embedded
/// playbook; inputs that come from earlier steps (ARNs, ids) are read from their recorded outputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// Checks, reading only, that the account can run the new tasks (caller, roles and their
    /// permissions, routes, load balancer subnets, task role, quota), before anything is created.
    Preflight,
    /// Reads the old side (ASG, old services, load balancer, listeners, DNS record) and records it.
    DiscoverSource,
    /// Refuses, before anything is created, a migration whose old and new side together would
    /// open more connections than a data store accepts (read only).
    CheckConnectionBudget,
    /// Over the connection budget: shrinks the old side to the units the budget leaves it
    /// before any new task starts, and waits until the removed units have let go of their
    /// connections. Does nothing when the overlap fits.
    ShrinkOldSide,
    CreateCluster,
    /// Creates the awslogs groups the task definitions log to, before any task can start.
    CreateLogGroups {
        /// Every group, in the order the services name them, without repeats.
        groups: Vec<String>,
        retention_days: u32,
    },
    RegisterTaskDefinition {
        service: String,
        /// The Fargate-ready `RegisterTaskDefinition` body.
        definition: serde_json::Value,
    },
    CreateServiceSecurityGroup,
    /// A security group of the new load balancer's own, for a source whose old load balancer's
    /// groups belong to someone else (Elastic Beanstalk): the old groups' inbound permissions,
    /// and outbound only to the service group on the service port.
    CreateLoadBalancerSecurityGroup,
    AllowLoadBalancerToService,
    OpenDataStore {
        store: String,
    },
    CreateTargetGroup,
    /// The web service's second target group, for the old load balancer (`listener` strategy).
    CreateBridgeTargetGroup,
    CreateLoadBalancer,
    CreateListener {
        https: bool,
    },
    /// Gives the new load balancer the old one's behaviour: every listener with its default
    /// actions and rules in priority order, certificates and SSL policy, the load balancer's and
    /// the target group's attributes and the WAF web ACL.
    CopyLoadBalancerBehaviour,
    CreateService {
        service: String,
    },
    /// Registers the new service as an Application Auto Scaling target (min = its desired count)
    /// and, where the playbook or the old side says so, tracks its average CPU.
    CreateServiceScaling {
        service: String,
    },
    /// Over the connection budget: grows the new services that started smaller to their
    /// desired counts, once the old side is scaled down. Does nothing when the overlap fits.
    GrowNewSide,
    VerifyHealth,
    LowerTtl,
    CutoverDns,
    ShiftWeight {
        weight: u8,
        bake_secs: u64,
    },
    /// One step of the `listener` ramp: every forward of the old load balancer's listeners to
    /// the old target group becomes a weighted forward, `weight` percent to the bridge target
    /// group, then bakes.
    ShiftListenerWeight {
        weight: u8,
        bake_secs: u64,
    },
    /// Watches the new side for `secs` after the last traffic step, with the traffic guard's
    /// limits, before the drain makes the move hard to take back.
    WatchNewSide {
        secs: u64,
    },
    Drain,
    ScaleDownAutoScalingGroup,
    ScaleDownOldService {
        service: String,
    },
    /// The old Beanstalk environment down to one instance through `UpdateEnvironment`.
    ScaleDownBeanstalkEnvironment,
    /// The plain instances of an `ec2` source stopped (not terminated) through `StopInstances`.
    StopOldInstances,
    CreateAlarms,
}

impl Action {
    /// Whether the step sends requests to the new side: what the traffic guard's hand back
    /// undoes, and what ends the cutover for the drain.
    pub fn moves_traffic(&self) -> bool {
        matches!(
            self,
            Self::CutoverDns | Self::ShiftWeight { .. } | Self::ShiftListenerWeight { .. }
        )
    }
}

/// The kind of a change, as a reviewer reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    Create,
    Modify,
    Read,
    Wait,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub kind: ChangeKind,
    /// e.g. `ECS cluster shop-fargate`.
    pub resource: String,
    /// e.g. `Container Insights on`.
    pub detail: String,
}

/// How a step's failing calls are retried. Only transient errors (throttling, 5xx, time-outs)
/// are retried; everything else fails the step at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetryPolicy {
    pub initial_interval_ms: u64,
    pub factor: f64,
    pub max_interval_ms: u64,
    pub max_attempts: u32,
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1`, after `attempt` failed ones (1-based).
    pub fn backoff_ms(&self, attempt: u32) -> u64 {
        let exponent = attempt.saturating_sub(1).min(32) as i32;
        let wait = self.initial_interval_ms as f64 * self.factor.powi(exponent);
        (wait as u64).min(self.max_interval_ms)
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            initial_interval_ms: 1_000,
            factor: 2.0,
            max_interval_ms: 30_000,
            max_attempts: 8,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedStep {
    /// Stable and unique within the plan, e.g. `create-service:web`.
    pub id: String,
    #[serde(flatten)]
    pub action: Action,
    pub depends_on: Vec<String>,
    pub summary: String,
    pub changes: Vec<Change>,
    /// How a rollback undoes the step, in words.
    pub undo: String,
    pub retry: RetryPolicy,
    /// The step fails with a clear reason (and rollback is offered) when it runs longer.
    pub deadline_secs: u64,
}

impl PlannedStep {
    /// Whether the step creates or modifies something in the account, as its planned changes
    /// say; reads and waits do not, so a rollback has nothing of theirs to undo.
    pub fn changes_account(&self) -> bool {
        self.changes
            .iter()
            .any(|c| matches!(c.kind, ChangeKind::Create | ChangeKind::Modify))
    }
}
