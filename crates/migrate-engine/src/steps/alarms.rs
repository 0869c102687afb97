//! The alarms seed 001 sets after the move: healthy hosts behind the new load balancer, and each
//! service's running task count.

use super::cluster::ignore_not_found;
use super::Outcome;
use crate::context::{load_balancer_dimension, target_group_dimension, Ctx, Outputs};
use crate::error::StepError;
use crate::ports::AlarmSpec;

fn specs(ctx: &Ctx<'_>) -> Result<Vec<AlarmSpec>, StepError> {
    let plan = ctx.plan();
    let prefix = &plan.names.alarm_prefix;
    let mut alarms = Vec::new();
    if let (Some(tg), Some(lb)) = (
        ctx.optional_output("create-target-group", "arn"),
        ctx.optional_output("create-load-balancer", "arn"),
    ) {
        alarms.push(AlarmSpec {
            name: format!("{prefix}-healthy-hosts"),
            namespace: "AWS/ApplicationELB".into(),
            metric_name: "HealthyHostCount".into(),
            dimensions: vec![
                ("TargetGroup".into(), target_group_dimension(&tg)),
                ("LoadBalancer".into(), load_balancer_dimension(&lb)),
            ],
            statistic: "Minimum".into(),
            comparison: "LessThanThreshold".into(),
            threshold: 1.0,
            period_secs: 60,
            evaluation_periods: 2,
            tags: ctx.tags(),
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
                    plan.names.services[&service.name].clone(),
                ),
            ],
            statistic: "Average".into(),
            comparison: "LessThanThreshold".into(),
            threshold: f64::from(service.desired_count),
            period_secs: 60,
            evaluation_periods: 3,
            tags: ctx.tags(),
        });
    }
    Ok(alarms)
}

pub async fn create(ctx: &Ctx<'_>) -> Result<Outcome, StepError> {
    let alarms = specs(ctx)?;
    for alarm in &alarms {
        ctx.call(|| ctx.cloud.metrics.put_alarm(alarm)).await?;
    }
    let names: Vec<&str> = alarms.iter().map(|a| a.name.as_str()).collect();
    Ok(Outcome::Done(Outputs::from([(
        "alarms".into(),
        names.join(","),
    )])))
}

pub async fn delete(ctx: &Ctx<'_>) -> Result<(), StepError> {
    for alarm in specs(ctx)? {
        ignore_not_found(ctx.cloud.metrics.delete_alarm(&alarm.name).await)?;
    }
    Ok(())
}
