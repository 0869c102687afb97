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

/// One inbound permission of a security group as EC2 lists it: a protocol and port range, and
/// the sources it admits (CIDR ranges, prefix lists, other groups). What a new load balancer's
/// own group copies from the old one's, so that it admits the same clients.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IngressPermission {
    /// `tcp`, `udp`, `icmp` or `-1` (all).
    pub protocol: String,
    /// `None` for every port (protocol `-1`).
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    pub ipv4_ranges: Vec<String>,
    pub ipv6_ranges: Vec<String>,
    pub prefix_lists: Vec<String>,
    pub source_groups: Vec<String>,
}

/// The CIDR of a security group's default outbound rule: a new group may send anything anywhere
/// until that rule is revoked
/// (<https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html>).
pub const ANYWHERE_IPV4: &str = "0.0.0.0/0";

/// An EC2 instance type's size (what `DescribeInstanceTypes` answers), for sizing the new side
/// from the old one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceTypeSize {
    pub instance_type: String,
    pub vcpus: u32,
    pub memory_mib: u32,
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
    /// Every inbound permission of the group, as `DescribeSecurityGroups` lists it.
    async fn ingress_permissions(&self, group_id: &str) -> CloudResult<Vec<IngressPermission>>;
    /// Adds the permissions to the group; one that exists already is success.
    async fn authorize_ingress_permissions(
        &self,
        group_id: &str,
        permissions: &[IngressPermission],
    ) -> CloudResult<()>;
    /// Lets the group send only TCP on `port` to members of `destination_group`: adds that
    /// outbound rule, then revokes the default one to [`ANYWHERE_IPV4`] (absent is success), so
    /// the group is never left without a way to its targets.
    async fn limit_egress(
        &self,
        group_id: &str,
        port: u16,
        destination_group: &str,
    ) -> CloudResult<()>;
    /// The security groups that `group_id` admits on TCP `port` today (inbound rules with a
    /// source group whose port range covers it), sorted; what the account snapshot records of
    /// each data store.
    async fn ingress_sources(&self, group_id: &str, port: u16) -> CloudResult<Vec<String>>;
    /// The size of each of `types` (EC2 `DescribeInstanceTypes`); a type EC2 does not know is
    /// left out, so the caller sees which it could not size.
    async fn instance_type_sizes(&self, types: &[String]) -> CloudResult<Vec<InstanceTypeSize>>;
}
