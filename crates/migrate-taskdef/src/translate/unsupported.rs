//! Removing what RegisterTaskDefinition or Fargate refuses and what has a safe removal.
//!
//! Settings whose removal changes what the workload can do (privileged, devices, the Docker socket)
//! are deliberately not removed here: the lint reports them as errors instead.

use super::{container_path, Context};
use crate::finding::Severity;
use crate::model::TaskDefinition;
use crate::rules::{catalog, finding_with};

pub(super) fn apply(task: &mut TaskDefinition, cx: &mut Context<'_>) {
    let describe_only = [
        (
            "taskDefinitionArn",
            task.task_definition_arn.take().is_some(),
        ),
        ("revision", task.revision.take().is_some()),
        ("status", task.status.take().is_some()),
        (
            "requiresAttributes",
            task.requires_attributes.take().is_some(),
        ),
        ("compatibilities", task.compatibilities.take().is_some()),
        ("registeredAt", task.registered_at.take().is_some()),
        ("registeredBy", task.registered_by.take().is_some()),
        ("deregisteredAt", task.deregistered_at.take().is_some()),
    ];
    let removed: Vec<&str> = describe_only
        .iter()
        .filter(|(_, was)| *was)
        .map(|(name, _)| *name)
        .collect();
    if !removed.is_empty() {
        cx.change(
            &catalog::SOURCE,
            "$",
            format!("removed {}", removed.join(", ")),
            "describe-task-definition prints them but RegisterTaskDefinition refuses them",
        );
    }
    if !task.placement_constraints.is_empty() {
        task.placement_constraints.clear();
        cx.change(
            &catalog::PLACEMENT_CONSTRAINTS,
            "$.placementConstraints",
            "removed placementConstraints",
            "Fargate has no instances to constrain; the service's subnets decide where tasks run",
        );
    }
    if let Some(mode) = task.ipc_mode.take() {
        cx.change(
            &catalog::NAMESPACE_MODE,
            "$.ipcMode",
            format!("removed ipcMode `{mode}`"),
            "Fargate does not support ipcMode",
        );
    }
    if let Some(mode) = task.pid_mode.take_if(|m| m != "task") {
        cx.change(
            &catalog::NAMESPACE_MODE,
            "$.pidMode",
            format!("removed pidMode `{mode}`"),
            "Fargate supports only pidMode task",
        );
    }
    for (i, c) in task.container_definitions.iter_mut().enumerate() {
        let at = container_path(i);
        if let Some(hostname) = c.hostname.take() {
            cx.change(
                &catalog::HOSTNAME,
                format!("{at}.hostname"),
                format!("removed hostname `{hostname}`"),
                "awsvpc mode does not accept hostname; the other containers of the task reach this one on 127.0.0.1",
            );
        }
        if !c.docker_security_options.is_empty() {
            let options = std::mem::take(&mut c.docker_security_options);
            cx.change(
                &catalog::DOCKER_SECURITY_OPTIONS,
                format!("{at}.dockerSecurityOptions"),
                format!("removed dockerSecurityOptions {options:?}"),
                "Fargate refuses dockerSecurityOptions and applies its own isolation",
            );
        }
        if let Some(hosts) = c.extra_hosts.take() {
            let names: Vec<String> = hosts
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|h| h.get("hostname")?.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            cx.change(
                &catalog::EXTRA_HOSTS,
                format!("{at}.extraHosts"),
                format!("removed extraHosts {names:?}"),
                "awsvpc mode does not accept extraHosts",
            );
            if !names.is_empty() {
                cx.findings.push(finding_with(
                    &catalog::EXTRA_HOSTS,
                    Severity::Warning,
                    format!("{at}.extraHosts"),
                    format!("container `{}` resolved {names:?} through extraHosts; on Fargate they must resolve through DNS", c.name),
                    Some("create the records in a Route 53 private hosted zone of the VPC".into()),
                ));
            }
        }
    }
}
