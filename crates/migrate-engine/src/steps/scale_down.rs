//! Scaling the old side to zero, after the drain, and back on rollback. Both steps set a value
//! (capacity, desired count), so they are idempotent as a whole; each records the values before
//! the change in its intent, because after a lost response AWS already shows zero.
//!
//! Zero has to stick. An Auto Scaling group raises itself again through scheduled actions and
//! alarm-triggered policies, launches replacements, and never terminates an instance protected
//! from scale-in; so before it scales the group to zero the step suspends `Launch`,
//! `AlarmNotification`, `ScheduledActions` and `AZRebalance`
//! (<https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-suspend-resume-processes.html>,
//! <https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-scheduled-scaling.html>)
//! and clears the instances' scale-in protection
//! (<https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-instance-protection.html>).
//! An old ECS service with an Application Auto Scaling target is scaled back up to the target's
//! minimum, so its minimum is set to 0 first
//! (<https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html>).
//! Rollback undoes exactly what the step did: it resumes only the processes it suspended,
//! protects again the instances it unprotected that are still in the group, and restores the
//! target's minimum and maximum.

use async_trait::async_trait;

use super::{Outcome, Prepared, Reconciliation, Step, Undoing};
use crate::context::{Ctx, POLL};
use crate::error::StepError;
use crate::outputs::{DesiredCount, GroupHold, GroupScaledDown, ServiceHold, SourceDiscovered};
use crate::ports::{ecs_service_resource_id, Capacity, ScalableTargetSpec, Tags};

/// The processes suspended while the old group is at zero: what would launch instances again.
pub const HELD_PROCESSES: [&str; 4] = [
    "Launch",
    "AlarmNotification",
    "ScheduledActions",
    "AZRebalance",
];

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
    type Recorded = GroupHold;

    /// Records the capacity, the suspended processes and the protected instances before
    /// anything is changed.
    async fn prepare(&self, ctx: &Ctx<'_>) -> Result<Prepared<GroupHold>, StepError> {
        let name = group_name(ctx)?;
        let hold = read_group_hold(ctx, &name, &HELD_PROCESSES).await?;
        Ok(Prepared::new(format!("scale Auto Scaling group {name} to 0")).recording(hold))
    }

    async fn execute(
        &self,
        ctx: &Ctx<'_>,
        before: &GroupHold,
    ) -> Result<Outcome<GroupScaledDown>, StepError> {
        let name = group_name(ctx)?;
        hold_group(ctx, &name, before, 0).await?;
        Ok(Outcome::Done(GroupScaledDown {
            previous: before.capacity,
            suspended: before.suspends.clone(),
            unprotected: before.protected.clone(),
        }))
    }

    fn reconciliation(&self) -> Reconciliation<'_, GroupScaledDown> {
        Reconciliation::IdempotentAsWhole
    }

    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        undoing: Undoing<GroupScaledDown, GroupHold>,
    ) -> Result<(), StepError> {
        let Some(hold) = undoing.recorded else {
            return Ok(());
        };
        restore_group(ctx, &group_name(ctx)?, &hold).await
    }
}

/// `scale-down-old-service:<service>`.
pub struct ScaleDownOldService<'a> {
    pub service: &'a str,
}

#[async_trait]
impl Step for ScaleDownOldService<'_> {
    type Output = DesiredCount;
    type Recorded = ServiceHold;

    async fn prepare(&self, ctx: &Ctx<'_>) -> Result<Prepared<ServiceHold>, StepError> {
        let service = self.service;
        let hold = read_service_hold(ctx, service).await?;
        Ok(Prepared::new(format!("scale old ECS service {service} to 0")).recording(hold))
    }

    async fn execute(
        &self,
        ctx: &Ctx<'_>,
        before: &ServiceHold,
    ) -> Result<Outcome<DesiredCount>, StepError> {
        hold_service(ctx, self.service, before, 0).await?;
        Ok(Outcome::Done(before.count))
    }

    fn reconciliation(&self) -> Reconciliation<'_, DesiredCount> {
        Reconciliation::IdempotentAsWhole
    }

    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        undoing: Undoing<DesiredCount, ServiceHold>,
    ) -> Result<(), StepError> {
        let Some(hold) = undoing.recorded else {
            return Ok(());
        };
        restore_service(ctx, self.service, &hold).await
    }
}

/// Suspends the processes `before` lists, clears the scale-in protection it recorded (of the
/// instances still in the group), sets the group to `units` (min = desired = `units`; the
/// maximum too when `units` is above zero, so that no policy raises it) and waits until no more
/// than `units` instances are in service.
pub(super) async fn hold_group(
    ctx: &Ctx<'_>,
    name: &str,
    before: &GroupHold,
    units: u32,
) -> Result<(), StepError> {
    let scaling = &ctx.cloud.scaling;
    if !before.suspends.is_empty() {
        ctx.call(|| scaling.suspend_processes(name, &before.suspends))
            .await?;
    }
    // Only instances still in the group can be unprotected (after a crash some may be gone).
    let still_protected = ctx.call(|| scaling.protected_instances(name)).await?;
    let unprotect: Vec<String> = before
        .protected
        .iter()
        .filter(|id| still_protected.contains(id))
        .cloned()
        .collect();
    if !unprotect.is_empty() {
        ctx.call(|| scaling.set_scale_in_protection(name, &unprotect, false))
            .await?;
    }
    let max = if units == 0 {
        before.capacity.max
    } else {
        units
    };
    scaling
        .set_capacity(
            name,
            Capacity {
                min: units,
                max,
                desired: units,
            },
        )
        .await?;
    loop {
        let Some(group) = ctx.tolerate(scaling.find_group(name).await)? else {
            ctx.pause(POLL, || format!("{name} could not be read"))
                .await?;
            continue;
        };
        let Some(group) = group else { break };
        if group.in_service <= units {
            break;
        }
        let in_service = group.in_service;
        let desired = group.capacity.desired;
        ctx.waiting(
            &format!("{in_service} instances of {name} still running (desired {desired})"),
            None,
        );
        let group_name = name.to_string();
        ctx.pause(POLL, move || {
            format!(
                "instances of {group_name} did not terminate: {in_service} in service, desired \
                 {desired} (an instance protected from scale-in, or a scaling process that \
                 raised the group again)"
            )
        })
        .await?;
    }
    Ok(())
}

/// Undoes [`hold_group`]: resumes the processes it suspended, restores the recorded capacity,
/// waits for the instances, and protects again the survivors it unprotected.
pub(super) async fn restore_group(
    ctx: &Ctx<'_>,
    name: &str,
    hold: &GroupHold,
) -> Result<(), StepError> {
    let scaling = &ctx.cloud.scaling;
    let capacity = hold.capacity;
    // Launch first: with it suspended the group would never get its instances back.
    if !hold.suspends.is_empty() {
        scaling.resume_processes(name, &hold.suspends).await?;
    }
    scaling.set_capacity(name, capacity).await?;
    loop {
        let in_service = ctx
            .tolerate(scaling.find_group(name).await)?
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
    // Protection belongs to an instance: those that terminated are gone with it, the
    // survivors (a scale-down that stopped early) get theirs back.
    if !hold.protected.is_empty() {
        let present = scaling.instance_ids(name).await?;
        let survivors: Vec<String> = hold
            .protected
            .iter()
            .filter(|id| present.contains(id))
            .cloned()
            .collect();
        if !survivors.is_empty() {
            scaling
                .set_scale_in_protection(name, &survivors, true)
                .await?;
        }
    }
    // Whether the old side serves again is checked where it matters: the DNS restore waits
    // for a healthy target behind the old load balancer before it sends traffic back.
    Ok(())
}

/// Reads what [`hold_group`] needs recorded before it changes `name`: the capacity, the
/// processes of `processes` not yet suspended, the protected instances.
pub(super) async fn read_group_hold(
    ctx: &Ctx<'_>,
    name: &str,
    processes: &[&str],
) -> Result<GroupHold, StepError> {
    let scaling = &ctx.cloud.scaling;
    let group = ctx
        .call(|| scaling.find_group(name))
        .await?
        .ok_or_else(|| {
            StepError::precondition(format!("the Auto Scaling group {name} no longer exists"))
        })?;
    let suspended_before = ctx.call(|| scaling.suspended_processes(name)).await?;
    let protected = ctx.call(|| scaling.protected_instances(name)).await?;
    let suspends: Vec<String> = processes
        .iter()
        .filter(|p| !suspended_before.iter().any(|s| s == *p))
        .map(|p| (*p).to_string())
        .collect();
    Ok(GroupHold {
        capacity: group.capacity,
        suspended_before,
        suspends,
        protected,
    })
}

/// Reads an old ECS service's desired count and scalable target before it is changed.
pub(super) async fn read_service_hold(
    ctx: &Ctx<'_>,
    service: &str,
) -> Result<ServiceHold, StepError> {
    let cluster = old_cluster(ctx);
    let status = ctx
        .call(|| ctx.cloud.containers.find_service(&cluster, service))
        .await?
        .ok_or_else(|| {
            StepError::precondition(format!("the old service {service} no longer exists"))
        })?;
    let resource_id = ecs_service_resource_id(&cluster, service);
    let scalable_target = ctx
        .call(|| ctx.cloud.service_scaling.find_target(&resource_id))
        .await?;
    Ok(ServiceHold {
        count: DesiredCount {
            desired: status.desired_count,
        },
        scalable_target,
    })
}

/// Sets an old ECS service to `tasks`, its scalable target's minimum first (to zero, or pinned
/// at `tasks` with the maximum, so that the target does not raise it again).
pub(super) async fn hold_service(
    ctx: &Ctx<'_>,
    service: &str,
    before: &ServiceHold,
    tasks: u32,
) -> Result<(), StepError> {
    if let Some(target) = &before.scalable_target {
        let (min_count, max_count) = if tasks == 0 {
            (0, target.max_count)
        } else {
            (tasks, tasks)
        };
        if (min_count, max_count) != (target.min_count, target.max_count) {
            let spec = ScalableTargetSpec {
                resource_id: target.resource_id.clone(),
                min_count,
                max_count,
                tags: Tags::new(),
            };
            ctx.call(|| ctx.cloud.service_scaling.register_target(&spec))
                .await?;
        }
    }
    ctx.cloud
        .containers
        .set_desired_count(&old_cluster(ctx), service, tasks)
        .await?;
    Ok(())
}

/// Undoes [`hold_service`]: the recorded scalable target and desired count, then waits for the
/// tasks to run.
pub(super) async fn restore_service(
    ctx: &Ctx<'_>,
    service: &str,
    hold: &ServiceHold,
) -> Result<(), StepError> {
    let desired = hold.count.desired;
    let cluster = old_cluster(ctx);
    if let Some(target) = &hold.scalable_target {
        ctx.cloud
            .service_scaling
            .register_target(&ScalableTargetSpec {
                resource_id: target.resource_id.clone(),
                min_count: target.min_count,
                max_count: target.max_count,
                tags: Tags::new(),
            })
            .await?;
    }
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
