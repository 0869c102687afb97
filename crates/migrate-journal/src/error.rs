use std::path::PathBuf;

use crate::lock::LockInfo;

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("no migration state at {0} (run `migrate plan PLAYBOOK` first)")]
    Missing(PathBuf),
    #[error("the state at {path} is corrupt at line {line}, column {column}: {message}; it was left untouched")]
    Corrupt {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("the state at {path} has format {found}; this migrate reads only format {expected}; run `migrate plan` again with this version to start a new state")]
    UnsupportedFormat {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error("the state at {path} belongs to another migration (lineage {found}, expected {expected}); refusing to overwrite or merge it")]
    ForeignLineage {
        path: PathBuf,
        found: String,
        expected: String,
    },
    #[error("the state at {path} is newer than this run's (serial {on_disk} on disk, {ours} here): another run wrote it; refusing to overwrite it with an older state")]
    StaleSerial {
        path: PathBuf,
        on_disk: u64,
        ours: u64,
    },
    #[error("the state at {path} is locked by {} (pid {} on {}, since {}, for `{}`), lock id {}; if that run is gone, `migrate unlock {}`", .info.holder, .info.pid, .info.host, .info.created_at.format("%Y-%m-%d %H:%M:%S UTC"), .info.operation, .info.id, .info.id)]
    Locked { path: PathBuf, info: Box<LockInfo> },
    #[error("the lock at {path} has id {actual}, not {given}; nothing was unlocked")]
    WrongLockId {
        path: PathBuf,
        actual: String,
        given: String,
    },
    #[error("the state at {path} was changed by another run since this one read it (expected version {expected}); nothing was written — run `migrate status` to see where it stands")]
    Conflict { path: PathBuf, expected: String },
    #[error("cannot {action} {path}: {message}")]
    Backend {
        action: &'static str,
        path: PathBuf,
        message: String,
    },
    #[error("there is no lock at {0}")]
    NotLocked(PathBuf),
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A crash injected by a test or the simulator at a journal write.
    #[error("interrupted while writing the state")]
    Interrupted,
}

impl JournalError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
