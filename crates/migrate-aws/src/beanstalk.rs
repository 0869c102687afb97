//! `Environments` on Elastic Beanstalk.

use async_trait::async_trait;
use aws_sdk_elasticbeanstalk::types::{ConfigurationOptionSetting, EnvironmentStatus};
use migrate_engine::ports::{
    CloudError, CloudResult, Environment, EnvironmentCapacity, EnvironmentResources, Environments,
    ErrorKind,
};

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

    async fn environment_resources(&self, name: &str) -> CloudResult<EnvironmentResources> {
        let out = self
            .beanstalk
            .describe_environment_resources()
            .environment_name(name)
            .send()
            .await
            .map_err(|e| {
                sdk_error(
                    &e,
                    "elasticbeanstalk:DescribeEnvironmentResources",
                    format!("environment {name}"),
                )
            })?;
        let Some(resources) = out.environment_resources() else {
            return Ok(EnvironmentResources::default());
        };
        Ok(EnvironmentResources {
            auto_scaling_groups: resources
                .auto_scaling_groups()
                .iter()
                .filter_map(|g| g.name().map(str::to_string))
                .collect(),
            load_balancers: resources
                .load_balancers()
                .iter()
                .filter_map(|lb| lb.name().map(str::to_string))
                .collect(),
        })
    }

    /// `DescribeConfigurationSettings` needs the application's name, which
    /// `DescribeEnvironments` gives.
    async fn capacity_settings(&self, name: &str) -> CloudResult<EnvironmentCapacity> {
        const OP: &str = "elasticbeanstalk:DescribeConfigurationSettings";
        let resource = format!("environment {name}");
        let described = self
            .beanstalk
            .describe_environments()
            .environment_names(name)
            .include_deleted(false)
            .send()
            .await
            .map_err(|e| sdk_error(&e, "elasticbeanstalk:DescribeEnvironments", &resource))?;
        let application = described
            .environments()
            .iter()
            .find(|e| e.environment_name() == Some(name))
            .and_then(|e| e.application_name())
            .ok_or_else(|| {
                missing(
                    "elasticbeanstalk:DescribeEnvironments",
                    &resource,
                    "ApplicationName",
                )
            })?
            .to_string();
        let out = self
            .beanstalk
            .describe_configuration_settings()
            .application_name(&application)
            .environment_name(name)
            .send()
            .await
            .map_err(|e| sdk_error(&e, OP, &resource))?;
        let options: Vec<&ConfigurationOptionSetting> = out
            .configuration_settings()
            .iter()
            .flat_map(|c| c.option_settings())
            .filter(|o| o.namespace() == Some(ASG_NAMESPACE))
            .collect();
        let read = |option: &str| -> CloudResult<u32> {
            let value = options
                .iter()
                .find(|o| o.option_name() == Some(option))
                .and_then(|o| o.value())
                .ok_or_else(|| missing(OP, &resource, &format!("{ASG_NAMESPACE} {option}")))?;
            value.trim().parse().map_err(|_| {
                CloudError::new(
                    ErrorKind::InvalidRequest,
                    OP,
                    &resource,
                    format!("{ASG_NAMESPACE} {option} is {value:?}, not a number of instances"),
                )
            })
        };
        Ok(EnvironmentCapacity {
            min: read("MinSize")?,
            max: read("MaxSize")?,
        })
    }

    async fn update_capacity(&self, name: &str, capacity: EnvironmentCapacity) -> CloudResult<()> {
        let setting = |option: &str, value: u32| {
            ConfigurationOptionSetting::builder()
                .namespace(ASG_NAMESPACE)
                .option_name(option)
                .value(value.to_string())
                .build()
        };
        self.beanstalk
            .update_environment()
            .environment_name(name)
            .option_settings(setting("MinSize", capacity.min))
            .option_settings(setting("MaxSize", capacity.max))
            .send()
            .await
            .map_err(|e| {
                sdk_error(
                    &e,
                    "elasticbeanstalk:UpdateEnvironment",
                    format!("environment {name}"),
                )
            })?;
        Ok(())
    }
}

/// The option namespace of the environment's Auto Scaling group
/// (<https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/command-options-general.html#command-options-general-autoscalingasg>).
const ASG_NAMESPACE: &str = "aws:autoscaling:asg";
