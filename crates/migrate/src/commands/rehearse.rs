//! `migrate rehearse`: the plan run in the simulator, before production is touched.

use std::path::Path;

use anyhow::{anyhow, Result};

use migrate_playbook::Playbook;

use crate::cli::{GlobalArgs, RehearseArgs};
use crate::exit;
use crate::target::{open, resolve};

pub fn run(args: &RehearseArgs, global: &GlobalArgs) -> Result<u8> {
    // A playbook is planned afresh; a migration name or state directory rehearses its stored plan.
    let plan = match args
        .target
        .migration
        .as_deref()
        .map(Path::new)
        .filter(|p| p.is_file())
    {
        Some(path) => {
            let playbook = Playbook::from_path(path).map_err(|e| anyhow!("{e}"))?;
            migrate_plan::build(&playbook)
        }
        None => open(&resolve(&args.target)?, global, None)?.load()?.plan,
    };
    let options = migrate_sim::RehearseOptions {
        seed: args.seed,
        faults: args.faults.clone(),
        ..Default::default()
    };
    let rehearsal = migrate_sim::rehearse(&plan, &options)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rehearsal)?);
    } else {
        print!("{}", rehearsal.render_human());
    }
    Ok(
        if rehearsal.failure.is_some() || rehearsal.requests_failed > 0 {
            exit::STEP_FAILED
        } else {
            exit::OK
        },
    )
}
