//! `Environments` on Elastic Beanstalk.

use async_trait::async_trait;
use aws_sdk_elasticbeanstalk::types::EnvironmentStatus;
use migrate_engine::ports::{CloudResult, Environment, Environments};

use crate::errors::{missing, sdk_error};

pub struct BeanstalkEnvironments {
    beanstalk: aws_sdk_elasticbeanstalk::Client,
}

impl BeanstalkEnvironments {
    pub fn new(beanstalk: aws_sdk_elasticbeanstalk::Client) -> Self {
        Self { beanstalk }
    }
}

#[async_trait]
impl Environments for BeanstalkEnvironments {
    async fn find_environment(&self, name: &str) -> CloudResult<Option<Environment>> {
        let resource = format!("environment {name}");
        let out = self
            .beanstalk
            .describe_environments()
            .environment_names(name)
            .include_deleted(false)
            .send()
            .await
            .map_err(|e| sdk_error(&e, "elasticbeanstalk:DescribeEnvironments", &resource))?;
        let Some(env) = out.environments().iter().find(|e| {
            e.environment_name() == Some(name)
                && !matches!(e.status(), Some(EnvironmentStatus::Terminated))
        }) else {
            return Ok(None);
        };
        Ok(Some(Environment {
            name: name.to_string(),
            id: env
                .environment_id()
                .ok_or_else(|| {
                    missing(
                        "elasticbeanstalk:DescribeEnvironments",
                        &resource,
                        "EnvironmentId",
                    )
                })?
                .to_string(),
            cname: env.cname().map(str::to_string),
            status: env
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| "Unknown".to_string()),
        }))
    }
}
