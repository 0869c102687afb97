//! CloudWatch as the simulation keeps it: one-minute data points derived from the traffic, which
//! become visible only when their minute has ended and the publication delay has passed.

use std::collections::BTreeMap;

use migrate_engine::ports::{AlarmSpec, MetricQuery};

use crate::clock::{Millis, SimClock};

pub(crate) const MINUTE: Millis = 60_000;

/// (namespace, metric, dimensions sorted by name).
type SeriesKey = (String, String, Vec<(String, String)>);

#[derive(Debug, Default, Clone)]
pub(crate) struct CloudWatch {
    pub(crate) series: BTreeMap<SeriesKey, BTreeMap<Millis, f64>>,
    pub alarms: BTreeMap<String, AlarmSpec>,
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
        let Some(points) = self.series.get(&key(
            &query.namespace,
            &query.metric_name,
            &query.dimensions,
        )) else {
            return 0.0;
        };
        let start = SimClock::ms_of(query.start);
        let end = SimClock::ms_of(query.end);
        if end <= start {
            return 0.0;
        }
        points
            .range(start - start % MINUTE..end)
            .filter(|(minute, _)| **minute + MINUTE + self.delay_ms <= now)
            .map(|(_, v)| *v)
            .sum()
    }
}
