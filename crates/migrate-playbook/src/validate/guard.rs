//! The `guard` section: the limits the engine holds the new side to while traffic moves.

use std::time::Duration;

use super::Checker;
use crate::model::Guard;
use crate::raw::RawGuard;

/// The longest watch: a day. Beyond it the old side has been kept for nothing; `cleanup.soak`
/// is the long wait.
const MAX_WATCH: Duration = Duration::from_secs(24 * 3600);

pub(super) fn check(c: &mut Checker, raw: Option<&RawGuard>, region: Option<&str>) -> Guard {
    let default = Guard::default();
    let Some(raw) = raw else {
        return default;
    };
    c.unknown(
        "guard",
        &raw.unknown,
        &[
            "enabled",
            "watch",
            "max_5xx_percent",
            "min_5xx",
            "max_unhealthy_hosts",
            "response_time_factor",
            "periods",
            "alarm_topic",
        ],
    );
    let watch = c.duration("guard.watch", &raw.watch, default.watch);
    if watch > MAX_WATCH {
        c.problem(
            "guard.watch",
            "is longer than a day; the watch holds the old side up, `cleanup.soak` is the long wait",
        );
    }
    let max_5xx_percent = raw.max_5xx_percent.unwrap_or(default.max_5xx_percent);
    if !(max_5xx_percent > 0.0 && max_5xx_percent <= 100.0) {
        c.problem(
            "guard.max_5xx_percent",
            format!("{max_5xx_percent} is not a percentage above 0 and at most 100"),
        );
    }
    let response_time_factor = raw
        .response_time_factor
        .unwrap_or(default.response_time_factor);
    if !(1.1..=100.0).contains(&response_time_factor) {
        c.problem(
            "guard.response_time_factor",
            format!(
                "{response_time_factor} is outside 1.1–100 (times the old side's average \
                 response time; 1 would roll back on noise)"
            ),
        );
    }
    let periods = raw.periods.unwrap_or(default.periods);
    if !(1..=10).contains(&periods) {
        c.problem(
            "guard.periods",
            format!("{periods} is outside 1–10 (minutes in a row)"),
        );
    }
    if let Some(topic) = &raw.alarm_topic {
        if let Err(reason) = check_topic(topic, region) {
            c.problem("guard.alarm_topic", reason);
        }
    }
    Guard {
        enabled: raw.enabled.unwrap_or(default.enabled),
        watch,
        max_5xx_percent,
        min_5xx: raw.min_5xx.unwrap_or(default.min_5xx),
        max_unhealthy_hosts: raw
            .max_unhealthy_hosts
            .unwrap_or(default.max_unhealthy_hosts),
        response_time_factor,
        periods,
        alarm_topic: raw.alarm_topic.clone(),
    }
}

/// An SNS topic ARN, `arn:PARTITION:sns:REGION:ACCOUNT:NAME`, in the playbook's region: an
/// alarm's SNS action is a topic of the alarm's region (`AlarmActions`,
/// <https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html>),
/// and CloudWatch does not check that an action can be carried out, so a topic elsewhere would
/// stay silent when the alarm fires.
fn check_topic(topic: &str, region: Option<&str>) -> Result<(), String> {
    let parts: Vec<&str> = topic.splitn(6, ':').collect();
    let shape = "an SNS topic ARN such as arn:aws:sns:ap-northeast-1:123456789012:oncall";
    let [arn, partition, service, topic_region, account, name] = parts.as_slice() else {
        return Err(format!("`{topic}` is not {shape}"));
    };
    let name_ok = !name.is_empty()
        && name.len() <= 256
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' || ch == '.');
    if *arn != "arn"
        || !partition.starts_with("aws")
        || *service != "sns"
        || topic_region.is_empty()
        || account.len() != 12
        || !account.chars().all(|ch| ch.is_ascii_digit())
        || !name_ok
    {
        return Err(format!("`{topic}` is not {shape}"));
    }
    if let Some(region) = region {
        if *topic_region != region {
            return Err(format!(
                "the topic is in {topic_region} but the migration runs in {region}; a \
                 CloudWatch alarm notifies topics of its own region only"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_topic_must_be_an_sns_arn_of_the_region() {
        let ok = "arn:aws:sns:ap-northeast-1:123456789012:oncall";
        assert_eq!(check_topic(ok, Some("ap-northeast-1")), Ok(()));
        assert_eq!(check_topic(ok, None), Ok(()));
        assert!(check_topic(ok, Some("eu-west-1"))
            .unwrap_err()
            .contains("its own region"));
        for bad in [
            "oncall",
            "arn:aws:sqs:ap-northeast-1:123456789012:oncall",
            "arn:aws:sns:ap-northeast-1:1234:oncall",
            "arn:aws:sns:ap-northeast-1:123456789012:",
            "arn:aws:sns:ap-northeast-1:123456789012:on call",
        ] {
            assert!(check_topic(bad, None).is_err(), "{bad}");
        }
    }
}
