//! A service's `scaling` section: the Application Auto Scaling target of the new service.

use super::Checker;
use crate::model::{CpuTarget, Scaling};
use crate::raw::{RawCpuTarget, RawScaling};

/// Target tracking below 10 % keeps scaling out on idle noise; above 90 % it leaves no head room
/// for the minutes a new task takes to start.
const CPU_TARGET_RANGE: std::ops::RangeInclusive<u32> = 10..=90;

/// How many times `desired_count` scaling may reach when the playbook names no maximum.
const DEFAULT_MAX_FACTOR: u32 = 4;

/// Web services scale by default (the old side they replace usually did); workers only when the
/// playbook asks, because their load is a queue's, not CPU's.
pub(super) fn check(
    c: &mut Checker,
    at: &str,
    raw: Option<&RawScaling>,
    desired_count: u32,
    is_web: bool,
) -> Option<Scaling> {
    let default = RawScaling::default();
    let raw = raw.unwrap_or(&default);
    c.unknown(at, &raw.unknown, &["enabled", "max_count", "cpu_target"]);
    let cpu_target = match &raw.cpu_target {
        None => CpuTarget::FromOldSide,
        Some(RawCpuTarget::Percent(p)) if CPU_TARGET_RANGE.contains(p) => CpuTarget::Percent(*p),
        Some(RawCpuTarget::Percent(p)) => {
            c.problem(
                format!("{at}.cpu_target"),
                format!(
                    "{p} is outside {}–{} (percent of the service's average CPU)",
                    CPU_TARGET_RANGE.start(),
                    CPU_TARGET_RANGE.end()
                ),
            );
            CpuTarget::Off
        }
        Some(RawCpuTarget::Text(t)) if t == "from-old-side" => CpuTarget::FromOldSide,
        Some(RawCpuTarget::Text(t)) if t == "off" => CpuTarget::Off,
        Some(RawCpuTarget::Text(t)) => {
            c.problem(
                format!("{at}.cpu_target"),
                format!("`{t}` is not a CPU target: give a percentage, `from-old-side` or `off`"),
            );
            CpuTarget::Off
        }
    };
    let max_count = raw
        .max_count
        .unwrap_or(desired_count.saturating_mul(DEFAULT_MAX_FACTOR).max(1));
    if max_count < desired_count {
        c.problem(
            format!("{at}.max_count"),
            format!(
                "{max_count} is below desired_count {desired_count}: scaling never goes below the count the plan starts"
            ),
        );
    }
    if max_count == 0 {
        c.problem(format!("{at}.max_count"), "must be at least 1");
    }
    if !raw.enabled.unwrap_or(is_web) {
        return None;
    }
    Some(Scaling {
        min_count: desired_count,
        max_count,
        cpu_target,
    })
}
