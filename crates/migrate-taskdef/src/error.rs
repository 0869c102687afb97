//! The one error type of the crate.
//!
//! Every variant names the input it is about (`origin`, usually a file name) and, when the parser
//! knows it, the line and column, so that a user can go straight to the problem.

use std::fmt;

/// Where in an input file a parse error sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Why a source could not be read, parsed or translated.
#[derive(Debug, thiserror::Error)]
pub enum TaskdefError {
    /// The file could not be read.
    #[error("{origin}: cannot read the file: {source}")]
    Read {
        origin: String,
        #[source]
        source: std::io::Error,
    },
    /// The input is not well-formed JSON/YAML, has an unknown field or a value of the wrong type.
    #[error("{origin}:{}{message}", position.map(|p| format!("{p}: ")).unwrap_or_else(|| " ".to_string()))]
    Parse {
        origin: String,
        position: Option<Position>,
        message: String,
    },
    /// The input parses but cannot be a task definition (no containers, an unknown source kind...).
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
    /// A command-line option or translation option is unusable (an impossible cpu/memory pair, an
    /// `--env-file` without `--secret-arn`...).
    #[error("{0}")]
    Option(String),
    /// The output could not be written.
    #[error("cannot write {what}: {source}")]
    Write {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

impl TaskdefError {
    pub(crate) fn from_json(origin: &str, err: &serde_json::Error) -> Self {
        let position = (err.line() > 0).then(|| Position {
            line: err.line(),
            column: err.column(),
        });
        TaskdefError::Parse {
            origin: origin.to_string(),
            position,
            message: strip_position_suffix(&err.to_string()),
        }
    }

    pub(crate) fn from_yaml(origin: &str, err: &serde_yaml::Error) -> Self {
        let position = err.location().map(|l| Position {
            line: l.line(),
            column: l.column(),
        });
        TaskdefError::Parse {
            origin: origin.to_string(),
            position,
            message: strip_position_suffix(&err.to_string()),
        }
    }

    /// A typed-parse error at a field: `$.path: message` (the path as serde_path_to_error prints it,
    /// `.` when the error is at the top).
    pub(crate) fn with_path(
        origin: &str,
        position: Option<Position>,
        path: &str,
        message: &str,
    ) -> Self {
        let mut message = strip_position_suffix(message);
        // `invalid type: string "${PORT}", expected u16`: say what the string is.
        if let Some(found) = message
            .strip_prefix("invalid type: string \"")
            .and_then(|rest| rest.split('"').next())
        {
            if found.contains('$') || found.contains("{{") || found.contains('<') {
                message.push_str(
                    " (a placeholder where a number must be: fill it in before converting)",
                );
            }
        }
        let message = if path.is_empty() || path == "." {
            message
        } else {
            format!("$.{path}: {message}")
        };
        TaskdefError::Parse {
            origin: origin.to_string(),
            position,
            message,
        }
    }

    pub(crate) fn invalid(origin: &str, message: impl Into<String>) -> Self {
        TaskdefError::Invalid {
            origin: origin.to_string(),
            message: message.into(),
        }
    }
}

/// serde_json and serde_yaml append " at line L column C" to their messages; the position is shown
/// once, in front, so the suffix is removed.
fn strip_position_suffix(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) if message[index..].contains(" column ") => message[..index].to_string(),
        _ => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_without_a_position_read_cleanly() {
        let err = TaskdefError::Parse {
            origin: "c.yml".into(),
            position: None,
            message: "bad".into(),
        };
        assert_eq!(err.to_string(), "c.yml: bad");
    }

    #[test]
    fn json_errors_carry_their_position_once() {
        let err = serde_json::from_str::<serde_json::Value>("{\n  \"a\": ,\n}").unwrap_err();
        let err = TaskdefError::from_json("task.json", &err);
        let text = err.to_string();
        assert!(text.starts_with("task.json:2:8: "), "{text}");
        assert!(!text.contains("at line"), "{text}");
    }
}
