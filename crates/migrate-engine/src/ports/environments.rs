//! Elastic Beanstalk environments of the old side.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::CloudResult;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    pub name: String,
    pub id: String,
    /// The environment's `*.elasticbeanstalk.com` name, which a CNAME record may point at.
    pub cname: Option<String>,
    pub status: String,
}

/// The `aws:autoscaling:asg` `MinSize` and `MaxSize` option settings of an environment: the
/// capacity Elastic Beanstalk gives its Auto Scaling group on every environment update
/// (<https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/command-options-general.html#command-options-general-autoscalingasg>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentCapacity {
    pub min: u32,
    pub max: u32,
}

/// Elastic Beanstalk refuses a `MinSize` below 1: an environment keeps one instance until it is
/// terminated (same page as [`EnvironmentCapacity`]).
pub const BEANSTALK_MIN_INSTANCES: u32 = 1;

#[async_trait]
pub trait Environments: Send + Sync {
    async fn find_environment(&self, name: &str) -> CloudResult<Option<Environment>>;
    /// The environment's capacity settings, as `DescribeConfigurationSettings` reads them.
    async fn capacity_settings(&self, name: &str) -> CloudResult<EnvironmentCapacity>;
    /// `UpdateEnvironment` with the two capacity option settings. Elastic Beanstalk answers at
    /// once with the environment `Updating` and refuses another update until it is `Ready`.
    async fn update_capacity(&self, name: &str, capacity: EnvironmentCapacity) -> CloudResult<()>;
}
