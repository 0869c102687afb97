//! `migrate apply`, `resume` and `rollback`: take the lock, load the state, connect, run the
//! engine, report.

use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use migrate_engine::{Engine, EngineError, RunOutcome};
use migrate_journal::{BackendStore, Phase};
use migrate_playbook::Playbook;

use crate::cli::{GlobalArgs, RunArgs};
use crate::exit;
use crate::reporters;
use crate::target::{open, resolve};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Apply,
    Resume,
    Rollback,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Self::Apply => "apply",
            Self::Resume => "resume",
            Self::Rollback => "rollback",
        }
    }
}

/// What the engine is asked to do, once the state's phase is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Forward,
    Backward,
}

pub fn run(operation: Operation, args: &RunArgs, global: &GlobalArgs) -> Result<u8> {
    // A playbook given by path lends its region to the S3 client of a shared state, as it does
    // to the account's clients below.
    let playbook_region = args
        .target
        .migration
        .as_deref()
        .map(Path::new)
        .filter(|p| p.is_file())
        .and_then(|p| Playbook::from_path(p).ok())
        .and_then(|p| p.region);
    let store = open(&resolve(&args.target)?, global, playbook_region.as_deref())?;
    // The lock comes first: a second run must be refused before it reads anything.
    let _lock =
        migrate_journal::backend::acquire(store.clone(), operation.name(), chrono::Utc::now())?;
    let state = store.load()?;

    if let Some(given) = args
        .target
        .migration
        .as_deref()
        .map(Path::new)
        .filter(|p| p.is_file())
    {
        let playbook = Playbook::from_path(given).map_err(|e| anyhow!("{e}"))?;
        let current = migrate_plan::build(&playbook);
        if current.id != state.plan.id {
            bail!(
                "{} has changed since it was planned (plan {} in {}, the playbook now gives {}); \
                 run `migrate plan {}` to review the new plan",
                given.display(),
                state.plan.id,
                store.location().display(),
                current.id,
                given.display()
            );
        }
    }

    let direction = match (operation, state.phase) {
        (Operation::Rollback, Phase::RolledBack) => {
            println!(
                "Nothing to roll back: {} is already rolled back.",
                state.plan.name
            );
            return Ok(exit::OK);
        }
        (Operation::Rollback, _) => Direction::Backward,
        (_, Phase::Applied) => {
            println!("Nothing to do: every step of {} is done.", state.plan.name);
            return Ok(exit::OK);
        }
        (Operation::Resume, Phase::RollingBack) => Direction::Backward,
        (Operation::Resume, Phase::Planned) => {
            bail!(
                "{} has not been applied yet; run `migrate apply`",
                state.plan.name
            )
        }
        (Operation::Resume, Phase::RolledBack) | (Operation::Apply, Phase::RolledBack) => {
            bail!(
                "{} was rolled back; run `migrate plan` again to start over",
                state.plan.name
            )
        }
        (Operation::Apply, Phase::RollingBack) => {
            bail!(
                "a rollback of {} is unfinished; run `migrate rollback` to finish it",
                state.plan.name
            )
        }
        (_, Phase::Planned | Phase::Applying | Phase::Failed) => Direction::Forward,
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
        let work = async {
            match direction {
                Direction::Forward => engine.apply().await,
                Direction::Backward => engine.rollback().await,
            }
        };
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
