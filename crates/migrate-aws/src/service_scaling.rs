//! `ServiceScaling` on Application Auto Scaling: the new ECS services as scalable targets
//! (namespace `ecs`, dimension `ecs:service:DesiredCount`) with CPU target tracking.
//!
//! `DeregisterScalableTarget` answers `ObjectNotFoundException` for a target that does not
//! exist, which the error mapping reads as "not found", as compensations want.

use async_trait::async_trait;
use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension,
    ScalingPolicy as SdkPolicy, ServiceNamespace, TargetTrackingScalingPolicyConfiguration,
};
use migrate_engine::ports::{
    CloudError, CloudResult, CpuTrackingSpec, ErrorKind, ScalableTarget, ScalableTargetSpec,
    ScalingPolicy, ServiceScaling,
};

use crate::errors::sdk_error;

#[derive(Debug, Clone)]
pub struct ApplicationAutoScaling {
    client: aws_sdk_applicationautoscaling::Client,
}

impl ApplicationAutoScaling {
    pub fn new(client: aws_sdk_applicationautoscaling::Client) -> Self {
        Self { client }
    }
}

const DIMENSION: ScalableDimension = ScalableDimension::EcsServiceDesiredCount;

fn resource(resource_id: &str) -> String {
    format!("scalable target {resource_id}")
}

fn count(operation: &str, resource_id: &str, n: u32) -> CloudResult<i32> {
    i32::try_from(n).map_err(|_| {
        CloudError::new(
            ErrorKind::InvalidRequest,
            operation,
            resource(resource_id),
            format!("{n} tasks is out of range"),
        )
    })
}

fn policy_of(policy: &SdkPolicy) -> ScalingPolicy {
    let cpu_target_percent = policy
        .target_tracking_scaling_policy_configuration()
        .filter(|c| {
            c.predefined_metric_specification()
                .map(|m| m.predefined_metric_type() == &MetricType::EcsServiceAverageCpuUtilization)
                .unwrap_or(false)
        })
        .map(|c| c.target_value());
    ScalingPolicy {
        name: policy.policy_name().to_string(),
        cpu_target_percent,
    }
}

#[async_trait]
impl ServiceScaling for ApplicationAutoScaling {
    async fn find_target(&self, resource_id: &str) -> CloudResult<Option<ScalableTarget>> {
        let operation = "application-autoscaling:DescribeScalableTargets";
        let out = self
            .client
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(DIMENSION)
            .resource_ids(resource_id)
            .send()
            .await
            .map_err(|e| sdk_error(&e, operation, resource(resource_id)))?;
        Ok(out
            .scalable_targets()
            .iter()
            .find(|t| t.resource_id() == resource_id)
            .map(|t| ScalableTarget {
                resource_id: resource_id.to_string(),
                min_count: u32::try_from(t.min_capacity()).unwrap_or(0),
                max_count: u32::try_from(t.max_capacity()).unwrap_or(0),
            }))
    }

    async fn register_target(&self, spec: &ScalableTargetSpec) -> CloudResult<()> {
        let operation = "application-autoscaling:RegisterScalableTarget";
        let request = self
            .client
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(DIMENSION)
            .resource_id(&spec.resource_id)
            .min_capacity(count(operation, &spec.resource_id, spec.min_count)?)
            .max_capacity(count(operation, &spec.resource_id, spec.max_count)?)
            .set_tags(
                // An update of an old side's target (the scale-down lowering its minimum)
                // names no tags; send none rather than an empty map.
                (!spec.tags.is_empty()).then(|| spec.tags.clone().into_iter().collect()),
            );
        request
            .send()
            .await
            .map_err(|e| sdk_error(&e, operation, resource(&spec.resource_id)))?;
        Ok(())
    }

    async fn deregister_target(&self, resource_id: &str) -> CloudResult<()> {
        self.client
            .deregister_scalable_target()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(DIMENSION)
            .resource_id(resource_id)
            .send()
            .await
            .map_err(|e| {
                sdk_error(
                    &e,
                    "application-autoscaling:DeregisterScalableTarget",
                    resource(resource_id),
                )
            })?;
        Ok(())
    }

    async fn policies(&self, resource_id: &str) -> CloudResult<Vec<ScalingPolicy>> {
        let mut pages = self
            .client
            .describe_scaling_policies()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(DIMENSION)
            .resource_id(resource_id)
            .into_paginator()
            .send();
        let mut policies = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                sdk_error(
                    &e,
                    "application-autoscaling:DescribeScalingPolicies",
                    resource(resource_id),
                )
            })?;
            policies.extend(page.scaling_policies().iter().map(policy_of));
        }
        Ok(policies)
    }

    async fn put_cpu_tracking(&self, spec: &CpuTrackingSpec) -> CloudResult<()> {
        let operation = "application-autoscaling:PutScalingPolicy";
        let invalid = |e: aws_sdk_applicationautoscaling::error::BuildError| {
            CloudError::new(
                ErrorKind::InvalidRequest,
                operation,
                resource(&spec.resource_id),
                e.to_string(),
            )
        };
        let metric = PredefinedMetricSpecification::builder()
            .predefined_metric_type(MetricType::EcsServiceAverageCpuUtilization)
            .build()
            .map_err(invalid)?;
        let configuration = TargetTrackingScalingPolicyConfiguration::builder()
            .target_value(spec.target_percent)
            .predefined_metric_specification(metric)
            .scale_out_cooldown(i32::try_from(spec.scale_out_cooldown_secs).unwrap_or(i32::MAX))
            .scale_in_cooldown(i32::try_from(spec.scale_in_cooldown_secs).unwrap_or(i32::MAX))
            .build()
            .map_err(invalid)?;
        self.client
            .put_scaling_policy()
            .policy_name(&spec.policy_name)
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(DIMENSION)
            .resource_id(&spec.resource_id)
            .policy_type(PolicyType::TargetTrackingScaling)
            .target_tracking_scaling_policy_configuration(configuration)
            .send()
            .await
            .map_err(|e| sdk_error(&e, operation, resource(&spec.resource_id)))?;
        Ok(())
    }
}
