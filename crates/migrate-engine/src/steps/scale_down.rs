//! Scaling the old side to zero, after the drain, and back on rollback.

use migrate_journal::Intent;

use super::{Outcome, Prepared};
use crate::context::{Ctx, Outputs, POLL};
use crate::error::StepError;
use crate::ports::Capacity;

fn group_name(ctx: &Ctx<'_>) -> Result<String, StepError> {
    ctx.output("discover-source", "auto_scaling_group")
}

fn old_cluster(ctx: &Ctx<'_>) -> String {
    ctx.playbook()
        .source
        .ecs_cluster
        .clone()
        .unwrap_or_default()
}

fn number(map: &Outputs, key: &str) -> Result<u32, StepError> {
    map.get(key)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| StepError::precondition(format!("the recorded value `{key}` is missing")))
}

/// Records the capacity before it is changed: after a lost response, AWS already shows zero.
pub async fn prepare_group(ctx: &Ctx<'_>) -> Result<Prepared, StepError> {
    let name = group_name(ctx)?;
    let group = ctx.cloud.scaling.find_group(&name).await?.ok_or_else(|| {
        StepError::precondition(format!("the Auto Scaling group {name} no longer exists"))
    })?;
    let mut prepared = Prepared::new(format!("scale Auto Scaling group {name} to 0"));
    prepared
        .recorded
        .insert("min".into(), group.capacity.min.to_string());
    prepared
        .recorded
        .insert("max".into(), group.capacity.max.to_string());
    prepared
        .recorded
        .insert("desired".into(), group.capacity.desired.to_string());
    Ok(prepared)
}

pub async fn scale_group(ctx: &Ctx<'_>, intent: &Intent) -> Result<Outcome, StepError> {
    let name = group_name(ctx)?;
    let max = number(&intent.recorded, "max")?;
    ctx.cloud
        .scaling
        .set_capacity(
            &name,
            Capacity {
                min: 0,
                max,
                desired: 0,
            },
        )
        .await?;
    loop {
        let Some(group) = ctx.tolerate(ctx.cloud.scaling.find_group(&name).await)? else {
            ctx.pause(POLL, || format!("{name} could not be read"))
                .await?;
            continue;
        };
        let in_service = group.map_or(0, |g| g.in_service);
        if in_service == 0 {
            break;
        }
        ctx.waiting(
            &format!("{in_service} instances of {name} still running"),
            None,
        );
        ctx.pause(POLL, || format!("instances of {name} did not terminate"))
            .await?;
    }
    Ok(Outcome::Done(intent.recorded.clone()))
}

pub async fn restore_group(ctx: &Ctx<'_>, recorded: &Outputs) -> Result<(), StepError> {
    if recorded.is_empty() {
        return Ok(());
    }
    let name = group_name(ctx)?;
    let capacity = Capacity {
        min: number(recorded, "min")?,
        max: number(recorded, "max")?,
        desired: number(recorded, "desired")?,
    };
    ctx.cloud.scaling.set_capacity(&name, capacity).await?;
    loop {
        let in_service = ctx
            .tolerate(ctx.cloud.scaling.find_group(&name).await)?
            .flatten()
            .map_or(0, |g| g.in_service);
        if in_service >= capacity.desired {
            break;
        }
        ctx.waiting(
            &format!(
                "{in_service}/{} instances of {name} in service",
                capacity.desired
            ),
            None,
        );
        ctx.pause(POLL, || {
            format!("{name} did not get back to {} instances", capacity.desired)
        })
        .await?;
    }
    // Whether the old side serves again is checked where it matters: the DNS restore waits for a
    // healthy target behind the old load balancer before it sends traffic back.
    Ok(())
}

pub async fn prepare_service(ctx: &Ctx<'_>, service: &str) -> Result<Prepared, StepError> {
    let cluster = old_cluster(ctx);
    let status = ctx
        .cloud
        .containers
        .find_service(&cluster, service)
        .await?
        .ok_or_else(|| {
            StepError::precondition(format!("the old service {service} no longer exists"))
        })?;
    let mut prepared = Prepared::new(format!("scale old ECS service {service} to 0"));
    prepared
        .recorded
        .insert("desired".into(), status.desired_count.to_string());
    Ok(prepared)
}

pub async fn scale_service(
    ctx: &Ctx<'_>,
    intent: &Intent,
    service: &str,
) -> Result<Outcome, StepError> {
    let cluster = old_cluster(ctx);
    ctx.cloud
        .containers
        .set_desired_count(&cluster, service, 0)
        .await?;
    Ok(Outcome::Done(intent.recorded.clone()))
}

pub async fn restore_service(
    ctx: &Ctx<'_>,
    service: &str,
    recorded: &Outputs,
) -> Result<(), StepError> {
    if recorded.is_empty() {
        return Ok(());
    }
    let cluster = old_cluster(ctx);
    let desired = number(recorded, "desired")?;
    ctx.cloud
        .containers
        .set_desired_count(&cluster, service, desired)
        .await?;
    loop {
        let running = ctx
            .tolerate(ctx.cloud.containers.find_service(&cluster, service).await)?
            .flatten()
            .map_or(0, |s| s.running_count);
        if running >= desired {
            break;
        }
        ctx.waiting(
            &format!("old service {service}: {running}/{desired} tasks running"),
            None,
        );
        ctx.pause(POLL, || {
            format!("the old service {service} did not get back to {desired} tasks")
        })
        .await?;
    }
    Ok(())
}
