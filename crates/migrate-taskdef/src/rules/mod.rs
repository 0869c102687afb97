//! The Fargate compatibility lint.
//!
//! Each submodule checks one concern of a task definition and returns findings located by JSON path.
//! The checks are pure functions of the typed task definition, so the translator runs the very same
//! lint over its own output: a translation is only as good as the lint says it is.

pub mod catalog;
mod credentials;
pub(crate) use credentials::execution_role_reasons;
mod logging;
mod network;
mod size;
pub use size::container_demand;
mod storage;
pub(crate) use storage::is_docker_socket as storage_is_docker_socket;
mod unsupported;

use crate::finding::{Finding, Location, Severity};
use crate::model::TaskDefinition;
use catalog::Rule;

/// Runs every rule over a task definition. Findings come in rule order, then in document order.
pub fn check(task: &TaskDefinition) -> Vec<Finding> {
    let mut findings = Vec::new();
    network::check(task, &mut findings);
    size::check(task, &mut findings);
    unsupported::check(task, &mut findings);
    storage::check(task, &mut findings);
    logging::check(task, &mut findings);
    credentials::check(task, &mut findings);
    findings.sort_by_key(|f| f.rule);
    findings
}

/// A finding of `rule` at its default severity.
pub(crate) fn finding(rule: &Rule, path: String, message: String, fix: Option<String>) -> Finding {
    finding_with(rule, rule.severity, path, message, fix)
}

/// A finding of `rule` at a severity other than its default.
pub(crate) fn finding_with(
    rule: &Rule,
    severity: Severity,
    path: String,
    message: String,
    fix: Option<String>,
) -> Finding {
    Finding {
        rule: rule.id,
        name: rule.name,
        severity,
        message,
        location: Location::path(path),
        fix,
    }
}

/// The JSON path of container `i`.
pub(crate) fn container_path(i: usize) -> String {
    format!("$.containerDefinitions[{i}]")
}
