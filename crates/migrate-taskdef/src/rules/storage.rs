//! Volumes: no host paths, no Docker socket, no volume drivers; EFS needs its security group open.

use super::{catalog, container_path, finding};
use crate::finding::Finding;
use crate::model::TaskDefinition;

/// Host paths of the Docker daemon's socket.
pub(crate) fn is_docker_socket(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    path == "/var/run/docker.sock" || path == "/run/docker.sock"
}

/// Images that keep data (or a cache the application relies on) and the managed service that keeps
/// it across task replacements.
const STATEFUL_IMAGES: &[(&str, &str)] = &[
    ("mysql", "Amazon RDS for MySQL or Aurora MySQL"),
    ("mariadb", "Amazon RDS for MariaDB"),
    ("percona", "Amazon RDS for MySQL"),
    ("postgres", "Amazon RDS for PostgreSQL or Aurora PostgreSQL"),
    ("postgis", "Amazon RDS for PostgreSQL (with PostGIS)"),
    ("redis", "Amazon ElastiCache for Redis"),
    ("valkey", "Amazon ElastiCache for Valkey"),
    ("memcached", "Amazon ElastiCache for Memcached"),
    ("mongo", "Amazon DocumentDB"),
    ("mongodb", "Amazon DocumentDB"),
    ("elasticsearch", "Amazon OpenSearch Service"),
    ("opensearch", "Amazon OpenSearch Service"),
    ("rabbitmq", "Amazon MQ for RabbitMQ"),
    ("kafka", "Amazon MSK"),
    ("cassandra", "Amazon Keyspaces"),
    ("influxdb", "Amazon Timestream for InfluxDB"),
];

/// A database or cache container beside other containers, with no EFS volume mounted.
fn check_stateful(task: &TaskDefinition, findings: &mut Vec<Finding>) {
    if task.container_definitions.len() < 2 {
        return;
    }
    let efs_volumes: Vec<&str> = task
        .volumes
        .iter()
        .filter(|v| v.efs_volume_configuration.is_some())
        .map(|v| v.name.as_str())
        .collect();
    for (i, c) in task.container_definitions.iter().enumerate() {
        let Some(image) = c.image.as_deref() else {
            continue;
        };
        let name = crate::translate::known_images::repository_name(image).to_ascii_lowercase();
        let Some((kind, managed)) = STATEFUL_IMAGES.iter().find(|(k, _)| *k == name) else {
            continue;
        };
        let on_efs = c.mount_points.iter().any(|m| {
            m.source_volume
                .as_deref()
                .is_some_and(|v| efs_volumes.contains(&v))
        });
        if on_efs {
            continue;
        }
        findings.push(finding(
            &catalog::STATEFUL_CONTAINER,
            format!("{}.image", container_path(i)),
            format!(
                "container `{}` runs `{kind}` inside the web task: its data is lost whenever a task is replaced (every deployment, scale-in or failure), and each task gets its own copy",
                c.name
            ),
            Some(format!(
                "move it to {managed} and point the application at its endpoint; or, for files, mount EFS (--efs VOLUME=fs-ID)"
            )),
        ));
    }
}

pub(super) fn check(task: &TaskDefinition, findings: &mut Vec<Finding>) {
    check_stateful(task, findings);
    for (i, v) in task.volumes.iter().enumerate() {
        let at = format!("$.volumes[{i}]");
        if let Some(path) = v
            .host
            .as_ref()
            .and_then(|h| h.source_path.as_deref())
            .filter(|p| !p.is_empty())
        {
            if is_docker_socket(path) {
                findings.push(finding(
                    &catalog::DOCKER_SOCKET,
                    format!("{at}.host.sourcePath"),
                    format!("volume `{}` mounts the Docker socket `{path}`", v.name),
                    Some("remove the volume and its mount points; a container that drives Docker must stay on EC2 (or use the ECS API instead)".into()),
                ));
            } else {
                findings.push(finding(
                    &catalog::HOST_VOLUME,
                    format!("{at}.host.sourcePath"),
                    format!("volume `{}` is the host path `{path}`", v.name),
                    Some("drop host.sourcePath for a task-scoped volume (bake files into the image), or use EFS (migrate convert --efs VOLUME=fs-ID)".into()),
                ));
            }
        }
        if v.docker_volume_configuration.is_some() {
            findings.push(finding(
                &catalog::DOCKER_VOLUME,
                format!("{at}.dockerVolumeConfiguration"),
                format!("volume `{}` uses a Docker volume driver", v.name),
                Some(
                    "remove dockerVolumeConfiguration for a task-scoped volume, or use EFS".into(),
                ),
            ));
        }
        if let Some(efs) = &v.efs_volume_configuration {
            findings.push(finding(
                &catalog::EFS_ACCESS,
                format!("{at}.efsVolumeConfiguration"),
                format!(
                    "volume `{}` is EFS file system {}: its mount targets' security group must allow TCP 2049 from the service's security group",
                    v.name, efs.file_system_id
                ),
                None,
            ));
        }
    }
    for (i, c) in task.container_definitions.iter().enumerate() {
        for (j, m) in c.mount_points.iter().enumerate() {
            let Some(source) = &m.source_volume else {
                continue;
            };
            if !task.volumes.iter().any(|v| &v.name == source) {
                findings.push(finding(
                    &catalog::UNDEFINED_VOLUME,
                    format!("{}.mountPoints[{j}].sourceVolume", container_path(i)),
                    format!(
                        "container `{}` mounts volume `{source}`, which the task does not define",
                        c.name
                    ),
                    Some(format!(
                        "add a volume named `{source}` or remove the mount point"
                    )),
                ));
            }
        }
    }
}
