//! `migrate rehearse` until the CLI wires it: `cargo run -p migrate-sim --example rehearse --
//! playbooks/demo.yaml [--seed N] [--faults PROFILE] [--json]`.

use std::path::PathBuf;
use std::process::ExitCode;

use migrate_playbook::Playbook;
use migrate_sim::{rehearse, RehearseOptions};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut playbook = None;
    let mut options = RehearseOptions::default();
    let mut json = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seed" => options.seed = args.next().and_then(|v| v.parse().ok()).unwrap_or(1),
            "--faults" => options.faults = args.next().unwrap_or_default(),
            "--json" => json = true,
            path => playbook = Some(PathBuf::from(path)),
        }
    }
    let Some(path) = playbook else {
        eprintln!("usage: rehearse PLAYBOOK [--seed N] [--faults PROFILE] [--json]");
        return ExitCode::from(2);
    };
    let playbook = match Playbook::from_path(&path) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match rehearse(&migrate_plan::build(&playbook), &options) {
        Ok(r) if json => {
            println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Ok(r) => {
            print!("{}", r.render_human());
            if r.failure.is_some() || r.requests_failed > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
