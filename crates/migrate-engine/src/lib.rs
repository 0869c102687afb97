//! The step machine of `migrate`.
//!
//! The engine walks a [`migrate_plan::Plan`] step by step. Each step is one definition in the
//! step table (`steps`): a forward action with its verification, a reconciliation and a
//! compensation, with typed outputs ([`outputs`]). It talks to the cloud only through the traits
//! in [`ports`], which this crate owns (invariant 1: the engine knows no SDK).

pub mod cleanup;
pub mod ports;

mod context;
mod error;
mod machine;
pub mod outputs;
mod phase;
pub mod preflight;
pub mod reporter;
mod retry;
pub mod snapshot;
mod steps;

pub use context::POLL;
pub use error::{EngineError, StepError};
pub use machine::{Engine, RunOutcome, CONSISTENCY_WAIT};
pub use phase::{next_run, Direction, NextRun, Operation};
pub use ports::{load_balancer_dimension, normalise_dns_name, target_group_dimension};
pub use reporter::{Event, NullReporter, Reporter};
pub use steps::drain::METRIC_LAG;
