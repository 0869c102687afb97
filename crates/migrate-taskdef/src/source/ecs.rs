//! ECS task definitions, bare (`RegisterTaskDefinition` input) or wrapped (`describe-task-definition`).

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::TaskdefError;
use crate::model::{DescribeOutput, TaskDefinition};

use super::{lenient, SourceKind, SourceTask};

pub(super) fn parse(origin: &str, text: &str) -> Result<SourceTask, TaskdefError> {
    // A first untyped pass finds syntax errors and tells the two shapes apart; the typed pass then
    // reports unknown fields and wrong types with their paths (and positions, when nothing had to
    // be normalised first).
    let mut value: Value =
        serde_json::from_str(text).map_err(|e| TaskdefError::from_json(origin, &e))?;
    if !value.is_object() {
        return Err(TaskdefError::invalid(
            origin,
            "a task definition must be a JSON object",
        ));
    }
    let normalised = lenient::normalise(&mut value, origin, text)?;
    let wrapped = value.get("taskDefinition").is_some();
    let task = if wrapped {
        typed::<DescribeOutput>(origin, text, value, normalised.changed)?.task_definition
    } else {
        typed::<TaskDefinition>(origin, text, value, normalised.changed)?
    };
    Ok(SourceTask {
        kind: SourceKind::EcsTaskDefinition,
        task,
        changes: Vec::new(),
        findings: normalised.findings,
    })
}

/// The typed parse: from the text when it needed no normalising (so errors keep their line and
/// column), from the normalised value otherwise; either way errors name the field's path.
pub(super) fn typed<T: DeserializeOwned>(
    origin: &str,
    text: &str,
    value: Value,
    changed: bool,
) -> Result<T, TaskdefError> {
    if changed {
        serde_path_to_error::deserialize(value).map_err(|e| {
            TaskdefError::with_path(origin, None, &e.path().to_string(), &e.inner().to_string())
        })
    } else {
        let mut de = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = TaskdefError::from_json(origin, e.inner());
            match inner {
                TaskdefError::Parse {
                    position, message, ..
                } => TaskdefError::with_path(origin, position, &path, &message),
                other => other,
            }
        })
    }
}
