//! Rendering findings and changes for people (`human`) and for tools (`json`, `sarif`).

mod human;
mod json;
mod sarif;

pub use human::{changes as human_changes, findings as human_findings};
pub use json::findings as json_findings;
pub use sarif::findings as sarif_findings;

use crate::finding::{Finding, Severity};

/// How many findings of each severity, for summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub info: usize,
}

impl Counts {
    pub fn of(findings: &[Finding]) -> Self {
        let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
        Counts {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            info: count(Severity::Info),
        }
    }
}
