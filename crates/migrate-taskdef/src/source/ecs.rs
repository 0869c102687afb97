//! ECS task definitions, bare (`RegisterTaskDefinition` input) or wrapped (`describe-task-definition`).

use crate::error::TaskdefError;
use crate::model::{DescribeOutput, TaskDefinition};

use super::{SourceKind, SourceTask};

pub(super) fn parse(origin: &str, text: &str) -> Result<SourceTask, TaskdefError> {
    // A first untyped pass finds syntax errors and tells the two shapes apart; the typed pass then
    // reports unknown fields and wrong types with their positions in the original text.
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| TaskdefError::from_json(origin, &e))?;
    let object = value
        .as_object()
        .ok_or_else(|| TaskdefError::invalid(origin, "a task definition must be a JSON object"))?;
    let task = if object.contains_key("taskDefinition") {
        serde_json::from_str::<DescribeOutput>(text)
            .map_err(|e| TaskdefError::from_json(origin, &e))?
            .task_definition
    } else {
        serde_json::from_str::<TaskDefinition>(text)
            .map_err(|e| TaskdefError::from_json(origin, &e))?
    };
    Ok(SourceTask {
        kind: SourceKind::EcsTaskDefinition,
        task,
        changes: Vec::new(),
        findings: Vec::new(),
    })
}
