//! The Markdown form, to paste into a pull request: headings, lists and tables only, no raw
//! HTML, so that GitHub renders it as written.

use std::fmt::Write;

use crate::cost::CostSection;
use crate::model::{Existing, Report};
use crate::money;
use crate::timeline::{clock, TimelineSection};

/// Makes text safe inside a table cell: a `|` would end the cell, a newline the row, a `<`
/// could open an HTML tag that GitHub strips, and a `*` (as in `alarms shop-*`) emphasis.
pub(crate) fn cell(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('*', "\\*")
        .replace('<', "&lt;")
        .replace(['\n', '\r'], " ")
}

/// The same escaping outside tables (a newline is harmless there).
fn inline(text: &str) -> String {
    text.replace('<', "&lt;")
}

pub fn render_markdown(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Migration review: `{}` (plan `{}`)\n",
        report.name, report.plan_id
    );
    let _ = writeln!(out, "**{}.**\n", report.summary_line());
    let _ = writeln!(out, "{}\n", inline(&report.summary.source_to_target));

    existing(&mut out, report);
    changes(&mut out, report);
    security(&mut out, report);
    risks(&mut out, report);
    crate::connections::markdown(&mut out, report.connection_budget.as_ref());
    timeline(&mut out, report);
    cost(&mut out, &report.cost);
    rollback(&mut out, report);
    iam_policy(&mut out, report);
    out
}

fn existing(out: &mut String, report: &Report) {
    let _ = writeln!(out, "## What exists now\n");
    match &report.existing {
        Existing::NotRead { reason, declared } => {
            let _ = writeln!(out, "**Not read.** {}\n", inline(reason));
            let _ = writeln!(out, "The playbook declares:\n");
            for item in declared {
                let _ = writeln!(out, "- {}", inline(item));
            }
            let _ = writeln!(out);
        }
        Existing::Read { snapshot } => {
            let _ = writeln!(out, "Read from the account at {}.\n", snapshot.read_at);
            let _ = writeln!(out, "| What | As it is |\n|---|---|");
            let instances = snapshot
                .instances
                .iter()
                .map(|g| format!("{} × {}", g.count, g.instance_type))
                .collect::<Vec<_>>()
                .join(", ");
            let group = snapshot
                .auto_scaling_group
                .as_ref()
                .map(|g| {
                    format!(
                        "{}: desired {}, min {}, max {}, {} in service",
                        g.name, g.desired, g.min, g.max, g.in_service
                    )
                })
                .unwrap_or_default();
            let services = snapshot
                .old_services
                .iter()
                .map(|s| {
                    let size = match (s.task_cpu, s.task_memory_mib) {
                        (Some(c), Some(m)) => format!(" of {c} CPU units, {m} MiB"),
                        _ => String::new(),
                    };
                    format!(
                        "{}: {} running, {} desired{size} ({})",
                        s.name, s.running, s.desired, s.task_definition_arn
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            let load_balancer = snapshot
                .load_balancer
                .as_ref()
                .map(|lb| {
                    let listeners = lb
                        .listeners
                        .iter()
                        .map(|l| format!("{} {}", l.protocol.to_uppercase(), l.port))
                        .collect::<Vec<_>>()
                        .join(", ");
                    format!("{} (listeners: {listeners})", lb.name)
                })
                .unwrap_or_default();
            let records = snapshot
                .records
                .iter()
                .map(|r| {
                    let ttl = r.ttl.map(|t| format!(", TTL {t}s")).unwrap_or_default();
                    let zone = r
                        .zone
                        .as_deref()
                        .map(|z| format!(" in {z}"))
                        .unwrap_or_default();
                    format!("{} {}{zone} → {}{ttl}", r.record_type, r.name, r.target)
                })
                .collect::<Vec<_>>()
                .join("; ");
            let stores = snapshot
                .data_store_rules
                .iter()
                .map(|d| {
                    format!(
                        "{} ({} port {}) admits {}",
                        d.store,
                        d.security_group,
                        d.port,
                        if d.admits.is_empty() {
                            "no old-side group".into()
                        } else {
                            d.admits.join(", ")
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            let sizing = report
                .sizing
                .iter()
                .map(|p| {
                    format!(
                        "{}: {} × ({} CPU units, {} MiB), because {}",
                        p.service, p.desired_count, p.cpu, p.memory_mib, p.basis
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            let rows = [
                ("Old instances", instances),
                ("Old Auto Scaling group", group),
                ("Old ECS services (tasks)", services),
                ("Old load balancer", load_balancer),
                ("Cutover records", records),
                ("Data-store rules", stores),
                ("Proposed sizing", sizing),
                (
                    "Cutover record TTL",
                    snapshot
                        .record_ttl_secs
                        .map_or("alias (no TTL of its own)".into(), |t| format!("{t}s")),
                ),
                (
                    "Old HTTPS listener",
                    match snapshot.old_https_listener {
                        Some(true) => "yes".into(),
                        Some(false) => "no".into(),
                        None => "not read".into(),
                    },
                ),
                (
                    "Availability zones",
                    not_read_or(snapshot.availability_zones.as_deref(), ", "),
                ),
                (
                    "Other records to the old side",
                    not_read_or(snapshot.other_records_to_old_side.as_deref(), ", "),
                ),
                (
                    "Old listener rules",
                    not_read_or(snapshot.old_listener_rules.as_deref(), "; "),
                ),
            ];
            for (what, value) in rows {
                let value = if value.is_empty() {
                    "none".into()
                } else {
                    value
                };
                let _ = writeln!(out, "| {what} | {} |", cell(&value));
            }
            let _ = writeln!(out);
        }
    }
}

/// A list the snapshot may not have read: "not read" then, never "none".
fn not_read_or(items: Option<&[String]>, separator: &str) -> String {
    match items {
        None => "not read".into(),
        Some(items) => items.join(separator),
    }
}

fn changes(out: &mut String, report: &Report) {
    let _ = writeln!(
        out,
        "## Changes\n\n{} resources; `+` created, `~` modified. Nothing is deleted.\n",
        report.changes.len()
    );
    let _ = writeln!(out, "| | Resource | Change | Step |\n|---|---|---|---|");
    for group in &report.changes {
        for (i, change) in group.changes.iter().enumerate() {
            let resource = if i == 0 {
                format!("**{}**", cell(&group.resource))
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "| {} | {resource} | {} | `{}` |",
                change.mark.symbol(),
                cell(&change.detail),
                change.step
            );
        }
    }
    let _ = writeln!(out);
}

fn security(out: &mut String, report: &Report) {
    let _ = writeln!(out, "## Security changes\n");
    let rules = &report.security.ingress_added;
    if rules.is_empty() {
        let _ = writeln!(out, "No ingress rule is added.\n");
    } else {
        let _ = writeln!(
            out,
            "{} ingress rule{} added:\n",
            rules.len(),
            if rules.len() == 1 { "" } else { "s" }
        );
        let _ = writeln!(
            out,
            "| To group | From group | Port | Purpose | Least privilege | Step |\n|---|---|---|---|---|---|"
        );
        for rule in rules {
            let verdict = if rule.least_privilege {
                "yes: one source group, one port".to_string()
            } else {
                format!("**check**: {}", rule.findings.join("; "))
            };
            let _ = writeln!(
                out,
                "| {} | {} | {}/{} | {} | {} | `{}` |",
                cell(&rule.to_group),
                cell(&rule.from_group),
                rule.protocol,
                rule.port,
                cell(&rule.purpose),
                cell(&verdict),
                rule.step
            );
        }
        let _ = writeln!(out);
    }
    for note in &report.security.notes {
        let _ = writeln!(out, "- {}", inline(note));
    }
    let _ = writeln!(out);
}

fn risks(out: &mut String, report: &Report) {
    let _ = writeln!(out, "## Risks\n");
    if report.risks.is_empty() {
        let _ = writeln!(out, "None found.\n");
        return;
    }
    let _ = writeln!(
        out,
        "| Severity | Risk | Fix | Known from |\n|---|---|---|---|"
    );
    for risk in &report.risks {
        let _ = writeln!(
            out,
            "| {} | **{}**: {} | {} | {} |",
            risk.severity.as_str(),
            cell(&risk.title),
            cell(&risk.detail),
            cell(&risk.fix),
            risk.basis.as_str()
        );
    }
    let _ = writeln!(out);
}

fn timeline(out: &mut String, report: &Report) {
    let _ = writeln!(out, "## Timeline\n");
    let summary = match &report.timeline {
        TimelineSection::NotRehearsed { reason } => {
            let _ = writeln!(out, "Not rehearsed: {}.\n", inline(reason));
            return;
        }
        TimelineSection::Rehearsed(summary) => summary,
    };
    let _ = writeln!(
        out,
        "Rehearsed in the simulator over {} seeds (faults `{}`): median **{}**, p90 **{}**; \
         critical-path lower bound {}. Both sides run for {} (from the first new service to the \
         end of the scale-down).\n",
        summary.seeds.len(),
        summary.faults,
        clock(summary.median_secs),
        clock(summary.p90_secs),
        clock(summary.critical_path_secs),
        clock(summary.overlap_secs)
    );
    match summary.worst_requests_failed {
        None => {
            let _ = writeln!(out, "No client request failed in any rehearsal.\n");
        }
        Some((seed, failed)) => {
            let _ = writeln!(
                out,
                "**Client requests failed in a rehearsal**: {failed} with seed {seed} (replay it \
                 with `migrate rehearse PLAYBOOK --seed {seed} --faults {}`).\n",
                summary.faults
            );
        }
    }
    for failed in &summary.failed_runs {
        let _ = writeln!(
            out,
            "- Seed {} did not complete: {}",
            failed.seed,
            inline(&failed.reason)
        );
    }
    if !summary.failed_runs.is_empty() {
        let _ = writeln!(out);
    }
    if let Some(file) = &summary.gantt_file {
        let _ = writeln!(
            out,
            "![Gantt chart of the rehearsed steps (seed {})]({file})\n",
            summary.shown_seed
        );
    }
    let _ = writeln!(out, "Critical path:\n\n| Wait | Time |\n|---|---|");
    for segment in &summary.critical_path {
        let _ = writeln!(out, "| {} | {} |", cell(&segment.what), clock(segment.secs));
    }
    let _ = writeln!(
        out,
        "\nSteps of the median run (seed {}), mm:ss from the start:\n",
        summary.shown_seed
    );
    let _ = writeln!(
        out,
        "| Step | Start | Duration | Attempts | Outcome |\n|---|---|---|---|---|"
    );
    for step in &summary.steps {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            step.step,
            clock(step.start_secs),
            clock(step.duration_secs),
            step.attempts,
            cell(&step.outcome)
        );
    }
    let _ = writeln!(out);
}

fn cost(out: &mut String, cost: &CostSection) {
    let _ = writeln!(out, "## Cost\n");
    let region = cost.region.as_deref().unwrap_or("(no region)");
    let Some(estimate) = &cost.estimate else {
        let _ = writeln!(
            out,
            "No estimate for {region}: {}.\n",
            inline(cost.missing.as_deref().unwrap_or("no prices"))
        );
        return;
    };
    let m = |amount: f64| money(&cost.currency, amount);
    let _ = writeln!(
        out,
        "Monthly, on-demand, {region}, prices as of {}.\n",
        cost.prices_as_of
    );
    let _ = writeln!(
        out,
        "| Side | Item | Quantity | Per month | Basis |\n|---|---|---|---|---|"
    );
    for (side, lines) in [("old", &estimate.old_side), ("new", &estimate.new_side)] {
        for line in lines {
            let _ = writeln!(
                out,
                "| {side} | {} | {} | {} | {} |",
                cell(&line.item),
                cell(&line.quantity),
                line.monthly.map_or("unknown".into(), m),
                cell(&line.basis)
            );
        }
    }
    let old = estimate.old_monthly.map_or("unknown (see above)".into(), m);
    let _ = writeln!(
        out,
        "\n**Old side: {old} per month; new side: {} per month.**\n",
        m(estimate.new_monthly)
    );
    match (estimate.overlap_hours, estimate.overlap_extra) {
        (Some(hours), Some(extra)) => {
            let _ = writeln!(
                out,
                "- Overlap: both sides run for {hours:.2} h in the rehearsal; the new side's cost \
                 on top of the old one's is {}.",
                m(extra)
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "- Overlap: not known without a rehearsal; the new side costs {} per hour on top \
                 of the old one's while both run.",
                m(estimate.new_monthly / crate::HOURS_PER_MONTH)
            );
        }
    }
    let _ = writeln!(
        out,
        "- The old load balancer runs on until the clean-up: {} per day of soak.",
        m(estimate.old_load_balancer_per_soak_day)
    );
    for assumption in &cost.assumptions {
        let _ = writeln!(out, "- Assumed: {}", inline(assumption));
    }
    let _ = writeln!(out, "- Prices from: {}", cost.sources.join(", "));
    let _ = writeln!(out);
}

fn rollback(out: &mut String, report: &Report) {
    let _ = writeln!(
        out,
        "## Rollback plan\n\n`migrate rollback` runs these compensations, newest first, from \
         wherever the apply stopped:\n"
    );
    for (i, step) in report.rollback.iter().enumerate() {
        let _ = writeln!(out, "{}. `{}`: {}", i + 1, step.step, inline(&step.undo));
    }
}

fn iam_policy(out: &mut String, report: &Report) {
    let statements = report.iam_policy["Statement"]
        .as_array()
        .map_or(0, Vec::len);
    let _ = writeln!(
        out,
        "\n## IAM policy\n\nThe least-privilege policy this plan needs ({statements} statements: its \
         steps, their undo and the state backend), scoped to the plan's names and tag; \
         `migrate policy` prints it for the role that runs `migrate apply`.\n"
    );
    let json = serde_json::to_string_pretty(&report.iam_policy).unwrap_or_default();
    let _ = writeln!(out, "```json\n{json}\n```");
}
