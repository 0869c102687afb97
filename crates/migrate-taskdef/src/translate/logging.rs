//! Logging: every container logs through awslogs to a log group other than the source's.
//!
//! A fresh log group is how the field reports (seed 001) saw traffic move from the old tasks to the
//! new ones, so reusing the source's group is refused rather than merely warned about.

use std::collections::BTreeMap;

use super::{account_and_region, container_path, Context};
use crate::model::{LogConfiguration, TaskDefinition};
use crate::rules::{catalog, finding};

/// Log drivers Fargate accepts besides awslogs; containers using them are left as they are.
const OTHER_FARGATE_DRIVERS: &[&str] = &["splunk", "awsfirelens"];

pub(super) fn apply(task: &mut TaskDefinition, original: &TaskDefinition, cx: &mut Context<'_>) {
    let source_groups: Vec<String> = original
        .container_definitions
        .iter()
        .filter_map(|c| c.log_configuration.as_ref())
        .filter(|l| l.log_driver == "awslogs")
        .filter_map(|l| l.options.get("awslogs-group").cloned())
        .collect();
    let source_region = original
        .container_definitions
        .iter()
        .filter_map(|c| {
            c.log_configuration
                .as_ref()?
                .options
                .get("awslogs-region")
                .cloned()
        })
        .next();
    let region = cx
        .options
        .region
        .clone()
        .or(source_region)
        .or_else(|| account_and_region(original).1);
    let family = task.family.clone().unwrap_or_else(|| "app".into());

    if let Some(group) = &cx.options.log_group {
        if source_groups.contains(group) {
            cx.findings.push(finding(
                &catalog::LOG_GROUP_REUSED,
                "$.containerDefinitions".into(),
                format!("--log-group `{group}` is the source's log group"),
                Some("choose a new log group, so that the old and the new tasks' logs show which side takes the traffic".into()),
            ));
        }
    }

    for (i, c) in task.container_definitions.iter_mut().enumerate() {
        let at = format!("{}.logConfiguration", container_path(i));
        let driver = c.log_configuration.as_ref().map(|l| l.log_driver.clone());
        if driver
            .as_deref()
            .is_some_and(|d| OTHER_FARGATE_DRIVERS.contains(&d))
        {
            continue;
        }
        let old_group = c
            .log_configuration
            .as_ref()
            .filter(|l| l.log_driver == "awslogs")
            .and_then(|l| l.options.get("awslogs-group").cloned());
        let new_group = cx
            .options
            .log_group
            .clone()
            .unwrap_or_else(|| match &old_group {
                Some(group) => format!("{group}-fargate"),
                None => format!("/ecs/{family}"),
            });

        let log = match driver.as_deref() {
            Some("awslogs") => c
                .log_configuration
                .get_or_insert_with(LogConfiguration::default),
            other => {
                let reason = match other {
                    None => "a container without a log driver loses its output on Fargate, which has no host to keep it".to_string(),
                    Some(d) => format!("Fargate does not support the `{d}` log driver"),
                };
                cx.change(
                    &catalog::LOG_DRIVER,
                    at.clone(),
                    format!(
                        "container `{}`: log driver {} -> awslogs",
                        c.name,
                        other.unwrap_or("none")
                    ),
                    reason,
                );
                c.log_configuration.insert(LogConfiguration {
                    log_driver: "awslogs".into(),
                    options: BTreeMap::new(),
                    secret_options: None,
                })
            }
        };
        if old_group.as_ref() != Some(&new_group) {
            log.options
                .insert("awslogs-group".into(), new_group.clone());
            cx.changes.push(crate::finding::Change {
                rule: catalog::LOG_GROUP_REUSED.id,
                location: crate::finding::Location::path(format!("{at}.options.awslogs-group")),
                change: format!(
                    "container `{}`: awslogs-group {} -> {new_group}",
                    c.name,
                    old_group.as_deref().unwrap_or("none")
                ),
                reason: "a log group of its own shows when traffic has moved to the Fargate tasks"
                    .into(),
            });
        }
        if let Some(region) = &region {
            if log.options.get("awslogs-region") != Some(region) {
                log.options.insert("awslogs-region".into(), region.clone());
                cx.changes.push(crate::finding::Change {
                    rule: catalog::AWSLOGS_OPTIONS.id,
                    location: crate::finding::Location::path(format!(
                        "{at}.options.awslogs-region"
                    )),
                    change: format!("container `{}`: awslogs-region -> {region}", c.name),
                    reason: "awslogs needs the region of its log group".into(),
                });
            }
        }
        if !log.options.contains_key("awslogs-stream-prefix") {
            log.options
                .insert("awslogs-stream-prefix".into(), "fargate".into());
            cx.changes.push(crate::finding::Change {
                rule: catalog::AWSLOGS_OPTIONS.id,
                location: crate::finding::Location::path(format!(
                    "{at}.options.awslogs-stream-prefix"
                )),
                change: format!("container `{}`: awslogs-stream-prefix -> fargate", c.name),
                reason:
                    "Fargate requires a stream prefix; streams are named fargate/CONTAINER/TASK-ID"
                        .into(),
            });
        }
        if !cx.log_groups.contains(&new_group) {
            cx.log_groups.push(new_group);
        }
    }
}
