//! The journal: the durable state of one migration.
//!
//! The state file holds the plan and a record per step (intent, attempts, outputs, undo). It is
//! written atomically (temp file, fsync, rename, fsync of the directory), carries a lineage and a
//! serial so that a foreign or older state is refused rather than merged, and is guarded by a
//! lock file so that two runs never drive one migration at once (invariant 4). Where the state
//! and the lock are kept is a [`StateBackend`]: a local directory by default, or a shared one
//! (S3, in `migrate-aws`) under the same discipline.

pub mod backend;
mod cleanup;
mod error;
pub mod lock;
mod state;
mod store;

pub use backend::{BackendStore, LocalBackend, StateBackend};
pub use cleanup::{Cleanup, DeletionRecord};
pub use error::JournalError;
pub use lock::{LockGuard, LockInfo};
pub use state::{Intent, Phase, State, StepRecord, StepStatus, Undo, UndoStatus, STATE_FORMAT};
pub use store::{
    parse, prepare_write, write_atomically, FileStore, MemoryStore, StateStore, STATE_FILE,
};
