//! What `migrate cleanup` needs beyond the other ports: read-only discovery of what the old side
//! leaves behind (the Auto Scaling group's launch template, EBS volumes left `available`, what
//! still uses a security group) and the deletes no migration step makes.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{CloudResult, Tags};

/// The launch template an Auto Scaling group launches from, as its default version reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchTemplate {
    pub id: String,
    pub name: String,
    /// The security groups its instances get (`SecurityGroupIds`, and those of its network
    /// interfaces).
    pub security_groups: Vec<String>,
    /// The tags it puts on the volumes it creates (`TagSpecifications` of type `volume`): the
    /// only link between a volume left behind and this group, since Auto Scaling never
    /// propagates its own tags to volumes.
    pub volume_tags: Tags,
}

/// An EBS volume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Volume {
    pub id: String,
    /// `available`, `in-use`, ...
    pub state: String,
    pub size_gib: u32,
}

/// What still uses a security group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroupUsers {
    /// Other groups whose inbound or outbound rules name it as their source or destination.
    pub referencing_groups: Vec<String>,
    /// Network interfaces it is attached to (instances, tasks, load balancers, endpoints).
    pub network_interfaces: Vec<String>,
}

impl SecurityGroupUsers {
    pub fn is_empty(&self) -> bool {
        self.referencing_groups.is_empty() && self.network_interfaces.is_empty()
    }
}

/// An ECR repository and when an image of it was last pulled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repository {
    pub name: String,
    pub images: u32,
    /// The latest `lastRecordedPullTime` of its images (ECR records pulls about once a day);
    /// `None` when none was recorded.
    pub last_pull: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait Decommission: Send + Sync {
    /// The launch template of the group (`None` when it has none, e.g. a launch configuration,
    /// or when the group no longer exists).
    async fn launch_template_of_group(&self, group: &str) -> CloudResult<Option<LaunchTemplate>>;
    /// Volumes in state `available` that carry every one of `tags`.
    async fn available_volumes_tagged(&self, tags: &Tags) -> CloudResult<Vec<Volume>>;
    /// A volume by id; `None` when it does not exist.
    async fn find_volume(&self, id: &str) -> CloudResult<Option<Volume>>;
    /// What uses the security group; `NotFound` when the group does not exist.
    async fn security_group_users(&self, group_id: &str) -> CloudResult<SecurityGroupUsers>;

    /// Deletes the group without `ForceDelete`: AWS refuses while it still has instances.
    async fn delete_auto_scaling_group(&self, name: &str) -> CloudResult<()>;
    async fn delete_launch_template(&self, id: &str) -> CloudResult<()>;
    async fn delete_volume(&self, id: &str) -> CloudResult<()>;
    /// Terminates the Beanstalk environment, which deletes the resources Beanstalk made for it.
    async fn terminate_environment(&self, id: &str) -> CloudResult<()>;
    /// The repository (`DescribeRepositories`, its images with `DescribeImages`); `None` when
    /// it does not exist.
    async fn find_repository(&self, name: &str) -> CloudResult<Option<Repository>>;
    /// Deletes the repository with its images (`DeleteRepository` with `force`).
    async fn delete_repository(&self, name: &str) -> CloudResult<()>;
}
