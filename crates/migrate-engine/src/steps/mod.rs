//! Every step as three things: a forward action (with its verification), a reconciliation that
//! finds what an interrupted attempt already did, and a compensation that undoes it.
//!
//! Each forward action is idempotent and each compensation tolerates "not found", so that any of
//! them may be repeated after a crash (invariant 2).

mod alarms;
mod cluster;
mod discover;
mod dns;
pub mod drain;
mod health;
mod load_balancer;
mod scale_down;
mod security;
mod services;

use migrate_journal::{Intent, StepRecord};
use migrate_plan::Action;

use crate::context::{Ctx, Outputs};
use crate::error::StepError;

/// What a step will do, decided before the intent is written.
pub struct Prepared {
    pub operation: String,
    pub token: Option<String>,
    /// Values the compensation restores; read now, before anything changes.
    pub recorded: Outputs,
}

impl Prepared {
    fn new(operation: impl Into<String>) -> Self {
        Self {
            operation: operation.into(),
            token: None,
            recorded: Outputs::new(),
        }
    }

    fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }
}

/// Whether the step creates a resource that a describe call may not show for a few seconds.
pub fn creates_resource(action: &Action) -> bool {
    matches!(
        action,
        Action::CreateCluster
            | Action::RegisterTaskDefinition { .. }
            | Action::CreateServiceSecurityGroup
            | Action::CreateTargetGroup
            | Action::CreateLoadBalancer
            | Action::CreateListener { .. }
            | Action::CreateService { .. }
    )
}

pub enum Outcome {
    Done(Outputs),
    Skipped(String),
}

pub async fn prepare(ctx: &Ctx<'_>) -> Result<Prepared, StepError> {
    match &ctx.step.action {
        Action::DiscoverSource => Ok(Prepared::new("read the old side")),
        Action::CreateCluster => cluster::prepare_cluster(ctx).await,
        Action::RegisterTaskDefinition { service, .. } => Ok(Prepared::new(format!(
            "register task definition {}",
            ctx.plan().names.families[service]
        ))),
        Action::CreateServiceSecurityGroup => Ok(Prepared::new(format!(
            "create security group {}",
            ctx.plan().names.service_security_group
        ))
        .token(ctx.plan().names.service_security_group.clone())),
        Action::AllowLoadBalancerToService | Action::OpenDataStore { .. } => {
            Ok(Prepared::new("authorize security group ingress"))
        }
        Action::CreateTargetGroup => Ok(Prepared::new(format!(
            "create target group {}",
            ctx.plan().names.target_group
        ))
        .token(ctx.plan().names.target_group.clone())),
        Action::CreateLoadBalancer => Ok(Prepared::new(format!(
            "create load balancer {}",
            ctx.plan().names.load_balancer
        ))
        .token(ctx.plan().names.load_balancer.clone())),
        Action::CreateListener { https } => Ok(Prepared::new(format!(
            "create {} listener",
            if *https { "HTTPS" } else { "HTTP" }
        ))),
        Action::CreateService { service } => Ok(Prepared::new(format!(
            "create ECS service {}",
            ctx.plan().names.services[service]
        ))
        .token(ctx.token())),
        Action::VerifyHealth => Ok(Prepared::new("verify the new path")),
        Action::LowerTtl | Action::CutoverDns | Action::ShiftWeight { .. } => {
            dns::prepare(ctx).await
        }
        Action::Drain => Ok(Prepared::new("wait for the old side to drain")),
        Action::ScaleDownAutoScalingGroup => scale_down::prepare_group(ctx).await,
        Action::ScaleDownOldService { service } => scale_down::prepare_service(ctx, service).await,
        Action::CreateAlarms => Ok(Prepared::new("put CloudWatch alarms")),
    }
}

/// Looks for what an interrupted attempt of this step already did. `None` means "do it (again)";
/// steps whose action is idempotent as a whole always answer `None`.
pub async fn reconcile(ctx: &Ctx<'_>, intent: &Intent) -> Result<Option<Outputs>, StepError> {
    match &ctx.step.action {
        Action::CreateCluster => cluster::find_cluster(ctx, intent).await,
        Action::RegisterTaskDefinition { service, .. } => {
            cluster::find_task_definition(ctx, service).await
        }
        Action::CreateServiceSecurityGroup => security::find_group(ctx).await,
        Action::CreateTargetGroup => load_balancer::find_target_group(ctx).await,
        Action::CreateLoadBalancer => load_balancer::find_load_balancer(ctx).await,
        Action::CreateListener { https } => load_balancer::find_listener(ctx, *https).await,
        Action::CreateService { service } => services::find_service(ctx, service).await,
        _ => Ok(None),
    }
}

pub async fn execute(ctx: &Ctx<'_>, intent: &Intent) -> Result<Outcome, StepError> {
    match &ctx.step.action {
        Action::DiscoverSource => discover::run(ctx).await,
        Action::CreateCluster => cluster::create_cluster(ctx, intent).await,
        Action::RegisterTaskDefinition {
            service,
            definition,
        } => cluster::register_task_definition(ctx, service, definition).await,
        Action::CreateServiceSecurityGroup => security::create_group(ctx).await,
        Action::AllowLoadBalancerToService => security::allow_load_balancer(ctx).await,
        Action::OpenDataStore { store } => security::open_data_store(ctx, store).await,
        Action::CreateTargetGroup => load_balancer::create_target_group(ctx).await,
        Action::CreateLoadBalancer => load_balancer::create_load_balancer(ctx).await,
        Action::CreateListener { https } => load_balancer::create_listener(ctx, *https).await,
        Action::CreateService { service } => services::create_service(ctx, service).await,
        Action::VerifyHealth => health::verify(ctx).await,
        Action::LowerTtl => dns::lower_ttl(ctx, intent).await,
        Action::CutoverDns => dns::cutover(ctx).await,
        Action::ShiftWeight { weight, bake_secs } => {
            dns::shift_weight(ctx, *weight, *bake_secs).await
        }
        Action::Drain => drain::run(ctx).await,
        Action::ScaleDownAutoScalingGroup => scale_down::scale_group(ctx, intent).await,
        Action::ScaleDownOldService { service } => {
            scale_down::scale_service(ctx, intent, service).await
        }
        Action::CreateAlarms => alarms::create(ctx).await,
    }
}

/// Undoes the step. `record` holds its outputs when it finished, or only its intent when it was
/// interrupted: then the compensation first reconciles to find what may have been created.
pub async fn compensate(ctx: &Ctx<'_>, record: &StepRecord) -> Result<(), StepError> {
    let outputs = match (&record.intent, record.outputs.is_empty()) {
        (Some(intent), true) => reconcile(ctx, intent).await?.unwrap_or_default(),
        _ => record.outputs.clone(),
    };
    let recorded = record
        .intent
        .as_ref()
        .map(|i| i.recorded.clone())
        .unwrap_or_default();
    match &ctx.step.action {
        Action::DiscoverSource | Action::VerifyHealth | Action::Drain => Ok(()),
        Action::CreateCluster => cluster::delete_cluster(ctx, &outputs, &recorded).await,
        Action::RegisterTaskDefinition { .. } => {
            cluster::deregister_task_definition(ctx, &outputs).await
        }
        Action::CreateServiceSecurityGroup => security::delete_group(ctx, &outputs).await,
        Action::AllowLoadBalancerToService | Action::OpenDataStore { .. } => {
            security::revoke(ctx, record).await
        }
        Action::CreateTargetGroup => load_balancer::delete_target_group(ctx, &outputs).await,
        Action::CreateLoadBalancer => load_balancer::delete_load_balancer(ctx, &outputs).await,
        Action::CreateListener { .. } => load_balancer::delete_listener(ctx, &outputs).await,
        Action::CreateService { service } => services::delete_service(ctx, service).await,
        Action::LowerTtl | Action::CutoverDns | Action::ShiftWeight { .. } => {
            dns::restore(ctx, &recorded).await
        }
        Action::ScaleDownAutoScalingGroup => scale_down::restore_group(ctx, &recorded).await,
        Action::ScaleDownOldService { service } => {
            scale_down::restore_service(ctx, service, &recorded).await
        }
        Action::CreateAlarms => alarms::delete(ctx).await,
    }
}
