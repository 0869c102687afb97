//! Finds what clean-up will delete: the old side through the ids the migration recorded
//! (`discover-source`'s outputs) and read-only discovery from them (the group's launch template,
//! the volumes that template tagged, the security groups of the old side and the data stores'
//! rules that admit them). Nothing is found by a name pattern, and nothing here changes the
//! account.

use chrono::{DateTime, Utc};
use migrate_journal::State;

use super::deletion::Deletion;
use crate::error::StepError;
use crate::outputs::{
    read, BridgeTargetGroupCreated, Drained, LoadBalancerCreated, SecurityGroupCreated,
    SourceDiscovered, StepOutput,
};
use crate::ports::{load_balancer_dimension, target_group_dimension, Cloud, IngressRule};

/// What clean-up will delete, in the order it deletes, and what it leaves, with why.
#[derive(Debug, Clone, PartialEq)]
pub struct CleanupPlan {
    pub deletions: Vec<Deletion>,
    /// Old-side resources it does not delete, each with the reason.
    pub kept: Vec<String>,
}

fn required<T: StepOutput>(state: &State) -> Result<T, StepError> {
    read(state, T::STEP)?.ok_or_else(|| {
        StepError::precondition(format!(
            "step {} has recorded no outputs; clean-up needs what the migration recorded",
            T::STEP
        ))
    })
}

/// Reads the old side and answers what clean-up would delete. `finished_at` is when the
/// migration finished: the old load balancer must have served nothing since the drain (or
/// since then, if no drain was recorded).
pub async fn discover(
    cloud: &Cloud,
    state: &State,
    finished_at: DateTime<Utc>,
) -> Result<CleanupPlan, StepError> {
    let source: SourceDiscovered = required(state)?;
    let playbook = &state.plan.playbook;
    let new_load_balancer: Option<LoadBalancerCreated> = read(state, LoadBalancerCreated::STEP)?;
    let new_service_group: Option<SecurityGroupCreated> = read(state, SecurityGroupCreated::STEP)?;
    let drained: Option<Drained> = read(state, "drain")?;
    let traffic_since = drained.map_or(finished_at, |d| d.at);

    let mut kept = Vec::new();
    let mut deletions = old_alarms(cloud, state, &source, &mut kept).await?;

    // The security groups of the old side: its instances' (from the launch template) first,
    // then its load balancer's, so that a group whose rules name another goes before it.
    let group_name = source.auto_scaling_group.as_ref().map(|g| g.name.clone());
    let launch_template = match &group_name {
        Some(name) => cloud.decommission.launch_template_of_group(name).await?,
        None => None,
    };
    // The plain instances of an `ec2` source, and their security groups in place of a launch
    // template's.
    let plain_instances = if source.old_instances.is_empty() {
        Vec::new()
    } else {
        cloud
            .instances
            .describe_instances(&source.old_instances)
            .await?
    };
    let mut old_groups: Vec<String> = Vec::new();
    for id in launch_template
        .iter()
        .flat_map(|t| t.security_groups.iter())
        .chain(
            plain_instances
                .iter()
                .flat_map(|i| i.security_groups.iter()),
        )
        .chain(source.load_balancer.security_groups.iter())
    {
        if !old_groups.contains(id) {
            old_groups.push(id.clone());
        }
    }
    // A group the new side uses stays: the new load balancer reuses the old one's groups unless
    // the playbook names others.
    let new_groups: Vec<(String, &str)> = new_load_balancer
        .iter()
        .flat_map(|lb| {
            lb.security_groups
                .iter()
                .map(|g| (g.clone(), "the new load balancer uses it"))
        })
        .chain(
            new_service_group
                .iter()
                .map(|g| (g.group_id.clone(), "the new service uses it")),
        )
        .collect();
    old_groups.retain(|id| match new_groups.iter().find(|(g, _)| g == id) {
        Some((_, why)) => {
            kept.push(format!("security group {id}: {why}"));
            false
        }
        None => true,
    });

    // The data stores' rules that admit a group of the old side, as they are now.
    let mut rules = Vec::new();
    for store in &playbook.network.data_stores {
        for source_group in &old_groups {
            let rule = IngressRule {
                group_id: store.security_group.clone(),
                source_group_id: source_group.clone(),
                port: store.port,
                description: String::new(),
            };
            if cloud.network.has_ingress(&rule).await? {
                rules.push(Deletion::IngressRule {
                    store: store.name.clone(),
                    rule,
                });
            }
        }
    }

    if let Some(environment) = &source.beanstalk {
        let name = playbook
            .source
            .beanstalk_environment
            .clone()
            .unwrap_or_default();
        deletions.extend(rules);
        deletions.push(Deletion::BeanstalkEnvironment {
            id: environment.id.clone(),
            name,
        });
        kept.push(
            "the environment's Auto Scaling group, load balancer, target groups and security \
             groups: Beanstalk made them and deletes them when the environment terminates"
                .to_string(),
        );
        deletions.extend(ecr_repository(state, traffic_since)?);
        return Ok(CleanupPlan { deletions, kept });
    }

    let cluster = playbook.source.ecs_cluster.clone().unwrap_or_default();
    for service in &source.old_services {
        deletions.push(Deletion::EcsService {
            cluster: cluster.clone(),
            name: service.name.clone(),
        });
    }
    let mut task_definitions: Vec<&str> = Vec::new();
    for service in &source.old_services {
        if !task_definitions.contains(&service.task_definition.as_str()) {
            task_definitions.push(&service.task_definition);
        }
    }
    deletions.extend(
        task_definitions
            .into_iter()
            .map(|arn| Deletion::TaskDefinition {
                arn: arn.to_string(),
            }),
    );

    if let Some(name) = &group_name {
        deletions.push(Deletion::AutoScalingGroup { name: name.clone() });
        match &launch_template {
            Some(template) => {
                deletions.push(Deletion::LaunchTemplate {
                    id: template.id.clone(),
                    name: template.name.clone(),
                });
                if template.volume_tags.is_empty() {
                    kept.push(format!(
                        "EBS volumes: launch template {} tags none of the volumes it creates, \
                         so no volume left behind can be tied to {name}; none are deleted",
                        template.name
                    ));
                } else {
                    for volume in cloud
                        .decommission
                        .available_volumes_tagged(&template.volume_tags)
                        .await?
                    {
                        deletions.push(Deletion::Volume { id: volume.id });
                    }
                }
            }
            None => kept.push(format!(
                "Auto Scaling group {name} launches from no launch template (a launch \
                 configuration?); nothing of its launch setup or volumes is deleted"
            )),
        }
    }

    if !source.old_instances.is_empty() {
        deletions.push(Deletion::Instances {
            ids: source.old_instances.clone(),
        });
        kept.push(
            "EBS volumes the old instances attach with DeleteOnTermination off: they become \
             available and are not deleted (nothing ties them to this migration)"
                .to_string(),
        );
    }

    let old = &source.load_balancer;
    if new_load_balancer
        .as_ref()
        .is_some_and(|lb| lb.arn == old.arn)
    {
        return Err(StepError::precondition(format!(
            "the recorded old load balancer {} is the new one; the state is inconsistent",
            old.arn
        )));
    }
    // The `listener` strategy left the old load balancer forwarding to the bridge target group
    // (the new tasks): requests through it since the drain are clients that still resolve the
    // old name (a JVM's endless DNS cache), so the bridge is counted with the old groups.
    let bridge: Option<BridgeTargetGroupCreated> = read(state, BridgeTargetGroupCreated::STEP)?;
    let mut recorded_target_groups = source.target_groups.clone();
    recorded_target_groups.extend(bridge.iter().map(|b| b.arn.clone()));
    deletions.push(Deletion::LoadBalancer {
        arn: old.arn.clone(),
        name: old.name.clone(),
        recorded_target_groups,
        traffic_since,
        noise_threshold: playbook.drain.noise_threshold,
        noise_window_secs: playbook.drain.zero_traffic_window.as_secs(),
    });
    if let Some(bridge) = bridge {
        deletions.push(bridge_attachment(state, bridge.arn.clone())?);
        deletions.push(Deletion::TargetGroup { arn: bridge.arn });
    }
    deletions.extend(
        source
            .target_groups
            .iter()
            .map(|arn| Deletion::TargetGroup { arn: arn.clone() }),
    );
    deletions.extend(rules);
    deletions.extend(
        old_groups
            .into_iter()
            .map(|id| Deletion::SecurityGroup { id }),
    );
    deletions.extend(ecr_repository(state, traffic_since)?);
    Ok(CleanupPlan { deletions, kept })
}

/// The web service's registration in the bridge target group, taken out once the old load
/// balancer is gone.
fn bridge_attachment(state: &State, target_group_arn: String) -> Result<Deletion, StepError> {
    let names = &state.plan.names;
    let web = state
        .plan
        .playbook
        .target
        .services
        .iter()
        .find(|s| s.web.is_some())
        .ok_or_else(|| {
            StepError::precondition(
                "the migration recorded a bridge target group but the playbook has no web \
                 service; the state is inconsistent",
            )
        })?;
    let service = crate::steps::names::service(names, &web.name)?.to_string();
    Ok(Deletion::BridgeAttachment {
        cluster: names.cluster.clone(),
        service,
        target_group_arn,
    })
}

/// The repository the playbook names, last: nothing depends on it. One the new task
/// definitions pull from is refused, since deleting it would stop the new side's next task.
fn ecr_repository(
    state: &State,
    pulls_since: DateTime<Utc>,
) -> Result<Option<Deletion>, StepError> {
    let Some(name) = &state.plan.playbook.cleanup.ecr_repository else {
        return Ok(None);
    };
    for step in &state.plan.steps {
        let migrate_plan::Action::RegisterTaskDefinition { definition, .. } = &step.action else {
            continue;
        };
        let images = definition["containerDefinitions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["image"].as_str());
        for image in images {
            if image_in_repository(image, name) {
                return Err(StepError::precondition(format!(
                    "cleanup.ecr_repository {name} holds {image}, which the new task \
                     definition of {} runs; it is not the old side's to delete",
                    step.id
                )));
            }
        }
    }
    Ok(Some(Deletion::EcrRepository {
        name: name.clone(),
        pulls_since,
    }))
}

/// Whether `image` (`REGISTRY/REPOSITORY[:TAG|@DIGEST]`) is in the ECR repository `name`.
fn image_in_repository(image: &str, name: &str) -> bool {
    let Some((registry, rest)) = image.split_once('/') else {
        return false;
    };
    if !registry.contains(".dkr.ecr.") {
        return false;
    }
    let without_digest = rest.split('@').next().unwrap_or(rest);
    let repository = without_digest
        .rsplit_once(':')
        .map_or(without_digest, |(r, _)| r);
    repository == name
}

/// The old side's CloudWatch alarms, deleted first: a metric alarm on the old Auto Scaling group,
/// load balancer, target groups, ECS services or Beanstalk environment, found by its dimensions
/// (`DescribeAlarms`), never by its name. Alarms a target tracking policy made go with their
/// policy, Elastic Beanstalk's (`awseb-*`) with the environment, and the migration's own stay.
async fn old_alarms(
    cloud: &Cloud,
    state: &State,
    source: &SourceDiscovered,
    kept: &mut Vec<String>,
) -> Result<Vec<Deletion>, StepError> {
    let playbook = &state.plan.playbook;
    let pair = |name: &str, value: &str| (name.to_string(), value.to_string());
    let mut signatures = vec![vec![pair(
        "LoadBalancer",
        &load_balancer_dimension(&source.load_balancer.arn),
    )]];
    signatures.extend(
        source
            .target_groups
            .iter()
            .map(|tg| vec![pair("TargetGroup", &target_group_dimension(tg))]),
    );
    if let Some(group) = &source.auto_scaling_group {
        signatures.push(vec![pair("AutoScalingGroupName", &group.name)]);
    }
    signatures.extend(
        source
            .old_instances
            .iter()
            .map(|id| vec![pair("InstanceId", id)]),
    );
    if let Some(cluster) = &playbook.source.ecs_cluster {
        signatures.extend(source.old_services.iter().map(|service| {
            vec![
                pair("ClusterName", cluster),
                pair("ServiceName", &service.name),
            ]
        }));
    }
    if let Some(environment) = &playbook.source.beanstalk_environment {
        signatures.push(vec![pair("EnvironmentName", environment)]);
    }
    let own_prefix = &state.plan.names.alarm_prefix;
    let mut owned_elsewhere = Vec::new();
    let mut deletions = Vec::new();
    for alarm in cloud.metrics.metric_alarms().await? {
        if !alarm.watches_any(&signatures) || alarm.name.starts_with(own_prefix.as_str()) {
            continue;
        }
        if alarm.owned_by_a_scaling_policy() || alarm.name.starts_with("awseb-") {
            owned_elsewhere.push(alarm.name);
        } else {
            deletions.push(Deletion::Alarm { name: alarm.name });
        }
    }
    if !owned_elsewhere.is_empty() {
        owned_elsewhere.sort();
        kept.push(format!(
            "alarms a scaling policy or Elastic Beanstalk made ({}): they go with what made them",
            owned_elsewhere.join(", ")
        ));
    }
    Ok(deletions)
}

#[cfg(test)]
mod tests {
    use super::image_in_repository;

    #[test]
    fn an_image_is_in_its_repository_whatever_its_tag_or_digest() {
        let registry = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com";
        assert!(image_in_repository(
            &format!("{registry}/shop/web:v41"),
            "shop/web"
        ));
        assert!(image_in_repository(
            &format!("{registry}/shop/web@sha256:ab12"),
            "shop/web"
        ));
        assert!(image_in_repository(
            &format!("{registry}/shop/web"),
            "shop/web"
        ));
        assert!(!image_in_repository(
            &format!("{registry}/shop/web-v2:1"),
            "shop/web"
        ));
        assert!(!image_in_repository("docker.io/shop/web:1", "shop/web"));
        assert!(!image_in_repository("nginx:1.27", "nginx"));
    }
}
