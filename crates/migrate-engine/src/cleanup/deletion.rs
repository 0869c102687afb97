//! One deletion of the old side: what it deletes (by the ids the migration recorded or
//! read-only discovery found), the check that nothing else uses it, and the delete itself.
//!
//! Every deletion is idempotent: a resource that is already gone is done ("already gone"), so a
//! clean-up resumed after a crash simply runs the interrupted deletion again. A resource that is
//! still in use stops the clean-up with the reason; nothing is forced.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::StepError;
use crate::ports::{
    load_balancer_dimension, target_group_dimension, Cloud, CloudError, IngressRule, Instance,
    InstanceState, MetricQuery, TargetGroup,
};

/// A resource of the old side that clean-up deletes, with the ids it is found by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Deletion {
    /// An old ECS service, scaled to zero by `apply`.
    EcsService {
        cluster: String,
        name: String,
    },
    /// An old service's task definition revision: deregistered (it becomes `INACTIVE`), never
    /// deleted, since the migration does not own the family.
    TaskDefinition {
        arn: String,
    },
    /// The old Auto Scaling group, scaled to zero by `apply`.
    AutoScalingGroup {
        name: String,
    },
    LaunchTemplate {
        id: String,
        name: String,
    },
    /// The plain instances of an `ec2` source, stopped by `apply`: terminated together, and
    /// waited for, since their security groups can go only once their interfaces are gone.
    Instances {
        ids: Vec<String>,
    },
    /// A volume left `available` by the group's terminated instances.
    Volume {
        id: String,
    },
    /// The old load balancer; it is in use when a listener forwards to a target group the
    /// migration did not record, or when it served requests after the drain.
    /// A CloudWatch alarm on the old side's resources.
    Alarm {
        name: String,
    },
    LoadBalancer {
        arn: String,
        name: String,
        recorded_target_groups: Vec<String>,
        traffic_since: DateTime<Utc>,
        /// The playbook's `drain.noise_threshold` and `drain.zero_traffic_window`: each recorded
        /// target group may serve that many requests per window since the drain and still
        /// count as unused (health checkers, monitors). Clean-up plans written before these
        /// fields read as no tolerance.
        #[serde(default)]
        noise_threshold: u64,
        #[serde(default)]
        noise_window_secs: u64,
    },
    TargetGroup {
        arn: String,
    },
    /// The `listener` strategy's bridge target group, still a target group of the new web
    /// service once the old load balancer that forwarded to it is gone: taken out of the
    /// service's load balancers before the group is deleted, since ELB deletes a group an ECS
    /// service still registers in and the service's next task would then fail to register.
    BridgeAttachment {
        cluster: String,
        service: String,
        target_group_arn: String,
    },
    /// A data store's inbound rule that admitted the old side.
    IngressRule {
        store: String,
        rule: IngressRule,
    },
    /// A security group of the old side; deleted only when nothing else uses it.
    SecurityGroup {
        id: String,
    },
    /// The Beanstalk environment, terminated with everything Beanstalk made for it.
    /// The old side's ECR repository, named in the playbook.
    EcrRepository {
        name: String,
        /// An image pulled after this (the drain) means someone still runs the old image.
        pulls_since: DateTime<Utc>,
    },
    BeanstalkEnvironment {
        id: String,
        name: String,
    },
}

/// What a deletion found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    Deleted,
    AlreadyGone,
}

impl Deleted {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deleted => "deleted",
            Self::AlreadyGone => "already gone",
        }
    }
}

/// `Ok(AlreadyGone)` for "not found", the error otherwise.
fn gone_if_absent(result: Result<(), CloudError>) -> Result<Deleted, StepError> {
    match result {
        Ok(()) => Ok(Deleted::Deleted),
        Err(e) if e.is_not_found() => Ok(Deleted::AlreadyGone),
        Err(e) => Err(e.into()),
    }
}

fn in_use(what: &str, reason: impl std::fmt::Display) -> StepError {
    StepError::precondition(format!(
        "{what} is still in use: {reason}; nothing was deleted"
    ))
}

/// The name inside a target group ARN (`…:targetgroup/NAME/ID`).
fn target_group_name(arn: &str) -> Option<&str> {
    arn.split_once(":targetgroup/")
        .and_then(|(_, rest)| rest.split('/').next())
}

impl Deletion {
    /// The id of its record in the journal, e.g. `delete-auto-scaling-group:shop-asg`.
    pub fn id(&self) -> String {
        match self {
            Self::Alarm { name } => format!("delete-alarm:{name}"),
            Self::EcsService { name, .. } => format!("delete-ecs-service:{name}"),
            Self::TaskDefinition { arn } => format!(
                "deregister-task-definition:{}",
                arn.rsplit_once('/').map_or(arn.as_str(), |(_, rest)| rest)
            ),
            Self::AutoScalingGroup { name } => format!("delete-auto-scaling-group:{name}"),
            Self::LaunchTemplate { id, .. } => format!("delete-launch-template:{id}"),
            Self::Instances { .. } => "terminate-old-instances".to_string(),
            Self::Volume { id } => format!("delete-volume:{id}"),
            Self::LoadBalancer { name, .. } => format!("delete-load-balancer:{name}"),
            Self::TargetGroup { arn } => format!(
                "delete-target-group:{}",
                target_group_name(arn).unwrap_or(arn)
            ),
            Self::BridgeAttachment { service, .. } => {
                format!("detach-bridge-target-group:{service}")
            }
            Self::IngressRule { store, rule } => {
                format!("revoke-ingress:{store}:{}", rule.source_group_id)
            }
            Self::SecurityGroup { id } => format!("delete-security-group:{id}"),
            Self::BeanstalkEnvironment { name, .. } => format!("terminate-environment:{name}"),
            Self::EcrRepository { name, .. } => format!("delete-ecr-repository:{name}"),
        }
    }

    /// The resource in words, with its id, as `--plan` shows it.
    pub fn summary(&self) -> String {
        match self {
            Self::Alarm { name } => format!("delete CloudWatch alarm {name}"),
            Self::EcsService { cluster, name } => {
                format!("delete ECS service {name} in cluster {cluster}")
            }
            Self::TaskDefinition { arn } => format!("deregister task definition {arn}"),
            Self::AutoScalingGroup { name } => format!("delete Auto Scaling group {name}"),
            Self::LaunchTemplate { id, name } => format!("delete launch template {name} ({id})"),
            Self::Instances { ids } => format!(
                "terminate the stopped old instances {} (their delete-on-termination volumes go \
                 with them)",
                ids.join(", ")
            ),
            Self::Volume { id } => format!("delete EBS volume {id} (available)"),
            Self::LoadBalancer { arn, .. } => format!("delete load balancer {arn}"),
            Self::TargetGroup { arn } => format!("delete target group {arn}"),
            Self::BridgeAttachment {
                cluster,
                service,
                target_group_arn,
            } => format!(
                "take target group {target_group_arn} out of ECS service {service} in cluster \
                 {cluster} (a rolling update: each task is replaced by one registered only in \
                 the new load balancer's group, healthy before the old one stops)"
            ),
            Self::IngressRule { store, rule } => format!(
                "revoke the inbound rule of {store} ({}) that admits {} on port {}",
                rule.group_id, rule.source_group_id, rule.port
            ),
            Self::SecurityGroup { id } => format!("delete security group {id}"),
            Self::BeanstalkEnvironment { id, name } => {
                format!("terminate Elastic Beanstalk environment {name} ({id})")
            }
            Self::EcrRepository { name, .. } => {
                format!("delete ECR repository {name} with its images")
            }
        }
    }

    /// Checks that nothing else uses the resource, then deletes it. Safe to run again.
    pub async fn run(&self, cloud: &Cloud) -> Result<Deleted, StepError> {
        match self {
            // An alarm watches; nothing depends on it.
            Self::Alarm { name } => gone_if_absent(cloud.metrics.delete_alarm(name).await),
            Self::EcsService { cluster, name } => {
                let Some(service) = cloud.containers.find_service(cluster, name).await? else {
                    return Ok(Deleted::AlreadyGone);
                };
                // DRAINING: a delete was accepted already and ECS is finishing it.
                if service.status != "ACTIVE" {
                    return Ok(Deleted::AlreadyGone);
                }
                if service.desired_count > 0 || service.running_count > 0 {
                    return Err(in_use(
                        &format!("ECS service {name}"),
                        format_args!(
                            "it wants {} task(s) and runs {}, but the migration scaled it to 0",
                            service.desired_count, service.running_count
                        ),
                    ));
                }
                gone_if_absent(cloud.containers.delete_service(cluster, name).await)
            }
            Self::TaskDefinition { arn } => {
                gone_if_absent(cloud.containers.deregister_task_definition(arn).await)
            }
            Self::AutoScalingGroup { name } => {
                let Some(group) = cloud.scaling.find_group(name).await? else {
                    return Ok(Deleted::AlreadyGone);
                };
                if group.in_service > 0 || group.capacity.desired > 0 {
                    return Err(in_use(
                        &format!("Auto Scaling group {name}"),
                        format_args!(
                            "it has {} instance(s) in service and wants {}, but the migration \
                             scaled it to 0",
                            group.in_service, group.capacity.desired
                        ),
                    ));
                }
                gone_if_absent(cloud.decommission.delete_auto_scaling_group(name).await)
            }
            Self::LaunchTemplate { id, .. } => {
                gone_if_absent(cloud.decommission.delete_launch_template(id).await)
            }
            Self::Instances { ids } => terminate_instances(cloud, ids).await,
            Self::Volume { id } => {
                let Some(volume) = cloud.decommission.find_volume(id).await? else {
                    return Ok(Deleted::AlreadyGone);
                };
                if volume.state != "available" {
                    return Err(in_use(
                        &format!("EBS volume {id}"),
                        format_args!("it is {} (it was available when shown)", volume.state),
                    ));
                }
                gone_if_absent(cloud.decommission.delete_volume(id).await)
            }
            Self::LoadBalancer {
                arn,
                name,
                recorded_target_groups,
                traffic_since,
                noise_threshold,
                noise_window_secs,
            } => {
                if cloud
                    .load_balancing
                    .load_balancer_by_arn(arn)
                    .await?
                    .is_none()
                {
                    return Ok(Deleted::AlreadyGone);
                }
                let forwards = cloud.load_balancing.target_groups_of(arn).await?;
                if let Some(other) = forwards
                    .iter()
                    .find(|tg| !recorded_target_groups.contains(&tg.arn))
                {
                    return Err(in_use(
                        &format!("load balancer {name}"),
                        format_args!(
                            "it forwards to target group {}, which the migration did not \
                             record",
                            other.arn
                        ),
                    ));
                }
                // Requests that reached the old target groups since the drain are clients that
                // still use the old side. They are counted per target group, as the drain
                // counts them: the load balancer's own `RequestCount` also counts what it
                // answers itself (scanners of its public name, redirects), which never stops
                // (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html>).
                // A drain recorded as later than now (another host's clock ahead of this
                // one's) leaves no window to ask about, and CloudWatch refuses an empty one.
                let now = cloud.clock.now();
                if *traffic_since < now {
                    let elapsed = u64::try_from((now - *traffic_since).num_seconds()).unwrap_or(0);
                    let windows = elapsed.div_ceil((*noise_window_secs).max(1));
                    let allowed = noise_threshold.saturating_mul(windows) as f64;
                    for tg in recorded_target_groups {
                        let requests = cloud
                            .metrics
                            .sum(&MetricQuery {
                                namespace: "AWS/ApplicationELB".into(),
                                metric_name: "RequestCount".into(),
                                dimensions: vec![
                                    ("LoadBalancer".into(), load_balancer_dimension(arn)),
                                    ("TargetGroup".into(), target_group_dimension(tg)),
                                ],
                                start: *traffic_since,
                                end: now,
                                period_secs: 3600,
                            })
                            .await?;
                        if requests > allowed {
                            return Err(in_use(
                                &format!("load balancer {name}"),
                                format_args!(
                                    "its target group {} served {requests} request(s) since \
                                     {traffic_since}, after the drain (at most {allowed} \
                                     allowed as noise); find who still calls it",
                                    target_group_dimension(tg)
                                ),
                            ));
                        }
                    }
                }
                gone_if_absent(cloud.load_balancing.delete_load_balancer(arn).await)
            }
            Self::TargetGroup { arn } => {
                let Some(name) = target_group_name(arn) else {
                    return Err(StepError::precondition(format!(
                        "{arn} is not a target group ARN; the state is inconsistent"
                    )));
                };
                let found = cloud.load_balancing.find_target_group(name).await?;
                let Some(group) = found.filter(|g| g.arn == *arn) else {
                    return Ok(Deleted::AlreadyGone);
                };
                if let Some(lb) = live_load_balancer_of(cloud, &group).await? {
                    return Err(in_use(
                        &format!("target group {name}"),
                        format_args!("load balancer {lb} forwards to it"),
                    ));
                }
                gone_if_absent(cloud.load_balancing.delete_target_group(arn).await)
            }
            Self::BridgeAttachment {
                cluster,
                service,
                target_group_arn,
            } => detach_bridge(cloud, cluster, service, target_group_arn).await,
            Self::IngressRule { rule, .. } => {
                gone_if_absent(cloud.network.revoke_ingress(rule).await)
            }
            Self::SecurityGroup { id } => {
                let users = match cloud.decommission.security_group_users(id).await {
                    Ok(users) => users,
                    Err(e) if e.is_not_found() => return Ok(Deleted::AlreadyGone),
                    Err(e) => return Err(e.into()),
                };
                if !users.is_empty() {
                    let mut reasons = Vec::new();
                    if !users.referencing_groups.is_empty() {
                        reasons.push(format!(
                            "the rules of {} name it",
                            users.referencing_groups.join(", ")
                        ));
                    }
                    if !users.network_interfaces.is_empty() {
                        reasons.push(format!(
                            "network interface(s) {} are attached to it",
                            users.network_interfaces.join(", ")
                        ));
                    }
                    return Err(in_use(
                        &format!("security group {id}"),
                        reasons.join(", and "),
                    ));
                }
                gone_if_absent(cloud.network.delete_security_group(id).await)
            }
            Self::EcrRepository { name, pulls_since } => {
                let Some(repository) = cloud.decommission.find_repository(name).await? else {
                    return Ok(Deleted::AlreadyGone);
                };
                if let Some(pulled) = repository.last_pull.filter(|at| at > pulls_since) {
                    return Err(in_use(
                        &format!("ECR repository {name}"),
                        format_args!(
                            "an image of it was pulled at {pulled}, after the drain; find what \
                             still runs it"
                        ),
                    ));
                }
                gone_if_absent(cloud.decommission.delete_repository(name).await)
            }
            Self::BeanstalkEnvironment { id, name } => {
                let found = cloud.environments.find_environment(name).await?;
                match found {
                    None => Ok(Deleted::AlreadyGone),
                    Some(env) if env.id != *id || env.status == "Terminated" => {
                        Ok(Deleted::AlreadyGone)
                    }
                    Some(_) => gone_if_absent(cloud.decommission.terminate_environment(id).await),
                }
            }
        }
    }
}

/// The first load balancer `group` lists that still exists. The group may still list one
/// deleted a moment ago (describes lag; moto keeps it for good), so only one that exists holds it.
async fn live_load_balancer_of(
    cloud: &Cloud,
    group: &TargetGroup,
) -> Result<Option<String>, StepError> {
    for lb in &group.load_balancer_arns {
        if cloud
            .load_balancing
            .load_balancer_by_arn(lb)
            .await?
            .is_some()
        {
            return Ok(Some(lb.clone()));
        }
    }
    Ok(None)
}

/// Terminates the instances that are still stopped, as `apply` left them, and waits until every
/// one is terminated. One running again was started by someone after the migration stopped
/// it: it is in use, and nothing is terminated.
async fn terminate_instances(cloud: &Cloud, ids: &[String]) -> Result<Deleted, StepError> {
    let found = cloud.instances.describe_instances(ids).await?;
    let remaining: Vec<&Instance> = found
        .iter()
        .filter(|i| i.state != InstanceState::Terminated)
        .collect();
    if remaining.is_empty() {
        return Ok(Deleted::AlreadyGone);
    }
    if let Some(started) = remaining.iter().find(|i| {
        !matches!(
            i.state,
            InstanceState::Stopped | InstanceState::ShuttingDown
        )
    }) {
        return Err(in_use(
            &format!("instance {}", started.id),
            format_args!(
                "it is {}, but the migration stopped it; someone started it again",
                started.state.as_str()
            ),
        ));
    }
    let remaining: Vec<String> = remaining.iter().map(|i| i.id.clone()).collect();
    match cloud.instances.terminate_instances(&remaining).await {
        Err(e) if !e.is_not_found() => return Err(e.into()),
        _ => {}
    }
    // Terminating takes a minute or two; the security groups after it can only go once the
    // instances' network interfaces are gone.
    for _ in 0..TERMINATION_POLLS {
        let found = cloud.instances.describe_instances(&remaining).await?;
        if found.iter().all(|i| i.state == InstanceState::Terminated) {
            return Ok(Deleted::Deleted);
        }
        cloud.clock.sleep(TERMINATION_POLL).await;
    }
    Err(StepError::precondition(format!(
        "the old instances {} did not terminate within {} minutes; run clean-up again",
        remaining.join(", "),
        TERMINATION_POLLS * TERMINATION_POLL.as_secs() / 60
    )))
}

const TERMINATION_POLL: std::time::Duration = std::time::Duration::from_secs(5);
const TERMINATION_POLLS: u64 = 120;

/// Takes the bridge target group out of the web service's load balancers and waits for the
/// rolling update that follows (`UpdateService` starts tasks with the new configuration and
/// stops the old ones once the new run:
/// <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html>). A load
/// balancer that still forwards to the group holds it; a service whose update is undone (the
/// deployment circuit breaker rolls back to the configuration with the bridge) stops the
/// clean-up, since deleting the group then would stop the service's next task from starting.
async fn detach_bridge(
    cloud: &Cloud,
    cluster: &str,
    service: &str,
    bridge: &str,
) -> Result<Deleted, StepError> {
    let what = format!(
        "target group {}",
        target_group_name(bridge).unwrap_or(bridge)
    );
    if let Some(name) = target_group_name(bridge) {
        if let Some(group) = cloud
            .load_balancing
            .find_target_group(name)
            .await?
            .filter(|g| g.arn == bridge)
        {
            if let Some(lb) = live_load_balancer_of(cloud, &group).await? {
                return Err(in_use(
                    &what,
                    format_args!("load balancer {lb} forwards to it"),
                ));
            }
        }
    }
    let Some(status) = cloud.containers.find_service(cluster, service).await? else {
        return Ok(Deleted::AlreadyGone);
    };
    let attached = |s: &crate::ports::ServiceStatus| {
        s.load_balancers
            .iter()
            .any(|lb| lb.target_group_arn == bridge)
    };
    let found = if attached(&status) {
        let remaining: Vec<_> = status
            .load_balancers
            .iter()
            .filter(|lb| lb.target_group_arn != bridge)
            .cloned()
            .collect();
        if remaining.is_empty() {
            return Err(StepError::precondition(format!(
                "ECS service {service} registers only in the bridge {what}; taking it out would \
                 leave the new side behind no load balancer, so nothing was changed"
            )));
        }
        cloud
            .containers
            .set_load_balancers(cluster, service, &remaining)
            .await?;
        Deleted::Deleted
    } else {
        Deleted::AlreadyGone
    };
    for _ in 0..ROLLOUT_POLLS {
        let Some(status) = cloud.containers.find_service(cluster, service).await? else {
            return Err(StepError::precondition(format!(
                "ECS service {service} disappeared while its tasks were being replaced"
            )));
        };
        if attached(&status) {
            return Err(StepError::precondition(format!(
                "ECS service {service} registers in the bridge {what} again (its deployment \
                 was rolled back?); the group was not deleted. Recent stopped tasks: {}",
                reasons(&status.stopped_reasons)
            )));
        }
        if status.steady {
            return Ok(found);
        }
        cloud.clock.sleep(ROLLOUT_POLL).await;
    }
    let last = cloud.containers.find_service(cluster, service).await?;
    Err(StepError::precondition(format!(
        "ECS service {service} did not finish replacing its tasks within {} minutes ({}); run \
         clean-up again once it is steady",
        ROLLOUT_POLLS * ROLLOUT_POLL.as_secs() / 60,
        last.map_or_else(
            || "it is gone".to_string(),
            |s| format!(
                "{} running of {} desired; recent stopped tasks: {}",
                s.running_count,
                s.desired_count,
                reasons(&s.stopped_reasons)
            )
        )
    )))
}

fn reasons(stopped: &[String]) -> String {
    if stopped.is_empty() {
        "none".to_string()
    } else {
        stopped.join("; ")
    }
}

/// Replacing the tasks takes their start, the health checks and the old tasks' deregistration
/// delay (300 seconds by default): half an hour is generous.
const ROLLOUT_POLL: std::time::Duration = std::time::Duration::from_secs(10);
const ROLLOUT_POLLS: u64 = 180;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_the_resource() {
        let tg = Deletion::TargetGroup {
            arn: "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/shop-old-tg/73e2d6bc24d8a067".into(),
        };
        assert_eq!(tg.id(), "delete-target-group:shop-old-tg");
        let td = Deletion::TaskDefinition {
            arn: "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/shop-web:7".into(),
        };
        assert_eq!(td.id(), "deregister-task-definition:shop-web:7");
    }
}
