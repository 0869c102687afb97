//! The lock that stops two runs from driving one migration at once.
//!
//! In a state directory the lock is a file created with `O_EXCL` next to the state, naming who
//! holds it (other backends keep the same [`LockInfo`] elsewhere; see [`crate::backend`]). It is
//! removed when the run ends; a run that died leaves it behind, and only `migrate unlock ID` with
//! the exact id removes it, so that a lock is never broken by accident.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::backend::LockGuard;
use crate::error::JournalError;

pub const LOCK_FILE: &str = "state.lock";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    pub id: String,
    /// The user who ran the command.
    pub holder: String,
    pub pid: u32,
    pub host: String,
    pub created_at: DateTime<Utc>,
    /// `apply`, `resume`, `rollback`, ...
    pub operation: String,
}

fn read(path: &Path) -> Result<LockInfo, JournalError> {
    let text = fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            JournalError::NotLocked(path.to_path_buf())
        } else {
            JournalError::io("read", path, e)
        }
    })?;
    serde_json::from_str(&text).map_err(|e| JournalError::Corrupt {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

/// Who holds the lock of the state directory, if anyone.
pub fn current(dir: &Path) -> Result<Option<LockInfo>, JournalError> {
    match read(&dir.join(LOCK_FILE)) {
        Ok(info) => Ok(Some(info)),
        Err(JournalError::NotLocked(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The name of this host, as a lock records it.
pub fn host_name() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".into())
}

impl LockInfo {
    /// A new lock for `operation`, held by this process.
    pub fn for_this_process(operation: &str, now: DateTime<Utc>) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            holder: std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
            pid: std::process::id(),
            host: host_name(),
            created_at: now,
            operation: operation.to_string(),
        }
    }

    /// Whether the holding process still runs: `Some` only when the lock was taken on this host
    /// and the host has a `/proc` to look in (Linux). A process on another host cannot be seen
    /// from here, and a pid can be reused, so `Some(true)` means "a process with that pid runs",
    /// not proof that it is the holder.
    pub fn holder_alive(&self) -> Option<bool> {
        if self.host != host_name() || !Path::new("/proc/self").exists() {
            return None;
        }
        Some(Path::new("/proc").join(self.pid.to_string()).exists())
    }
}

/// Creates the lock file with `O_EXCL`, or says who holds it.
pub(crate) fn create(dir: &Path, info: &LockInfo) -> Result<(), JournalError> {
    fs::create_dir_all(dir).map_err(|e| JournalError::io("create", dir, e))?;
    let path = dir.join(LOCK_FILE);
    match OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(mut file) => {
            let bytes = serde_json::to_vec_pretty(info).unwrap_or_default();
            file.write_all(&bytes)
                .and_then(|()| file.sync_all())
                .map_err(|e| JournalError::io("write", &path, e))?;
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let holder = read(&path)?;
            Err(JournalError::Locked {
                path,
                info: Box::new(holder),
            })
        }
        Err(e) => Err(JournalError::io("create", &path, e)),
    }
}

/// Removes the lock file if it is still the lock `id`: someone may have force-unlocked it and
/// taken it since, and their lock must stay.
pub(crate) fn release(dir: &Path, id: &str) -> Result<(), JournalError> {
    let path = dir.join(LOCK_FILE);
    match read(&path) {
        Ok(info) if info.id == id => {
            fs::remove_file(&path).map_err(|e| JournalError::io("remove", &path, e))
        }
        Ok(_) | Err(JournalError::NotLocked(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Takes the lock of the state directory for `operation`, or says who holds it.
pub fn acquire(dir: &Path, operation: &str, now: DateTime<Utc>) -> Result<LockGuard, JournalError> {
    crate::backend::acquire(
        std::sync::Arc::new(crate::backend::LocalBackend::new(dir)),
        operation,
        now,
    )
}

/// Removes the lock, but only when `id` is exactly its id.
pub fn force_unlock(dir: &Path, id: &str) -> Result<LockInfo, JournalError> {
    let path = dir.join(LOCK_FILE);
    let info = read(&path)?;
    if info.id != id {
        return Err(JournalError::WrongLockId {
            path,
            actual: info.id,
            given: id.to_string(),
        });
    }
    fs::remove_file(&path).map_err(|e| JournalError::io("remove", &path, e))?;
    Ok(info)
}
