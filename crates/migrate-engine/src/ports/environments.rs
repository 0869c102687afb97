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

/// What an environment is made of, as `DescribeEnvironmentResources` lists it: the Auto Scaling
/// group and load balancer Elastic Beanstalk created for it
/// (<https://docs.aws.amazon.com/elasticbeanstalk/latest/api/API_DescribeEnvironmentResources.html>).
/// Asking Elastic Beanstalk rather than matching tags keeps working when a group was re-created
/// or someone copied the tag onto another one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentResources {
    pub auto_scaling_groups: Vec<String>,
    /// Load balancer names; for an Application Load Balancer Elastic Beanstalk gives its ARN.
    pub load_balancers: Vec<String>,
}

/// Elastic Beanstalk refuses a `MinSize` below 1: an environment keeps one instance until it is
/// terminated (same page as [`EnvironmentCapacity`]).
pub const BEANSTALK_MIN_INSTANCES: u32 = 1;

#[async_trait]
pub trait Environments: Send + Sync {
    async fn find_environment(&self, name: &str) -> CloudResult<Option<Environment>>;
    /// The environment's Auto Scaling groups and load balancers.
    async fn environment_resources(&self, name: &str) -> CloudResult<EnvironmentResources>;
    /// The environment's capacity settings, as `DescribeConfigurationSettings` reads them.
    async fn capacity_settings(&self, name: &str) -> CloudResult<EnvironmentCapacity>;
    /// `UpdateEnvironment` with the two capacity option settings. Elastic Beanstalk answers at
    /// once with the environment `Updating` and refuses another update until it is `Ready`.
    async fn update_capacity(&self, name: &str, capacity: EnvironmentCapacity) -> CloudResult<()>;
}
