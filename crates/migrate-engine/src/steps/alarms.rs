//! The alarms seed 001 sets after the move: healthy hosts and target 5xx behind the new load
//! balancer, and each service's running task count; each notifies the playbook's
//! `guard.alarm_topic` when it names one.

use async_trait::async_trait;

use super::{ignore_not_found, names, Outcome, Prepared, Reconciliation, Step, Undoing};
use crate::context::Ctx;
use crate::error::StepError;
use crate::outputs::{AlarmsCreated, LoadBalancerCreated, TargetGroupCreated};
use crate::ports::{load_balancer_dimension, target_group_dimension, AlarmSpec};

/// `create-alarms`. `PutMetricAlarm` creates or replaces by name, so the step is idempotent as a
/// whole; the compensation deletes the same names.
pub struct CreateAlarms;

#[async_trait]
impl Step for CreateAlarms {
    type Output = AlarmsCreated;
    type Recorded = ();

    async fn prepare(&self, _: &Ctx<'_>) -> Result<Prepared<()>, StepError> {
        Ok(Prepared::new("put CloudWatch alarms"))
    }

    async fn execute(&self, ctx: &Ctx<'_>, (): &()) -> Result<Outcome<AlarmsCreated>, StepError> {
        let alarms = specs(ctx)?;
        for alarm in &alarms {
            ctx.call(|| ctx.cloud.metrics.put_alarm(alarm)).await?;
        }
        Ok(Outcome::Done(AlarmsCreated {
            names: alarms.into_iter().map(|a| a.name).collect(),
        }))
    }

    fn reconciliation(&self) -> Reconciliation<'_, AlarmsCreated> {
        Reconciliation::IdempotentAsWhole
    }

    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        _: Undoing<AlarmsCreated, ()>,
    ) -> Result<(), StepError> {
        for alarm in specs(ctx)? {
            ignore_not_found(ctx.cloud.metrics.delete_alarm(&alarm.name).await)?;
        }
        Ok(())
    }
}

fn specs(ctx: &Ctx<'_>) -> Result<Vec<AlarmSpec>, StepError> {
    let plan = ctx.plan();
    let prefix = &plan.names.alarm_prefix;
    // The topic the playbook names is notified when an alarm fires (`AlarmActions`).
    let alarm_actions: Vec<String> = ctx.playbook().guard.alarm_topic.iter().cloned().collect();
    let mut alarms = Vec::new();
    if let (Some(tg), Some(lb)) = (
        ctx.optional_output::<TargetGroupCreated>()?,
        ctx.optional_output::<LoadBalancerCreated>()?,
    ) {
        let on_group = |name: &str, metric: &str, statistic: &str, comparison: &str| AlarmSpec {
            name: format!("{prefix}-{name}"),
            namespace: "AWS/ApplicationELB".into(),
            metric_name: metric.into(),
            dimensions: vec![
                ("TargetGroup".into(), target_group_dimension(&tg.arn)),
                ("LoadBalancer".into(), load_balancer_dimension(&lb.arn)),
            ],
            statistic: statistic.into(),
            comparison: comparison.into(),
            threshold: 1.0,
            period_secs: 60,
            evaluation_periods: 2,
            alarm_actions: alarm_actions.clone(),
            tags: ctx.tags(),
        };
        alarms.push(on_group(
            "healthy-hosts",
            "HealthyHostCount",
            "Minimum",
            "LessThanThreshold",
        ));
        // The guard's first limit, kept after the migration: target 5xx in a minute.
        let guard = &ctx.playbook().guard;
        alarms.push(AlarmSpec {
            threshold: guard.min_5xx.max(1) as f64,
            evaluation_periods: guard.periods,
            ..on_group(
                "target-5xx",
                "HTTPCode_Target_5XX_Count",
                "Sum",
                "GreaterThanOrEqualToThreshold",
            )
        });
    }
    for service in &ctx.playbook().target.services {
        alarms.push(AlarmSpec {
            name: format!("{prefix}-running-tasks-{}", service.name),
            namespace: "ECS/ContainerInsights".into(),
            metric_name: "RunningTaskCount".into(),
            dimensions: vec![
                ("ClusterName".into(), plan.names.cluster.clone()),
                (
                    "ServiceName".into(),
                    names::service(&plan.names, &service.name)?.to_string(),
                ),
            ],
            statistic: "Average".into(),
            comparison: "LessThanThreshold".into(),
            threshold: f64::from(service.desired_count),
            period_secs: 60,
            evaluation_periods: 3,
            alarm_actions: alarm_actions.clone(),
            tags: ctx.tags(),
        });
    }
    Ok(alarms)
}
