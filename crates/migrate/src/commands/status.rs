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
        "{:>3}  {:<width$}  {:<8} {:>3}  {:<8}  {:<8}",
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
        println!(
            "{:>3}  {:<width$}  {:<8} {:>3}  {:<8}  {:<8}",
            i + 1,
            record.id,
            status,
            record.attempts,
            time(record.started_at),
            time(record.finished_at),
        );
        if let Some(reason) = &record.skipped {
            println!("{:>3}  {:<width$}  skipped: {reason}", "", "");
        }
        for (key, value) in output_lines(&record.outputs) {
            println!("{:>3}  {:<width$}  {key}: {value}", "", "");
        }
        if let Some(error) = &record.error {
            println!("{:>3}  {:<width$}  last error: {error}", "", "");
        }
    }
    let queue = state.undo_queue();
    println!();
    if let Some(cleanup) = &state.cleanup {
        super::cleanup::print_progress(cleanup);
        println!();
        if let Some(refusal) = migrate_engine::cleanup::refusal_after_cleanup(
            migrate_engine::Operation::Rollback,
            &state,
        ) {
            println!("A rollback is refused: {refusal}.");
        }
    } else if queue.is_empty() {
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

/// A step's outputs, one line per field: lists as comma-separated items, nested records as
/// `key=value` pairs, absent values left out.
fn output_lines(outputs: &serde_json::Value) -> Vec<(String, String)> {
    match outputs {
        serde_json::Value::Object(fields) => fields
            .iter()
            .filter(|(_, value)| !value.is_null())
            .map(|(key, value)| (key.clone(), render(value)))
            .collect(),
        serde_json::Value::Null => Vec::new(),
        other => vec![("output".into(), render(other))],
    }
}

fn render(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Null => "-".into(),
        Value::String(text) => text.clone(),
        Value::Bool(_) | Value::Number(_) => value.to_string(),
        Value::Array(items) if items.is_empty() => "none".into(),
        Value::Array(items) if items.iter().all(|i| !i.is_object()) => {
            items.iter().map(render).collect::<Vec<_>>().join(", ")
        }
        Value::Array(items) => items
            .iter()
            .map(|item| format!("[{}]", render(item)))
            .collect::<Vec<_>>()
            .join(" "),
        Value::Object(fields) => fields
            .iter()
            .filter(|(_, value)| !value.is_null())
            .map(|(key, value)| match value {
                Value::Object(_) => format!("{key}=({})", render(value)),
                _ => format!("{key}={}", render(value)),
            })
            .collect::<Vec<_>>()
            .join(" "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_read_as_fields_lists_and_records() {
        let outputs = serde_json::json!({
            "zone_id": "Z1",
            "target_groups": ["arn:a", "arn:b"],
            "https_certificate": null,
            "auto_scaling_group": {"name": "shop", "capacity": {"min": 1, "max": 4, "desired": 2}},
            "records": [{"name": "shop.example.com", "ttl": 300, "values": ["1.2.3.4"], "alias": null}],
        });
        let lines = output_lines(&outputs);
        let line = |key: &str| {
            lines
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(line("zone_id"), Some("Z1"));
        assert_eq!(line("target_groups"), Some("arn:a, arn:b"));
        assert_eq!(line("https_certificate"), None);
        assert_eq!(
            line("auto_scaling_group"),
            Some("name=shop capacity=(min=1 max=4 desired=2)")
        );
        assert_eq!(
            line("records"),
            Some("[name=shop.example.com ttl=300 values=1.2.3.4]")
        );
        assert!(output_lines(&serde_json::Value::Null).is_empty());
    }
}
