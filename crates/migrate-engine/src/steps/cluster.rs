//! The Fargate cluster and the task definitions.

use async_trait::async_trait;

use super::{ignore_not_found, names, Lookup, Outcome, Prepared, Reconciliation, Step, Undoing};
use crate::context::Ctx;
use crate::error::StepError;
use crate::outputs::{ClusterBefore, ClusterCreated, TaskDefinitionRegistered};
use crate::ports::{ClusterSpec, TaskDefinitionSpec};

/// `create-cluster`.
pub struct CreateCluster;

#[async_trait]
impl Step for CreateCluster {
    type Output = ClusterCreated;
    type Recorded = ClusterBefore;

    /// Records whether the cluster existed before, so that a rollback never deletes a cluster
    /// this plan did not create.
    async fn prepare(&self, ctx: &Ctx<'_>) -> Result<Prepared<ClusterBefore>, StepError> {
        let name = &ctx.plan().names.cluster;
        let existing = ctx.cloud.containers.find_cluster(name).await?;
        let preexisting = existing.is_some_and(|c| c.status == "ACTIVE");
        Ok(Prepared::new(format!("create cluster {name}"))
            .token(name.clone())
            .recording(ClusterBefore { preexisting }))
    }

    async fn execute(
        &self,
        ctx: &Ctx<'_>,
        _: &ClusterBefore,
    ) -> Result<Outcome<ClusterCreated>, StepError> {
        if let Some(found) = self.find(ctx).await? {
            return Ok(Outcome::Done(found));
        }
        let spec = ClusterSpec {
            name: ctx.plan().names.cluster.clone(),
            container_insights: ctx.playbook().target.container_insights,
            tags: ctx.tags(),
        };
        let cluster = ctx.cloud.containers.create_cluster(&spec).await?;
        Ok(Outcome::Done(ClusterCreated {
            name: cluster.name,
            arn: cluster.arn,
        }))
    }

    fn reconciliation(&self) -> Reconciliation<'_, ClusterCreated> {
        Reconciliation::Lookup(self)
    }

    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        undoing: Undoing<ClusterCreated, ClusterBefore>,
    ) -> Result<(), StepError> {
        if undoing.recorded.is_some_and(|before| before.preexisting) {
            return Ok(());
        }
        let Some(cluster) = undoing.outputs else {
            return Ok(());
        };
        ignore_not_found(ctx.cloud.containers.delete_cluster(&cluster.name).await)
    }
}

#[async_trait]
impl Lookup<ClusterCreated> for CreateCluster {
    async fn find(&self, ctx: &Ctx<'_>) -> Result<Option<ClusterCreated>, StepError> {
        let name = &ctx.plan().names.cluster;
        Ok(ctx
            .cloud
            .containers
            .find_cluster(name)
            .await?
            .filter(|c| c.status == "ACTIVE")
            .map(|c| ClusterCreated {
                name: c.name,
                arn: c.arn,
            }))
    }
}

/// `register-task-definition:<service>`.
pub struct RegisterTaskDefinition<'a> {
    pub service: &'a str,
    /// The Fargate-ready `RegisterTaskDefinition` body.
    pub definition: &'a serde_json::Value,
}

#[async_trait]
impl Step for RegisterTaskDefinition<'_> {
    type Output = TaskDefinitionRegistered;
    type Recorded = ();

    async fn prepare(&self, ctx: &Ctx<'_>) -> Result<Prepared<()>, StepError> {
        let family = names::family(&ctx.plan().names, self.service)?;
        Ok(Prepared::new(format!("register task definition {family}")))
    }

    async fn execute(
        &self,
        ctx: &Ctx<'_>,
        (): &(),
    ) -> Result<Outcome<TaskDefinitionRegistered>, StepError> {
        // Registering is not idempotent (every call makes a new revision), so look first.
        if let Some(found) = self.find(ctx).await? {
            return Ok(Outcome::Done(found));
        }
        let spec = TaskDefinitionSpec {
            family: names::family(&ctx.plan().names, self.service)?.to_string(),
            definition: self.definition.clone(),
            tags: ctx.tags(),
        };
        let td = ctx.cloud.containers.register_task_definition(&spec).await?;
        Ok(Outcome::Done(TaskDefinitionRegistered {
            arn: td.arn,
            revision: td.revision,
        }))
    }

    fn reconciliation(&self) -> Reconciliation<'_, TaskDefinitionRegistered> {
        Reconciliation::Lookup(self)
    }

    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        undoing: Undoing<TaskDefinitionRegistered, ()>,
    ) -> Result<(), StepError> {
        let Some(registered) = undoing.outputs else {
            return Ok(());
        };
        ignore_not_found(
            ctx.cloud
                .containers
                .deregister_task_definition(&registered.arn)
                .await,
        )
    }
}

#[async_trait]
impl Lookup<TaskDefinitionRegistered> for RegisterTaskDefinition<'_> {
    async fn find(&self, ctx: &Ctx<'_>) -> Result<Option<TaskDefinitionRegistered>, StepError> {
        let family = names::family(&ctx.plan().names, self.service)?;
        Ok(ctx
            .cloud
            .containers
            .find_task_definition(family, &ctx.plan().id)
            .await?
            .map(|td| TaskDefinitionRegistered {
                arn: td.arn,
                revision: td.revision,
            }))
    }
}
