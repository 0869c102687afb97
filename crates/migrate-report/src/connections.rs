//! The data stores' connection budget over time: the connections both sides hold at every stage
//! of the migration, with the old side as the snapshot read it (`migrate_plan::budget`).

use std::fmt::Write;

use migrate_plan::budget::{self, Budget};
use migrate_plan::{Plan, Snapshot};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum BudgetSection {
    /// A store declares `max_connections`, but the old side's running capacity was not read.
    NeedsSnapshot,
    /// The stages, and the sequence when the plain overlap is over the limit.
    Read { budget: Budget },
    /// No sequence fits: `check-connection-budget` will refuse, for this reason.
    Refused { reason: String },
}

/// `None` when no store declares a limit (or no process a pool).
pub fn section(plan: &Plan, snapshot: Option<&Snapshot>) -> Option<BudgetSection> {
    if !budget::declared(&plan.playbook) {
        return None;
    }
    let Some(groups) = snapshot.and_then(|s| budget::old_groups_from_snapshot(&plan.playbook, s))
    else {
        return Some(BudgetSection::NeedsSnapshot);
    };
    Some(match budget::plan(&plan.playbook, &groups) {
        Ok(Some(budget)) => BudgetSection::Read { budget },
        Ok(None) => return None,
        Err(reason) => BudgetSection::Refused { reason },
    })
}

/// The sentence above the table: what binds and whether the overlap is sequenced.
pub fn headline(budget: &Budget) -> String {
    let binding = format!(
        "{} accepts {} connections (the smallest max_connections); the peak is {}",
        budget.store,
        budget.max_connections,
        budget.peak()
    );
    match &budget.sequence {
        None => format!("{binding}: both sides fit at full size."),
        Some(sequence) => {
            let started: Vec<String> = sequence
                .new_counts
                .iter()
                .map(|(service, count)| format!("{service} with {count}"))
                .collect();
            format!(
                "{binding}: at full size both sides would not fit, so the overlap is sequenced: \
                 shrink-old-side takes the old side to {} unit{} before the new side starts{}, \
                 and grow-new-side brings the new services to their desired counts after the old \
                 side is scaled down.",
                sequence.old_units(),
                if sequence.old_units() == 1 { "" } else { "s" },
                if started.is_empty() {
                    String::new()
                } else {
                    format!(", which starts {}", started.join(", "))
                }
            )
        }
    }
}

/// The Markdown section; nothing when there is no budget.
pub fn markdown(out: &mut String, section: Option<&BudgetSection>) {
    let Some(section) = section else { return };
    let _ = writeln!(out, "## Connection budget\n");
    match section {
        BudgetSection::NeedsSnapshot => {
            let _ = writeln!(
                out,
                "A data store declares `max_connections`, but the old side's running capacity \
                 was not read; `check-connection-budget` computes the stages at apply time.\n"
            );
        }
        BudgetSection::Refused { reason } => {
            let _ = writeln!(out, "**Refused:** {reason}\n");
        }
        BudgetSection::Read { budget } => {
            let _ = writeln!(out, "{}\n", headline(budget));
            let _ = writeln!(
                out,
                "| Stage | Old units | New tasks | Connections | Limit |"
            );
            let _ = writeln!(out, "|---|---:|---:|---:|---:|");
            for stage in &budget.stages {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    stage.label,
                    stage.old_units,
                    stage.new_tasks,
                    stage.connections,
                    budget.max_connections
                );
            }
            let _ = writeln!(out);
        }
    }
}

/// The plain-text section; nothing when there is no budget.
pub fn text(out: &mut String, section: Option<&BudgetSection>) {
    let Some(section) = section else { return };
    let _ = writeln!(out, "\nCONNECTION BUDGET");
    match section {
        BudgetSection::NeedsSnapshot => {
            let _ = writeln!(
                out,
                "  Not read: the old side's running capacity is read at apply time."
            );
        }
        BudgetSection::Refused { reason } => {
            let _ = writeln!(out, "  REFUSED: {reason}");
        }
        BudgetSection::Read { budget } => {
            let _ = writeln!(out, "  {}", headline(budget));
            for stage in &budget.stages {
                let _ = writeln!(
                    out,
                    "    {:>5}/{} connections  old {:>3}, new {:>3}  {}",
                    stage.connections,
                    budget.max_connections,
                    stage.old_units,
                    stage.new_tasks,
                    stage.label
                );
            }
        }
    }
}
