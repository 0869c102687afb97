use migrate_journal::JournalError;

use crate::ports::{CloudError, ErrorKind};

/// Why a step could not finish, in words an operator can act on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StepError {
    /// A port call failed.
    #[error(transparent)]
    Cloud(#[from] CloudError),
    /// The account is not as the playbook says (a missing resource, a record pointing elsewhere):
    /// retrying cannot help.
    #[error("{0}")]
    Precondition(String),
    /// A wait ran out of time; the message says what was still missing.
    #[error("{0}")]
    Deadline(String),
    /// The traffic guard saw the new side break one of the playbook's limits while it took
    /// traffic; the machine hands every request back to the old side.
    #[error("the traffic guard saw the new side break a limit: {0}")]
    Breach(String),
}

impl StepError {
    pub fn precondition(message: impl Into<String>) -> Self {
        Self::Precondition(message.into())
    }

    pub(crate) fn is_interrupted(&self) -> bool {
        matches!(self, Self::Cloud(e) if e.kind == ErrorKind::Interrupted)
    }

    pub(crate) fn is_breach(&self) -> bool {
        matches!(self, Self::Breach(_))
    }

    pub(crate) fn is_transient(&self) -> bool {
        matches!(self, Self::Cloud(e) if e.kind.is_transient())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The process "died" (fault injection): nothing more was written.
    #[error("the run was interrupted; `migrate resume` continues from the last checkpoint")]
    Interrupted,
    #[error("step {step} failed: {reason}\n`migrate resume` retries it; `migrate rollback` undoes everything done so far")]
    StepFailed { step: String, reason: String },
    /// The traffic guard broke off the move and the old side serves every request again.
    #[error("step {step} stopped: {reason}\nEvery request goes to the old side again. `migrate resume` moves the traffic again from the first traffic step once the new side is fixed; `migrate rollback` removes the new side")]
    HandedBack { step: String, reason: String },
    #[error("undoing step {step} failed: {reason}\n`migrate rollback` again continues the rollback from this step")]
    UndoFailed { step: String, reason: String },
    #[error("{0}")]
    WrongPhase(String),
    /// A deletion of the clean-up stopped (a resource still in use, an error that retrying did
    /// not clear); the deletions after it were not run.
    #[error("clean-up stopped at {deletion}: {reason}\n`migrate cleanup {name}` continues from this deletion once that is resolved; clean-up has no rollback")]
    CleanupStopped {
        deletion: String,
        reason: String,
        name: String,
    },
}
