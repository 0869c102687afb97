//! The plain-text form, for a terminal: the same sections as the Markdown, as indented lines.

use std::fmt::Write;

use crate::model::{Existing, Report};
use crate::money;
use crate::timeline::{clock, TimelineSection};

pub fn render_text(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Migration review: {} (plan {})",
        report.name, report.plan_id
    );
    let _ = writeln!(out, "{}.", report.summary_line());
    let _ = writeln!(out, "{}", report.summary.source_to_target);

    let _ = writeln!(out, "\nWHAT EXISTS NOW");
    match &report.existing {
        Existing::NotRead { reason, declared } => {
            let _ = writeln!(out, "  Not read. {reason}");
            for item in declared {
                let _ = writeln!(out, "    declared: {item}");
            }
        }
        Existing::Read { snapshot } => {
            let _ = writeln!(out, "  Read at {}.", snapshot.read_at);
            for group in &snapshot.instances {
                let _ = writeln!(out, "    {} × {}", group.count, group.instance_type);
            }
            for service in &snapshot.old_services {
                let _ = writeln!(
                    out,
                    "    old service {}: {} running, {} desired",
                    service.name, service.running, service.desired
                );
            }
            for proposal in &report.sizing {
                let _ = writeln!(
                    out,
                    "    proposed {}: {} × ({} CPU units, {} MiB), because {}",
                    proposal.service,
                    proposal.desired_count,
                    proposal.cpu,
                    proposal.memory_mib,
                    proposal.basis
                );
            }
        }
    }

    let _ = writeln!(out, "\nCHANGES (+ create, ~ modify)");
    for group in &report.changes {
        let _ = writeln!(out, "  {} {}", group.mark.symbol(), group.resource);
        for change in &group.changes {
            let _ = writeln!(
                out,
                "      {} {}  [{}]",
                change.mark.symbol(),
                change.detail,
                change.step
            );
        }
    }

    let _ = writeln!(out, "\nSECURITY CHANGES");
    for rule in &report.security.ingress_added {
        let _ = writeln!(
            out,
            "  {} ← {} on {}/{} ({}): {}",
            rule.to_group,
            rule.from_group,
            rule.protocol,
            rule.port,
            rule.purpose,
            if rule.least_privilege {
                "least privilege".to_string()
            } else {
                format!("CHECK: {}", rule.findings.join("; "))
            }
        );
    }
    for note in &report.security.notes {
        let _ = writeln!(out, "  note: {note}");
    }

    let _ = writeln!(out, "\nRISKS");
    for risk in &report.risks {
        let _ = writeln!(
            out,
            "  [{}] {} ({})\n      {}\n      fix: {}",
            risk.severity.as_str(),
            risk.title,
            risk.basis.as_str(),
            risk.detail,
            risk.fix
        );
    }

    crate::connections::text(&mut out, report.connection_budget.as_ref());

    let _ = writeln!(out, "\nTIMELINE");
    match &report.timeline {
        TimelineSection::NotRehearsed { reason } => {
            let _ = writeln!(out, "  Not rehearsed: {reason}.");
        }
        TimelineSection::Rehearsed(summary) => {
            let _ = writeln!(
                out,
                "  {} seeds (faults {}): median {}, p90 {}, critical path {}, overlap {}",
                summary.seeds.len(),
                summary.faults,
                clock(summary.median_secs),
                clock(summary.p90_secs),
                clock(summary.critical_path_secs),
                clock(summary.overlap_secs)
            );
            if let Some((seed, failed)) = summary.worst_requests_failed {
                let _ = writeln!(out, "  CLIENT REQUESTS FAILED: {failed} with seed {seed}");
            }
            for failed in &summary.failed_runs {
                let _ = writeln!(
                    out,
                    "  seed {} did not complete: {}",
                    failed.seed, failed.reason
                );
            }
            for segment in &summary.critical_path {
                let _ = writeln!(out, "    {:>8}  {}", clock(segment.secs), segment.what);
            }
            if let Some(file) = &summary.gantt_file {
                let _ = writeln!(out, "  Gantt picture: {file}");
            }
        }
    }

    let _ = writeln!(out, "\nCOST");
    let cost = &report.cost;
    match &cost.estimate {
        None => {
            let _ = writeln!(
                out,
                "  No estimate: {}.",
                cost.missing.as_deref().unwrap_or("")
            );
        }
        Some(estimate) => {
            let m = |amount: f64| money(&cost.currency, amount);
            for (side, lines) in [("old", &estimate.old_side), ("new", &estimate.new_side)] {
                for line in lines {
                    let _ = writeln!(
                        out,
                        "  {side}  {:<40} {:>12}  {}",
                        line.item,
                        line.monthly.map_or("unknown".into(), m),
                        line.basis
                    );
                }
            }
            let _ = writeln!(
                out,
                "  per month: old {}, new {} (prices as of {})",
                estimate.old_monthly.map_or("unknown".into(), m),
                m(estimate.new_monthly),
                cost.prices_as_of
            );
            if let Some(extra) = estimate.overlap_extra {
                let _ = writeln!(out, "  overlap: {} on top of the old side", m(extra));
            }
        }
    }

    let _ = writeln!(out, "\nROLLBACK (newest first)");
    for (i, step) in report.rollback.iter().enumerate() {
        let _ = writeln!(out, "  {:>2}. {}: {}", i + 1, step.step, step.undo);
    }
    let statements = report.iam_policy["Statement"]
        .as_array()
        .map_or(0, Vec::len);
    let _ = writeln!(
        out,
        "\nIAM POLICY\n  {statements} statements; `migrate policy` prints the document"
    );
    out
}
