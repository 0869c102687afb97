//! Log drivers: only awslogs, splunk and awsfirelens, and awslogs fully configured.

use super::{catalog, container_path, finding};
use crate::finding::Finding;
use crate::model::TaskDefinition;

/// The log drivers Fargate accepts.
pub(crate) const FARGATE_LOG_DRIVERS: &[&str] = &["awslogs", "splunk", "awsfirelens"];

/// The awslogs options Fargate requires.
pub(crate) const AWSLOGS_REQUIRED: &[&str] =
    &["awslogs-group", "awslogs-region", "awslogs-stream-prefix"];

pub(super) fn check(task: &TaskDefinition, findings: &mut Vec<Finding>) {
    for (i, c) in task.container_definitions.iter().enumerate() {
        let Some(log) = &c.log_configuration else {
            continue;
        };
        let at = format!("{}.logConfiguration", container_path(i));
        if !FARGATE_LOG_DRIVERS.contains(&log.log_driver.as_str()) {
            findings.push(finding(
                &catalog::LOG_DRIVER,
                format!("{at}.logDriver"),
                format!(
                    "container `{}` uses the `{}` log driver",
                    c.name, log.log_driver
                ),
                Some("use awslogs (or awsfirelens to route logs elsewhere)".into()),
            ));
            continue;
        }
        if log.log_driver == "awslogs" {
            let missing: Vec<&str> = AWSLOGS_REQUIRED
                .iter()
                .copied()
                .filter(|k| log.options.get(*k).is_none_or(|v| v.trim().is_empty()))
                .collect();
            if !missing.is_empty() {
                findings.push(finding(
                    &catalog::AWSLOGS_OPTIONS,
                    format!("{at}.options"),
                    format!(
                        "container `{}` uses awslogs without {}",
                        c.name,
                        missing.join(", ")
                    ),
                    Some(if missing.contains(&"awslogs-region") {
                        format!(
                            "set {}; migrate convert takes the region from --region, AWS_REGION, AWS_DEFAULT_REGION or the profile in ~/.aws/config",
                            missing.join(", ")
                        )
                    } else {
                        format!("set {}", missing.join(", "))
                    }),
                ));
            }
        }
    }
}
