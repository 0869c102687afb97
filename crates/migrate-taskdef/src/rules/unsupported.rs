//! Container and task parameters Fargate refuses outright.

use super::{catalog, container_path, finding};
use crate::finding::Finding;
use crate::model::TaskDefinition;

pub(super) fn check(task: &TaskDefinition, findings: &mut Vec<Finding>) {
    for (i, c) in task.container_definitions.iter().enumerate() {
        let at = container_path(i);
        let name = &c.name;
        if !c.links.is_empty() {
            findings.push(finding(
                &catalog::LINKS,
                format!("{at}.links"),
                format!("container `{name}` links to {:?}; links do not exist in awsvpc mode", c.links),
                Some("remove links and address the linked containers as 127.0.0.1 (migrate convert does both)".into()),
            ));
        }
        if c.privileged == Some(true) {
            findings.push(finding(
                &catalog::PRIVILEGED,
                format!("{at}.privileged"),
                format!("container `{name}` is privileged"),
                Some("remove privileged and grant only the capability the container needs (Fargate allows adding SYS_PTRACE), or keep this container on EC2".into()),
            ));
        }
        if let Some(devices) = c
            .linux_parameters
            .as_ref()
            .map(|l| &l.devices)
            .filter(|d| !d.is_empty())
        {
            findings.push(finding(
                &catalog::DEVICES,
                format!("{at}.linuxParameters.devices"),
                format!("container `{name}` maps {} host device(s)", devices.len()),
                Some("remove linuxParameters.devices; a workload that needs host devices must stay on EC2".into()),
            ));
        }
        if !c.docker_security_options.is_empty() {
            findings.push(finding(
                &catalog::DOCKER_SECURITY_OPTIONS,
                format!("{at}.dockerSecurityOptions"),
                format!(
                    "container `{name}` sets dockerSecurityOptions {:?}",
                    c.docker_security_options
                ),
                Some("remove dockerSecurityOptions; Fargate applies its own isolation".into()),
            ));
        }
        if let Some(hostname) = &c.hostname {
            findings.push(finding(
                &catalog::HOSTNAME,
                format!("{at}.hostname"),
                format!("container `{name}` sets hostname `{hostname}`"),
                Some("remove hostname; other containers of the task reach it on 127.0.0.1".into()),
            ));
        }
        if c.extra_hosts
            .as_ref()
            .is_some_and(|h| !h.is_null() && h.as_array().is_none_or(|a| !a.is_empty()))
        {
            findings.push(finding(
                &catalog::EXTRA_HOSTS,
                format!("{at}.extraHosts"),
                format!("container `{name}` sets extraHosts"),
                Some("remove extraHosts and use DNS (a Route 53 private zone or Cloud Map) for those names".into()),
            ));
        }
        if c.image.as_deref().is_none_or(|i| i.trim().is_empty()) {
            findings.push(finding(
                &catalog::IMAGE_MISSING,
                format!("{at}.image"),
                format!("container `{name}` has no image"),
                Some("build the image, push it to ECR and set image".into()),
            ));
        }
    }
    if !task.placement_constraints.is_empty() {
        findings.push(finding(
            &catalog::PLACEMENT_CONSTRAINTS,
            "$.placementConstraints".into(),
            format!(
                "the task has {} placement constraint(s)",
                task.placement_constraints.len()
            ),
            Some(
                "remove placementConstraints; spread tasks with the service's subnets instead"
                    .into(),
            ),
        ));
    }
    if let Some(mode) = &task.ipc_mode {
        findings.push(finding(
            &catalog::NAMESPACE_MODE,
            "$.ipcMode".into(),
            format!("ipcMode `{mode}` is set"),
            Some("remove ipcMode; Fargate does not share IPC namespaces".into()),
        ));
    }
    if let Some(mode) = task.pid_mode.as_deref().filter(|m| *m != "task") {
        findings.push(finding(
            &catalog::NAMESPACE_MODE,
            "$.pidMode".into(),
            format!("pidMode `{mode}` is set"),
            Some("remove pidMode or set it to \"task\"".into()),
        ));
    }
}
