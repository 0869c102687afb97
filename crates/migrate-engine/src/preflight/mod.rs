//! The preflight: what the Fargate tasks need to start and to work, checked before anything is
//! created, every problem reported at once.
//!
//! It is split in two so that the checks are tested without an account: [`gather`] reads the
//! account through the [`Account`](crate::ports::Account) port (and the Auto Scaling and ECS ports
//! for the old side's instance profile) into [`Facts`]; [`check`] is a pure function from the
//! playbook and those facts to [`Finding`]s. The `preflight` step and `migrate preflight` both run
//! [`run`].

mod checks;
mod gather;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

use migrate_playbook::Playbook;
use serde::{Deserialize, Serialize};

use crate::ports::{
    CallerIdentity, Cloud, CloudError, Evaluation, RouteTable, Subnet, VpcEndpoint,
};

pub use checks::check;
pub use gather::gather;

/// The Service Quotas code of "Fargate On-Demand vCPU resource count".
pub const FARGATE_VCPU_QUOTA_CODE: &str = "L-3032A538";

/// The ECS service-linked role's name.
pub const ECS_SERVICE_LINKED_ROLE: &str = "AWSServiceRoleForECS";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Warning,
    Error,
}

/// One problem: what is wrong, with which resource, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub severity: Severity,
    /// e.g. `subnet subnet-0ab…` or `role ecsTaskExecutionRole`.
    pub resource: String,
    pub problem: String,
    pub fix: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{level}: {} {}: {}",
            self.resource, self.problem, self.fix
        )
    }
}

/// A role a task definition names (`executionRoleArn` or `taskRoleArn`), as written there: a name
/// (resolved in the caller's account at apply time) or a full ARN (kept as given).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoleFact {
    Found {
        arn: String,
    },
    Missing,
    /// Not checked, and why (a role in another account; a read that was refused).
    Unchecked(String),
}

/// What the simulator answered for one role, one resource and the actions it needs there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionFact {
    /// The role reference as the task definition writes it.
    pub role: String,
    pub resource: String,
    /// What the resource is to the task, e.g. `secret DB_PASSWORD of container php`.
    pub purpose: String,
    /// `Err` when the simulation could not be made (its reason): inconclusive.
    pub evaluations: Result<Vec<Evaluation>, String>,
}

/// Everything the checks look at, read from the account by [`gather`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    pub caller: CallerIdentity,
    /// By the reference the task definitions use (name or ARN).
    pub roles: BTreeMap<String, RoleFact>,
    pub permissions: Vec<PermissionFact>,
    pub service_linked_role: RoleFact,
    /// The playbook's task and load-balancer subnets, as found (`Err`: why they were not read).
    pub subnets: Result<Vec<Subnet>, String>,
    pub route_tables: Result<Vec<RouteTable>, String>,
    pub endpoints: Result<Vec<VpcEndpoint>, String>,
    /// The Fargate On-Demand vCPU quota, or why it could not be read.
    pub vcpu_quota: Result<f64, String>,
    /// The old side's Auto Scaling group and the instance profile it launches with, or why it
    /// could not be read; `Ok(None)` when there is no group or it has none.
    pub instance_profile: Result<Option<(String, String)>, String>,
}

/// The outcome: every finding, errors first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub caller: CallerIdentity,
    /// The roles the task definitions name, resolved to ARNs (those found only).
    pub roles: BTreeMap<String, String>,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
    }

    pub fn passed(&self) -> bool {
        self.errors().next().is_none()
    }
}

/// Reads the account and checks it. A transient error (throttling, 5xx, a time-out) or an
/// interruption is returned, so that the caller retries; any other failed read is a finding.
pub async fn run(cloud: &Cloud, playbook: &Playbook) -> Result<Report, CloudError> {
    let facts = gather(cloud, playbook).await?;
    let mut findings = check(playbook, &facts);
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let roles = facts
        .roles
        .iter()
        .filter_map(|(reference, fact)| match fact {
            RoleFact::Found { arn } => Some((reference.clone(), arn.clone())),
            _ => None,
        })
        .collect();
    Ok(Report {
        caller: facts.caller,
        roles,
        findings,
    })
}

/// The roles the task definitions name (`executionRoleArn`, then `taskRoleArn`), each once.
pub fn role_references(playbook: &Playbook) -> Vec<String> {
    let mut roles = Vec::new();
    for service in &playbook.target.services {
        for key in ["executionRoleArn", "taskRoleArn"] {
            if let Some(role) = service.task_definition[key].as_str() {
                if !roles.iter().any(|r| r == role) {
                    roles.push(role.to_string());
                }
            }
        }
    }
    roles
}

/// The name of a role given by name or ARN (`arn:aws:iam::123:role/path/name` → `name`).
pub fn role_name(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

/// The ARN of a role given by name in the caller's account and partition, as AWS writes it for
/// a role without a path. A full ARN is kept as given.
pub fn role_arn_in(partition: &str, account: &str, reference: &str) -> String {
    if reference.starts_with("arn:") {
        reference.to_string()
    } else {
        format!("arn:{partition}:iam::{account}:role/{reference}")
    }
}
