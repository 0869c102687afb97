//! `Metrics` on CloudWatch.

use async_trait::async_trait;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, Metric, MetricDataQuery, MetricStat, Statistic, Tag,
};
use migrate_engine::ports::{
    AlarmSpec, CloudError, CloudResult, ErrorKind, ExistingAlarm, MetricQuery, Metrics,
};

use crate::errors::sdk_error;

type ChronoTime = chrono::DateTime<chrono::Utc>;
use crate::tags::pairs;

pub struct CloudWatchMetrics {
    cloudwatch: aws_sdk_cloudwatch::Client,
}

impl CloudWatchMetrics {
    pub fn new(cloudwatch: aws_sdk_cloudwatch::Client) -> Self {
        Self { cloudwatch }
    }

    /// Whether an alarm of this name exists: `DeleteAlarms` does not say.
    pub async fn alarm_exists(&self, name: &str) -> CloudResult<bool> {
        let out = self
            .cloudwatch
            .describe_alarms()
            .alarm_names(name)
            .send()
            .await
            .map_err(|e| sdk_error(&e, "cloudwatch:DescribeAlarms", format!("alarm {name}")))?;
        Ok(out
            .metric_alarms()
            .iter()
            .any(|a| a.alarm_name() == Some(name)))
    }

    /// The values of one statistic of the metric with their periods' start, one per period that
    /// has data, over every page of `GetMetricData`.
    async fn fetch_points(
        &self,
        query: &MetricQuery,
        statistic: &str,
    ) -> CloudResult<Vec<(ChronoTime, f64)>> {
        let resource = format!(
            "{}/{} {:?}",
            query.namespace, query.metric_name, query.dimensions
        );
        let period = i32::try_from(query.period_secs.max(1)).map_err(|_| {
            CloudError::new(
                ErrorKind::InvalidRequest,
                "cloudwatch:GetMetricData",
                &resource,
                "period too large",
            )
        })?;
        let stat = MetricStat::builder()
            .metric(
                Metric::builder()
                    .namespace(&query.namespace)
                    .metric_name(&query.metric_name)
                    .set_dimensions(Some(dimensions(&query.dimensions)))
                    .build(),
            )
            .period(period)
            .stat(statistic)
            .build();
        let mut pages = self
            .cloudwatch
            .get_metric_data()
            .metric_data_queries(
                MetricDataQuery::builder()
                    .id("m0")
                    .metric_stat(stat)
                    .return_data(true)
                    .build(),
            )
            .start_time(DateTime::from_secs(query.start.timestamp()))
            .end_time(DateTime::from_secs(query.end.timestamp()))
            .into_paginator()
            .send();
        let mut points = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk_error(&e, "cloudwatch:GetMetricData", &resource))?;
            for result in page.metric_data_results() {
                // `Timestamps` and `Values` are parallel lists.
                for (at, value) in result.timestamps().iter().zip(result.values()) {
                    let at = ChronoTime::from_timestamp(at.secs(), at.subsec_nanos()).ok_or_else(
                        || {
                            CloudError::new(
                                ErrorKind::Other,
                                "cloudwatch:GetMetricData",
                                &resource,
                                format!("a data point's timestamp is out of range: {at}"),
                            )
                        },
                    )?;
                    points.push((at, *value));
                }
            }
        }
        Ok(points)
    }
}

fn dimensions(dims: &[(String, String)]) -> Vec<Dimension> {
    dims.iter()
        .map(|(n, v)| Dimension::builder().name(n).value(v).build())
        .collect()
}

#[async_trait]
impl Metrics for CloudWatchMetrics {
    async fn sum(&self, query: &MetricQuery) -> CloudResult<f64> {
        Ok(self
            .fetch_points(query, "Sum")
            .await?
            .iter()
            .map(|(_, value)| value)
            .sum())
    }

    async fn datapoint_times(&self, query: &MetricQuery) -> CloudResult<Vec<ChronoTime>> {
        // Any statistic answers one value per period that has data; `SampleCount` also answers
        // a period whose values are all zero.
        let mut times: Vec<ChronoTime> = self
            .fetch_points(query, "SampleCount")
            .await?
            .into_iter()
            .map(|(at, _)| at)
            .collect();
        times.sort();
        times.dedup();
        Ok(times)
    }

    async fn points(
        &self,
        query: &MetricQuery,
        statistic: migrate_engine::ports::Statistic,
    ) -> CloudResult<Vec<(ChronoTime, f64)>> {
        let mut points = self.fetch_points(query, statistic.name()).await?;
        // GetMetricData answers newest first by default (`ScanBy` TimestampDescending).
        points.sort_by_key(|(at, _)| *at);
        Ok(points)
    }

    async fn put_alarm(&self, spec: &AlarmSpec) -> CloudResult<()> {
        let resource = format!("alarm {}", spec.name);
        let int = |v: u32, what: &str| {
            i32::try_from(v).map_err(|_| {
                CloudError::new(
                    ErrorKind::InvalidRequest,
                    "cloudwatch:PutMetricAlarm",
                    &resource,
                    format!("{what} out of range"),
                )
            })
        };
        self.cloudwatch
            .put_metric_alarm()
            .alarm_name(&spec.name)
            .namespace(&spec.namespace)
            .metric_name(&spec.metric_name)
            .set_dimensions(Some(dimensions(&spec.dimensions)))
            .statistic(Statistic::from(spec.statistic.as_str()))
            .comparison_operator(ComparisonOperator::from(spec.comparison.as_str()))
            .threshold(spec.threshold)
            .period(int(spec.period_secs, "period")?)
            .evaluation_periods(int(spec.evaluation_periods, "evaluation periods")?)
            .set_alarm_actions((!spec.alarm_actions.is_empty()).then(|| spec.alarm_actions.clone()))
            .set_tags({
                let tags: Vec<Tag> = pairs(&spec.tags)
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect();
                (!tags.is_empty()).then_some(tags)
            })
            .send()
            .await
            .map_err(|e| sdk_error(&e, "cloudwatch:PutMetricAlarm", &resource))?;
        Ok(())
    }

    async fn delete_alarm(&self, name: &str) -> CloudResult<()> {
        // DeleteAlarms does not say reliably whether the alarm existed; look first.
        if !self.alarm_exists(name).await? {
            return Err(CloudError::not_found(
                "cloudwatch:DeleteAlarms",
                format!("alarm {name}"),
            ));
        }
        self.cloudwatch
            .delete_alarms()
            .alarm_names(name)
            .send()
            .await
            .map_err(|e| sdk_error(&e, "cloudwatch:DeleteAlarms", format!("alarm {name}")))?;
        Ok(())
    }

    async fn metric_alarms(&self) -> CloudResult<Vec<ExistingAlarm>> {
        let mut pages = self
            .cloudwatch
            .describe_alarms()
            .alarm_types(aws_sdk_cloudwatch::types::AlarmType::MetricAlarm)
            .into_paginator()
            .send();
        let mut alarms = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk_error(&e, "cloudwatch:DescribeAlarms", "alarms"))?;
            for alarm in page.metric_alarms() {
                let Some(name) = alarm.alarm_name() else {
                    continue;
                };
                alarms.push(ExistingAlarm {
                    name: name.to_string(),
                    dimensions: alarm
                        .dimensions()
                        .iter()
                        .filter_map(|d| Some((d.name()?.to_string(), d.value()?.to_string())))
                        .collect(),
                    description: alarm.alarm_description().map(str::to_string),
                });
            }
        }
        Ok(alarms)
    }
}
