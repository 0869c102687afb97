//! Where a migration's state and its lock live: a state backend.
//!
//! Every command reaches the state and the lock through [`StateBackend`], so that a state
//! directory on this machine (the default, [`LocalBackend`]) and a state shared by a team (an S3
//! bucket, implemented in `migrate-aws` because only that crate may speak to AWS) obey one
//! discipline:
//! - the lock is created only if there is none, and removed only if it is still the lock this
//!   run created (or the exact id `migrate unlock` was given);
//! - a state write is refused over a state of another lineage or a newer serial, and, where the
//!   backend can say so (S3's `If-Match`), over a state that changed since this run read it.
//!
//! The engine keeps its narrower [`StateStore`] (load and save); [`BackendStore`] lends it a
//! backend.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::error::JournalError;
use crate::lock::{self, LockInfo};
use crate::state::State;
use crate::store::{FileStore, StateStore};

/// Where the state and its lock are kept. Methods take `&self` so that one backend can serve
/// the engine's saves and the lock guard's release at once; a backend that must remember what
/// it read (an ETag) keeps it behind its own mutex.
pub trait StateBackend: Send + Sync + fmt::Debug {
    /// Where the state lives, for messages: a file path, or `s3://bucket/prefix/state.json`.
    fn location(&self) -> PathBuf;
    /// Where the lock lives, for messages.
    fn lock_location(&self) -> PathBuf;
    /// Reads the state. A missing, corrupt or foreign-format state is an error; reading never
    /// modifies what is stored.
    fn load(&self) -> Result<State, JournalError>;
    /// Writes `state`, bumping its serial, after checking lineage and serial against what is
    /// stored. Nothing is written when a check fails.
    fn save(&self, state: &mut State) -> Result<(), JournalError>;
    /// Writes a fresh state (a new plan) in place of whatever is stored. Only `migrate plan`
    /// does this, holding the lock, after checking that the state it replaces has nothing left
    /// to undo.
    fn replace(&self, state: &mut State) -> Result<(), JournalError>;
    /// Creates the lock described by `info`, or answers [`JournalError::Locked`] naming the
    /// holder when there already is one.
    fn create_lock(&self, info: &LockInfo) -> Result<(), JournalError>;
    /// Removes the lock `info` if it is still there and still this one; a lock that someone
    /// force-unlocked and took since is left alone.
    fn release_lock(&self, info: &LockInfo) -> Result<(), JournalError>;
    /// Who holds the lock, if anyone.
    fn current_lock(&self) -> Result<Option<LockInfo>, JournalError>;
    /// Removes the lock, but only when `id` is exactly its id; answers what was removed.
    fn force_unlock(&self, id: &str) -> Result<LockInfo, JournalError>;
}

/// Holds the lock until dropped, then releases it through its backend.
#[derive(Debug)]
pub struct LockGuard {
    backend: Arc<dyn StateBackend>,
    info: LockInfo,
}

impl LockGuard {
    pub fn info(&self) -> &LockInfo {
        &self.info
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // A release that fails (the network is gone) leaves the lock behind, which is the safe
        // side: `migrate status` names it and `migrate unlock ID` removes it.
        if let Err(error) = self.backend.release_lock(&self.info) {
            eprintln!(
                "warning: could not remove the lock {} at {}: {error}; `migrate unlock {}` removes it",
                self.info.id,
                self.backend.lock_location().display(),
                self.info.id
            );
        }
    }
}

/// Takes the lock of `backend` for `operation`, or says who holds it.
pub fn acquire(
    backend: Arc<dyn StateBackend>,
    operation: &str,
    now: DateTime<Utc>,
) -> Result<LockGuard, JournalError> {
    let info = LockInfo::for_this_process(operation, now);
    backend.create_lock(&info)?;
    Ok(LockGuard { backend, info })
}

/// A state directory on this machine: `state.json` and `state.lock` side by side.
#[derive(Debug, Clone)]
pub struct LocalBackend {
    store: FileStore,
}

impl LocalBackend {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            store: FileStore::new(dir),
        }
    }

    pub fn dir(&self) -> &Path {
        self.store.dir()
    }
}

impl StateBackend for LocalBackend {
    fn location(&self) -> PathBuf {
        self.store.path()
    }

    fn lock_location(&self) -> PathBuf {
        self.store.dir().join(lock::LOCK_FILE)
    }

    fn load(&self) -> Result<State, JournalError> {
        self.store.clone().load()
    }

    fn save(&self, state: &mut State) -> Result<(), JournalError> {
        self.store.clone().save(state)
    }

    fn replace(&self, state: &mut State) -> Result<(), JournalError> {
        self.store.replace(state)
    }

    fn create_lock(&self, info: &LockInfo) -> Result<(), JournalError> {
        lock::create(self.store.dir(), info)
    }

    fn release_lock(&self, info: &LockInfo) -> Result<(), JournalError> {
        lock::release(self.store.dir(), &info.id)
    }

    fn current_lock(&self) -> Result<Option<LockInfo>, JournalError> {
        lock::current(self.store.dir())
    }

    fn force_unlock(&self, id: &str) -> Result<LockInfo, JournalError> {
        lock::force_unlock(self.store.dir(), id)
    }
}

/// The engine's [`StateStore`] over a shared backend.
#[derive(Debug, Clone)]
pub struct BackendStore(pub Arc<dyn StateBackend>);

impl StateStore for BackendStore {
    fn load(&mut self) -> Result<State, JournalError> {
        self.0.load()
    }

    fn save(&mut self, state: &mut State) -> Result<(), JournalError> {
        self.0.save(state)
    }

    fn location(&self) -> PathBuf {
        self.0.location()
    }
}
