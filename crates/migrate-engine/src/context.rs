//! What a step sees while it runs: the ports, the plan, earlier steps' outputs, and helpers for
//! tags, tokens, polling and deadlines.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use migrate_journal::{State, StepRecord};
use migrate_plan::{Plan, PlannedStep};
use migrate_playbook::Playbook;
use sha2::{Digest, Sha256};

use crate::error::StepError;
use crate::outputs::{self, StepOutput};
use crate::ports::{Cloud, Tags, TAG_PLAN_ID, TAG_STEP};
use crate::reporter::{Event, Reporter};
use crate::retry;

pub struct Ctx<'a> {
    pub cloud: &'a Cloud,
    pub state: &'a State,
    pub step: &'a PlannedStep,
    pub reporter: &'a Arc<dyn Reporter>,
    /// When the step must be done by.
    pub deadline: DateTime<Utc>,
}

impl<'a> Ctx<'a> {
    pub fn plan(&self) -> &'a Plan {
        &self.state.plan
    }

    pub fn playbook(&self) -> &'a Playbook {
        &self.state.plan.playbook
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.cloud.clock.now()
    }

    /// The outputs of the earlier step that records `T`; their absence is an inconsistent state.
    pub fn output<T: StepOutput>(&self) -> Result<T, StepError> {
        self.required(T::STEP)
    }

    /// The outputs of the step that records `T` for `key` (a service, a store), e.g.
    /// `register-task-definition:web`.
    pub fn output_of<T: StepOutput>(&self, key: &str) -> Result<T, StepError> {
        self.required(&format!("{}:{key}", T::STEP))
    }

    /// Outputs that may be absent (the step was skipped, or has not run yet); present outputs
    /// that do not read as `T` are still an error.
    pub fn optional_output<T: StepOutput>(&self) -> Result<Option<T>, StepError> {
        outputs::read(self.state, T::STEP)
    }

    fn required<T: StepOutput>(&self, step: &str) -> Result<T, StepError> {
        outputs::read(self.state, step)?.ok_or_else(|| {
            StepError::precondition(format!(
                "step {step} has recorded no outputs; the state is inconsistent"
            ))
        })
    }

    pub fn record(&self, step: &str) -> Option<&'a StepRecord> {
        self.state.record(step)
    }

    /// The tags every resource this step creates carries (invariant 3).
    pub fn tags(&self) -> Tags {
        let mut tags: Tags = self.playbook().tags.clone();
        tags.insert(TAG_PLAN_ID.into(), self.plan().id.clone());
        tags.insert(TAG_STEP.into(), self.step.id.clone());
        tags.insert("migrate:name".into(), self.plan().name.clone());
        tags
    }

    /// An idempotency token derived from the plan and the step: the same on every attempt and
    /// every resume, different for every step of every plan. 32 hex characters fit the
    /// 36-character limit of ECS's `clientToken`.
    pub fn token(&self) -> String {
        let digest = Sha256::digest(format!("{}/{}", self.plan().id, self.step.id));
        hex::encode(&digest[..16])
    }

    pub fn waiting(&self, message: &str, fraction: Option<f64>) {
        self.reporter.report(&Event::Waiting {
            step: &self.step.id,
            message,
            fraction,
        });
    }

    /// Sleeps for `interval`, or fails with `describe()` as the reason if the deadline would pass.
    pub async fn pause(
        &self,
        interval: Duration,
        describe: impl FnOnce() -> String,
    ) -> Result<(), StepError> {
        let now = self.now();
        // Sleeping until the deadline would only let the step's timer end it with a message
        // that no longer says what was awaited (e.g. a task's stopped reason); give up now.
        let woken = chrono::Duration::from_std(interval)
            .ok()
            .and_then(|wait| now.checked_add_signed(wait));
        if woken.is_none_or(|woken| woken >= self.deadline) {
            return Err(StepError::Deadline(format!(
                "gave up after {}: {}",
                migrate_playbook::render_duration(Duration::from_secs(self.step.deadline_secs)),
                describe()
            )));
        }
        let left = (self.deadline - now).to_std().unwrap_or_default();
        self.cloud
            .clock
            .sleep(interval.min(left).max(Duration::from_millis(1)))
            .await;
        Ok(())
    }
}

impl Ctx<'_> {
    /// Makes one call, retrying it alone on transient errors per the step's retry policy. A step
    /// that makes many calls (discovery reads a dozen things) would otherwise start over on every
    /// throttled answer and, under sustained throttling, never get through all of them.
    pub async fn call<T, F, Fut>(&self, mut call: F) -> Result<T, StepError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = crate::ports::CloudResult<T>>,
    {
        retry::retrying(self, || {
            let attempt = call();
            async move { attempt.await.map_err(StepError::from) }
        })
        .await
    }

    /// The answer of a read made while polling. A transient error (throttling, 5xx, a time-out)
    /// is "not known yet" rather than a failure: the wait goes on until its deadline anyway, and
    /// failing the step would restart the whole wait and spend one of its attempts.
    pub fn tolerate<T>(
        &self,
        result: crate::ports::CloudResult<T>,
    ) -> Result<Option<T>, StepError> {
        match result {
            Ok(value) => Ok(Some(value)),
            Err(e) if e.kind.is_transient() => {
                self.waiting(&format!("will ask again after: {e}"), None);
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// How often waits poll. Short enough that a wait ends within a few seconds of its condition
/// becoming true; long enough to stay well inside AWS's describe-call rate limits.
pub const POLL: Duration = Duration::from_secs(5);
