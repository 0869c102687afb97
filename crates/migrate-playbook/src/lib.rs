//! The playbook: what a migration moves, from where, to what, and how it cuts over.
//!
//! Reading a playbook follows ripgrep's flags design: YAML is first parsed into a raw model
//! ([`raw`]) in which everything is optional, then validated into [`Playbook`], the model the
//! planner relies on. Validation reports every problem at once, each with its field path and,
//! where it can be found in the text, its line and column.

mod duration;
mod locate;
mod model;
pub mod raw;
mod validate;

use std::fmt;
use std::path::Path;

pub use duration::{parse as parse_duration, render as render_duration};
pub use locate::Position;
pub use model::*;
pub use validate::{
    translate_running, Directory, FileSource, Problem, MAX_NAME_LEN, RUNNING_TASK_DEFINITION,
};

/// A playbook that could not be read, with every problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PlaybookError {
    /// The file (or `<inline>`) the playbook came from.
    pub origin: String,
    pub problems: Vec<Located>,
}

/// A problem with the position of its field in the text, where found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub path: String,
    pub message: String,
    pub position: Option<Position>,
}

impl fmt::Display for PlaybookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        writeln!(
            f,
            "{} has {count} problem{}:",
            self.origin,
            if count == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            let at = match p.position {
                Some(pos) => format!("{}:{}:{}", self.origin, pos.line, pos.column),
                None => self.origin.clone(),
            };
            if p.path.is_empty() {
                writeln!(f, "  {at}: {}", p.message)?;
            } else {
                writeln!(f, "  {at}: {}: {}", p.path, p.message)?;
            }
        }
        Ok(())
    }
}

impl Playbook {
    /// Reads and validates the playbook at `path`; task definition files are read relative to it.
    pub fn from_path(path: &Path) -> Result<Self, PlaybookError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| PlaybookError {
            origin: origin.clone(),
            problems: vec![Located {
                path: String::new(),
                message: format!("cannot read the playbook: {e}"),
                position: None,
            }],
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        Self::from_yaml(&text, &origin, &Directory(dir))
    }

    /// Parses and validates playbook text; `origin` names it in messages.
    pub fn from_yaml(
        text: &str,
        origin: &str,
        files: &dyn FileSource,
    ) -> Result<Self, PlaybookError> {
        let raw: raw::RawPlaybook = match serde_yaml::from_str(text) {
            Ok(raw) => raw,
            Err(e) => {
                let position = e.location().map(|l| Position {
                    line: l.line(),
                    column: l.column(),
                });
                return Err(PlaybookError {
                    origin: origin.to_string(),
                    problems: vec![Located {
                        path: String::new(),
                        message: strip_location(&e.to_string()),
                        position,
                    }],
                });
            }
        };
        validate::validate(raw, files).map_err(|problems| PlaybookError {
            origin: origin.to_string(),
            problems: problems
                .into_iter()
                .map(|p| Located {
                    position: locate::locate(text, &p.path),
                    path: p.path,
                    message: p.message,
                })
                .collect(),
        })
    }
}

/// serde_yaml appends " at line L column C" to its messages; the position is shown separately.
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// The JSON Schema of the playbook, for editors and for review tooling.
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(raw::RawPlaybook);
    serde_json::to_value(schema).unwrap_or(serde_json::Value::Null)
}
