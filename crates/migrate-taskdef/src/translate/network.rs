//! FARGATE compatibility, awsvpc networking and host ports.

use super::{container_path, Context};
use crate::model::TaskDefinition;
use crate::rules::catalog;

pub(super) fn apply(task: &mut TaskDefinition, cx: &mut Context<'_>) {
    if task.requires_compatibilities != ["FARGATE"] {
        cx.change(
            &catalog::REQUIRES_FARGATE,
            "$.requiresCompatibilities",
            format!(
                "requiresCompatibilities {:?} -> [\"FARGATE\"]",
                task.requires_compatibilities
            ),
            "the task definition must be registered for Fargate",
        );
        task.requires_compatibilities = vec!["FARGATE".into()];
    }
    if task.network_mode.as_deref() != Some("awsvpc") {
        let old = task
            .network_mode
            .replace("awsvpc".into())
            .unwrap_or_else(|| "unset (bridge)".into());
        cx.change(
            &catalog::NETWORK_MODE,
            "$.networkMode",
            format!("networkMode {old} -> awsvpc"),
            "Fargate runs every task in awsvpc mode: the task gets its own network interface and its containers share it",
        );
    }
    for (i, c) in task.container_definitions.iter_mut().enumerate() {
        for (j, m) in c.port_mappings.iter_mut().enumerate() {
            let (Some(container_port), Some(host_port)) = (m.container_port, m.host_port) else {
                continue;
            };
            if host_port == container_port {
                continue;
            }
            m.host_port = Some(container_port);
            let reason = if host_port == 0 {
                "a dynamic host port (0) does not exist in awsvpc mode; the target group (type ip) targets the container port"
            } else {
                "in awsvpc mode the host port must equal the container port; the target group (type ip) targets the container port"
            };
            cx.change(
                &catalog::HOST_PORT,
                format!("{}.portMappings[{j}].hostPort", container_path(i)),
                format!(
                    "container `{}`: hostPort {host_port} -> {container_port}",
                    c.name
                ),
                reason,
            );
        }
    }
}
