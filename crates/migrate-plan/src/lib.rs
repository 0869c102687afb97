//! The plan: an ordered list of steps built from a validated playbook, persisted with the state
//! so that a migration can be reviewed before it runs and resumed from the checkpoint alone.
//!
//! A plan is pure data. It names every resource it will create (deterministically, from the plan
//! id), every change it will make, and how each step is undone; the engine executes it.

mod build;
mod names;
mod report;
mod step;

use migrate_playbook::Playbook;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use names::ResourceNames;
pub use report::render_human;
pub use step::{Action, Change, ChangeKind, PlannedStep, RetryPolicy};

/// The version of the plan format written into state files.
pub const PLAN_FORMAT: u32 = 1;

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
}

impl Plan {
    pub fn step(&self, id: &str) -> Option<&PlannedStep> {
        self.steps.iter().find(|s| s.id == id)
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
    }
}

fn plan_id(playbook: &Playbook) -> String {
    // The validated model serialises in a fixed field order, so equal playbooks hash equally
    // whatever their YAML formatting. Where the state is kept changes nothing in the account,
    // so moving it does not make a new plan; nor does the clean-up's soak, which `apply` never
    // reads.
    let canonical = serde_json::to_vec(&Playbook {
        state: None,
        cleanup: migrate_playbook::Cleanup::default(),
        ..playbook.clone()
    })
    .unwrap_or_default();
    let digest = Sha256::digest(&canonical);
    hex::encode(&digest[..6])
}
