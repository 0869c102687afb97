//! Elastic Beanstalk `Dockerrun.aws.json` version 2.
//!
//! Version 2 is already a list of ECS container definitions plus volumes; Beanstalk runs it on EC2
//! with bridge networking, which is what the common shape records so the translator converts it.

use serde::Deserialize;
use serde_json::Value;

use crate::error::TaskdefError;
use crate::finding::{Change, Finding, Location, Severity};
use crate::model::{ContainerDefinition, TaskDefinition, Volume};
use crate::rules::catalog;

use super::{dockerrun_v1, ecs, lenient, SourceKind, SourceTask};

/// The top-level keys of Dockerrun v2.
const KNOWN_KEYS: &[&str] = &[
    "AWSEBDockerrunVersion",
    "volumes",
    "containerDefinitions",
    "authentication",
];

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Dockerrun {
    #[serde(rename = "AWSEBDockerrunVersion")]
    version: Value,
    #[serde(default)]
    volumes: Vec<Volume>,
    #[serde(default)]
    container_definitions: Vec<ContainerDefinition>,
    #[serde(default)]
    authentication: Option<Value>,
}

pub(super) fn parse(
    origin: &str,
    text: &str,
    family: Option<&str>,
) -> Result<SourceTask, TaskdefError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| TaskdefError::from_json(origin, &e))?;
    let version = value
        .get("AWSEBDockerrunVersion")
        .cloned()
        .unwrap_or(Value::Null);
    let is_v2 = version == 2 || version == "2";
    if version == 1 || version == "1" {
        return dockerrun_v1::parse(origin, &value, family);
    }
    if !is_v2 {
        return Err(TaskdefError::invalid(
            origin,
            format!(
                "AWSEBDockerrunVersion is {version}; only versions 1 (one container) and 2 \
                 (multi-container) describe containers that can become a task definition"
            ),
        ));
    }
    let mut value = value;
    // Beanstalk reads the keys it knows and ignores the others (people leave notes such as
    // `_comment` or `family` in production files), so an unknown top-level key is a warning.
    let mut ignored = Vec::new();
    if let Value::Object(map) = &mut value {
        let unknown: Vec<String> = map
            .keys()
            .filter(|k| !KNOWN_KEYS.contains(&k.as_str()))
            .cloned()
            .collect();
        for key in unknown {
            map.remove(&key);
            ignored.push(key);
        }
    }
    let normalised = lenient::normalise(&mut value, origin, text)?;
    let dockerrun: Dockerrun = ecs::typed(
        origin,
        text,
        value,
        normalised.changed || !ignored.is_empty(),
    )?;
    let _ = dockerrun.version;
    let family = family.unwrap_or("app").to_string();
    let mut changes = vec![Change {
        rule: catalog::SOURCE.id,
        location: Location {
            file: Some(origin.to_string()),
            ..Location::default()
        },
        change: format!(
            "Dockerrun v2 wrapped as task definition family `{family}` with networkMode bridge"
        ),
        reason:
            "Beanstalk runs Dockerrun v2 containers on EC2 with bridge networking; the Fargate \
                 translation starts from that"
                .to_string(),
    }];
    let mut findings = normalised.findings;
    for key in ignored {
        findings.push(Finding {
            rule: catalog::SOURCE.id,
            name: catalog::SOURCE.name,
            severity: Severity::Warning,
            message: format!("`{key}` is not a Dockerrun v2 key; Beanstalk ignores it, and so does the translation"),
            location: Location { file: Some(origin.to_string()), path: Some(format!("$.{key}")), line: None },
            fix: Some("remove it, or check its spelling if it was meant to take effect".to_string()),
        });
    }
    if dockerrun.authentication.is_some() {
        findings.push(Finding {
            rule: catalog::SOURCE.id,
            name: catalog::SOURCE.name,
            severity: Severity::Warning,
            message: "`authentication` (a private-registry file in S3) has no Fargate equivalent and was dropped"
                .to_string(),
            location: Location { file: Some(origin.to_string()), path: Some("$.authentication".into()), line: None },
            fix: Some(
                "store the registry credentials in Secrets Manager and set `repositoryCredentials` on the \
                 containers whose images need them"
                    .to_string(),
            ),
        });
        changes.push(Change {
            rule: catalog::SOURCE.id,
            location: Location::path("$.authentication"),
            change: "removed `authentication`".to_string(),
            reason: "a task definition has no place for it".to_string(),
        });
    }
    let task = TaskDefinition {
        family: Some(family),
        network_mode: Some("bridge".to_string()),
        container_definitions: dockerrun.container_definitions,
        volumes: dockerrun.volumes,
        ..TaskDefinition::default()
    };
    Ok(SourceTask {
        kind: SourceKind::Dockerrun,
        task,
        changes,
        findings,
    })
}
