//! The drain: the old side is scaled down only once it is proven to serve nobody (invariant 5).
//!
//! Proof is the old load balancer's CloudWatch `RequestCount` at zero over a whole window that
//! lies after the cutover and after the DNS TTL has run out. Clients that keep DNS answers longer
//! than the TTL (JVMs, some resolvers) show up there, and the drain waits for them too.

use std::time::Duration;

use chrono::{DateTime, Utc};
use migrate_plan::Action;

use super::dns::{original_ttl, ALIAS_TTL_SECS};
use super::Outcome;
use crate::context::{load_balancer_dimension, Ctx, Outputs, POLL};
use crate::error::StepError;
use crate::ports::MetricQuery;

/// CloudWatch publishes load balancer metrics a minute or so late: the newest minute is never
/// trusted to be zero.
pub const METRIC_LAG: Duration = Duration::from_secs(60);

/// How often the drain reads the metric.
const DRAIN_POLL: Duration = Duration::from_secs(10);

pub async fn run(ctx: &Ctx<'_>) -> Result<Outcome, StepError> {
    let playbook = ctx.playbook();
    let lb_arn = ctx.output("discover-source", "load_balancer_arn")?;
    // The drain counts from when the DNS change that moved traffic finished.
    let since = cutover_finished_at(ctx).unwrap_or_else(|| ctx.now());
    let ttl = ctx
        .optional_output("lower-ttl", "effective_ttl")
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap_or_else(|| {
            ctx.optional_output("discover-source", "record")
                .and_then(|json| serde_json::from_str(&json).ok())
                .map_or(ALIAS_TTL_SECS, |records: Vec<_>| original_ttl(&records))
        });
    let min_wait = playbook.drain.min_wait.max(Duration::from_secs(ttl));
    let served = wait_for_zero(
        ctx,
        &lb_arn,
        since,
        min_wait,
        playbook.drain.zero_traffic_window,
        "the old load balancer",
    )
    .await?;
    Ok(Outcome::Done(Outputs::from([
        ("drained_at".into(), ctx.now().to_rfc3339()),
        ("last_nonzero_count".into(), served.to_string()),
    ])))
}

fn cutover_finished_at(ctx: &Ctx<'_>) -> Option<DateTime<Utc>> {
    ctx.plan()
        .steps
        .iter()
        .filter(|s| matches!(s.action, Action::CutoverDns | Action::ShiftWeight { .. }))
        .filter_map(|s| ctx.record(&s.id)?.finished_at)
        .max()
}

/// Sleeps `duration` on the injected clock, reporting progress.
pub async fn wait_for(ctx: &Ctx<'_>, duration: Duration, what: &str) -> Result<(), StepError> {
    let start = ctx.now();
    let end = start + chrono::Duration::from_std(duration).unwrap_or_default();
    loop {
        let now = ctx.now();
        if now >= end {
            return Ok(());
        }
        let done = (now - start).num_milliseconds() as f64 / duration.as_millis().max(1) as f64;
        let left = (end - now).to_std().unwrap_or_default();
        ctx.waiting(
            &format!("waiting {}s for {what}", left.as_secs()),
            Some(done),
        );
        ctx.pause(left.min(Duration::from_secs(10)), || {
            format!("still waiting for {what}")
        })
        .await?;
    }
}

/// Waits until `min_wait` has passed since `since` and the load balancer has served no request
/// in a full `window` that began after `since`. Answers the last non-zero count seen.
pub async fn wait_for_zero(
    ctx: &Ctx<'_>,
    lb_arn: &str,
    since: DateTime<Utc>,
    min_wait: Duration,
    window: Duration,
    what: &str,
) -> Result<u64, StepError> {
    let dimension = load_balancer_dimension(lb_arn);
    let chrono = |d: Duration| chrono::Duration::from_std(d).unwrap_or_default();
    let earliest = since + chrono(min_wait.max(window + METRIC_LAG));
    let mut last_nonzero = 0u64;
    loop {
        let now = ctx.now();
        if now < earliest {
            let left = (earliest - now).to_std().unwrap_or_default();
            let total = (earliest - since).num_milliseconds().max(1) as f64;
            ctx.waiting(
                &format!(
                    "{what}: {}s before its traffic can be judged",
                    left.as_secs()
                ),
                Some((now - since).num_milliseconds() as f64 / total),
            );
            ctx.pause(left.min(Duration::from_secs(10)), || {
                format!("{what} was still in its minimum wait")
            })
            .await?;
            continue;
        }
        let end = now - chrono(METRIC_LAG);
        let query = MetricQuery {
            namespace: "AWS/ApplicationELB".into(),
            metric_name: "RequestCount".into(),
            dimensions: vec![("LoadBalancer".into(), dimension.clone())],
            start: end - chrono(window),
            end,
            period_secs: 60,
        };
        let Some(count) = ctx.tolerate(ctx.cloud.metrics.sum(&query).await)? else {
            ctx.pause(POLL, || format!("{what}: CloudWatch did not answer"))
                .await?;
            continue;
        };
        if count <= 0.0 {
            return Ok(last_nonzero);
        }
        last_nonzero = count as u64;
        ctx.waiting(
            &format!(
                "{what} served {last_nonzero} requests in the last {}s",
                window.as_secs()
            ),
            None,
        );
        let reported = last_nonzero;
        let window_secs = window.as_secs();
        ctx.pause(DRAIN_POLL, move || {
            format!(
                "{what} still served {reported} requests in the last {window_secs}s; some clients \
                 keep DNS answers longer than the TTL or call it by its own name"
            )
        })
        .await?;
    }
}
