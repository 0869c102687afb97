//! The step machine of `migrate`.
//!
//! The engine walks a [`migrate_plan::Plan`] step by step. Each step is a forward action, a
//! verification and a compensation, and talks to the cloud only through the traits in [`ports`],
//! which this crate owns (invariant 1: the engine knows no SDK).

pub mod ports;
