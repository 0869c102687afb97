//! The `migrate convert` and `migrate lint` commands: their arguments and what they do.
//!
//! The translation and the lint are the pure library `migrate-taskdef`; this module reads the files
//! the flags name, calls it, and prints. [`run_convert`] / [`run_lint`] return the exit code: 0 when
//! no error finding remains, 1 otherwise. Problems that stop the command (unreadable or malformed
//! input, unusable options) are returned as [`TaskdefError`].

use std::io::Write;
use std::path::{Path, PathBuf};

use migrate_taskdef::locate::LineIndex;
use migrate_taskdef::{
    envfile, has_errors, lint, render, translate, EfsVolume, SecretsFromEnvFile, SourceDocument,
    SourceKind, TaskdefError, TextFile, TranslateOptions,
};
use serde_json::json;

/// How results are printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    #[default]
    Human,
    Json,
    Sarif,
}

/// The source kinds as `--kind` spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KindArg {
    /// An ECS task definition: `RegisterTaskDefinition` input or `describe-task-definition` output.
    Ecs,
    /// An Elastic Beanstalk `Dockerrun.aws.json`, version 2 (multi-container).
    Dockerrun,
    /// A `docker-compose.yml`.
    Compose,
}

impl From<KindArg> for SourceKind {
    fn from(kind: KindArg) -> Self {
        match kind {
            KindArg::Ecs => SourceKind::EcsTaskDefinition,
            KindArg::Dockerrun => SourceKind::Dockerrun,
            KindArg::Compose => SourceKind::Compose,
        }
    }
}

/// `migrate convert SOURCE`: translate a task definition, Dockerrun v2 or compose file for Fargate.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConvertArgs {
    /// The source: an ECS task definition (JSON), a Dockerrun.aws.json v2 or a docker-compose.yml.
    pub source: PathBuf,
    /// The source kind, when detection from the name and content is not wanted.
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    /// Write the Fargate task definition to this file (otherwise it is printed).
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// How to print the changes and findings.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// The family of the new task definition.
    #[arg(long)]
    pub family: Option<String>,
    /// Task cpu units (256, 512, 1024, 2048, 4096, 8192, 16384).
    #[arg(long)]
    pub cpu: Option<u32>,
    /// Task memory in MiB; with --cpu it must be a valid Fargate pair.
    #[arg(long)]
    pub memory: Option<u32>,
    /// The execution role (pulls images, writes logs, reads secrets).
    #[arg(long)]
    pub execution_role_arn: Option<String>,
    /// The task role (what the application itself may call).
    #[arg(long)]
    pub task_role_arn: Option<String>,
    /// The awslogs group of every container; it must differ from the source's.
    #[arg(long)]
    pub log_group: Option<String>,
    /// The region for awslogs, when the source does not tell.
    #[arg(long)]
    pub region: Option<String>,
    /// An nginx configuration to rewrite (link names and localhost upstreams -> 127.0.0.1).
    #[arg(long = "nginx-conf")]
    pub nginx_conf: Vec<PathBuf>,
    /// Write the rewritten nginx configurations into this directory, under their own file names.
    #[arg(long)]
    pub nginx_out_dir: Option<PathBuf>,
    /// A .env file whose variables become secrets read from --secret-arn (values are never read into
    /// the task definition).
    #[arg(long, requires = "secret_arn")]
    pub env_file: Option<PathBuf>,
    /// The Secrets Manager secret holding the .env variables as JSON keys.
    #[arg(long, requires = "env_file")]
    pub secret_arn: Option<String>,
    /// Only these containers get the secrets (default: all).
    #[arg(long = "secrets-container")]
    pub secrets_container: Vec<String>,
    /// Back a source volume with EFS instead of a task-scoped volume: VOLUME=fs-ID[:/root/dir].
    #[arg(long)]
    pub efs: Vec<String>,
    /// The security group of the EFS mount targets, which must admit the service on TCP 2049.
    #[arg(long)]
    pub efs_security_group: Option<String>,
}

/// `migrate lint TASKDEF`: check a task definition for Fargate.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LintArgs {
    /// The task definition (JSON, bare or as describe-task-definition prints it).
    pub taskdef: PathBuf,
    /// How to print the findings.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Runs `migrate convert`. Returns 1 when an error finding remains in the translation.
pub fn run_convert(args: &ConvertArgs, out: &mut dyn Write) -> Result<i32, TaskdefError> {
    let options = options_from(args)?;
    let mut doc = SourceDocument::read(&args.source)?;
    doc.kind = args.kind.map(SourceKind::from);
    let translation = translate(&doc, &options)?;

    let pretty = serde_json::to_string_pretty(&translation.task_definition).map_err(|e| {
        TaskdefError::Invalid {
            origin: doc.origin.clone(),
            message: format!("cannot render the task definition: {e}"),
        }
    })?;
    let output_index = LineIndex::build(&pretty);
    let output_name = args.output.as_ref().map(|p| p.display().to_string());
    if let Some(path) = &args.output {
        write_file(path, &format!("{pretty}\n"))?;
    }
    if let Some(dir) = &args.nginx_out_dir {
        for file in &translation.rewritten_files {
            let name = Path::new(&file.origin).file_name().ok_or_else(|| {
                TaskdefError::Option(format!("--nginx-conf `{}` has no file name", file.origin))
            })?;
            write_file(&dir.join(name), &file.text)?;
        }
    }

    let write_err = |source| TaskdefError::Write {
        what: "the report".into(),
        source,
    };
    match args.format {
        Format::Json => {
            let findings = render::json_findings(
                &translation.findings,
                output_name.as_deref(),
                Some(&output_index),
            );
            let mut report = json!({
                "sourceKind": translation.source_kind,
                "changes": translation.changes,
                "findings": findings["findings"],
                "summary": findings["summary"],
                "networkRequirements": translation.network_requirements,
                "logGroups": translation.log_groups,
            });
            if args.output.is_none() {
                report["taskDefinition"] = translation.task_definition.clone();
            }
            let text = serde_json::to_string_pretty(&report)
                .map_err(|e| TaskdefError::Option(e.to_string()))?;
            writeln!(out, "{text}").map_err(write_err)?;
        }
        Format::Sarif => {
            let sarif = render::sarif_findings(
                &translation.findings,
                output_name.as_deref(),
                Some(&output_index),
            );
            let text = serde_json::to_string_pretty(&sarif)
                .map_err(|e| TaskdefError::Option(e.to_string()))?;
            writeln!(out, "{text}").map_err(write_err)?;
        }
        Format::Human => {
            let mut text = String::new();
            text.push_str("Changes:\n");
            text.push_str(&render::human_changes(&translation.changes));
            for requirement in &translation.network_requirements {
                text.push_str(&format!(
                    "Needs: the service's security group allowed on {}/{} by {} ({})\n",
                    requirement.port,
                    requirement.protocol,
                    requirement
                        .security_group_id
                        .as_deref()
                        .unwrap_or("the file system's security group"),
                    requirement.reason
                ));
            }
            if !translation.log_groups.is_empty() {
                text.push_str(&format!(
                    "Log groups to create: {}\n",
                    translation.log_groups.join(", ")
                ));
            }
            if !translation.rewritten_files.is_empty() && args.nginx_out_dir.is_none() {
                text.push_str("The nginx configurations were not written; pass --nginx-out-dir to write them.\n");
            }
            text.push_str("\nFindings:\n");
            text.push_str(&render::human_findings(
                &translation.findings,
                output_name.as_deref(),
                Some(&output_index),
            ));
            if args.output.is_none() {
                text.push_str("\nTask definition:\n");
                text.push_str(&pretty);
                text.push('\n');
            }
            out.write_all(text.as_bytes()).map_err(write_err)?;
        }
    }
    Ok(if has_errors(&translation.findings) {
        1
    } else {
        0
    })
}

/// Runs `migrate lint`. Returns 1 when there is an error finding.
pub fn run_lint(args: &LintArgs, out: &mut dyn Write) -> Result<i32, TaskdefError> {
    let origin = args.taskdef.display().to_string();
    let text = std::fs::read_to_string(&args.taskdef).map_err(|source| TaskdefError::Read {
        origin: origin.clone(),
        source,
    })?;
    let findings = lint(&text, &origin)?;
    let index = LineIndex::build(&text);
    let rendered = match args.format {
        Format::Human => render::human_findings(&findings, Some(&origin), Some(&index)),
        Format::Json => pretty_line(&render::json_findings(
            &findings,
            Some(&origin),
            Some(&index),
        ))?,
        Format::Sarif => pretty_line(&render::sarif_findings(
            &findings,
            Some(&origin),
            Some(&index),
        ))?,
    };
    out.write_all(rendered.as_bytes())
        .map_err(|source| TaskdefError::Write {
            what: "the report".into(),
            source,
        })?;
    Ok(if has_errors(&findings) { 1 } else { 0 })
}

fn pretty_line(value: &serde_json::Value) -> Result<String, TaskdefError> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|e| TaskdefError::Option(e.to_string()))
}

fn write_file(path: &Path, text: &str) -> Result<(), TaskdefError> {
    std::fs::write(path, text).map_err(|source| TaskdefError::Write {
        what: path.display().to_string(),
        source,
    })
}

/// Turns the flags into translation options, reading the files they name.
pub fn options_from(args: &ConvertArgs) -> Result<TranslateOptions, TaskdefError> {
    let secrets = match (&args.env_file, &args.secret_arn) {
        (Some(path), Some(arn)) => {
            let origin = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|source| TaskdefError::Read {
                origin: origin.clone(),
                source,
            })?;
            let keys = envfile::keys(&origin, &text)?;
            Some(SecretsFromEnvFile {
                origin,
                keys,
                secret_arn: arn.clone(),
                containers: args.secrets_container.clone(),
            })
        }
        (None, None) => None,
        // Values are never inlined, so a .env file needs a secret to point at, and vice versa.
        (Some(_), None) => {
            return Err(TaskdefError::Option(
                "--env-file needs --secret-arn: values are never put in the task definition".into(),
            ))
        }
        (None, Some(_)) => {
            return Err(TaskdefError::Option(
                "--secret-arn needs --env-file to know which keys to read".into(),
            ))
        }
    };
    let efs = args
        .efs
        .iter()
        .map(|spec| parse_efs(spec, args.efs_security_group.as_deref()))
        .collect::<Result<Vec<_>, _>>()?;
    let nginx_configs = args
        .nginx_conf
        .iter()
        .map(|path| {
            let origin = path.display().to_string();
            std::fs::read_to_string(path)
                .map(|text| TextFile {
                    origin: origin.clone(),
                    text,
                })
                .map_err(|source| TaskdefError::Read { origin, source })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(TranslateOptions {
        kind: args.kind.map(SourceKind::from),
        family: args.family.clone(),
        cpu: args.cpu,
        memory_mib: args.memory,
        execution_role_arn: args.execution_role_arn.clone(),
        task_role_arn: args.task_role_arn.clone(),
        log_group: args.log_group.clone(),
        region: args.region.clone().or_else(|| {
            aws_config_region(&|name| std::env::var(name).ok(), &|path| {
                std::fs::read_to_string(path).ok()
            })
        }),
        secrets,
        efs,
        nginx_configs,
    })
}

/// The region the AWS tools would use when `--region` is not given: `AWS_REGION`,
/// `AWS_DEFAULT_REGION`, then the `region` of the profile (`AWS_PROFILE`, or `default`) in the
/// config file (`AWS_CONFIG_FILE`, or `~/.aws/config`). The environment and the file system are
/// passed in so that tests need neither.
fn aws_config_region(
    env: &dyn Fn(&str) -> Option<String>,
    read: &dyn Fn(&Path) -> Option<String>,
) -> Option<String> {
    let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    if let Some(region) = set("AWS_REGION").or_else(|| set("AWS_DEFAULT_REGION")) {
        return Some(region.trim().to_string());
    }
    let path = set("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .or_else(|| set("HOME").map(|home| Path::new(&home).join(".aws").join("config")))?;
    let text = read(&path)?;
    let profile = set("AWS_PROFILE").unwrap_or_else(|| "default".to_string());
    let wanted = if profile == "default" {
        "default".to_string()
    } else {
        format!("profile {profile}")
    };
    let mut in_section = false;
    for line in text.lines() {
        let line = line.trim();
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_section = section.trim() == wanted;
            continue;
        }
        if !in_section {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            if key.trim() == "region" && !value.trim().is_empty() {
                return Some(value.trim().to_string());
            }
        }
    }
    None
}

/// `VOLUME=fs-ID[:/root/dir]`.
fn parse_efs(spec: &str, security_group: Option<&str>) -> Result<EfsVolume, TaskdefError> {
    let bad = || {
        TaskdefError::Option(format!(
            "--efs `{spec}`: expected VOLUME=fs-ID or VOLUME=fs-ID:/root/dir"
        ))
    };
    let (volume, target) = spec.split_once('=').ok_or_else(bad)?;
    let (file_system_id, root_directory) = match target.split_once(':') {
        Some((id, dir)) if dir.starts_with('/') => (id, Some(dir.to_string())),
        Some(_) => return Err(bad()),
        None => (target, None),
    };
    if volume.is_empty() || !file_system_id.starts_with("fs-") {
        return Err(bad());
    }
    Ok(EfsVolume {
        volume: volume.to_string(),
        file_system_id: file_system_id.to_string(),
        root_directory,
        security_group_id: security_group.map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    #[test]
    fn the_region_comes_from_the_aws_configuration() {
        let config =
            "[default]\nregion = eu-west-1\n\n[profile prod]\noutput = json\nregion=ap-south-1\n";
        let read = |_: &Path| Some(config.to_string());
        let env_of = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let region = |pairs| aws_config_region(&env_of(pairs), &read);
        assert_eq!(
            region(&[("AWS_REGION", "us-east-2"), ("HOME", "/h")]).as_deref(),
            Some("us-east-2")
        );
        assert_eq!(
            region(&[("AWS_DEFAULT_REGION", "us-west-1")]).as_deref(),
            Some("us-west-1")
        );
        assert_eq!(region(&[("HOME", "/h")]).as_deref(), Some("eu-west-1"));
        assert_eq!(
            region(&[("HOME", "/h"), ("AWS_PROFILE", "prod")]).as_deref(),
            Some("ap-south-1")
        );
        // Near misses: a profile without a region, an empty variable, no configuration at all.
        assert_eq!(region(&[("HOME", "/h"), ("AWS_PROFILE", "dev")]), None);
        assert_eq!(region(&[("AWS_REGION", " ")]), None);
        assert_eq!(aws_config_region(&|_| None, &read), None);
    }

    #[test]
    fn flags_parse() {
        let cli = Cli::try_parse_from([
            "migrate",
            "convert",
            "td.json",
            "--nginx-conf",
            "a.conf",
            "--nginx-conf",
            "b.conf",
            "--env-file",
            ".env",
            "--secret-arn",
            "arn:aws:secretsmanager:r:1:secret:x",
            "--efs",
            "data=fs-1",
            "--cpu",
            "512",
            "--memory",
            "1024",
            "--format",
            "json",
            "-o",
            "out.json",
            "--kind",
            "ecs",
        ])
        .unwrap();
        let Command::Convert(args) = cli.command else {
            panic!("convert expected")
        };
        assert_eq!(args.nginx_conf.len(), 2);
        assert_eq!(args.format, Format::Json);
        assert_eq!(args.cpu, Some(512));
        assert_eq!(args.kind, Some(KindArg::Ecs));
        // Values are never inlined, so a .env file alone is refused by the parser.
        assert!(
            Cli::try_parse_from(["migrate", "convert", "td.json", "--env-file", ".env"]).is_err()
        );
        assert!(Cli::try_parse_from(["migrate", "lint", "td.json", "--format", "sarif"]).is_ok());
        assert!(Cli::try_parse_from(["migrate", "lint", "td.json", "--format", "xml"]).is_err());
        assert!(Cli::try_parse_from(["migrate", "convert", "td.json", "--kind", "k8s"]).is_err());
    }

    #[test]
    fn efs_specs() {
        let efs = parse_efs("uploads=fs-123:/wp-content", Some("sg-1")).unwrap();
        assert_eq!(efs.volume, "uploads");
        assert_eq!(efs.file_system_id, "fs-123");
        assert_eq!(efs.root_directory.as_deref(), Some("/wp-content"));
        assert!(parse_efs("uploads", None).is_err());
        assert!(parse_efs("uploads=vol-1", None).is_err());
        assert!(parse_efs("uploads=fs-1:rel", None).is_err());
    }
}
