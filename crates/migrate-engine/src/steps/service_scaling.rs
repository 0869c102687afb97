//! The Application Auto Scaling target of a new service, so that the new side can grow under
//! load as the old side did.
//!
//! `RegisterScalableTarget` moves the service's current count into `[min, max]`, so the minimum
//! is the plan's desired count: registering never shrinks the service the health gate just saw
//! (<https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html>).
//! Deregistering deletes the target's policies with it, so one call undoes the step
//! (<https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DeregisterScalableTarget.html>).

use async_trait::async_trait;
use migrate_playbook::{CpuTarget, Scaling};
use serde::{Deserialize, Serialize};

use super::{ignore_not_found, Lookup, Outcome, Prepared, Reconciliation, Step, Undoing};
use crate::context::Ctx;
use crate::error::StepError;
use crate::outputs::{from_json, ServiceScalingCreated, SourceDiscovered};
use crate::ports::{ecs_service_resource_id, CpuTrackingSpec, ScalableTargetSpec, ScalingPolicy};

/// Scale out fast, in slowly: a new task takes a minute or two to pass the health check, and
/// scaling in too eagerly right after the cutover would undo the warm-up the old side had.
const SCALE_OUT_COOLDOWN_SECS: u32 = 60;
const SCALE_IN_COOLDOWN_SECS: u32 = 300;

/// `create-service-scaling:SERVICE`.
pub struct CreateServiceScaling<'a> {
    pub service: &'a str,
}

/// What `prepare` decided, recorded so that a resumed run applies the same decision even if the
/// old side's policies changed in between.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingDecision {
    pub resource_id: String,
    pub min_count: u32,
    pub max_count: u32,
    /// `None`: no policy, only the bounds.
    pub cpu_target_percent: Option<f64>,
    /// Where the CPU target came from, for the log and the status.
    pub reason: String,
}

impl CreateServiceScaling<'_> {
    fn scaling<'p>(&self, ctx: &Ctx<'p>) -> Result<&'p Scaling, StepError> {
        let service = ctx
            .playbook()
            .target
            .services
            .iter()
            .find(|s| s.name == self.service)
            .ok_or_else(|| {
                StepError::precondition(format!(
                    "the plan scales service {} that its playbook does not have",
                    self.service
                ))
            })?;
        service.scaling.as_ref().ok_or_else(|| {
            StepError::precondition(format!(
                "the plan scales service {} whose playbook sets no scaling",
                self.service
            ))
        })
    }

    fn resource_id(&self, ctx: &Ctx<'_>) -> Result<String, StepError> {
        let names = &ctx.plan().names;
        let service = names.services.get(self.service).ok_or_else(|| {
            StepError::precondition(format!(
                "the plan names no ECS service for {}",
                self.service
            ))
        })?;
        Ok(ecs_service_resource_id(&names.cluster, service))
    }

    fn policy_name(&self, ctx: &Ctx<'_>) -> String {
        format!("{}-{}-cpu", ctx.plan().name, self.service)
    }

    /// The old side's CPU target: of the old ECS services' Application Auto Scaling policies
    /// first (they scaled the tasks themselves), then of the old Auto Scaling group's.
    async fn old_side_cpu_target(&self, ctx: &Ctx<'_>) -> Result<(Option<f64>, String), StepError> {
        let source = ctx.output::<SourceDiscovered>()?;
        let mut other_policies = Vec::new();
        if let Some(cluster) = &ctx.playbook().source.ecs_cluster {
            for old in &source.old_services {
                let resource_id = ecs_service_resource_id(cluster, &old.name);
                let scaling = &ctx.cloud.service_scaling;
                let policies = ctx.call(|| scaling.policies(&resource_id)).await?;
                if let Some(found) = cpu_target_of(&policies) {
                    return Ok((
                        Some(found),
                        format!("the old service {}'s CPU target", old.name),
                    ));
                }
                other_policies.extend(policies.into_iter().map(|p| p.name));
            }
        }
        if let Some(group) = &source.auto_scaling_group {
            let scaling = &ctx.cloud.scaling;
            let policies = ctx.call(|| scaling.scaling_policies(&group.name)).await?;
            if let Some(found) = cpu_target_of(&policies) {
                return Ok((
                    Some(found),
                    format!("the old Auto Scaling group {}'s CPU target", group.name),
                ));
            }
            other_policies.extend(policies.into_iter().map(|p| p.name));
        }
        if other_policies.is_empty() {
            Ok((None, "the old side scaled on no policy".to_string()))
        } else {
            // The old side scaled, on something this tool cannot translate (step policies,
            // request counts): CPU tracking at a middle target keeps the new side able to grow.
            Ok((
                Some(DEFAULT_CPU_TARGET),
                format!(
                    "the old side scaled on {} (not CPU target tracking); {DEFAULT_CPU_TARGET}% is the default",
                    other_policies.join(", ")
                ),
            ))
        }
    }
}

/// The CPU target used when the old side scaled on a policy this tool cannot carry over.
const DEFAULT_CPU_TARGET: f64 = 60.0;

fn cpu_target_of(policies: &[ScalingPolicy]) -> Option<f64> {
    policies.iter().find_map(|p| p.cpu_target_percent)
}

#[async_trait]
impl Step for CreateServiceScaling<'_> {
    type Output = ServiceScalingCreated;
    type Recorded = ScalingDecision;

    async fn prepare(&self, ctx: &Ctx<'_>) -> Result<Prepared<ScalingDecision>, StepError> {
        let scaling = self.scaling(ctx)?;
        let resource_id = self.resource_id(ctx)?;
        let (cpu_target_percent, reason) = match scaling.cpu_target {
            CpuTarget::Percent(p) => (Some(f64::from(p)), "the playbook's CPU target".to_string()),
            CpuTarget::Off => (None, "the playbook turns CPU tracking off".to_string()),
            CpuTarget::FromOldSide => self.old_side_cpu_target(ctx).await?,
        };
        let tracking = match cpu_target_percent {
            Some(p) => format!("track average CPU at {p}% ({reason})"),
            None => format!("no policy ({reason})"),
        };
        // Under a declared connection budget the target is pinned at the count the service
        // started with while the old side still runs, so that no scale-out takes more
        // connections than the budget counted; grow-new-side sets the playbook's bounds.
        let (min_count, max_count) = if super::overlap::budget_held(ctx)? {
            let start = super::overlap::start_count(ctx, self.service, scaling.min_count)?;
            (start, start)
        } else {
            (scaling.min_count, scaling.max_count)
        };
        Ok(Prepared::new(format!(
            "register {resource_id} between {min_count} and {max_count} tasks; {tracking}"
        ))
        .recording(ScalingDecision {
            resource_id,
            min_count,
            max_count,
            cpu_target_percent,
            reason,
        }))
    }

    async fn execute(
        &self,
        ctx: &Ctx<'_>,
        decision: &ScalingDecision,
    ) -> Result<Outcome<ServiceScalingCreated>, StepError> {
        let scaling = &ctx.cloud.service_scaling;
        let spec = ScalableTargetSpec {
            resource_id: decision.resource_id.clone(),
            min_count: decision.min_count,
            max_count: decision.max_count,
            tags: ctx.tags(),
        };
        // Both calls create or update, so a repeated attempt converges on the same target.
        ctx.call(|| scaling.register_target(&spec)).await?;
        let mut policy = None;
        if let Some(target_percent) = decision.cpu_target_percent {
            let spec = CpuTrackingSpec {
                policy_name: self.policy_name(ctx),
                resource_id: decision.resource_id.clone(),
                target_percent,
                scale_out_cooldown_secs: SCALE_OUT_COOLDOWN_SECS,
                scale_in_cooldown_secs: SCALE_IN_COOLDOWN_SECS,
            };
            ctx.call(|| scaling.put_cpu_tracking(&spec)).await?;
            policy = Some(spec.policy_name);
        }
        Ok(Outcome::Done(ServiceScalingCreated {
            resource_id: decision.resource_id.clone(),
            policy,
        }))
    }

    fn reconciliation(&self) -> Reconciliation<'_, ServiceScalingCreated> {
        Reconciliation::Lookup(self)
    }

    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        undoing: Undoing<ServiceScalingCreated, ScalingDecision>,
    ) -> Result<(), StepError> {
        // The target's resource id names the new service, which only this plan creates: once an
        // intent was written, whatever target exists for it is this step's.
        let resource_id = match (undoing.outputs, undoing.recorded) {
            (Some(outputs), _) => outputs.resource_id,
            (None, Some(decision)) => decision.resource_id,
            (None, None) => return Ok(()),
        };
        let scaling = &ctx.cloud.service_scaling;
        match ctx.call(|| scaling.deregister_target(&resource_id)).await {
            Err(StepError::Cloud(e)) => ignore_not_found(Err(e)),
            other => other,
        }
    }
}

#[async_trait]
impl Lookup<ServiceScalingCreated> for CreateServiceScaling<'_> {
    /// Done when the target exists with the recorded bounds and, where the recorded decision
    /// asked for one, the CPU policy exists; anything less runs the step again (its calls
    /// converge). Without an intent nothing was attempted.
    async fn find(&self, ctx: &Ctx<'_>) -> Result<Option<ServiceScalingCreated>, StepError> {
        let Some(intent) = ctx.record(&ctx.step.id).and_then(|r| r.intent.as_ref()) else {
            return Ok(None);
        };
        let decision: ScalingDecision = from_json(
            &ctx.step.id,
            "the values its intent recorded",
            &intent.recorded,
        )?;
        let scaling = &ctx.cloud.service_scaling;
        let resource_id = &decision.resource_id;
        let Some(target) = ctx.call(|| scaling.find_target(resource_id)).await? else {
            return Ok(None);
        };
        if target.min_count != decision.min_count || target.max_count != decision.max_count {
            return Ok(None);
        }
        let mut policy = None;
        if decision.cpu_target_percent.is_some() {
            let policy_name = self.policy_name(ctx);
            let policies = ctx.call(|| scaling.policies(resource_id)).await?;
            if !policies.iter().any(|p| p.name == policy_name) {
                return Ok(None);
            }
            policy = Some(policy_name);
        }
        Ok(Some(ServiceScalingCreated {
            resource_id: decision.resource_id,
            policy,
        }))
    }
}
