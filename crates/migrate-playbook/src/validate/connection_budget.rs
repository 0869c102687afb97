//! The `connection_budget` section: what the plan does when both sides together would open
//! more connections than a data store accepts.

use super::Checker;
use crate::model::{ConnectionBudget, OverBudget};
use crate::raw::RawConnectionBudget;

pub(super) fn check(c: &mut Checker, raw: Option<&RawConnectionBudget>) -> ConnectionBudget {
    let default = ConnectionBudget::default();
    let Some(raw) = raw else {
        return default;
    };
    c.unknown(
        "connection_budget",
        &raw.unknown,
        &["over_budget", "min_capacity_percent"],
    );
    let over_budget = match raw.over_budget.as_deref() {
        None | Some("sequence") => OverBudget::Sequence,
        Some("refuse") => OverBudget::Refuse,
        Some(other) => {
            c.problem(
                "connection_budget.over_budget",
                format!("`{other}` is neither `sequence` nor `refuse`"),
            );
            default.over_budget
        }
    };
    let min_capacity_percent = raw
        .min_capacity_percent
        .unwrap_or(default.min_capacity_percent);
    if !(1..=100).contains(&min_capacity_percent) {
        c.problem(
            "connection_budget.min_capacity_percent",
            format!(
                "{min_capacity_percent} is not a percentage from 1 to 100 (the share of each \
                 side's capacity kept while both run)"
            ),
        );
    }
    ConnectionBudget {
        over_budget,
        min_capacity_percent,
    }
}
