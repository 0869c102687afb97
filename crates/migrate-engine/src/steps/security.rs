//! The service security group, and the rules that admit the load balancer to the service and
//! the service to the data stores: each from one group on one port, nothing wider.

use async_trait::async_trait;
use migrate_plan::LoadBalancerGroups;

use super::{ignore_not_found, Lookup, Outcome, Prepared, Reconciliation, Step, Undoing};
use crate::context::Ctx;
use crate::error::StepError;
use crate::outputs::{
    IngressAuthorized, LoadBalancerGroupCreated, RuleAdded, SecurityGroupCreated, SourceDiscovered,
};
use crate::ports::{IngressRule, SecurityGroupSpec};

/// `create-service-security-group`.
pub struct CreateServiceSecurityGroup;

#[async_trait]
impl Step for CreateServiceSecurityGroup {
    type Output = SecurityGroupCreated;
    type Recorded = ();

    async fn prepare(&self, ctx: &Ctx<'_>) -> Result<Prepared<()>, StepError> {
        let name = &ctx.plan().names.service_security_group;
        Ok(Prepared::new(format!("create security group {name}")).token(name.clone()))
    }

    async fn execute(
        &self,
        ctx: &Ctx<'_>,
        (): &(),
    ) -> Result<Outcome<SecurityGroupCreated>, StepError> {
        if let Some(found) = self.find(ctx).await? {
            return Ok(Outcome::Done(found));
        }
        let spec = SecurityGroupSpec {
            vpc_id: ctx.playbook().network.vpc.clone(),
            name: ctx.plan().names.service_security_group.clone(),
            description: format!(
                "Fargate service of migration {} (plan {})",
                ctx.plan().name,
                ctx.plan().id
            ),
            tags: ctx.tags(),
        };
        let group = ctx.cloud.network.create_security_group(&spec).await?;
        Ok(Outcome::Done(SecurityGroupCreated { group_id: group.id }))
    }

    fn reconciliation(&self) -> Reconciliation<'_, SecurityGroupCreated> {
        Reconciliation::Lookup(self)
    }

    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        undoing: Undoing<SecurityGroupCreated, ()>,
    ) -> Result<(), StepError> {
        let Some(group) = undoing.outputs else {
            return Ok(());
        };
        ignore_not_found(
            ctx.cloud
                .network
                .delete_security_group(&group.group_id)
                .await,
        )
    }
}

#[async_trait]
impl Lookup<SecurityGroupCreated> for CreateServiceSecurityGroup {
    async fn find(&self, ctx: &Ctx<'_>) -> Result<Option<SecurityGroupCreated>, StepError> {
        Ok(ctx
            .cloud
            .network
            .find_security_group(
                &ctx.playbook().network.vpc,
                &ctx.plan().names.service_security_group,
            )
            .await?
            .map(|g| SecurityGroupCreated { group_id: g.id }))
    }
}

/// `allow-load-balancer-to-service`: the service port, from each of the new load balancer's
/// security groups.
pub struct AllowLoadBalancerToService;

/// `open-data-store:<store>`: the store's port, from the service security group.
pub struct OpenDataStore<'a> {
    pub store: &'a str,
}

/// The rules a step adds, derived from the plan and earlier outputs, so that the forward action
/// and its compensation always agree on them. Both steps are idempotent as a whole: AWS accepts
/// an existing rule again, and revoking reads the same rules back.
pub trait AddsIngress: Send + Sync {
    fn rules(&self, ctx: &Ctx<'_>, service_group: &str) -> Result<Vec<IngressRule>, StepError>;
}

impl AddsIngress for AllowLoadBalancerToService {
    fn rules(&self, ctx: &Ctx<'_>, service_group: &str) -> Result<Vec<IngressRule>, StepError> {
        let port = ctx
            .playbook()
            .target
            .web()
            .and_then(|s| s.web.as_ref())
            .map_or(0, |w| w.port);
        Ok(load_balancer_groups(ctx)?
            .into_iter()
            .map(|lb_group| IngressRule {
                group_id: service_group.to_string(),
                source_group_id: lb_group,
                port,
                description: format!("migrate {}: load balancer to service", ctx.plan().id),
            })
            .collect())
    }
}

impl AddsIngress for OpenDataStore<'_> {
    fn rules(&self, ctx: &Ctx<'_>, service_group: &str) -> Result<Vec<IngressRule>, StepError> {
        let store = ctx
            .playbook()
            .network
            .data_stores
            .iter()
            .find(|s| s.name == self.store)
            .ok_or_else(|| {
                StepError::precondition(format!("the plan has no data store {}", self.store))
            })?;
        Ok(vec![IngressRule {
            group_id: store.security_group.clone(),
            source_group_id: service_group.to_string(),
            port: store.port,
            description: format!(
                "migrate {}: Fargate service to {}",
                ctx.plan().id,
                store.name
            ),
        }])
    }
}

/// A step that adds ingress rules: both kinds authorize on the way forward and revoke on the way
/// back, and differ only in which rules they add, so they share one `Step` implementation.
pub struct Ingress<S>(pub S);

#[async_trait]
impl<S: AddsIngress> Step for Ingress<S> {
    type Output = IngressAuthorized;
    type Recorded = ();

    async fn prepare(&self, _: &Ctx<'_>) -> Result<Prepared<()>, StepError> {
        Ok(Prepared::new("authorize security group ingress"))
    }

    async fn execute(
        &self,
        ctx: &Ctx<'_>,
        (): &(),
    ) -> Result<Outcome<IngressAuthorized>, StepError> {
        authorize(ctx, &self.0).await
    }

    fn reconciliation(&self) -> Reconciliation<'_, IngressAuthorized> {
        Reconciliation::IdempotentAsWhole
    }

    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        _: Undoing<IngressAuthorized, ()>,
    ) -> Result<(), StepError> {
        revoke(ctx, &self.0).await
    }
}

async fn authorize(
    ctx: &Ctx<'_>,
    step: &dyn AddsIngress,
) -> Result<Outcome<IngressAuthorized>, StepError> {
    let service_group = ctx.output::<SecurityGroupCreated>()?.group_id;
    let mut added = Vec::new();
    for rule in step.rules(ctx, &service_group)? {
        ctx.cloud.network.authorize_ingress(&rule).await?;
        // Verify: the rule must now be there.
        if !ctx.cloud.network.has_ingress(&rule).await? {
            return Err(StepError::precondition(format!(
                "the rule tcp/{} from {} on {} was accepted but is not listed",
                rule.port, rule.source_group_id, rule.group_id
            )));
        }
        added.push(RuleAdded {
            group_id: rule.group_id,
            source_group_id: rule.source_group_id,
            port: rule.port,
        });
    }
    Ok(Outcome::Done(IngressAuthorized { rules: added }))
}

async fn revoke(ctx: &Ctx<'_>, step: &dyn AddsIngress) -> Result<(), StepError> {
    // Without the service group there can be no rule from it.
    let Some(service_group) = ctx.optional_output::<SecurityGroupCreated>()? else {
        return Ok(());
    };
    for rule in step.rules(ctx, &service_group.group_id)? {
        ignore_not_found(ctx.cloud.network.revoke_ingress(&rule).await)?;
    }
    Ok(())
}

/// The new load balancer's security groups: the playbook's, its own (for a Beanstalk source), or
/// the old load balancer's.
pub fn load_balancer_groups(ctx: &Ctx<'_>) -> Result<Vec<String>, StepError> {
    match ctx.plan().load_balancer_groups() {
        LoadBalancerGroups::Playbook(groups) => Ok(groups.to_vec()),
        LoadBalancerGroups::Own(_) => Ok(vec![ctx.output::<LoadBalancerGroupCreated>()?.group_id]),
        LoadBalancerGroups::OldLoadBalancers => {
            let groups = ctx
                .output::<SourceDiscovered>()?
                .load_balancer
                .security_groups;
            if groups.is_empty() {
                return Err(StepError::precondition(
                    "the old load balancer has no security groups to reuse; set target.load_balancer.security_groups",
                ));
            }
            Ok(groups)
        }
    }
}
