//! Networking: FARGATE compatibility, awsvpc, host ports and port clashes.

use std::collections::BTreeMap;

use super::{catalog, container_path, finding};
use crate::finding::Finding;
use crate::model::TaskDefinition;

pub(super) fn check(task: &TaskDefinition, findings: &mut Vec<Finding>) {
    if !task.requires_compatibilities.iter().any(|c| c == "FARGATE") {
        findings.push(finding(
            &catalog::REQUIRES_FARGATE,
            "$.requiresCompatibilities".into(),
            format!(
                "requiresCompatibilities is {:?}, which does not include FARGATE",
                task.requires_compatibilities
            ),
            Some("set requiresCompatibilities to [\"FARGATE\"]".into()),
        ));
    }
    let mode = task.network_mode.as_deref();
    if mode != Some("awsvpc") {
        findings.push(finding(
            &catalog::NETWORK_MODE,
            "$.networkMode".into(),
            format!("networkMode is {}, Fargate only runs awsvpc", mode.map(|m| format!("`{m}`")).unwrap_or_else(|| "not set".into())),
            Some("set networkMode to \"awsvpc\" and reach the other containers of the task on 127.0.0.1".into()),
        ));
    }

    // Port owners keyed by (port, protocol): in awsvpc all containers share one network namespace.
    let mut owners: BTreeMap<(u16, String), String> = BTreeMap::new();
    for (i, c) in task.container_definitions.iter().enumerate() {
        for (j, m) in c.port_mappings.iter().enumerate() {
            let path = format!("{}.portMappings[{j}]", container_path(i));
            let Some(container_port) = m.container_port else {
                continue;
            };
            match m.host_port {
                Some(host) if host != container_port => findings.push(finding(
                    &catalog::HOST_PORT,
                    format!("{path}.hostPort"),
                    if host == 0 {
                        format!("container `{}` asks for a dynamic host port for {container_port}; awsvpc has none", c.name)
                    } else {
                        format!("container `{}` maps host port {host} to container port {container_port}", c.name)
                    },
                    Some(format!("set hostPort to {container_port} or omit it; the load balancer targets the container port")),
                )),
                _ => {}
            }
            let protocol = m
                .protocol
                .clone()
                .unwrap_or_else(|| "tcp".into())
                .to_ascii_lowercase();
            match owners.get(&(container_port, protocol.clone())) {
                Some(owner) => findings.push(finding(
                    &catalog::DUPLICATE_PORT,
                    format!("{path}.containerPort"),
                    format!(
                        "container `{}` listens on {container_port}/{protocol}, which `{owner}` already uses; containers of one task share one network namespace",
                        c.name
                    ),
                    Some(format!("change one container to listen on another port, or move `{}` to its own task", c.name)),
                )),
                None => {
                    owners.insert((container_port, protocol), c.name.clone());
                }
            }
        }
    }
}
