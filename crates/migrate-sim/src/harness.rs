//! Runs the real engine against a simulation: apply, crash and resume from the persisted journal,
//! rollback, then let the world run on so that late failures are counted too.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use migrate_engine::reporter::{Event, Reporter};
use migrate_engine::{Engine, EngineError};
use migrate_journal::{MemoryStore, State, StateStore};
use migrate_plan::Plan;
use serde::Serialize;

use crate::audit::Audit;
use crate::clock::{Millis, SimClock};
use crate::critical_path::CriticalPath;
use crate::faults::{CrashPoint, FaultProfile};
use crate::topology::Topology;
use crate::traffic::{TrafficConfig, TrafficReport};
use crate::{SimError, Simulation};

/// Where the orchestrator dies, if anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Crash {
    None,
    /// The n-th port call of the apply (1-based) answers `Interrupted`.
    AtCall(CrashPoint),
    /// The n-th journal save of the apply (1-based) fails, writing nothing.
    AtSave(u64),
}

/// What to do after the apply (and its resumes) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Afterwards {
    Nothing,
    /// Roll back, whatever the apply's result.
    Rollback,
    /// When the crash happens, roll back instead of resuming.
    RollbackInsteadOfResume,
    /// When the traffic guard hands the traffic back, the new side is fixed (its fault under
    /// load removed) and `migrate resume` runs once more.
    FixThenResume,
}

/// One simulated run.
#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    pub seed: u64,
    pub profile: FaultProfile,
    pub traffic: TrafficConfig,
    pub crash: Crash,
    pub afterwards: Afterwards,
    /// Where the rollback itself crashes (counting its port calls from 1), if it runs.
    pub rollback_crash: Option<CrashPoint>,
    /// How long the world runs after the engine is done, so that failures it caused late are
    /// still counted.
    pub settle: Duration,
    /// A mutation test's CloudWatch that answers the drain as before its fixes (`None`: as
    /// CloudWatch does).
    pub drain_reading: Option<crate::world::old_side::DrainReading>,
    /// Calls of the scale-down a mutation test leaves out (the account ignores them).
    pub left_out: Vec<crate::world::old_side::LeftOut>,
}

impl Scenario {
    pub fn new(seed: u64, profile: FaultProfile) -> Self {
        Self {
            seed,
            profile,
            traffic: TrafficConfig::default(),
            crash: Crash::None,
            afterwards: Afterwards::Nothing,
            rollback_crash: None,
            settle: Duration::from_secs(360),
            drain_reading: None,
            left_out: Vec::new(),
        }
    }
}

/// One step as it ran, in virtual time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepSpan {
    pub step: String,
    pub started_ms: Millis,
    pub finished_ms: Option<Millis>,
    pub attempts: u32,
    pub outcome: String,
}

/// Records the engine's events against virtual time.
#[derive(Debug, Default)]
struct TimelineReporter {
    clock: Option<SimClock>,
    spans: Mutex<Vec<StepSpan>>,
}

impl Reporter for TimelineReporter {
    fn report(&self, event: &Event<'_>) {
        let now = self.clock.map_or(0, |c| c.elapsed_ms());
        let mut spans = self.spans.lock().unwrap_or_else(|e| e.into_inner());
        let mut close = |step: &str, outcome: &str| {
            if let Some(s) = spans
                .iter_mut()
                .rev()
                .find(|s| s.step == step && s.finished_ms.is_none())
            {
                s.finished_ms = Some(now);
                s.outcome = outcome.to_string();
            }
        };
        match event {
            Event::StepStarted { step, attempt, .. } => {
                if let Some(s) = spans
                    .iter_mut()
                    .rev()
                    .find(|s| s.step == *step && s.finished_ms.is_none())
                {
                    s.attempts = *attempt;
                } else {
                    spans.push(StepSpan {
                        step: step.to_string(),
                        started_ms: now,
                        finished_ms: None,
                        attempts: *attempt,
                        outcome: "running".into(),
                    });
                }
            }
            Event::StepDone { step, .. } => close(step, "done"),
            Event::StepReconciled { step } => close(step, "reconciled"),
            Event::StepSkipped { step, .. } => close(step, "skipped"),
            Event::StepFailed { step, .. } => close(step, "failed"),
            Event::UndoStarted { step, .. } => spans.push(StepSpan {
                step: format!("undo {step}"),
                started_ms: now,
                finished_ms: None,
                attempts: 1,
                outcome: "running".into(),
            }),
            Event::UndoDone { step } => close(&format!("undo {step}"), "done"),
            Event::UndoFailed { step, .. } => close(&format!("undo {step}"), "failed"),
            _ => {}
        }
    }
}

/// What a run did and left behind.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub seed: u64,
    pub profile: String,
    /// `Ok` when the apply completed; the engine's error otherwise.
    pub apply: Result<(), String>,
    pub rollback: Option<Result<(), String>>,
    pub crashes: u32,
    pub resumes: u32,
    pub apply_started_ms: Millis,
    pub apply_finished_ms: Millis,
    pub timeline: Vec<StepSpan>,
    pub traffic: TrafficReport,
    pub audit: Audit,
    /// DNS batches that changed the zone while the engine ran.
    pub dns_changes: u32,
    pub api_calls: BTreeMap<String, u64>,
    pub api_calls_total: u64,
    pub faults_injected: u64,
    pub critical_path: CriticalPath,
    pub plan_id: String,
    /// Journal writes the engine made.
    pub journal_saves: u64,
    /// Calls that changed the account, up to the apply's end (resumes included): where a test
    /// aims a crash at the apply's last changes.
    pub apply_mutating_calls: u64,
}

impl RunReport {
    /// `Err` saying why when the apply did not complete or a request failed: the check of
    /// every "completes and fails no request" test.
    pub fn completed_without_failed_requests(&self) -> Result<(), String> {
        self.apply
            .clone()
            .map_err(|e| format!("the apply did not complete: {e}"))?;
        self.traffic.none_failed()
    }

    pub fn makespan_ms(&self) -> Millis {
        self.apply_finished_ms.saturating_sub(self.apply_started_ms)
    }
}

const MAX_RESUMES: u32 = 8;

fn describe(e: &EngineError) -> String {
    e.to_string()
}

/// Runs `plan` in a fresh simulation as the scenario says. Blocks; builds its own runtime.
pub fn run(plan: &Plan, scenario: &Scenario) -> Result<RunReport, SimError> {
    let topology = Topology::from_plan(plan)?;
    let rt = crate::clock::runtime()?;
    rt.block_on(run_async(plan, scenario, topology))
}

/// As [`run`], on an account the caller describes (a test's topology with, say, no route out).
pub fn run_on(plan: &Plan, scenario: &Scenario, topology: Topology) -> Result<RunReport, SimError> {
    let rt = crate::clock::runtime()?;
    rt.block_on(run_async(plan, scenario, topology))
}

async fn run_async(
    plan: &Plan,
    scenario: &Scenario,
    topology: Topology,
) -> Result<RunReport, SimError> {
    let sim = Simulation::new(
        scenario.seed,
        topology,
        scenario.profile.clone(),
        &scenario.traffic,
    );
    let clock = sim.clock();
    sim.with_world(|w| {
        w.drain_reading = scenario.drain_reading;
        w.left_out = scenario.left_out.clone();
    });
    let reporter = Arc::new(TimelineReporter {
        clock: Some(clock),
        spans: Mutex::new(Vec::new()),
    });
    // Traffic flows for a minute before anything happens, so caches are warm.
    sim.idle(Duration::from_secs(60)).await;

    let store = MemoryStore::new();
    let mut state = State::new(plan.clone(), migrate_engine::ports::Clock::now(&clock));
    store
        .clone()
        .save(&mut state)
        .map_err(|e| SimError::Engine(e.to_string()))?;
    match scenario.crash {
        Crash::None => {}
        Crash::AtCall(point) => sim.crash_at(point),
        Crash::AtSave(n) => store.crash_at_save(n),
    }
    let new_engine = |store: &MemoryStore| {
        Engine::new(sim.cloud(), Box::new(store.clone()), reporter.clone())
            .map_err(|e| SimError::Engine(e.to_string()))
    };

    let apply_started_ms = sim.now_ms();
    let mut resumes = 0;
    let mut crashes = 0;
    let mut rolled_back_instead = false;
    let mut fixed = false;
    let apply = loop {
        let mut engine = new_engine(&store)?;
        match engine.apply().await {
            Ok(_) => break Ok(()),
            Err(EngineError::Interrupted) if resumes < MAX_RESUMES => {
                crashes += 1;
                // The operator notices and runs `migrate resume` (or `rollback`) a little later;
                // the world keeps running meanwhile.
                sim.idle(Duration::from_secs(20)).await;
                if scenario.afterwards == Afterwards::RollbackInsteadOfResume {
                    rolled_back_instead = true;
                    break Err("interrupted".to_string());
                }
                resumes += 1;
            }
            Err(EngineError::HandedBack { .. })
                if scenario.afterwards == Afterwards::FixThenResume && !fixed =>
            {
                fixed = true;
                sim.with_world(|w| w.profile.new_side_capacity_rpm = None);
                sim.idle(Duration::from_secs(120)).await;
                resumes += 1;
            }
            Err(e) => break Err(describe(&e)),
        }
    };
    let apply_finished_ms = sim.now_ms();
    let apply_mutating_calls = sim.mutating_calls_so_far();
    let dns_changes =
        sim.with_world(|w| w.route53.changes.values().filter(|c| c.modified).count() as u32);
    let critical_path =
        sim.with_world(|w| CriticalPath::measure(w, plan, apply_started_ms, apply_finished_ms));

    let wants_rollback = match scenario.afterwards {
        Afterwards::Nothing | Afterwards::FixThenResume => false,
        Afterwards::Rollback => true,
        Afterwards::RollbackInsteadOfResume => rolled_back_instead,
    };
    let rollback = if wants_rollback {
        if let Some(point) = scenario.rollback_crash {
            sim.crash_at(point);
        }
        let mut attempts = 0;
        Some(loop {
            let mut engine = new_engine(&store)?;
            match engine.rollback().await {
                Ok(_) => break Ok(()),
                Err(EngineError::Interrupted) if attempts < MAX_RESUMES => {
                    attempts += 1;
                    crashes += 1;
                    sim.idle(Duration::from_secs(20)).await;
                }
                Err(e) => break Err(describe(&e)),
            }
        })
    } else {
        None
    };
    sim.idle(scenario.settle).await;
    let spans = reporter
        .spans
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    Ok(RunReport {
        seed: scenario.seed,
        profile: scenario.profile.name.clone(),
        apply,
        rollback,
        crashes,
        resumes,
        apply_started_ms,
        apply_finished_ms,
        timeline: spans,
        traffic: sim.traffic(),
        audit: sim.audit(&plan.id),
        dns_changes,
        api_calls: sim.api_calls(),
        api_calls_total: sim.calls_so_far(),
        faults_injected: sim.faults_injected(),
        critical_path,
        plan_id: plan.id.clone(),
        journal_saves: store.saves(),
        apply_mutating_calls,
    })
}
