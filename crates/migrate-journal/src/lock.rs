//! The lock that stops two runs from driving one migration at once.
//!
//! The lock is a file created with `O_EXCL` next to the state, naming who holds it. It is removed
//! when the run ends; a run that died leaves it behind, and only `migrate unlock ID` with the
//! exact id removes it, so that a lock is never broken by accident.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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

/// Holds the lock until dropped.
#[derive(Debug)]
pub struct LockGuard {
    path: PathBuf,
    info: LockInfo,
}

impl LockGuard {
    pub fn info(&self) -> &LockInfo {
        &self.info
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Only remove the lock if it is still ours: someone may have force-unlocked it and taken
        // it since.
        if read(&self.path).is_ok_and(|info| info.id == self.info.id) {
            let _ = fs::remove_file(&self.path);
        }
    }
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

fn host_name() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".into())
}

/// Takes the lock of the state directory for `operation`, or says who holds it.
pub fn acquire(dir: &Path, operation: &str, now: DateTime<Utc>) -> Result<LockGuard, JournalError> {
    fs::create_dir_all(dir).map_err(|e| JournalError::io("create", dir, e))?;
    let path = dir.join(LOCK_FILE);
    let info = LockInfo {
        id: uuid::Uuid::new_v4().to_string(),
        holder: std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
        pid: std::process::id(),
        host: host_name(),
        created_at: now,
        operation: operation.to_string(),
    };
    match OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(mut file) => {
            let bytes = serde_json::to_vec_pretty(&info).unwrap_or_default();
            file.write_all(&bytes)
                .and_then(|()| file.sync_all())
                .map_err(|e| JournalError::io("write", &path, e))?;
            Ok(LockGuard { path, info })
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let holder = read(&path)?;
            Err(JournalError::Locked { path, info: holder })
        }
        Err(e) => Err(JournalError::io("create", &path, e)),
    }
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
