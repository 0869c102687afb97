//! What each step records, as types: its outputs, which later steps and its compensation read,
//! and the values its intent records before the change.
//!
//! The journal cannot know these types; it stores their JSON. Reading goes through
//! [`StepOutput`] and [`read`] (or `Ctx::output`), so a step names the type it expects and never
//! a string key. A value that is present but does not read as its type is an inconsistent state
//! and stops the step (invariant 8: fail closed).

use chrono::{DateTime, Utc};
use migrate_journal::State;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::StepError;
use crate::ports::{Capacity, DnsRecord};

/// An output type, tied to the step that records it.
pub trait StepOutput: Serialize + DeserializeOwned {
    /// The id of the step, or its prefix before `:` for steps planned once per service or store
    /// (`register-task-definition:web`).
    const STEP: &'static str;
}

/// The outputs of the step `step_id`: `None` when it recorded none (not run yet, skipped),
/// an error when they do not read as `T`.
pub fn read<T: DeserializeOwned>(state: &State, step_id: &str) -> Result<Option<T>, StepError> {
    state
        .outputs(step_id)
        .map(|value| from_json(step_id, "its outputs", value))
        .transpose()
}

/// `value` as JSON for the journal; a value that cannot be encoded stops the step.
pub fn to_json<T: Serialize>(
    step_id: &str,
    what: &str,
    value: &T,
) -> Result<serde_json::Value, StepError> {
    serde_json::to_value(value).map_err(|e| {
        StepError::precondition(format!("step {step_id}: {what} cannot be recorded: {e}"))
    })
}

/// A recorded JSON value read back as its type; one that does not read stops the step.
pub fn from_json<T: DeserializeOwned>(
    step_id: &str,
    what: &str,
    value: &serde_json::Value,
) -> Result<T, StepError> {
    T::deserialize(value).map_err(|e| {
        StepError::precondition(format!(
            "step {step_id}: {what} cannot be read ({e}); the state is inconsistent"
        ))
    })
}

/// What `preflight` found: who the caller is, and the roles the task definitions name resolved
/// to ARNs in the caller's account and partition (a full ARN in the playbook maps to itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreflightPassed {
    pub account: String,
    pub partition: String,
    pub roles: std::collections::BTreeMap<String, String>,
    /// The warnings, as the preflight printed them.
    pub warnings: Vec<String>,
}

impl StepOutput for PreflightPassed {
    const STEP: &'static str = "preflight";
}

/// The old side as `discover-source` found it, before anything changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceDiscovered {
    pub beanstalk: Option<BeanstalkEnvironment>,
    /// The old ECS services (ECS-on-EC2 sources), in playbook order.
    pub old_services: Vec<OldService>,
    pub auto_scaling_group: Option<OldAutoScalingGroup>,
    pub load_balancer: OldLoadBalancer,
    /// The old load balancer's target groups (ARNs).
    pub target_groups: Vec<String>,
    /// The certificate of the old HTTPS listener, when it has one.
    pub https_certificate: Option<String>,
    pub zone_id: String,
    /// The A/CNAME record sets of the cutover name, as they were.
    pub records: Vec<DnsRecord>,
    /// The old load balancer's listeners, rules, certificates and attributes, which
    /// `copy-load-balancer-behaviour` gives the new one. Absent from states written before it.
    #[serde(default)]
    pub behaviour: Option<migrate_plan::behaviour::LoadBalancerBehaviour>,
    /// Every `A`, `AAAA` and `CNAME` record set, in every hosted zone of the account (public and
    /// private), that reaches the old load balancer or the Beanstalk environment, as read, by
    /// zone; the cutover name's are among them. The DNS steps move exactly these. Empty in a
    /// state written before discovery looked beyond the cutover name.
    #[serde(default)]
    pub moved_records: Vec<ZoneRecords>,
    /// The plain instances of an `ec2` source (ids), checked to be stoppable. Empty for the
    /// other kinds and in a state written before `ec2` sources existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub old_instances: Vec<String>,
}

impl StepOutput for SourceDiscovered {
    const STEP: &'static str = "discover-source";
}

impl SourceDiscovered {
    /// The record sets the DNS steps move, by zone: the discovered ones, or, for a state written
    /// before discovery looked beyond the cutover name, that name's in its zone.
    pub fn zones_to_move(&self) -> Vec<ZoneRecords> {
        if !self.moved_records.is_empty() {
            return self.moved_records.clone();
        }
        vec![ZoneRecords {
            zone_id: self.zone_id.clone(),
            zone_name: String::new(),
            private: false,
            records: self.records.clone(),
        }]
    }
}

/// Record sets of one hosted zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneRecords {
    pub zone_id: String,
    /// Without the trailing dot; empty when not read.
    pub zone_name: String,
    pub private: bool,
    pub records: Vec<DnsRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BeanstalkEnvironment {
    pub id: String,
    pub cname: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OldService {
    pub name: String,
    pub desired: u32,
    pub task_definition: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OldAutoScalingGroup {
    pub name: String,
    pub capacity: Capacity,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OldLoadBalancer {
    pub arn: String,
    pub name: String,
    pub dns_name: String,
    pub zone_id: String,
    pub security_groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterCreated {
    pub name: String,
    pub arn: String,
}

impl StepOutput for ClusterCreated {
    const STEP: &'static str = "create-cluster";
}

/// What `create-cluster` records before it creates: a cluster that existed before the plan is
/// never deleted by its rollback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterBefore {
    pub preexisting: bool,
}

/// What `create-log-groups` found and did: a rollback deletes only `created`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogGroupsCreated {
    /// Groups this plan created (tagged with its plan id).
    pub created: Vec<String>,
    /// Groups that existed before and were left as they were.
    pub existing: Vec<String>,
}

impl StepOutput for LogGroupsCreated {
    const STEP: &'static str = "create-log-groups";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskDefinitionRegistered {
    pub arn: String,
    pub revision: u32,
}

impl StepOutput for TaskDefinitionRegistered {
    const STEP: &'static str = "register-task-definition";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroupCreated {
    pub group_id: String,
}

impl StepOutput for SecurityGroupCreated {
    const STEP: &'static str = "create-service-security-group";
}

/// The new load balancer's own security group, and the old groups whose inbound permissions it
/// copied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadBalancerGroupCreated {
    pub group_id: String,
    pub copied_from: Vec<String>,
}

impl StepOutput for LoadBalancerGroupCreated {
    const STEP: &'static str = "create-load-balancer-security-group";
}

/// The ingress rules a step added: each from one group on one port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngressAuthorized {
    pub rules: Vec<RuleAdded>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleAdded {
    pub group_id: String,
    pub source_group_id: String,
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetGroupCreated {
    pub arn: String,
}

impl StepOutput for TargetGroupCreated {
    const STEP: &'static str = "create-target-group";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadBalancerCreated {
    pub arn: String,
    pub dns_name: String,
    /// The canonical hosted zone of its DNS name, for an alias record.
    pub zone_id: String,
    pub security_groups: Vec<String>,
    /// `ipv4` or `dualstack`: an `AAAA` alias may move to the new load balancer only when it is
    /// dual-stack. Absent from states written before it (those load balancers are IPv4).
    #[serde(default = "crate::ports::ipv4")]
    pub ip_address_type: String,
}

impl StepOutput for LoadBalancerCreated {
    const STEP: &'static str = "create-load-balancer";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenerCreated {
    pub arn: String,
}

/// What `copy-load-balancer-behaviour` gave the new load balancer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BehaviourCopied {
    /// Listeners it created (ports the `create-listener` steps do not create), by ARN.
    pub listeners_created: Vec<String>,
    /// `PROTOCOL:port` of every listener it gave the old one's behaviour.
    pub listeners: Vec<String>,
    pub rules_created: u32,
    pub web_acl: Option<String>,
    /// The parts the playbook acknowledged, left out.
    pub left_out: Vec<String>,
}

impl StepOutput for BehaviourCopied {
    const STEP: &'static str = "copy-load-balancer-behaviour";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceCreated {
    pub arn: String,
    pub name: String,
    pub desired: u32,
}

/// The Application Auto Scaling target of a new service, and its CPU policy when it has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceScalingCreated {
    pub resource_id: String,
    pub policy: Option<String>,
}

impl StepOutput for ServiceScalingCreated {
    const STEP: &'static str = "create-service-scaling";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthVerified {
    pub probes: u32,
    pub cluster: String,
}

/// The DNS record sets as they were before a DNS step changed them, recorded in its intent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsSnapshot {
    /// The cutover zone's record sets (the only ones a state written before the DNS steps
    /// moved every name holds).
    pub records: Vec<DnsRecord>,
    /// Every moved zone's record sets as they were, when the step moved more than one name.
    #[serde(default)]
    pub zones: Vec<ZoneRecords>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TtlLowered {
    /// The TTL clients cache the record for from now on.
    pub effective_ttl_secs: u64,
}

impl StepOutput for TtlLowered {
    const STEP: &'static str = "lower-ttl";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsCutOver {
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightShifted {
    /// The new side's share, in percent.
    pub weight: u8,
    pub at: DateTime<Utc>,
}

/// What `check-connection-budget` found: the old side's running units and the connections at
/// every stage, with the sequence `shrink-old-side` and `grow-new-side` follow when the plain
/// overlap is over budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetChecked {
    pub old_units: u32,
    /// `None`: no store declares a limit (or no process a pool).
    #[serde(default)]
    pub budget: Option<migrate_plan::budget::Budget>,
}

impl StepOutput for BudgetChecked {
    const STEP: &'static str = "check-connection-budget";
}

impl BudgetChecked {
    pub fn sequence(&self) -> Option<&migrate_plan::budget::Sequence> {
        self.budget.as_ref().and_then(|b| b.sequence.as_ref())
    }
}

/// The old side's units after `shrink-old-side`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OldSideShrunk {
    pub old_units: u32,
}

impl StepOutput for OldSideShrunk {
    const STEP: &'static str = "shrink-old-side";
}

/// The new services `grow-new-side` grew, by playbook name, with the count each started with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSideGrown {
    pub started_with: std::collections::BTreeMap<String, u32>,
}

impl StepOutput for NewSideGrown {
    const STEP: &'static str = "grow-new-side";
}

/// The second target group of the web service (the `listener` strategy's), which the old load
/// balancer forwards to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BridgeTargetGroupCreated {
    pub arn: String,
}

impl StepOutput for BridgeTargetGroupCreated {
    const STEP: &'static str = "create-bridge-target-group";
}

/// The actions of every listener of the old load balancer, as a `shift-listener` step read
/// them before changing any: what its compensation writes back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenerActions {
    pub listeners: Vec<ListenerActionsOf>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenerActionsOf {
    pub listener_arn: String,
    pub default_actions: Vec<migrate_plan::behaviour::RuleAction>,
    /// Every rule but the default one: its ARN and actions.
    pub rules: Vec<RuleActionsOf>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleActionsOf {
    pub rule_arn: String,
    pub actions: Vec<migrate_plan::behaviour::RuleAction>,
}

/// What one `shift-listener` step left: the bridge target group's share on every forward it
/// changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenerShifted {
    pub weight: u8,
    /// How many default actions and rules forward with that weight.
    pub forwards: u32,
    pub at: DateTime<Utc>,
}

/// What `watch-new-side` saw: the new side broke no limit of the guard from `from` to `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watched {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl StepOutput for Watched {
    const STEP: &'static str = "watch-new-side";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drained {
    pub at: DateTime<Utc>,
    pub last_nonzero_count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupScaledDown {
    /// The capacity before, which a rollback restores.
    pub previous: Capacity,
    /// The scaling processes the step suspended (not those suspended before it ran).
    #[serde(default)]
    pub suspended: Vec<String>,
    /// The instances whose scale-in protection the step cleared.
    #[serde(default)]
    pub unprotected: Vec<String>,
}

/// What `scale-down-old-auto-scaling-group` reads before it changes anything, for its undo:
/// the capacity, the processes suspended before (left suspended by a rollback) and the
/// instances protected from scale-in. The capacity is flattened, so an intent recorded as a
/// bare capacity (before the processes were recorded) still reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupHold {
    #[serde(flatten)]
    pub capacity: Capacity,
    #[serde(default)]
    pub suspended_before: Vec<String>,
    /// The processes the step suspends: those of its list that were not suspended already.
    #[serde(default)]
    pub suspends: Vec<String>,
    #[serde(default)]
    pub protected: Vec<String>,
}

/// What `scale-down-old-service:<svc>` reads before it changes anything: the desired count and
/// the service's Application Auto Scaling target, whose minimum it lowers to 0. Flattened, so
/// an intent recorded as a bare desired count still reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceHold {
    #[serde(flatten)]
    pub count: DesiredCount,
    #[serde(default)]
    pub scalable_target: Option<crate::ports::ScalableTarget>,
}

/// An old ECS service's desired count before it was scaled to zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredCount {
    pub desired: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmsCreated {
    pub names: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value whose encoding fails, as a map with non-string keys does in JSON.
    struct Unencodable;

    impl Serialize for Unencodable {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("no JSON form"))
        }
    }

    #[test]
    fn a_value_that_cannot_be_encoded_stops_the_step_instead_of_recording_nothing() {
        let error = to_json("lower-ttl", "the values its intent records", &Unencodable)
            .expect_err("must not record an empty value");
        assert!(
            error.to_string().contains("lower-ttl") && error.to_string().contains("no JSON form"),
            "{error}"
        );
    }

    #[test]
    fn a_missing_snapshot_does_not_read_as_an_empty_one() {
        let error = from_json::<DnsSnapshot>(
            "lower-ttl",
            "the values its intent recorded",
            &serde_json::Value::Null,
        )
        .expect_err("null is not a snapshot");
        assert!(error.to_string().contains("inconsistent"), "{error}");
        let error = from_json::<DnsSnapshot>(
            "lower-ttl",
            "the values its intent recorded",
            &serde_json::json!({"records": "[]"}),
        )
        .expect_err("a list inside a string is not a list");
        assert!(error.to_string().contains("lower-ttl"), "{error}");
    }
}

/// What `scale-down-old-beanstalk-environment` reads before it changes anything, for its undo:
/// the environment's `aws:autoscaling:asg` capacity settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentHold {
    pub capacity: crate::ports::EnvironmentCapacity,
}

/// The outputs of `scale-down-old-beanstalk-environment`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentScaledDown {
    /// The settings before, which a rollback restores.
    pub previous: crate::ports::EnvironmentCapacity,
    /// The settings the step left: Elastic Beanstalk's minimum of one instance.
    pub now: crate::ports::EnvironmentCapacity,
}

/// What `stop-old-instances` records before it stops anything: the instances that were running
/// (or on their way), which are those a rollback starts again. An instance found stopped stays
/// stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstancesRunning {
    pub running: Vec<String>,
}

/// The instances `stop-old-instances` stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstancesStopped {
    pub stopped: Vec<String>,
}

impl StepOutput for InstancesStopped {
    const STEP: &'static str = "stop-old-instances";
}
