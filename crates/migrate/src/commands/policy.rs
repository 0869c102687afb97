//! `migrate policy`: the least-privilege IAM policy the playbook's plan needs, as a JSON
//! document to attach to the role or user that runs `migrate apply` and `migrate rollback`.

use std::path::PathBuf;

use anyhow::{anyhow, Context, Result};
use clap::Args;
use migrate_playbook::Playbook;

use crate::exit;

#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// The playbook (YAML).
    pub playbook: PathBuf,
    /// Print the policy of `migrate cleanup` instead: the deletes of the old side, which the
    /// role that runs `apply` and `rollback` does not need.
    #[arg(long)]
    pub cleanup: bool,
    /// Write the policy to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: &PolicyArgs) -> Result<u8> {
    // A broken playbook is refused as `migrate plan` refuses it, before anything is written.
    let playbook = Playbook::from_path(&args.playbook).map_err(|e| anyhow!("{e}"))?;
    let plan = migrate_plan::build(&playbook);
    let document = if args.cleanup {
        migrate_policy::cleanup_policy(&plan)
    } else {
        migrate_policy::policy(&plan)
    }
    .to_json_pretty();
    match &args.output {
        Some(path) => std::fs::write(path, format!("{document}\n"))
            .with_context(|| format!("cannot write the policy to {}", path.display()))?,
        None => println!("{document}"),
    }
    tracing::info!(plan_id = %plan.id, "IAM policy of the plan written");
    Ok(exit::OK)
}
