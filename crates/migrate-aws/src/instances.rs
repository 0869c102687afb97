//! `Instances` on EC2: the plain instances of an `ec2` source.

use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, InstanceStateName};
use migrate_engine::ports::{CloudResult, Instance, InstanceState, Instances};

use crate::errors::sdk_error;

pub struct Ec2Instances {
    ec2: aws_sdk_ec2::Client,
}

impl Ec2Instances {
    pub fn new(ec2: aws_sdk_ec2::Client) -> Self {
        Self { ec2 }
    }
}

fn state_of(name: Option<&InstanceStateName>) -> InstanceState {
    match name {
        Some(InstanceStateName::Pending) => InstanceState::Pending,
        Some(InstanceStateName::Running) => InstanceState::Running,
        Some(InstanceStateName::Stopping) => InstanceState::Stopping,
        Some(InstanceStateName::Stopped) => InstanceState::Stopped,
        Some(InstanceStateName::ShuttingDown) => InstanceState::ShuttingDown,
        // Terminated, or a state this SDK does not know: nothing the migration may act on.
        _ => InstanceState::Terminated,
    }
}

/// The tag EC2 Auto Scaling puts on every instance it launches.
const GROUP_TAG: &str = "aws:autoscaling:groupName";

#[async_trait]
impl Instances for Ec2Instances {
    async fn describe_instances(&self, ids: &[String]) -> CloudResult<Vec<Instance>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let resource = ids.join(", ");
        // By the `instance-id` filter, not `InstanceIds`: with the latter one unknown id fails
        // the whole request (`InvalidInstanceID.NotFound`), and the port leaves it out instead.
        let filter = Filter::builder()
            .name("instance-id")
            .set_values(Some(ids.to_vec()))
            .build();
        let mut pages = self
            .ec2
            .describe_instances()
            .filters(filter)
            .into_paginator()
            .send();
        let mut found = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk_error(&e, "ec2:DescribeInstances", &resource))?;
            for instance in page.reservations().iter().flat_map(|r| r.instances()) {
                let Some(id) = instance.instance_id() else {
                    continue;
                };
                found.push(Instance {
                    id: id.to_string(),
                    state: state_of(instance.state().and_then(|s| s.name())),
                    root_device_type: instance
                        .root_device_type()
                        .map_or("ebs", |t| t.as_str())
                        .to_string(),
                    auto_scaling_group: instance
                        .tags()
                        .iter()
                        .find(|t| t.key() == Some(GROUP_TAG))
                        .and_then(|t| t.value())
                        .map(str::to_string),
                    security_groups: instance
                        .security_groups()
                        .iter()
                        .filter_map(|g| g.group_id())
                        .map(str::to_string)
                        .collect(),
                });
            }
        }
        Ok(found)
    }

    async fn stop_instances(&self, ids: &[String]) -> CloudResult<()> {
        self.ec2
            .stop_instances()
            .set_instance_ids(Some(ids.to_vec()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error(&e, "ec2:StopInstances", ids.join(", ")))
    }

    async fn start_instances(&self, ids: &[String]) -> CloudResult<()> {
        self.ec2
            .start_instances()
            .set_instance_ids(Some(ids.to_vec()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error(&e, "ec2:StartInstances", ids.join(", ")))
    }

    async fn terminate_instances(&self, ids: &[String]) -> CloudResult<()> {
        self.ec2
            .terminate_instances()
            .set_instance_ids(Some(ids.to_vec()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error(&e, "ec2:TerminateInstances", ids.join(", ")))
    }
}
