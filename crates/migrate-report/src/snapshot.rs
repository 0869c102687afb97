//! What the report would know from a read of the account.
//!
//! Nothing fills this yet: `migrate plan` runs offline until the account inventory lands (issue
//! 11, second half). The fields are the ones the report's risks and cost already use, so that the
//! reading side has a target; every field is optional or may be empty, because a partial read is
//! still worth reporting and a field that was not read must not look like "none".

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// When the account was read (RFC 3339).
    pub read_at: String,
    /// The old side's instances, by type (the ASG's or the ECS container instances').
    pub instances: Vec<InstanceGroup>,
    /// The old ECS services' desired task counts, by service name.
    pub old_service_tasks: BTreeMap<String, u32>,
    /// The cutover record's TTL today, in seconds; `None` for an alias record.
    pub record_ttl_secs: Option<u32>,
    /// Whether the old load balancer has an HTTPS listener.
    pub old_https_listener: Option<bool>,
    /// The availability zones of the playbook's subnets.
    pub availability_zones: Vec<String>,
    /// Other records in the zone that reach the old load balancer (the plan moves only one).
    pub other_records_to_old_side: Vec<String>,
    /// Old listener rules that do more than forward everything to one target group.
    pub old_listener_rules: Vec<String>,
    /// For each playbook service, how the running old task definition differs from the one the
    /// plan registers.
    pub task_definition_differences: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceGroup {
    pub instance_type: String,
    pub count: u32,
}
