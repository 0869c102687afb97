//! Fargate task definitions: translation from what runs on EC2, and a compatibility lint.
//!
//! This crate is pure: it reads text, returns values, and touches neither AWS nor the file system
//! (except in [`translate_file`], which reads the file it is given). `migrate convert`,
//! `migrate lint` and `migrate plan` all use it; their command-line part lives in the binary.
//!
//! # Public API
//!
//! - [`translate`]`(&SourceDocument, &TranslateOptions) -> Result<Translation, TaskdefError>` reads an
//!   ECS-on-EC2 task definition (bare, or as `describe-task-definition` prints it), an Elastic
//!   Beanstalk `Dockerrun.aws.json` v2 or a `docker-compose.yml`, and returns a Fargate
//!   `RegisterTaskDefinition` document, every [`Change`] made with its reason, and the remaining
//!   [`Finding`]s (the lint of the output, plus what the source had that needs a person).
//!   [`translate_file`] reads the source from a path first.
//! - [`lint`]`(json, origin) -> Result<Vec<Finding>, TaskdefError>` checks a task definition.
//! - [`fargate::valid_pair`] and [`fargate::smallest_pair_fitting`] are the Fargate size table.
//!
//! ```
//! use migrate_taskdef::{has_errors, translate, SourceDocument, TranslateOptions};
//!
//! let ec2 = r#"{"family": "web", "networkMode": "bridge", "containerDefinitions": [
//!     {"name": "nginx", "image": "nginx", "memoryReservation": 128, "links": ["php-fpm"],
//!      "portMappings": [{"containerPort": 80, "hostPort": 0}]},
//!     {"name": "php-fpm", "image": "php:fpm", "memoryReservation": 256}]}"#;
//! let options = TranslateOptions {
//!     region: Some("eu-west-1".into()),
//!     execution_role_arn: Some("arn:aws:iam::123456789012:role/ecsTaskExecutionRole".into()),
//!     ..TranslateOptions::default()
//! };
//! let t = translate(&SourceDocument::new("td.json", ec2), &options)?;
//! assert_eq!(t.task_definition["networkMode"], "awsvpc");
//! assert_eq!(t.task_definition["containerDefinitions"][0]["portMappings"][0]["hostPort"], 80);
//! assert_eq!((t.task_definition["cpu"].as_str(), t.task_definition["memory"].as_str()), (Some("256"), Some("512")));
//! assert!(!has_errors(&t.findings));
//! # Ok::<(), migrate_taskdef::TaskdefError>(())
//! ```
//!
//! # Fuzzing
//!
//! `fuzz/` is a cargo-fuzz project with its own workspace (the root workspace ignores it):
//! `cargo +nightly fuzz run translate` or `... run parse` from this crate's directory.
//!
//! # Design
//!
//! Every source is first read into one typed ECS model ([`model::TaskDefinition`]) that refuses
//! unknown fields, so typos are errors with their field path (and line, where known) rather than
//! silently lost settings. A normalising pass first accepts what real files contain and AWS or
//! Beanstalk accepted (numbers as strings, `null` fields, compose `x-` fields and merge keys...),
//! with a warning for each.
//! The translation then runs a fixed sequence of passes over that model (`translate/`), each owning
//! one concern and recording a [`Change`] per edit. It fixes what has a mechanical fix that keeps the
//! behaviour: ports, links (a linked name is rewritten to `127.0.0.1` only where it is used as a
//! host, also in nginx configurations), host volumes,
//! log drivers, task size, execution role, `.env` variables as Secrets Manager references. What would
//! change what the workload can do (privileged mode, host devices, the Docker socket, two containers
//! on one port) is left in place; the lint, which runs last on the output, reports it as an error.
//!
//! Rules have stable ids (`TD001`...; see [`rules::catalog`]). A translation records changes under
//! the id of the rule the change satisfies, so a reviewer can trace each edit to its reason.
//!
//! Secret values are never printed: findings show them masked (`pa******`) and `.env` files are read
//! for their names only.

pub mod envfile;
mod error;
pub mod fargate;
mod finding;
pub mod locate;
pub mod model;
pub mod nginx;
pub mod render;
pub mod rules;
pub mod secrets;
mod source;
mod translate;

use std::path::Path;

pub use error::{Position, TaskdefError};
pub use finding::{has_errors, Change, Finding, Location, Severity};
pub use source::{detect, parse_task_definition, SourceDocument, SourceKind};
pub use translate::{
    lint, translate, EfsVolume, NetworkRequirement, SecretsFromEnvFile, TextFile, TranslateOptions,
    Translation,
};

/// Reads `path` and translates it; the kind comes from `options.kind` or is detected.
pub fn translate_file(
    path: &Path,
    options: &TranslateOptions,
) -> Result<Translation, TaskdefError> {
    let doc = SourceDocument::read(path)?;
    translate(&doc, options)
}
