//! CloudWatch Logs: the awslogs groups the new tasks write to.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{CloudResult, Tags};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogGroupSpec {
    pub name: String,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogGroup {
    pub name: String,
    /// `None`: events are kept forever.
    pub retention_days: Option<u32>,
    /// Read with the group, so that a step can tell the groups its plan created.
    pub tags: Tags,
}

/// The log groups the tasks' awslogs driver writes to.
#[async_trait]
pub trait Logs: Send + Sync {
    /// The group with exactly this name (not merely this prefix).
    async fn find_log_group(&self, name: &str) -> CloudResult<Option<LogGroup>>;
    /// Creates the group with its tags; [`ErrorKind::AlreadyExists`] when it exists.
    async fn create_log_group(&self, spec: &LogGroupSpec) -> CloudResult<()>;
    async fn set_log_group_retention(&self, name: &str, days: u32) -> CloudResult<()>;
    async fn delete_log_group(&self, name: &str) -> CloudResult<()>;
}
