//! Translation of a source task definition into a Fargate one.
//!
//! The translation is a fixed sequence of passes over the typed task definition, each owning one
//! concern and recording every edit as a [`Change`] with its reason. Passes fix what has a safe
//! mechanical fix (ports, links, log drivers, task size...). What would silently change behaviour
//! (privileged mode, host devices, the Docker socket, clashing ports) is left in place, so the lint
//! that runs last reports it as an error and the command fails rather than deploy something else.

mod credentials;
mod hosts;
pub(crate) mod known_images;
mod links;
mod logging;
mod network;
mod size;
mod unsupported;
mod volumes;

use serde::Serialize;
use serde_json::Value;

use crate::error::TaskdefError;
use crate::finding::{Change, Finding, Location};
use crate::model::TaskDefinition;
use crate::rules;
use crate::source::{self, SourceDocument, SourceKind};

/// A text file given alongside the source (an nginx configuration), or produced by the translation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextFile {
    pub origin: String,
    pub text: String,
}

/// Secrets to reference instead of inlining: every variable name of a `.env` file becomes a
/// `secrets` entry reading the key of the same name from one Secrets Manager secret.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretsFromEnvFile {
    /// The `.env` file, for locations in messages.
    pub origin: String,
    /// The variable names (see [`crate::envfile::keys`]); values are never needed.
    pub keys: Vec<String>,
    /// `arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-SUFFIX`.
    pub secret_arn: String,
    /// The containers that get the secrets; empty means all.
    pub containers: Vec<String>,
}

/// One source volume to back with EFS instead of a task-scoped volume.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EfsVolume {
    pub volume: String,
    pub file_system_id: String,
    pub root_directory: Option<String>,
    /// The security group of the file system's mount targets, which must admit the service.
    pub security_group_id: Option<String>,
}

/// Everything the translation may be told instead of guessing.
#[derive(Debug, Clone, Default)]
pub struct TranslateOptions {
    /// The source kind; `None` detects it.
    pub kind: Option<SourceKind>,
    /// The family of the new task definition; defaults to the source's (or `app`).
    pub family: Option<String>,
    /// Task cpu units and memory in MiB; when given they must be a valid Fargate pair.
    pub cpu: Option<u32>,
    pub memory_mib: Option<u32>,
    pub execution_role_arn: Option<String>,
    pub task_role_arn: Option<String>,
    /// The awslogs group of every container; defaults to the source's group with `-fargate`.
    pub log_group: Option<String>,
    /// The region for awslogs when the source does not tell.
    pub region: Option<String>,
    pub secrets: Option<SecretsFromEnvFile>,
    pub efs: Vec<EfsVolume>,
    pub nginx_configs: Vec<TextFile>,
}

/// A network opening the new service needs before its tasks can work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetworkRequirement {
    /// The security group that must admit the service's security group.
    pub security_group_id: Option<String>,
    pub port: u16,
    pub protocol: &'static str,
    pub reason: String,
}

/// The result of a translation.
#[derive(Debug, Clone, Serialize)]
pub struct Translation {
    pub source_kind: SourceKind,
    /// The `RegisterTaskDefinition` input for Fargate.
    pub task_definition: Value,
    /// Every edit made, in order, with its reason.
    pub changes: Vec<Change>,
    /// What is still wrong or needs a person, including the lint of the output.
    pub findings: Vec<Finding>,
    /// The nginx configurations, rewritten (one per `nginx_configs` entry, same order).
    pub rewritten_files: Vec<TextFile>,
    /// Openings the service needs (EFS).
    pub network_requirements: Vec<NetworkRequirement>,
    /// The CloudWatch log groups the containers write to; they must exist before the service starts.
    pub log_groups: Vec<String>,
}

/// State shared by the passes.
pub(crate) struct Context<'a> {
    pub options: &'a TranslateOptions,
    pub kind: SourceKind,
    pub changes: Vec<Change>,
    pub findings: Vec<Finding>,
    pub rewritten_files: Vec<TextFile>,
    pub network_requirements: Vec<NetworkRequirement>,
    pub log_groups: Vec<String>,
}

impl Context<'_> {
    pub(crate) fn change(
        &mut self,
        rule: &rules::catalog::Rule,
        path: impl Into<String>,
        change: impl Into<String>,
        reason: impl Into<String>,
    ) {
        self.changes.push(Change {
            rule: rule.id,
            location: Location::path(path),
            change: change.into(),
            reason: reason.into(),
        });
    }
}

/// Translates a source document into a Fargate task definition.
pub fn translate(
    input: &SourceDocument,
    options: &TranslateOptions,
) -> Result<Translation, TaskdefError> {
    let doc = match (input.kind, options.kind) {
        (None, Some(kind)) => input.clone().with_kind(kind),
        _ => input.clone(),
    };
    let parsed = source::parse(&doc, options.family.as_deref())?;
    let mut task = parsed.task;
    let mut cx = Context {
        options,
        kind: parsed.kind,
        changes: parsed.changes,
        findings: parsed.findings,
        rewritten_files: Vec::new(),
        network_requirements: Vec::new(),
        log_groups: Vec::new(),
    };
    // The source's facts (log groups, accounts, regions) are read before any pass rewrites them.
    let original = task.clone();

    if let Some(family) = &options.family {
        if task.family.as_deref() != Some(family) {
            cx.change(
                &rules::catalog::SOURCE,
                "$.family",
                format!("family -> `{family}`"),
                "given with --family",
            );
            task.family = Some(family.clone());
        }
    }
    if task.family.is_none() {
        cx.change(
            &rules::catalog::SOURCE,
            "$.family",
            "family -> `app`",
            "RegisterTaskDefinition needs a family",
        );
        task.family = Some("app".into());
    }

    unsupported::apply(&mut task, &mut cx);
    network::apply(&mut task, &mut cx);
    links::apply(&mut task, &mut cx);
    volumes::apply(&mut task, &mut cx)?;
    logging::apply(&mut task, &original, &mut cx);
    credentials::apply(&mut task, &original, &mut cx)?;
    size::apply(&mut task, &mut cx)?;

    let mut findings = cx.findings;
    findings.extend(rules::check(&task));
    findings.sort_by_key(|f| f.rule);
    let task_definition = serde_json::to_value(&task).map_err(|e| {
        TaskdefError::invalid(
            &input.origin,
            format!("cannot render the task definition: {e}"),
        )
    })?;
    Ok(Translation {
        source_kind: parsed.kind,
        task_definition,
        changes: cx.changes,
        findings,
        rewritten_files: cx.rewritten_files,
        network_requirements: cx.network_requirements,
        log_groups: cx.log_groups,
    })
}

/// The account id and region an ARN or an ECR image names, where it names them.
pub(crate) fn account_and_region(task: &TaskDefinition) -> (Option<String>, Option<String>) {
    let mut account = None;
    let mut region = None;
    for image in task
        .container_definitions
        .iter()
        .filter_map(|c| c.image.as_deref())
    {
        // ACCOUNT.dkr.ecr.REGION.amazonaws.com/repo:tag
        let host = image.split('/').next().unwrap_or_default();
        let parts: Vec<&str> = host.split('.').collect();
        if parts.len() >= 5 && parts[1] == "dkr" && parts[2] == "ecr" {
            account = account.or_else(|| Some(parts[0].to_string()));
            region = region.or_else(|| Some(parts[3].to_string()));
        }
    }
    if let Some(arn) = &task.task_definition_arn {
        // arn:PARTITION:ecs:REGION:ACCOUNT:task-definition/...
        let parts: Vec<&str> = arn.split(':').collect();
        if parts.len() >= 6 {
            region = region.or_else(|| Some(parts[3].to_string()).filter(|r| !r.is_empty()));
            account = account.or_else(|| Some(parts[4].to_string()).filter(|a| !a.is_empty()));
        }
    }
    (account, region)
}

/// The JSON path of container `i`.
pub(crate) fn container_path(i: usize) -> String {
    rules::container_path(i)
}

/// Lints a task definition given as JSON text (bare or as `describe-task-definition` prints it).
pub fn lint(task_definition_json: &str, origin: &str) -> Result<Vec<Finding>, TaskdefError> {
    let task = source::parse_task_definition(origin, task_definition_json)?;
    Ok(rules::check(&task))
}
