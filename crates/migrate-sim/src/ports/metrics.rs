//! CloudWatch: sums over the data points derived from the simulated traffic, and alarms.

use async_trait::async_trait;
use migrate_engine::ports::{AlarmSpec, CloudResult, ErrorKind, MetricQuery, Metrics};

use super::{err, Kind, SimCloud};

#[async_trait]
impl Metrics for SimCloud {
    async fn sum(&self, query: &MetricQuery) -> CloudResult<f64> {
        self.call(
            "cloudwatch:GetMetricData",
            &query.metric_name,
            Kind::Read,
            |w| Ok(w.cloudwatch.sum(query, w.now)),
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
            match w.cloudwatch.alarms.remove(name) {
                Some(_) => Ok(()),
                None => Err(err(ErrorKind::NotFound, op, name, "ResourceNotFound")),
            }
        })
        .await
    }
}
