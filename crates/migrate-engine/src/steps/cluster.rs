//! The Fargate cluster and the task definitions.

use async_trait::async_trait;

use super::{ignore_not_found, names, Lookup, Outcome, Prepared, Reconciliation, Step, Undoing};
use crate::context::Ctx;
use crate::error::StepError;
use crate::outputs::{ClusterBefore, ClusterCreated, PreflightPassed, TaskDefinitionRegistered};
use crate::ports::{ClusterSpec, TaskDefinitionSpec};
use crate::preflight;

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
            definition: resolve_roles(ctx, self.definition)?,
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

/// The definition with every role given by name replaced by its ARN in the caller's account and
/// partition, as the preflight read them (never derived from an image's registry, which may be a
/// shared ECR account). A full ARN is kept as given.
fn resolve_roles(
    ctx: &Ctx<'_>,
    definition: &serde_json::Value,
) -> Result<serde_json::Value, StepError> {
    let mut resolved = definition.clone();
    for key in ["executionRoleArn", "taskRoleArn"] {
        let Some(reference) = definition[key].as_str() else {
            continue;
        };
        if reference.starts_with("arn:") {
            continue;
        }
        let preflight = ctx.optional_output::<PreflightPassed>()?.ok_or_else(|| {
            StepError::precondition(format!(
                "{key} names the role {reference} without an account, and no preflight recorded the caller's account; plan again (the plan has no preflight step) or give the role's full ARN"
            ))
        })?;
        let arn = match preflight.roles.get(reference) {
            Some(arn) => arn.clone(),
            None => preflight::role_arn_in(&preflight.partition, &preflight.account, reference),
        };
        resolved[key] = serde_json::Value::String(arn);
    }
    Ok(resolved)
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
