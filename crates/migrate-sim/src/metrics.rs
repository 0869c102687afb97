//! CloudWatch as the simulation keeps it: one-minute data points derived from the traffic, which
//! become visible only when their minute has ended and the publication delay has passed.

use std::collections::BTreeMap;

use migrate_engine::ports::{AlarmSpec, MetricQuery, Statistic};

use crate::clock::{Millis, SimClock};

pub(crate) const MINUTE: Millis = 60_000;

/// (namespace, metric, dimensions sorted by name).
type SeriesKey = (String, String, Vec<(String, String)>);

#[derive(Debug, Default, Clone)]
pub(crate) struct CloudWatch {
    pub(crate) series: BTreeMap<SeriesKey, BTreeMap<Millis, f64>>,
    pub alarms: BTreeMap<String, AlarmSpec>,
    /// Descriptions of the alarms that have one (the old side's, seeded).
    pub alarm_descriptions: BTreeMap<String, String>,
    pub delay_ms: Millis,
}

fn key(namespace: &str, metric: &str, dimensions: &[(String, String)]) -> SeriesKey {
    let mut dims = dimensions.to_vec();
    dims.sort();
    (namespace.to_string(), metric.to_string(), dims)
}

impl CloudWatch {
    /// Adds `value` to the one-minute data point that contains `at`.
    pub fn add(
        &mut self,
        namespace: &str,
        metric: &str,
        dims: &[(String, String)],
        at: Millis,
        value: f64,
    ) {
        let minute = at - at % MINUTE;
        *self
            .series
            .entry(key(namespace, metric, dims))
            .or_default()
            .entry(minute)
            .or_insert(0.0) += value;
    }

    /// The sum over the query window of the data points published by `now`. CloudWatch matches
    /// dimension sets exactly, and so does this.
    pub fn sum(&self, query: &MetricQuery, now: Millis) -> f64 {
        self.published(query, now).map(|(_, v)| v).sum()
    }

    /// The minutes of the query window whose data point is published by `now`. A minute
    /// without data has no data point: CloudWatch reports a load balancer metric only for the
    /// periods that have data
    /// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html>).
    pub fn datapoint_minutes(&self, query: &MetricQuery, now: Millis) -> Vec<Millis> {
        self.published(query, now)
            .map(|(minute, _)| minute)
            .collect()
    }

    /// One value of `statistic` per published minute of the query window. The simulation keeps
    /// a load balancer's host counts as each minute's average and its response times as a sum
    /// beside `RequestCount`: an `Average` of `TargetResponseTime` divides the one by the other;
    /// the `Maximum` of a host count is its minute's average (equal for a fault that lasts the
    /// whole minute, which is what the guard's consecutive minutes judge).
    pub fn points(
        &self,
        query: &MetricQuery,
        statistic: Statistic,
        now: Millis,
    ) -> Vec<(Millis, f64)> {
        let points = self.published(query, now);
        if statistic != Statistic::Average || query.metric_name != "TargetResponseTime" {
            return points.collect();
        }
        let requests = MetricQuery {
            metric_name: "RequestCount".into(),
            ..query.clone()
        };
        let counts: BTreeMap<Millis, f64> = self.published(&requests, now).collect();
        points
            .filter_map(|(minute, total)| {
                let n = counts.get(&minute).copied().filter(|n| *n > 0.0)?;
                Some((minute, total / n))
            })
            .collect()
    }

    fn published<'a>(
        &'a self,
        query: &MetricQuery,
        now: Millis,
    ) -> impl Iterator<Item = (Millis, f64)> + 'a {
        let start = SimClock::ms_of(query.start);
        let end = SimClock::ms_of(query.end);
        let delay = self.delay_ms;
        self.series
            .get(&key(
                &query.namespace,
                &query.metric_name,
                &query.dimensions,
            ))
            .filter(|_| end > start)
            .into_iter()
            .flat_map(move |points| points.range(start - start % MINUTE..end))
            .filter(move |(minute, _)| **minute + MINUTE + delay <= now)
            .map(|(minute, v)| (*minute, *v))
    }
}
