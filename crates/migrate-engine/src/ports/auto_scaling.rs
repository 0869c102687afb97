//! Auto Scaling groups of the old side.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{CloudResult, ScalingPolicy, Tags};

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
    /// The in-service instances counted by instance type.
    pub instance_types: std::collections::BTreeMap<String, u32>,
    pub target_group_arns: Vec<String>,
    pub tags: Tags,
}

#[async_trait]
pub trait AutoScaling: Send + Sync {
    async fn find_group(&self, name: &str) -> CloudResult<Option<AutoScalingGroup>>;
    async fn set_capacity(&self, name: &str, capacity: Capacity) -> CloudResult<()>;
    /// The group's scaling policies, so that the new services can scale as the old side did.
    async fn scaling_policies(&self, name: &str) -> CloudResult<Vec<ScalingPolicy>>;
    /// The group's suspended scaling processes (`Launch`, `AlarmNotification`, ...).
    async fn suspended_processes(&self, name: &str) -> CloudResult<Vec<String>>;
    async fn suspend_processes(&self, name: &str, processes: &[String]) -> CloudResult<()>;
    async fn resume_processes(&self, name: &str, processes: &[String]) -> CloudResult<()>;
    /// The ids of the group's instances in service or on their way to it.
    async fn instance_ids(&self, name: &str) -> CloudResult<Vec<String>>;
    /// The ids of the group's instances that are protected from scale-in.
    async fn protected_instances(&self, name: &str) -> CloudResult<Vec<String>>;
    /// Sets or clears scale-in protection of these instances of the group.
    async fn set_scale_in_protection(
        &self,
        name: &str,
        instance_ids: &[String],
        protected: bool,
    ) -> CloudResult<()>;
}
