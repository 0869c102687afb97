//! The new ECS services: the web service behind the new target group, workers without one.

use super::Outcome;
use crate::context::{Ctx, Outputs, POLL};
use crate::error::StepError;
use crate::ports::{ServiceLoadBalancer, ServiceSpec, ServiceStatus};

fn outputs(status: &ServiceStatus) -> Outputs {
    Outputs::from([
        ("arn".into(), status.arn.clone()),
        ("name".into(), status.name.clone()),
        ("desired".into(), status.desired_count.to_string()),
    ])
}

pub async fn find_service(ctx: &Ctx<'_>, service: &str) -> Result<Option<Outputs>, StepError> {
    let names = &ctx.plan().names;
    Ok(ctx
        .cloud
        .containers
        .find_service(&names.cluster, &names.services[service])
        .await?
        .filter(|s| s.status == "ACTIVE")
        .map(|s| outputs(&s)))
}

pub async fn create_service(ctx: &Ctx<'_>, service: &str) -> Result<Outcome, StepError> {
    let playbook = ctx.playbook();
    let names = &ctx.plan().names;
    let settings = playbook
        .target
        .services
        .iter()
        .find(|s| s.name == service)
        .ok_or_else(|| StepError::precondition(format!("the plan has no service {service}")))?;
    let load_balancer = match &settings.web {
        Some(web) => Some(ServiceLoadBalancer {
            target_group_arn: ctx.output("create-target-group", "arn")?,
            container_name: web.container.clone(),
            container_port: web.port,
        }),
        None => None,
    };
    let spec = ServiceSpec {
        cluster: names.cluster.clone(),
        name: names.services[service].clone(),
        task_definition_arn: ctx.output(&format!("register-task-definition:{service}"), "arn")?,
        desired_count: settings.desired_count,
        subnets: playbook.network.subnets.clone(),
        security_groups: vec![ctx.output("create-service-security-group", "group_id")?],
        assign_public_ip: playbook.network.assign_public_ip,
        health_check_grace_period_secs: settings
            .web
            .as_ref()
            .map(|w| w.health_check.grace_period.as_secs() as u32),
        load_balancer,
        enable_execute_command: settings.enable_execute_command,
        // The same token on every attempt: ECS answers a repeated CreateService with the service
        // it already created instead of a second one.
        client_token: ctx.token(),
        tags: ctx.tags(),
    };
    let status = ctx.cloud.containers.create_service(&spec).await?;
    Ok(Outcome::Done(outputs(&status)))
}

pub async fn delete_service(ctx: &Ctx<'_>, service: &str) -> Result<(), StepError> {
    let names = &ctx.plan().names;
    let name = &names.services[service];
    match ctx
        .cloud
        .containers
        .delete_service(&names.cluster, name)
        .await
    {
        Err(e) if e.is_not_found() => return Ok(()),
        other => other?,
    }
    // The cluster and the security group can only go once the service's tasks are gone.
    loop {
        let current = ctx.tolerate(
            ctx.cloud
                .containers
                .find_service(&names.cluster, name)
                .await,
        )?;
        match current {
            Some(None) => return Ok(()),
            None => {
                ctx.pause(POLL, || format!("the service {name} could not be read"))
                    .await?;
            }
            Some(Some(s)) if s.status == "INACTIVE" => return Ok(()),
            Some(Some(s)) => {
                ctx.waiting(
                    &format!(
                        "service {name} is {} with {} running",
                        s.status.to_lowercase(),
                        s.running_count
                    ),
                    None,
                );
                ctx.pause(POLL, || {
                    format!("the service {name} did not finish draining")
                })
                .await?;
            }
        }
    }
}
