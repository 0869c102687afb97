//! `AutoScaling` on EC2 Auto Scaling.

use async_trait::async_trait;
use aws_sdk_autoscaling::types::{AutoScalingGroup as SdkGroup, LifecycleState, MetricType};
use migrate_engine::ports::{
    AutoScaling, AutoScalingGroup, Capacity, CloudError, CloudResult, ErrorKind, ScalingPolicy,
    Tags,
};

use crate::errors::{missing, sdk_error};

pub struct AsgScaling {
    autoscaling: aws_sdk_autoscaling::Client,
}

impl AsgScaling {
    pub fn new(autoscaling: aws_sdk_autoscaling::Client) -> Self {
        Self { autoscaling }
    }

    /// The group as the SDK describes it; NotFound when it does not exist.
    async fn describe(&self, name: &str, operation: &str) -> CloudResult<SdkGroup> {
        let out = self
            .autoscaling
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(name)
            .send()
            .await
            .map_err(|e| {
                sdk_error(
                    &e,
                    "autoscaling:DescribeAutoScalingGroups",
                    format!("group {name}"),
                )
            })?;
        out.auto_scaling_groups()
            .iter()
            .find(|g| g.auto_scaling_group_name() == Some(name))
            .cloned()
            .ok_or_else(|| CloudError::not_found(operation, format!("group {name}")))
    }
}

/// `SetInstanceProtection` takes at most 50 instance ids per call.
const PROTECTION_BATCH: usize = 50;

fn count(n: Option<i32>) -> u32 {
    n.and_then(|n| u32::try_from(n).ok()).unwrap_or(0)
}

/// In service or on its way to it.
fn serving(instance: &aws_sdk_autoscaling::types::Instance) -> bool {
    matches!(
        instance.lifecycle_state(),
        Some(LifecycleState::InService)
            | Some(LifecycleState::Pending)
            | Some(LifecycleState::PendingWait)
            | Some(LifecycleState::PendingProceed)
    )
}

fn group_of(g: &SdkGroup, operation: &str) -> CloudResult<AutoScalingGroup> {
    let name = g
        .auto_scaling_group_name()
        .ok_or_else(|| missing(operation, "an Auto Scaling group", "AutoScalingGroupName"))?;
    let serving: Vec<_> = g.instances().iter().filter(|i| serving(i)).collect();
    let in_service = serving.len();
    let mut instance_types = std::collections::BTreeMap::new();
    for instance in &serving {
        // An instance of a mixed-instances group without a type is counted as "unknown" rather
        // than dropped, so the snapshot's counts add up.
        let instance_type = instance.instance_type().unwrap_or("unknown").to_string();
        *instance_types.entry(instance_type).or_insert(0u32) += 1;
    }
    let tags: Tags = g
        .tags()
        .iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect();
    Ok(AutoScalingGroup {
        name: name.to_string(),
        capacity: Capacity {
            min: count(g.min_size()),
            max: count(g.max_size()),
            desired: count(g.desired_capacity()),
        },
        in_service: u32::try_from(in_service).unwrap_or(u32::MAX),
        instance_types,
        target_group_arns: g.target_group_arns().to_vec(),
        tags,
    })
}

#[async_trait]
impl AutoScaling for AsgScaling {
    async fn find_group(&self, name: &str) -> CloudResult<Option<AutoScalingGroup>> {
        let out = self
            .autoscaling
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(name)
            .send()
            .await
            .map_err(|e| {
                sdk_error(
                    &e,
                    "autoscaling:DescribeAutoScalingGroups",
                    format!("group {name}"),
                )
            })?;
        out.auto_scaling_groups()
            .iter()
            .find(|g| g.auto_scaling_group_name() == Some(name))
            .map(|g| group_of(g, "autoscaling:DescribeAutoScalingGroups"))
            .transpose()
    }

    async fn set_capacity(&self, name: &str, capacity: Capacity) -> CloudResult<()> {
        let resource = format!("group {name}");
        let int = |v: u32| {
            i32::try_from(v).map_err(|_| {
                CloudError::new(
                    ErrorKind::InvalidRequest,
                    "autoscaling:UpdateAutoScalingGroup",
                    &resource,
                    "capacity out of range",
                )
            })
        };
        // UpdateAutoScalingGroup answers success for a group that does not exist on some
        // paths; the compensation needs NotFound, so look first.
        if self.find_group(name).await?.is_none() {
            return Err(CloudError::not_found(
                "autoscaling:UpdateAutoScalingGroup",
                resource,
            ));
        }
        self.autoscaling
            .update_auto_scaling_group()
            .auto_scaling_group_name(name)
            .min_size(int(capacity.min)?)
            .max_size(int(capacity.max)?)
            .desired_capacity(int(capacity.desired)?)
            .send()
            .await
            .map_err(|e| sdk_error(&e, "autoscaling:UpdateAutoScalingGroup", &resource))?;
        Ok(())
    }

    async fn scaling_policies(&self, name: &str) -> CloudResult<Vec<ScalingPolicy>> {
        let mut pages = self
            .autoscaling
            .describe_policies()
            .auto_scaling_group_name(name)
            .into_paginator()
            .send();
        let mut policies = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                sdk_error(&e, "autoscaling:DescribePolicies", format!("group {name}"))
            })?;
            policies.extend(page.scaling_policies().iter().map(|p| {
                let cpu_target_percent = p
                    .target_tracking_configuration()
                    .filter(|c| {
                        c.predefined_metric_specification().is_some_and(|m| {
                            m.predefined_metric_type()
                                == Some(&MetricType::AsgAverageCpuUtilization)
                        })
                    })
                    .and_then(|c| c.target_value());
                ScalingPolicy {
                    name: p.policy_name().unwrap_or_default().to_string(),
                    cpu_target_percent,
                }
            }));
        }
        Ok(policies)
    }

    async fn suspended_processes(&self, name: &str) -> CloudResult<Vec<String>> {
        let group = self
            .describe(name, "autoscaling:DescribeAutoScalingGroups")
            .await?;
        Ok(group
            .suspended_processes()
            .iter()
            .filter_map(|p| p.process_name().map(str::to_string))
            .collect())
    }

    async fn suspend_processes(&self, name: &str, processes: &[String]) -> CloudResult<()> {
        let operation = "autoscaling:SuspendProcesses";
        // SuspendProcesses answers success for a group that does not exist on some paths, and
        // an empty list would suspend every process: look first, and send only what is asked.
        self.describe(name, operation).await?;
        if processes.is_empty() {
            return Ok(());
        }
        self.autoscaling
            .suspend_processes()
            .auto_scaling_group_name(name)
            .set_scaling_processes(Some(processes.to_vec()))
            .send()
            .await
            .map_err(|e| sdk_error(&e, operation, format!("group {name}")))?;
        Ok(())
    }

    async fn resume_processes(&self, name: &str, processes: &[String]) -> CloudResult<()> {
        let operation = "autoscaling:ResumeProcesses";
        // As above: an empty list would resume every process, including those someone else
        // suspended.
        self.describe(name, operation).await?;
        if processes.is_empty() {
            return Ok(());
        }
        self.autoscaling
            .resume_processes()
            .auto_scaling_group_name(name)
            .set_scaling_processes(Some(processes.to_vec()))
            .send()
            .await
            .map_err(|e| sdk_error(&e, operation, format!("group {name}")))?;
        Ok(())
    }

    async fn instance_ids(&self, name: &str) -> CloudResult<Vec<String>> {
        let group = self
            .describe(name, "autoscaling:DescribeAutoScalingGroups")
            .await?;
        Ok(group
            .instances()
            .iter()
            .filter(|i| serving(i))
            .filter_map(|i| i.instance_id().map(str::to_string))
            .collect())
    }

    async fn protected_instances(&self, name: &str) -> CloudResult<Vec<String>> {
        let group = self
            .describe(name, "autoscaling:DescribeAutoScalingGroups")
            .await?;
        Ok(group
            .instances()
            .iter()
            .filter(|i| i.protected_from_scale_in() == Some(true))
            .filter_map(|i| i.instance_id().map(str::to_string))
            .collect())
    }

    async fn set_scale_in_protection(
        &self,
        name: &str,
        instance_ids: &[String],
        protected: bool,
    ) -> CloudResult<()> {
        let operation = "autoscaling:SetInstanceProtection";
        for batch in instance_ids.chunks(PROTECTION_BATCH) {
            self.autoscaling
                .set_instance_protection()
                .auto_scaling_group_name(name)
                .set_instance_ids(Some(batch.to_vec()))
                .protected_from_scale_in(protected)
                .send()
                .await
                .map_err(|e| sdk_error(&e, operation, format!("group {name}")))?;
        }
        Ok(())
    }
}
