//! The state of one migration: the plan, and a record per step of what happened to it.

use chrono::{DateTime, Utc};
use migrate_plan::Plan;
use serde::{Deserialize, Serialize};

use crate::cleanup::Cleanup;

/// The version of the state file format; a state of another version is refused.
///
/// Format 2 stores step outputs and an intent's recorded values as typed JSON (lists as lists,
/// nested data nested); format 1 stored them as string maps and is no longer read. Format 3
/// holds a plan of format 2, which carries the account snapshot `migrate plan` read; a format-2
/// state was planned without one and is refused like format 1 (plan again).
pub const STATE_FORMAT: u32 = 3;

/// Where the migration as a whole stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Planned, nothing applied yet.
    Planned,
    /// `apply` is running, or stopped (crashed, interrupted) before it finished.
    Applying,
    /// Every step is done.
    Applied,
    /// A step failed for good; `resume` retries it, `rollback` undoes what was done.
    Failed,
    /// `rollback` is running, or stopped before it finished.
    RollingBack,
    /// The traffic guard saw the new side break a limit: the traffic steps are being undone so
    /// that the old side serves every request again (`resume` finishes that and stops there;
    /// `rollback` undoes everything). Then `Failed`, with the traffic steps pending again.
    HandingBack,
    /// Everything done has been undone.
    RolledBack,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    Pending,
    /// The intent is recorded: a call may have been made, and its result is not recorded yet.
    /// On resume the step reconciles before it calls again.
    Running,
    Done,
    Failed,
    /// Nothing to do for this step in this account (e.g. no HTTPS listener on the old side).
    Skipped,
}

/// What a step is about to do, written durably before the call (invariant 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    pub attempt: u32,
    pub at: DateTime<Utc>,
    /// What will be called, e.g. `create load balancer shop-fg-3f2a9c`.
    pub operation: String,
    /// The deterministic name or idempotency token the call uses.
    pub token: Option<String>,
    /// Values read before the change that the compensation restores (e.g. the ASG's capacity).
    /// They are recorded here, before the call, because after a lost response the cloud already
    /// shows the new values. The engine owns their shape; the journal stores them as JSON.
    pub recorded: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UndoStatus {
    Running,
    Done,
    Failed,
}

/// The rollback of one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Undo {
    pub status: UndoStatus,
    pub attempts: u32,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    pub id: String,
    pub status: StepStatus,
    /// Attempts so far, across runs.
    pub attempts: u32,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub intent: Option<Intent>,
    /// What the step produced: ARNs, ids, DNS names, as the JSON of the engine's typed output
    /// (`null` until the step is done). Later steps and compensations read them.
    pub outputs: serde_json::Value,
    /// Why the step had nothing to do, when it was skipped.
    pub skipped: Option<String>,
    pub error: Option<String>,
    pub undo: Option<Undo>,
}

impl StepRecord {
    pub fn new(id: &str) -> Self {
        Self {
            id: id.to_string(),
            status: StepStatus::Pending,
            attempts: 0,
            started_at: None,
            finished_at: None,
            intent: None,
            outputs: serde_json::Value::Null,
            skipped: None,
            error: None,
            undo: None,
        }
    }

    /// Whether a rollback has anything to undo for this step: it finished, or it recorded an
    /// intent and so may have created something.
    pub fn needs_undo(&self) -> bool {
        let touched = match self.status {
            StepStatus::Done => true,
            StepStatus::Running | StepStatus::Failed => self.intent.is_some(),
            StepStatus::Pending | StepStatus::Skipped => false,
        };
        touched
            && self
                .undo
                .as_ref()
                .is_none_or(|u| u.status != UndoStatus::Done)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub format: u32,
    /// Fixed when the state is first written; a state of another lineage is never merged.
    pub lineage: String,
    /// Incremented by every write; a write over a newer serial is refused.
    pub serial: u64,
    pub phase: Phase,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Why the last run stopped, when it failed.
    pub failure: Option<String>,
    pub plan: Plan,
    pub steps: Vec<StepRecord>,
    /// The clean-up of the old side, from the moment it was confirmed (`migrate cleanup`).
    /// Absent from states written before it existed, and until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleanup: Option<Cleanup>,
}

impl State {
    /// A fresh state for a plan, with a new lineage.
    pub fn new(plan: Plan, now: DateTime<Utc>) -> Self {
        let steps = plan.steps.iter().map(|s| StepRecord::new(&s.id)).collect();
        Self {
            format: STATE_FORMAT,
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            phase: Phase::Planned,
            created_at: now,
            updated_at: now,
            failure: None,
            plan,
            steps,
            cleanup: None,
        }
    }

    pub fn record(&self, id: &str) -> Option<&StepRecord> {
        self.steps.iter().find(|r| r.id == id)
    }

    /// The outputs a step recorded, when it recorded any.
    pub fn outputs(&self, step: &str) -> Option<&serde_json::Value> {
        self.record(step)
            .map(|r| &r.outputs)
            .filter(|outputs| !outputs.is_null())
    }

    /// Steps a rollback would undo now, newest first.
    pub fn undo_queue(&self) -> Vec<&StepRecord> {
        self.steps.iter().rev().filter(|r| r.needs_undo()).collect()
    }
}
