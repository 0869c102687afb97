//! The dry-run report a reviewer reads before `migrate apply`.

use std::fmt::Write;

use crate::step::ChangeKind;
use crate::Plan;

/// Renders the plan as text for change review: every step, what it creates or changes, and how
/// it is undone.
pub fn render_human(plan: &Plan) -> String {
    let mut out = String::new();
    let playbook = &plan.playbook;
    let _ = writeln!(
        out,
        "Plan {} for `{}`: {} → ECS Fargate, {} steps",
        plan.id,
        plan.name,
        playbook.source.kind.as_str(),
        plan.steps.len()
    );
    let _ = writeln!(
        out,
        "Every resource created is tagged migrate:plan-id={} and migrate:step=<step id>.\n",
        plan.id
    );
    let width = plan.steps.iter().map(|s| s.id.len()).max().unwrap_or(0);
    for (index, step) in plan.steps.iter().enumerate() {
        let _ = writeln!(
            out,
            "{:>3}. {:<width$}  {}",
            index + 1,
            step.id,
            step.summary
        );
        for change in &step.changes {
            let verb = match change.kind {
                ChangeKind::Create => "+ create",
                ChangeKind::Modify => "~ modify",
                ChangeKind::Read => "  read  ",
                ChangeKind::Wait => "  wait  ",
            };
            let _ = writeln!(out, "       {verb} {}: {}", change.resource, change.detail);
        }
        let _ = writeln!(out, "       undo: {}", step.undo);
    }
    let count = |kind: ChangeKind| {
        plan.steps
            .iter()
            .flat_map(|s| &s.changes)
            .filter(|c| c.kind == kind)
            .count()
    };
    let _ = writeln!(
        out,
        "\n{} to create, {} to modify, {} waits. Nothing is deleted; clean-up of the old side is a \
         separate command after the soak period.",
        count(ChangeKind::Create),
        count(ChangeKind::Modify),
        count(ChangeKind::Wait)
    );
    account(plan, &mut out);
    out
}

/// What the account read showed: the sizes proposed from the old side and a warning for each
/// service the playbook gives less; nothing for a plan made `--offline`.
fn account(plan: &Plan, out: &mut String) {
    let Some(snapshot) = &plan.snapshot else {
        return;
    };
    let _ = writeln!(out, "\nRead from the account at {}.", snapshot.read_at);
    for proposal in plan.sizing() {
        let _ = writeln!(
            out,
            "Sizing {}: proposed {} × ({} CPU units, {} MiB) because {}; the playbook asks for {} × ({}, {}).",
            proposal.service,
            proposal.desired_count,
            proposal.cpu,
            proposal.memory_mib,
            proposal.basis,
            proposal.playbook_desired_count,
            proposal.playbook_cpu,
            proposal.playbook_memory_mib
        );
    }
    for warning in plan.sizing().iter().filter_map(|p| p.warning()) {
        let _ = writeln!(out, "warning: {warning}");
    }
}
