//! The overlap of a migration under its connection budget (`check-connection-budget` computed
//! the stages): `shrink-old-side` pins the old side before any new task starts, at the units a
//! sequence leaves it or, when the overlap fits, at the units it runs, and `grow-new-side` gives
//! the new services their desired counts and scaling bounds once the old side is scaled down.
//! Without a declared limit there is nothing to hold and both do nothing.
//!
//! Both sides are held while they overlap because the budget counts what runs when it is
//! checked: an old group that a scheduled action or a policy raises, or a new service that its
//! target tracking scales out, would take more connections than were counted. So the old side is
//! pinned (min = max = desired for the group, the scalable target of an old service, Beanstalk's
//! `MinSize`/`MaxSize`) with `ScheduledActions` and `AZRebalance` suspended (a rebalance launches
//! before it terminates,
//! <https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-suspend-resume-processes.html>; a
//! scheduled action sets the group's capacity at its time,
//! <https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-scheduled-scaling.html>),
//! and the new services' scalable targets are registered pinned at the count they start with
//! (`create-service-scaling`) until `grow-new-side`.
//!
//! A unit lets go of its connections only when its process exits, and that is after its load
//! balancer target has drained: an instance the group scales in is deregistered and waits out
//! the deregistration delay before it terminates
//! (<https://docs.aws.amazon.com/autoscaling/ec2/userguide/attach-load-balancer-asg.html>), and
//! an ECS task stopped by a lower desired count is deregistered and drained before it stops
//! (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/load-balancer-connection-draining.html>).
//! So both steps wait until the count is down and no target of the side they shrank is still
//! `draining`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use migrate_playbook::SourceKind;
use serde::{Deserialize, Serialize};

use super::beanstalk_capacity;
use super::scale_down::{
    hold_group, hold_service, read_group_hold, read_service_hold, restore_group, restore_service,
};
use super::{names, Outcome, Prepared, Reconciliation, Step, Undoing};
use crate::context::{Ctx, POLL};
use crate::error::StepError;
use crate::outputs::{
    BridgeTargetGroupCreated, BudgetChecked, GroupHold, NewSideGrown, OldSideShrunk, ServiceHold,
    SourceDiscovered, TargetGroupCreated,
};
use crate::ports::{
    ecs_service_resource_id, EnvironmentCapacity, ScalableTargetSpec, Tags, TargetState,
};

/// What the pinned group leaves alone: `Launch` still replaces an unhealthy instance, and
/// target tracking cannot move a group whose minimum and maximum are equal.
const SHRINK_HELD_PROCESSES: [&str; 2] = ["ScheduledActions", "AZRebalance"];

/// Whether a data store declares a connection limit that the overlap is held to: then both
/// sides are pinned while they overlap.
/// A plan without `grow-new-side` (made before the hold) has nothing to release a pin.
pub(super) fn budget_held(ctx: &Ctx<'_>) -> Result<bool, StepError> {
    Ok(ctx.plan().step("grow-new-side").is_some()
        && ctx
            .optional_output::<BudgetChecked>()?
            .is_some_and(|checked| checked.budget.is_some()))
}

/// The tasks `service` (a playbook name) starts with: fewer than its desired count when the
/// overlap is sequenced.
pub(super) fn start_count(ctx: &Ctx<'_>, service: &str, desired: u32) -> Result<u32, StepError> {
    Ok(ctx
        .optional_output::<BudgetChecked>()?
        .and_then(|checked| {
            checked
                .sequence()
                .map(|sequence| sequence.start_count(service, desired))
        })
        .unwrap_or(desired))
}

/// Waits until no target of `target_groups` is `draining`: the processes behind them still run
/// and hold their connections until then.
async fn wait_drained(
    ctx: &Ctx<'_>,
    target_groups: &[String],
    what: &str,
) -> Result<(), StepError> {
    loop {
        let mut draining = 0;
        let mut unread = false;
        for arn in target_groups {
            match ctx.tolerate(ctx.cloud.load_balancing.target_health(arn).await)? {
                Some(targets) => {
                    draining += targets
                        .iter()
                        .filter(|t| t.state == TargetState::Draining)
                        .count();
                }
                None => unread = true,
            }
        }
        if draining == 0 && !unread {
            return Ok(());
        }
        ctx.waiting(&format!("{draining} {what} targets still draining"), None);
        let what = what.to_string();
        ctx.pause(POLL, move || {
            format!("{draining} {what} targets never finished draining")
        })
        .await?;
    }
}

/// What `shrink-old-side` changed, recorded before it changes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum OldSideHold {
    /// Nothing to pin: no declared limit, or plain instances, which no policy scales.
    Nothing,
    Group {
        name: String,
        hold: GroupHold,
        units: u32,
    },
    Services {
        services: Vec<OldServiceHold>,
    },
    Environment {
        name: String,
        group: String,
        capacity: EnvironmentCapacity,
        units: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OldServiceHold {
    pub name: String,
    pub hold: ServiceHold,
    pub tasks: u32,
}

/// `shrink-old-side`.
pub struct ShrinkOldSide;

#[async_trait]
impl Step for ShrinkOldSide {
    type Output = OldSideShrunk;
    type Recorded = OldSideHold;

    async fn prepare(&self, ctx: &Ctx<'_>) -> Result<Prepared<OldSideHold>, StepError> {
        let checked = ctx.output::<BudgetChecked>()?;
        let kind = ctx.playbook().source.kind;
        if checked.budget.is_none() || (checked.sequence().is_none() && kind == SourceKind::Ec2) {
            return Ok(Prepared::new(
                "nothing to pin: no data store declares a connection limit, or the old side is \
                 plain instances, which no policy scales",
            )
            .recording(OldSideHold::Nothing));
        }
        let discovered = ctx.output::<SourceDiscovered>()?;
        // Over budget, the units the sequence leaves each group; within it, the units running.
        let old_groups = match checked.sequence() {
            Some(sequence) => sequence.old_groups.clone(),
            None => super::connection_budget::old_groups(kind, &discovered),
        };
        let shrinking = checked.sequence().is_some();
        let first = old_groups.first().copied().unwrap_or(0);
        let group = || {
            discovered
                .auto_scaling_group
                .as_ref()
                .map(|g| g.name.clone())
                .ok_or_else(|| {
                    StepError::precondition(
                        "discover-source recorded no Auto Scaling group to shrink; the state is \
                         inconsistent",
                    )
                })
        };
        let hold = match kind {
            SourceKind::Asg => {
                let name = group()?;
                let hold = read_group_hold(ctx, &name, &SHRINK_HELD_PROCESSES).await?;
                OldSideHold::Group {
                    name,
                    hold,
                    units: first,
                }
            }
            SourceKind::EcsEc2 => {
                if discovered.old_services.len() != old_groups.len() {
                    return Err(StepError::precondition(
                        "the connection budget's sequence does not match the old services \
                         discover-source found; the state is inconsistent",
                    ));
                }
                let mut services = Vec::new();
                for (old, tasks) in discovered.old_services.iter().zip(&old_groups) {
                    services.push(OldServiceHold {
                        name: old.name.clone(),
                        hold: read_service_hold(ctx, &old.name).await?,
                        tasks: *tasks,
                    });
                }
                OldSideHold::Services { services }
            }
            SourceKind::Beanstalk => {
                let name = beanstalk_capacity::environment_name(ctx)?;
                let environments = &ctx.cloud.environments;
                let capacity = ctx.call(|| environments.capacity_settings(&name)).await?;
                OldSideHold::Environment {
                    name,
                    group: group()?,
                    capacity,
                    units: first,
                }
            }
            SourceKind::Ec2 => {
                return Err(StepError::precondition(
                    "an ec2 source's capacity cannot be set; the plan should have refused the \
                     overlap instead",
                ))
            }
        };
        let units: u32 = old_groups.iter().sum();
        let plural = if units == 1 { "" } else { "s" };
        Ok(Prepared::new(if shrinking {
            format!("shrink the old side to {units} unit{plural} for the connection budget")
        } else {
            format!(
                "hold the old side at its {units} unit{plural} through the overlap, for the \
                 connection budget"
            )
        })
        .recording(hold))
    }

    async fn execute(
        &self,
        ctx: &Ctx<'_>,
        hold: &OldSideHold,
    ) -> Result<Outcome<OldSideShrunk>, StepError> {
        let old_units = match hold {
            OldSideHold::Nothing => {
                return Ok(Outcome::Skipped(
                    "no declared connection limit, or plain instances: nothing to pin".into(),
                ))
            }
            OldSideHold::Group { name, hold, units } => {
                hold_group(ctx, name, hold, *units).await?;
                *units
            }
            OldSideHold::Services { services } => {
                for old in services {
                    hold_service(ctx, &old.name, &old.hold, old.tasks).await?;
                }
                wait_old_tasks(ctx, services).await?;
                services.iter().map(|s| s.tasks).sum()
            }
            OldSideHold::Environment {
                name, group, units, ..
            } => {
                let pinned = EnvironmentCapacity {
                    min: *units,
                    max: *units,
                };
                beanstalk_capacity::update_when_ready(ctx, name, pinned).await?;
                beanstalk_capacity::wait_until_ready(ctx, name).await?;
                beanstalk_capacity::wait_for_group(ctx, group, *units, |n, wanted| n <= wanted)
                    .await?;
                *units
            }
        };
        let old_groups = ctx.output::<SourceDiscovered>()?.target_groups;
        wait_drained(ctx, &old_groups, "old").await?;
        Ok(Outcome::Done(OldSideShrunk { old_units }))
    }

    fn reconciliation(&self) -> Reconciliation<'_, OldSideShrunk> {
        // Setting capacities to values and waiting is idempotent as a whole.
        Reconciliation::IdempotentAsWhole
    }

    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        undoing: Undoing<OldSideShrunk, OldSideHold>,
    ) -> Result<(), StepError> {
        match undoing.recorded {
            None | Some(OldSideHold::Nothing) => Ok(()),
            Some(OldSideHold::Group { name, hold, .. }) => restore_group(ctx, &name, &hold).await,
            Some(OldSideHold::Services { services }) => {
                for old in &services {
                    restore_service(ctx, &old.name, &old.hold).await?;
                }
                Ok(())
            }
            Some(OldSideHold::Environment {
                name,
                group,
                capacity,
                ..
            }) => {
                beanstalk_capacity::update_when_ready(ctx, &name, capacity).await?;
                beanstalk_capacity::wait_until_ready(ctx, &name).await?;
                beanstalk_capacity::wait_for_group(ctx, &group, capacity.min, |n, wanted| {
                    n >= wanted
                })
                .await
            }
        }
    }
}

/// Waits until every old service runs no more than its held count.
async fn wait_old_tasks(ctx: &Ctx<'_>, services: &[OldServiceHold]) -> Result<(), StepError> {
    let cluster = ctx
        .playbook()
        .source
        .ecs_cluster
        .clone()
        .unwrap_or_default();
    for old in services {
        loop {
            let running = ctx
                .tolerate(ctx.cloud.containers.find_service(&cluster, &old.name).await)?
                .map(|found| found.map_or(0, |s| s.running_count));
            if running.is_some_and(|r| r <= old.tasks) {
                break;
            }
            let service = old.name.clone();
            let tasks = old.tasks;
            ctx.waiting(
                &format!("old service {service}: waiting for {tasks} tasks"),
                None,
            );
            ctx.pause(POLL, move || {
                format!("the old service {service} did not get down to {tasks} tasks")
            })
            .await?;
        }
    }
    Ok(())
}

/// One new service `grow-new-side` grows: from `started` to `desired` tasks, and its scalable
/// target (when the plan registered one) from pinned at `started` to the playbook's bounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Growth {
    pub service: String,
    pub started: u32,
    pub desired: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaling: Option<(u32, u32)>,
}

/// `grow-new-side`.
pub struct GrowNewSide;

impl GrowNewSide {
    /// Sets every service to `count(growth)` tasks, its scalable target to `bounds(growth)`
    /// first, and waits until each runs that many (no more than that many when shrinking).
    async fn set(
        ctx: &Ctx<'_>,
        growths: &[Growth],
        count: fn(&Growth) -> u32,
        bounds: fn(&Growth) -> Option<(u32, u32)>,
    ) -> Result<(), StepError> {
        let names = &ctx.plan().names;
        for growth in growths {
            let name = names::service(names, &growth.service)?;
            if let Some((min_count, max_count)) = bounds(growth) {
                let spec = ScalableTargetSpec {
                    resource_id: ecs_service_resource_id(&names.cluster, name),
                    min_count,
                    max_count,
                    // The target keeps the tags create-service-scaling gave it.
                    tags: Tags::new(),
                };
                ctx.call(|| ctx.cloud.service_scaling.register_target(&spec))
                    .await?;
            }
            let tasks = count(growth);
            ctx.call(|| {
                ctx.cloud
                    .containers
                    .set_desired_count(&names.cluster, name, tasks)
            })
            .await?;
        }
        for growth in growths {
            let name = names::service(names, &growth.service)?;
            let tasks = count(growth);
            loop {
                let status = ctx
                    .tolerate(
                        ctx.cloud
                            .containers
                            .find_service(&names.cluster, name)
                            .await,
                    )?
                    .flatten();
                if status
                    .as_ref()
                    .is_some_and(|s| s.running_count == tasks && s.pending_count == 0)
                {
                    break;
                }
                let running = status.map_or(0, |s| s.running_count);
                ctx.waiting(&format!("service {name}: {running}/{tasks} tasks"), None);
                let service = name.to_string();
                ctx.pause(POLL, move || {
                    format!("the service {service} did not get to {tasks} running tasks")
                })
                .await?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Step for GrowNewSide {
    type Output = NewSideGrown;
    type Recorded = Vec<Growth>;

    async fn prepare(&self, ctx: &Ctx<'_>) -> Result<Prepared<Vec<Growth>>, StepError> {
        let checked = ctx.output::<BudgetChecked>()?;
        if checked.budget.is_none() {
            return Ok(
                Prepared::new("nothing to grow: no data store declares a connection limit")
                    .recording(Vec::new()),
            );
        }
        // Every service that started smaller, or whose scalable target was pinned at its start.
        let growths: Vec<Growth> = ctx
            .playbook()
            .target
            .services
            .iter()
            .map(|s| Growth {
                service: s.name.clone(),
                started: checked
                    .sequence()
                    .map_or(s.desired_count, |q| q.start_count(&s.name, s.desired_count)),
                desired: s.desired_count,
                scaling: s.scaling.as_ref().map(|x| (x.min_count, x.max_count)),
            })
            .filter(|g| g.started != g.desired || g.scaling.is_some())
            .collect();
        Ok(Prepared::new(format!(
            "give the new services their desired counts and scaling bounds: {}",
            growths
                .iter()
                .map(|g| match g.scaling {
                    Some((min, max)) => format!(
                        "{} from {} to {} ({min}-{max})",
                        g.service, g.started, g.desired
                    ),
                    None => format!("{} from {} to {}", g.service, g.started, g.desired),
                })
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .recording(growths))
    }

    async fn execute(
        &self,
        ctx: &Ctx<'_>,
        growths: &Vec<Growth>,
    ) -> Result<Outcome<NewSideGrown>, StepError> {
        if growths.is_empty() {
            return Ok(Outcome::Skipped(
                "nothing started smaller or pinned: no declared connection limit, or no service \
                 scales"
                    .into(),
            ));
        }
        Self::set(ctx, growths, |g| g.desired, |g| g.scaling).await?;
        Ok(Outcome::Done(NewSideGrown {
            started_with: growths
                .iter()
                .map(|g| (g.service.clone(), g.started))
                .collect::<BTreeMap<_, _>>(),
        }))
    }

    fn reconciliation(&self) -> Reconciliation<'_, NewSideGrown> {
        Reconciliation::IdempotentAsWhole
    }

    /// Back to the counts the services started with, and the extra tasks drained, so that the
    /// old side's undo that follows (scale-down, then shrink) has the budget back.
    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        undoing: Undoing<NewSideGrown, Vec<Growth>>,
    ) -> Result<(), StepError> {
        let Some(growths) = undoing.recorded.filter(|g| !g.is_empty()) else {
            return Ok(());
        };
        Self::set(
            ctx,
            &growths,
            |g| g.started,
            |g| g.scaling.map(|_| (g.started, g.started)),
        )
        .await?;
        let mut groups: Vec<String> = Vec::new();
        if let Some(tg) = ctx.optional_output::<TargetGroupCreated>()? {
            groups.push(tg.arn);
        }
        if let Some(bridge) = ctx.optional_output::<BridgeTargetGroupCreated>()? {
            groups.push(bridge.arn);
        }
        wait_drained(ctx, &groups, "new").await
    }
}
