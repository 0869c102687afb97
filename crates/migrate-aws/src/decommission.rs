//! `Decommission` (what `migrate cleanup` reads and deletes of the old side) on EC2, EC2 Auto
//! Scaling and Elastic Beanstalk.
//!
//! Discovery reads only: the group's launch template (`DescribeAutoScalingGroups`, then
//! `DescribeLaunchTemplateVersions` for the version the group launches), the volumes that
//! template tags (`DescribeVolumes` filtered by `status=available` and its volume tags; Auto
//! Scaling never tags volumes itself:
//! <https://docs.aws.amazon.com/autoscaling/ec2/userguide/autoscaling-tagging.html>), and what
//! uses a security group (the rules of the groups in its VPC, and `DescribeNetworkInterfaces`
//! by `group-id`).

use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, ResourceType};
use migrate_engine::ports::{
    CloudError, CloudResult, Decommission, ErrorKind, LaunchTemplate, Repository,
    SecurityGroupUsers, Tags, Volume,
};

use crate::errors::{missing, sdk_error};

pub struct AwsDecommission {
    ec2: aws_sdk_ec2::Client,
    autoscaling: aws_sdk_autoscaling::Client,
    beanstalk: aws_sdk_elasticbeanstalk::Client,
    ecr: aws_sdk_ecr::Client,
}

impl AwsDecommission {
    pub fn new(
        ec2: aws_sdk_ec2::Client,
        autoscaling: aws_sdk_autoscaling::Client,
        beanstalk: aws_sdk_elasticbeanstalk::Client,
        ecr: aws_sdk_ecr::Client,
    ) -> Self {
        Self {
            ec2,
            autoscaling,
            beanstalk,
            ecr,
        }
    }

    /// Which of the instances the interfaces are attached to are terminated, or so long gone
    /// that EC2 no longer knows them.
    async fn terminated_instances(
        &self,
        attached_to: &[(String, String)],
        resource: &str,
    ) -> CloudResult<Vec<String>> {
        let mut ids: Vec<String> = attached_to.iter().map(|(_, i)| i.clone()).collect();
        ids.sort();
        ids.dedup();
        let mut gone = Vec::new();
        // One at a time: a batch with one unknown id fails as a whole (`InvalidInstanceID.NotFound`).
        for id in ids {
            let answer = self.ec2.describe_instances().instance_ids(&id).send().await;
            let out = match answer {
                Ok(out) => out,
                Err(e) => {
                    let error = sdk_error(&e, "ec2:DescribeInstances", resource);
                    if error.is_not_found() {
                        gone.push(id);
                        continue;
                    }
                    return Err(error);
                }
            };
            let live = out
                .reservations()
                .iter()
                .flat_map(|r| r.instances())
                .filter(|i| i.instance_id() == Some(id.as_str()))
                .any(|i| {
                    i.state().and_then(|s| s.name())
                        != Some(&aws_sdk_ec2::types::InstanceStateName::Terminated)
                });
            if !live {
                gone.push(id);
            }
        }
        Ok(gone)
    }

    async fn group_exists(&self, name: &str) -> CloudResult<bool> {
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
        Ok(out
            .auto_scaling_groups()
            .iter()
            .any(|g| g.auto_scaling_group_name() == Some(name)))
    }
}

fn volume_of(v: &aws_sdk_ec2::types::Volume, resource: &str) -> CloudResult<Volume> {
    Ok(Volume {
        id: v
            .volume_id()
            .ok_or_else(|| missing("ec2:DescribeVolumes", resource, "VolumeId"))?
            .to_string(),
        state: v
            .state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "unknown".to_string()),
        size_gib: v.size().and_then(|s| u32::try_from(s).ok()).unwrap_or(0),
    })
}

#[async_trait]
impl Decommission for AwsDecommission {
    async fn launch_template_of_group(&self, group: &str) -> CloudResult<Option<LaunchTemplate>> {
        let resource = format!("group {group}");
        let out = self
            .autoscaling
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(group)
            .send()
            .await
            .map_err(|e| sdk_error(&e, "autoscaling:DescribeAutoScalingGroups", &resource))?;
        let Some(found) = out
            .auto_scaling_groups()
            .iter()
            .find(|g| g.auto_scaling_group_name() == Some(group))
        else {
            return Ok(None);
        };
        let spec = found.launch_template().or_else(|| {
            found
                .mixed_instances_policy()
                .and_then(|p| p.launch_template())
                .and_then(|t| t.launch_template_specification())
        });
        let Some(spec) = spec else {
            return Ok(None);
        };
        let version = spec.version().unwrap_or("$Default").to_string();
        let mut request = self
            .ec2
            .describe_launch_template_versions()
            .versions(&version);
        request = match (spec.launch_template_id(), spec.launch_template_name()) {
            (Some(id), _) => request.launch_template_id(id),
            (None, Some(name)) => request.launch_template_name(name),
            (None, None) => {
                return Err(missing(
                    "autoscaling:DescribeAutoScalingGroups",
                    &resource,
                    "LaunchTemplateId",
                ))
            }
        };
        let resource = format!("the launch template of group {group}");
        let versions = request
            .send()
            .await
            .map_err(|e| sdk_error(&e, "ec2:DescribeLaunchTemplateVersions", &resource))?;
        let Some(template) = versions.launch_template_versions().first() else {
            return Ok(None);
        };
        let id = template
            .launch_template_id()
            .ok_or_else(|| {
                missing(
                    "ec2:DescribeLaunchTemplateVersions",
                    &resource,
                    "LaunchTemplateId",
                )
            })?
            .to_string();
        let name = template
            .launch_template_name()
            .unwrap_or(id.as_str())
            .to_string();
        let data = template.launch_template_data();
        let mut security_groups: Vec<String> = Vec::new();
        let interface_groups = data
            .iter()
            .flat_map(|d| d.network_interfaces())
            .flat_map(|n| n.groups().iter().cloned());
        for id in data
            .iter()
            .flat_map(|d| d.security_group_ids().iter().cloned())
            .chain(interface_groups)
        {
            if !security_groups.contains(&id) {
                security_groups.push(id);
            }
        }
        let volume_tags: Tags = data
            .iter()
            .flat_map(|d| d.tag_specifications())
            .filter(|s| s.resource_type() == Some(&ResourceType::Volume))
            .flat_map(|s| s.tags())
            .filter_map(|t| {
                Some((
                    t.key()?.to_string(),
                    t.value().unwrap_or_default().to_string(),
                ))
            })
            .collect();
        Ok(Some(LaunchTemplate {
            id,
            name,
            security_groups,
            volume_tags,
        }))
    }

    async fn available_volumes_tagged(&self, tags: &Tags) -> CloudResult<Vec<Volume>> {
        let resource = "available volumes tagged by the launch template";
        let mut request = self
            .ec2
            .describe_volumes()
            .filters(Filter::builder().name("status").values("available").build());
        for (key, value) in tags {
            request = request.filters(
                Filter::builder()
                    .name(format!("tag:{key}"))
                    .values(value)
                    .build(),
            );
        }
        let mut pages = request.into_paginator().send();
        let mut volumes = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk_error(&e, "ec2:DescribeVolumes", resource))?;
            for v in page.volumes() {
                // The filters are a request; keep only what really matches.
                let carries = |key: &String, value: &String| {
                    v.tags()
                        .iter()
                        .any(|t| t.key() == Some(key.as_str()) && t.value() == Some(value.as_str()))
                };
                let available = v.state().map(|s| s.as_str()) == Some("available");
                if available && tags.iter().all(|(k, value)| carries(k, value)) {
                    volumes.push(volume_of(v, resource)?);
                }
            }
        }
        Ok(volumes)
    }

    async fn find_volume(&self, id: &str) -> CloudResult<Option<Volume>> {
        let resource = format!("volume {id}");
        match self.ec2.describe_volumes().volume_ids(id).send().await {
            Ok(out) => out
                .volumes()
                .iter()
                .find(|v| v.volume_id() == Some(id))
                .map(|v| volume_of(v, &resource))
                .transpose(),
            Err(e) => {
                let error = sdk_error(&e, "ec2:DescribeVolumes", &resource);
                if error.is_not_found() {
                    Ok(None)
                } else {
                    Err(error)
                }
            }
        }
    }

    async fn security_group_users(&self, group_id: &str) -> CloudResult<SecurityGroupUsers> {
        let resource = format!("security group {group_id}");
        let out = self
            .ec2
            .describe_security_groups()
            .group_ids(group_id)
            .send()
            .await
            .map_err(|e| sdk_error(&e, "ec2:DescribeSecurityGroups", &resource))?;
        let Some(group) = out
            .security_groups()
            .iter()
            .find(|g| g.group_id() == Some(group_id))
        else {
            return Err(CloudError::not_found(
                "ec2:DescribeSecurityGroups",
                resource,
            ));
        };
        let vpc = group
            .vpc_id()
            .ok_or_else(|| missing("ec2:DescribeSecurityGroups", &resource, "VpcId"))?;
        // Every group of the VPC, read whole: a rule that names the group as its source (in)
        // or destination (out) keeps it from being deleted.
        let mut referencing_groups = Vec::new();
        let mut pages = self
            .ec2
            .describe_security_groups()
            .filters(Filter::builder().name("vpc-id").values(vpc).build())
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk_error(&e, "ec2:DescribeSecurityGroups", &resource))?;
            for other in page.security_groups() {
                let Some(other_id) = other.group_id() else {
                    continue;
                };
                let names_it = other
                    .ip_permissions()
                    .iter()
                    .chain(other.ip_permissions_egress())
                    .flat_map(|p| p.user_id_group_pairs())
                    .any(|pair| pair.group_id() == Some(group_id));
                if other_id != group_id && names_it {
                    referencing_groups.push(other_id.to_string());
                }
            }
        }
        let mut network_interfaces = Vec::new();
        let mut attached_to: Vec<(String, String)> = Vec::new();
        let mut pages = self
            .ec2
            .describe_network_interfaces()
            .filters(Filter::builder().name("group-id").values(group_id).build())
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| sdk_error(&e, "ec2:DescribeNetworkInterfaces", &resource))?;
            for interface in page.network_interfaces() {
                let attached = interface
                    .groups()
                    .iter()
                    .any(|g| g.group_id() == Some(group_id));
                if let (true, Some(id)) = (attached, interface.network_interface_id()) {
                    let what = interface
                        .description()
                        .filter(|d| !d.is_empty())
                        .map_or_else(|| id.to_string(), |d| format!("{id} ({d})"));
                    match interface.attachment().and_then(|a| a.instance_id()) {
                        Some(instance) => attached_to.push((what, instance.to_string())),
                        None => network_interfaces.push(what),
                    }
                }
            }
        }
        // The primary interface of a terminated instance goes with it; until EC2 has deleted it
        // (and for good on moto, which keeps it) it is no user of the group.
        let terminated = self.terminated_instances(&attached_to, &resource).await?;
        network_interfaces.extend(
            attached_to
                .into_iter()
                .filter(|(_, instance)| !terminated.contains(instance))
                .map(|(what, instance)| format!("{what} of instance {instance}")),
        );
        Ok(SecurityGroupUsers {
            referencing_groups,
            network_interfaces,
        })
    }

    async fn delete_auto_scaling_group(&self, name: &str) -> CloudResult<()> {
        let resource = format!("group {name}");
        // DeleteAutoScalingGroup answers a ValidationError for a missing group; look first so
        // that "already gone" reads as NotFound.
        if !self.group_exists(name).await? {
            return Err(CloudError::not_found(
                "autoscaling:DeleteAutoScalingGroup",
                resource,
            ));
        }
        self.autoscaling
            .delete_auto_scaling_group()
            .auto_scaling_group_name(name)
            .send()
            .await
            .map_err(|e| sdk_error(&e, "autoscaling:DeleteAutoScalingGroup", &resource))?;
        Ok(())
    }

    async fn delete_launch_template(&self, id: &str) -> CloudResult<()> {
        self.ec2
            .delete_launch_template()
            .launch_template_id(id)
            .send()
            .await
            .map_err(|e| {
                sdk_error(
                    &e,
                    "ec2:DeleteLaunchTemplate",
                    format!("launch template {id}"),
                )
            })?;
        Ok(())
    }

    async fn delete_volume(&self, id: &str) -> CloudResult<()> {
        self.ec2
            .delete_volume()
            .volume_id(id)
            .send()
            .await
            .map_err(|e| sdk_error(&e, "ec2:DeleteVolume", format!("volume {id}")))?;
        Ok(())
    }

    async fn terminate_environment(&self, id: &str) -> CloudResult<()> {
        let resource = format!("environment {id}");
        self.beanstalk
            .terminate_environment()
            .environment_id(id)
            .send()
            .await
            .map_err(|e| {
                let error = sdk_error(&e, "elasticbeanstalk:TerminateEnvironment", &resource);
                // Beanstalk answers an unknown id with InvalidParameterValue "No Environment
                // found"; that is absence, not a bad request.
                if error.message.contains("No Environment found") {
                    CloudError::new(
                        ErrorKind::NotFound,
                        error.operation,
                        error.resource,
                        error.message,
                    )
                } else {
                    error
                }
            })?;
        Ok(())
    }

    async fn find_repository(&self, name: &str) -> CloudResult<Option<Repository>> {
        let resource = format!("repository {name}");
        let described = self
            .ecr
            .describe_repositories()
            .repository_names(name)
            .send()
            .await;
        match described {
            Ok(out)
                if out
                    .repositories()
                    .iter()
                    .any(|r| r.repository_name() == Some(name)) => {}
            Ok(_) => return Ok(None),
            Err(e) => {
                let error = sdk_error(&e, "ecr:DescribeRepositories", &resource);
                // `RepositoryNotFoundException` reads as absence.
                if error.kind == ErrorKind::NotFound {
                    return Ok(None);
                }
                return Err(error);
            }
        }
        let mut pages = self
            .ecr
            .describe_images()
            .repository_name(name)
            .into_paginator()
            .send();
        let mut images = 0u32;
        let mut last_pull: Option<chrono::DateTime<chrono::Utc>> = None;
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk_error(&e, "ecr:DescribeImages", &resource))?;
            for image in page.image_details() {
                images = images.saturating_add(1);
                let pulled = image
                    .last_recorded_pull_time()
                    .and_then(|t| chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos()));
                if pulled > last_pull {
                    last_pull = pulled;
                }
            }
        }
        Ok(Some(Repository {
            name: name.to_string(),
            images,
            last_pull,
        }))
    }

    async fn delete_repository(&self, name: &str) -> CloudResult<()> {
        self.ecr
            .delete_repository()
            .repository_name(name)
            .force(true)
            .send()
            .await
            .map_err(|e| sdk_error(&e, "ecr:DeleteRepository", format!("repository {name}")))?;
        Ok(())
    }
}
