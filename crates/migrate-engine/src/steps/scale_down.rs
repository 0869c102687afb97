//! Scaling the old side to zero, after the drain, and back on rollback. Both steps set a value
//! (capacity, desired count), so they are idempotent as a whole; each records the value before
//! the change in its intent, because after a lost response AWS already shows zero.

use async_trait::async_trait;

use super::{Outcome, Prepared, Reconciliation, Step, Undoing};
use crate::context::{Ctx, POLL};
use crate::error::StepError;
use crate::outputs::{DesiredCount, GroupScaledDown, SourceDiscovered};
use crate::ports::Capacity;

fn group_name(ctx: &Ctx<'_>) -> Result<String, StepError> {
    ctx.output::<SourceDiscovered>()?
        .auto_scaling_group
        .map(|group| group.name)
        .ok_or_else(|| {
            StepError::precondition(
                "discover-source recorded no Auto Scaling group to scale down; the state is \
                 inconsistent",
            )
        })
}

fn old_cluster(ctx: &Ctx<'_>) -> String {
    ctx.playbook()
        .source
        .ecs_cluster
        .clone()
        .unwrap_or_default()
}

/// `scale-down-old-auto-scaling-group`.
pub struct ScaleDownAutoScalingGroup;

#[async_trait]
impl Step for ScaleDownAutoScalingGroup {
    type Output = GroupScaledDown;
    type Recorded = Capacity;

    /// Records the capacity before it is changed.
    async fn prepare(&self, ctx: &Ctx<'_>) -> Result<Prepared<Capacity>, StepError> {
        let name = group_name(ctx)?;
        let group = ctx.cloud.scaling.find_group(&name).await?.ok_or_else(|| {
            StepError::precondition(format!("the Auto Scaling group {name} no longer exists"))
        })?;
        Ok(
            Prepared::new(format!("scale Auto Scaling group {name} to 0"))
                .recording(group.capacity),
        )
    }

    async fn execute(
        &self,
        ctx: &Ctx<'_>,
        before: &Capacity,
    ) -> Result<Outcome<GroupScaledDown>, StepError> {
        let name = group_name(ctx)?;
        ctx.cloud
            .scaling
            .set_capacity(
                &name,
                Capacity {
                    min: 0,
                    max: before.max,
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
        Ok(Outcome::Done(GroupScaledDown { previous: *before }))
    }

    fn reconciliation(&self) -> Reconciliation<'_, GroupScaledDown> {
        Reconciliation::IdempotentAsWhole
    }

    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        undoing: Undoing<GroupScaledDown, Capacity>,
    ) -> Result<(), StepError> {
        let Some(capacity) = undoing.recorded else {
            return Ok(());
        };
        let name = group_name(ctx)?;
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
        // Whether the old side serves again is checked where it matters: the DNS restore waits
        // for a healthy target behind the old load balancer before it sends traffic back.
        Ok(())
    }
}

/// `scale-down-old-service:<service>`.
pub struct ScaleDownOldService<'a> {
    pub service: &'a str,
}

#[async_trait]
impl Step for ScaleDownOldService<'_> {
    type Output = DesiredCount;
    type Recorded = DesiredCount;

    async fn prepare(&self, ctx: &Ctx<'_>) -> Result<Prepared<DesiredCount>, StepError> {
        let service = self.service;
        let status = ctx
            .cloud
            .containers
            .find_service(&old_cluster(ctx), service)
            .await?
            .ok_or_else(|| {
                StepError::precondition(format!("the old service {service} no longer exists"))
            })?;
        Ok(
            Prepared::new(format!("scale old ECS service {service} to 0")).recording(
                DesiredCount {
                    desired: status.desired_count,
                },
            ),
        )
    }

    async fn execute(
        &self,
        ctx: &Ctx<'_>,
        before: &DesiredCount,
    ) -> Result<Outcome<DesiredCount>, StepError> {
        ctx.cloud
            .containers
            .set_desired_count(&old_cluster(ctx), self.service, 0)
            .await?;
        Ok(Outcome::Done(*before))
    }

    fn reconciliation(&self) -> Reconciliation<'_, DesiredCount> {
        Reconciliation::IdempotentAsWhole
    }

    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        undoing: Undoing<DesiredCount, DesiredCount>,
    ) -> Result<(), StepError> {
        let Some(DesiredCount { desired }) = undoing.recorded else {
            return Ok(());
        };
        let service = self.service;
        let cluster = old_cluster(ctx);
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
}
