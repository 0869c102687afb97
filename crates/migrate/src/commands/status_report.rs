//! `migrate status --format markdown`: a running or finished migration as a Markdown report, in
//! the shape of the plan's review report: what was done and when, who holds the run now, and
//! what a rollback would undo at this moment.

use std::fmt::Write;
use std::path::Path;

use anyhow::Result;
use chrono::{DateTime, Utc};
use migrate_journal::{LockInfo, State, StepStatus, UndoStatus};

use crate::cli::{GlobalArgs, StatusArgs};
use crate::exit;
use crate::target::{open, resolve};

pub fn run(args: &StatusArgs, global: &GlobalArgs) -> Result<u8> {
    let store = open(&resolve(&args.target)?, global, None)?;
    let state = store.load()?;
    let holder = store.current_lock()?;
    print!("{}", render(&state, holder.as_ref(), &store.location()));
    Ok(exit::OK)
}

fn time(at: Option<DateTime<Utc>>) -> String {
    at.map_or("–".to_string(), |t| {
        t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    })
}

/// Table-cell text: a `|` would end the cell, a `<` could open an HTML tag.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace(['\n', '\r'], " ")
}

/// A step's outputs as `key=value`, whatever their JSON shape: strings as they are, anything else
/// as compact JSON. The DNS record a step saved for its compensation is left out (it is long, and
/// the rollback section says what it is for).
fn outputs(record: &migrate_journal::StepRecord) -> String {
    let Ok(serde_json::Value::Object(map)) = serde_json::to_value(&record.outputs) else {
        return String::new();
    };
    map.iter()
        .filter(|(key, _)| key.as_str() != "record")
        .map(|(key, value)| match value {
            serde_json::Value::String(text) => format!("{key}={text}"),
            other => format!("{key}={other}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn status_word(record: &migrate_journal::StepRecord) -> &'static str {
    match (&record.undo, record.status) {
        (Some(undo), _) if undo.status == UndoStatus::Done => "undone",
        (Some(undo), _) if undo.status == UndoStatus::Running => "undoing",
        (Some(undo), _) if undo.status == UndoStatus::Failed => "**undo failed**",
        (_, StepStatus::Pending) => "pending",
        (_, StepStatus::Running) => "running",
        (_, StepStatus::Done) => "done",
        (_, StepStatus::Failed) => "**failed**",
        (_, StepStatus::Skipped) => "skipped",
    }
}

pub fn render(state: &State, holder: Option<&LockInfo>, location: &Path) -> String {
    let plan = &state.plan;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Migration status: `{}` (plan `{}`)\n",
        plan.name, plan.id
    );
    let done = state
        .steps
        .iter()
        .filter(|r| r.status == StepStatus::Done && r.undo.is_none())
        .count();
    let _ = writeln!(
        out,
        "**Phase {:?}: {done} of {} steps done.** Serial {}, lineage `{}`, state `{}`; created \
         {}, last written {}.\n",
        state.phase,
        state.steps.len(),
        state.serial,
        state.lineage,
        location.display(),
        time(Some(state.created_at)),
        time(Some(state.updated_at))
    );
    let prices = migrate_report::PriceTable::bundled().ok();
    if let Some(prices) = &prices {
        let report = migrate_report::build(
            plan,
            &migrate_report::Inputs {
                prices,
                timeline: None,
                snapshot: None,
                not_read_because: None,
            },
        );
        let _ = writeln!(
            out,
            "The plan: {}. {}\n",
            report.summary_line(),
            report.summary.source_to_target
        );
    }
    if let Some(failure) = &state.failure {
        let _ = writeln!(out, "**Stopped:** {}\n", cell(failure));
    }

    let _ = writeln!(out, "## Who\n");
    match holder {
        Some(info) => {
            let _ = writeln!(
                out,
                "Running now: `{}` by {} (pid {} on {}) since {}; lock id `{}`.\n",
                info.operation,
                info.holder,
                info.pid,
                info.host,
                time(Some(info.created_at)),
                info.id
            );
        }
        None => {
            let _ = writeln!(
                out,
                "No run holds the lock now. The state does not record who ran the earlier steps; \
                 the lock names the holder only while a run is going.\n"
            );
        }
    }

    let _ = writeln!(out, "## Steps\n");
    let _ = writeln!(
        out,
        "| # | Step | Status | Attempts | Started | Finished | Outputs |\n|---|---|---|---|---|---|---|"
    );
    for (i, record) in state.steps.iter().enumerate() {
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} | {} | {} | {} |",
            i + 1,
            record.id,
            status_word(record),
            record.attempts,
            time(record.started_at),
            time(record.finished_at),
            cell(&outputs(record))
        );
    }
    let errors: Vec<_> = state
        .steps
        .iter()
        .filter_map(|r| r.error.as_ref().map(|e| (r.id.as_str(), e)))
        .collect();
    if !errors.is_empty() {
        let _ = writeln!(out, "\nLast errors:\n");
        for (step, error) in errors {
            let _ = writeln!(out, "- `{step}`: {}", cell(error));
        }
    }

    cleanup_section(&mut out, state);

    let _ = writeln!(out, "\n## What a rollback would undo now\n");
    if let Some(refusal) =
        migrate_engine::cleanup::refusal_after_cleanup(migrate_engine::Operation::Rollback, state)
    {
        let _ = writeln!(out, "Nothing: a rollback is refused: {}.", cell(&refusal));
        return out;
    }
    // Reads and waits are in the journal's queue too, but their compensation does nothing.
    let queue: Vec<_> = state
        .undo_queue()
        .into_iter()
        .filter(|r| {
            plan.step(&r.id)
                .is_none_or(migrate_plan::PlannedStep::changes_account)
        })
        .collect();
    if queue.is_empty() {
        let _ = writeln!(out, "Nothing: no step that changed the account is done.");
    } else {
        let _ = writeln!(out, "Newest first:\n");
        for (i, record) in queue.iter().enumerate() {
            let undo = plan.step(&record.id).map_or("", |s| s.undo.as_str());
            let _ = writeln!(out, "{}. `{}`: {}", i + 1, record.id, cell(undo));
        }
    }
    out
}

/// Clean-up of the old side: what was confirmed and how far it went, or when it may run.
fn cleanup_section(out: &mut String, state: &State) {
    let _ = writeln!(out, "\n## Clean-up of the old side\n");
    let Some(cleanup) = &state.cleanup else {
        let when = match migrate_engine::cleanup::soak(state) {
            Ok(soak) => format!(
                "the soak period ({}) ends {}; `migrate cleanup {} --plan` shows what it would delete",
                migrate_playbook::render_duration(soak.period),
                time(Some(soak.ends_at)),
                state.plan.name
            ),
            Err(why) => why,
        };
        let _ = writeln!(out, "Not started: {}.", cell(&when));
        return;
    };
    let _ = writeln!(
        out,
        "Confirmed by {} at {}{}: **{} of {} deletions done**{}. Nothing it deletes can be \
         restored.\n",
        cell(&cleanup.confirmed_by),
        time(Some(cleanup.confirmed_at)),
        cleanup
            .soak_override
            .as_deref()
            .map(|reason| format!(" before the soak was over (reason: {})", cell(reason)))
            .unwrap_or_default(),
        cleanup.done(),
        cleanup.deletions.len(),
        cleanup
            .finished_at
            .map(|at| format!(", finished {}", time(Some(at))))
            .unwrap_or_default(),
    );
    let _ = writeln!(
        out,
        "| # | Deletion | Status | Attempts | Started | Finished |\n|---|---|---|---|---|---|"
    );
    for (i, record) in cleanup.deletions.iter().enumerate() {
        let status = match record.status {
            StepStatus::Pending => "pending",
            StepStatus::Running => "running",
            StepStatus::Done => record.outcome.as_deref().unwrap_or("done"),
            StepStatus::Failed => "**stopped**",
            StepStatus::Skipped => "skipped",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            i + 1,
            cell(&record.summary),
            status,
            record.attempts,
            time(record.started_at),
            time(record.finished_at)
        );
    }
    for record in cleanup.deletions.iter().filter(|r| r.error.is_some()) {
        let _ = writeln!(
            out,
            "\n`{}` stopped: {}",
            record.id,
            cell(record.error.as_deref().unwrap_or_default())
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo_state() -> State {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
        let playbook = migrate_playbook::Playbook::from_path(&path).unwrap();
        let plan = migrate_plan::build(&playbook);
        let at = DateTime::parse_from_rfc3339("2026-11-24T05:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        State::new(plan, at)
    }

    #[test]
    fn a_fresh_plan_has_nothing_to_undo_and_no_holder() {
        let state = demo_state();
        let markdown = render(&state, None, Path::new(".migrate/shop/state.json"));
        assert!(
            markdown.contains("**Phase Planned: 0 of 27 steps done.**"),
            "{markdown}"
        );
        assert!(markdown.contains("Nothing: no step that changed the account is done."));
        assert!(markdown.contains("No run holds the lock now."));
        assert!(markdown.contains("point of no return: none in this plan"));
    }

    #[test]
    fn done_steps_show_when_and_what_and_the_rollback_lists_them_newest_first() {
        let mut state = demo_state();
        let at = state.created_at;
        for id in [
            "discover-source",
            "create-cluster",
            "create-service-security-group",
        ] {
            let record = state.steps.iter_mut().find(|r| r.id == id).unwrap();
            record.status = StepStatus::Done;
            record.attempts = 1;
            record.started_at = Some(at);
            record.finished_at = Some(at);
        }
        let holder = LockInfo {
            id: "lock-1".into(),
            holder: "alice".into(),
            pid: 42,
            host: "ci-7".into(),
            created_at: at,
            operation: "apply".into(),
        };
        let markdown = render(&state, Some(&holder), Path::new("state.json"));
        assert!(markdown.contains("by alice (pid 42 on ci-7)"), "{markdown}");
        assert!(markdown.contains(
            "| 3 | `create-cluster` | done | 1 | 2026-11-24 05:00:00 UTC | 2026-11-24 05:00:00 UTC |"
        ));
        let rollback = &markdown[markdown.find("## What a rollback").unwrap()..];
        let group = rollback.find("create-service-security-group").unwrap();
        let cluster = rollback.find("`create-cluster`").unwrap();
        assert!(group < cluster, "newest first:\n{rollback}");
        assert!(
            !rollback.contains("discover-source"),
            "a read has nothing to undo"
        );
    }

    #[test]
    fn a_plan_says_clean_up_has_not_started_and_why() {
        let markdown = render(&demo_state(), None, Path::new("state.json"));
        let section = &markdown[markdown.find("## Clean-up of the old side").unwrap()..];
        assert!(
            section.contains("Not started: shop has not finished"),
            "{section}"
        );
    }

    #[test]
    fn a_finished_migration_says_when_the_soak_ends() {
        let mut state = demo_state();
        let at = state.created_at;
        for record in &mut state.steps {
            record.status = StepStatus::Done;
            record.finished_at = Some(at);
        }
        state.phase = migrate_journal::Phase::Applied;
        let markdown = render(&state, None, Path::new("state.json"));
        assert!(
            markdown.contains(
                "Not started: the soak period (168h) ends 2026-12-01 05:00:00 UTC; `migrate cleanup shop --plan`"
            ),
            "{markdown}"
        );
    }

    #[test]
    fn a_confirmed_clean_up_lists_its_deletions_and_refuses_the_rollback() {
        let mut state = demo_state();
        let at = state.created_at;
        for record in &mut state.steps {
            record.status = StepStatus::Done;
            record.finished_at = Some(at);
        }
        state.phase = migrate_journal::Phase::Applied;
        let mut deleted = migrate_journal::DeletionRecord::new(
            "delete-auto-scaling-group:shop-ecs-instances",
            "delete Auto Scaling group shop-ecs-instances",
            serde_json::Value::Null,
        );
        deleted.status = StepStatus::Done;
        deleted.outcome = Some("deleted".into());
        deleted.attempts = 1;
        let mut stopped = migrate_journal::DeletionRecord::new(
            "delete-security-group:sg-1",
            "delete security group sg-1",
            serde_json::Value::Null,
        );
        stopped.status = StepStatus::Failed;
        stopped.error = Some("security group sg-1 is still in use: sg-2 names it".into());
        state.cleanup = Some(migrate_journal::Cleanup {
            confirmed_by: "bob@ops-1".into(),
            confirmed_at: at,
            soak_override: Some("the old ASG costs money".into()),
            finished_at: None,
            deletions: vec![deleted, stopped],
        });
        let markdown = render(&state, None, Path::new("state.json"));
        let section = &markdown[markdown.find("## Clean-up of the old side").unwrap()..];
        assert!(section.contains("Confirmed by bob@ops-1"), "{section}");
        assert!(
            section.contains("(reason: the old ASG costs money)"),
            "{section}"
        );
        assert!(section.contains("**1 of 2 deletions done**"), "{section}");
        assert!(
            section.contains("| 1 | delete Auto Scaling group shop-ecs-instances | deleted | 1 |"),
            "{section}"
        );
        assert!(section.contains("| 2 | delete security group sg-1 | **stopped** |"));
        assert!(section
            .contains("`delete-security-group:sg-1` stopped: security group sg-1 is still in use"));
        let rollback = &markdown[markdown.find("## What a rollback").unwrap()..];
        assert!(rollback.contains("a rollback is refused"), "{rollback}");
    }
}
