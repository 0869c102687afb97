//! The plan: an ordered list of steps built from a validated playbook, persisted with the state
//! so that a migration can be reviewed before it runs and resumed from the checkpoint alone.
//!
//! A plan is pure data. It names every resource it will create (deterministically, from the plan
//! id), every change it will make, and how each step is undone; the engine executes it.

pub mod behaviour;
pub mod budget;
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

pub use live::PlanError;
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

/// Where the new load balancer's security groups come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadBalancerGroups<'a> {
    /// `target.load_balancer.security_groups`.
    Playbook(&'a [String]),
    /// A group the plan creates (`create-load-balancer-security-group`), named here.
    Own(&'a str),
    /// The old load balancer's, read by discovery.
    OldLoadBalancers,
}

impl Plan {
    pub fn step(&self, id: &str) -> Option<&PlannedStep> {
        self.steps.iter().find(|s| s.id == id)
    }

    pub fn load_balancer_groups(&self) -> LoadBalancerGroups<'_> {
        let configured = &self.playbook.target.load_balancer.security_groups;
        if !configured.is_empty() {
            LoadBalancerGroups::Playbook(configured)
        } else if self
            .steps
            .iter()
            .any(|s| s.action == Action::CreateLoadBalancerSecurityGroup)
        {
            LoadBalancerGroups::Own(&self.names.load_balancer_security_group)
        } else {
            LoadBalancerGroups::OldLoadBalancers
        }
    }

    /// The new services' sizes proposed from the old side; empty without a snapshot.
    pub fn sizing(&self) -> Vec<SizingProposal> {
        self.snapshot
            .as_ref()
            .map(|s| sizing::propose(&self.playbook, s))
            .unwrap_or_default()
    }

    /// The data stores' connections at every stage of the migration, with the old side as the
    /// snapshot read it: `None` without a snapshot or without a declared limit, `Some(Err)` with
    /// the refusal when no sequence fits.
    pub fn connection_budget(&self) -> Option<Result<budget::Budget, String>> {
        let snapshot = self.snapshot.as_ref()?;
        let groups = budget::old_groups_from_snapshot(&self.playbook, snapshot)?;
        budget::plan(&self.playbook, &groups).transpose()
    }

    /// The same plan made again from the account as `snapshot` read it (`migrate apply
    /// --refresh`): running task definitions translated again, the snapshot replaced; the id
    /// stays.
    pub fn replan(&self, snapshot: Snapshot) -> Result<Plan, PlanError> {
        let filled = live::fill_running(&self.playbook, &snapshot)?;
        live::check_behaviour_copy(&self.playbook, &snapshot)?;
        live::check_connection_budget(&self.playbook, &snapshot)?;
        Ok(assemble(&filled, self.id.clone()).with_snapshot(snapshot))
    }

    fn with_snapshot(self, mut snapshot: Snapshot) -> Self {
        snapshot.task_definition_differences = live::image_differences(&self.playbook, &snapshot);
        // The running task definitions have served (translated above, their images compared);
        // they are not stored, because their `environment` may hold secrets in plain text and
        // the plan is written to the state file. A refresh reads them again.
        for service in &mut snapshot.old_services {
            service.task_definition = None;
        }
        Self {
            snapshot: Some(snapshot),
            ..self
        }
    }
}

/// Builds the plan for a validated playbook, without the account (`--offline`). A service that
/// gives no task definition is left without one: [`live::services_needing_the_account`] names
/// them, and the plan command refuses such a playbook offline.
pub fn build(playbook: &Playbook) -> Plan {
    assemble(playbook, plan_id(playbook))
}

/// Builds the plan for a validated playbook and the account as `snapshot` read it: services
/// without a task-definition file get the running one's translation, and the snapshot is
/// stored. The plan id is the playbook's, as offline: the account does not make a new plan.
pub fn build_with_account(playbook: &Playbook, snapshot: Snapshot) -> Result<Plan, PlanError> {
    let filled = live::fill_running(playbook, &snapshot)?;
    live::check_behaviour_copy(playbook, &snapshot)?;
    live::check_connection_budget(playbook, &snapshot)?;
    Ok(assemble(&filled, plan_id(playbook)).with_snapshot(snapshot))
}

fn assemble(playbook: &Playbook, id: String) -> Plan {
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
