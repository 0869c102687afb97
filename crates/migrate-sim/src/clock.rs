//! Virtual time.
//!
//! A simulation runs on a tokio current-thread runtime whose timer is paused: `tokio::time::sleep`
//! completes as soon as every task is idle, by moving the runtime's clock forward. The simulated
//! wall clock is a fixed epoch plus the virtual time elapsed since the simulation started, so a run
//! is the same whatever the host's clock says.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use migrate_engine::ports::{Clock, Sleep};
use tokio::time::Instant;

/// Milliseconds of virtual time since the simulation started; the world's only time unit.
pub type Millis = u64;

/// The simulated date a simulation starts at. Fixed, so timelines and metric windows replay.
pub fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// The engine's clock inside a simulation: tokio's (paused) timer, read as a date.
#[derive(Debug, Clone, Copy)]
pub struct SimClock {
    start: Instant,
}

impl SimClock {
    /// A clock whose zero is now. Must be called inside the simulation's runtime.
    pub fn start() -> Self {
        Self {
            start: Instant::now(),
        }
    }

    /// Virtual milliseconds elapsed since the simulation started.
    pub fn elapsed_ms(&self) -> Millis {
        u64::try_from(Instant::now().duration_since(self.start).as_millis()).unwrap_or(u64::MAX)
    }

    /// The date of a virtual instant.
    pub fn date_of(ms: Millis) -> DateTime<Utc> {
        epoch() + chrono::Duration::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX))
    }

    /// The virtual instant of a date (dates before the epoch map to zero).
    pub fn ms_of(date: DateTime<Utc>) -> Millis {
        u64::try_from((date - epoch()).num_milliseconds()).unwrap_or(0)
    }
}

impl Clock for SimClock {
    fn now(&self) -> DateTime<Utc> {
        Self::date_of(self.elapsed_ms())
    }

    fn sleep(&self, duration: Duration) -> Sleep<'_> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// Builds the runtime a simulation runs on: one thread, timer paused, so that every run of a seed
/// takes the same path through the same virtual instants.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
}
