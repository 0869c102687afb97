//! The execution role, and secrets that sit in plain environment variables.

use super::{catalog, container_path, finding};
use crate::finding::Finding;
use crate::model::TaskDefinition;
use crate::secrets::{looks_like_secret, mask};

/// Whether an image is pulled from ECR (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/...`).
pub(crate) fn is_ecr_image(image: &str) -> bool {
    let host = image.split('/').next().unwrap_or_default();
    host.contains(".dkr.ecr.") && host.contains(".amazonaws.com")
}

/// What makes the task need an execution role, in words; empty when nothing does.
pub(crate) fn execution_role_reasons(task: &TaskDefinition) -> Vec<String> {
    let mut reasons = Vec::new();
    let containers = &task.container_definitions;
    if let Some(c) = containers
        .iter()
        .find(|c| c.image.as_deref().is_some_and(is_ecr_image))
    {
        reasons.push(format!("container `{}` pulls its image from ECR", c.name));
    }
    if let Some(c) = containers.iter().find(|c| {
        c.log_configuration
            .as_ref()
            .is_some_and(|l| l.log_driver == "awslogs")
    }) {
        reasons.push(format!("container `{}` logs with awslogs", c.name));
    }
    if let Some(c) = containers.iter().find(|c| {
        !c.secrets.is_empty()
            || c.repository_credentials.is_some()
            || c.log_configuration
                .as_ref()
                .is_some_and(|l| l.secret_options.as_ref().is_some_and(|s| !s.is_empty()))
    }) {
        reasons.push(format!("container `{}` reads secrets", c.name));
    }
    reasons
}

pub(super) fn check(task: &TaskDefinition, findings: &mut Vec<Finding>) {
    let reasons = execution_role_reasons(task);
    if !reasons.is_empty()
        && task
            .execution_role_arn
            .as_deref()
            .is_none_or(|a| a.trim().is_empty())
    {
        findings.push(finding(
            &catalog::EXECUTION_ROLE,
            "$.executionRoleArn".into(),
            format!("no executionRoleArn, but {}", reasons.join(" and ")),
            Some("set executionRoleArn to a role with the AmazonECSTaskExecutionRolePolicy (and read access to the secrets); migrate convert --execution-role-arn".into()),
        ));
    }
    for (i, c) in task.container_definitions.iter().enumerate() {
        for (j, kv) in c.environment.iter().enumerate() {
            let value = kv.value.as_deref().unwrap_or_default();
            if looks_like_secret(&kv.name, value) {
                findings.push(finding(
                    &catalog::SECRET_IN_ENVIRONMENT,
                    format!("{}.environment[{j}].value", container_path(i)),
                    format!(
                        "container `{}`: `{}` looks like a secret in plain text (`{}`)",
                        c.name,
                        kv.name,
                        mask(value)
                    ),
                    Some("move it to Secrets Manager and reference it under secrets (migrate convert --env-file ... --secret-arn ...)".into()),
                ));
            }
        }
    }
}
