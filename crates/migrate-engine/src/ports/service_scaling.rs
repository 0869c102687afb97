//! Application Auto Scaling of the new ECS services' task count.
//!
//! An ECS service is a scalable target named `service/CLUSTER/SERVICE` with the dimension
//! `ecs:service:DesiredCount`; the adapter adds the namespace and dimension, the engine speaks
//! only of resource ids.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{CloudResult, Tags};

/// The resource id Application Auto Scaling knows an ECS service by.
pub fn ecs_service_resource_id(cluster: &str, service: &str) -> String {
    format!("service/{cluster}/{service}")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScalableTargetSpec {
    pub resource_id: String,
    pub min_count: u32,
    pub max_count: u32,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScalableTarget {
    pub resource_id: String,
    pub min_count: u32,
    pub max_count: u32,
}

/// A target tracking policy on the service's average CPU utilisation
/// (`ECSServiceAverageCPUUtilization`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CpuTrackingSpec {
    pub policy_name: String,
    pub resource_id: String,
    pub target_percent: f64,
    pub scale_out_cooldown_secs: u32,
    pub scale_in_cooldown_secs: u32,
}

/// A scaling policy as read back: its name and, when it tracks average CPU, its target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingPolicy {
    pub name: String,
    /// `Some` for target tracking on average CPU utilisation; `None` for any other policy (step,
    /// simple, other metrics).
    pub cpu_target_percent: Option<f64>,
}

#[async_trait]
pub trait ServiceScaling: Send + Sync {
    async fn find_target(&self, resource_id: &str) -> CloudResult<Option<ScalableTarget>>;
    /// Registers the target, or updates its bounds when it exists (AWS's own semantics).
    async fn register_target(&self, spec: &ScalableTargetSpec) -> CloudResult<()>;
    /// Deregistering also deletes the target's scaling policies and scheduled actions.
    async fn deregister_target(&self, resource_id: &str) -> CloudResult<()>;
    async fn policies(&self, resource_id: &str) -> CloudResult<Vec<ScalingPolicy>>;
    /// Creates the policy, or updates it when one of that name exists (AWS's own semantics).
    async fn put_cpu_tracking(&self, spec: &CpuTrackingSpec) -> CloudResult<()>;
}
