//! Auto Scaling groups (with their scaling policies and scheduled actions), EC2 instances, and
//! the security groups whose inbound rules say which data store admits whom.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::Filter;
use migrate_inventory::{AutoScalingGroup, GroupIngress, Instance, SecurityGroup, UnreadPart};

use super::{all_pages, unread, Clients, PartRead};

pub(super) async fn auto_scaling_groups(
    clients: &Clients,
) -> Result<PartRead<Vec<AutoScalingGroup>>, UnreadPart> {
    let mut groups = all_pages(|token| async move {
        let page = clients
            .autoscaling
            .describe_auto_scaling_groups()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| unread("autoscaling:DescribeAutoScalingGroups", &e))?;
        let groups = page.auto_scaling_groups().iter().map(group).collect();
        Ok((groups, page.next_token().map(str::to_string)))
    })
    .await?;
    // Policies and scheduled actions of every group come in two paginated lists rather than a
    // request per group. Either one missing leaves the groups usable.
    let mut missing = Vec::new();
    let (policies, scheduled) = tokio::join!(
        all_pages(|token| async move {
            let page = clients
                .autoscaling
                .describe_policies()
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| unread("autoscaling:DescribePolicies", &e))?;
            let named = page
                .scaling_policies()
                .iter()
                .filter_map(|p| Some((p.auto_scaling_group_name()?, p.policy_name()?)))
                .map(|(group, name)| (group.to_string(), name.to_string()))
                .collect();
            Ok((named, page.next_token().map(str::to_string)))
        }),
        all_pages(|token| async move {
            let page = clients
                .autoscaling
                .describe_scheduled_actions()
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| unread("autoscaling:DescribeScheduledActions", &e))?;
            let named = page
                .scheduled_update_group_actions()
                .iter()
                .filter_map(|a| Some((a.auto_scaling_group_name()?, a.scheduled_action_name()?)))
                .map(|(group, name)| (group.to_string(), name.to_string()))
                .collect();
            Ok((named, page.next_token().map(str::to_string)))
        })
    );
    match policies {
        Ok(named) => {
            let by_group = by_group(named);
            for group in &mut groups {
                group.scaling_policies = by_group.get(&group.name).cloned().unwrap_or_default();
            }
        }
        Err(part) => missing.push(part),
    }
    match scheduled {
        Ok(named) => {
            let by_group = by_group(named);
            for group in &mut groups {
                group.scheduled_actions = by_group.get(&group.name).cloned().unwrap_or_default();
            }
        }
        Err(part) => missing.push(part),
    }
    Ok(PartRead {
        value: groups,
        unread: missing,
    })
}

fn by_group(named: Vec<(String, String)>) -> BTreeMap<String, Vec<String>> {
    let mut by_group: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (group, name) in named {
        by_group.entry(group).or_default().push(name);
    }
    by_group
}

fn group(group: &aws_sdk_autoscaling::types::AutoScalingGroup) -> AutoScalingGroup {
    let mut instance_types: Vec<String> = group
        .instances()
        .iter()
        .filter_map(|i| i.instance_type().map(str::to_string))
        .collect();
    instance_types.sort();
    instance_types.dedup();
    AutoScalingGroup {
        name: group
            .auto_scaling_group_name()
            .unwrap_or_default()
            .to_string(),
        min_size: count(group.min_size()),
        max_size: count(group.max_size()),
        desired_capacity: count(group.desired_capacity()),
        instances: group
            .instances()
            .iter()
            .filter_map(|i| i.instance_id().map(str::to_string))
            .collect(),
        instance_types,
        launch_template: group
            .launch_template()
            .and_then(|t| t.launch_template_name().or(t.launch_template_id()))
            .or(group.launch_configuration_name())
            .map(str::to_string),
        target_groups: group.target_group_arns().to_vec(),
        subnets: group
            .vpc_zone_identifier()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        tags: group
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect(),
        scaling_policies: Vec::new(),
        scheduled_actions: Vec::new(),
    }
}

pub(super) async fn instances(clients: &Clients) -> Result<PartRead<Vec<Instance>>, UnreadPart> {
    // Terminated instances linger in the answers for an hour and serve nothing.
    let alive = Filter::builder()
        .name("instance-state-name")
        .values("pending")
        .values("running")
        .values("stopping")
        .values("stopped")
        .build();
    let found = all_pages(|token| {
        let alive = alive.clone();
        async move {
            let page = clients
                .ec2
                .describe_instances()
                .filters(alive)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| unread("ec2:DescribeInstances", &e))?;
            let instances = page
                .reservations()
                .iter()
                .flat_map(|r| r.instances())
                .map(instance)
                .collect();
            Ok((instances, page.next_token().map(str::to_string)))
        }
    })
    .await?;
    Ok(PartRead::whole(found))
}

fn instance(instance: &aws_sdk_ec2::types::Instance) -> Instance {
    let tag = |key: &str| {
        instance
            .tags()
            .iter()
            .find(|t| t.key() == Some(key))
            .and_then(|t| t.value())
            .map(str::to_string)
    };
    Instance {
        id: instance.instance_id().unwrap_or_default().to_string(),
        instance_type: instance.instance_type().map(|t| t.as_str().to_string()),
        state: instance
            .state()
            .and_then(|s| s.name())
            .map(|n| n.as_str().to_string()),
        vpc_id: instance.vpc_id().map(str::to_string),
        subnet_id: instance.subnet_id().map(str::to_string),
        security_groups: instance
            .security_groups()
            .iter()
            .filter_map(|g| g.group_id().map(str::to_string))
            .collect(),
        auto_scaling_group: tag("aws:autoscaling:groupName"),
        name: tag("Name"),
    }
}

pub(super) async fn security_groups(
    clients: &Clients,
) -> Result<PartRead<Vec<SecurityGroup>>, UnreadPart> {
    let found = all_pages(|token| async move {
        let page = clients
            .ec2
            .describe_security_groups()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| unread("ec2:DescribeSecurityGroups", &e))?;
        let groups = page.security_groups().iter().map(security_group).collect();
        Ok((groups, page.next_token().map(str::to_string)))
    })
    .await?;
    Ok(PartRead::whole(found))
}

fn security_group(group: &aws_sdk_ec2::types::SecurityGroup) -> SecurityGroup {
    let ingress_from_groups = group
        .ip_permissions()
        .iter()
        .flat_map(|permission| {
            let from_port = port(permission.from_port());
            let to_port = port(permission.to_port());
            permission
                .user_id_group_pairs()
                .iter()
                .filter_map(move |pair| {
                    Some(GroupIngress {
                        from_group: pair.group_id()?.to_string(),
                        from_port,
                        to_port,
                    })
                })
        })
        .collect();
    SecurityGroup {
        id: group.group_id().unwrap_or_default().to_string(),
        name: group.group_name().unwrap_or_default().to_string(),
        vpc_id: group.vpc_id().map(str::to_string),
        ingress_from_groups,
    }
}

fn count(value: Option<i32>) -> u32 {
    value.and_then(|v| u32::try_from(v).ok()).unwrap_or(0)
}

/// A rule's port; `-1` (all traffic) has none.
fn port(value: Option<i32>) -> Option<u16> {
    value.and_then(|v| u16::try_from(v).ok())
}
