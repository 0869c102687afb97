//! The step machine: runs a plan forward, or walks it back, writing the journal around every
//! effect.
//!
//! For each step, forward:
//! 1. If an earlier attempt recorded an intent but no result, reconcile: look for what it did
//!    (giving eventually consistent describes time to catch up) and adopt it.
//! 2. Otherwise record the intent durably (attempt, token, values to restore) — then call.
//! 3. Record the result durably.
//!
//! Transient failures are retried per the step's policy, with the attempt count persisted; a
//! step that runs past its deadline fails with the reason its wait gave, and the run stops with
//! rollback offered. A port answering `Interrupted` (fault injection: the process died) stops the
//! run at once, writing nothing more.
//!
//! Rollback runs compensations newest first; each is recorded before and after, so a crashed
//! rollback resumes where it stopped.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures::future::{select, Either};
use migrate_journal::{Intent, Phase, State, StateStore, StepStatus, Undo, UndoStatus};
use tracing::Instrument;

use crate::context::Ctx;
use crate::error::{EngineError, StepError};
use crate::phase::{next_run, Direction, NextRun, Operation};
use crate::ports::Cloud;
use crate::reporter::{Event, Reporter};
use crate::retry::{self, next_wait};
use crate::steps::{self, Outcome};

/// How long reconciliation keeps looking for what an interrupted attempt may have created before
/// concluding it created nothing: describe calls lag behind creates for a few seconds on AWS.
pub const CONSISTENCY_WAIT: Duration = Duration::from_secs(30);
const CONSISTENCY_POLL: Duration = Duration::from_secs(10);

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    /// Every step is done (or every undo, for a rollback).
    Completed,
    /// There was nothing left to do.
    NothingToDo,
}

/// Why a step stopped: the step itself failed (recorded in its record), or the journal could not
/// be written (then nothing more is written).
enum Stop {
    Step(StepError),
    Engine(EngineError),
}

impl From<StepError> for Stop {
    fn from(error: StepError) -> Self {
        Self::Step(error)
    }
}

impl From<EngineError> for Stop {
    fn from(error: EngineError) -> Self {
        Self::Engine(error)
    }
}

pub struct Engine {
    cloud: Cloud,
    store: Box<dyn StateStore>,
    reporter: Arc<dyn Reporter>,
    state: State,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("plan", &self.state.plan.id)
            .field("serial", &self.state.serial)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Loads the state from `store`; a missing, corrupt or foreign state is an error.
    pub fn new(
        cloud: Cloud,
        mut store: Box<dyn StateStore>,
        reporter: Arc<dyn Reporter>,
    ) -> Result<Self, EngineError> {
        let state = store.load()?;
        Ok(Self {
            cloud,
            store,
            reporter,
            state,
        })
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    fn save(&mut self) -> Result<(), EngineError> {
        save_state(&self.cloud, self.store.as_mut(), &mut self.state)
    }

    /// Does what `operation` means in the migration's phase ([`next_run`]): runs the plan
    /// forward from wherever it stopped, or walks it back.
    pub async fn run(&mut self, operation: Operation) -> Result<RunOutcome, EngineError> {
        if let Some(refusal) = crate::cleanup::refusal_after_cleanup(operation, &self.state) {
            return Err(EngineError::WrongPhase(refusal));
        }
        match next_run(operation, self.state.phase, &self.state.plan.name) {
            NextRun::Run(Direction::Forward) => self.forward().await,
            NextRun::Run(Direction::Backward) => self.backward().await,
            NextRun::NothingToDo(_) => Ok(RunOutcome::NothingToDo),
            NextRun::Refused(message) => Err(EngineError::WrongPhase(message)),
        }
    }

    /// Runs the plan forward from wherever it stopped.
    pub async fn apply(&mut self) -> Result<RunOutcome, EngineError> {
        self.run(Operation::Apply).await
    }

    /// Undoes every step that did something, newest first. Continues an interrupted rollback.
    pub async fn rollback(&mut self) -> Result<RunOutcome, EngineError> {
        self.run(Operation::Rollback).await
    }

    async fn forward(&mut self) -> Result<RunOutcome, EngineError> {
        if self.state.phase == Phase::HandingBack {
            // A hand back was interrupted: finish it, and stop there as it would have.
            return Err(self.hand_back().await);
        }
        self.state.phase = Phase::Applying;
        self.state.failure = None;
        self.save()?;
        let total = self.state.plan.steps.len();
        let already_done = self
            .state
            .steps
            .iter()
            .filter(|r| matches!(r.status, StepStatus::Done | StepStatus::Skipped))
            .count();
        self.reporter.report(&Event::RunStarted {
            operation: "apply",
            total,
            already_done,
        });
        for index in 0..total {
            let status = self.state.steps[index].status;
            if matches!(status, StepStatus::Done | StepStatus::Skipped) {
                continue;
            }
            match self.run_step(index).await {
                Ok(()) => {}
                Err(Stop::Step(error)) if error.is_breach() => {
                    // The breach and the hand back it starts are written in one save: a crash
                    // right after must not leave a failed traffic step that `resume` retries.
                    return Err(match self.fail(index, &error, Phase::HandingBack) {
                        EngineError::StepFailed { .. } => self.hand_back().await,
                        journal => journal,
                    });
                }
                Err(Stop::Step(error)) => return Err(self.fail(index, &error, Phase::Failed)),
                Err(Stop::Engine(error)) => return Err(error),
            }
        }
        self.state.phase = Phase::Applied;
        self.save()?;
        self.reporter
            .report(&Event::RunFinished { operation: "apply" });
        Ok(RunOutcome::Completed)
    }

    /// Records a step's failure and the phase it leaves the migration in; answers the error the
    /// run ends with.
    fn fail(&mut self, index: usize, error: &StepError, phase: Phase) -> EngineError {
        if error.is_interrupted() {
            return EngineError::Interrupted;
        }
        let step = self.state.plan.steps[index].id.clone();
        let reason = error.to_string();
        self.reporter.report(&Event::StepFailed {
            step: &step,
            reason: &reason,
        });
        let now = self.cloud.clock.now();
        let record = &mut self.state.steps[index];
        record.status = StepStatus::Failed;
        record.error = Some(reason.clone());
        record.finished_at = Some(now);
        self.state.phase = phase;
        self.state.failure = Some(format!("step {step} failed: {reason}"));
        if let Err(e) = self.save() {
            return e;
        }
        EngineError::StepFailed { step, reason }
    }

    /// After the traffic guard saw a limit broken: undoes, newest first, every step from the
    /// first traffic step on that needs it (the ramp goes straight back to the old side, the
    /// records or the listeners as recorded), then makes those steps pending again, so that
    /// `resume` moves the traffic again from the first traffic step, with a fresh recording.
    /// Everything before (the new side, a lowered TTL) stays. Continued by `resume` when
    /// interrupted; an undo that fails for good leaves the phase `HandingBack` (`rollback`
    /// then undoes everything).
    async fn hand_back(&mut self) -> EngineError {
        let steps = &self.state.plan.steps;
        let first = steps
            .iter()
            .position(|s| s.action.moves_traffic())
            .unwrap_or(steps.len());
        let (step, reason) = self.state.steps[first..]
            .iter()
            .find(|r| r.status == StepStatus::Failed)
            .map(|r| (r.id.clone(), r.error.clone().unwrap_or_default()))
            .unwrap_or_else(|| (String::new(), "the traffic guard stopped the move".into()));
        self.state.phase = Phase::HandingBack;
        if let Err(e) = self.save() {
            return e;
        }
        let queue: Vec<usize> = (first..self.state.steps.len())
            .rev()
            .filter(|&i| self.state.steps[i].needs_undo())
            .collect();
        self.reporter.report(&Event::RunStarted {
            operation: "hand back",
            total: queue.len(),
            already_done: 0,
        });
        let total = queue.len();
        for (position, index) in queue.into_iter().enumerate() {
            if let Err(e) = self.undo_step(index, position, total).await {
                return e;
            }
        }
        for index in first..self.state.steps.len() {
            if self.state.steps[index].status != StepStatus::Pending {
                let id = self.state.steps[index].id.clone();
                self.state.steps[index] = migrate_journal::StepRecord::new(&id);
            }
        }
        self.state.phase = Phase::Failed;
        self.state.failure = Some(format!(
            "step {step} handed every request back to the old side: {reason}"
        ));
        if let Err(e) = self.save() {
            return e;
        }
        self.reporter.report(&Event::RunFinished {
            operation: "hand back",
        });
        EngineError::HandedBack { step, reason }
    }

    fn ctx(&self, index: usize, deadline: chrono::DateTime<Utc>) -> Ctx<'_> {
        Ctx {
            cloud: &self.cloud,
            state: &self.state,
            step: &self.state.plan.steps[index],
            reporter: &self.reporter,
            deadline,
        }
    }

    async fn run_step(&mut self, index: usize) -> Result<(), Stop> {
        let span = tracing::info_span!(
            "step",
            id = %self.state.plan.steps[index].id,
            attempt = tracing::field::Empty
        );
        self.run_step_in(index, &span)
            .instrument(span.clone())
            .await
    }

    async fn run_step_in(&mut self, index: usize, span: &tracing::Span) -> Result<(), Stop> {
        let step = self.state.plan.steps[index].clone();
        let started = self.cloud.clock.now();
        let deadline = started + chrono::Duration::seconds(step.deadline_secs as i64);
        if self.state.steps[index].started_at.is_none() {
            self.state.steps[index].started_at = Some(started);
        }
        loop {
            // 1. Reconcile what an earlier attempt may have done.
            if let Some(intent) = self.state.steps[index].intent.clone() {
                if let Some(outputs) = self.reconcile(index, deadline).await? {
                    tracing::info!("reconcile found what the interrupted attempt did");
                    self.reporter
                        .report(&Event::StepReconciled { step: &step.id });
                    self.finish(index, Outcome::Done(outputs), started)?;
                    return Ok(());
                }
                tracing::info!(
                    previous_attempt = intent.attempt,
                    "reconcile found nothing; calling again"
                );
            }
            // 2. Durable intent.
            let prepared = match &self.state.steps[index].intent {
                Some(previous) => steps::Prepared {
                    operation: previous.operation.clone(),
                    token: previous.token.clone(),
                    recorded: previous.recorded.clone(),
                },
                None => self.prepare(index, deadline).await?,
            };
            let attempt = self.state.steps[index].attempts + 1;
            span.record("attempt", attempt);
            let intent = Intent {
                attempt,
                at: self.cloud.clock.now(),
                operation: prepared.operation,
                token: prepared.token,
                recorded: prepared.recorded,
            };
            {
                let record = &mut self.state.steps[index];
                record.attempts = attempt;
                record.status = StepStatus::Running;
                record.intent = Some(intent.clone());
            }
            self.save()?;
            tracing::info!(operation = %intent.operation, "intent written");
            self.reporter.report(&Event::StepStarted {
                index,
                total: self.state.plan.steps.len(),
                step: &step.id,
                summary: &step.summary,
                attempt,
            });
            // 3. The call, then the durable result.
            let result = {
                let ctx = self.ctx(index, deadline);
                let definition = steps::definition(&ctx.step.action);
                with_deadline(&ctx, definition.execute(&ctx, &intent.recorded)).await
            };
            let error = match result {
                Ok(outcome) => {
                    self.finish(index, outcome, started)?;
                    return Ok(());
                }
                Err(error) if error.is_interrupted() => return Err(Stop::Step(error)),
                Err(error) if error.is_transient() => error,
                Err(error) => return Err(Stop::Step(error)),
            };
            let Some(wait) = next_wait(&step.retry, attempt, step.retry.max_attempts) else {
                return Err(Stop::Step(error));
            };
            if self.cloud.clock.now() + chrono::Duration::from_std(wait).unwrap_or_default()
                >= deadline
            {
                return Err(Stop::Step(error));
            }
            let message = error.to_string();
            tracing::warn!(
                wait_ms = wait.as_millis() as u64,
                error = %message,
                "the step failed transiently; retrying it"
            );
            self.state.steps[index].error = Some(message.clone());
            self.save()?;
            self.reporter.report(&Event::Retrying {
                step: &step.id,
                attempt,
                error: &message,
                wait,
            });
            self.cloud.clock.sleep(wait).await;
        }
    }

    /// Reads what the step's compensation will need, retrying transient errors like the call
    /// itself: a throttled read must not fail a migration.
    async fn prepare(
        &self,
        index: usize,
        deadline: chrono::DateTime<Utc>,
    ) -> Result<steps::Prepared<serde_json::Value>, StepError> {
        let ctx = self.ctx(index, deadline);
        let definition = steps::definition(&ctx.step.action);
        retry::retrying(&ctx, || with_deadline(&ctx, definition.prepare(&ctx))).await
    }

    /// Looks for an earlier attempt's effect, polling for up to [`CONSISTENCY_WAIT`] when the
    /// step creates something, because a describe may not show a resource created seconds ago.
    async fn reconcile(
        &self,
        index: usize,
        deadline: chrono::DateTime<Utc>,
    ) -> Result<Option<serde_json::Value>, StepError> {
        let ctx = self.ctx(index, deadline);
        let definition = steps::definition(&ctx.step.action);
        let creates = definition.creates_resource();
        let give_up = self.cloud.clock.now()
            + chrono::Duration::from_std(CONSISTENCY_WAIT).unwrap_or_default();
        loop {
            match with_deadline(&ctx, definition.reconcile(&ctx)).await {
                Ok(Some(found)) => return Ok(Some(found)),
                Ok(None) if !creates || self.cloud.clock.now() >= give_up => return Ok(None),
                Ok(None) => {}
                Err(e) if e.is_transient() => {
                    tracing::warn!(error = %e, "reconcile failed transiently; looking again");
                }
                Err(e) => return Err(e),
            }
            ctx.waiting("looking for what the interrupted attempt created", None);
            self.cloud.clock.sleep(CONSISTENCY_POLL).await;
        }
    }

    fn finish(
        &mut self,
        index: usize,
        outcome: Outcome<serde_json::Value>,
        started: chrono::DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let now = self.cloud.clock.now();
        let id = self.state.plan.steps[index].id.clone();
        let record = &mut self.state.steps[index];
        record.finished_at = Some(now);
        record.error = None;
        match outcome {
            Outcome::Done(outputs) => {
                record.status = StepStatus::Done;
                record.outputs = outputs;
                self.save()?;
                self.reporter.report(&Event::StepDone {
                    step: &id,
                    elapsed: (now - started).to_std().unwrap_or_default(),
                });
            }
            Outcome::Skipped(reason) => {
                record.status = StepStatus::Skipped;
                record.skipped = Some(reason.clone());
                self.save()?;
                self.reporter.report(&Event::StepSkipped {
                    step: &id,
                    reason: &reason,
                });
            }
        }
        Ok(())
    }

    async fn backward(&mut self) -> Result<RunOutcome, EngineError> {
        let queue: Vec<usize> = (0..self.state.steps.len())
            .rev()
            .filter(|&i| self.state.steps[i].needs_undo())
            .collect();
        self.state.phase = Phase::RollingBack;
        self.save()?;
        self.reporter.report(&Event::RunStarted {
            operation: "rollback",
            total: queue.len(),
            already_done: 0,
        });
        let total = queue.len();
        for (position, index) in queue.into_iter().enumerate() {
            self.undo_step(index, position, total).await?;
        }
        self.state.phase = Phase::RolledBack;
        self.state.failure = None;
        self.save()?;
        self.reporter.report(&Event::RunFinished {
            operation: "rollback",
        });
        Ok(RunOutcome::Completed)
    }

    async fn undo_step(
        &mut self,
        index: usize,
        position: usize,
        total: usize,
    ) -> Result<(), EngineError> {
        let span = tracing::info_span!(
            "undo",
            id = %self.state.plan.steps[index].id,
            attempt = tracing::field::Empty
        );
        self.undo_step_in(index, position, total, &span)
            .instrument(span.clone())
            .await
    }

    async fn undo_step_in(
        &mut self,
        index: usize,
        position: usize,
        total: usize,
        span: &tracing::Span,
    ) -> Result<(), EngineError> {
        let step = self.state.plan.steps[index].clone();
        let now = self.cloud.clock.now();
        let attempts = self.state.steps[index]
            .undo
            .as_ref()
            .map_or(0, |u| u.attempts);
        self.state.steps[index].undo = Some(Undo {
            status: UndoStatus::Running,
            attempts,
            started_at: now,
            finished_at: None,
            error: None,
        });
        self.save()?;
        self.reporter.report(&Event::UndoStarted {
            step: &step.id,
            index: position,
            total,
        });
        let deadline = now + chrono::Duration::seconds(step.deadline_secs.max(1800) as i64);
        let mut attempt = attempts;
        loop {
            attempt += 1;
            span.record("attempt", attempt);
            tracing::info!("compensation started");
            let result = {
                let ctx = self.ctx(index, deadline);
                let record = self.state.steps[index].clone();
                let definition = steps::definition(&ctx.step.action);
                with_deadline(&ctx, definition.compensate(&ctx, &record)).await
            };
            let now = self.cloud.clock.now();
            let retry_wait = match &result {
                Err(error) if !matches!(error, StepError::Deadline(_)) => {
                    next_wait(&step.retry, attempt, step.retry.max_attempts.max(10))
                }
                _ => None,
            };
            match (result, retry_wait) {
                (Ok(()), _) => {
                    tracing::info!("compensation done");
                    if let Some(undo) = self.state.steps[index].undo.as_mut() {
                        undo.status = UndoStatus::Done;
                        undo.attempts = attempt;
                        undo.finished_at = Some(now);
                        undo.error = None;
                    }
                    self.save()?;
                    self.reporter.report(&Event::UndoDone { step: &step.id });
                    return Ok(());
                }
                (Err(error), _) if error.is_interrupted() => return Err(EngineError::Interrupted),
                // A compensation is retried on any error short of the deadline: a dependency
                // still draining (a security group held by a task's network interface, a target
                // group held by a load balancer being deleted) clears by itself.
                (Err(error), Some(wait)) => {
                    tracing::warn!(
                        wait_ms = wait.as_millis() as u64,
                        error = %error,
                        "compensation failed; retrying it"
                    );
                    if let Some(undo) = self.state.steps[index].undo.as_mut() {
                        undo.attempts = attempt;
                        undo.error = Some(error.to_string());
                    }
                    self.save()?;
                    let message = error.to_string();
                    self.reporter.report(&Event::Retrying {
                        step: &step.id,
                        attempt,
                        error: &message,
                        wait,
                    });
                    self.cloud.clock.sleep(wait).await;
                }
                (Err(error), None) => {
                    let reason = error.to_string();
                    tracing::warn!(error = %reason, "compensation failed for good");
                    if let Some(undo) = self.state.steps[index].undo.as_mut() {
                        undo.status = UndoStatus::Failed;
                        undo.attempts = attempt;
                        undo.error = Some(reason.clone());
                    }
                    self.state.failure = Some(format!("undoing step {} failed: {reason}", step.id));
                    self.save()?;
                    self.reporter.report(&Event::UndoFailed {
                        step: &step.id,
                        reason: &reason,
                    });
                    return Err(EngineError::UndoFailed {
                        step: step.id,
                        reason,
                    });
                }
            }
        }
    }
}

/// Runs `work`, failing it when the step's deadline passes even if a call hangs.
async fn with_deadline<T>(
    ctx: &Ctx<'_>,
    work: impl std::future::Future<Output = Result<T, StepError>>,
) -> Result<T, StepError> {
    let left = (ctx.deadline - ctx.now()).to_std().unwrap_or_default();
    let timer = ctx.cloud.clock.sleep(left);
    let work = std::pin::pin!(work);
    match select(work, timer).await {
        Either::Left((result, _)) => result,
        Either::Right(((), _)) => Err(StepError::Deadline(format!(
            "did not finish within {} (a call to the cloud did not answer)",
            migrate_playbook::render_duration(Duration::from_secs(ctx.step.deadline_secs))
        ))),
    }
}

/// Stamps and writes `state`: the one way the apply machine and the clean-up checkpoint. A write
/// the user interrupted stops the run as an interruption, not as a journal failure.
pub(crate) fn save_state(
    cloud: &Cloud,
    store: &mut dyn StateStore,
    state: &mut State,
) -> Result<(), EngineError> {
    state.updated_at = cloud.clock.now();
    store.save(state).map_err(|e| match e {
        migrate_journal::JournalError::Interrupted => EngineError::Interrupted,
        other => EngineError::Journal(other),
    })
}
