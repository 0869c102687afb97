//! The step machine of `migrate`.
//!
//! The engine walks a [`migrate_plan::Plan`] step by step. Each step is a forward action, a
//! verification and a compensation, and talks to the cloud only through the traits in [`ports`],
//! which this crate owns (invariant 1: the engine knows no SDK).

pub mod ports;

mod context;
mod error;
mod machine;
pub mod reporter;
mod steps;

pub use context::{load_balancer_dimension, target_group_dimension, Outputs, POLL};
pub use error::{EngineError, StepError};
pub use machine::{Engine, RunOutcome, CONSISTENCY_WAIT};
pub use reporter::{Event, NullReporter, Reporter};
pub use steps::drain::METRIC_LAG;
