//! The service security group, and the rules that admit the load balancer to the service and
//! the service to the data stores: each from one group on one port, nothing wider.

use migrate_journal::StepRecord;
use migrate_plan::Action;

use super::cluster::ignore_not_found;
use super::Outcome;
use crate::context::{Ctx, Outputs};
use crate::error::StepError;
use crate::ports::{IngressRule, SecurityGroupSpec};

pub async fn find_group(ctx: &Ctx<'_>) -> Result<Option<Outputs>, StepError> {
    let playbook = ctx.playbook();
    Ok(ctx
        .cloud
        .network
        .find_security_group(
            &playbook.network.vpc,
            &ctx.plan().names.service_security_group,
        )
        .await?
        .map(|g| Outputs::from([("group_id".into(), g.id)])))
}

pub async fn create_group(ctx: &Ctx<'_>) -> Result<Outcome, StepError> {
    if let Some(found) = find_group(ctx).await? {
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
    Ok(Outcome::Done(Outputs::from([(
        "group_id".into(),
        group.id,
    )])))
}

pub async fn delete_group(ctx: &Ctx<'_>, outputs: &Outputs) -> Result<(), StepError> {
    let Some(id) = outputs.get("group_id") else {
        return Ok(());
    };
    ignore_not_found(ctx.cloud.network.delete_security_group(id).await)
}

/// The rules a step adds, derived from the plan and earlier outputs, so that the forward action
/// and its compensation always agree on them.
fn rules(ctx: &Ctx<'_>) -> Result<Vec<IngressRule>, StepError> {
    let service_group = ctx.output("create-service-security-group", "group_id")?;
    match &ctx.step.action {
        Action::AllowLoadBalancerToService => {
            let port = ctx
                .playbook()
                .target
                .web()
                .and_then(|s| s.web.as_ref())
                .map_or(0, |w| w.port);
            load_balancer_groups(ctx)?
                .into_iter()
                .map(|lb_group| {
                    Ok(IngressRule {
                        group_id: service_group.clone(),
                        source_group_id: lb_group,
                        port,
                        description: format!("migrate {}: load balancer to service", ctx.plan().id),
                    })
                })
                .collect()
        }
        Action::OpenDataStore { store } => {
            let store = ctx
                .playbook()
                .network
                .data_stores
                .iter()
                .find(|s| &s.name == store)
                .ok_or_else(|| {
                    StepError::precondition(format!("the plan has no data store {store}"))
                })?;
            Ok(vec![IngressRule {
                group_id: store.security_group.clone(),
                source_group_id: service_group,
                port: store.port,
                description: format!(
                    "migrate {}: Fargate service to {}",
                    ctx.plan().id,
                    store.name
                ),
            }])
        }
        other => Err(StepError::precondition(format!(
            "{other:?} adds no ingress rules"
        ))),
    }
}

/// The new load balancer's security groups: the playbook's, or the old load balancer's.
pub fn load_balancer_groups(ctx: &Ctx<'_>) -> Result<Vec<String>, StepError> {
    let configured = &ctx.playbook().target.load_balancer.security_groups;
    if !configured.is_empty() {
        return Ok(configured.clone());
    }
    let discovered = ctx.output("discover-source", "load_balancer_security_groups")?;
    let groups: Vec<String> = discovered
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if groups.is_empty() {
        return Err(StepError::precondition(
            "the old load balancer has no security groups to reuse; set target.load_balancer.security_groups",
        ));
    }
    Ok(groups)
}

async fn authorize(ctx: &Ctx<'_>) -> Result<Outcome, StepError> {
    let rules = rules(ctx)?;
    let mut described = Vec::new();
    for rule in &rules {
        ctx.cloud.network.authorize_ingress(rule).await?;
        // Verify: the rule must now be there.
        if !ctx.cloud.network.has_ingress(rule).await? {
            return Err(StepError::precondition(format!(
                "the rule tcp/{} from {} on {} was accepted but is not listed",
                rule.port, rule.source_group_id, rule.group_id
            )));
        }
        described.push(format!(
            "{}<-{}:{}",
            rule.group_id, rule.source_group_id, rule.port
        ));
    }
    Ok(Outcome::Done(Outputs::from([(
        "rules".into(),
        described.join(","),
    )])))
}

pub async fn allow_load_balancer(ctx: &Ctx<'_>) -> Result<Outcome, StepError> {
    authorize(ctx).await
}

pub async fn open_data_store(ctx: &Ctx<'_>, _store: &str) -> Result<Outcome, StepError> {
    authorize(ctx).await
}

pub async fn revoke(ctx: &Ctx<'_>, _record: &StepRecord) -> Result<(), StepError> {
    // Without the service group there can be no rule from it.
    if ctx
        .state
        .output("create-service-security-group", "group_id")
        .is_none()
    {
        return Ok(());
    }
    for rule in rules(ctx)? {
        ignore_not_found(ctx.cloud.network.revoke_ingress(&rule).await)?;
    }
    Ok(())
}
