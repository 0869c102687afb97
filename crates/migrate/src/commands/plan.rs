//! `migrate plan`: playbook → plan, written to the state directory, printed for review.

use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use migrate_journal::{JournalError, Phase, State, StateBackend, StepStatus};
use migrate_playbook::Playbook;

use crate::cli::{GlobalArgs, PlanArgs};
use crate::exit;
use crate::target::{self, state_dir_for, StateLocation, SHARED_POINTER};

pub fn run(args: &PlanArgs, global: &GlobalArgs) -> Result<u8> {
    // A broken playbook stops here, before anything is written.
    let playbook = Playbook::from_path(&args.playbook).map_err(|e| anyhow!("{e}"))?;
    let plan = migrate_plan::build(&playbook);
    let location = match (&args.state, &args.state_dir, &playbook.state) {
        (Some(url), _, _) => StateLocation::Shared(url.clone()),
        (None, Some(dir), _) => StateLocation::Dir(dir.clone()),
        (None, None, Some(url)) => StateLocation::Shared(url.clone()),
        (None, None, None) => StateLocation::Dir(state_dir_for(&playbook.name)),
    };
    let store = target::open(&location, global, playbook.region.as_deref())?;

    let state = match store.load() {
        Ok(existing) if existing.plan.id == plan.id => {
            // The same plan: keep its progress, show where it stands.
            existing
        }
        Ok(existing) => {
            let finished = matches!(existing.phase, Phase::Planned | Phase::RolledBack);
            if !finished {
                bail!(
                    "{} holds migration plan {} in phase {:?}; finish it or roll it back before planning {} \
                     (or use another --state-dir or --state)",
                    store.location().display(),
                    existing.plan.id,
                    existing.phase,
                    plan.id
                );
            }
            write_fresh(&store, plan)?
        }
        Err(JournalError::Missing(_)) => write_fresh(&store, plan)?,
        Err(other) => return Err(other.into()),
    };
    note_location(&location, &playbook.name)?;

    if args.json {
        let pending: Vec<&str> = state
            .steps
            .iter()
            .filter(|r| !matches!(r.status, StepStatus::Done | StepStatus::Skipped))
            .map(|r| r.id.as_str())
            .collect();
        let out = serde_json::json!({
            "state": store.location(),
            "phase": state.phase,
            "pending": pending,
            "plan": state.plan,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", migrate_plan::render_human(&state.plan));
        println!(
            "\nState written to {} (phase {:?}).",
            store.location().display(),
            state.phase
        );
        println!("Review it, then run `migrate apply {}`.", state.plan.name);
    }
    let pending = state
        .steps
        .iter()
        .any(|r| !matches!(r.status, StepStatus::Done | StepStatus::Skipped));
    Ok(if args.detailed_exitcode && pending {
        exit::CHANGES_PENDING
    } else {
        exit::OK
    })
}

fn write_fresh(store: &Arc<dyn StateBackend>, plan: migrate_plan::Plan) -> Result<State> {
    let now = chrono::Utc::now();
    let _lock = migrate_journal::backend::acquire(store.clone(), "plan", now)?;
    let mut state = State::new(plan, now);
    store.replace(&mut state)?;
    Ok(state)
}

/// A shared state is noted in `.migrate/<name>/` so that commands naming the migration on this
/// machine find it; a plan kept in that directory again drops the note.
fn note_location(location: &StateLocation, name: &str) -> Result<()> {
    match location {
        StateLocation::Shared(url) => target::note_shared_location(name, url),
        StateLocation::Dir(dir) if *dir == state_dir_for(name) => {
            let pointer = dir.join(SHARED_POINTER);
            if pointer.exists() {
                std::fs::remove_file(&pointer)
                    .with_context(|| format!("cannot remove {}", pointer.display()))?;
            }
            Ok(())
        }
        StateLocation::Dir(_) => Ok(()),
    }
}
