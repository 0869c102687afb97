//! EC2 security groups and their inbound rules.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{CloudResult, Tags};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroupSpec {
    pub vpc_id: String,
    pub name: String,
    pub description: String,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    pub vpc_id: String,
}

/// One inbound rule: `group_id` admits TCP on `port` from members of `source_group_id`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IngressRule {
    pub group_id: String,
    pub source_group_id: String,
    pub port: u16,
    pub description: String,
}

#[async_trait]
pub trait Network: Send + Sync {
    async fn find_security_group(
        &self,
        vpc_id: &str,
        name: &str,
    ) -> CloudResult<Option<SecurityGroup>>;
    async fn create_security_group(&self, spec: &SecurityGroupSpec) -> CloudResult<SecurityGroup>;
    async fn delete_security_group(&self, group_id: &str) -> CloudResult<()>;
    /// Adds the rule; a rule that exists already is success (`InvalidPermission.Duplicate`).
    async fn authorize_ingress(&self, rule: &IngressRule) -> CloudResult<()>;
    /// Removes the rule; `NotFound` when it is not there.
    async fn revoke_ingress(&self, rule: &IngressRule) -> CloudResult<()>;
    async fn has_ingress(&self, rule: &IngressRule) -> CloudResult<bool>;
}
