//! `migrate apply`, `resume` and `rollback`: take the lock, load the state, connect, run the
//! engine, report.

use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use migrate_engine::{next_run, Direction, Engine, EngineError, NextRun, RunOutcome};
use migrate_journal::{BackendStore, Phase, State, StateBackend};
use migrate_playbook::Playbook;

use crate::cli::{GlobalArgs, Target};
use crate::exit;
use crate::reporters;
use crate::target::{open, resolve_with};

pub use migrate_engine::Operation;

/// Whether a run checks the account against the snapshot the plan was reviewed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review {
    /// `apply`: before the first step, refuse when the account changed since the review, or
    /// (`refresh`) store what it is now and go on.
    Check { refresh: bool },
    /// `resume` and `rollback`: the account has been changed by the run itself.
    Skip,
}

pub fn run(
    operation: Operation,
    target: &Target,
    review: Review,
    global: &GlobalArgs,
) -> Result<u8> {
    let args = target;
    // A playbook given by path is parsed once: it names the state location, lends its region to
    // the S3 client of a shared state, and is checked against the plan.
    let given = args
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
    let location = resolve_with(args, playbook)?;
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
    runtime.block_on(async move {
        let connection = migrate_aws::open(&options).await?;
        let reporter: Arc<dyn migrate_engine::Reporter> =
            Arc::from(reporters::for_terminal(global.no_progress));
        if let Review::Check { refresh } = review {
            if state.phase == Phase::Planned {
                check_review(&connection.cloud, &store, state, refresh, &reporter).await?;
            }
        }
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
                error @ (EngineError::StepFailed { .. }
                | EngineError::UndoFailed { .. }
                | EngineError::HandedBack { .. }),
            )) => {
                eprintln!("error: {error}");
                Ok(exit::STEP_FAILED)
            }
            Some(Err(error)) => Err(error.into()),
        }
    })
}

/// Compares the account with the snapshot the plan was reviewed with, before anything runs.
/// A difference refuses the run, each named, unless `refresh` stores the account as it is now
/// in the plan (and prints what changed and the sizing warnings it brings). A plan made
/// `--offline` has no snapshot: it runs with a warning.
async fn check_review(
    cloud: &migrate_engine::ports::Cloud,
    store: &Arc<dyn StateBackend>,
    mut state: State,
    refresh: bool,
    reporter: &Arc<dyn migrate_engine::Reporter>,
) -> Result<()> {
    let Some(reviewed) = state.plan.snapshot.clone() else {
        eprintln!(
            "warning: plan {} was made with --offline: it was not checked against the account; \
             run `migrate plan` without --offline to review what exists before applying",
            state.plan.id
        );
        return Ok(());
    };
    let (live, differences) =
        migrate_engine::snapshot::changes_since_review(cloud, &state.plan, &reviewed, reporter)
            .await
            .map_err(|e| anyhow!("cannot read the account to check the plan against it: {e}"))?;
    if differences.is_empty() {
        tracing::info!(read_at = %reviewed.read_at, "the account matches the reviewed plan");
        return Ok(());
    }
    let listed = differences
        .iter()
        .map(|d| format!("  - {d}"))
        .collect::<Vec<_>>()
        .join("\n");
    if !refresh {
        bail!(
            "the account changed since plan {} was reviewed (read at {}); nothing was done:\n{listed}\n\
             Review the plan again with `migrate plan`, or run `migrate apply --refresh` to plan \
             from the account as it is now",
            state.plan.id,
            reviewed.read_at
        );
    }
    eprintln!(
        "The account changed since plan {} was reviewed; planning from it as it is now:\n{listed}",
        state.plan.id
    );
    let replanned = state.plan.replan(live)?;
    if replanned
        .steps
        .iter()
        .map(|s| &s.id)
        .ne(state.plan.steps.iter().map(|s| &s.id))
    {
        // Nothing has run (the phase is Planned): the records start afresh with the steps.
        state.steps = replanned
            .steps
            .iter()
            .map(|s| migrate_journal::StepRecord::new(&s.id))
            .collect();
    }
    state.plan = replanned;
    for warning in state.plan.sizing().iter().filter_map(|p| p.warning()) {
        eprintln!("warning: {warning}");
    }
    store.save(&mut state)?;
    Ok(())
}
