//! Reads the old side and records it, so that later steps and every compensation work from what
//! the account looked like before anything changed.

use async_trait::async_trait;
use migrate_playbook::{SourceKind, Zone};

use super::dns_discovery::{points_at, records_reaching_old_side};
use super::{Outcome, Prepared, Reconciliation, Step, Undoing};
use crate::context::Ctx;
use crate::error::StepError;
use crate::outputs::ZoneRecords;
use crate::outputs::{
    BeanstalkEnvironment, OldAutoScalingGroup, OldLoadBalancer, OldService, SourceDiscovered,
};
use crate::ports::{DnsRecord, ListenerProtocol, LoadBalancer};

/// `discover-source`: reads only, so it is idempotent as a whole and undoes nothing.
pub struct DiscoverSource;

#[async_trait]
impl Step for DiscoverSource {
    type Output = SourceDiscovered;
    type Recorded = ();

    async fn prepare(&self, _: &Ctx<'_>) -> Result<Prepared<()>, StepError> {
        Ok(Prepared::new("read the old side"))
    }

    async fn execute(
        &self,
        ctx: &Ctx<'_>,
        (): &(),
    ) -> Result<Outcome<SourceDiscovered>, StepError> {
        discover(ctx).await.map(Outcome::Done)
    }

    fn reconciliation(&self) -> Reconciliation<'_, SourceDiscovered> {
        Reconciliation::IdempotentAsWhole
    }

    async fn compensate(
        &self,
        _: &Ctx<'_>,
        _: Undoing<SourceDiscovered, ()>,
    ) -> Result<(), StepError> {
        // Reading changed nothing; there is nothing to undo.
        Ok(())
    }
}

/// The Auto Scaling group Elastic Beanstalk made for `environment`, as the environment's own
/// resource list names it.
async fn beanstalk_group(ctx: &Ctx<'_>, environment: &str) -> Result<String, StepError> {
    let environments = &ctx.cloud.environments;
    let resources = ctx
        .call(|| environments.environment_resources(environment))
        .await?;
    match resources.auto_scaling_groups.as_slice() {
        [group] => Ok(group.clone()),
        [] => Err(StepError::precondition(format!(
            "the Beanstalk environment {environment} lists no Auto Scaling group \
             (DescribeEnvironmentResources); a single-instance environment has no load balancer \
             to migrate from"
        ))),
        groups => Err(StepError::precondition(format!(
            "the Beanstalk environment {environment} lists {} Auto Scaling groups ({}); name \
             the one to scale down in source.auto_scaling_group",
            groups.len(),
            groups.join(", ")
        ))),
    }
}

pub(crate) async fn discover(ctx: &Ctx<'_>) -> Result<SourceDiscovered, StepError> {
    let playbook = ctx.playbook();
    let source = &playbook.source;
    let cloud = ctx.cloud;
    let mut beanstalk = None;
    let mut old_services = Vec::new();
    let mut auto_scaling_group = None;
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
        beanstalk = Some(BeanstalkEnvironment {
            id: found.id.clone(),
            cname: found.cname.clone(),
        });
        if asg_name.is_none() {
            asg_name = Some(beanstalk_group(ctx, &environment).await?);
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
            old_services.push(OldService {
                name: service.clone(),
                desired: found.desired_count,
                task_definition: found.task_definition_arn,
            });
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
        auto_scaling_group = Some(OldAutoScalingGroup {
            name: group.name.clone(),
            capacity: group.capacity,
        });
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
                        "the old load balancer {name} does not exist in {region} as an \
                         Application Load Balancer (a Classic Load Balancer is not supported \
                         yet)"
                    ))
                })?,
        );
    }
    let lb = load_balancer.ok_or_else(|| {
        StepError::precondition(
            "could not find the old load balancer; name it in source.load_balancer",
        )
    })?;
    refuse_unsupported_load_balancer(&lb)?;
    let target_groups: Vec<String> = ctx
        .call(|| cloud.load_balancing.target_groups_of(&lb.arn))
        .await?
        .into_iter()
        .map(|t| t.arn)
        .collect();
    let listeners = ctx.call(|| cloud.load_balancing.listeners(&lb.arn)).await?;
    let https_certificate = listeners
        .iter()
        .find(|l| l.protocol == ListenerProtocol::Https)
        .and_then(|l| l.certificate_arn.clone());
    let behaviour = super::behaviour::read_old_behaviour(ctx, &lb.arn).await?;
    let old_instances = if source.kind == SourceKind::Ec2 {
        super::plain_instances::discover_plain_instances(ctx, &target_groups).await?
    } else {
        Vec::new()
    };

    let zone_id = match &playbook.cutover.zone {
        Zone::Id(id) => id.clone(),
        Zone::Name(name) => ctx
            .call(|| cloud.dns.find_zone(name))
            .await?
            .ok_or_else(|| {
                StepError::precondition(format!("there is no hosted zone named {name}"))
            })?,
    };
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
    let beanstalk_cname = beanstalk.as_ref().and_then(|b| b.cname.clone());
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
    let mut moved_records = records_reaching_old_side(ctx, &lb, beanstalk_cname.as_deref()).await?;
    if !moved_records.iter().any(|z| z.zone_id == zone_id) {
        // The cutover zone was not listed (an account whose ListHostedZones leaves it out):
        // its name still moves, as it always has.
        moved_records.push(ZoneRecords {
            zone_id: zone_id.clone(),
            zone_name: String::new(),
            private: false,
            records: current.clone(),
        });
    }
    Ok(SourceDiscovered {
        beanstalk,
        old_services,
        auto_scaling_group,
        load_balancer: OldLoadBalancer {
            arn: lb.arn,
            name: lb.name,
            dns_name: lb.dns_name,
            zone_id: lb.canonical_hosted_zone_id,
            security_groups: lb.security_groups,
        },
        target_groups,
        https_certificate,
        zone_id,
        records: current,
        behaviour: Some(behaviour),
        moved_records,
        old_instances,
    })
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

/// Only an Application Load Balancer is supported: the drain reads its per-target-group
/// `RequestCount` in `AWS/ApplicationELB`, and the new side copies its HTTP listeners. A Network
/// (or Gateway) Load Balancer is told by its ARN (`loadbalancer/net/…`, `loadbalancer/gwy/…`).
pub(crate) fn refuse_unsupported_load_balancer(lb: &LoadBalancer) -> Result<(), StepError> {
    let kind = lb
        .arn
        .split_once(":loadbalancer/")
        .and_then(|(_, rest)| rest.split('/').next())
        .unwrap_or("app");
    let described = match kind {
        "app" => return Ok(()),
        "net" => "a Network Load Balancer",
        "gwy" => "a Gateway Load Balancer",
        _ => "not an Application Load Balancer",
    };
    Err(StepError::precondition(format!(
        "the old load balancer {} is {described}; only an Application Load Balancer source is \
         supported yet (its drain and listeners are not modelled for other kinds)",
        lb.name
    )))
}

fn describe_target(record: &DnsRecord) -> String {
    match &record.alias {
        Some(alias) => format!("alias {}", alias.dns_name),
        None => record.values.join(", "),
    }
}

#[cfg(test)]
mod load_balancer_kind_tests {
    use super::*;

    fn lb(arn: &str) -> LoadBalancer {
        LoadBalancer {
            arn: arn.into(),
            name: "shop-old".into(),
            dns_name: "shop-old-1.elb.amazonaws.com".into(),
            canonical_hosted_zone_id: "Z1".into(),
            security_groups: Vec::new(),
            vpc_id: "vpc-1".into(),
            state: "active".into(),
            ip_address_type: None,
        }
    }

    #[test]
    fn only_an_application_load_balancer_is_accepted() {
        let arn = |kind: &str| {
            format!(
                "arn:aws:elasticloadbalancing:r:1:loadbalancer/{kind}/shop-old/50dc6c495c0c9188"
            )
        };
        assert!(refuse_unsupported_load_balancer(&lb(&arn("app"))).is_ok());
        let error = refuse_unsupported_load_balancer(&lb(&arn("net")))
            .expect_err("an NLB is refused")
            .to_string();
        assert!(error.contains("Network Load Balancer"), "{error}");
        assert!(error.contains("shop-old"), "{error}");
        assert!(refuse_unsupported_load_balancer(&lb(&arn("gwy"))).is_err());
    }
}
