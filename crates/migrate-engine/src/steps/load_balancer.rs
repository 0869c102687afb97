//! The new load balancer, its target group (type `ip`, as Fargate's awsvpc tasks need) and
//! listeners.

use std::time::Duration;

use async_trait::async_trait;
use migrate_playbook::HttpsCertificate;

use super::listener_shift;
use super::security::load_balancer_groups;
use super::{ignore_not_found, Lookup, Outcome, Prepared, Reconciliation, Step, Undoing};
use crate::context::Ctx;
use crate::error::StepError;
use crate::outputs::{
    BridgeTargetGroupCreated, ListenerActions, ListenerCreated, LoadBalancerCreated,
    SourceDiscovered, TargetGroupCreated,
};
use crate::ports::{
    HealthCheck, ListenerProtocol, ListenerSpec, LoadBalancer, LoadBalancerSpec, TargetGroupSpec,
};

fn web(ctx: &Ctx<'_>) -> Result<migrate_playbook::WebSettings, StepError> {
    effective_web(ctx)?.ok_or_else(|| StepError::precondition("the playbook has no web service"))
}

/// The web service's settings as the migration uses them: when the playbook names no health
/// check, the old target group's (path, codes, interval, timeout, thresholds), as discovery read
/// it, so that the new targets are judged as the old ones were; the playbook's defaults when the
/// old side has none to copy. The target group and the health gate's probes both use this.
pub(crate) fn effective_web(
    ctx: &Ctx<'_>,
) -> Result<Option<migrate_playbook::WebSettings>, StepError> {
    let Some(mut web) = ctx.playbook().target.web().and_then(|s| s.web.clone()) else {
        return Ok(None);
    };
    if web.health_check_from_old_side {
        let old = ctx
            .optional_output::<SourceDiscovered>()?
            .and_then(|d| d.behaviour)
            .and_then(|b| b.target_group)
            .and_then(|tg| tg.health_check);
        if let Some(old) = old {
            let hc = &mut web.health_check;
            hc.path = old.path;
            hc.codes = old.matcher;
            hc.interval = Duration::from_secs(u64::from(old.interval_secs));
            hc.timeout = Duration::from_secs(u64::from(old.timeout_secs));
            hc.healthy_threshold = old.healthy_threshold;
            hc.unhealthy_threshold = old.unhealthy_threshold;
        }
    }
    Ok(Some(web))
}

/// `create-target-group`.
pub struct CreateTargetGroup;

#[async_trait]
impl Step for CreateTargetGroup {
    type Output = TargetGroupCreated;
    type Recorded = ();

    async fn prepare(&self, ctx: &Ctx<'_>) -> Result<Prepared<()>, StepError> {
        let name = &ctx.plan().names.target_group;
        Ok(Prepared::new(format!("create target group {name}")).token(name.clone()))
    }

    async fn execute(
        &self,
        ctx: &Ctx<'_>,
        (): &(),
    ) -> Result<Outcome<TargetGroupCreated>, StepError> {
        if let Some(found) = self.find(ctx).await? {
            return Ok(Outcome::Done(found));
        }
        let arn = create_web_target_group(ctx, &ctx.plan().names.target_group).await?;
        Ok(Outcome::Done(TargetGroupCreated { arn }))
    }

    fn reconciliation(&self) -> Reconciliation<'_, TargetGroupCreated> {
        Reconciliation::Lookup(self)
    }

    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        undoing: Undoing<TargetGroupCreated, ()>,
    ) -> Result<(), StepError> {
        let Some(tg) = undoing.outputs else {
            return Ok(());
        };
        ignore_not_found(ctx.cloud.load_balancing.delete_target_group(&tg.arn).await)
    }
}

#[async_trait]
impl Lookup<TargetGroupCreated> for CreateTargetGroup {
    async fn find(&self, ctx: &Ctx<'_>) -> Result<Option<TargetGroupCreated>, StepError> {
        Ok(ctx
            .cloud
            .load_balancing
            .find_target_group(&ctx.plan().names.target_group)
            .await?
            .map(|tg| TargetGroupCreated { arn: tg.arn }))
    }
}

/// Creates a target group for the web service's tasks, with the health check the migration
/// judges them by; answers its ARN.
async fn create_web_target_group(ctx: &Ctx<'_>, name: &str) -> Result<String, StepError> {
    let web = web(ctx)?;
    let hc = &web.health_check;
    let spec = TargetGroupSpec {
        name: name.to_string(),
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
    Ok(ctx
        .cloud
        .load_balancing
        .create_target_group(&spec)
        .await?
        .arn)
}

/// `create-bridge-target-group` (the `listener` strategy): a second target group for the web
/// service's tasks, which the old load balancer's listeners forward to during the ramp, attached
/// to them at weight 0 at once. ELB lets a target group serve one load balancer only
/// (`TargetGroupAssociationLimit`, among the errors of
/// <https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ModifyRule.html>),
/// and the first one is the new load balancer's; an ECS service registers its tasks in up to
/// five target groups
/// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/register-multiple-targetgroups.html>),
/// but refuses one that no load balancer forwards to, hence the attachment before
/// `create-service`. Weight 0 sends no request there; it makes ELB health-check the targets.
///
/// Its intent records every listener's actions before the attachment: the ramp is derived from
/// them and the compensation writes them back exactly before deleting the group.
pub struct CreateBridgeTargetGroup;

#[async_trait]
impl Step for CreateBridgeTargetGroup {
    type Output = BridgeTargetGroupCreated;
    type Recorded = ListenerActions;

    async fn prepare(&self, ctx: &Ctx<'_>) -> Result<Prepared<ListenerActions>, StepError> {
        let name = &ctx.plan().names.bridge_target_group;
        let actions = listener_shift::read_actions(ctx).await?;
        Ok(Prepared::new(format!(
            "create target group {name} and attach it at weight 0 to the old load balancer's \
             forwards"
        ))
        .token(name.clone())
        .recording(actions))
    }

    async fn execute(
        &self,
        ctx: &Ctx<'_>,
        original: &ListenerActions,
    ) -> Result<Outcome<BridgeTargetGroupCreated>, StepError> {
        let name = &ctx.plan().names.bridge_target_group;
        let arn = match ctx.cloud.load_balancing.find_target_group(name).await? {
            Some(tg) => tg.arn,
            None => create_web_target_group(ctx, name).await?,
        };
        let served = listener_shift::served_group(ctx)?;
        let attached = listener_shift::desired(original, &served, &arn, 0);
        if attached == *original {
            return Err(StepError::precondition(format!(
                "no listener default action or rule of the old load balancer forwards to the \
                 served target group {served} alone; the listener strategy has nothing to shift"
            )));
        }
        listener_shift::converge(ctx, &attached).await?;
        Ok(Outcome::Done(BridgeTargetGroupCreated { arn }))
    }

    fn reconciliation(&self) -> Reconciliation<'_, BridgeTargetGroupCreated> {
        Reconciliation::Lookup(self)
    }

    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        undoing: Undoing<BridgeTargetGroupCreated, ListenerActions>,
    ) -> Result<(), StepError> {
        if let Some(original) = &undoing.recorded {
            listener_shift::converge(ctx, original).await?;
        }
        let found = match undoing.outputs {
            Some(tg) => Some(tg.arn),
            None => ctx
                .cloud
                .load_balancing
                .find_target_group(&ctx.plan().names.bridge_target_group)
                .await?
                .map(|tg| tg.arn),
        };
        match found {
            Some(arn) => ignore_not_found(ctx.cloud.load_balancing.delete_target_group(&arn).await),
            None => Ok(()),
        }
    }
}

/// Found only once it is attached: a group created by an interrupted attempt but not yet
/// attached makes the step run again, which adopts it and attaches it.
#[async_trait]
impl Lookup<BridgeTargetGroupCreated> for CreateBridgeTargetGroup {
    async fn find(&self, ctx: &Ctx<'_>) -> Result<Option<BridgeTargetGroupCreated>, StepError> {
        let old_lb = ctx.output::<SourceDiscovered>()?.load_balancer.arn;
        Ok(ctx
            .cloud
            .load_balancing
            .find_target_group(&ctx.plan().names.bridge_target_group)
            .await?
            .filter(|tg| tg.load_balancer_arns.contains(&old_lb))
            .map(|tg| BridgeTargetGroupCreated { arn: tg.arn }))
    }
}

fn created(lb: LoadBalancer) -> LoadBalancerCreated {
    LoadBalancerCreated {
        arn: lb.arn,
        dns_name: lb.dns_name,
        zone_id: lb.canonical_hosted_zone_id,
        security_groups: lb.security_groups,
        ip_address_type: lb.ip_address_type.unwrap_or_else(crate::ports::ipv4),
    }
}

/// `create-load-balancer`.
pub struct CreateLoadBalancer;

#[async_trait]
impl Step for CreateLoadBalancer {
    type Output = LoadBalancerCreated;
    type Recorded = ();

    async fn prepare(&self, ctx: &Ctx<'_>) -> Result<Prepared<()>, StepError> {
        let name = &ctx.plan().names.load_balancer;
        Ok(Prepared::new(format!("create load balancer {name}")).token(name.clone()))
    }

    async fn execute(
        &self,
        ctx: &Ctx<'_>,
        (): &(),
    ) -> Result<Outcome<LoadBalancerCreated>, StepError> {
        if let Some(found) = self.find(ctx).await? {
            return Ok(Outcome::Done(found));
        }
        // The old load balancer's scheme and IP address type: an internal app must not become
        // internet-facing, and a dual-stack one must keep answering its `AAAA` clients
        // (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#load-balancer-scheme,
        // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#ip-address-type).
        // The playbook's `internal: true` still makes an internet-facing one internal.
        let old = ctx.output::<SourceDiscovered>()?.behaviour;
        let spec = LoadBalancerSpec {
            name: ctx.plan().names.load_balancer.clone(),
            subnets: ctx.playbook().network.load_balancer_subnets.clone(),
            security_groups: load_balancer_groups(ctx)?,
            internal: ctx.playbook().target.load_balancer.internal
                || old.as_ref().is_some_and(|b| b.internal),
            ip_address_type: old
                .map(|b| b.ip_address_type)
                .filter(|t| !t.is_empty())
                .unwrap_or_else(crate::ports::ipv4),
            tags: ctx.tags(),
        };
        let lb = ctx.cloud.load_balancing.create_load_balancer(&spec).await?;
        // No wait for `active` here: listeners and services accept a load balancer that is still
        // provisioning, so its 30-90 s overlap the tasks' start, and the health gate probes
        // through it before any traffic is sent its way.
        Ok(Outcome::Done(created(lb)))
    }

    fn reconciliation(&self) -> Reconciliation<'_, LoadBalancerCreated> {
        Reconciliation::Lookup(self)
    }

    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        undoing: Undoing<LoadBalancerCreated, ()>,
    ) -> Result<(), StepError> {
        let Some(lb) = undoing.outputs else {
            return Ok(());
        };
        ignore_not_found(ctx.cloud.load_balancing.delete_load_balancer(&lb.arn).await)?;
        // The target group cannot be deleted while a load balancer still uses it; wait until it
        // is gone.
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
}

#[async_trait]
impl Lookup<LoadBalancerCreated> for CreateLoadBalancer {
    async fn find(&self, ctx: &Ctx<'_>) -> Result<Option<LoadBalancerCreated>, StepError> {
        Ok(ctx
            .cloud
            .load_balancing
            .find_load_balancer(&ctx.plan().names.load_balancer)
            .await?
            .map(created))
    }
}

/// `create-listener:http` and `create-listener:https`.
pub struct CreateListener {
    pub https: bool,
}

impl CreateListener {
    fn port(&self) -> u16 {
        if self.https {
            443
        } else {
            80
        }
    }

    /// What the listener is given: no certificate (HTTP), a certificate, or a reason why there
    /// is no listener to create.
    fn certificate(&self, ctx: &Ctx<'_>) -> Result<Certificate, StepError> {
        if !self.https {
            return Ok(Certificate::NotNeeded);
        }
        Ok(
            match &ctx.playbook().target.load_balancer.https_certificate {
                HttpsCertificate::Arn(arn) => Certificate::Arn(arn.clone()),
                HttpsCertificate::FromOldLoadBalancer => {
                    match ctx.output::<SourceDiscovered>()?.https_certificate {
                        Some(arn) => Certificate::Arn(arn),
                        None => {
                            Certificate::Skip("the old load balancer has no HTTPS listener to copy")
                        }
                    }
                }
                HttpsCertificate::None => Certificate::Skip("HTTPS is off in the playbook"),
            },
        )
    }
}

enum Certificate {
    NotNeeded,
    Arn(String),
    Skip(&'static str),
}

#[async_trait]
impl Step for CreateListener {
    type Output = ListenerCreated;
    type Recorded = ();

    async fn prepare(&self, _: &Ctx<'_>) -> Result<Prepared<()>, StepError> {
        Ok(Prepared::new(format!(
            "create {} listener",
            if self.https { "HTTPS" } else { "HTTP" }
        )))
    }

    async fn execute(&self, ctx: &Ctx<'_>, (): &()) -> Result<Outcome<ListenerCreated>, StepError> {
        let certificate_arn = match self.certificate(ctx)? {
            Certificate::NotNeeded => None,
            Certificate::Arn(arn) => Some(arn),
            Certificate::Skip(reason) => return Ok(Outcome::Skipped(reason.into())),
        };
        if let Some(found) = self.find(ctx).await? {
            return Ok(Outcome::Done(found));
        }
        let spec = ListenerSpec {
            load_balancer_arn: ctx.output::<LoadBalancerCreated>()?.arn,
            port: self.port(),
            protocol: if self.https {
                ListenerProtocol::Https
            } else {
                ListenerProtocol::Http
            },
            certificate_arn,
            target_group_arn: ctx.output::<TargetGroupCreated>()?.arn,
            tags: ctx.tags(),
        };
        let listener = ctx.cloud.load_balancing.create_listener(&spec).await?;
        Ok(Outcome::Done(ListenerCreated { arn: listener.arn }))
    }

    fn reconciliation(&self) -> Reconciliation<'_, ListenerCreated> {
        Reconciliation::Lookup(self)
    }

    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        undoing: Undoing<ListenerCreated, ()>,
    ) -> Result<(), StepError> {
        let Some(listener) = undoing.outputs else {
            return Ok(());
        };
        ignore_not_found(
            ctx.cloud
                .load_balancing
                .delete_listener(&listener.arn)
                .await,
        )
    }
}

#[async_trait]
impl Lookup<ListenerCreated> for CreateListener {
    async fn find(&self, ctx: &Ctx<'_>) -> Result<Option<ListenerCreated>, StepError> {
        let Some(lb) = ctx.optional_output::<LoadBalancerCreated>()? else {
            return Ok(None);
        };
        let port = self.port();
        Ok(ctx
            .cloud
            .load_balancing
            .listeners(&lb.arn)
            .await?
            .into_iter()
            .find(|l| l.port == port)
            .map(|l| ListenerCreated { arn: l.arn }))
    }
}
