//! The account as the preflight reads it: who the caller is, which roles exist and what they may
//! do, how the subnets reach AWS's endpoints, the Fargate vCPU quota and the old side's instance
//! profile. Every method only reads.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::CloudResult;

/// The caller, as STS `GetCallerIdentity` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerIdentity {
    pub account: String,
    /// `aws`, `aws-us-gov`, `aws-cn`: the second field of the caller's ARN.
    pub partition: String,
    pub arn: String,
}

/// An IAM role as `GetRole` answers (the ARN includes the role's path).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    pub arn: String,
}

/// What IAM's policy simulator decided for one action on one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    Allowed,
    ExplicitDeny,
    ImplicitDeny,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub action: String,
    pub decision: Decision,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    pub availability_zone: String,
}

/// Where a route sends its traffic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "kebab-case")]
pub enum RouteTarget {
    InternetGateway(String),
    NatGateway(String),
    /// A peering connection, a transit gateway, an instance, a gateway endpoint, …
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// The IPv4 CIDR (or prefix list id) the route matches.
    pub destination: String,
    pub target: RouteTarget,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteTable {
    pub id: String,
    /// The VPC's main table: it serves every subnet without an explicit association.
    pub main: bool,
    /// Subnets explicitly associated with the table.
    pub subnet_ids: Vec<String>,
    pub routes: Vec<Route>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EndpointKind {
    Interface,
    Gateway,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcEndpoint {
    pub id: String,
    /// e.g. `com.amazonaws.ap-northeast-1.ecr.dkr`.
    pub service_name: String,
    pub kind: EndpointKind,
    /// The subnets of an interface endpoint.
    pub subnet_ids: Vec<String>,
    /// The route tables of a gateway endpoint.
    pub route_table_ids: Vec<String>,
}

/// The reads the preflight makes; none changes anything.
#[async_trait]
pub trait Account: Send + Sync {
    /// STS `GetCallerIdentity` (needs no permission).
    async fn caller_identity(&self) -> CloudResult<CallerIdentity>;
    /// IAM `GetRole`; `None` when no role has this name.
    async fn find_role(&self, name: &str) -> CloudResult<Option<Role>>;
    /// IAM `SimulatePrincipalPolicy` of `principal_arn` for `actions` on `resource`.
    async fn simulate(
        &self,
        principal_arn: &str,
        actions: &[String],
        resource: &str,
    ) -> CloudResult<Vec<Evaluation>>;
    /// EC2 `DescribeSubnets`; a subnet that does not exist is [`super::ErrorKind::NotFound`].
    async fn subnets(&self, ids: &[String]) -> CloudResult<Vec<Subnet>>;
    /// EC2 `DescribeRouteTables` of the VPC.
    async fn route_tables(&self, vpc_id: &str) -> CloudResult<Vec<RouteTable>>;
    /// EC2 `DescribeVpcEndpoints` of the VPC (available or pending ones only).
    async fn vpc_endpoints(&self, vpc_id: &str) -> CloudResult<Vec<VpcEndpoint>>;
    /// Service Quotas `GetServiceQuota` for Fargate On-Demand vCPUs (`L-3032A538`).
    async fn fargate_vcpu_quota(&self) -> CloudResult<f64>;
    /// The instance profile (ARN or name) the group's instances are launched with, read from
    /// its launch template or launch configuration; `None` when they have none.
    async fn instance_profile_of_group(&self, group: &str) -> CloudResult<Option<String>>;
}
