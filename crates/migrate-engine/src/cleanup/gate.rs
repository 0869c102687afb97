//! When clean-up may start, and what it forbids afterwards. Pure functions of the state and the
//! time, so that the binary asks them before it connects (a refusal costs nothing) and the
//! engine asks them again when it records the confirmation (no caller can skip them).

use std::time::Duration;

use chrono::{DateTime, Utc};
use migrate_journal::{Phase, State};

/// The soak period of a finished migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Soak {
    /// When the last step of the migration finished.
    pub finished_at: DateTime<Utc>,
    pub period: Duration,
    pub ends_at: DateTime<Utc>,
}

impl Soak {
    pub fn is_over(&self, now: DateTime<Utc>) -> bool {
        now >= self.ends_at
    }
}

/// The soak of a migration that finished; a refusal naming what to do when it has not.
pub fn soak(state: &State) -> Result<Soak, String> {
    let name = &state.plan.name;
    if state.phase != Phase::Applied {
        return Err(format!(
            "{name} has not finished (it is {}); clean-up deletes the old side only after \
             `migrate apply` has done every step",
            phase_words(state.phase)
        ));
    }
    let finished_at = state
        .steps
        .iter()
        .filter_map(|s| s.finished_at)
        .max()
        .ok_or_else(|| {
            format!(
                "{name} is applied but no step records when it finished; the state is inconsistent"
            )
        })?;
    let period = state.plan.playbook.cleanup.soak;
    let ends_at = chrono::Duration::from_std(period)
        .ok()
        .and_then(|d| finished_at.checked_add_signed(d))
        .ok_or_else(|| format!("the soak period of {name} is too long to add to a date"))?;
    Ok(Soak {
        finished_at,
        period,
        ends_at,
    })
}

/// Why clean-up may not delete now: the soak is not over and no reason was given to cut it
/// short. `None` when it may.
pub fn soak_refusal(
    soak: &Soak,
    now: DateTime<Utc>,
    override_reason: Option<&str>,
) -> Option<String> {
    if soak.is_over(now) || override_reason.is_some_and(|r| !r.trim().is_empty()) {
        return None;
    }
    Some(format!(
        "the soak period ({}) is not over: the migration finished at {}, so clean-up may run \
         from {} on (in {}); to run it earlier, give the reason with --soak-override REASON",
        human(soak.period),
        soak.finished_at.format("%Y-%m-%d %H:%M:%S UTC"),
        soak.ends_at.format("%Y-%m-%d %H:%M:%S UTC"),
        human((soak.ends_at - now).to_std().unwrap_or_default()),
    ))
}

/// Why `operation` must not run once clean-up has begun: a rollback would need the old side,
/// which is (being) deleted. `None` when nothing stands in the way.
pub fn refusal_after_cleanup(operation: crate::Operation, state: &State) -> Option<String> {
    let cleanup = state.cleanup.as_ref()?;
    if operation != crate::Operation::Rollback {
        return None;
    }
    let progress = match cleanup.finished_at {
        Some(at) => format!("finished at {}", at.format("%Y-%m-%d %H:%M:%S UTC")),
        None => format!(
            "{} of {} deletions done; `migrate cleanup {}` finishes it",
            cleanup.done(),
            cleanup.deletions.len(),
            state.plan.name
        ),
    };
    Some(format!(
        "{} cannot be rolled back: clean-up of the old side was confirmed by {} at {} ({progress}); \
         the old side it would return to is deleted",
        state.plan.name,
        cleanup.confirmed_by,
        cleanup.confirmed_at.format("%Y-%m-%d %H:%M:%S UTC"),
    ))
}

/// A duration in days, hours and minutes (`7d`, `6d 23h 58m`), as a person reads a soak; seconds
/// only under a minute.
fn human(duration: Duration) -> String {
    let secs = duration.as_secs();
    if secs < 60 {
        return format!("{}s", secs.max(1));
    }
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    [(days, "d"), (hours, "h"), (minutes, "m")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn phase_words(phase: Phase) -> &'static str {
    match phase {
        Phase::Planned => "planned, not applied",
        Phase::Applying => "still applying, or stopped before it finished",
        Phase::Applied => "applied",
        Phase::Failed => "stopped at a failed step",
        Phase::RollingBack => "rolling back",
        Phase::HandingBack => "handing the traffic back to the old side",
        Phase::RolledBack => "rolled back",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soaks_read_in_days_hours_and_minutes() {
        assert_eq!(human(Duration::from_secs(7 * 86_400)), "7d");
        assert_eq!(human(Duration::from_secs(7 * 86_400 - 125)), "6d 23h 57m");
        assert_eq!(human(Duration::from_secs(3600)), "1h");
        assert_eq!(human(Duration::from_secs(0)), "1s");
    }
}
