//! `migrate plan`: playbook → plan, written to the state directory, printed for review.

use anyhow::{anyhow, bail, Result};
use migrate_journal::{lock, FileStore, JournalError, Phase, State, StateStore, StepStatus};
use migrate_playbook::Playbook;

use crate::cli::PlanArgs;
use crate::exit;
use crate::target::state_dir_for;

pub fn run(args: &PlanArgs) -> Result<u8> {
    // A broken playbook stops here, before anything is written.
    let playbook = Playbook::from_path(&args.playbook).map_err(|e| anyhow!("{e}"))?;
    let plan = migrate_plan::build(&playbook);
    let dir = args
        .state_dir
        .clone()
        .unwrap_or_else(|| state_dir_for(&playbook.name));
    let mut store = FileStore::new(&dir);

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
                     (or use another --state-dir)",
                    store.location().display(),
                    existing.plan.id,
                    existing.phase,
                    plan.id
                );
            }
            write_fresh(&store, &dir, plan)?
        }
        Err(JournalError::Missing(_)) => write_fresh(&store, &dir, plan)?,
        Err(other) => return Err(other.into()),
    };

    tracing::info!(
        state = %store.location().display(),
        plan_id = %state.plan.id,
        steps = state.plan.steps.len(),
        phase = ?state.phase,
        "plan ready for review"
    );

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

fn write_fresh(
    store: &FileStore,
    dir: &std::path::Path,
    plan: migrate_plan::Plan,
) -> Result<State> {
    let now = chrono::Utc::now();
    let _lock = lock::acquire(dir, "plan", now)?;
    let mut state = State::new(plan, now);
    store.replace(&mut state)?;
    Ok(state)
}
