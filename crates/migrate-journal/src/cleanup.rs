//! The record of `migrate cleanup`: who confirmed it, when, why the soak was cut short (if it
//! was), and one record per deletion, in the order they run.
//!
//! The deletion set is written here when the user confirms it, before the first deletion, so
//! that a resumed clean-up deletes exactly what was shown and confirmed, never a set discovered
//! again later. Its presence is also what makes `migrate rollback` refuse: once anything of the
//! old side may have been deleted there is nothing to roll back to.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::state::StepStatus;

/// The clean-up of the old side, once confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cleanup {
    /// Who confirmed it, as `user@host`.
    pub confirmed_by: String,
    pub confirmed_at: DateTime<Utc>,
    /// The reason given with `--soak-override`, when the soak period was not over.
    pub soak_override: Option<String>,
    /// When the last deletion finished.
    pub finished_at: Option<DateTime<Utc>>,
    pub deletions: Vec<DeletionRecord>,
}

impl Cleanup {
    /// Whether every deletion is done.
    pub fn is_finished(&self) -> bool {
        self.deletions
            .iter()
            .all(|d| matches!(d.status, StepStatus::Done | StepStatus::Skipped))
    }

    /// How many deletions are done.
    pub fn done(&self) -> usize {
        self.deletions
            .iter()
            .filter(|d| matches!(d.status, StepStatus::Done | StepStatus::Skipped))
            .count()
    }
}

/// One deletion: what it deletes, and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionRecord {
    /// e.g. `delete-auto-scaling-group:shop-ecs-instances`.
    pub id: String,
    /// The resource in words, with its id, as `--plan` showed it.
    pub summary: String,
    /// The resource as the engine types it (its ids); the journal stores its JSON.
    pub target: serde_json::Value,
    pub status: StepStatus,
    pub attempts: u32,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// What the deletion found: `deleted`, or `already gone`.
    pub outcome: Option<String>,
    pub error: Option<String>,
}

impl DeletionRecord {
    pub fn new(
        id: impl Into<String>,
        summary: impl Into<String>,
        target: serde_json::Value,
    ) -> Self {
        Self {
            id: id.into(),
            summary: summary.into(),
            target,
            status: StepStatus::Pending,
            attempts: 0,
            started_at: None,
            finished_at: None,
            outcome: None,
            error: None,
        }
    }
}
