//! CloudWatch: sums over the data points derived from the simulated traffic, and alarms.

use async_trait::async_trait;
use migrate_engine::ports::{
    AlarmSpec, CloudResult, ErrorKind, ExistingAlarm, MetricQuery, Metrics, Statistic,
};

use super::{err, Kind, SimCloud};
use crate::clock::SimClock;
use crate::world::old_side::DrainReading;
use chrono::{DateTime, Utc};

/// CloudWatch refuses a window that does not start before it ends.
fn check_window(query: &MetricQuery) -> CloudResult<()> {
    if query.end <= query.start {
        return Err(err(
            ErrorKind::InvalidRequest,
            "cloudwatch:GetMetricData",
            &query.metric_name,
            "ValidationError: The parameter StartTime must not equal parameter EndTime.",
        ));
    }
    Ok(())
}

#[async_trait]
impl Metrics for SimCloud {
    async fn sum(&self, query: &MetricQuery) -> CloudResult<f64> {
        self.call(
            "cloudwatch:GetMetricData",
            &query.metric_name,
            Kind::Read,
            |w| {
                check_window(query)?;
                if w.drain_reading == Some(DrainReading::WholeLoadBalancer)
                    && query.metric_name == "RequestCount"
                {
                    let whole = MetricQuery {
                        dimensions: query
                            .dimensions
                            .iter()
                            .filter(|(name, _)| name != "TargetGroup")
                            .cloned()
                            .collect(),
                        ..query.clone()
                    };
                    return Ok(w.cloudwatch.sum(&whole, w.now));
                }
                Ok(w.cloudwatch.sum(query, w.now))
            },
        )
        .await
    }

    async fn datapoint_times(&self, query: &MetricQuery) -> CloudResult<Vec<DateTime<Utc>>> {
        self.call(
            "cloudwatch:GetMetricData",
            &query.metric_name,
            Kind::Read,
            |w| {
                check_window(query)?;
                if w.drain_reading == Some(DrainReading::NoDataIsZero) {
                    // Every period of the window, published or not.
                    let period = chrono::Duration::seconds(i64::from(query.period_secs.max(1)));
                    let mut at = query.start;
                    let mut times = Vec::new();
                    while at < query.end {
                        times.push(at);
                        at += period;
                    }
                    return Ok(times);
                }
                Ok(w.cloudwatch
                    .datapoint_minutes(query, w.now)
                    .into_iter()
                    .map(SimClock::date_of)
                    .collect())
            },
        )
        .await
    }

    async fn points(
        &self,
        query: &MetricQuery,
        statistic: Statistic,
    ) -> CloudResult<Vec<(DateTime<Utc>, f64)>> {
        self.call(
            "cloudwatch:GetMetricData",
            &query.metric_name,
            Kind::Read,
            |w| {
                check_window(query)?;
                Ok(w.cloudwatch
                    .points(query, statistic, w.now)
                    .into_iter()
                    .map(|(minute, value)| (SimClock::date_of(minute), value))
                    .collect())
            },
        )
        .await
    }

    async fn put_alarm(&self, spec: &AlarmSpec) -> CloudResult<()> {
        self.call("cloudwatch:PutMetricAlarm", &spec.name, Kind::Write, |w| {
            // PutMetricAlarm creates or replaces: idempotent by name.
            if w.cloudwatch
                .alarms
                .insert(spec.name.clone(), spec.clone())
                .is_none()
            {
                w.record_creation("alarm", &spec.name, &spec.name);
            }
            Ok(())
        })
        .await
    }

    async fn delete_alarm(&self, name: &str) -> CloudResult<()> {
        let op = "cloudwatch:DeleteAlarms";
        self.call(op, name, Kind::Write, |w| {
            w.cloudwatch.alarm_descriptions.remove(name);
            match w.cloudwatch.alarms.remove(name) {
                Some(_) => Ok(()),
                None => Err(err(ErrorKind::NotFound, op, name, "ResourceNotFound")),
            }
        })
        .await
    }

    async fn metric_alarms(&self) -> CloudResult<Vec<ExistingAlarm>> {
        self.call("cloudwatch:DescribeAlarms", "alarms", Kind::Read, |w| {
            Ok(w.cloudwatch
                .alarms
                .values()
                .map(|a| ExistingAlarm {
                    name: a.name.clone(),
                    dimensions: a.dimensions.clone(),
                    description: w.cloudwatch.alarm_descriptions.get(&a.name).cloned(),
                })
                .collect())
        })
        .await
    }
}
