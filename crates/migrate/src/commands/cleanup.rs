//! `migrate cleanup`: shows what clean-up of the old side would delete, asks for the
//! migration's name, records the confirmed set in the state, and runs it; continues a clean-up
//! that stopped. The gates (finished, soak over or overridden, confirmed) are checked before
//! anything connects, where they can be, and again by the engine.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use migrate_engine::cleanup::{soak, soak_refusal, Cleaner, CleanupPlan};
use migrate_engine::{EngineError, RunOutcome};
use migrate_journal::{BackendStore, Cleanup, StepStatus};
use migrate_playbook::Playbook;

use crate::cli::{CleanupArgs, GlobalArgs};
use crate::exit;
use crate::reporters;
use crate::target::{open, resolve_with};

const NO_UNDO: &str = "Clean-up is the point of no return: nothing it deletes can be restored, \
                       and `migrate rollback` refuses once it is confirmed.";

pub fn run(args: &CleanupArgs, global: &GlobalArgs) -> Result<u8> {
    let playbook = args
        .target
        .migration
        .as_deref()
        .map(Path::new)
        .filter(|p| p.is_file())
        .map(|path| Playbook::from_path(path).map_err(|e| anyhow!("{e}")))
        .transpose()?;
    let location = resolve_with(&args.target, playbook.as_ref())?;
    let store = open(
        &location,
        global,
        playbook.as_ref().and_then(|p| p.region.as_deref()),
    )?;
    let _lock = migrate_journal::backend::acquire(store.clone(), "cleanup", chrono::Utc::now())?;
    let state = store.load()?;
    let name = state.plan.name.clone();

    if let Some(cleanup) = &state.cleanup {
        if args.plan {
            println!("The clean-up of {name} was confirmed; it deletes exactly this:");
            print_progress(cleanup);
            println!("\n{NO_UNDO}");
            return Ok(exit::OK);
        }
        if cleanup.finished_at.is_some() {
            println!("Nothing to do: the clean-up of {name} is finished.");
            return Ok(exit::OK);
        }
    } else {
        // Refusals that need no account: not finished, soak not over, no confirmation.
        let soak = soak(&state).map_err(|refusal| anyhow!("{refusal}"))?;
        let refusal = soak_refusal(&soak, chrono::Utc::now(), args.soak_override.as_deref());
        if !args.plan {
            if let Some(refusal) = &refusal {
                bail!("{refusal}");
            }
            match &args.confirm {
                Some(given) if *given != name => bail!(
                    "--confirm {given} does not name this migration ({name}); nothing was deleted"
                ),
                Some(_) => {}
                None if !std::io::stdin().is_terminal() => bail!(
                    "clean-up needs a confirmation and there is no terminal to ask on: give \
                     --confirm {name} after reviewing `migrate cleanup {name} --plan`"
                ),
                None => {}
            }
        }
    }

    let options = migrate_aws::AwsOptions {
        profile: global.profile.clone(),
        region: global
            .region
            .clone()
            .or_else(|| state.plan.playbook.region.clone()),
        endpoint_url: global.endpoint_url.clone(),
        probe_override: global.probe_url.clone(),
    };
    let confirmed = state.cleanup.is_some();
    drop(state);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let connection = migrate_aws::open(&options).await?;
        let reporter: Arc<dyn migrate_engine::Reporter> =
            Arc::from(reporters::for_terminal(global.no_progress));
        let mut cleaner = Cleaner::new(
            connection.cloud.clone(),
            Box::new(BackendStore(store.clone())),
            reporter,
        )?;
        if !confirmed {
            let plan = cleaner.discover().await?;
            print_plan(&name, &plan);
            if args.plan {
                let soak = soak(cleaner.state()).map_err(|refusal| anyhow!("{refusal}"))?;
                match soak_refusal(&soak, chrono::Utc::now(), None) {
                    Some(refusal) => println!("\nNot yet: {refusal}."),
                    None => println!(
                        "\nThe soak period is over: `migrate cleanup {name}` deletes the above \
                         after you type the migration's name."
                    ),
                }
                eprintln!("API calls: {}", connection.calls.render());
                return Ok(exit::OK);
            }
            if args.confirm.is_none() {
                ask_for_the_name(&name)?;
            }
            let by = format!(
                "{}@{}",
                std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
                migrate_journal::lock::host_name()
            );
            cleaner.confirm(&plan, &by, args.soak_override.as_deref())?;
        }
        let result = tokio::select! {
            result = cleaner.run() => Some(result),
            _ = tokio::signal::ctrl_c() => None,
        };
        eprintln!("API calls: {}", connection.calls.render());
        match result {
            None => {
                eprintln!(
                    "Interrupted. `migrate cleanup {name}` continues with the deletion it stopped at."
                );
                Ok(exit::ERROR)
            }
            Some(Ok(RunOutcome::Completed)) => {
                println!(
                    "{name}: the old side is deleted. `migrate status {name}` shows each deletion."
                );
                Ok(exit::OK)
            }
            Some(Ok(RunOutcome::NothingToDo)) => {
                println!("{name}: clean-up has nothing left to do.");
                Ok(exit::OK)
            }
            Some(Err(error @ EngineError::CleanupStopped { .. })) => {
                eprintln!("error: {error}");
                Ok(exit::STEP_FAILED)
            }
            Some(Err(error)) => Err(error.into()),
        }
    })
}

/// Asks on the terminal for the migration's name; anything else deletes nothing.
fn ask_for_the_name(name: &str) -> Result<()> {
    let typed: String = dialoguer::Input::new()
        .with_prompt(format!(
            "Type the migration's name ({name}) to delete the above for good"
        ))
        .allow_empty(true)
        .interact_text()
        .context("could not read the confirmation from the terminal")?;
    if typed.trim() != name {
        bail!("the confirmation did not match {name}; nothing was deleted");
    }
    Ok(())
}

fn print_plan(name: &str, plan: &CleanupPlan) {
    println!(
        "Clean-up of {name} would delete, in this order ({} deletions):",
        plan.deletions.len()
    );
    for (i, deletion) in plan.deletions.iter().enumerate() {
        println!("{:>3}. {}", i + 1, deletion.summary());
    }
    if !plan.kept.is_empty() {
        println!("\nIt keeps:");
        for kept in &plan.kept {
            println!("  - {kept}");
        }
    }
    println!("\n{NO_UNDO}");
}

/// The clean-up's progress, one line per deletion (shown by `migrate status` too).
pub fn print_progress(cleanup: &Cleanup) {
    println!(
        "Clean-up: confirmed by {} at {}{}; {} of {} deletions done{}",
        cleanup.confirmed_by,
        cleanup.confirmed_at.format("%Y-%m-%d %H:%M:%S UTC"),
        cleanup
            .soak_override
            .as_deref()
            .map(|reason| format!(" before the soak was over (reason: {reason})"))
            .unwrap_or_default(),
        cleanup.done(),
        cleanup.deletions.len(),
        cleanup
            .finished_at
            .map(|at| format!(", finished at {}", at.format("%Y-%m-%d %H:%M:%S UTC")))
            .unwrap_or_default(),
    );
    for (i, record) in cleanup.deletions.iter().enumerate() {
        let status = match record.status {
            StepStatus::Pending => "pending",
            StepStatus::Running => "running",
            StepStatus::Done => record.outcome.as_deref().unwrap_or("done"),
            StepStatus::Failed => "STOPPED",
            StepStatus::Skipped => "skipped",
        };
        println!("{:>3}. {:<12} {}", i + 1, status, record.summary);
        if let Some(error) = &record.error {
            println!("     {:<12} {error}", "");
        }
    }
}
