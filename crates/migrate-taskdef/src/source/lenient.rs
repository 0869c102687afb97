//! What real task definitions and Dockerrun files contain that the strict model would refuse, but
//! that AWS or Beanstalk accepted in production: `null` fields (as `describe-task-definition`
//! prints unset values), numbers written as strings, environment values written as numbers or
//! booleans. Each is normalised here, before the typed parse, with a warning naming the field; a
//! value that cannot be what the field needs (a template placeholder where a number must be) is
//! refused with the field's path and the reason.

use serde_json::{Map, Value};

use crate::error::{Position, TaskdefError};
use crate::finding::{Finding, Location, Severity};
use crate::locate::LineIndex;
use crate::rules::catalog;

/// Fields that hold integers in a task definition (at any depth: container, port mapping, health
/// check, ulimit, volume configuration). The task-level `cpu` and `memory` are strings in ECS's
/// JSON and are handled by the model, so they are excluded by [`is_task_level_size`].
const INTEGER_FIELDS: &[&str] = &[
    "containerPort",
    "hostPort",
    "cpu",
    "memory",
    "memoryReservation",
    "startTimeout",
    "stopTimeout",
    "softLimit",
    "hardLimit",
    "interval",
    "timeout",
    "retries",
    "startPeriod",
    "sharedMemorySize",
    "maxSwap",
    "swappiness",
    "sizeInGiB",
    "transitEncryptionPort",
];

/// Fields that hold booleans.
const BOOLEAN_FIELDS: &[&str] = &[
    "essential",
    "readOnly",
    "privileged",
    "readonlyRootFilesystem",
    "interactive",
    "pseudoTerminal",
    "disableNetworking",
    "initProcessEnabled",
];

/// The result of normalising: what was converted, as warnings, and whether anything changed (the
/// typed parse then reads the normalised value instead of the text, and loses positions).
pub(super) struct Normalised {
    pub findings: Vec<Finding>,
    pub changed: bool,
}

/// Normalises `value` in place. `origin` and `text` locate the fields in messages.
pub(super) fn normalise(
    value: &mut Value,
    origin: &str,
    text: &str,
) -> Result<Normalised, TaskdefError> {
    let index = LineIndex::build(text);
    let mut walker = Walker {
        origin,
        index: &index,
        findings: Vec::new(),
        nulls: Vec::new(),
        changed: false,
    };
    walker.value(value, "$", None)?;
    // `null` is how describe-task-definition prints an unset field: reading it as unset changes
    // nothing, so it is not reported.
    if !walker.nulls.is_empty() {
        walker.changed = true;
    }
    Ok(Normalised {
        findings: walker.findings,
        changed: walker.changed,
    })
}

struct Walker<'a> {
    origin: &'a str,
    index: &'a LineIndex,
    findings: Vec<Finding>,
    nulls: Vec<String>,
    changed: bool,
}

impl Walker<'_> {
    fn value(
        &mut self,
        value: &mut Value,
        path: &str,
        key: Option<&str>,
    ) -> Result<(), TaskdefError> {
        match value {
            Value::Object(map) => self.object(map, path),
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    self.value(item, &format!("{path}[{i}]"), None)?;
                }
                Ok(())
            }
            Value::String(text) => {
                let Some(key) = key else { return Ok(()) };
                if INTEGER_FIELDS.contains(&key) && !is_task_level_size(path) {
                    let trimmed = text.trim();
                    let Ok(number) = trimmed.parse::<u64>() else {
                        return Err(self.refuse(
                            path,
                            &format!(
                                "`{text}` is not a number; {key} must be a whole number{}",
                                if looks_like_placeholder(text) {
                                    " (this looks like a template placeholder: fill it in before converting)"
                                } else {
                                    ""
                                }
                            ),
                        ));
                    };
                    self.warn(
                        path,
                        format!("{key} is the string \"{text}\"; read as the number {number}"),
                    );
                    *value = Value::from(number);
                } else if BOOLEAN_FIELDS.contains(&key) {
                    let parsed = match text.trim().to_ascii_lowercase().as_str() {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(self.refuse(
                                path,
                                &format!("`{text}` is not true or false, which {key} must be"),
                            ))
                        }
                    };
                    self.warn(
                        path,
                        format!("{key} is the string \"{text}\"; read as {parsed}"),
                    );
                    *value = Value::Bool(parsed);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn object(&mut self, map: &mut Map<String, Value>, path: &str) -> Result<(), TaskdefError> {
        let nulls: Vec<String> = map
            .iter()
            .filter(|(_, v)| v.is_null())
            .map(|(k, _)| k.clone())
            .collect();
        for key in nulls {
            map.remove(&key);
            self.nulls.push(format!("{path}.{key}"));
        }
        // `{"name": "PORT", "value": 8080}`: ECS takes strings only.
        let is_key_value = map.contains_key("name") && map.len() <= 2;
        if is_key_value && path.contains(".environment[") {
            if let Some(v) = map.get_mut("value") {
                if v.is_number() || v.is_boolean() {
                    let text = v.to_string();
                    self.warn(
                        &format!("{path}.value"),
                        format!(
                            "the value of `{}` is {text} (not a string); read as \"{text}\"",
                            map_name(map)
                        ),
                    );
                    if let Some(v) = map.get_mut("value") {
                        *v = Value::String(text);
                    }
                }
            }
        }
        for (key, child) in map.iter_mut() {
            self.value(child, &format!("{path}.{key}"), Some(key))?;
        }
        Ok(())
    }

    fn warn(&mut self, path: &str, message: String) {
        self.changed = true;
        self.findings.push(Finding {
            rule: catalog::SOURCE.id,
            name: catalog::SOURCE.name,
            severity: Severity::Warning,
            message,
            location: Location {
                file: Some(self.origin.to_string()),
                path: Some(path.to_string()),
                line: self.index.line(path),
            },
            fix: Some("write it as ECS's JSON types it; it was converted for you".to_string()),
        });
    }

    fn refuse(&self, path: &str, reason: &str) -> TaskdefError {
        TaskdefError::Parse {
            origin: self.origin.to_string(),
            position: self
                .index
                .line(path)
                .map(|line| Position { line, column: 1 }),
            message: format!("{path}: {reason}"),
        }
    }
}

fn map_name(map: &Map<String, Value>) -> String {
    map.get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// `$.cpu`, `$.memory` and their `describe-task-definition` twins are strings in ECS's JSON.
fn is_task_level_size(path: &str) -> bool {
    matches!(
        path,
        "$.cpu" | "$.memory" | "$.taskDefinition.cpu" | "$.taskDefinition.memory"
    )
}

/// `{{PORT}}`, `${PORT}`, `<port>`, `%PORT%`, `__PORT__`: what templating tools leave behind.
pub(crate) fn looks_like_placeholder(text: &str) -> bool {
    let t = text.trim();
    t.contains("{{")
        || t.contains("${")
        || (t.starts_with('<') && t.ends_with('>'))
        || (t.starts_with('%') && t.ends_with('%') && t.len() > 2)
        || (t.starts_with("__") && t.ends_with("__") && t.len() > 4)
        || (t.starts_with('{') && t.ends_with('}'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_recognised() {
        for p in [
            "{{PORT}}", "${PORT}", "<port>", "%PORT%", "__PORT__", "{port}",
        ] {
            assert!(looks_like_placeholder(p), "{p}");
        }
        for n in ["80", "eighty", "port-80"] {
            assert!(!looks_like_placeholder(n), "{n}");
        }
    }
}
