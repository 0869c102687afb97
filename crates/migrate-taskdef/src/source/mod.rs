//! Reading the three kinds of source into one typed task definition.
//!
//! Each reader turns its input into an ECS-on-EC2-shaped [`TaskDefinition`] (bridge networking, host
//! volumes, links, as the source really had them) plus the changes it had to make to express the
//! source at all. The Fargate translation then runs once, on that common shape, whatever the source
//! was; this keeps one copy of every Fargate rule.

mod compose;
mod dockerrun;
mod dockerrun_v1;
mod ecs;
mod lenient;
mod serde_util;

use std::path::Path;

use serde::Serialize;

use crate::error::TaskdefError;
use crate::finding::{Change, Finding};
use crate::model::TaskDefinition;

/// What a source file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SourceKind {
    /// An ECS task definition: `RegisterTaskDefinition` input or `describe-task-definition` output.
    EcsTaskDefinition,
    /// An Elastic Beanstalk `Dockerrun.aws.json`, version 2 (multi-container).
    Dockerrun,
    /// A `docker-compose.yml`.
    Compose,
}

/// A source file held in memory: its text, the name used in messages, and its kind when known.
#[derive(Debug, Clone)]
pub struct SourceDocument {
    /// The name shown in messages and locations, usually the path.
    pub origin: String,
    pub text: String,
    /// `None` asks for detection from the name and the content.
    pub kind: Option<SourceKind>,
}

impl SourceDocument {
    /// A document whose kind will be detected.
    pub fn new(origin: impl Into<String>, text: impl Into<String>) -> Self {
        SourceDocument {
            origin: origin.into(),
            text: text.into(),
            kind: None,
        }
    }

    /// The same document with its kind given instead of detected.
    pub fn with_kind(mut self, kind: SourceKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Reads a file; the kind is detected.
    pub fn read(path: &Path) -> Result<Self, TaskdefError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| TaskdefError::Read {
            origin: origin.clone(),
            source,
        })?;
        Ok(SourceDocument::new(origin, text))
    }

    /// The given kind, or the detected one.
    pub fn resolved_kind(&self) -> SourceKind {
        self.kind
            .unwrap_or_else(|| detect(&self.origin, &self.text))
    }
}

/// A source read into the common shape.
#[derive(Debug, Clone)]
pub struct SourceTask {
    pub kind: SourceKind,
    pub task: TaskDefinition,
    /// Edits made only to express the source as a task definition (compose ports, Dockerrun wrapper).
    pub changes: Vec<Change>,
    /// Things in the source that cannot be carried over and need a person.
    pub findings: Vec<Finding>,
}

/// Parses a source document of any kind.
pub fn parse(doc: &SourceDocument, family: Option<&str>) -> Result<SourceTask, TaskdefError> {
    let kind = doc.resolved_kind();
    let mut parsed = match kind {
        SourceKind::EcsTaskDefinition => ecs::parse(&doc.origin, &doc.text)?,
        SourceKind::Dockerrun => dockerrun::parse(&doc.origin, &doc.text, family)?,
        SourceKind::Compose => compose::parse(&doc.origin, &doc.text, family)?,
    };
    parsed.kind = kind;
    if parsed.task.container_definitions.is_empty() {
        return Err(TaskdefError::invalid(
            &doc.origin,
            "the source defines no containers",
        ));
    }
    Ok(parsed)
}

/// Parses an ECS task definition (JSON, bare or wrapped as `describe-task-definition` prints it).
pub fn parse_task_definition(origin: &str, text: &str) -> Result<TaskDefinition, TaskdefError> {
    ecs::parse(origin, text).map(|parsed| parsed.task)
}

/// Guesses the kind from the file name first (the names these files conventionally have), then from
/// the top-level keys of the content.
pub fn detect(origin: &str, text: &str) -> SourceKind {
    let name = Path::new(origin)
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.starts_with("dockerrun") {
        return SourceKind::Dockerrun;
    }
    if name.contains("compose") && (name.ends_with(".yml") || name.ends_with(".yaml")) {
        return SourceKind::Compose;
    }
    // YAML is a superset of JSON, so one YAML parse reads the top-level keys of every kind.
    if let Ok(serde_yaml::Value::Mapping(map)) = serde_yaml::from_str::<serde_yaml::Value>(text) {
        let has = |key: &str| map.contains_key(serde_yaml::Value::String(key.to_string()));
        if has("AWSEBDockerrunVersion") {
            return SourceKind::Dockerrun;
        }
        if has("services") {
            return SourceKind::Compose;
        }
        return SourceKind::EcsTaskDefinition;
    }
    if name.ends_with(".yml") || name.ends_with(".yaml") {
        SourceKind::Compose
    } else {
        SourceKind::EcsTaskDefinition
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_uses_names_then_keys() {
        assert_eq!(detect("x/Dockerrun.aws.json", "{}"), SourceKind::Dockerrun);
        assert_eq!(detect("docker-compose.yml", ""), SourceKind::Compose);
        assert_eq!(
            detect("a.json", r#"{"AWSEBDockerrunVersion": 2}"#),
            SourceKind::Dockerrun
        );
        assert_eq!(detect("a.yaml", "services: {}"), SourceKind::Compose);
        assert_eq!(
            detect("td.json", r#"{"family": "x"}"#),
            SourceKind::EcsTaskDefinition
        );
        assert_eq!(detect("td.json", "{ broken"), SourceKind::EcsTaskDefinition);
    }
}
