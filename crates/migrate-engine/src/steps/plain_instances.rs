//! Plain EC2 instances of an `ec2` source: found behind the old load balancer, stopped after the
//! drain, started again by a rollback.
//!
//! A stopped instance keeps its EBS volumes and its registration in the target group, which
//! reports it `unused` (`Target.InvalidState`, "in the stopped or terminated state"); started
//! again, it is checked until it passes and serves
//! (<https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html>,
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html>).
//! So a rollback starts the instances and waits, per instance, for its target to be healthy in
//! every old target group it is registered in before the DNS restore sends anyone back.
//! Stopping is refused for an instance-store-backed instance (it can only terminate) and would
//! be undone by an Auto Scaling group, which replaces a stopped instance
//! (<https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StopInstances.html>,
//! <https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Stop_Start.html>,
//! <https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-health-checks.html>):
//! discovery refuses both before anything changes.

use super::{Outcome, Prepared, Reconciliation, Step, Undoing};
use crate::context::{Ctx, POLL};
use crate::error::StepError;
use crate::outputs::{InstancesRunning, InstancesStopped, SourceDiscovered};
use crate::ports::{Instance, InstanceState, TargetState};
use async_trait::async_trait;

/// The plain instances of the source: those the playbook lists, or every instance registered in
/// the old target groups. Refuses (before any change) an instance that does not exist, that an
/// Auto Scaling group launched, or that cannot be stopped.
pub(crate) async fn discover_plain_instances(
    ctx: &Ctx<'_>,
    target_groups: &[String],
) -> Result<Vec<String>, StepError> {
    let listed = &ctx.playbook().source.instances;
    let candidates: Vec<String> = if listed.is_empty() {
        let mut registered = Vec::new();
        for arn in target_groups {
            let targets = ctx
                .call(|| ctx.cloud.load_balancing.target_health(arn))
                .await?;
            for target in targets {
                // Instance targets are ids; an IP or Lambda target group has none to stop.
                if target.target_id.starts_with("i-") && !registered.contains(&target.target_id) {
                    registered.push(target.target_id);
                }
            }
        }
        if registered.is_empty() {
            return Err(StepError::precondition(
                "no instance is registered in the old load balancer's target groups; name the \
                 instances in source.ec2.instances",
            ));
        }
        registered
    } else {
        listed.clone()
    };
    let found = ctx
        .call(|| ctx.cloud.instances.describe_instances(&candidates))
        .await?;
    let mut problems = Vec::new();
    for id in &candidates {
        match found.iter().find(|i| &i.id == id) {
            None => problems.push(format!("{id} does not exist")),
            Some(instance) => {
                if let Some(problem) = unstoppable(instance) {
                    problems.push(problem);
                }
            }
        }
    }
    if problems.is_empty() {
        return Ok(candidates);
    }
    let hint = if listed.is_empty() {
        " (found in the old target groups; list the plain ones in source.ec2.instances to \
         leave the others alone)"
    } else {
        ""
    };
    Err(StepError::precondition(format!(
        "the old instances cannot be stopped by this migration{hint}: {}",
        problems.join("; ")
    )))
}

fn unstoppable(instance: &Instance) -> Option<String> {
    let id = &instance.id;
    if let Some(group) = &instance.auto_scaling_group {
        return Some(format!(
            "{id} belongs to the Auto Scaling group {group}, which would replace it when \
             stopped (use `kind: asg`)"
        ));
    }
    if matches!(
        instance.state,
        InstanceState::ShuttingDown | InstanceState::Terminated
    ) {
        return Some(format!("{id} is {}", instance.state.as_str()));
    }
    if instance.root_device_type == "instance-store" {
        return Some(format!(
            "{id} has an instance-store root device, which AWS cannot stop (only terminate)"
        ));
    }
    None
}

fn discovered_instances(ctx: &Ctx<'_>) -> Result<Vec<String>, StepError> {
    let instances = ctx.output::<SourceDiscovered>()?.old_instances;
    if instances.is_empty() {
        return Err(StepError::precondition(
            "discover-source recorded no old instances to stop; the state is inconsistent",
        ));
    }
    Ok(instances)
}

/// `stop-old-instances`: stopping is a set-to-value, so it is idempotent as a whole.
pub struct StopOldInstances;

#[async_trait]
impl Step for StopOldInstances {
    type Output = InstancesStopped;
    type Recorded = InstancesRunning;

    async fn prepare(&self, ctx: &Ctx<'_>) -> Result<Prepared<InstancesRunning>, StepError> {
        let ids = discovered_instances(ctx)?;
        let found = ctx
            .call(|| ctx.cloud.instances.describe_instances(&ids))
            .await?;
        let running: Vec<String> = found
            .iter()
            .filter(|i| matches!(i.state, InstanceState::Pending | InstanceState::Running))
            .map(|i| i.id.clone())
            .collect();
        Ok(
            Prepared::new(format!("stop the old instances {}", running.join(", ")))
                .recording(InstancesRunning { running }),
        )
    }

    async fn execute(
        &self,
        ctx: &Ctx<'_>,
        before: &InstancesRunning,
    ) -> Result<Outcome<InstancesStopped>, StepError> {
        if before.running.is_empty() {
            return Ok(Outcome::Skipped(
                "every old instance was already stopped".into(),
            ));
        }
        let ids = &before.running;
        ctx.call(|| ctx.cloud.instances.stop_instances(ids)).await?;
        wait_for_state(ctx, ids, InstanceState::Stopped).await?;
        Ok(Outcome::Done(InstancesStopped {
            stopped: ids.clone(),
        }))
    }

    fn reconciliation(&self) -> Reconciliation<'_, InstancesStopped> {
        Reconciliation::IdempotentAsWhole
    }

    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        undoing: Undoing<InstancesStopped, InstancesRunning>,
    ) -> Result<(), StepError> {
        let Some(before) = undoing.recorded else {
            return Ok(());
        };
        // Only those that still exist: one terminated meanwhile by someone else cannot come
        // back, and the others must not wait for it.
        let found = ctx
            .call(|| ctx.cloud.instances.describe_instances(&before.running))
            .await?;
        let ids: Vec<String> = found
            .iter()
            .filter(|i| {
                !matches!(
                    i.state,
                    InstanceState::ShuttingDown | InstanceState::Terminated
                )
            })
            .map(|i| i.id.clone())
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        // An instance still `stopping` (a rollback right after the stop) cannot be started
        // until it has stopped: AWS answers IncorrectInstanceState.
        wait_until_not_stopping(ctx, &ids).await?;
        ctx.call(|| ctx.cloud.instances.start_instances(&ids))
            .await?;
        wait_for_state(ctx, &ids, InstanceState::Running).await?;
        wait_until_targets_healthy(ctx, &ids).await
    }
}

async fn wait_for_state(
    ctx: &Ctx<'_>,
    ids: &[String],
    wanted: InstanceState,
) -> Result<(), StepError> {
    loop {
        if let Some(found) = ctx.tolerate(ctx.cloud.instances.describe_instances(ids).await)? {
            let pending: Vec<String> = found
                .iter()
                .filter(|i| i.state != wanted)
                .map(|i| format!("{} {}", i.id, i.state.as_str()))
                .collect();
            if pending.is_empty() {
                return Ok(());
            }
            let done = ids.len() - pending.len();
            ctx.waiting(
                &format!(
                    "{done}/{} old instances {}; {}",
                    ids.len(),
                    wanted.as_str(),
                    pending.join(", ")
                ),
                Some(done as f64 / ids.len() as f64),
            );
            let pending = pending.join(", ");
            ctx.pause(POLL, move || {
                format!("old instances not {} yet: {pending}", wanted.as_str())
            })
            .await?;
        } else {
            ctx.pause(POLL, || "the old instances could not be read".into())
                .await?;
        }
    }
}

async fn wait_until_not_stopping(ctx: &Ctx<'_>, ids: &[String]) -> Result<(), StepError> {
    loop {
        let found = ctx.tolerate(ctx.cloud.instances.describe_instances(ids).await)?;
        if found.is_some_and(|found| found.iter().all(|i| i.state != InstanceState::Stopping)) {
            return Ok(());
        }
        ctx.waiting("old instances still stopping", None);
        ctx.pause(POLL, || {
            "the old instances did not finish stopping, so they cannot be started".into()
        })
        .await?;
    }
}

/// Waits until each instance's target is healthy in every old target group it is registered in.
async fn wait_until_targets_healthy(ctx: &Ctx<'_>, ids: &[String]) -> Result<(), StepError> {
    let groups = ctx.output::<SourceDiscovered>()?.target_groups;
    loop {
        let mut unhealthy = Vec::new();
        let mut read_all = true;
        for arn in &groups {
            let Some(targets) = ctx.tolerate(ctx.cloud.load_balancing.target_health(arn).await)?
            else {
                read_all = false;
                continue;
            };
            for target in targets.iter().filter(|t| ids.contains(&t.target_id)) {
                if target.state != TargetState::Healthy {
                    unhealthy.push(format!(
                        "{} {:?}{}",
                        target.target_id,
                        target.state,
                        target
                            .reason
                            .as_ref()
                            .map(|r| format!(" ({r})"))
                            .unwrap_or_default()
                    ));
                }
            }
        }
        if read_all && unhealthy.is_empty() {
            return Ok(());
        }
        ctx.waiting(
            &format!(
                "started old instances not healthy yet: {}",
                unhealthy.join(", ")
            ),
            None,
        );
        let unhealthy = unhealthy.join(", ");
        ctx.pause(POLL, move || {
            format!("the started old instances never became healthy targets: {unhealthy}")
        })
        .await?;
    }
}
