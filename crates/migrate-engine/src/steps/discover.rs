//! Reads the old side and records it, so that later steps and every compensation work from what
//! the account looked like before anything changed.

use migrate_playbook::{SourceKind, Zone};

use super::Outcome;
use crate::context::{Ctx, Outputs};
use crate::error::StepError;
use crate::ports::{DnsRecord, ListenerProtocol, LoadBalancer};

/// The tag Elastic Beanstalk puts on its environment's Auto Scaling group.
const BEANSTALK_ENVIRONMENT_TAG: &str = "elasticbeanstalk:environment-name";

pub async fn run(ctx: &Ctx<'_>) -> Result<Outcome, StepError> {
    let playbook = ctx.playbook();
    let source = &playbook.source;
    let cloud = ctx.cloud;
    let mut out = Outputs::new();
    let region = playbook
        .region
        .as_deref()
        .unwrap_or("the configured region");

    let mut asg_name = source.auto_scaling_group.clone();
    let mut load_balancer: Option<LoadBalancer> = None;

    if source.kind == SourceKind::Beanstalk {
        let environment = source.beanstalk_environment.clone().unwrap_or_default();
        let found = ctx
            .call(|| cloud.environments.find_environment(&environment))
            .await?
            .ok_or_else(|| {
                StepError::precondition(format!(
                    "the Beanstalk environment {environment} does not exist in {region}"
                ))
            })?;
        out.insert("beanstalk_environment_id".into(), found.id.clone());
        if let Some(cname) = &found.cname {
            out.insert("beanstalk_cname".into(), cname.clone());
        }
        if asg_name.is_none() {
            let groups = ctx
                .call(|| {
                    cloud
                        .scaling
                        .groups_tagged(BEANSTALK_ENVIRONMENT_TAG, &environment)
                })
                .await?;
            let group = groups.first().ok_or_else(|| {
                StepError::precondition(format!(
                    "no Auto Scaling group is tagged {BEANSTALK_ENVIRONMENT_TAG}={environment}"
                ))
            })?;
            asg_name = Some(group.name.clone());
            if source.load_balancer.is_none() {
                load_balancer = load_balancer_of_group(ctx, &group.target_group_arns).await?;
            }
        }
    }

    if source.kind == SourceKind::EcsEc2 {
        let cluster = source.ecs_cluster.clone().unwrap_or_default();
        for service in &source.ecs_services {
            let found = ctx
                .call(|| cloud.containers.find_service(&cluster, service))
                .await?
                .filter(|s| s.status != "INACTIVE")
                .ok_or_else(|| {
                    StepError::precondition(format!(
                        "the old ECS service {service} does not exist in cluster {cluster}"
                    ))
                })?;
            out.insert(
                format!("old_service:{service}:desired"),
                found.desired_count.to_string(),
            );
            out.insert(
                format!("old_service:{service}:task_definition"),
                found.task_definition_arn,
            );
        }
        if asg_name.is_none() {
            asg_name = ctx
                .call(|| cloud.containers.container_instance_groups(&cluster))
                .await?
                .into_iter()
                .next();
        }
    }

    if let Some(name) = &asg_name {
        let group = ctx
            .call(|| cloud.scaling.find_group(name))
            .await?
            .ok_or_else(|| {
                StepError::precondition(format!(
                    "the Auto Scaling group {name} does not exist in {region}"
                ))
            })?;
        out.insert("auto_scaling_group".into(), group.name.clone());
        out.insert(
            "auto_scaling_group_min".into(),
            group.capacity.min.to_string(),
        );
        out.insert(
            "auto_scaling_group_max".into(),
            group.capacity.max.to_string(),
        );
        out.insert(
            "auto_scaling_group_desired".into(),
            group.capacity.desired.to_string(),
        );
        if load_balancer.is_none() && source.load_balancer.is_none() {
            load_balancer = load_balancer_of_group(ctx, &group.target_group_arns).await?;
        }
    }

    if let Some(name) = &source.load_balancer {
        load_balancer = Some(
            ctx.call(|| cloud.load_balancing.find_load_balancer(name))
                .await?
                .ok_or_else(|| {
                    StepError::precondition(format!(
                        "the old load balancer {name} does not exist in {region}"
                    ))
                })?,
        );
    }
    let lb = load_balancer.ok_or_else(|| {
        StepError::precondition(
            "could not find the old load balancer; name it in source.load_balancer",
        )
    })?;
    out.insert("load_balancer_arn".into(), lb.arn.clone());
    out.insert("load_balancer_name".into(), lb.name.clone());
    out.insert("load_balancer_dns".into(), lb.dns_name.clone());
    out.insert(
        "load_balancer_zone".into(),
        lb.canonical_hosted_zone_id.clone(),
    );
    out.insert(
        "load_balancer_security_groups".into(),
        lb.security_groups.join(","),
    );
    let target_groups = ctx
        .call(|| cloud.load_balancing.target_groups_of(&lb.arn))
        .await?;
    out.insert(
        "target_groups".into(),
        target_groups
            .iter()
            .map(|t| t.arn.as_str())
            .collect::<Vec<_>>()
            .join(","),
    );
    let listeners = ctx.call(|| cloud.load_balancing.listeners(&lb.arn)).await?;
    if let Some(cert) = listeners
        .iter()
        .find(|l| l.protocol == ListenerProtocol::Https)
        .and_then(|l| l.certificate_arn.clone())
    {
        out.insert("https_certificate".into(), cert);
    }

    let zone_id = match &playbook.cutover.zone {
        Zone::Id(id) => id.clone(),
        Zone::Name(name) => ctx
            .call(|| cloud.dns.find_zone(name))
            .await?
            .ok_or_else(|| {
                StepError::precondition(format!("there is no hosted zone named {name}"))
            })?,
    };
    out.insert("zone_id".into(), zone_id.clone());
    let record_name = &playbook.cutover.record;
    let current: Vec<DnsRecord> = ctx
        .call(|| cloud.dns.records(&zone_id, record_name))
        .await?
        .into_iter()
        .filter(|r| r.record_type == "A" || r.record_type == "CNAME")
        .collect();
    if current.is_empty() {
        return Err(StepError::precondition(format!(
            "the zone {zone_id} has no A or CNAME record {record_name} to cut over"
        )));
    }
    let beanstalk_cname = out.get("beanstalk_cname").cloned();
    for record in &current {
        if !points_at(record, &lb.dns_name, beanstalk_cname.as_deref()) {
            return Err(StepError::precondition(format!(
                "{record_name} points at {}, not at the old load balancer {} ({}); the playbook does not describe what serves it",
                describe_target(record),
                lb.name,
                lb.dns_name
            )));
        }
    }
    out.insert(
        "record".into(),
        serde_json::to_string(&current).map_err(|e| StepError::precondition(e.to_string()))?,
    );
    Ok(Outcome::Done(out))
}

async fn load_balancer_of_group(
    ctx: &Ctx<'_>,
    target_group_arns: &[String],
) -> Result<Option<LoadBalancer>, StepError> {
    for arn in target_group_arns {
        // A target group ARN ends in `targetgroup/<name>/<id>`.
        let Some(name) = arn.split('/').nth(1) else {
            continue;
        };
        let Some(group) = ctx
            .call(|| ctx.cloud.load_balancing.find_target_group(name))
            .await?
        else {
            continue;
        };
        if let Some(lb_arn) = group.load_balancer_arns.first() {
            return ctx
                .call(|| ctx.cloud.load_balancing.load_balancer_by_arn(lb_arn))
                .await;
        }
    }
    Ok(None)
}

fn normalise(name: &str) -> String {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name.strip_prefix("dualstack.")
        .map(str::to_string)
        .unwrap_or(name)
}

fn points_at(record: &DnsRecord, lb_dns: &str, beanstalk_cname: Option<&str>) -> bool {
    let lb = normalise(lb_dns);
    let eb = beanstalk_cname.map(normalise);
    let matches = |target: &str| {
        let target = normalise(target);
        target == lb || eb.as_deref() == Some(target.as_str())
    };
    match &record.alias {
        Some(alias) => matches(&alias.dns_name),
        None => record.values.iter().any(|v| matches(v)),
    }
}

fn describe_target(record: &DnsRecord) -> String {
    match &record.alias {
        Some(alias) => format!("alias {}", alias.dns_name),
        None => record.values.join(", "),
    }
}
