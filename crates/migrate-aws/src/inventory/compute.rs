//! Auto Scaling groups (with their scaling policies and scheduled actions), EC2 instances, and
//! the security groups whose inbound rules say which data store admits whom.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::Filter;
use migrate_inventory::{AutoScalingGroup, GroupIngress, Instance, SecurityGroup, UnreadPart};

use super::{unread, Clients, PartRead};

pub(super) async fn auto_scaling_groups(
    clients: &Clients,
) -> Result<PartRead<Vec<AutoScalingGroup>>, UnreadPart> {
    let mut groups = Vec::new();
    let mut token = None;
    loop {
        let page = clients
            .autoscaling
            .describe_auto_scaling_groups()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| unread("autoscaling:DescribeAutoScalingGroups", &e))?;
        for group in page.auto_scaling_groups() {
            let mut instance_types: Vec<String> = group
                .instances()
                .iter()
                .filter_map(|i| i.instance_type().map(str::to_string))
                .collect();
            instance_types.sort();
            instance_types.dedup();
            groups.push(AutoScalingGroup {
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
            });
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    // Policies and scheduled actions of every group come in two paginated lists rather than a
    // request per group. Either one missing leaves the groups usable.
    let mut missing = Vec::new();
    let (policies, scheduled) = tokio::join!(policies(clients), scheduled_actions(clients));
    for (by_group, attach) in [(policies, 0), (scheduled, 1)] {
        match by_group {
            Ok(by_group) => {
                for group in &mut groups {
                    let names = by_group.get(&group.name).cloned().unwrap_or_default();
                    if attach == 0 {
                        group.scaling_policies = names;
                    } else {
                        group.scheduled_actions = names;
                    }
                }
            }
            Err(part) => missing.push(part),
        }
    }
    Ok(PartRead {
        value: groups,
        unread: missing,
    })
}

async fn policies(clients: &Clients) -> Result<BTreeMap<String, Vec<String>>, UnreadPart> {
    let mut by_group: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut token = None;
    loop {
        let page = clients
            .autoscaling
            .describe_policies()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| unread("autoscaling:DescribePolicies", &e))?;
        for policy in page.scaling_policies() {
            if let (Some(group), Some(name)) =
                (policy.auto_scaling_group_name(), policy.policy_name())
            {
                by_group
                    .entry(group.to_string())
                    .or_default()
                    .push(name.to_string());
            }
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(by_group);
        }
    }
}

async fn scheduled_actions(clients: &Clients) -> Result<BTreeMap<String, Vec<String>>, UnreadPart> {
    let mut by_group: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut token = None;
    loop {
        let page = clients
            .autoscaling
            .describe_scheduled_actions()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| unread("autoscaling:DescribeScheduledActions", &e))?;
        for action in page.scheduled_update_group_actions() {
            if let (Some(group), Some(name)) = (
                action.auto_scaling_group_name(),
                action.scheduled_action_name(),
            ) {
                by_group
                    .entry(group.to_string())
                    .or_default()
                    .push(name.to_string());
            }
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(by_group);
        }
    }
}

pub(super) async fn instances(clients: &Clients) -> Result<PartRead<Vec<Instance>>, UnreadPart> {
    let mut found = Vec::new();
    let mut token = None;
    // Terminated instances linger in the answers for an hour and serve nothing.
    let alive = Filter::builder()
        .name("instance-state-name")
        .values("pending")
        .values("running")
        .values("stopping")
        .values("stopped")
        .build();
    loop {
        let page = clients
            .ec2
            .describe_instances()
            .filters(alive.clone())
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| unread("ec2:DescribeInstances", &e))?;
        for reservation in page.reservations() {
            for instance in reservation.instances() {
                let tag = |key: &str| {
                    instance
                        .tags()
                        .iter()
                        .find(|t| t.key() == Some(key))
                        .and_then(|t| t.value())
                        .map(str::to_string)
                };
                found.push(Instance {
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
                });
            }
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(PartRead::whole(found));
        }
    }
}

pub(super) async fn security_groups(
    clients: &Clients,
) -> Result<PartRead<Vec<SecurityGroup>>, UnreadPart> {
    let mut found = Vec::new();
    let mut token = None;
    loop {
        let page = clients
            .ec2
            .describe_security_groups()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| unread("ec2:DescribeSecurityGroups", &e))?;
        for group in page.security_groups() {
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
            found.push(SecurityGroup {
                id: group.group_id().unwrap_or_default().to_string(),
                name: group.group_name().unwrap_or_default().to_string(),
                vpc_id: group.vpc_id().map(str::to_string),
                ingress_from_groups,
            });
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(PartRead::whole(found));
        }
    }
}

fn count(value: Option<i32>) -> u32 {
    value.and_then(|v| u32::try_from(v).ok()).unwrap_or(0)
}

/// A rule's port; `-1` (all traffic) has none.
fn port(value: Option<i32>) -> Option<u16> {
    value.and_then(|v| u16::try_from(v).ok())
}
