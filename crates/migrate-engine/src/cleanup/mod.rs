//! `migrate cleanup`: deleting the old side after the soak period, the point of no return.
//!
//! A sibling of the step machine rather than more steps of the plan: the plan's steps each have
//! a compensation, and a deletion of the old side has none (a deleted load balancer, volume or
//! launch template cannot be brought back as it was). So clean-up is its own run, guarded three
//! ways: the migration must have finished, the soak period must be over (or a reason given to
//! cut it short), and the user must confirm the exact set of deletions [`discover`] found. That
//! set is written into the state ([`migrate_journal::Cleanup`]) before the first deletion, so a
//! resumed clean-up deletes exactly what was shown and nothing discovered later.
//!
//! Each deletion is one record, written before the call (`running`, attempt) and after it
//! (`done` with what it found), the way the step machine writes intent and result. Deletions are
//! idempotent ("not found" is done), so a deletion interrupted by a crash simply runs again.
//! A resource still in use stops the run with the reason and leaves the rest untouched; once it
//! is resolved, `migrate cleanup` continues from there. Once confirmed, `migrate rollback`
//! refuses ([`refusal_after_cleanup`]).

mod deletion;
mod discover;
mod gate;

use std::sync::Arc;
use std::time::Duration;

use futures::future::{select, Either};
use migrate_journal::{Cleanup, DeletionRecord, State, StateStore, StepStatus};
use migrate_plan::RetryPolicy;

pub use deletion::{Deleted, Deletion};
pub use discover::{discover, CleanupPlan};
pub use gate::{refusal_after_cleanup, soak, soak_refusal, Soak};

use crate::error::{EngineError, StepError};
use crate::machine::{save_state, RunOutcome};
use crate::outputs::{from_json, to_json};
use crate::ports::Cloud;
use crate::reporter::{Event, Reporter};
use crate::retry::next_wait;

/// Transient errors (throttling, 5xx, time-outs) are retried this way within one run.
const RETRY: RetryPolicy = RetryPolicy {
    initial_interval_ms: 2_000,
    factor: 2.0,
    max_interval_ms: 30_000,
    max_attempts: 6,
};

/// A deletion call that has not answered after this long is cut off and fails the run (the
/// deletion, idempotent, runs again on the next one).
const CALL_TIMEOUT: Duration = Duration::from_secs(600);

/// Runs the clean-up of one migration against its state.
pub struct Cleaner {
    cloud: Cloud,
    store: Box<dyn StateStore>,
    reporter: Arc<dyn Reporter>,
    state: State,
}

impl std::fmt::Debug for Cleaner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cleaner")
            .field("plan", &self.state.plan.id)
            .finish_non_exhaustive()
    }
}

impl Cleaner {
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

    /// What clean-up would delete now (read-only). Refused unless the migration finished.
    pub async fn discover(&self) -> Result<CleanupPlan, EngineError> {
        let soak = soak(&self.state).map_err(EngineError::WrongPhase)?;
        discover(&self.cloud, &self.state, soak.finished_at)
            .await
            .map_err(|e| match e {
                e if e.is_interrupted() => EngineError::Interrupted,
                e => EngineError::WrongPhase(format!(
                    "could not find what clean-up would delete: {e}"
                )),
            })
    }

    /// Records the confirmed deletion set, before anything is deleted. Refused when the
    /// migration has not finished, when the soak is not over and no reason was given, and when
    /// a clean-up was confirmed already (its set is the one that runs).
    pub fn confirm(
        &mut self,
        plan: &CleanupPlan,
        confirmed_by: &str,
        soak_override: Option<&str>,
    ) -> Result<(), EngineError> {
        if let Some(existing) = &self.state.cleanup {
            return Err(EngineError::WrongPhase(format!(
                "a clean-up of {} was confirmed already by {} at {}; `migrate cleanup {}` \
                 continues it with the set it confirmed",
                self.state.plan.name,
                existing.confirmed_by,
                existing.confirmed_at,
                self.state.plan.name
            )));
        }
        let soak = soak(&self.state).map_err(EngineError::WrongPhase)?;
        let now = self.cloud.clock.now();
        if let Some(refusal) = soak_refusal(&soak, now, soak_override) {
            return Err(EngineError::WrongPhase(refusal));
        }
        let mut deletions = Vec::with_capacity(plan.deletions.len());
        for deletion in &plan.deletions {
            let id = deletion.id();
            let target = to_json(&id, "the resource it deletes", deletion)
                .map_err(|e| EngineError::WrongPhase(e.to_string()))?;
            deletions.push(DeletionRecord::new(id, deletion.summary(), target));
        }
        self.state.cleanup = Some(Cleanup {
            confirmed_by: confirmed_by.to_string(),
            confirmed_at: now,
            soak_override: soak_override
                .filter(|_| !soak.is_over(now))
                .map(str::to_string),
            finished_at: None,
            deletions,
        });
        self.save()
    }

    /// Runs the confirmed deletions in order, from the first not done.
    pub async fn run(&mut self) -> Result<RunOutcome, EngineError> {
        let Some(cleanup) = &self.state.cleanup else {
            return Err(EngineError::WrongPhase(format!(
                "no clean-up of {} has been confirmed; `migrate cleanup {} --plan` shows what \
                 it would delete",
                self.state.plan.name, self.state.plan.name
            )));
        };
        if cleanup.finished_at.is_some() {
            return Ok(RunOutcome::NothingToDo);
        }
        let total = cleanup.deletions.len();
        self.reporter.report(&Event::RunStarted {
            operation: "cleanup",
            total,
            already_done: cleanup.done(),
        });
        for index in 0..total {
            self.run_one(index, total).await?;
        }
        let now = self.cloud.clock.now();
        if let Some(cleanup) = self.state.cleanup.as_mut() {
            cleanup.finished_at = Some(now);
        }
        self.save()?;
        self.reporter.report(&Event::RunFinished {
            operation: "cleanup",
        });
        Ok(RunOutcome::Completed)
    }

    fn record(&mut self, index: usize) -> Option<&mut DeletionRecord> {
        self.state
            .cleanup
            .as_mut()
            .and_then(|c| c.deletions.get_mut(index))
    }

    async fn run_one(&mut self, index: usize, total: usize) -> Result<(), EngineError> {
        let Some(record) = self.record(index) else {
            return Ok(());
        };
        if matches!(record.status, StepStatus::Done | StepStatus::Skipped) {
            return Ok(());
        }
        let id = record.id.clone();
        let summary = record.summary.clone();
        let deletion: Deletion = from_json(&id, "the resource it deletes", &record.target)
            .map_err(|e| self.stopped(index, &id, &e))?;
        let span = tracing::info_span!("cleanup", id = %id);
        let _entered = span.enter();
        let mut attempt_in_run = 0;
        loop {
            attempt_in_run += 1;
            let now = self.cloud.clock.now();
            let attempt = match self.record(index) {
                Some(record) => {
                    record.status = StepStatus::Running;
                    record.attempts += 1;
                    record.started_at.get_or_insert(now);
                    record.attempts
                }
                None => return Ok(()),
            };
            self.save()?;
            tracing::info!(attempt, "deletion intent written");
            self.reporter.report(&Event::StepStarted {
                index,
                total,
                step: &id,
                summary: &summary,
                attempt,
            });
            let result = self.call(&deletion).await;
            let now = self.cloud.clock.now();
            match result {
                Ok(found) => {
                    if let Some(record) = self.record(index) {
                        record.status = StepStatus::Done;
                        record.finished_at = Some(now);
                        record.outcome = Some(found.as_str().to_string());
                        record.error = None;
                    }
                    self.save()?;
                    tracing::info!(outcome = found.as_str(), "deletion done");
                    let elapsed = self
                        .state
                        .cleanup
                        .as_ref()
                        .and_then(|c| c.deletions.get(index))
                        .and_then(|r| r.started_at)
                        .map(|started| (now - started).to_std().unwrap_or_default())
                        .unwrap_or_default();
                    self.reporter
                        .report(&Event::StepDone { step: &id, elapsed });
                    return Ok(());
                }
                Err(error) if error.is_interrupted() => return Err(EngineError::Interrupted),
                Err(error) if error.is_transient() => {
                    let Some(wait) = next_wait(&RETRY, attempt_in_run, RETRY.max_attempts) else {
                        return Err(self.stopped(index, &id, &error));
                    };
                    let message = error.to_string();
                    tracing::warn!(error = %message, "deletion failed transiently; retrying it");
                    if let Some(record) = self.record(index) {
                        record.error = Some(message.clone());
                    }
                    self.save()?;
                    self.reporter.report(&Event::Retrying {
                        step: &id,
                        attempt,
                        error: &message,
                        wait,
                    });
                    self.cloud.clock.sleep(wait).await;
                }
                Err(error) => return Err(self.stopped(index, &id, &error)),
            }
        }
    }

    /// The deletion, cut off if a call hangs.
    async fn call(&self, deletion: &Deletion) -> Result<Deleted, StepError> {
        let work = std::pin::pin!(deletion.run(&self.cloud));
        let timer = self.cloud.clock.sleep(CALL_TIMEOUT);
        match select(work, timer).await {
            Either::Left((result, _)) => result,
            Either::Right(((), _)) => Err(StepError::Deadline(format!(
                "{} did not answer within {}",
                deletion.summary(),
                migrate_playbook::render_duration(CALL_TIMEOUT)
            ))),
        }
    }

    /// Records why deletion `index` stopped; answers the error the run ends with.
    fn stopped(&mut self, index: usize, id: &str, error: &StepError) -> EngineError {
        let reason = error.to_string();
        tracing::warn!(error = %reason, "deletion stopped");
        self.reporter.report(&Event::StepFailed {
            step: id,
            reason: &reason,
        });
        let now = self.cloud.clock.now();
        if let Some(record) = self.record(index) {
            record.status = StepStatus::Failed;
            record.error = Some(reason.clone());
            record.finished_at = Some(now);
        }
        if let Err(e) = self.save() {
            return e;
        }
        EngineError::CleanupStopped {
            deletion: id.to_string(),
            reason,
            name: self.state.plan.name.clone(),
        }
    }
}
