//! `migrate preflight PLAYBOOK`: the checks of the plan's `preflight` step, run against the
//! account without a state, every problem printed at once. Reads only.

use std::path::PathBuf;

use anyhow::{anyhow, Context, Result};
use clap::Args;
use migrate_engine::preflight::{self, Severity};
use migrate_playbook::Playbook;

use crate::cli::GlobalArgs;
use crate::exit;

#[derive(Debug, Args)]
pub struct PreflightArgs {
    /// The playbook (YAML).
    pub playbook: PathBuf,
    /// Print the findings as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &PreflightArgs, global: &GlobalArgs) -> Result<u8> {
    // A broken playbook is refused as `migrate plan` refuses it.
    let playbook = Playbook::from_path(&args.playbook).map_err(|e| anyhow!("{e}"))?;
    let options = global.aws_options(global.region.clone().or_else(|| playbook.region.clone()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let report = runtime.block_on(async {
        let cloud = migrate_aws::connect(&options).await?;
        preflight::run(&cloud, &playbook)
            .await
            .context("the preflight could not read the account")
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "Preflight of {} in account {} ({}), as {}:",
            playbook.name, report.caller.account, report.caller.partition, report.caller.arn
        );
        for finding in &report.findings {
            let level = match finding.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            println!(
                "  {level}: {} {}\n      fix: {}",
                finding.resource, finding.problem, finding.fix
            );
        }
        let errors = report.errors().count();
        let warnings = report.warnings().count();
        println!(
            "{errors} error{}, {warnings} warning{}{}",
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" },
            if errors == 0 {
                ": `migrate apply` may start"
            } else {
                ": `migrate apply` would stop at its first step, before anything is created"
            }
        );
    }
    Ok(if report.passed() {
        exit::OK
    } else {
        exit::ERROR
    })
}
