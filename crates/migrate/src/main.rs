//! `migrate`: moves a live web application onto ECS Fargate with zero failed requests.
//!
//! `main` only sets up logging and turns the result of [`run`] into an exit code; every command
//! lives in [`commands`], and reads its flags from the model in [`cli`].

mod cli;
mod commands;
mod logging;
mod reporters;
mod target;

use std::process::ExitCode;

use clap::Parser;

/// Exit codes, as `migrate --help` documents them.
pub mod exit {
    pub const OK: u8 = 0;
    pub const ERROR: u8 = 1;
    pub const CHANGES_PENDING: u8 = 2;
    pub const STEP_FAILED: u8 = 3;
}

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let global = &cli.global;
    if let Err(error) = logging::init(
        global.quiet,
        global.verbose,
        global.log_format,
        reporters::shared_bars(),
    ) {
        eprintln!("error: {error:#}");
        return ExitCode::from(exit::ERROR);
    }
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(exit::ERROR)
        }
    }
}
