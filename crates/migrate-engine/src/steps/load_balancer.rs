//! The new load balancer, its target group (type `ip`, as Fargate's awsvpc tasks need) and
//! listeners.

use std::time::Duration;

use migrate_playbook::HttpsCertificate;

use super::cluster::ignore_not_found;
use super::security::load_balancer_groups;
use super::Outcome;
use crate::context::{Ctx, Outputs};
use crate::error::StepError;
use crate::ports::{
    HealthCheck, ListenerProtocol, ListenerSpec, LoadBalancer, LoadBalancerSpec, TargetGroupSpec,
};

fn web(ctx: &Ctx<'_>) -> Result<migrate_playbook::WebSettings, StepError> {
    ctx.playbook()
        .target
        .web()
        .and_then(|s| s.web.clone())
        .ok_or_else(|| StepError::precondition("the playbook has no web service"))
}

pub async fn find_target_group(ctx: &Ctx<'_>) -> Result<Option<Outputs>, StepError> {
    Ok(ctx
        .cloud
        .load_balancing
        .find_target_group(&ctx.plan().names.target_group)
        .await?
        .map(|tg| Outputs::from([("arn".into(), tg.arn)])))
}

pub async fn create_target_group(ctx: &Ctx<'_>) -> Result<Outcome, StepError> {
    if let Some(found) = find_target_group(ctx).await? {
        return Ok(Outcome::Done(found));
    }
    let web = web(ctx)?;
    let hc = &web.health_check;
    let spec = TargetGroupSpec {
        name: ctx.plan().names.target_group.clone(),
        vpc_id: ctx.playbook().network.vpc.clone(),
        port: web.port,
        target_type: "ip".into(),
        health_check: HealthCheck {
            path: hc.path.clone(),
            matcher: hc.codes.clone(),
            interval_secs: hc.interval.as_secs() as u32,
            timeout_secs: hc.timeout.as_secs() as u32,
            healthy_threshold: hc.healthy_threshold,
            unhealthy_threshold: hc.unhealthy_threshold,
        },
        deregistration_delay_secs: ctx
            .playbook()
            .target
            .load_balancer
            .deregistration_delay
            .as_secs() as u32,
        tags: ctx.tags(),
    };
    let tg = ctx.cloud.load_balancing.create_target_group(&spec).await?;
    Ok(Outcome::Done(Outputs::from([("arn".into(), tg.arn)])))
}

pub async fn delete_target_group(ctx: &Ctx<'_>, outputs: &Outputs) -> Result<(), StepError> {
    let Some(arn) = outputs.get("arn") else {
        return Ok(());
    };
    ignore_not_found(ctx.cloud.load_balancing.delete_target_group(arn).await)
}

fn lb_outputs(lb: &LoadBalancer) -> Outputs {
    Outputs::from([
        ("arn".into(), lb.arn.clone()),
        ("dns_name".into(), lb.dns_name.clone()),
        ("zone_id".into(), lb.canonical_hosted_zone_id.clone()),
        ("security_groups".into(), lb.security_groups.join(",")),
    ])
}

pub async fn find_load_balancer(ctx: &Ctx<'_>) -> Result<Option<Outputs>, StepError> {
    Ok(ctx
        .cloud
        .load_balancing
        .find_load_balancer(&ctx.plan().names.load_balancer)
        .await?
        .map(|lb| lb_outputs(&lb)))
}

pub async fn create_load_balancer(ctx: &Ctx<'_>) -> Result<Outcome, StepError> {
    let name = ctx.plan().names.load_balancer.clone();
    let lb = match ctx.cloud.load_balancing.find_load_balancer(&name).await? {
        Some(lb) => lb,
        None => {
            let spec = LoadBalancerSpec {
                name: name.clone(),
                subnets: ctx.playbook().network.load_balancer_subnets.clone(),
                security_groups: load_balancer_groups(ctx)?,
                internal: ctx.playbook().target.load_balancer.internal,
                tags: ctx.tags(),
            };
            ctx.cloud.load_balancing.create_load_balancer(&spec).await?
        }
    };
    // No wait for `active` here: listeners and services accept a load balancer that is still
    // provisioning, so its 30-90 s overlap the tasks' start, and the health gate probes through
    // it before any traffic is sent its way.
    Ok(Outcome::Done(lb_outputs(&lb)))
}

pub async fn delete_load_balancer(ctx: &Ctx<'_>, outputs: &Outputs) -> Result<(), StepError> {
    let Some(arn) = outputs.get("arn") else {
        return Ok(());
    };
    ignore_not_found(ctx.cloud.load_balancing.delete_load_balancer(arn).await)?;
    // The target group cannot be deleted while a load balancer still uses it; wait until it is gone.
    let name = ctx.plan().names.load_balancer.clone();
    while ctx
        .cloud
        .load_balancing
        .find_load_balancer(&name)
        .await?
        .is_some()
    {
        ctx.waiting(&format!("load balancer {name} is being deleted"), None);
        ctx.pause(Duration::from_secs(5), || {
            format!("the load balancer {name} was not deleted")
        })
        .await?;
    }
    Ok(())
}

fn listener_port(https: bool) -> u16 {
    if https {
        443
    } else {
        80
    }
}

pub async fn find_listener(ctx: &Ctx<'_>, https: bool) -> Result<Option<Outputs>, StepError> {
    let Some(lb_arn) = ctx.optional_output("create-load-balancer", "arn") else {
        return Ok(None);
    };
    let port = listener_port(https);
    Ok(ctx
        .cloud
        .load_balancing
        .listeners(&lb_arn)
        .await?
        .into_iter()
        .find(|l| l.port == port)
        .map(|l| Outputs::from([("arn".into(), l.arn)])))
}

pub async fn create_listener(ctx: &Ctx<'_>, https: bool) -> Result<Outcome, StepError> {
    let certificate_arn = if https {
        match &ctx.playbook().target.load_balancer.https_certificate {
            HttpsCertificate::Arn(arn) => Some(arn.clone()),
            HttpsCertificate::FromOldLoadBalancer => {
                match ctx.optional_output("discover-source", "https_certificate") {
                    Some(cert) => Some(cert),
                    None => {
                        return Ok(Outcome::Skipped(
                            "the old load balancer has no HTTPS listener to copy".into(),
                        ))
                    }
                }
            }
            HttpsCertificate::None => {
                return Ok(Outcome::Skipped("HTTPS is off in the playbook".into()))
            }
        }
    } else {
        None
    };
    if let Some(found) = find_listener(ctx, https).await? {
        return Ok(Outcome::Done(found));
    }
    let spec = ListenerSpec {
        load_balancer_arn: ctx.output("create-load-balancer", "arn")?,
        port: listener_port(https),
        protocol: if https {
            ListenerProtocol::Https
        } else {
            ListenerProtocol::Http
        },
        certificate_arn,
        target_group_arn: ctx.output("create-target-group", "arn")?,
        tags: ctx.tags(),
    };
    let listener = ctx.cloud.load_balancing.create_listener(&spec).await?;
    Ok(Outcome::Done(Outputs::from([("arn".into(), listener.arn)])))
}

pub async fn delete_listener(ctx: &Ctx<'_>, outputs: &Outputs) -> Result<(), StepError> {
    let Some(arn) = outputs.get("arn") else {
        return Ok(());
    };
    ignore_not_found(ctx.cloud.load_balancing.delete_listener(arn).await)
}
