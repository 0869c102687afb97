//! Virtual time for tests: tokio's paused clock, which jumps ahead whenever every task is idle.
//! Run tests with `#[tokio::test(start_paused = true)]`.

use chrono::{DateTime, TimeZone, Utc};
use migrate_engine::ports::{Clock, Sleep};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct VirtualClock {
    epoch: DateTime<Utc>,
    start: tokio::time::Instant,
}

impl VirtualClock {
    /// Must be created inside a runtime whose time is paused.
    pub fn new() -> Self {
        Self {
            epoch: Utc
                .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
                .single()
                .unwrap_or_default(),
            start: tokio::time::Instant::now(),
        }
    }
}

impl Default for VirtualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = tokio::time::Instant::now() - self.start;
        self.epoch + chrono::Duration::from_std(elapsed).unwrap_or_default()
    }

    fn sleep(&self, duration: Duration) -> Sleep<'_> {
        Box::pin(tokio::time::sleep(duration))
    }
}
