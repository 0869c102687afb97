//! Elastic Beanstalk `Dockerrun.aws.json` version 1: one container, described in Beanstalk's own
//! keys (`Image.Name`, `Ports[].ContainerPort`, `Volumes[]`, `Logging`...). It becomes a task of one
//! container named `app`, on bridge networking as Beanstalk ran it; the translation does the rest.
//! See <https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/single-container-docker-configuration.html>.

use serde_json::Value;

use crate::error::TaskdefError;
use crate::finding::{Change, Finding, Location, Severity};
use crate::model::{
    ContainerDefinition, HostVolume, MountPoint, PortMapping, TaskDefinition, Volume,
};
use crate::rules::catalog;

use super::{SourceKind, SourceTask};

const KNOWN_KEYS: &[&str] = &[
    "AWSEBDockerrunVersion",
    "Image",
    "Ports",
    "Volumes",
    "Logging",
    "Authentication",
    "Entrypoint",
    "Command",
];

pub(super) fn parse(
    origin: &str,
    value: &Value,
    family: Option<&str>,
) -> Result<SourceTask, TaskdefError> {
    let family = family.unwrap_or("app").to_string();
    let mut findings = Vec::new();
    let mut warn = |path: String, message: String, fix: &str, severity: Severity| {
        findings.push(Finding {
            rule: catalog::SOURCE.id,
            name: catalog::SOURCE.name,
            severity,
            message,
            location: Location {
                file: Some(origin.to_string()),
                path: Some(path),
                line: None,
            },
            fix: Some(fix.to_string()),
        });
    };
    let Some(map) = value.as_object() else {
        return Err(TaskdefError::invalid(
            origin,
            "a Dockerrun file must be a JSON object",
        ));
    };
    for key in map.keys().filter(|k| !KNOWN_KEYS.contains(&k.as_str())) {
        warn(
            format!("$.{key}"),
            format!("`{key}` is not a Dockerrun v1 key; Beanstalk ignores it, and so does the translation"),
            "remove it, or check its spelling if it was meant to take effect",
            Severity::Warning,
        );
    }
    let image = value["Image"]["Name"].as_str().map(str::to_string);
    if image.is_none() {
        warn(
            "$.Image".into(),
            "no `Image.Name`: Beanstalk built the image from the Dockerfile in the source bundle"
                .into(),
            "build the image, push it to ECR and name it in the task definition",
            Severity::Error,
        );
    }
    let mut port_mappings = Vec::new();
    for (i, port) in value["Ports"].as_array().into_iter().flatten().enumerate() {
        let raw = &port["ContainerPort"];
        let number = raw
            .as_u64()
            .or_else(|| raw.as_str().and_then(|s| s.trim().parse().ok()))
            .and_then(|p| u16::try_from(p).ok());
        let Some(container_port) = number else {
            return Err(TaskdefError::invalid(
                origin,
                format!("$.Ports[{i}].ContainerPort: {raw} is not a port number"),
            ));
        };
        port_mappings.push(PortMapping {
            container_port: Some(container_port),
            host_port: Some(0),
            ..PortMapping::default()
        });
    }
    let mut volumes = Vec::new();
    let mut mount_points = Vec::new();
    for (i, v) in value["Volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let (Some(host), Some(container)) = (
            v["HostDirectory"].as_str(),
            v["ContainerDirectory"].as_str(),
        ) else {
            return Err(TaskdefError::invalid(
                origin,
                format!("$.Volumes[{i}]: a volume needs HostDirectory and ContainerDirectory"),
            ));
        };
        let name = format!("volume-{i}");
        volumes.push(Volume {
            name: name.clone(),
            host: Some(HostVolume {
                source_path: Some(host.to_string()),
            }),
            ..Volume::default()
        });
        mount_points.push(MountPoint {
            source_volume: Some(name),
            container_path: Some(container.to_string()),
            ..MountPoint::default()
        });
    }
    if let Some(dir) = value["Logging"].as_str() {
        warn(
            "$.Logging".into(),
            format!("`Logging` ({dir}) was a host directory Beanstalk collected logs from; Fargate logs go to CloudWatch (awslogs)"),
            "have the application log to stdout/stderr",
            Severity::Warning,
        );
    }
    if map.contains_key("Authentication") {
        warn(
            "$.Authentication".into(),
            "`Authentication` (a private-registry file in S3) has no Fargate equivalent and was dropped".into(),
            "store the registry credentials in Secrets Manager and set `repositoryCredentials`",
            Severity::Warning,
        );
    }
    let words = |key: &str| {
        value[key]
            .as_str()
            .map(|s| s.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .filter(|w| !w.is_empty())
    };
    let container = ContainerDefinition {
        name: "app".to_string(),
        image,
        essential: Some(true),
        port_mappings,
        mount_points,
        entry_point: words("Entrypoint"),
        command: words("Command"),
        ..ContainerDefinition::default()
    };
    let changes = vec![Change {
        rule: catalog::SOURCE.id,
        location: Location { file: Some(origin.to_string()), ..Location::default() },
        change: format!("Dockerrun v1 read as task definition family `{family}` with one container `app`, networkMode bridge"),
        reason: "Beanstalk runs a Dockerrun v1 image as one container on EC2 with bridge networking; the Fargate translation starts from that".to_string(),
    }];
    Ok(SourceTask {
        kind: SourceKind::Dockerrun,
        task: TaskDefinition {
            family: Some(family),
            network_mode: Some("bridge".to_string()),
            container_definitions: vec![container],
            volumes,
            ..TaskDefinition::default()
        },
        changes,
        findings,
    })
}
