//! `migrate apply`, `resume` and `rollback`: take the lock, load the state, connect, run the
//! engine, report.

use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use migrate_engine::{next_run, Direction, Engine, EngineError, NextRun, RunOutcome};
use migrate_journal::BackendStore;
use migrate_playbook::Playbook;

use crate::cli::{GlobalArgs, RunArgs};
use crate::exit;
use crate::reporters;
use crate::target::{open, resolve_with};

pub use migrate_engine::Operation;

pub fn run(operation: Operation, args: &RunArgs, global: &GlobalArgs) -> Result<u8> {
    // A playbook given by path is parsed once: it names the state location, lends its region to
    // the S3 client of a shared state, and is checked against the plan.
    let given = args
        .target
        .migration
        .as_deref()
        .map(Path::new)
        .filter(|p| p.is_file())
        .map(|path| {
            Playbook::from_path(path)
                .map(|playbook| (path, playbook))
                .map_err(|e| anyhow!("{e}"))
        })
        .transpose()?;
    let playbook = given.as_ref().map(|(_, playbook)| playbook);
    let location = resolve_with(&args.target, playbook)?;
    let store = open(
        &location,
        global,
        playbook.and_then(|p| p.region.as_deref()),
    )?;
    // The lock comes first: a second run must be refused before it reads anything.
    let _lock =
        migrate_journal::backend::acquire(store.clone(), operation.name(), chrono::Utc::now())?;
    let state = store.load()?;

    if let Some((path, playbook)) = &given {
        let current = migrate_plan::build(playbook);
        if current.id != state.plan.id {
            bail!(
                "{} has changed since it was planned (plan {} in {}, the playbook now gives {}); \
                 run `migrate plan {}` to review the new plan",
                path.display(),
                state.plan.id,
                store.location().display(),
                current.id,
                path.display()
            );
        }
    }

    // After clean-up there is no old side to return to; the engine refuses too.
    if let Some(refusal) = migrate_engine::cleanup::refusal_after_cleanup(operation, &state) {
        bail!("{refusal}");
    }

    // The engine's table of what can run next, asked before connecting so that a refused run
    // costs nothing; the engine asks it again when it runs.
    let direction = match next_run(operation, state.phase, &state.plan.name) {
        NextRun::Run(direction) => direction,
        NextRun::NothingToDo(message) => {
            println!("{message}");
            return Ok(exit::OK);
        }
        NextRun::Refused(message) => bail!("{message}"),
    };

    let options = migrate_aws::AwsOptions {
        profile: global.profile.clone(),
        region: global
            .region
            .clone()
            .or_else(|| state.plan.playbook.region.clone()),
        endpoint_url: global.endpoint_url.clone(),
        probe_override: global.probe_url.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let name = state.plan.name.clone();
    drop(state);
    runtime.block_on(async move {
        let connection = migrate_aws::open(&options).await?;
        let reporter: Arc<dyn migrate_engine::Reporter> =
            Arc::from(reporters::for_terminal(global.no_progress));
        let mut engine = Engine::new(
            connection.cloud.clone(),
            Box::new(BackendStore(store.clone())),
            reporter,
        )?;
        let work = engine.run(operation);
        // Ctrl-C drops the running step where it stands: the journal holds its intent, and the
        // next run reconciles before it calls again. The lock is released on the way out.
        let result = tokio::select! {
            result = work => Some(result),
            _ = tokio::signal::ctrl_c() => None,
        };
        eprintln!("API calls: {}", connection.calls.render());
        match result {
            None => {
                eprintln!(
                    "Interrupted. `migrate resume {name}` continues from the last checkpoint."
                );
                Ok(exit::ERROR)
            }
            Some(Ok(RunOutcome::Completed)) => {
                let verb = if direction == Direction::Forward {
                    "applied"
                } else {
                    "rolled back"
                };
                println!("{name}: {verb}. `migrate status {name}` shows every step.");
                Ok(exit::OK)
            }
            Some(Ok(RunOutcome::NothingToDo)) => {
                println!("{name}: nothing to do.");
                Ok(exit::OK)
            }
            Some(Err(
                error @ (EngineError::StepFailed { .. } | EngineError::UndoFailed { .. }),
            )) => {
                eprintln!("error: {error}");
                Ok(exit::STEP_FAILED)
            }
            Some(Err(error)) => Err(error.into()),
        }
    })
}
