//! The step table: every [`Action`] maps to exactly one step definition that holds its prepare,
//! its forward action, its reconciliation and its compensation, the way a saga pairs an action
//! with its undo.
//!
//! Each forward action is idempotent and each compensation tolerates "not found", so that any of
//! them may be repeated after a crash (invariant 2). [`definition`] is the only dispatch on
//! `Action` and has no fallback arm: an `Action` variant without a step does not compile.
//!
//! A step is written against its own types ([`Step::Output`], [`Step::Recorded`]); the blanket
//! [`AnyStep`] turns them into the JSON the journal stores, and back.

mod alarms;
mod beanstalk_capacity;
pub(crate) mod behaviour;
mod cluster;
mod connection_budget;
pub(crate) mod discover;
mod dns;
mod dns_discovery;
mod dns_records;
pub mod drain;
mod guard;
mod health;
mod listener_probes;
mod listener_shift;
mod load_balancer;
mod load_balancer_group;
mod logs;
pub(crate) mod names;
mod overlap;
mod plain_instances;
mod preflight;
mod scale_down;
mod security;
mod service_scaling;
mod services;

use async_trait::async_trait;
use migrate_journal::StepRecord;
use migrate_plan::Action;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::context::Ctx;
use crate::error::StepError;
use crate::outputs::{from_json, to_json};

/// What a step will do, decided before the intent is written.
pub struct Prepared<R> {
    pub operation: String,
    pub token: Option<String>,
    /// Values the compensation restores; read now, before anything changes.
    pub recorded: R,
}

impl Prepared<()> {
    fn new(operation: impl Into<String>) -> Self {
        Self {
            operation: operation.into(),
            token: None,
            recorded: (),
        }
    }
}

impl<R> Prepared<R> {
    fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    fn recording<S>(self, recorded: S) -> Prepared<S> {
        Prepared {
            operation: self.operation,
            token: self.token,
            recorded,
        }
    }
}

/// How a step ended.
pub enum Outcome<O> {
    Done(O),
    /// Nothing to do in this account; the reason is recorded.
    Skipped(String),
}

/// How a step finds what an interrupted attempt already did.
pub enum Reconciliation<'s, O> {
    /// Look the resource up (by deterministic name, token or tags) before calling again; a step
    /// that creates something must do this, since a second create would duplicate it.
    Lookup(&'s dyn Lookup<O>),
    /// None: the forward action is idempotent as a whole (a wait, a converge, a set-to-value),
    /// so an interrupted attempt is simply run again.
    IdempotentAsWhole,
}

/// The lookup half of a [`Reconciliation::Lookup`].
#[async_trait]
pub trait Lookup<O>: Send + Sync {
    /// What an earlier attempt created, or `None` when it created nothing (yet visible).
    async fn find(&self, ctx: &Ctx<'_>) -> Result<Option<O>, StepError>;
}

/// What a compensation knows about what it undoes.
pub struct Undoing<O, R> {
    /// The step's outputs when it finished; when it was interrupted, what its reconciliation
    /// found; `None` when it created nothing that can be found.
    pub outputs: Option<O>,
    /// The values its intent recorded before the change; `None` when no intent was written.
    pub recorded: Option<R>,
}

/// One step: prepare, forward action, reconciliation, compensation.
#[async_trait]
pub trait Step: Send + Sync {
    /// What the step produces for later steps and its compensation.
    type Output: Serialize + DeserializeOwned + Send + Sync;
    /// What its intent records before the change, for its compensation (`()` for nothing).
    type Recorded: Serialize + DeserializeOwned + Send + Sync;

    /// Names the operation and reads what the compensation must restore, before any change.
    async fn prepare(&self, ctx: &Ctx<'_>) -> Result<Prepared<Self::Recorded>, StepError>;

    /// The forward action, with its verification.
    async fn execute(
        &self,
        ctx: &Ctx<'_>,
        recorded: &Self::Recorded,
    ) -> Result<Outcome<Self::Output>, StepError>;

    /// How a resumed run finds what an interrupted attempt did.
    fn reconciliation(&self) -> Reconciliation<'_, Self::Output>;

    /// Undoes the step; "not found" is success.
    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        undoing: Undoing<Self::Output, Self::Recorded>,
    ) -> Result<(), StepError>;
}

/// A step as the machine drives it: its types turned into the journal's JSON.
#[async_trait]
pub trait AnyStep: Send + Sync {
    async fn prepare(&self, ctx: &Ctx<'_>) -> Result<Prepared<serde_json::Value>, StepError>;
    async fn execute(
        &self,
        ctx: &Ctx<'_>,
        recorded: &serde_json::Value,
    ) -> Result<Outcome<serde_json::Value>, StepError>;
    /// Whether the step creates a resource that a describe call may not show for a few
    /// seconds: exactly the steps that reconcile by lookup.
    fn creates_resource(&self) -> bool;
    /// What an interrupted attempt did; `None` means "do it (again)".
    async fn reconcile(&self, ctx: &Ctx<'_>) -> Result<Option<serde_json::Value>, StepError>;
    /// Undoes the step. `record` holds its outputs when it finished, or only its intent when it
    /// was interrupted: then the compensation first reconciles to find what may have been
    /// created.
    async fn compensate(&self, ctx: &Ctx<'_>, record: &StepRecord) -> Result<(), StepError>;
}

#[async_trait]
impl<S: Step> AnyStep for S {
    async fn prepare(&self, ctx: &Ctx<'_>) -> Result<Prepared<serde_json::Value>, StepError> {
        let prepared = Step::prepare(self, ctx).await?;
        let recorded = to_json(
            &ctx.step.id,
            "the values its intent records",
            &prepared.recorded,
        )?;
        Ok(prepared.recording(recorded))
    }

    async fn execute(
        &self,
        ctx: &Ctx<'_>,
        recorded: &serde_json::Value,
    ) -> Result<Outcome<serde_json::Value>, StepError> {
        let recorded: S::Recorded =
            from_json(&ctx.step.id, "the values its intent recorded", recorded)?;
        match Step::execute(self, ctx, &recorded).await? {
            Outcome::Done(output) => Ok(Outcome::Done(to_json(
                &ctx.step.id,
                "its outputs",
                &output,
            )?)),
            Outcome::Skipped(reason) => Ok(Outcome::Skipped(reason)),
        }
    }

    fn creates_resource(&self) -> bool {
        matches!(self.reconciliation(), Reconciliation::Lookup(_))
    }

    async fn reconcile(&self, ctx: &Ctx<'_>) -> Result<Option<serde_json::Value>, StepError> {
        match self.reconciliation() {
            Reconciliation::Lookup(lookup) => match lookup.find(ctx).await? {
                Some(found) => Ok(Some(to_json(&ctx.step.id, "its outputs", &found)?)),
                None => Ok(None),
            },
            Reconciliation::IdempotentAsWhole => Ok(None),
        }
    }

    async fn compensate(&self, ctx: &Ctx<'_>, record: &StepRecord) -> Result<(), StepError> {
        let outputs = if !record.outputs.is_null() {
            Some(from_json(&ctx.step.id, "its outputs", &record.outputs)?)
        } else if record.intent.is_some() {
            match self.reconciliation() {
                Reconciliation::Lookup(lookup) => lookup.find(ctx).await?,
                Reconciliation::IdempotentAsWhole => None,
            }
        } else {
            None
        };
        let recorded = match &record.intent {
            Some(intent) => Some(from_json(
                &ctx.step.id,
                "the values its intent recorded",
                &intent.recorded,
            )?),
            None => None,
        };
        Step::compensate(self, ctx, Undoing { outputs, recorded }).await
    }
}

/// The step that carries out `action`. This match is the one dispatch on `Action`, and it has
/// no fallback arm on purpose.
pub fn definition(action: &Action) -> Box<dyn AnyStep + '_> {
    match action {
        Action::Preflight => Box::new(preflight::Preflight),
        Action::DiscoverSource => Box::new(discover::DiscoverSource),
        Action::CheckConnectionBudget => Box::new(connection_budget::CheckConnectionBudget),
        Action::ShrinkOldSide => Box::new(overlap::ShrinkOldSide),
        Action::GrowNewSide => Box::new(overlap::GrowNewSide),
        Action::CreateCluster => Box::new(cluster::CreateCluster),
        Action::CreateLogGroups {
            groups,
            retention_days,
        } => Box::new(logs::CreateLogGroups {
            groups,
            retention_days: *retention_days,
        }),
        Action::RegisterTaskDefinition {
            service,
            definition,
        } => Box::new(cluster::RegisterTaskDefinition {
            service,
            definition,
        }),
        Action::CreateServiceSecurityGroup => Box::new(security::CreateServiceSecurityGroup),
        Action::CreateLoadBalancerSecurityGroup => {
            Box::new(load_balancer_group::CreateLoadBalancerSecurityGroup)
        }
        Action::AllowLoadBalancerToService => {
            Box::new(security::Ingress(security::AllowLoadBalancerToService))
        }
        Action::OpenDataStore { store } => {
            Box::new(security::Ingress(security::OpenDataStore { store }))
        }
        Action::CreateTargetGroup => Box::new(load_balancer::CreateTargetGroup),
        Action::CreateBridgeTargetGroup => Box::new(load_balancer::CreateBridgeTargetGroup),
        Action::CreateLoadBalancer => Box::new(load_balancer::CreateLoadBalancer),
        Action::CreateListener { https } => {
            Box::new(load_balancer::CreateListener { https: *https })
        }
        Action::CopyLoadBalancerBehaviour => Box::new(behaviour::CopyLoadBalancerBehaviour),
        Action::CreateService { service } => Box::new(services::CreateService { service }),
        Action::CreateServiceScaling { service } => {
            Box::new(service_scaling::CreateServiceScaling { service })
        }
        Action::VerifyHealth => Box::new(health::VerifyHealth),
        Action::LowerTtl => Box::new(dns::LowerTtl),
        Action::CutoverDns => Box::new(dns::CutoverDns),
        Action::ShiftWeight { weight, bake_secs } => Box::new(dns::ShiftWeight {
            weight: *weight,
            bake_secs: *bake_secs,
        }),
        Action::ShiftListenerWeight { weight, bake_secs } => {
            Box::new(listener_shift::ShiftListenerWeight {
                weight: *weight,
                bake_secs: *bake_secs,
            })
        }
        Action::WatchNewSide { secs } => Box::new(guard::WatchNewSide { secs: *secs }),
        Action::Drain => Box::new(drain::Drain),
        Action::ScaleDownAutoScalingGroup => Box::new(scale_down::ScaleDownAutoScalingGroup),
        Action::ScaleDownOldService { service } => {
            Box::new(scale_down::ScaleDownOldService { service })
        }
        Action::ScaleDownBeanstalkEnvironment => {
            Box::new(beanstalk_capacity::ScaleDownBeanstalkEnvironment)
        }
        Action::StopOldInstances => Box::new(plain_instances::StopOldInstances),
        Action::CreateAlarms => Box::new(alarms::CreateAlarms),
    }
}

/// Compensations treat "already gone" as done.
pub fn ignore_not_found(result: Result<(), crate::ports::CloudError>) -> Result<(), StepError> {
    match result {
        Err(e) if e.is_not_found() => Ok(()),
        other => other.map_err(StepError::from),
    }
}
