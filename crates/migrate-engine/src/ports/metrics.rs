//! CloudWatch: metric sums and alarms.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{CloudResult, Tags};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricQuery {
    /// e.g. `AWS/ApplicationELB`.
    pub namespace: String,
    /// e.g. `RequestCount`.
    pub metric_name: String,
    pub dimensions: Vec<(String, String)>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub period_secs: u32,
}

/// A statistic CloudWatch computes over each period of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    Sum,
    Average,
    Maximum,
}

impl Statistic {
    /// The name `GetMetricData` takes.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sum => "Sum",
            Self::Average => "Average",
            Self::Maximum => "Maximum",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmSpec {
    pub name: String,
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Vec<(String, String)>,
    /// `Average`, `Sum`, `Minimum`, ...
    pub statistic: String,
    /// `LessThanThreshold`, `GreaterThanThreshold`, ...
    pub comparison: String,
    pub threshold: f64,
    pub period_secs: u32,
    pub evaluation_periods: u32,
    /// What the alarm notifies when it goes to `ALARM` (SNS topic ARNs); empty for none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alarm_actions: Vec<String>,
    pub tags: Tags,
}

/// A metric alarm as `DescribeAlarms` lists it, for finding the old side's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExistingAlarm {
    pub name: String,
    pub dimensions: Vec<(String, String)>,
    pub description: Option<String>,
}

impl ExistingAlarm {
    /// Whether a scaling policy owns the alarm: target tracking creates its alarms, says "DO NOT
    /// EDIT OR DELETE" in their description, and deletes them with the policy
    /// (<https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-target-tracking.html>).
    pub fn owned_by_a_scaling_policy(&self) -> bool {
        self.name.starts_with("TargetTracking-")
            || self
                .description
                .as_deref()
                .is_some_and(|d| d.contains("TargetTrackingScaling policy"))
    }

    /// Whether the alarm watches one of `signatures`: every dimension of a signature is one of
    /// the alarm's (an ECS service is named by its cluster and its service together).
    pub fn watches_any(&self, signatures: &[Vec<(String, String)>]) -> bool {
        signatures
            .iter()
            .any(|sig| !sig.is_empty() && sig.iter().all(|d| self.dimensions.contains(d)))
    }
}

#[async_trait]
pub trait Metrics: Send + Sync {
    /// The sum of the metric over the window; `0.0` when there are no data points.
    async fn sum(&self, query: &MetricQuery) -> CloudResult<f64>;
    /// The start of each period of the window for which CloudWatch has published a data point,
    /// oldest first. A load balancer metric is reported only for periods that have data, so the
    /// drain asks this of `HealthyHostCount` before it reads "no requests" as zero.
    async fn datapoint_times(&self, query: &MetricQuery) -> CloudResult<Vec<DateTime<Utc>>>;
    /// One value of `statistic` per period of the window that has data, with the period's
    /// start, oldest first: what the traffic guard judges minute by minute.
    async fn points(
        &self,
        query: &MetricQuery,
        statistic: Statistic,
    ) -> CloudResult<Vec<(DateTime<Utc>, f64)>>;
    async fn put_alarm(&self, spec: &AlarmSpec) -> CloudResult<()>;
    async fn delete_alarm(&self, name: &str) -> CloudResult<()>;
    /// Every metric alarm of the region (`DescribeAlarms`, every page).
    async fn metric_alarms(&self) -> CloudResult<Vec<ExistingAlarm>>;
}

/// The `LoadBalancer` dimension of CloudWatch's `AWS/ApplicationELB` metrics: the ARN after
/// `:loadbalancer/`, e.g. `app/shop-fg-3f2a9c/50dc6c495c0c9188`.
pub fn load_balancer_dimension(arn: &str) -> String {
    arn.split_once(":loadbalancer/")
        .map_or(arn, |(_, rest)| rest)
        .to_string()
}

/// The `TargetGroup` dimension: the ARN after the last `:`, e.g. `targetgroup/name/id`.
pub fn target_group_dimension(arn: &str) -> String {
    arn.rsplit_once(':')
        .map_or(arn, |(_, rest)| rest)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimensions_come_from_arns() {
        assert_eq!(
            load_balancer_dimension(
                "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188"
            ),
            "app/shop/50dc6c495c0c9188"
        );
        assert_eq!(
            target_group_dimension(
                "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/shop-tg/73e2d6bc24d8a067"
            ),
            "targetgroup/shop-tg/73e2d6bc24d8a067"
        );
    }
}
