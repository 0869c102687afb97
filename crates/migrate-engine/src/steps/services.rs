//! The new ECS services: the web service behind the new target group, workers without one.

use async_trait::async_trait;

use super::{names, Lookup, Outcome, Prepared, Reconciliation, Step, Undoing};
use crate::context::{Ctx, POLL};
use crate::error::StepError;
use crate::outputs::{
    BridgeTargetGroupCreated, SecurityGroupCreated, ServiceCreated, TargetGroupCreated,
    TaskDefinitionRegistered,
};
use crate::ports::{ServiceLoadBalancer, ServiceSpec, ServiceStatus};

fn created(status: ServiceStatus) -> ServiceCreated {
    ServiceCreated {
        arn: status.arn,
        name: status.name,
        desired: status.desired_count,
    }
}

/// `create-service:<service>`.
pub struct CreateService<'a> {
    pub service: &'a str,
}

#[async_trait]
impl Step for CreateService<'_> {
    type Output = ServiceCreated;
    type Recorded = ();

    async fn prepare(&self, ctx: &Ctx<'_>) -> Result<Prepared<()>, StepError> {
        let name = names::service(&ctx.plan().names, self.service)?;
        Ok(Prepared::new(format!("create ECS service {name}")).token(ctx.token()))
    }

    async fn execute(&self, ctx: &Ctx<'_>, (): &()) -> Result<Outcome<ServiceCreated>, StepError> {
        let service = self.service;
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
                target_group_arn: ctx.output::<TargetGroupCreated>()?.arn,
                container_name: web.container.clone(),
                container_port: web.port,
            }),
            None => None,
        };
        // The bridge target group of the `listener` strategy: the tasks register in both, so
        // that the old load balancer can forward to them without sharing the new one's group.
        let also_registers_in = match (
            &load_balancer,
            ctx.optional_output::<BridgeTargetGroupCreated>()?,
        ) {
            (Some(_), Some(bridge)) => vec![bridge.arn],
            _ => Vec::new(),
        };
        let spec = ServiceSpec {
            cluster: names.cluster.clone(),
            name: names::service(names, service)?.to_string(),
            task_definition_arn: ctx.output_of::<TaskDefinitionRegistered>(service)?.arn,
            // Fewer while the overlap is sequenced for the connection budget; grow-new-side
            // brings it to the desired count once the old side is scaled down.
            desired_count: super::overlap::start_count(ctx, service, settings.desired_count)?,
            subnets: playbook.network.subnets.clone(),
            security_groups: vec![ctx.output::<SecurityGroupCreated>()?.group_id],
            assign_public_ip: playbook.network.assign_public_ip,
            health_check_grace_period_secs: settings
                .web
                .as_ref()
                .map(|w| w.health_check.grace_period.as_secs() as u32),
            also_registers_in,
            load_balancer,
            enable_execute_command: settings.enable_execute_command,
            // The same token on every attempt: ECS answers a repeated CreateService with the
            // service it already created instead of a second one.
            client_token: ctx.token(),
            tags: ctx.tags(),
        };
        let status = ctx.cloud.containers.create_service(&spec).await?;
        Ok(Outcome::Done(created(status)))
    }

    fn reconciliation(&self) -> Reconciliation<'_, ServiceCreated> {
        Reconciliation::Lookup(self)
    }

    /// Deletes the service by its deterministic name, whether or not its creation was recorded,
    /// and waits until its tasks are gone: the cluster and the security group can only go then.
    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        _: Undoing<ServiceCreated, ()>,
    ) -> Result<(), StepError> {
        let names = &ctx.plan().names;
        let name = names::service(names, self.service)?;
        match ctx
            .cloud
            .containers
            .delete_service(&names.cluster, name)
            .await
        {
            Err(e) if e.is_not_found() => return Ok(()),
            other => other?,
        }
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
}

#[async_trait]
impl Lookup<ServiceCreated> for CreateService<'_> {
    async fn find(&self, ctx: &Ctx<'_>) -> Result<Option<ServiceCreated>, StepError> {
        let names = &ctx.plan().names;
        Ok(ctx
            .cloud
            .containers
            .find_service(&names.cluster, names::service(names, self.service)?)
            .await?
            .filter(|s| s.status == "ACTIVE")
            .map(created))
    }
}
