//! `migrate plan`: playbook → plan, written to the state directory, printed for review: as the
//! list of steps, or (`--format`) as the review report with a rehearsed timeline and a Gantt SVG.

use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use migrate_journal::{JournalError, Phase, State, StateBackend, StepStatus};
use migrate_playbook::Playbook;

use crate::cli::{GlobalArgs, PlanArgs, ReportFormat};
use crate::exit;
use crate::target::{self, state_dir_for, StateLocation, SHARED_POINTER};

pub fn run(args: &PlanArgs, global: &GlobalArgs) -> Result<u8> {
    // A broken playbook stops here, before anything is written.
    let playbook = Playbook::from_path(&args.playbook).map_err(|e| anyhow!("{e}"))?;
    // So does a broken price table, when a report is asked for.
    let prices = match args.format {
        Some(_) => Some(load_prices(args)?),
        None => None,
    };
    let plan = migrate_plan::build(&playbook);
    // The account is read before the state is touched: a read that fails (an ASG or load
    // balancer that does not exist, no credentials) leaves any earlier plan as it was.
    let plan = if args.offline {
        let needing = migrate_plan::live::services_needing_the_account(&playbook);
        if !needing.is_empty() {
            bail!(
                "{}",
                needing
                    .into_iter()
                    .map(|service| migrate_plan::PlanError::NeedsTheAccount { service }.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
        plan
    } else {
        let snapshot = read_account(&plan, global)?;
        migrate_plan::build_with_account(&playbook, snapshot)?
    };
    let location = match (&args.state, &args.state_dir, &playbook.state) {
        (Some(url), _, _) => StateLocation::Shared(url.clone()),
        (None, Some(dir), _) => StateLocation::Dir(dir.clone()),
        (None, None, Some(url)) => StateLocation::Shared(url.clone()),
        (None, None, None) => StateLocation::Dir(state_dir_for(&playbook.name)),
    };
    let store = target::open(&location, global, playbook.region.as_deref())?;

    let state = match store.load() {
        Ok(existing) if existing.plan.id == plan.id && existing.phase != Phase::Planned => {
            // The same plan, under way: keep its progress, show where it stands.
            existing
        }
        Ok(existing) if existing.plan.id == plan.id => {
            // The same plan, not started: store it with the account as read now (or with no
            // snapshot, `--offline`), so that `apply` checks against what was just reviewed.
            if existing.plan == plan {
                existing
            } else {
                write_fresh(&store, plan)?
            }
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

    tracing::info!(
        state = %store.location().display(),
        plan_id = %state.plan.id,
        steps = state.plan.steps.len(),
        phase = ?state.phase,
        "plan ready for review"
    );

    if args.format.is_some() || args.json {
        // The human form prints them with the plan; the others keep standard output clean.
        for warning in state.plan.sizing().iter().filter_map(|p| p.warning()) {
            eprintln!("warning: {warning}");
        }
    }

    if let (Some(format), Some(prices)) = (args.format, &prices) {
        // The timeline picture is local even when the state is shared: it belongs to this review.
        let report_dir = match &location {
            StateLocation::Dir(dir) => dir.clone(),
            StateLocation::Shared(_) => state_dir_for(&playbook.name),
        };
        write_report(args, format, prices, &state.plan, &report_dir)?;
    } else if args.json {
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
        if state.plan.snapshot.is_none() {
            println!("\nThe account was not read (--offline); `migrate apply` will not check the plan against it.");
        }
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

/// Reads the account for the plan's review, with the same connection `apply` makes.
fn read_account(plan: &migrate_plan::Plan, global: &GlobalArgs) -> Result<migrate_plan::Snapshot> {
    let options = migrate_aws::AwsOptions {
        profile: global.profile.clone(),
        region: global
            .region
            .clone()
            .or_else(|| plan.playbook.region.clone()),
        endpoint_url: global.endpoint_url.clone(),
        probe_override: global.probe_url.clone(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let connection = migrate_aws::open(&options).await?;
        let reporter: Arc<dyn migrate_engine::Reporter> = Arc::new(migrate_engine::NullReporter);
        migrate_engine::snapshot::read_account(&connection.cloud, plan, &reporter)
            .await
            .map_err(|e| {
                anyhow!(
                    "cannot read the account for the plan's review: {e}\n\
                     (`migrate plan --offline` plans from the playbook alone)"
                )
            })
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

/// The seeds the timeline is rehearsed with: fixed, so that the same plan always reports the same
/// times, and enough of them for a p90 that is not simply the slowest run.
const REHEARSAL_SEEDS: std::ops::RangeInclusive<u64> = 1..=10;
/// Throttling, errors and lost responses at the rates the simulator calls typical.
const REHEARSAL_FAULTS: &str = "default";

fn load_prices(args: &PlanArgs) -> Result<migrate_report::PriceTable> {
    Ok(match &args.prices {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the price table {}", path.display()))?;
            migrate_report::PriceTable::from_json(&text, &path.display().to_string())?
        }
        None => migrate_report::PriceTable::bundled()?,
    })
}

fn write_report(
    args: &PlanArgs,
    format: ReportFormat,
    prices: &migrate_report::PriceTable,
    plan: &migrate_plan::Plan,
    state_dir: &Path,
) -> Result<()> {
    let timeline = rehearse(plan);
    let not_read_because = "`--offline`";
    let mut report = migrate_report::build(
        plan,
        &migrate_report::Inputs {
            prices,
            timeline: Some(&timeline),
            snapshot: plan.snapshot.as_ref(),
            not_read_because: Some(not_read_because),
        },
    );

    // The picture goes beside the report file, or into the state directory when the report is
    // printed; the report links it by the name a reader will find it under.
    let (svg_path, svg_link) = match &args.output {
        Some(output) => {
            let name = format!(
                "{}.timeline.svg",
                output
                    .file_stem()
                    .map_or("report".into(), |s| s.to_string_lossy())
            );
            (output.with_file_name(&name), name)
        }
        None => {
            let path = state_dir.join("timeline.svg");
            let link = path.display().to_string();
            (path, link)
        }
    };
    if let migrate_report::TimelineSection::Rehearsed(summary) = &report.timeline {
        let gantt = migrate_report::render_gantt(&plan.id, summary);
        write_file(&svg_path, &gantt.svg)?;
        report.set_gantt_file(&svg_link);
    }

    let rendered = match format {
        ReportFormat::Markdown => migrate_report::render_markdown(&report),
        ReportFormat::Json => migrate_report::render_json(&report)? + "\n",
        ReportFormat::Text => migrate_report::render_text(&report),
    };
    match &args.output {
        Some(output) => {
            write_file(output, &rendered)?;
            println!("Report written to {}.", output.display());
        }
        None => print!("{rendered}"),
    }
    Ok(())
}

fn write_file(path: &Path, contents: &str) -> Result<()> {
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))
}

/// Rehearses the plan in the simulator once per seed. A rehearsal that cannot start is reported
/// as a failed run rather than failing the plan: the timeline is advice, the plan is the product.
fn rehearse(plan: &migrate_plan::Plan) -> migrate_report::Timeline {
    let runs = REHEARSAL_SEEDS
        .map(|seed| {
            let options = migrate_sim::RehearseOptions {
                seed,
                faults: REHEARSAL_FAULTS.into(),
                ..Default::default()
            };
            match migrate_sim::rehearse(plan, &options) {
                Ok(rehearsal) => migrate_report::TimelineRun {
                    seed,
                    failure: rehearsal.failure.clone(),
                    total_secs: rehearsal.makespan_secs,
                    requests_failed: rehearsal.requests_failed,
                    steps: rehearsal
                        .timeline
                        .iter()
                        .map(|s| migrate_report::StepSpan {
                            step: s.step.clone(),
                            start_secs: s.start_secs,
                            duration_secs: s.duration_secs,
                            attempts: s.attempts,
                            outcome: s.outcome.clone(),
                        })
                        .collect(),
                    critical_path: rehearsal
                        .critical_path
                        .iter()
                        .map(|w| migrate_report::PathSegment {
                            what: w.what.clone(),
                            secs: w.ms as f64 / 1000.0,
                        })
                        .collect(),
                    critical_path_secs: rehearsal.critical_path_secs,
                },
                Err(error) => migrate_report::TimelineRun {
                    seed,
                    failure: Some(format!("the rehearsal could not run: {error}")),
                    total_secs: 0.0,
                    requests_failed: 0,
                    steps: Vec::new(),
                    critical_path: Vec::new(),
                    critical_path_secs: 0.0,
                },
            }
        })
        .collect();
    migrate_report::Timeline {
        faults: REHEARSAL_FAULTS.into(),
        runs,
    }
}
