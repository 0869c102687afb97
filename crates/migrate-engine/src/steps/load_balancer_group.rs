//! `create-load-balancer-security-group`: a security group of the new load balancer's own, for a
//! source whose old load balancer's groups belong to Elastic Beanstalk.
//!
//! Elastic Beanstalk creates its load balancer's security group in the environment's
//! CloudFormation stack and deletes it when the environment terminates; a group that another load
//! balancer uses, or that another group's rule names, cannot be deleted (`DependencyViolation`),
//! so the stack's deletion fails and the environment cannot be terminated
//! (<https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/environments-cfg-alb.html>,
//! <https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/working-with-security-groups.html#deleting-security-group>).
//! EB's group also lets the load balancer send only to its instances' port 80, where the new
//! service may listen elsewhere. A group of our own admits what the old groups admit (the same
//! clients on the same ports) and sends only to the service group on the service port; a new
//! group's default rule that sends anywhere is revoked after that rule is in place.

use std::time::Duration;

use async_trait::async_trait;

use super::{ignore_not_found, Lookup, Outcome, Prepared, Reconciliation, Step, Undoing};
use crate::context::Ctx;
use crate::error::StepError;
use crate::outputs::{LoadBalancerGroupCreated, SecurityGroupCreated, SourceDiscovered};
use crate::ports::{ErrorKind, IngressPermission, SecurityGroupSpec};

pub struct CreateLoadBalancerSecurityGroup;

#[async_trait]
impl Step for CreateLoadBalancerSecurityGroup {
    type Output = LoadBalancerGroupCreated;
    type Recorded = ();

    async fn prepare(&self, ctx: &Ctx<'_>) -> Result<Prepared<()>, StepError> {
        let name = &ctx.plan().names.load_balancer_security_group;
        Ok(Prepared::new(format!("create security group {name}")).token(name.clone()))
    }

    async fn execute(
        &self,
        ctx: &Ctx<'_>,
        (): &(),
    ) -> Result<Outcome<LoadBalancerGroupCreated>, StepError> {
        let old_groups = ctx
            .output::<SourceDiscovered>()?
            .load_balancer
            .security_groups;
        let service_group = ctx.output::<SecurityGroupCreated>()?.group_id;
        let port = web_port(ctx)?;
        // Read before anything is created, so that a group the old side cannot show stops the
        // step with nothing made.
        let permissions = old_permissions(ctx, &old_groups).await?;
        let network = &ctx.cloud.network;
        let group_id = match self.find(ctx).await? {
            Some(found) => found.group_id,
            None => self.create(ctx).await?,
        };
        // Both calls take what is there already as done, so an attempt cut short after the
        // group was created completes here.
        ctx.call(|| network.authorize_ingress_permissions(&group_id, &permissions))
            .await?;
        ctx.call(|| network.limit_egress(&group_id, port, &service_group))
            .await?;
        Ok(Outcome::Done(LoadBalancerGroupCreated {
            group_id,
            copied_from: old_groups,
        }))
    }

    fn reconciliation(&self) -> Reconciliation<'_, LoadBalancerGroupCreated> {
        // The lookup finds the group by name, but only `execute` knows whether its rules were
        // all added: a found group is completed by running the step again, which is idempotent.
        Reconciliation::IdempotentAsWhole
    }

    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        undoing: Undoing<LoadBalancerGroupCreated, ()>,
    ) -> Result<(), StepError> {
        // An attempt that crashed before recording its output may still have made the group.
        let group = match undoing.outputs {
            Some(created) => Some(created.group_id),
            None => self.find(ctx).await?.map(|g| g.group_id),
        };
        let Some(group_id) = group else {
            return Ok(());
        };
        // Its rules go with it; the load balancer that used it and the service group's rule
        // naming it were undone before (they depend on this step).
        ignore_not_found(ctx.cloud.network.delete_security_group(&group_id).await)
    }
}

impl CreateLoadBalancerSecurityGroup {
    /// Creates the group. An earlier attempt whose answer was lost (or a describe that lags
    /// behind the create) makes EC2 answer `InvalidGroup.Duplicate`: the group is this plan's
    /// (its name carries the plan id), so the step waits until a describe shows it and goes on
    /// with it (found by `make soak`: 13 of 5,000 Beanstalk seeds failed on the duplicate).
    async fn create(&self, ctx: &Ctx<'_>) -> Result<String, StepError> {
        let spec = SecurityGroupSpec {
            vpc_id: ctx.playbook().network.vpc.clone(),
            name: ctx.plan().names.load_balancer_security_group.clone(),
            description: format!(
                "Load balancer of migration {} (plan {})",
                ctx.plan().name,
                ctx.plan().id
            ),
            tags: ctx.tags(),
        };
        match ctx.cloud.network.create_security_group(&spec).await {
            Ok(group) => Ok(group.id),
            Err(e) if e.kind == ErrorKind::AlreadyExists => loop {
                if let Some(found) = self.find(ctx).await? {
                    return Ok(found.group_id);
                }
                ctx.waiting(
                    &format!("security group {} exists but is not listed yet", spec.name),
                    None,
                );
                ctx.pause(Duration::from_secs(5), || {
                    format!(
                        "security group {} exists (InvalidGroup.Duplicate) but never became \
                         visible to DescribeSecurityGroups",
                        spec.name
                    )
                })
                .await?;
            },
            Err(e) => Err(e.into()),
        }
    }
}

#[async_trait]
impl Lookup<LoadBalancerGroupCreated> for CreateLoadBalancerSecurityGroup {
    async fn find(&self, ctx: &Ctx<'_>) -> Result<Option<LoadBalancerGroupCreated>, StepError> {
        Ok(ctx
            .cloud
            .network
            .find_security_group(
                &ctx.playbook().network.vpc,
                &ctx.plan().names.load_balancer_security_group,
            )
            .await?
            .map(|g| LoadBalancerGroupCreated {
                group_id: g.id,
                copied_from: Vec::new(),
            }))
    }
}

fn web_port(ctx: &Ctx<'_>) -> Result<u16, StepError> {
    ctx.playbook()
        .target
        .web()
        .and_then(|s| s.web.as_ref())
        .map(|w| w.port)
        .ok_or_else(|| StepError::precondition("the plan has no web service to send traffic to"))
}

/// The inbound permissions of every old group, without repeats. A permission that names one of
/// the old groups themselves (a group admitting its own members) is left out: the new load
/// balancer is not a member of them.
async fn old_permissions(
    ctx: &Ctx<'_>,
    old_groups: &[String],
) -> Result<Vec<IngressPermission>, StepError> {
    if old_groups.is_empty() {
        return Err(StepError::precondition(
            "the old load balancer has no security groups to copy the clients it admits from; \
             set target.load_balancer.security_groups",
        ));
    }
    let mut all: Vec<IngressPermission> = Vec::new();
    for group in old_groups {
        let network = &ctx.cloud.network;
        for mut permission in ctx.call(|| network.ingress_permissions(group)).await? {
            permission.source_groups.retain(|g| !old_groups.contains(g));
            let admits_someone = !(permission.ipv4_ranges.is_empty()
                && permission.ipv6_ranges.is_empty()
                && permission.prefix_lists.is_empty()
                && permission.source_groups.is_empty());
            if admits_someone && !all.contains(&permission) {
                all.push(permission);
            }
        }
    }
    if all.is_empty() {
        return Err(StepError::precondition(format!(
            "the old load balancer's security groups ({}) admit no client; a load balancer with \
             a copy of them would answer nobody",
            old_groups.join(", ")
        )));
    }
    Ok(all)
}
