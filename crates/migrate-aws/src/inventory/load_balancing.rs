//! Load balancers with their listeners and rules, and target groups with their targets.

use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, RuleCondition};
use migrate_inventory::{
    HealthCheck, Listener, ListenerRule, LoadBalancer, Target, TargetGroup, UnreadPart,
};

use super::{fan_out, unread, Clients, PartRead};

pub(super) async fn read(
    clients: &Clients,
) -> Result<PartRead<(Vec<LoadBalancer>, Vec<TargetGroup>)>, UnreadPart> {
    let (balancers, target_groups) = tokio::join!(load_balancers(clients), target_groups(clients));
    Ok(PartRead::whole((balancers?, target_groups?)))
}

async fn load_balancers(clients: &Clients) -> Result<Vec<LoadBalancer>, UnreadPart> {
    let mut found = Vec::new();
    let mut marker = None;
    loop {
        let page = clients
            .elb
            .describe_load_balancers()
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| unread("elasticloadbalancing:DescribeLoadBalancers", &e))?;
        for lb in page.load_balancers() {
            found.push(LoadBalancer {
                arn: lb.load_balancer_arn().unwrap_or_default().to_string(),
                name: lb.load_balancer_name().unwrap_or_default().to_string(),
                dns_name: lb.dns_name().unwrap_or_default().to_string(),
                kind: lb
                    .r#type()
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_default(),
                scheme: lb
                    .scheme()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                ip_address_type: lb
                    .ip_address_type()
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_default(),
                vpc_id: lb.vpc_id().unwrap_or_default().to_string(),
                subnets: lb
                    .availability_zones()
                    .iter()
                    .filter_map(|zone| zone.subnet_id().map(str::to_string))
                    .collect(),
                security_groups: lb.security_groups().to_vec(),
                listeners: Vec::new(),
            });
        }
        marker = page.next_marker().map(str::to_string);
        if marker.is_none() {
            break;
        }
    }
    // Listeners and rules matter only for application load balancers (the entry points).
    fan_out(found, |mut lb| async move {
        if lb.kind == "application" {
            lb.listeners = listeners(clients, &lb.arn).await?;
        }
        Ok(lb)
    })
    .await
}

async fn listeners(clients: &Clients, lb_arn: &str) -> Result<Vec<Listener>, UnreadPart> {
    let mut raw = Vec::new();
    let mut marker = None;
    loop {
        let page = clients
            .elb
            .describe_listeners()
            .load_balancer_arn(lb_arn)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| unread("elasticloadbalancing:DescribeListeners", &e))?;
        raw.extend(page.listeners().iter().cloned());
        marker = page.next_marker().map(str::to_string);
        if marker.is_none() {
            break;
        }
    }
    let mut listeners = Vec::new();
    for listener in raw {
        let arn = listener.listener_arn().unwrap_or_default().to_string();
        let mut rules = Vec::new();
        let mut marker = None;
        loop {
            let page = clients
                .elb
                .describe_rules()
                .listener_arn(&arn)
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| unread("elasticloadbalancing:DescribeRules", &e))?;
            for rule in page.rules() {
                // The default rule repeats the listener's default action.
                if rule.is_default() == Some(true) {
                    continue;
                }
                rules.push(ListenerRule {
                    priority: rule.priority().unwrap_or_default().to_string(),
                    conditions: rule.conditions().iter().map(condition_words).collect(),
                    target_groups: forwards_to(rule.actions()),
                });
            }
            marker = page.next_marker().map(str::to_string);
            if marker.is_none() {
                break;
            }
        }
        listeners.push(Listener {
            arn,
            port: listener
                .port()
                .and_then(|p| u16::try_from(p).ok())
                .unwrap_or(0),
            protocol: listener
                .protocol()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default(),
            default_target_groups: forwards_to(listener.default_actions()),
            redirects: listener
                .default_actions()
                .iter()
                .any(|a| a.r#type() == Some(&ActionTypeEnum::Redirect)),
            rules,
        });
    }
    Ok(listeners)
}

/// The target groups a list of actions forwards to (a plain forward or a weighted one).
fn forwards_to(actions: &[Action]) -> Vec<String> {
    let mut arns: Vec<String> = actions
        .iter()
        .flat_map(|action| {
            action
                .target_group_arn()
                .map(str::to_string)
                .into_iter()
                .chain(action.forward_config().into_iter().flat_map(|config| {
                    config
                        .target_groups()
                        .iter()
                        .filter_map(|tuple| tuple.target_group_arn().map(str::to_string))
                }))
        })
        .collect();
    arns.sort();
    arns.dedup();
    arns
}

fn condition_words(condition: &RuleCondition) -> String {
    let field = condition.field().unwrap_or("condition");
    let mut values: Vec<&str> = condition.values().iter().map(String::as_str).collect();
    if let Some(host) = condition.host_header_config() {
        values.extend(host.values().iter().map(String::as_str));
    }
    if let Some(path) = condition.path_pattern_config() {
        values.extend(path.values().iter().map(String::as_str));
    }
    values.dedup();
    format!("{field} {}", values.join(","))
}

async fn target_groups(clients: &Clients) -> Result<Vec<TargetGroup>, UnreadPart> {
    let mut found = Vec::new();
    let mut marker = None;
    loop {
        let page = clients
            .elb
            .describe_target_groups()
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| unread("elasticloadbalancing:DescribeTargetGroups", &e))?;
        for tg in page.target_groups() {
            found.push(TargetGroup {
                arn: tg.target_group_arn().unwrap_or_default().to_string(),
                name: tg.target_group_name().unwrap_or_default().to_string(),
                port: tg.port().and_then(|p| u16::try_from(p).ok()),
                protocol: tg.protocol().map(|p| p.as_str().to_string()),
                target_type: tg
                    .target_type()
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_else(|| "instance".to_string()),
                vpc_id: tg.vpc_id().map(str::to_string),
                load_balancers: tg.load_balancer_arns().to_vec(),
                health_check: HealthCheck {
                    path: tg.health_check_path().map(str::to_string),
                    matcher: tg.matcher().and_then(|m| m.http_code()).map(str::to_string),
                    interval_seconds: seconds(tg.health_check_interval_seconds()),
                    timeout_seconds: seconds(tg.health_check_timeout_seconds()),
                    healthy_threshold: seconds(tg.healthy_threshold_count()),
                    unhealthy_threshold: seconds(tg.unhealthy_threshold_count()),
                },
                targets: Vec::new(),
            });
        }
        marker = page.next_marker().map(str::to_string);
        if marker.is_none() {
            break;
        }
    }
    fan_out(found, |mut tg| async move {
        // A target group no load balancer uses has no health to read (and is not an entry).
        if tg.load_balancers.is_empty() {
            return Ok(tg);
        }
        let health = clients
            .elb
            .describe_target_health()
            .target_group_arn(&tg.arn)
            .send()
            .await
            .map_err(|e| unread("elasticloadbalancing:DescribeTargetHealth", &e))?;
        tg.targets = health
            .target_health_descriptions()
            .iter()
            .filter_map(|description| {
                let target = description.target()?;
                Some(Target {
                    id: target.id().unwrap_or_default().to_string(),
                    port: target.port().and_then(|p| u16::try_from(p).ok()),
                    health: description
                        .target_health()
                        .and_then(|h| h.state())
                        .map(|s| s.as_str().to_string()),
                })
            })
            .collect();
        Ok(tg)
    })
    .await
}

fn seconds(value: Option<i32>) -> Option<u32> {
    value.and_then(|v| u32::try_from(v).ok())
}
