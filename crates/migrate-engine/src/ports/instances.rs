//! Plain EC2 instances of the old side (an `ec2` source): read, stopped after the drain, started
//! again by a rollback, terminated by `migrate cleanup`.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::CloudResult;

/// An instance's lifecycle state, as `DescribeInstances` names it
/// (<https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-lifecycle.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InstanceState {
    Pending,
    Running,
    Stopping,
    Stopped,
    ShuttingDown,
    Terminated,
}

impl InstanceState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Stopping => "stopping",
            Self::Stopped => "stopped",
            Self::ShuttingDown => "shutting-down",
            Self::Terminated => "terminated",
        }
    }
}

/// One instance as the migration needs to know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    pub id: String,
    pub state: InstanceState,
    /// `ebs` or `instance-store`: an instance-store-backed instance cannot be stopped, only
    /// terminated (<https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Stop_Start.html>).
    pub root_device_type: String,
    /// The Auto Scaling group that launched it (its `aws:autoscaling:groupName` tag), if any: a
    /// group replaces an instance that is stopped, so such an instance is no plain one.
    pub auto_scaling_group: Option<String>,
    /// The security groups of its network interfaces, which clean-up deletes with it when
    /// nothing else uses them.
    pub security_groups: Vec<String>,
}

#[async_trait]
pub trait Instances: Send + Sync {
    /// The instances of these ids that exist (a terminated one is listed for about an hour);
    /// an id that does not exist is left out, not an error.
    async fn describe_instances(&self, ids: &[String]) -> CloudResult<Vec<Instance>>;
    /// `StopInstances`: idempotent, an instance already stopping or stopped stays so.
    async fn stop_instances(&self, ids: &[String]) -> CloudResult<()>;
    /// `StartInstances`: idempotent, an instance already pending or running stays so.
    async fn start_instances(&self, ids: &[String]) -> CloudResult<()>;
    /// `TerminateInstances` (clean-up only): the instance and its delete-on-termination volumes
    /// are gone for good.
    async fn terminate_instances(&self, ids: &[String]) -> CloudResult<()>;
}
