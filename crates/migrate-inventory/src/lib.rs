//! The inventory of one region of an account that `migrate discover` reads, and the candidate
//! migrations it groups into.
//!
//! The inventory is plain data: the AWS adapter fills it, `migrate discover --json` prints it,
//! `migrate init --from FILE` reads it back, and [`applications`] groups it by entry point
//! (a DNS name → its load balancer → what serves behind it → the data stores that admit it). Keeping
//! the grouping a pure function over the saved model lets the wizard run with no AWS call and the
//! tests build accounts by hand.

mod applications;
mod model;
mod saved;

pub use applications::{applications, Application, DataStoreUse, EntryPoint, SourceKind};
pub use model::*;
pub use saved::{InventoryError, FORMAT, FORMAT_VERSION};

/// Told as each part of the account is read, so that a terminal can show a progress bar.
pub trait ReadProgress: Sync {
    fn part_started(&self, part: &str);
    /// `read` is false when the part could not be read (its reason is in the inventory).
    fn part_finished(&self, part: &str, read: bool);
}

/// Progress that shows nothing (tests, `--quiet`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl ReadProgress for NoProgress {
    fn part_started(&self, _part: &str) {}
    fn part_finished(&self, _part: &str, _read: bool) {}
}
