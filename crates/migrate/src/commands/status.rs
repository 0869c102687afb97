//! `migrate status`: where a migration stands, and what a rollback would undo now.

use anyhow::Result;
use migrate_journal::{LockInfo, StepStatus, UndoStatus};

use crate::cli::{GlobalArgs, StatusArgs};
use crate::exit;
use crate::target::{open, resolve};

pub fn run(args: &StatusArgs, global: &GlobalArgs) -> Result<u8> {
    let store = open(&resolve(&args.target)?, global, None)?;
    let state = store.load()?;
    let holder = store.current_lock()?;
    if args.json {
        let alive = holder.as_ref().and_then(LockInfo::holder_alive);
        let out = serde_json::json!({ "state": state, "lock": holder, "lock_holder_alive": alive });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(exit::OK);
    }
    println!(
        "Migration {} — plan {}, phase {:?}, serial {}, lineage {}",
        state.plan.name, state.plan.id, state.phase, state.serial, state.lineage
    );
    println!("State: {}", store.location().display());
    match &holder {
        Some(info) => println!(
            "Locked by {} (pid {} on {}, `{}` since {}), lock id {}{}",
            info.holder,
            info.pid,
            info.host,
            info.operation,
            info.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
            info.id,
            match info.holder_alive() {
                Some(true) => " — that process is still running on this host".to_string(),
                Some(false) => format!(
                    " — no such process runs on this host any more: the run died; `migrate unlock {}` removes its lock",
                    info.id
                ),
                None => String::new(),
            }
        ),
        None => println!("Not locked."),
    }
    if let Some(failure) = &state.failure {
        println!("Stopped: {failure}");
    }
    println!();
    let width = state.steps.iter().map(|r| r.id.len()).max().unwrap_or(4);
    println!(
        "{:>3}  {:<width$}  {:<8} {:>3}  {:<8}  {:<8}  outputs",
        "#", "step", "status", "try", "started", "finished"
    );
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or("-".to_string(), |t| t.format("%H:%M:%S").to_string())
    };
    for (i, record) in state.steps.iter().enumerate() {
        let status = match (&record.undo, record.status) {
            (Some(undo), _) if undo.status == UndoStatus::Done => "undone",
            (Some(undo), _) if undo.status == UndoStatus::Running => "undoing",
            (Some(undo), _) if undo.status == UndoStatus::Failed => "undo-err",
            (_, StepStatus::Pending) => "pending",
            (_, StepStatus::Running) => "running",
            (_, StepStatus::Done) => "done",
            (_, StepStatus::Failed) => "FAILED",
            (_, StepStatus::Skipped) => "skipped",
        };
        let outputs: Vec<String> = record
            .outputs
            .iter()
            .filter(|(k, _)| k.as_str() != "record")
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        println!(
            "{:>3}  {:<width$}  {:<8} {:>3}  {:<8}  {:<8}  {}",
            i + 1,
            record.id,
            status,
            record.attempts,
            time(record.started_at),
            time(record.finished_at),
            outputs.join(" ")
        );
        if let Some(error) = &record.error {
            println!("{:>3}  {:<width$}  last error: {error}", "", "");
        }
    }
    let queue = state.undo_queue();
    println!();
    if queue.is_empty() {
        println!("A rollback now would undo nothing.");
    } else {
        println!("A rollback now would undo, newest first:");
        for record in queue {
            let undo = state.plan.step(&record.id).map_or("", |s| s.undo.as_str());
            println!("  {}: {undo}", record.id);
        }
    }
    Ok(exit::OK)
}
