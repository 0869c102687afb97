//! The drain: the old side is scaled down only once it is proven to serve nobody (invariant 5).
//!
//! Proof is CloudWatch `RequestCount` of each old target group (dimensions `LoadBalancer` and
//! `TargetGroup`) at or below the playbook's `drain.noise_threshold` over a whole window that lies
//! after the cutover and after the DNS TTL has run out. Clients that keep DNS answers longer than
//! the TTL (JVMs, some resolvers) show up there, and the drain waits for them too. The whole load
//! balancer's count is not used: scanners and monitors that call the old load balancer by its
//! own name keep it above zero, and the load balancer answers them without the old side.
//!
//! CloudWatch reports a load balancer metric only for periods that have data
//! (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html>),
//! and publishes it late, so "no data points" is either "no requests" or "not published yet".
//! `HealthyHostCount`, which the same page says is reported for a target group whenever its
//! health checks are enabled, whether requests flow or not, tells the two apart: a window counts
//! only once every one of its minutes has a `HealthyHostCount` data point for the target group.
//! A target group without health checks never proves a window, and the drain runs into its
//! deadline saying so (fail closed) rather than read silence as zero.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use migrate_journal::State;

use super::dns::original_ttl;
use super::{Outcome, Prepared, Reconciliation, Step, Undoing};
use crate::context::{Ctx, POLL};
use crate::error::StepError;
use crate::outputs::{self, Drained, SourceDiscovered, StepOutput, TtlLowered};
use crate::ports::{load_balancer_dimension, target_group_dimension, MetricQuery};

/// CloudWatch publishes load balancer metrics a minute or so late: the newest minute is never
/// trusted to be zero.
pub const METRIC_LAG: Duration = Duration::from_secs(60);

/// How often the drain reads the metric.
const DRAIN_POLL: Duration = Duration::from_secs(10);

/// `drain`.
pub struct Drain;

#[async_trait]
impl Step for Drain {
    type Output = Drained;
    type Recorded = ();

    async fn prepare(&self, _: &Ctx<'_>) -> Result<Prepared<()>, StepError> {
        Ok(Prepared::new("wait for the old side to drain"))
    }

    async fn execute(&self, ctx: &Ctx<'_>, (): &()) -> Result<Outcome<Drained>, StepError> {
        let playbook = ctx.playbook();
        let discovered = ctx.output::<SourceDiscovered>()?;
        // The drain counts from when the DNS change that moved traffic finished.
        let since = cutover_finished_at(ctx).unwrap_or_else(|| ctx.now());
        // With the listener strategy the old target group stops receiving requests when the
        // old load balancer's forwards give it weight 0, whatever clients cached: no TTL to
        // wait out.
        let ttl = match playbook.cutover.strategy {
            migrate_playbook::CutoverStrategy::Listener { .. } => 0,
            _ => cached_ttl(ctx.state)?,
        };
        let min_wait = playbook.drain.min_wait.max(Duration::from_secs(ttl));
        let served = wait_for_target_groups(
            ctx,
            &discovered.load_balancer.arn,
            &discovered.target_groups,
            TargetGroupDrain {
                since,
                min_wait,
                window: playbook.drain.zero_traffic_window,
                noise_threshold: playbook.drain.noise_threshold,
            },
        )
        .await?;
        Ok(Outcome::Done(Drained {
            at: ctx.now(),
            last_nonzero_count: served,
        }))
    }

    fn reconciliation(&self) -> Reconciliation<'_, Drained> {
        Reconciliation::IdempotentAsWhole
    }

    async fn compensate(&self, _: &Ctx<'_>, _: Undoing<Drained, ()>) -> Result<(), StepError> {
        // A wait changes nothing; there is nothing to undo.
        Ok(())
    }
}

/// How long clients may have cached the old answer: the lowered TTL when `lower-ttl` lowered
/// it, else the original record's. Recorded DNS data that cannot be read stops the drain: a
/// guessed TTL could end it while clients still use the old side.
fn cached_ttl(state: &State) -> Result<u64, StepError> {
    if let Some(lowered) = outputs::read::<TtlLowered>(state, TtlLowered::STEP)? {
        return Ok(lowered.effective_ttl_secs);
    }
    let discovered =
        outputs::read::<SourceDiscovered>(state, SourceDiscovered::STEP)?.ok_or_else(|| {
            StepError::precondition(format!(
                "step {} has recorded no outputs; the state is inconsistent",
                SourceDiscovered::STEP
            ))
        })?;
    // Every moved name counts: clients of any of them may hold the old answer that long.
    original_ttl(&super::dns_records::all(&discovered.zones_to_move()))
}

fn cutover_finished_at(ctx: &Ctx<'_>) -> Option<DateTime<Utc>> {
    ctx.plan()
        .steps
        .iter()
        .filter(|s| s.action.moves_traffic())
        .filter_map(|s| ctx.record(&s.id)?.finished_at)
        .max()
}

/// Sleeps `duration` on the injected clock, reporting progress.
pub async fn wait_for(ctx: &Ctx<'_>, duration: Duration, what: &str) -> Result<(), StepError> {
    let countdown = Countdown::new(ctx, duration);
    while countdown
        .pause(
            ctx,
            Duration::from_secs(10),
            |left| format!("waiting {left}s for {what}"),
            || format!("still waiting for {what}"),
        )
        .await?
    {}
    Ok(())
}

/// A wait of fixed length on the injected clock that reports its progress: a bake, a watch.
pub(super) struct Countdown {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    duration: Duration,
}

impl Countdown {
    pub(super) fn new(ctx: &Ctx<'_>, duration: Duration) -> Self {
        let start = ctx.now();
        Self {
            start,
            end: start + chrono::Duration::from_std(duration).unwrap_or_default(),
            duration,
        }
    }

    /// `false` once the time is up; otherwise reports `progress(seconds left)` and sleeps at
    /// most `poll` (failing with `still()` when the step's deadline would pass).
    pub(super) async fn pause(
        &self,
        ctx: &Ctx<'_>,
        poll: Duration,
        progress: impl Fn(u64) -> String,
        still: impl Fn() -> String,
    ) -> Result<bool, StepError> {
        let now = ctx.now();
        if now >= self.end {
            return Ok(false);
        }
        let done =
            (now - self.start).num_milliseconds() as f64 / self.duration.as_millis().max(1) as f64;
        let left = (self.end - now).to_std().unwrap_or_default();
        ctx.waiting(&progress(left.as_secs()), Some(done));
        ctx.pause(left.min(poll), still).await?;
        Ok(true)
    }
}

/// When and how strictly the old target groups are judged drained.
pub struct TargetGroupDrain {
    /// When the cutover finished.
    pub since: DateTime<Utc>,
    /// The shortest wait after `since`, whatever the metrics say.
    pub min_wait: Duration,
    /// How long each target group must have served at most `noise_threshold` requests.
    pub window: Duration,
    pub noise_threshold: u64,
}

/// `at` rounded down to its minute.
fn floor_minute(at: DateTime<Utc>) -> DateTime<Utc> {
    let secs = at.timestamp();
    DateTime::from_timestamp(secs - secs.rem_euclid(60), 0).unwrap_or(at)
}

/// `at` rounded up to a minute.
fn ceil_minute(at: DateTime<Utc>) -> DateTime<Utc> {
    let floor = floor_minute(at);
    if floor == at {
        at
    } else {
        floor + chrono::Duration::minutes(1)
    }
}

/// The newest window of `minutes` whole minutes, each published, that starts no earlier than
/// `not_before`; `None` while there is none. `published` are the starts of the minutes that
/// have a data point, oldest first.
fn published_window(
    published: &[DateTime<Utc>],
    minutes: i64,
    not_before: DateTime<Utc>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let newest = *published.last()?;
    let end = newest + chrono::Duration::minutes(1);
    let start = end - chrono::Duration::minutes(minutes);
    if start < not_before {
        return None;
    }
    let covered = published
        .iter()
        .filter(|at| **at >= start && **at < end)
        .count();
    (i64::try_from(covered).unwrap_or(i64::MAX) >= minutes).then_some((start, end))
}

/// Waits until `min_wait` has passed since the cutover and every old target group has served
/// at most the noise threshold in a whole published window that began after it. Answers the
/// last count above the threshold seen.
pub async fn wait_for_target_groups(
    ctx: &Ctx<'_>,
    lb_arn: &str,
    target_groups: &[String],
    drain: TargetGroupDrain,
) -> Result<u64, StepError> {
    if target_groups.is_empty() {
        return Err(StepError::precondition(
            "discover-source recorded no target group of the old load balancer, so nothing \
             proves that the old side serves nobody; the drain will not guess",
        ));
    }
    let lb_dimension = load_balancer_dimension(lb_arn);
    let chrono = |d: Duration| chrono::Duration::from_std(d).unwrap_or_default();
    let minutes = i64::try_from(drain.window.as_secs().div_ceil(60))
        .unwrap_or(i64::MAX)
        .max(1);
    let since = drain.since;
    // Minutes that began before the cutover finished hold requests from before it.
    let not_before = ceil_minute(since);
    // The window itself cannot be judged before it has passed and been published; the proof
    // of publication, not a fixed lag, decides that.
    let earliest = since + chrono(drain.min_wait);
    let what = "the old target groups";
    let mut last_above = 0u64;
    loop {
        let now = ctx.now();
        if now < earliest {
            let left = (earliest - now).to_std().unwrap_or_default();
            let total = (earliest - since).num_milliseconds().max(1) as f64;
            ctx.waiting(
                &format!(
                    "{what}: {}s before their traffic can be judged",
                    left.as_secs()
                ),
                Some((now - since).num_milliseconds() as f64 / total),
            );
            ctx.pause(left.min(Duration::from_secs(10)), || {
                format!("{what} were still in their minimum wait")
            })
            .await?;
            continue;
        }
        // A minute younger than METRIC_LAG is not trusted even when it has a data point: late
        // data points can still add to it.
        let lookback_end = floor_minute(now - chrono(METRIC_LAG));
        if lookback_end < not_before + chrono::Duration::minutes(minutes) {
            // Not even the first window after the cutover has passed METRIC_LAG yet (and
            // CloudWatch refuses a query whose start is not before its end).
            let reason = format!(
                "{what}: the first {minutes}-minute window after the cutover has not passed yet"
            );
            ctx.waiting(&reason, None);
            ctx.pause(DRAIN_POLL, move || reason).await?;
            continue;
        }
        let mut verdict = Ok(());
        for tg_arn in target_groups {
            let tg = target_group_dimension(tg_arn);
            let dimensions = vec![
                ("LoadBalancer".to_string(), lb_dimension.clone()),
                ("TargetGroup".to_string(), tg.clone()),
            ];
            let query = |metric: &str, start, end| MetricQuery {
                namespace: "AWS/ApplicationELB".into(),
                metric_name: metric.into(),
                dimensions: dimensions.clone(),
                start,
                end,
                period_secs: 60,
            };
            let published = ctx.tolerate(
                ctx.cloud
                    .metrics
                    .datapoint_times(&query("HealthyHostCount", not_before, lookback_end))
                    .await,
            )?;
            let Some(published) = published else {
                verdict = Err(format!("{what}: CloudWatch did not answer"));
                break;
            };
            let Some((start, end)) = published_window(&published, minutes, not_before) else {
                verdict = Err(format!(
                    "CloudWatch has not yet published {minutes} whole minutes after the cutover \
                     for target group {tg} (HealthyHostCount data points: {}); no data is not \
                     yet zero",
                    published.len()
                ));
                break;
            };
            let Some(count) = ctx.tolerate(
                ctx.cloud
                    .metrics
                    .sum(&query("RequestCount", start, end))
                    .await,
            )?
            else {
                verdict = Err(format!("{what}: CloudWatch did not answer"));
                break;
            };
            let count = count.max(0.0) as u64;
            if count > drain.noise_threshold {
                last_above = count;
                verdict = Err(format!(
                    "target group {tg} still served {count} requests in the {minutes} minutes \
                     to {end} (noise threshold {}); some clients keep DNS answers longer than \
                     the TTL or call the old load balancer by its own name",
                    drain.noise_threshold
                ));
                break;
            }
        }
        let Err(reason) = verdict else {
            return Ok(last_above);
        };
        ctx.waiting(&reason, None);
        ctx.pause(DRAIN_POLL, move || reason).await?;
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use migrate_journal::StepStatus;

    use super::*;
    use crate::ports::DnsRecord;

    fn state() -> State {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
        let playbook =
            migrate_playbook::Playbook::from_path(&path).expect("the demo playbook is valid");
        State::new(migrate_plan::build(&playbook), Utc::now())
    }

    fn record(state: &mut State, step: &str, outputs: serde_json::Value) {
        let record = state
            .steps
            .iter_mut()
            .find(|r| r.id == step)
            .expect("the demo plan has the step");
        record.status = StepStatus::Done;
        record.outputs = outputs;
    }

    fn discovered(ttl: u32) -> serde_json::Value {
        serde_json::to_value(SourceDiscovered {
            beanstalk: None,
            old_services: Vec::new(),
            auto_scaling_group: None,
            load_balancer: crate::outputs::OldLoadBalancer {
                arn: "arn:aws:elasticloadbalancing:r:1:loadbalancer/app/old/1".into(),
                name: "old".into(),
                dns_name: "old-1.elb.amazonaws.com".into(),
                zone_id: "Z1".into(),
                security_groups: vec!["sg-1".into()],
            },
            target_groups: Vec::new(),
            https_certificate: None,
            zone_id: "Z2".into(),
            records: vec![DnsRecord {
                name: "shop.example.com".into(),
                record_type: "CNAME".into(),
                ttl: Some(ttl),
                values: vec!["old-1.elb.amazonaws.com".into()],
                alias: None,
                set_identifier: None,
                weight: None,
                routing: Default::default(),
            }],
            behaviour: None,
            moved_records: Vec::new(),
            old_instances: Vec::new(),
        })
        .expect("encodes")
    }

    fn minute(m: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_600_000 + m * 60, 0).expect("in range")
    }

    #[test]
    fn a_window_counts_only_when_every_minute_is_published_after_the_cutover() {
        let all: Vec<_> = (0..6).map(minute).collect();
        // The newest two minutes after the cutover.
        assert_eq!(
            published_window(&all, 2, minute(0)),
            Some((minute(4), minute(6)))
        );
        // Nothing published yet, or not enough minutes since the cutover.
        assert_eq!(published_window(&[], 2, minute(0)), None);
        assert_eq!(published_window(&all[..1], 2, minute(0)), None);
        assert_eq!(published_window(&all, 2, minute(5)), None);
        // A gap inside the window: a minute with no data point is not a zero.
        let gap = vec![minute(0), minute(1), minute(3)];
        assert_eq!(published_window(&gap, 2, minute(0)), None);
        assert_eq!(ceil_minute(minute(1)), minute(1));
        assert_eq!(
            ceil_minute(minute(1) + chrono::Duration::seconds(1)),
            minute(2)
        );
    }

    #[test]
    fn the_drain_waits_out_the_lowered_or_the_original_ttl() {
        let mut state = state();
        record(&mut state, "discover-source", discovered(3600));
        assert_eq!(cached_ttl(&state).ok(), Some(3600));
        record(
            &mut state,
            "lower-ttl",
            serde_json::json!({"effective_ttl_secs": 60}),
        );
        assert_eq!(cached_ttl(&state).ok(), Some(60));
    }

    #[test]
    fn the_drain_waits_out_the_longest_ttl_of_every_moved_name() {
        let mut state = state();
        let mut found = discovered(300);
        let private_cname = serde_json::json!({
            "name": "shop.example.com", "record_type": "CNAME", "ttl": 7200,
            "values": ["old-1.elb.amazonaws.com"], "alias": null,
            "set_identifier": null, "weight": null
        });
        found["moved_records"] = serde_json::json!([
            {"zone_id": "Z2", "zone_name": "example.com", "private": false,
             "records": found["records"].clone()},
            {"zone_id": "Z3", "zone_name": "example.com", "private": true,
             "records": [private_cname]},
        ]);
        record(&mut state, "discover-source", found);
        assert_eq!(cached_ttl(&state).ok(), Some(7200));
    }

    #[test]
    fn unreadable_dns_data_stops_the_drain_instead_of_assuming_60_seconds() {
        let mut state = state();
        let mut broken = discovered(3600);
        broken["records"] = serde_json::json!("[{\"ttl\": 3600}]");
        record(&mut state, "discover-source", broken);
        let error = cached_ttl(&state).expect_err("must not guess a TTL");
        assert!(error.to_string().contains("discover-source"), "{error}");
        // Nothing recorded at all is no better.
        assert!(cached_ttl(&self::state()).is_err());
    }
}
