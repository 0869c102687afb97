//! `ContainerPlatform` on ECS.

use async_trait::async_trait;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, ClusterSetting, ClusterSettingName, DesiredStatus,
    LaunchType, LoadBalancer, NetworkConfiguration, PropagateTags, Service, SortOrder, Tag,
    TaskDefinitionField, TaskDefinitionStatus,
};
use migrate_engine::ports::{
    CloudError, CloudResult, Cluster, ClusterSpec, ContainerPlatform, ErrorKind,
    ServiceLoadBalancer, ServiceSpec, ServiceStatus, TaskDefinitionRef, TaskDefinitionSpec,
    TAG_PLAN_ID,
};

use crate::errors::{missing, sdk_error};
use crate::tags::pairs;
use crate::taskdef;

/// How many stopped tasks to read the reasons of when a service is short of running tasks.
const STOPPED_REASONS: i32 = 5;

pub struct EcsPlatform {
    ecs: aws_sdk_ecs::Client,
    autoscaling: aws_sdk_autoscaling::Client,
}

impl EcsPlatform {
    pub fn new(ecs: aws_sdk_ecs::Client, autoscaling: aws_sdk_autoscaling::Client) -> Self {
        Self { ecs, autoscaling }
    }

    /// The tags for a create call; `None` when there are none, so no empty list is sent.
    fn tags(tags: &migrate_engine::ports::Tags) -> Option<Vec<Tag>> {
        let tags: Vec<Tag> = pairs(tags)
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        (!tags.is_empty()).then_some(tags)
    }

    /// The reasons of the most recently stopped tasks of a service, newest first.
    async fn stopped_reasons(&self, cluster: &str, service: &str) -> CloudResult<Vec<String>> {
        let resource = format!("stopped tasks of service {service} in cluster {cluster}");
        let listed = self
            .ecs
            .list_tasks()
            .cluster(cluster)
            .service_name(service)
            .desired_status(DesiredStatus::Stopped)
            .max_results(STOPPED_REASONS)
            .send()
            .await
            .map_err(|e| sdk_error(&e, "ecs:ListTasks", &resource))?;
        let arns = listed.task_arns();
        if arns.is_empty() {
            return Ok(Vec::new());
        }
        let described = self
            .ecs
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(arns.to_vec()))
            .send()
            .await
            .map_err(|e| sdk_error(&e, "ecs:DescribeTasks", &resource))?;
        let mut tasks: Vec<_> = described
            .tasks()
            .iter()
            .filter_map(|t| {
                t.stopped_reason()
                    .map(|r| (t.stopped_at().map(|d| d.secs()).unwrap_or(0), r.to_string()))
            })
            .collect();
        tasks.sort_by_key(|t| std::cmp::Reverse(t.0));
        Ok(tasks.into_iter().map(|(_, r)| r).collect())
    }

    fn status_of(service: &Service, cluster: &str, operation: &str) -> CloudResult<ServiceStatus> {
        let name = service.service_name().ok_or_else(|| {
            missing(
                operation,
                format!("a service in cluster {cluster}"),
                "serviceName",
            )
        })?;
        let resource = format!("service {name} in cluster {cluster}");
        let count = |n: i32| u32::try_from(n).unwrap_or(0);
        let desired = count(service.desired_count());
        let running = count(service.running_count());
        Ok(ServiceStatus {
            arn: service
                .service_arn()
                .ok_or_else(|| missing(operation, &resource, "serviceArn"))?
                .to_string(),
            name: name.to_string(),
            cluster: cluster.to_string(),
            status: service.status().unwrap_or("UNKNOWN").to_string(),
            task_definition_arn: service.task_definition().unwrap_or_default().to_string(),
            desired_count: desired,
            running_count: running,
            pending_count: count(service.pending_count()),
            // What `aws ecs wait services-stable` waits for: one deployment, fully running.
            steady: service.deployments().len() == 1 && running == desired,
            stopped_reasons: Vec::new(),
            load_balancers: service
                .load_balancers()
                .iter()
                .filter_map(|lb| {
                    Some(ServiceLoadBalancer {
                        target_group_arn: lb.target_group_arn()?.to_string(),
                        container_name: lb.container_name()?.to_string(),
                        container_port: u16::try_from(lb.container_port()?).ok()?,
                    })
                })
                .collect(),
        })
    }
}

fn cluster_of(c: &aws_sdk_ecs::types::Cluster, name: &str) -> CloudResult<Cluster> {
    Ok(Cluster {
        name: c.cluster_name().unwrap_or(name).to_string(),
        arn: c
            .cluster_arn()
            .ok_or_else(|| {
                missing(
                    "ecs:DescribeClusters",
                    format!("cluster {name}"),
                    "clusterArn",
                )
            })?
            .to_string(),
        status: c.status().unwrap_or("UNKNOWN").to_string(),
    })
}

/// `arn:aws:ecs:region:account:task-definition/family:3` → `(family, 3)`.
fn family_revision(arn: &str) -> Option<(String, u32)> {
    let tail = arn.rsplit_once("task-definition/")?.1;
    let (family, revision) = tail.rsplit_once(':')?;
    Some((family.to_string(), revision.parse().ok()?))
}

#[async_trait]
impl ContainerPlatform for EcsPlatform {
    async fn find_cluster(&self, name: &str) -> CloudResult<Option<Cluster>> {
        let out = self
            .ecs
            .describe_clusters()
            .clusters(name)
            .send()
            .await
            .map_err(|e| sdk_error(&e, "ecs:DescribeClusters", format!("cluster {name}")))?;
        for c in out.clusters() {
            if c.status() == Some("INACTIVE") {
                continue;
            }
            return cluster_of(c, name).map(Some);
        }
        Ok(None)
    }

    async fn create_cluster(&self, spec: &ClusterSpec) -> CloudResult<Cluster> {
        let resource = format!("cluster {}", spec.name);
        let insights = if spec.container_insights {
            "enabled"
        } else {
            "disabled"
        };
        let out = self
            .ecs
            .create_cluster()
            .cluster_name(&spec.name)
            .settings(
                ClusterSetting::builder()
                    .name(ClusterSettingName::ContainerInsights)
                    .value(insights)
                    .build(),
            )
            .set_tags(Self::tags(&spec.tags))
            .send()
            .await
            .map_err(|e| sdk_error(&e, "ecs:CreateCluster", &resource))?;
        let c = out
            .cluster()
            .ok_or_else(|| missing("ecs:CreateCluster", &resource, "cluster"))?;
        cluster_of(c, &spec.name)
    }

    async fn delete_cluster(&self, name: &str) -> CloudResult<()> {
        // A deleted cluster lingers as INACTIVE and deleting it again may succeed; the
        // convention wants "already gone" to be NotFound, so look first.
        if self.find_cluster(name).await?.is_none() {
            return Err(CloudError::not_found(
                "ecs:DeleteCluster",
                format!("cluster {name}"),
            ));
        }
        self.ecs
            .delete_cluster()
            .cluster(name)
            .send()
            .await
            .map_err(|e| sdk_error(&e, "ecs:DeleteCluster", format!("cluster {name}")))?;
        Ok(())
    }

    async fn find_task_definition(
        &self,
        family: &str,
        plan_id: &str,
    ) -> CloudResult<Option<TaskDefinitionRef>> {
        let resource = format!("task definition family {family}");
        let mut pages = self
            .ecs
            .list_task_definitions()
            .family_prefix(family)
            .status(TaskDefinitionStatus::Active)
            .sort(SortOrder::Desc)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk_error(&e, "ecs:ListTaskDefinitions", &resource))?;
            for arn in page.task_definition_arns() {
                // The prefix also matches `web-old` when asked for `web`: keep the exact family.
                let Some((fam, revision)) = family_revision(arn) else {
                    continue;
                };
                if fam != family {
                    continue;
                }
                let out = self
                    .ecs
                    .describe_task_definition()
                    .task_definition(arn)
                    .include(TaskDefinitionField::Tags)
                    .send()
                    .await
                    .map_err(|e| sdk_error(&e, "ecs:DescribeTaskDefinition", arn))?;
                let ours = out
                    .tags()
                    .iter()
                    .any(|t| t.key() == Some(TAG_PLAN_ID) && t.value() == Some(plan_id));
                if ours {
                    return Ok(Some(TaskDefinitionRef {
                        arn: arn.clone(),
                        family: fam,
                        revision,
                    }));
                }
            }
        }
        Ok(None)
    }

    async fn register_task_definition(
        &self,
        spec: &TaskDefinitionSpec,
    ) -> CloudResult<TaskDefinitionRef> {
        let resource = format!("task definition family {}", spec.family);
        let request = taskdef::apply(self.ecs.register_task_definition(), &spec.definition)
            .map_err(|m| {
                CloudError::new(
                    ErrorKind::InvalidRequest,
                    "ecs:RegisterTaskDefinition",
                    &resource,
                    m,
                )
            })?
            .family(&spec.family)
            .set_tags(Self::tags(&spec.tags));
        let out = request
            .send()
            .await
            .map_err(|e| sdk_error(&e, "ecs:RegisterTaskDefinition", &resource))?;
        let td = out
            .task_definition()
            .ok_or_else(|| missing("ecs:RegisterTaskDefinition", &resource, "taskDefinition"))?;
        let arn = td
            .task_definition_arn()
            .ok_or_else(|| missing("ecs:RegisterTaskDefinition", &resource, "taskDefinitionArn"))?;
        Ok(TaskDefinitionRef {
            arn: arn.to_string(),
            family: td.family().unwrap_or(&spec.family).to_string(),
            revision: u32::try_from(td.revision()).unwrap_or(0),
        })
    }

    async fn deregister_task_definition(&self, arn: &str) -> CloudResult<()> {
        // AWS answers success when an INACTIVE revision is deregistered again; the convention
        // wants "already gone" to be NotFound, so look first.
        match self.describe_task_definition(arn).await? {
            Some(td) if td.get("status").and_then(|s| s.as_str()) != Some("INACTIVE") => {}
            _ => return Err(CloudError::not_found("ecs:DeregisterTaskDefinition", arn)),
        }
        self.ecs
            .deregister_task_definition()
            .task_definition(arn)
            .send()
            .await
            .map_err(|e| sdk_error(&e, "ecs:DeregisterTaskDefinition", arn))?;
        Ok(())
    }

    async fn find_service(&self, cluster: &str, name: &str) -> CloudResult<Option<ServiceStatus>> {
        let resource = format!("service {name} in cluster {cluster}");
        let out = match self
            .ecs
            .describe_services()
            .cluster(cluster)
            .services(name)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let err = sdk_error(&e, "ecs:DescribeServices", &resource);
                // No cluster means no service: a find never errors for absence.
                return if err.is_not_found() {
                    Ok(None)
                } else {
                    Err(err)
                };
            }
        };
        let Some(service) = out
            .services()
            .iter()
            .find(|s| s.status() != Some("INACTIVE"))
        else {
            return Ok(None);
        };
        let mut status = Self::status_of(service, cluster, "ecs:DescribeServices")?;
        if status.running_count < status.desired_count {
            status.stopped_reasons = self.stopped_reasons(cluster, name).await?;
        }
        Ok(Some(status))
    }

    async fn create_service(&self, spec: &ServiceSpec) -> CloudResult<ServiceStatus> {
        let resource = format!("service {} in cluster {}", spec.name, spec.cluster);
        let invalid = |m: String| {
            CloudError::new(ErrorKind::InvalidRequest, "ecs:CreateService", &resource, m)
        };
        let vpc = AwsVpcConfiguration::builder()
            .set_subnets(Some(spec.subnets.clone()))
            .set_security_groups(Some(spec.security_groups.clone()))
            .assign_public_ip(if spec.assign_public_ip {
                AssignPublicIp::Enabled
            } else {
                AssignPublicIp::Disabled
            })
            .build()
            .map_err(|e| invalid(e.to_string()))?;
        let desired = i32::try_from(spec.desired_count)
            .map_err(|_| invalid(format!("desired count {} is too large", spec.desired_count)))?;
        let mut request = self
            .ecs
            .create_service()
            .cluster(&spec.cluster)
            .service_name(&spec.name)
            .task_definition(&spec.task_definition_arn)
            .desired_count(desired)
            .launch_type(LaunchType::Fargate)
            .network_configuration(
                NetworkConfiguration::builder()
                    .awsvpc_configuration(vpc)
                    .build(),
            )
            .enable_execute_command(spec.enable_execute_command)
            .propagate_tags(PropagateTags::Service)
            .client_token(&spec.client_token)
            .set_tags(Self::tags(&spec.tags));
        if let Some(lb) = &spec.load_balancer {
            request = request.load_balancers(
                LoadBalancer::builder()
                    .target_group_arn(&lb.target_group_arn)
                    .container_name(&lb.container_name)
                    .container_port(i32::from(lb.container_port))
                    .build(),
            );
            // The same container and port in each further group (up to five per service:
            // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/register-multiple-targetgroups.html).
            for arn in &spec.also_registers_in {
                request = request.load_balancers(
                    LoadBalancer::builder()
                        .target_group_arn(arn)
                        .container_name(&lb.container_name)
                        .container_port(i32::from(lb.container_port))
                        .build(),
                );
            }
        }
        if let Some(grace) = spec.health_check_grace_period_secs {
            let grace =
                i32::try_from(grace).map_err(|_| invalid("grace period too large".into()))?;
            request = request.health_check_grace_period_seconds(grace);
        }
        let out = request
            .send()
            .await
            .map_err(|e| sdk_error(&e, "ecs:CreateService", &resource))?;
        let service = out
            .service()
            .ok_or_else(|| missing("ecs:CreateService", &resource, "service"))?;
        Self::status_of(service, &spec.cluster, "ecs:CreateService")
    }

    async fn set_desired_count(
        &self,
        cluster: &str,
        service: &str,
        desired: u32,
    ) -> CloudResult<()> {
        let resource = format!("service {service} in cluster {cluster}");
        let desired = i32::try_from(desired).map_err(|_| {
            CloudError::new(
                ErrorKind::InvalidRequest,
                "ecs:UpdateService",
                &resource,
                "desired count too large",
            )
        })?;
        self.ecs
            .update_service()
            .cluster(cluster)
            .service(service)
            .desired_count(desired)
            .send()
            .await
            .map_err(|e| sdk_error(&e, "ecs:UpdateService", &resource))?;
        Ok(())
    }

    async fn set_load_balancers(
        &self,
        cluster: &str,
        service: &str,
        load_balancers: &[ServiceLoadBalancer],
    ) -> CloudResult<()> {
        let resource = format!("service {service} in cluster {cluster}");
        let configurations = load_balancers
            .iter()
            .map(|lb| {
                LoadBalancer::builder()
                    .target_group_arn(&lb.target_group_arn)
                    .container_name(&lb.container_name)
                    .container_port(i32::from(lb.container_port))
                    .build()
            })
            .collect();
        self.ecs
            .update_service()
            .cluster(cluster)
            .service(service)
            .set_load_balancers(Some(configurations))
            .send()
            .await
            .map_err(|e| sdk_error(&e, "ecs:UpdateService", &resource))?;
        Ok(())
    }

    async fn delete_service(&self, cluster: &str, service: &str) -> CloudResult<()> {
        let resource = format!("service {service} in cluster {cluster}");
        // AWS answers ServiceNotFoundException or ServiceNotActiveException for a service that
        // is gone, both NotFound. The answer's status is not a test of that: moto answers
        // INACTIVE at once where AWS answers DRAINING.
        self.ecs
            .delete_service()
            .cluster(cluster)
            .service(service)
            .force(true)
            .send()
            .await
            .map_err(|e| sdk_error(&e, "ecs:DeleteService", &resource))?;
        Ok(())
    }

    async fn describe_task_definition(&self, arn: &str) -> CloudResult<Option<serde_json::Value>> {
        let out = match self
            .ecs
            .describe_task_definition()
            .task_definition(arn)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let err = sdk_error(&e, "ecs:DescribeTaskDefinition", arn);
                return if err.is_not_found() {
                    Ok(None)
                } else {
                    Err(err)
                };
            }
        };
        Ok(out.task_definition().map(taskdef::to_json))
    }

    async fn container_instance_groups(&self, cluster: &str) -> CloudResult<Vec<String>> {
        let resource = format!("container instances of cluster {cluster}");
        let mut arns = Vec::new();
        let mut pages = self
            .ecs
            .list_container_instances()
            .cluster(cluster)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk_error(&e, "ecs:ListContainerInstances", &resource))?;
            arns.extend(page.container_instance_arns().iter().cloned());
        }
        let mut instance_ids = Vec::new();
        // DescribeContainerInstances takes at most 100 instances per call.
        for chunk in arns.chunks(100) {
            let out = self
                .ecs
                .describe_container_instances()
                .cluster(cluster)
                .set_container_instances(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| sdk_error(&e, "ecs:DescribeContainerInstances", &resource))?;
            instance_ids.extend(
                out.container_instances()
                    .iter()
                    .filter_map(|ci| ci.ec2_instance_id().map(str::to_string)),
            );
        }
        let mut groups = std::collections::BTreeSet::new();
        // DescribeAutoScalingInstances takes at most 50 instance ids per call.
        for chunk in instance_ids.chunks(50) {
            let out = self
                .autoscaling
                .describe_auto_scaling_instances()
                .set_instance_ids(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| {
                    sdk_error(&e, "autoscaling:DescribeAutoScalingInstances", &resource)
                })?;
            groups.extend(
                out.auto_scaling_instances()
                    .iter()
                    .filter_map(|i| i.auto_scaling_group_name().map(str::to_string)),
            );
        }
        Ok(groups.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_definition_arns_split() {
        assert_eq!(
            family_revision("arn:aws:ecs:us-east-1:123456789012:task-definition/shop-web:12"),
            Some(("shop-web".to_string(), 12))
        );
        assert_eq!(
            family_revision("arn:aws:ecs:us-east-1:1:task-definition/x"),
            None
        );
        assert_eq!(family_revision("nonsense"), None);
    }
}
