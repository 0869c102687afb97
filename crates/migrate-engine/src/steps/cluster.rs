//! The Fargate cluster and the task definitions.

use migrate_journal::Intent;

use super::{Outcome, Prepared};
use crate::context::{Ctx, Outputs};
use crate::error::StepError;
use crate::ports::{ClusterSpec, TaskDefinitionSpec};

/// Records whether the cluster existed before, so that a rollback never deletes a cluster this
/// plan did not create.
pub async fn prepare_cluster(ctx: &Ctx<'_>) -> Result<Prepared, StepError> {
    let name = &ctx.plan().names.cluster;
    let existing = ctx.cloud.containers.find_cluster(name).await?;
    let preexisting = existing.is_some_and(|c| c.status == "ACTIVE");
    let mut prepared = Prepared::new(format!("create cluster {name}")).token(name.clone());
    prepared
        .recorded
        .insert("preexisting".into(), preexisting.to_string());
    Ok(prepared)
}

fn cluster_outputs(name: &str, arn: &str) -> Outputs {
    Outputs::from([
        ("name".into(), name.to_string()),
        ("arn".into(), arn.to_string()),
    ])
}

pub async fn find_cluster(ctx: &Ctx<'_>, _intent: &Intent) -> Result<Option<Outputs>, StepError> {
    let name = &ctx.plan().names.cluster;
    Ok(ctx
        .cloud
        .containers
        .find_cluster(name)
        .await?
        .filter(|c| c.status == "ACTIVE")
        .map(|c| cluster_outputs(&c.name, &c.arn)))
}

pub async fn create_cluster(ctx: &Ctx<'_>, intent: &Intent) -> Result<Outcome, StepError> {
    if let Some(found) = find_cluster(ctx, intent).await? {
        return Ok(Outcome::Done(found));
    }
    let spec = ClusterSpec {
        name: ctx.plan().names.cluster.clone(),
        container_insights: ctx.playbook().target.container_insights,
        tags: ctx.tags(),
    };
    let cluster = ctx.cloud.containers.create_cluster(&spec).await?;
    Ok(Outcome::Done(cluster_outputs(&cluster.name, &cluster.arn)))
}

pub async fn delete_cluster(
    ctx: &Ctx<'_>,
    outputs: &Outputs,
    recorded: &Outputs,
) -> Result<(), StepError> {
    if recorded.get("preexisting").map(String::as_str) == Some("true") {
        return Ok(());
    }
    let Some(name) = outputs.get("name") else {
        return Ok(());
    };
    ignore_not_found(ctx.cloud.containers.delete_cluster(name).await)
}

pub async fn find_task_definition(
    ctx: &Ctx<'_>,
    service: &str,
) -> Result<Option<Outputs>, StepError> {
    let family = &ctx.plan().names.families[service];
    Ok(ctx
        .cloud
        .containers
        .find_task_definition(family, &ctx.plan().id)
        .await?
        .map(|td| {
            Outputs::from([
                ("arn".into(), td.arn),
                ("revision".into(), td.revision.to_string()),
            ])
        }))
}

pub async fn register_task_definition(
    ctx: &Ctx<'_>,
    service: &str,
    definition: &serde_json::Value,
) -> Result<Outcome, StepError> {
    // Registering is not idempotent (every call makes a new revision), so look first.
    if let Some(found) = find_task_definition(ctx, service).await? {
        return Ok(Outcome::Done(found));
    }
    let spec = TaskDefinitionSpec {
        family: ctx.plan().names.families[service].clone(),
        definition: definition.clone(),
        tags: ctx.tags(),
    };
    let td = ctx.cloud.containers.register_task_definition(&spec).await?;
    Ok(Outcome::Done(Outputs::from([
        ("arn".into(), td.arn),
        ("revision".into(), td.revision.to_string()),
    ])))
}

pub async fn deregister_task_definition(ctx: &Ctx<'_>, outputs: &Outputs) -> Result<(), StepError> {
    let Some(arn) = outputs.get("arn") else {
        return Ok(());
    };
    ignore_not_found(ctx.cloud.containers.deregister_task_definition(arn).await)
}

/// Compensations treat "already gone" as done.
pub fn ignore_not_found(result: Result<(), crate::ports::CloudError>) -> Result<(), StepError> {
    match result {
        Err(e) if e.is_not_found() => Ok(()),
        other => other.map_err(StepError::from),
    }
}
