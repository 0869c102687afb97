//! Roles and secrets: the execution role Fargate needs, and `.env` variables turned into references.

use super::{account_and_region, container_path, Context};
use crate::error::TaskdefError;
use crate::finding::Severity;
use crate::model::{Secret, TaskDefinition};
use crate::rules::{catalog, execution_role_reasons, finding_with};

/// The role name the ECS console creates and the field reports used (seed 001).
const DEFAULT_EXECUTION_ROLE: &str = "ecsTaskExecutionRole";

pub(super) fn apply(
    task: &mut TaskDefinition,
    original: &TaskDefinition,
    cx: &mut Context<'_>,
) -> Result<(), TaskdefError> {
    if let Some(secrets) = &cx.options.secrets {
        let arn = secrets.secret_arn.trim();
        validate_secret_arn(arn)?;
        for wanted in &secrets.containers {
            if !task.container_definitions.iter().any(|c| &c.name == wanted) {
                return Err(TaskdefError::Option(format!(
                    "--secrets-container `{wanted}` is not a container of the task"
                )));
            }
        }
        for (i, c) in task.container_definitions.iter_mut().enumerate() {
            if !secrets.containers.is_empty() && !secrets.containers.contains(&c.name) {
                continue;
            }
            let at = container_path(i);
            for key in &secrets.keys {
                let before = c.environment.len();
                c.environment.retain(|kv| &kv.name != key);
                if c.environment.len() != before {
                    cx.change(
                        &catalog::SECRET_IN_ENVIRONMENT,
                        format!("{at}.environment"),
                        format!("container `{}`: removed `{key}` from environment", c.name),
                        "its value now comes from the secret; the same name in both would be refused",
                    );
                }
                let value_from = format!("{arn}:{key}::");
                match c.secrets.iter_mut().find(|s| &s.name == key) {
                    Some(existing) if existing.value_from == value_from => {}
                    Some(existing) => {
                        existing.value_from = value_from.clone();
                        cx.change(
                            &catalog::SECRET_IN_ENVIRONMENT,
                            format!("{at}.secrets"),
                            format!("container `{}`: secret `{key}` -> {value_from}", c.name),
                            format!(
                                "`{key}` is in {}; its value is read from that key of the secret",
                                secrets.origin
                            ),
                        );
                    }
                    None => {
                        c.secrets.push(Secret {
                            name: key.clone(),
                            value_from: value_from.clone(),
                        });
                        cx.change(
                            &catalog::SECRET_IN_ENVIRONMENT,
                            format!("{at}.secrets"),
                            format!("container `{}`: secret `{key}` from {value_from}", c.name),
                            format!("`{key}` is in {}; ECS injects the secret's key at start, never stored in the task definition", secrets.origin),
                        );
                    }
                }
            }
        }
    }

    if let Some(role) = &cx.options.task_role_arn {
        if task.task_role_arn.as_ref() != Some(role) {
            task.task_role_arn = Some(role.clone());
            cx.change(
                &catalog::SOURCE,
                "$.taskRoleArn",
                format!("taskRoleArn -> {role}"),
                "given with --task-role-arn",
            );
        }
    }
    if let Some(role) = &cx.options.execution_role_arn {
        if task.execution_role_arn.as_ref() != Some(role) {
            task.execution_role_arn = Some(role.clone());
            cx.change(
                &catalog::EXECUTION_ROLE,
                "$.executionRoleArn",
                format!("executionRoleArn -> {role}"),
                "given with --execution-role-arn",
            );
        }
        return Ok(());
    }
    let reasons = execution_role_reasons(task);
    if task.execution_role_arn.is_none() && !reasons.is_empty() {
        let account = account_and_region(original).0.or_else(|| {
            // arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME
            let arn = cx.options.secrets.as_ref()?.secret_arn.clone();
            arn.split(':')
                .nth(4)
                .filter(|a| !a.is_empty())
                .map(str::to_string)
        });
        if let Some(account) = account {
            let role = format!("arn:aws:iam::{account}:role/{DEFAULT_EXECUTION_ROLE}");
            task.execution_role_arn = Some(role.clone());
            cx.change(
                &catalog::EXECUTION_ROLE,
                "$.executionRoleArn",
                format!("executionRoleArn -> {role}"),
                format!(
                    "Fargate needs an execution role because {}",
                    reasons.join(" and ")
                ),
            );
            cx.findings.push(finding_with(
                &catalog::EXECUTION_ROLE,
                Severity::Warning,
                "$.executionRoleArn".into(),
                format!("assumed the execution role `{DEFAULT_EXECUTION_ROLE}` of account {account}"),
                Some("make sure it exists with AmazonECSTaskExecutionRolePolicy (and read access to the secrets), or pass --execution-role-arn".into()),
            ));
        }
    }
    Ok(())
}

/// `arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME`, with no JSON key or version already.
fn validate_secret_arn(arn: &str) -> Result<(), TaskdefError> {
    let parts: Vec<&str> = arn.split(':').collect();
    let ok = parts.len() == 7
        && parts[0] == "arn"
        && parts[2] == "secretsmanager"
        && parts[5] == "secret"
        && parts
            .iter()
            .enumerate()
            .all(|(i, p)| i == 3 || !p.is_empty());
    if ok {
        Ok(())
    } else {
        Err(TaskdefError::Option(format!(
            "--secret-arn `{arn}` is not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)"
        )))
    }
}
