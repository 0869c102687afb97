//! Test support: an in-memory AWS account that implements every port of `migrate-engine`.
//!
//! It is deliberately simple (no traffic model, instant task starts) but follows AWS where the
//! engine's correctness depends on it: idempotency tokens, name uniqueness, atomic DNS batches,
//! dependency errors on delete. Faults: throttling, and a crash at the n-th mutating call either
//! before the call takes effect or after it (the response lost). The richer, timing-faithful
//! model with live traffic is `migrate-sim`.

mod account;
mod clock;
mod ports;
mod world;

pub use account::{FakeAccount, OLD_CERTIFICATE, OLD_LB_SECURITY_GROUP, ZONE_ID};
pub use clock::VirtualClock;
pub use world::CrashMode;
