//! The CloudWatch Logs groups the new tasks' awslogs driver writes to.
//!
//! awslogs creates no group unless a task definition sets `awslogs-create-group: "true"` (default
//! false), and a Fargate task whose group is missing stops with `ResourceInitializationError`
//! before its containers start; so the groups exist before the task definitions are registered.

use async_trait::async_trait;

use super::{ignore_not_found, Lookup, Outcome, Prepared, Reconciliation, Step, Undoing};
use crate::context::Ctx;
use crate::error::StepError;
use crate::outputs::LogGroupsCreated;
use crate::ports::{ErrorKind, LogGroup, LogGroupSpec, TAG_PLAN_ID};

/// `create-log-groups`.
pub struct CreateLogGroups<'a> {
    pub groups: &'a [String],
    pub retention_days: u32,
}

fn created_by_plan(group: &LogGroup, plan_id: &str) -> bool {
    group.tags.get(TAG_PLAN_ID).map(String::as_str) == Some(plan_id)
}

impl CreateLogGroups<'_> {
    /// Creates `name` unless it exists; true when this plan created it (now or in an attempt
    /// that was interrupted), false when it existed before.
    async fn ensure(&self, ctx: &Ctx<'_>, name: &str) -> Result<bool, StepError> {
        let plan_id = &ctx.plan().id;
        let logs = &ctx.cloud.logs;
        if let Some(found) = ctx.call(|| logs.find_log_group(name)).await? {
            return Ok(created_by_plan(&found, plan_id));
        }
        let spec = LogGroupSpec {
            name: name.to_string(),
            tags: ctx.tags(),
        };
        // Each call is retried alone on transient errors: a step of many calls would otherwise
        // start over on every throttled answer.
        match ctx.call(|| logs.create_log_group(&spec)).await {
            Ok(()) => Ok(true),
            // Created between the look-up and the create (by an attempt whose answer was lost,
            // or by someone else): the tags say whose it is.
            Err(StepError::Cloud(e)) if e.kind == ErrorKind::AlreadyExists => {
                match ctx.call(|| logs.find_log_group(name)).await? {
                    Some(found) => Ok(created_by_plan(&found, plan_id)),
                    None => Err(e.into()),
                }
            }
            Err(e) => Err(e),
        }
    }
}

#[async_trait]
impl Step for CreateLogGroups<'_> {
    type Output = LogGroupsCreated;
    type Recorded = ();

    async fn prepare(&self, _: &Ctx<'_>) -> Result<Prepared<()>, StepError> {
        Ok(Prepared::new(format!(
            "create log groups {} (retention {} days)",
            self.groups.join(", "),
            self.retention_days
        )))
    }

    async fn execute(
        &self,
        ctx: &Ctx<'_>,
        (): &(),
    ) -> Result<Outcome<LogGroupsCreated>, StepError> {
        let mut outputs = LogGroupsCreated::default();
        for name in self.groups {
            if self.ensure(ctx, name).await? {
                // Retention is set only on the groups this plan owns: an existing group keeps
                // the retention its owner chose.
                let logs = &ctx.cloud.logs;
                ctx.call(|| logs.set_log_group_retention(name, self.retention_days))
                    .await?;
                outputs.created.push(name.clone());
            } else {
                outputs.existing.push(name.clone());
            }
        }
        Ok(Outcome::Done(outputs))
    }

    fn reconciliation(&self) -> Reconciliation<'_, LogGroupsCreated> {
        Reconciliation::Lookup(self)
    }

    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        undoing: Undoing<LogGroupsCreated, ()>,
    ) -> Result<(), StepError> {
        let created = match undoing.outputs {
            Some(outputs) => outputs.created,
            // Interrupted before it finished: whatever carries this plan's tag is its own.
            None if undoing.recorded.is_some() => {
                let mut created = Vec::new();
                let logs = &ctx.cloud.logs;
                for name in self.groups {
                    if let Some(found) = ctx.call(|| logs.find_log_group(name)).await? {
                        if created_by_plan(&found, &ctx.plan().id) {
                            created.push(name.clone());
                        }
                    }
                }
                created
            }
            None => return Ok(()),
        };
        let logs = &ctx.cloud.logs;
        for name in &created {
            match ctx.call(|| logs.delete_log_group(name)).await {
                Err(StepError::Cloud(e)) => ignore_not_found(Err(e))?,
                other => other?,
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Lookup<LogGroupsCreated> for CreateLogGroups<'_> {
    /// The step's outputs when an earlier attempt finished its work: every group exists, and
    /// each one this plan created has its retention. Anything less is `None`, and the step runs
    /// again (it creates only what is missing).
    async fn find(&self, ctx: &Ctx<'_>) -> Result<Option<LogGroupsCreated>, StepError> {
        let mut outputs = LogGroupsCreated::default();
        let logs = &ctx.cloud.logs;
        for name in self.groups {
            let Some(found) = ctx.call(|| logs.find_log_group(name)).await? else {
                return Ok(None);
            };
            if created_by_plan(&found, &ctx.plan().id) {
                if found.retention_days != Some(self.retention_days) {
                    return Ok(None);
                }
                outputs.created.push(name.clone());
            } else {
                outputs.existing.push(name.clone());
            }
        }
        Ok(Some(outputs))
    }
}
