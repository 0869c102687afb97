//! ECS: clusters, task definitions and services.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{CloudResult, Tags};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterSpec {
    pub name: String,
    pub container_insights: bool,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cluster {
    pub name: String,
    pub arn: String,
    /// `ACTIVE`, `INACTIVE`, ...: an `INACTIVE` cluster counts as absent.
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskDefinitionSpec {
    pub family: String,
    /// The `RegisterTaskDefinition` request body as JSON (the shape `aws ecs
    /// register-task-definition --cli-input-json` takes), already Fargate-ready.
    pub definition: serde_json::Value,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskDefinitionRef {
    pub arn: String,
    pub family: String,
    pub revision: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceLoadBalancer {
    pub target_group_arn: String,
    pub container_name: String,
    pub container_port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSpec {
    pub cluster: String,
    pub name: String,
    pub task_definition_arn: String,
    pub desired_count: u32,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub assign_public_ip: bool,
    pub load_balancer: Option<ServiceLoadBalancer>,
    /// More target groups the load balancer's container and port register in (ECS allows
    /// five per service); the `listener` strategy's bridge target group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_registers_in: Vec<String>,
    pub health_check_grace_period_secs: Option<u32>,
    pub enable_execute_command: bool,
    /// ECS `clientToken`: the same token with the same parameters returns the existing service.
    pub client_token: String,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceStatus {
    pub arn: String,
    pub name: String,
    pub cluster: String,
    /// `ACTIVE`, `DRAINING` or `INACTIVE`; `INACTIVE` counts as absent.
    pub status: String,
    pub task_definition_arn: String,
    pub desired_count: u32,
    pub running_count: u32,
    pub pending_count: u32,
    /// True when the service has a single deployment whose running count equals its desired count
    /// (what `aws ecs wait services-stable` waits for).
    pub steady: bool,
    /// Reasons of recently stopped tasks, newest first (the first thing to read when tasks cycle).
    pub stopped_reasons: Vec<String>,
    /// The target groups its tasks register in, with the container and port, as ECS lists them.
    pub load_balancers: Vec<ServiceLoadBalancer>,
}

#[async_trait]
pub trait ContainerPlatform: Send + Sync {
    async fn find_cluster(&self, name: &str) -> CloudResult<Option<Cluster>>;
    async fn create_cluster(&self, spec: &ClusterSpec) -> CloudResult<Cluster>;
    async fn delete_cluster(&self, name: &str) -> CloudResult<()>;

    /// The newest ACTIVE revision of `family` that carries `migrate:plan-id = plan_id`.
    async fn find_task_definition(
        &self,
        family: &str,
        plan_id: &str,
    ) -> CloudResult<Option<TaskDefinitionRef>>;
    async fn register_task_definition(
        &self,
        spec: &TaskDefinitionSpec,
    ) -> CloudResult<TaskDefinitionRef>;
    async fn deregister_task_definition(&self, arn: &str) -> CloudResult<()>;

    async fn find_service(&self, cluster: &str, name: &str) -> CloudResult<Option<ServiceStatus>>;
    async fn create_service(&self, spec: &ServiceSpec) -> CloudResult<ServiceStatus>;
    async fn set_desired_count(
        &self,
        cluster: &str,
        service: &str,
        desired: u32,
    ) -> CloudResult<()>;
    /// Replaces the target groups the service's tasks register in (`UpdateService`
    /// `loadBalancers`). ECS answers at once and then rolls the service: "Amazon ECS starts new
    /// tasks with the updated Elastic Load Balancing configuration, and then stops the old tasks
    /// when the new tasks are running"; a rolling-update service may go from several target
    /// groups to one
    /// (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html>).
    async fn set_load_balancers(
        &self,
        cluster: &str,
        service: &str,
        load_balancers: &[ServiceLoadBalancer],
    ) -> CloudResult<()>;
    /// Deletes the service, scaling it to zero first (`force`).
    async fn delete_service(&self, cluster: &str, service: &str) -> CloudResult<()>;

    /// The task definition as `describe-task-definition` prints its `taskDefinition` member
    /// (discovery of the old side; the translator turns it into a Fargate one).
    async fn describe_task_definition(&self, arn: &str) -> CloudResult<Option<serde_json::Value>>;
    /// Names of the Auto Scaling groups whose instances are the cluster's container instances.
    async fn container_instance_groups(&self, cluster: &str) -> CloudResult<Vec<String>>;
}
