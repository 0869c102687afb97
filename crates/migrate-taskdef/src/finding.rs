//! What the lint and the translator report: findings (problems) and changes (edits made).

use std::fmt;

use serde::Serialize;

/// How bad a finding is. Only errors make the commands exit non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// Where a finding or change applies: a JSON path into a task definition, a file and line, or both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// A JSON path such as `$.containerDefinitions[0].portMappings[1].hostPort`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl Location {
    /// A location in the task definition being produced or linted.
    pub fn path(path: impl Into<String>) -> Self {
        Location {
            path: Some(path.into()),
            ..Location::default()
        }
    }

    /// A line of a file that is not JSON (an nginx configuration, a `.env` file).
    pub fn file_line(file: impl Into<String>, line: usize) -> Self {
        Location {
            file: Some(file.into()),
            line: Some(line),
            path: None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut wrote = false;
        if let Some(file) = &self.file {
            write!(f, "{file}")?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
            }
            wrote = true;
        }
        if let Some(path) = &self.path {
            if wrote {
                write!(f, " ")?;
            }
            write!(f, "{path}")?;
            wrote = true;
        }
        if !wrote {
            write!(f, "(task definition)")?;
        }
        Ok(())
    }
}

/// One problem found in a task definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The stable rule id, e.g. `TD003`.
    pub rule: &'static str,
    /// The rule's short name, e.g. `host-port-mismatch`.
    pub name: &'static str,
    pub severity: Severity,
    pub message: String,
    pub location: Location,
    /// What to do about it, when there is one thing to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// One edit the translator made, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The rule the edit satisfies, so that a change can be traced to the lint it avoids.
    pub rule: &'static str,
    pub location: Location,
    /// What was changed, e.g. `hostPort 0 -> 80`.
    pub change: String,
    /// Why Fargate needs it.
    pub reason: String,
}

/// Whether any finding is an error.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}
