//! The traffic guard: while the new side takes traffic (every bake of a ramp, and the watch after
//! the last traffic step) the engine reads the new side's target groups minute by minute and
//! stops with [`StepError::Breach`] when one of the playbook's `guard` limits is broken; the
//! machine then hands every request back to the old side (see `Engine::hand_back`).
//!
//! What it reads, and the AWS behaviour it relies on:
//! - per target group of the new side (the new load balancer's, and the bridge behind the old
//!   load balancer for the `listener` strategy): `RequestCount`, `HTTPCode_Target_5XX_Count`,
//!   `UnHealthyHostCount` and `TargetResponseTime`, and the new load balancer's
//!   `HTTPCode_ELB_5XX_Count` (load balancer dimension only). A load balancer publishes a data
//!   point only for a minute that had requests, and `TargetResponseTime` is an average per
//!   request (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html>);
//!   CloudWatch answers one value per period and statistic
//!   (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html>);
//! - the old side's response time and 5xx share over the quarter hour before the traffic
//!   moved: the baseline the new side is judged against;
//! - each new ECS service's running and desired counts (`DescribeServices`), the number Container
//!   Insights publishes as `RunningTaskCount`, without its minute of lag
//!   (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/Container-Insights-metrics-ECS.html>).
//!
//! A minute whose target 5xx break the limit breaks it at once (each is a user's failed
//! request); unhealthy targets, slow answers and missing tasks must last `guard.periods` minutes
//! in a row (a task being replaced is not an incident).

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use migrate_playbook::Guard;

use super::{drain, names, Outcome, Prepared, Reconciliation, Step, Undoing};
use crate::context::Ctx;
use crate::error::StepError;
use crate::outputs::{
    BridgeTargetGroupCreated, LoadBalancerCreated, SourceDiscovered, TargetGroupCreated, Watched,
};
use crate::ports::{load_balancer_dimension, target_group_dimension, MetricQuery, Statistic};

/// How often the guard reads: new data points arrive once a minute, at a moment of CloudWatch's
/// choosing; twenty seconds finds one at most a third of a minute late.
const GUARD_POLL: Duration = Duration::from_secs(20);
/// How far before the traffic moved the old side's baseline is read.
const BASELINE_WINDOW: chrono::Duration = chrono::Duration::minutes(15);

/// What the new side did in one minute, summed over its target groups.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Minute {
    pub requests: f64,
    pub errors: f64,
    /// The most unhealthy targets of any group.
    pub unhealthy: f64,
    /// Response time in seconds times requests, summed: divided by `requests`, the average.
    pub response_weighted: f64,
}

impl Minute {
    fn response_secs(&self) -> Option<f64> {
        (self.requests > 0.0).then(|| self.response_weighted / self.requests)
    }
}

/// The old side before the traffic moved.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Baseline {
    /// Its average response time in seconds; `None` when it served nothing to measure.
    pub response_secs: Option<f64>,
    /// The share of its requests that ended in a 5xx, in percent.
    pub error_percent: f64,
}

/// The first limit `minutes` (oldest first) break, in words; `None` when none is.
pub(crate) fn judge(
    minutes: &BTreeMap<DateTime<Utc>, Minute>,
    guard: &Guard,
    baseline: &Baseline,
) -> Option<String> {
    let limit = guard.max_5xx_percent + baseline.error_percent;
    for (at, m) in minutes {
        let percent = 100.0 * m.errors / m.requests.max(1.0);
        if m.errors >= guard.min_5xx.max(1) as f64 && percent > limit {
            return Some(format!(
                "{} of {} requests to the new side ended in a 5xx in the minute from {} \
                 ({percent:.1}%; the limit is {limit:.1}%, guard.max_5xx_percent above the old \
                 side's {:.1}%)",
                m.errors,
                m.requests,
                at.format("%H:%M"),
                baseline.error_percent
            ));
        }
    }
    let periods = guard.periods.max(1) as usize;
    let in_a_row = |bad: &dyn Fn(&Minute) -> bool| -> Option<DateTime<Utc>> {
        let mut run: Vec<DateTime<Utc>> = Vec::new();
        for (at, m) in minutes {
            let follows = run
                .last()
                .is_some_and(|last| *at - *last == chrono::Duration::minutes(1));
            if !bad(m) {
                run.clear();
                continue;
            }
            if !follows {
                run.clear();
            }
            run.push(*at);
            if run.len() >= periods {
                return run.first().copied();
            }
        }
        None
    };
    let hosts = guard.max_unhealthy_hosts as f64;
    if let Some(from) = in_a_row(&|m| m.unhealthy > hosts) {
        return Some(format!(
            "the new side has had more than {} unhealthy target(s) for {periods} minute(s) from {}",
            guard.max_unhealthy_hosts,
            from.format("%H:%M")
        ));
    }
    if let Some(old) = baseline.response_secs.filter(|s| *s > 0.0) {
        let ceiling = old * guard.response_time_factor;
        if let Some(from) = in_a_row(&|m| m.response_secs().is_some_and(|s| s > ceiling)) {
            return Some(format!(
                "the new side has answered slower than {ceiling:.3}s on average \
                 ({}× the old side's {old:.3}s) for {periods} minute(s) from {}",
                guard.response_time_factor,
                from.format("%H:%M")
            ));
        }
    }
    None
}

/// The new side's target groups, with their load balancers: the new load balancer's, and the
/// bridge behind the old one (`listener` strategy).
fn new_groups(ctx: &Ctx<'_>) -> Result<Vec<(String, String)>, StepError> {
    let mut groups = Vec::new();
    if let (Some(lb), Some(tg)) = (
        ctx.optional_output::<LoadBalancerCreated>()?,
        ctx.optional_output::<TargetGroupCreated>()?,
    ) {
        groups.push((lb.arn, tg.arn));
    }
    if let Some(bridge) = ctx.optional_output::<BridgeTargetGroupCreated>()? {
        let old_lb = ctx.output::<SourceDiscovered>()?.load_balancer.arn;
        groups.push((old_lb, bridge.arn));
    }
    Ok(groups)
}

/// When the traffic of this attempt at the move started: the first traffic step's start.
fn traffic_moved_at(ctx: &Ctx<'_>) -> DateTime<Utc> {
    ctx.plan()
        .steps
        .iter()
        .filter(|s| s.action.moves_traffic())
        .filter_map(|s| ctx.record(&s.id)?.started_at)
        .min()
        .unwrap_or_else(|| ctx.now())
}

/// Rounds down to the minute: CloudWatch's periods start on the minute.
fn floor_minute(at: DateTime<Utc>) -> DateTime<Utc> {
    let secs = at.timestamp();
    DateTime::from_timestamp(secs - secs.rem_euclid(60), 0).unwrap_or(at)
}

fn query(
    metric: &str,
    lb: &str,
    tg: Option<&str>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> MetricQuery {
    let mut dimensions = vec![("LoadBalancer".to_string(), load_balancer_dimension(lb))];
    if let Some(tg) = tg {
        dimensions.push(("TargetGroup".to_string(), target_group_dimension(tg)));
    }
    MetricQuery {
        namespace: "AWS/ApplicationELB".into(),
        metric_name: metric.into(),
        dimensions,
        start,
        end,
        period_secs: 60,
    }
}

/// One read of the metrics; `None` when CloudWatch did not answer (the next poll reads again).
async fn read(
    ctx: &Ctx<'_>,
    query: &MetricQuery,
    statistic: Statistic,
) -> Result<Option<Vec<(DateTime<Utc>, f64)>>, StepError> {
    ctx.tolerate(ctx.cloud.metrics.points(query, statistic).await)
}

/// Every published minute of `groups` from `start` to now, summed over the groups.
async fn minutes(
    ctx: &Ctx<'_>,
    groups: &[(String, String)],
    new_lb: Option<&str>,
    start: DateTime<Utc>,
) -> Result<Option<BTreeMap<DateTime<Utc>, Minute>>, StepError> {
    let end = ctx.now();
    let mut minutes: BTreeMap<DateTime<Utc>, Minute> = BTreeMap::new();
    // GetMetricData takes whole seconds and refuses a start equal to the end ("StartTime must
    // not equal parameter EndTime", met against moto right on a minute's first second): a
    // window shorter than a second holds no point anyway.
    if end.timestamp() <= start.timestamp() {
        return Ok(Some(minutes));
    }
    for (lb, tg) in groups {
        let q = |metric: &str| query(metric, lb, Some(tg), start, end);
        let (Some(requests), Some(errors), Some(unhealthy), Some(response)) = (
            read(ctx, &q("RequestCount"), Statistic::Sum).await?,
            read(ctx, &q("HTTPCode_Target_5XX_Count"), Statistic::Sum).await?,
            read(ctx, &q("UnHealthyHostCount"), Statistic::Maximum).await?,
            read(ctx, &q("TargetResponseTime"), Statistic::Average).await?,
        ) else {
            return Ok(None);
        };
        let counts: BTreeMap<DateTime<Utc>, f64> = requests.iter().copied().collect();
        for (at, n) in requests {
            minutes.entry(at).or_default().requests += n;
        }
        for (at, n) in errors {
            minutes.entry(at).or_default().errors += n;
        }
        for (at, n) in unhealthy {
            let m = minutes.entry(at).or_default();
            m.unhealthy = m.unhealthy.max(n);
        }
        for (at, secs) in response {
            let n = counts.get(&at).copied().unwrap_or_default();
            minutes.entry(at).or_default().response_weighted += secs * n;
        }
    }
    if let Some(lb) = new_lb {
        let Some(errors) = read(
            ctx,
            &query("HTTPCode_ELB_5XX_Count", lb, None, start, end),
            Statistic::Sum,
        )
        .await?
        else {
            return Ok(None);
        };
        for (at, n) in errors {
            minutes.entry(at).or_default().errors += n;
        }
    }
    Ok(Some(minutes))
}

/// The old side over the quarter hour before `moved_at`.
async fn baseline(ctx: &Ctx<'_>, moved_at: DateTime<Utc>) -> Result<Baseline, StepError> {
    let discovered = ctx.output::<SourceDiscovered>()?;
    let old_lb = discovered.load_balancer.arn;
    let start = floor_minute(moved_at) - BASELINE_WINDOW;
    let end = floor_minute(moved_at);
    let groups: Vec<(String, String)> = discovered
        .target_groups
        .iter()
        .map(|tg| (old_lb.clone(), tg.clone()))
        .collect();
    let mut total = Minute::default();
    if let Some(minutes) = minutes(ctx, &groups, None, start).await? {
        for m in minutes
            .into_iter()
            .filter(|(at, _)| *at < end)
            .map(|(_, m)| m)
        {
            total.requests += m.requests;
            total.errors += m.errors;
            total.response_weighted += m.response_weighted;
        }
    }
    Ok(Baseline {
        response_secs: total.response_secs(),
        error_percent: if total.requests > 0.0 {
            100.0 * total.errors / total.requests
        } else {
            0.0
        },
    })
}

/// The guard over one wait: what it has measured and seen so far.
struct Watch {
    since: DateTime<Utc>,
    baseline: Option<Baseline>,
    /// Since when each new service has run fewer tasks than it wants.
    short_since: BTreeMap<String, DateTime<Utc>>,
}

impl Watch {
    fn new(ctx: &Ctx<'_>) -> Self {
        Self {
            since: traffic_moved_at(ctx),
            baseline: None,
            short_since: BTreeMap::new(),
        }
    }

    /// Reads once; a broken limit is [`StepError::Breach`].
    async fn check(&mut self, ctx: &Ctx<'_>, guard: &Guard) -> Result<(), StepError> {
        let baseline = match self.baseline {
            Some(b) => b,
            None => {
                let b = baseline(ctx, self.since).await?;
                self.baseline = Some(b);
                b
            }
        };
        let groups = new_groups(ctx)?;
        let new_lb = ctx.optional_output::<LoadBalancerCreated>()?.map(|l| l.arn);
        // The minute the traffic moved in is judged too: it holds the first requests.
        let start = floor_minute(self.since);
        if let Some(minutes) = minutes(ctx, &groups, new_lb.as_deref(), start).await? {
            if let Some(breach) = judge(&minutes, guard, &baseline) {
                return Err(StepError::Breach(breach));
            }
        }
        self.check_tasks(ctx, guard).await
    }

    async fn check_tasks(&mut self, ctx: &Ctx<'_>, guard: &Guard) -> Result<(), StepError> {
        let plan = ctx.plan();
        let now = ctx.now();
        let lasting = chrono::Duration::minutes(i64::from(guard.periods.max(1)));
        for service in &ctx.playbook().target.services {
            let name = names::service(&plan.names, &service.name)?;
            let Some(found) = ctx.tolerate(
                ctx.cloud
                    .containers
                    .find_service(&plan.names.cluster, name)
                    .await,
            )?
            else {
                continue;
            };
            let Some(status) = found else {
                return Err(StepError::Breach(format!(
                    "the new service {name} is gone from {}",
                    plan.names.cluster
                )));
            };
            if status.running_count >= status.desired_count {
                self.short_since.remove(name);
                continue;
            }
            let since = *self.short_since.entry(name.to_string()).or_insert(now);
            if now - since >= lasting {
                let reason = status
                    .stopped_reasons
                    .first()
                    .map(|r| format!("; last stopped task: {r}"))
                    .unwrap_or_default();
                return Err(StepError::Breach(format!(
                    "the new service {name} has run {} of {} tasks for {} minute(s){reason}",
                    status.running_count,
                    status.desired_count,
                    guard.periods.max(1)
                )));
            }
        }
        Ok(())
    }
}

/// Waits `duration` for `what` under the guard: a plain wait when the playbook turns the guard
/// off.
pub(super) async fn bake(ctx: &Ctx<'_>, duration: Duration, what: &str) -> Result<(), StepError> {
    let guard = &ctx.playbook().guard;
    if !guard.enabled {
        return drain::wait_for(ctx, duration, what).await;
    }
    let mut watch = Watch::new(ctx);
    let countdown = drain::Countdown::new(ctx, duration);
    loop {
        watch.check(ctx, guard).await?;
        let waiting = countdown
            .pause(
                ctx,
                GUARD_POLL,
                |left| format!("watching {what}: {left}s left"),
                || format!("still watching {what}"),
            )
            .await?;
        if !waiting {
            return Ok(());
        }
    }
}

/// `watch-new-side`: the new side under the guard for the playbook's `guard.watch` after the last
/// traffic step, while the old side can still take every request back.
pub struct WatchNewSide {
    pub secs: u64,
}

#[async_trait]
impl Step for WatchNewSide {
    type Output = Watched;
    type Recorded = ();

    async fn prepare(&self, _: &Ctx<'_>) -> Result<Prepared<()>, StepError> {
        Ok(Prepared::new(format!(
            "watch the new side for {}",
            migrate_playbook::render_duration(Duration::from_secs(self.secs))
        )))
    }

    async fn execute(&self, ctx: &Ctx<'_>, (): &()) -> Result<Outcome<Watched>, StepError> {
        let from = ctx.now();
        bake(
            ctx,
            Duration::from_secs(self.secs),
            "the new side with all the traffic",
        )
        .await?;
        Ok(Outcome::Done(Watched {
            from,
            to: ctx.now(),
        }))
    }

    fn reconciliation(&self) -> Reconciliation<'_, Watched> {
        Reconciliation::IdempotentAsWhole
    }

    async fn compensate(&self, _: &Ctx<'_>, _: Undoing<Watched, ()>) -> Result<(), StepError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 - 1_700_000_000 % 60 + minute * 60, 0).unwrap()
    }

    fn series(points: &[(i64, Minute)]) -> BTreeMap<DateTime<Utc>, Minute> {
        points.iter().map(|(m, v)| (at(*m), *v)).collect()
    }

    fn served(requests: f64, errors: f64) -> Minute {
        Minute {
            requests,
            errors,
            unhealthy: 0.0,
            response_weighted: 0.3 * requests,
        }
    }

    const OLD: Baseline = Baseline {
        response_secs: Some(0.3),
        error_percent: 0.5,
    };

    #[test]
    fn one_minute_of_5xx_above_the_old_share_breaks_the_limit() {
        let guard = Guard::default();
        // 1.4 % is under 1 % above the old side's 0.5 %.
        assert_eq!(
            judge(&series(&[(0, served(500.0, 7.0))]), &guard, &OLD),
            None
        );
        let breach = judge(
            &series(&[(0, served(500.0, 2.0)), (1, served(500.0, 8.0))]),
            &guard,
            &OLD,
        )
        .unwrap();
        assert!(
            breach.contains("8 of 500") && breach.contains("1.6%"),
            "{breach}"
        );
        // A quiet minute's few errors are not a rate.
        assert_eq!(
            judge(&series(&[(0, served(10.0, 4.0))]), &guard, &OLD),
            None
        );
    }

    #[test]
    fn unhealthy_targets_and_slow_answers_must_last() {
        let guard = Guard::default();
        let sick = Minute {
            unhealthy: 1.0,
            ..served(100.0, 0.0)
        };
        assert_eq!(
            judge(&series(&[(0, sick), (1, served(100.0, 0.0))]), &guard, &OLD),
            None
        );
        // Two minutes, but not in a row.
        assert_eq!(judge(&series(&[(0, sick), (2, sick)]), &guard, &OLD), None);
        assert!(judge(&series(&[(0, sick), (1, sick)]), &guard, &OLD)
            .unwrap()
            .contains("unhealthy"));
        let slow = Minute {
            response_weighted: 1.0 * 100.0,
            ..served(100.0, 0.0)
        };
        assert_eq!(judge(&series(&[(0, slow)]), &guard, &OLD), None);
        let breach = judge(&series(&[(0, slow), (1, slow)]), &guard, &OLD).unwrap();
        assert!(breach.contains("slower than 0.900s"), "{breach}");
        // Without a baseline there is nothing to compare with.
        let unknown = Baseline {
            response_secs: None,
            ..OLD
        };
        assert_eq!(
            judge(&series(&[(0, slow), (1, slow)]), &guard, &unknown),
            None
        );
    }
}
