//! Scaling a Beanstalk environment down through Elastic Beanstalk, and back on rollback.
//!
//! Elastic Beanstalk owns its environment's Auto Scaling group: every environment update (a
//! configuration change, a deployment, a managed platform update) applies the environment's
//! `aws:autoscaling:asg` `MinSize`/`MaxSize` to the group again, so a change made on the group
//! itself is undone, and the environment's health turns red meanwhile. The capacity therefore
//! changes through `UpdateEnvironment` option settings
//! (<https://docs.aws.amazon.com/elasticbeanstalk/latest/api/API_UpdateEnvironment.html>,
//! <https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/command-options-general.html#command-options-general-autoscalingasg>).
//! `MinSize` cannot go below 1, so the environment keeps one instance (serving nobody once the
//! names have moved) until `migrate cleanup` terminates it. An update is refused while another
//! is in progress, so the step waits for the environment to be `Ready` before and after it.

use async_trait::async_trait;

use super::{Outcome, Prepared, Reconciliation, Step, Undoing};
use crate::context::{Ctx, POLL};
use crate::error::StepError;
use crate::outputs::{EnvironmentHold, EnvironmentScaledDown, SourceDiscovered};
use crate::ports::{EnvironmentCapacity, BEANSTALK_MIN_INSTANCES};

/// What the step leaves: the fewest instances Elastic Beanstalk allows.
const HELD: EnvironmentCapacity = EnvironmentCapacity {
    min: BEANSTALK_MIN_INSTANCES,
    max: BEANSTALK_MIN_INSTANCES,
};

pub(super) fn environment_name(ctx: &Ctx<'_>) -> Result<String, StepError> {
    ctx.playbook()
        .source
        .beanstalk_environment
        .clone()
        .ok_or_else(|| {
            StepError::precondition(
                "the playbook names no source.beanstalk_environment to scale down",
            )
        })
}

/// The environment's Auto Scaling group, which discovery found by Beanstalk's tag.
fn group_name(ctx: &Ctx<'_>) -> Result<String, StepError> {
    ctx.output::<SourceDiscovered>()?
        .auto_scaling_group
        .map(|group| group.name)
        .ok_or_else(|| {
            StepError::precondition(
                "discover-source recorded no Auto Scaling group for the Beanstalk environment; \
                 the state is inconsistent",
            )
        })
}

/// Waits until the environment is `Ready`: Elastic Beanstalk refuses an update during another.
pub(super) async fn wait_until_ready(ctx: &Ctx<'_>, name: &str) -> Result<(), StepError> {
    loop {
        let found = ctx.tolerate(ctx.cloud.environments.find_environment(name).await)?;
        let status = match found {
            Some(Some(environment)) => environment.status,
            Some(None) => {
                return Err(StepError::precondition(format!(
                    "the Beanstalk environment {name} no longer exists"
                )))
            }
            None => "unknown".to_string(),
        };
        if status == "Ready" {
            return Ok(());
        }
        ctx.waiting(
            &format!("Beanstalk environment {name} is {status}, waiting for Ready"),
            None,
        );
        let environment = name.to_string();
        ctx.pause(POLL, move || {
            format!("the Beanstalk environment {environment} stayed {status}, never Ready")
        })
        .await?;
    }
}

/// Sets the environment's capacity once it is `Ready`. Elastic Beanstalk may start an update of
/// its own (a managed platform update, a configuration change by someone else) between the
/// wait and the call; it then refuses with "invalid state ... Must be Ready", and the step waits
/// for `Ready` again instead of failing (found by `make soak`: 17 of 5,000 Beanstalk seeds).
pub(super) async fn update_when_ready(
    ctx: &Ctx<'_>,
    name: &str,
    capacity: crate::ports::EnvironmentCapacity,
) -> Result<(), StepError> {
    loop {
        wait_until_ready(ctx, name).await?;
        let environments = &ctx.cloud.environments;
        match ctx
            .call(|| environments.update_capacity(name, capacity))
            .await
        {
            Err(StepError::Cloud(e)) if is_busy(&e) => {
                ctx.waiting(
                    &format!(
                        "Beanstalk environment {name} began another update; waiting for Ready"
                    ),
                    None,
                );
            }
            other => return other,
        }
    }
}

/// Elastic Beanstalk's refusal of an update while another one runs
/// (<https://docs.aws.amazon.com/elasticbeanstalk/latest/api/API_UpdateEnvironment.html>).
fn is_busy(error: &crate::ports::CloudError) -> bool {
    error.kind == crate::ports::ErrorKind::InvalidRequest
        && error.message.contains("invalid state")
        && error.message.contains("Must be Ready")
}

/// Waits until the environment's group has `wanted` instances in service, compared with `done`.
pub(super) async fn wait_for_group(
    ctx: &Ctx<'_>,
    group: &str,
    wanted: u32,
    done: fn(u32, u32) -> bool,
) -> Result<(), StepError> {
    let scaling = &ctx.cloud.scaling;
    loop {
        let in_service = ctx
            .tolerate(scaling.find_group(group).await)?
            .map(|found| found.map_or(0, |g| g.in_service));
        if let Some(in_service) = in_service {
            if done(in_service, wanted) {
                return Ok(());
            }
            ctx.waiting(
                &format!("{in_service} instances of {group} in service, waiting for {wanted}"),
                None,
            );
        }
        let name = group.to_string();
        ctx.pause(POLL, move || {
            format!("the Beanstalk environment's group {name} did not get to {wanted} instances")
        })
        .await?;
    }
}

/// `scale-down-old-beanstalk-environment`.
pub struct ScaleDownBeanstalkEnvironment;

#[async_trait]
impl Step for ScaleDownBeanstalkEnvironment {
    type Output = EnvironmentScaledDown;
    type Recorded = EnvironmentHold;

    /// Records the environment's capacity settings before anything is changed.
    async fn prepare(&self, ctx: &Ctx<'_>) -> Result<Prepared<EnvironmentHold>, StepError> {
        let name = environment_name(ctx)?;
        let environments = &ctx.cloud.environments;
        let capacity = ctx.call(|| environments.capacity_settings(&name)).await?;
        Ok(Prepared::new(format!(
            "set Beanstalk environment {name} to MinSize {} MaxSize {}",
            HELD.min, HELD.max
        ))
        .recording(EnvironmentHold { capacity }))
    }

    async fn execute(
        &self,
        ctx: &Ctx<'_>,
        before: &EnvironmentHold,
    ) -> Result<Outcome<EnvironmentScaledDown>, StepError> {
        let name = environment_name(ctx)?;
        let group = group_name(ctx)?;
        update_when_ready(ctx, &name, HELD).await?;
        wait_until_ready(ctx, &name).await?;
        wait_for_group(ctx, &group, HELD.max, |in_service, wanted| {
            in_service <= wanted
        })
        .await?;
        Ok(Outcome::Done(EnvironmentScaledDown {
            previous: before.capacity,
            now: HELD,
        }))
    }

    fn reconciliation(&self) -> Reconciliation<'_, EnvironmentScaledDown> {
        // Setting two option values is idempotent as a whole.
        Reconciliation::IdempotentAsWhole
    }

    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        undoing: Undoing<EnvironmentScaledDown, EnvironmentHold>,
    ) -> Result<(), StepError> {
        let Some(hold) = undoing.recorded else {
            return Ok(());
        };
        let name = environment_name(ctx)?;
        let group = group_name(ctx)?;
        update_when_ready(ctx, &name, hold.capacity).await?;
        wait_until_ready(ctx, &name).await?;
        // Elastic Beanstalk raises the group to its minimum; the DNS restore then waits for a
        // healthy target behind the old load balancer before it sends traffic back.
        wait_for_group(ctx, &group, hold.capacity.min, |in_service, wanted| {
            in_service >= wanted
        })
        .await
    }
}
