//! The connection budget of the data stores during the overlap.
//!
//! While both sides serve, the old side's pools and the new side's are open at once: the
//! Beanstalk → Fargate report's Redis ran out of connections exactly then. A data store that
//! declares `max_connections` (RDS `max_connections`,
//! <https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Managing.Performance.html>;
//! ElastiCache for Redis accepts up to 65,000 clients per node,
//! <https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/BestPractices.Clients.Redis.Connections.html>)
//! is checked against the peak: the old side at the capacity it runs now plus every new service
//! at its desired count. Every process is assumed to open its pool to every declared store, the
//! conservative reading when the playbook does not say which talks to which.

use migrate_playbook::Playbook;
use serde::{Deserialize, Serialize};

/// One data store's connections before, at the peak of and after the overlap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreBudget {
    pub store: String,
    pub max_connections: u32,
    /// The old side alone: its running units × connections per unit.
    pub before: u32,
    /// Both sides: the old side as before plus every new service at its desired count.
    pub peak: u32,
    /// The new side alone.
    pub after: u32,
    /// How the peak is made up, for the message and the report.
    pub detail: String,
}

impl StoreBudget {
    pub fn exceeded(&self) -> bool {
        self.peak > self.max_connections
    }

    /// The refusal, with the numbers and what would bring the peak under the limit.
    pub fn refusal(&self) -> String {
        format!(
            "data store {}: {} connections at the overlap's peak ({}) exceed its \
             max_connections {}; lower the services' connections_per_task or desired_count, or \
             the old side's capacity, so that old and new together stay under it",
            self.store, self.peak, self.detail, self.max_connections
        )
    }
}

/// The connections one old unit holds: the playbook's, else the largest pool of a new service.
pub fn old_per_unit(playbook: &Playbook) -> u32 {
    playbook.source.connections_per_instance.unwrap_or_else(|| {
        playbook
            .target
            .services
            .iter()
            .filter_map(|s| s.connections_per_task)
            .max()
            .unwrap_or(0)
    })
}

/// The budget of every data store that declares `max_connections`, with `old_units` old
/// instances or tasks running; empty when none declares one or no pool size is known.
pub fn connection_budget(playbook: &Playbook, old_units: u32) -> Vec<StoreBudget> {
    let per_unit = old_per_unit(playbook);
    let new: u32 = playbook
        .target
        .services
        .iter()
        .map(|s| {
            s.desired_count
                .saturating_mul(s.connections_per_task.unwrap_or(0))
        })
        .sum();
    if per_unit == 0 && new == 0 {
        return Vec::new();
    }
    let before = old_units.saturating_mul(per_unit);
    let new_parts: Vec<String> = playbook
        .target
        .services
        .iter()
        .filter_map(|s| {
            s.connections_per_task
                .map(|c| format!("{} {} × {c}", s.name, s.desired_count))
        })
        .collect();
    let detail = format!(
        "old side {old_units} × {per_unit} + new side {}",
        if new_parts.is_empty() {
            "0".to_string()
        } else {
            new_parts.join(" + ")
        }
    );
    playbook
        .network
        .data_stores
        .iter()
        .filter_map(|store| {
            Some(StoreBudget {
                store: store.name.clone(),
                max_connections: store.max_connections?,
                before,
                peak: before.saturating_add(new),
                after: new,
                detail: detail.clone(),
            })
        })
        .collect()
}

/// The refusals of every store over budget, one line each; empty when all fit.
pub fn over_budget(playbook: &Playbook, old_units: u32) -> Vec<String> {
    connection_budget(playbook, old_units)
        .iter()
        .filter(|b| b.exceeded())
        .map(StoreBudget::refusal)
        .collect()
}
