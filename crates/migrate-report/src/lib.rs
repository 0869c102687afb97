//! The review report of a migration plan: what exists now, what changes, which security rules
//! open, what could go wrong, how long it takes and what it costs, and how it is rolled back.
//!
//! The report is built once as typed data ([`Report`]) and rendered three ways from that data:
//! Markdown for a pull request (headings and tables only, no raw HTML, so GitHub renders it as
//! is), plain text for a terminal, and JSON (with a `format_version`) for tools. The Gantt
//! picture of the rehearsed timeline is an SVG beside the report.
//!
//! Two inputs come from outside as plain data, so that this crate depends on neither the
//! simulator nor the account reader: the [`Timeline`] (rehearsals the binary runs over several
//! seeds) and the [`Snapshot`] of the account (`None` for an offline plan, in which case the
//! report says the account was not read and marks each risk that only the account could settle).

mod build;
pub mod connections;
mod cost;
mod gantt;
mod markdown;
mod model;
mod risks;
mod security;

mod text;
mod timeline;

use migrate_plan::Plan;

pub use cost::{
    CostEstimate, CostLine, CostSection, InstancePrice, PriceTable, RegionPrices, BUNDLED_PRICES,
    HOURS_PER_MONTH,
};
pub use gantt::{render_gantt, BarBox, Gantt};
pub use markdown::render_markdown;
pub use migrate_plan::snapshot::{InstanceGroup, Snapshot};
pub use model::{
    Basis, Compensation, Existing, IngressChange, Mark, Report, ResourceChange, ResourceChanges,
    Risk, Security, Severity, Summary, FORMAT_VERSION,
};
pub use text::render_text;
pub use timeline::{
    clock, FailedRun, PathSegment, ShownStep, StepKind, StepSpan, Timeline, TimelineRun,
    TimelineSection, TimelineSummary,
};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("price table {origin}: {problem}")]
    Prices { origin: String, problem: String },
    #[error("the report could not be serialised: {0}")]
    Json(#[from] serde_json::Error),
}

/// What the report is built from besides the plan.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub prices: &'a PriceTable,
    /// The rehearsals; `None` when none was run.
    pub timeline: Option<&'a Timeline>,
    /// The account as read at plan time; `None` takes the plan's own (`None` for an offline
    /// plan).
    pub snapshot: Option<&'a Snapshot>,
    /// Why the account was not read, when `snapshot` is `None` (e.g. `--offline`); a generic
    /// sentence when not given.
    pub not_read_because: Option<&'a str>,
}

/// Builds the report of `plan`.
pub fn build(plan: &Plan, inputs: &Inputs<'_>) -> Report {
    // The snapshot the plan carries unless the caller hands another one.
    let snapshot = inputs.snapshot.or(plan.snapshot.as_ref());
    let inputs = &Inputs {
        snapshot,
        ..*inputs
    };
    let timeline = match inputs.timeline {
        Some(t) => timeline::summarise(t, |step| build::step_kind(plan, step)),
        None => TimelineSection::NotRehearsed {
            reason: "the plan was not rehearsed".into(),
        },
    };
    let overlap = match &timeline {
        TimelineSection::Rehearsed(summary) => Some(summary.overlap_secs),
        TimelineSection::NotRehearsed { .. } => None,
    };
    let rates = plan
        .playbook
        .region
        .as_ref()
        .and_then(|r| inputs.prices.regions.get(r));
    Report {
        format_version: FORMAT_VERSION,
        plan_id: plan.id.clone(),
        name: plan.name.clone(),
        summary: build::summary(plan),
        existing: match inputs.snapshot {
            Some(snapshot) => Existing::Read {
                snapshot: snapshot.clone(),
            },
            None => build::existing_offline(plan, inputs.not_read_because),
        },
        sizing: snapshot
            .map(|s| migrate_plan::sizing::propose(&plan.playbook, s))
            .unwrap_or_default(),
        changes: build::changes(plan),
        security: security::security(plan),
        risks: risks::risks(plan, inputs.snapshot, rates),
        connection_budget: connections::section(plan, inputs.snapshot),
        timeline,
        cost: cost::estimate(plan, inputs.prices, inputs.snapshot, overlap),
        rollback: build::rollback(plan),
        iam_policy: migrate_policy::policy(plan).to_json(),
    }
}

/// The JSON form: the same content as the Markdown, with `format_version` first.
pub fn render_json(report: &Report) -> Result<String, ReportError> {
    Ok(serde_json::to_string_pretty(report)?)
}

impl Report {
    /// Records where the Gantt SVG was written, relative to the report, so that the Markdown
    /// links it.
    pub fn set_gantt_file(&mut self, name: &str) {
        if let TimelineSection::Rehearsed(summary) = &mut self.timeline {
            summary.gantt_file = Some(name.to_string());
        }
    }

    /// The summary line: "N to create, M to modify, 0 to delete; point of no return: …".
    pub fn summary_line(&self) -> String {
        let s = &self.summary;
        format!(
            "{} to create, {} to modify, {} to delete; point of no return: {}",
            s.to_create,
            s.to_modify,
            s.to_delete,
            s.point_of_no_return
                .as_deref()
                .unwrap_or("none in this plan")
        )
    }
}

/// A money amount as the report prints it.
pub(crate) fn money(currency: &str, amount: f64) -> String {
    let symbol = if currency == "USD" { "$" } else { "" };
    let suffix = if symbol.is_empty() {
        format!(" {currency}")
    } else {
        String::new()
    };
    format!("{symbol}{amount:.2}{suffix}")
}
