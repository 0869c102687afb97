//! CloudWatch Logs: the awslogs groups of the new tasks.
//!
//! DescribeLogGroups matches by prefix only, so a look-up pages through the groups with the name
//! as prefix and keeps the exact match; its tags come from ListTagsForResource, which wants the
//! ARN without the `:*` suffix that `arn` carries (`logGroupArn`).

use async_trait::async_trait;
use migrate_engine::ports::{CloudError, CloudResult, ErrorKind, LogGroup, LogGroupSpec, Logs};

use crate::errors::sdk_error;
use crate::tags::pairs;

#[derive(Debug, Clone)]
pub struct CloudWatchLogs {
    logs: aws_sdk_cloudwatchlogs::Client,
}

impl CloudWatchLogs {
    pub fn new(logs: aws_sdk_cloudwatchlogs::Client) -> Self {
        Self { logs }
    }
}

fn resource(name: &str) -> String {
    format!("log group {name}")
}

#[async_trait]
impl Logs for CloudWatchLogs {
    async fn find_log_group(&self, name: &str) -> CloudResult<Option<LogGroup>> {
        let mut pages = self
            .logs
            .describe_log_groups()
            .log_group_name_prefix(name)
            .into_paginator()
            .send();
        let mut found = None;
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk_error(&e, "logs:DescribeLogGroups", resource(name)))?;
            if let Some(group) = page
                .log_groups()
                .iter()
                .find(|g| g.log_group_name() == Some(name))
            {
                found = Some(group.clone());
                break;
            }
        }
        let Some(group) = found else {
            return Ok(None);
        };
        let arn = match (group.log_group_arn(), group.arn()) {
            (Some(arn), _) => arn.to_string(),
            (None, Some(arn)) => arn.trim_end_matches(":*").to_string(),
            (None, None) => {
                return Err(CloudError::new(
                    ErrorKind::Other,
                    "logs:DescribeLogGroups",
                    resource(name),
                    "the answer gives the log group no ARN",
                ))
            }
        };
        let tags = self
            .logs
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .map_err(|e| sdk_error(&e, "logs:ListTagsForResource", resource(name)))?
            .tags
            .unwrap_or_default()
            .into_iter()
            .collect();
        Ok(Some(LogGroup {
            name: name.to_string(),
            retention_days: group
                .retention_in_days()
                .and_then(|days| u32::try_from(days).ok()),
            tags,
        }))
    }

    async fn create_log_group(&self, spec: &LogGroupSpec) -> CloudResult<()> {
        let mut request = self.logs.create_log_group().log_group_name(&spec.name);
        for (key, value) in pairs(&spec.tags) {
            request = request.tags(key, value);
        }
        request
            .send()
            .await
            .map_err(|e| sdk_error(&e, "logs:CreateLogGroup", resource(&spec.name)))?;
        Ok(())
    }

    async fn set_log_group_retention(&self, name: &str, days: u32) -> CloudResult<()> {
        let days = i32::try_from(days).map_err(|_| {
            CloudError::new(
                ErrorKind::InvalidRequest,
                "logs:PutRetentionPolicy",
                resource(name),
                format!("{days} days is out of range"),
            )
        })?;
        self.logs
            .put_retention_policy()
            .log_group_name(name)
            .retention_in_days(days)
            .send()
            .await
            .map_err(|e| sdk_error(&e, "logs:PutRetentionPolicy", resource(name)))?;
        Ok(())
    }

    async fn delete_log_group(&self, name: &str) -> CloudResult<()> {
        self.logs
            .delete_log_group()
            .log_group_name(name)
            .send()
            .await
            .map_err(|e| sdk_error(&e, "logs:DeleteLogGroup", resource(name)))?;
        Ok(())
    }
}
