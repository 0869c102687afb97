//! One module per command. Each answers the process exit code.

mod cleanup;
pub(crate) mod convert;
pub(crate) mod discover;
pub(crate) mod init;
mod plan;
pub(crate) mod policy;
pub(crate) mod preflight;
mod rehearse;
mod run;
mod status;
mod status_report;
mod unlock;

use anyhow::Result;
use clap::CommandFactory;

use crate::cli::{Cli, Command};
use crate::exit;

pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Discover(args) => discover::run(&args, &cli.global),
        Command::Init(args) => init::run(&args, &cli.global),
        Command::Plan(args) => plan::run(&args, &cli.global),
        Command::Apply(args) => run::run(
            run::Operation::Apply,
            &args.target,
            run::Review::Check {
                refresh: args.refresh,
            },
            &cli.global,
        ),
        Command::Resume(args) => run::run(
            run::Operation::Resume,
            &args.target,
            run::Review::Skip,
            &cli.global,
        ),
        Command::Rollback(args) => run::run(
            run::Operation::Rollback,
            &args.target,
            run::Review::Skip,
            &cli.global,
        ),
        Command::Cleanup(args) => cleanup::run(&args, &cli.global),
        Command::Status(args) if args.format.is_some() => status_report::run(&args, &cli.global),
        Command::Status(args) => status::run(&args, &cli.global),
        Command::Unlock(args) => unlock::run(&args, &cli.global),
        Command::Convert(args) => {
            let code = convert::run_convert(&args, &mut std::io::stdout())?;
            Ok(u8::try_from(code).unwrap_or(exit::ERROR))
        }
        Command::Lint(args) => {
            let code = convert::run_lint(&args, &mut std::io::stdout())?;
            Ok(u8::try_from(code).unwrap_or(exit::ERROR))
        }
        Command::Rehearse(args) => rehearse::run(&args, &cli.global),
        Command::Policy(args) => policy::run(&args),
        Command::Preflight(args) => preflight::run(&args, &cli.global),
        Command::Schema => {
            println!(
                "{}",
                serde_json::to_string_pretty(&migrate_playbook::json_schema())?
            );
            Ok(exit::OK)
        }
        Command::Completions(args) => {
            let mut command = Cli::command();
            clap_complete::generate(args.shell, &mut command, "migrate", &mut std::io::stdout());
            Ok(exit::OK)
        }
    }
}
