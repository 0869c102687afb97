//! The typed report: every section as data, so that the Markdown, text and JSON forms say the
//! same thing; the snapshot is the plan's own (`migrate_plan::Snapshot`), `None` for an offline plan.

use serde::{Deserialize, Serialize};

use crate::cost::CostSection;
use crate::timeline::TimelineSection;
use migrate_plan::Snapshot;

/// The version of the JSON form; bumped when a field changes meaning or disappears.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub format_version: u32,
    pub plan_id: String,
    pub name: String,
    pub summary: Summary,
    pub existing: Existing,
    /// The new services' sizes proposed from the old side (empty without a snapshot).
    pub sizing: Vec<migrate_plan::SizingProposal>,
    pub changes: Vec<ResourceChanges>,
    pub security: Security,
    pub risks: Vec<Risk>,
    /// The data stores' connections at every stage; `None` when no store declares a limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_budget: Option<crate::connections::BudgetSection>,
    pub timeline: TimelineSection,
    pub cost: CostSection,
    /// The compensations a full rollback would run, newest first.
    pub rollback: Vec<Compensation>,
    /// The least-privilege IAM policy the plan's steps, their undo and its state backend need,
    /// as `migrate policy` prints it (an IAM policy document).
    pub iam_policy: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub to_create: usize,
    pub to_modify: usize,
    pub to_delete: usize,
    pub steps: usize,
    /// The first step after which a rollback can no longer restore the old side; `None` when
    /// every step has a compensation.
    pub point_of_no_return: Option<String>,
    /// The source → target sentence.
    pub source_to_target: String,
}

/// What the account holds now, before the plan runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Existing {
    /// The account was not read (`--offline`): only what the playbook says is known.
    NotRead {
        reason: String,
        /// What the playbook says exists (unverified).
        declared: Vec<String>,
    },
    Read {
        snapshot: Snapshot,
    },
}

impl Existing {
    pub fn snapshot(&self) -> Option<&Snapshot> {
        match self {
            Self::NotRead { .. } => None,
            Self::Read { snapshot } => Some(snapshot),
        }
    }
}

/// Whether a resource is created or only changed by the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mark {
    Create,
    Modify,
}

impl Mark {
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Create => "+",
            Self::Modify => "~",
        }
    }
}

/// Every change the plan makes to one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceChanges {
    pub resource: String,
    /// `create` when any step creates the resource, `modify` otherwise.
    pub mark: Mark,
    pub changes: Vec<ResourceChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceChange {
    pub step: String,
    pub mark: Mark,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Security {
    pub ingress_added: Vec<IngressChange>,
    /// Findings about the plan's security posture that are not one rule (egress, shared groups).
    pub notes: Vec<String>,
}

/// One ingress rule the plan adds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IngressChange {
    pub step: String,
    /// The group that gets the rule.
    pub to_group: String,
    /// The group admitted (a security group, never a CIDR).
    pub from_group: String,
    pub protocol: String,
    pub port: u16,
    pub purpose: String,
    /// True when every least-privilege check passed; `findings` says which did not.
    pub least_privilege: bool,
    pub findings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    High,
    Medium,
    Low,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
        }
    }
}

/// Where a risk's verdict comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// The plan and its playbook alone show it.
    Plan,
    /// The account snapshot showed it.
    Snapshot,
    /// It may or may not apply: only the account snapshot can tell, and it was not read.
    NeedsSnapshot,
}

impl Basis {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plan => "the plan",
            Self::Snapshot => "the account snapshot",
            Self::NeedsSnapshot => "needs the account snapshot (not read)",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Risk {
    /// A stable identifier, e.g. `dns-ttl`.
    pub id: String,
    pub severity: Severity,
    pub title: String,
    pub detail: String,
    pub fix: String,
    pub basis: Basis,
}

/// One compensation of the rollback plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Compensation {
    pub step: String,
    pub undo: String,
}
