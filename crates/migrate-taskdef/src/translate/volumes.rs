//! Volumes: host paths and Docker volume drivers become task-scoped volumes, or EFS when asked.

use super::{container_path, Context, NetworkRequirement};
use crate::error::TaskdefError;
use crate::finding::Severity;
use crate::model::{EfsVolumeConfiguration, TaskDefinition};
use crate::rules::storage_is_docker_socket;
use crate::rules::{catalog, finding_with};

/// Beanstalk mounts `awseb-logs-CONTAINER` volumes it defines itself; they do not exist elsewhere.
const BEANSTALK_LOG_VOLUME_PREFIX: &str = "awseb-logs-";

pub(super) fn apply(task: &mut TaskDefinition, cx: &mut Context<'_>) -> Result<(), TaskdefError> {
    for efs in &cx.options.efs {
        if !task.volumes.iter().any(|v| v.name == efs.volume) {
            let names: Vec<&str> = task.volumes.iter().map(|v| v.name.as_str()).collect();
            return Err(TaskdefError::Option(format!(
                "--efs names volume `{}`, which the source does not define (volumes: {names:?})",
                efs.volume
            )));
        }
    }

    for (i, v) in task.volumes.iter_mut().enumerate() {
        let at = format!("$.volumes[{i}]");
        let source_path = v
            .host
            .as_ref()
            .and_then(|h| h.source_path.clone())
            .filter(|p| !p.is_empty());
        if let Some(efs) = cx.options.efs.iter().find(|e| e.volume == v.name) {
            v.host = None;
            v.docker_volume_configuration = None;
            v.efs_volume_configuration = Some(EfsVolumeConfiguration {
                file_system_id: efs.file_system_id.clone(),
                root_directory: efs.root_directory.clone(),
                transit_encryption: Some("ENABLED".into()),
                ..EfsVolumeConfiguration::default()
            });
            cx.change(
                &catalog::HOST_VOLUME,
                at.clone(),
                format!("volume `{}` -> EFS {}", v.name, efs.file_system_id),
                "asked for with --efs: the data outlives the task and is shared by all tasks; transit encryption is on",
            );
            cx.network_requirements.push(NetworkRequirement {
                security_group_id: efs.security_group_id.clone(),
                port: 2049,
                protocol: "tcp",
                reason: format!(
                    "the tasks mount EFS {} (volume `{}`) over NFS",
                    efs.file_system_id, v.name
                ),
            });
            continue;
        }
        match source_path {
            Some(path) if storage_is_docker_socket(&path) => {
                // Kept on purpose: the lint reports it as an error the user must resolve.
            }
            Some(path) => {
                v.host = None;
                cx.change(
                    &catalog::HOST_VOLUME,
                    format!("{at}.host"),
                    format!("volume `{}`: host path `{path}` -> task-scoped volume", v.name),
                    "Fargate has no host paths. The volume is shared by the task's containers but starts empty \
                     and ends with the task: bake files into the image, or pass --efs to keep data",
                );
                cx.findings.push(finding_with(
                    &catalog::HOST_VOLUME,
                    Severity::Warning,
                    format!("{at}.host"),
                    format!("volume `{}` was the host path `{path}`; whatever the instance kept there is not on Fargate", v.name),
                    Some(format!("bake the content into the image, or use EFS: --efs {}=fs-ID", v.name)),
                ));
            }
            None if v.host.is_some() => {
                v.host = None;
                cx.change(
                    &catalog::HOST_VOLUME,
                    format!("{at}.host"),
                    format!("volume `{}`: empty host removed", v.name),
                    "a volume without a host path is task-scoped; the empty host adds nothing",
                );
            }
            None => {}
        }
        if v.docker_volume_configuration.take().is_some() {
            cx.change(
                &catalog::DOCKER_VOLUME,
                format!("{at}.dockerVolumeConfiguration"),
                format!("volume `{}`: Docker volume driver -> task-scoped volume", v.name),
                "Fargate does not support Docker volume drivers; the volume now lives as long as the task",
            );
        }
    }

    let defined: Vec<String> = task.volumes.iter().map(|v| v.name.clone()).collect();
    for (i, c) in task.container_definitions.iter_mut().enumerate() {
        let name = c.name.clone();
        let mut index = 0;
        c.mount_points.retain(|m| {
            let j = index;
            index += 1;
            let Some(source) = m.source_volume.as_deref() else { return true };
            if source.starts_with(BEANSTALK_LOG_VOLUME_PREFIX) && !defined.iter().any(|d| d == source) {
                cx.change(
                    &catalog::UNDEFINED_VOLUME,
                    format!("{}.mountPoints[{j}]", container_path(i)),
                    format!("container `{name}`: removed the Beanstalk log mount `{source}`"),
                    "Beanstalk provides that volume; on Fargate the logs go to CloudWatch through awslogs",
                );
                return false;
            }
            true
        });
    }
    Ok(())
}
