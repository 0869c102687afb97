//! The plan: an ordered list of steps built from a validated playbook, persisted with the state
//! so that a migration can be reviewed before it runs and resumed from the checkpoint alone.
//!
//! A plan is pure data. It names every resource it will create (deterministically, from the plan
//! id), every change it will make, and how each step is undone; the engine executes it.

mod build;
pub mod live;
mod names;
mod report;
pub mod sizing;
pub mod snapshot;
mod step;

use migrate_playbook::Playbook;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use names::ResourceNames;
pub use report::render_human;
pub use sizing::SizingProposal;
pub use snapshot::Snapshot;
pub use step::{Action, Change, ChangeKind, PlannedStep, RetryPolicy};

/// The version of the plan format written into state files (2: the account snapshot).
pub const PLAN_FORMAT: u32 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format: u32,
    /// A digest of the playbook: the same playbook always gives the same plan id, and every
    /// resource the plan creates is tagged with it.
    pub id: String,
    pub name: String,
    pub playbook: Playbook,
    pub names: ResourceNames,
    pub steps: Vec<PlannedStep>,
    /// The account as `migrate plan` read it; `None` for a plan made `--offline`, which `apply`
    /// runs without checking it against the account.
    pub snapshot: Option<Snapshot>,
}

impl Plan {
    pub fn step(&self, id: &str) -> Option<&PlannedStep> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// The new services' sizes proposed from the old side; empty without a snapshot.
    pub fn sizing(&self) -> Vec<SizingProposal> {
        self.snapshot
            .as_ref()
            .map(|s| sizing::propose(&self.playbook, s))
            .unwrap_or_default()
    }

    /// The same plan with the account read as `snapshot` (what `migrate plan` stores and
    /// `migrate apply --refresh` replaces).
    pub fn with_snapshot(self, mut snapshot: Snapshot) -> Self {
        snapshot.task_definition_differences = live::image_differences(&self.playbook, &snapshot);
        Self {
            snapshot: Some(snapshot),
            ..self
        }
    }
}

/// Builds the plan for a validated playbook.
pub fn build(playbook: &Playbook) -> Plan {
    let id = plan_id(playbook);
    let names = ResourceNames::new(playbook, &id);
    let steps = build::steps(playbook, &names);
    Plan {
        format: PLAN_FORMAT,
        id,
        name: playbook.name.clone(),
        playbook: playbook.clone(),
        names,
        steps,
        snapshot: None,
    }
}

fn plan_id(playbook: &Playbook) -> String {
    // The validated model serialises in a fixed field order, so equal playbooks hash equally
    // whatever their YAML formatting. Where the state is kept changes nothing in the account,
    // so moving it does not make a new plan.
    let canonical = serde_json::to_vec(&Playbook {
        state: None,
        ..playbook.clone()
    })
    .unwrap_or_default();
    let digest = Sha256::digest(&canonical);
    hex::encode(&digest[..6])
}

#[cfg(test)]
pub(crate) mod tests {
    /// The demo playbook, which the unit tests size and compare against.
    #[allow(clippy::expect_used)]
    pub fn demo_playbook() -> migrate_playbook::Playbook {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
        migrate_playbook::Playbook::from_path(&path).expect("the demo playbook is valid")
    }
}
