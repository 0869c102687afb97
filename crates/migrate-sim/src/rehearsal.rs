//! `migrate rehearse`: the plan run in a simulated copy of the account, with live traffic, and
//! what it says about the real run: how long it will take, how close that is to the waits AWS
//! imposes, whether any request would fail, and how many API calls it makes.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use migrate_plan::Plan;
use serde::Serialize;

use crate::critical_path::Wait;
use crate::faults::FaultProfile;
use crate::harness::{self, Scenario, StepSpan};
use crate::traffic::{FailedRequest, PathCounts, TrafficConfig};
use crate::SimError;

/// What to rehearse with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RehearseOptions {
    /// Decides every latency, fault and client; the same seed replays the same run.
    pub seed: u64,
    /// A fault profile name: `none`, `quiet`, `default`, `chaos` or `unhealthy`.
    pub faults: String,
    pub traffic: TrafficConfig,
}

impl Default for RehearseOptions {
    fn default() -> Self {
        Self {
            seed: 1,
            faults: "default".into(),
            traffic: TrafficConfig::default(),
        }
    }
}

/// One step of the rehearsed timeline, in seconds from the start of the apply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineStep {
    pub step: String,
    pub start_secs: f64,
    pub duration_secs: f64,
    pub attempts: u32,
    pub outcome: String,
}

/// The result of a rehearsal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rehearsal {
    pub plan_id: String,
    pub seed: u64,
    pub faults: String,
    /// `None` when the apply completed; the engine's error otherwise.
    pub failure: Option<String>,
    pub timeline: Vec<TimelineStep>,
    pub makespan_secs: f64,
    pub critical_path: Vec<Wait>,
    pub critical_path_secs: f64,
    /// Makespan over the critical-path lower bound; 1.0 would be a perfect orchestrator.
    pub ratio: f64,
    pub requests_old: PathCounts,
    pub requests_new: PathCounts,
    pub requests_failed: u64,
    pub first_failures: Vec<FailedRequest>,
    pub api_calls: BTreeMap<String, u64>,
    pub api_calls_total: u64,
    pub faults_injected: u64,
    /// The command that replays this rehearsal exactly.
    pub replay: String,
}

/// Runs `plan` in the simulator from the old side its playbook describes.
pub fn rehearse(plan: &Plan, options: &RehearseOptions) -> Result<Rehearsal, SimError> {
    let profile = FaultProfile::named(&options.faults)?;
    let mut scenario = Scenario::new(options.seed, profile);
    scenario.traffic = options.traffic.clone();
    let report = harness::run(plan, &scenario)?;
    let start = report.apply_started_ms;
    let secs = |ms: u64| ms as f64 / 1000.0;
    let timeline = report
        .timeline
        .iter()
        .filter(|s: &&StepSpan| !s.step.starts_with("undo "))
        .map(|s| TimelineStep {
            step: s.step.clone(),
            start_secs: secs(s.started_ms.saturating_sub(start)),
            duration_secs: secs(
                s.finished_ms
                    .unwrap_or(report.apply_finished_ms)
                    .saturating_sub(s.started_ms),
            ),
            attempts: s.attempts,
            outcome: s.outcome.clone(),
        })
        .collect();
    let makespan_secs = secs(report.makespan_ms());
    let critical_path_secs = secs(report.critical_path.total_ms);
    Ok(Rehearsal {
        plan_id: report.plan_id.clone(),
        seed: options.seed,
        faults: options.faults.clone(),
        failure: report.apply.clone().err(),
        timeline,
        makespan_secs,
        critical_path: report.critical_path.waits.clone(),
        critical_path_secs,
        ratio: if critical_path_secs > 0.0 {
            makespan_secs / critical_path_secs
        } else {
            0.0
        },
        requests_old: report.traffic.old,
        requests_new: report.traffic.new,
        requests_failed: report.traffic.failed(),
        first_failures: report.traffic.first_failures.clone(),
        api_calls: report.api_calls.clone(),
        api_calls_total: report.api_calls_total,
        faults_injected: report.faults_injected,
        replay: format!(
            "migrate rehearse PLAYBOOK --seed {} --faults {}",
            options.seed, options.faults
        ),
    })
}

fn clock(secs: f64) -> String {
    let s = secs.round() as u64;
    format!("{:>2}:{:02}", s / 60, s % 60)
}

impl Rehearsal {
    /// The report a terminal shows.
    pub fn render_human(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Rehearsal of plan {} (seed {}, faults {})",
            self.plan_id, self.seed, self.faults
        );
        let _ = writeln!(out);
        let _ = writeln!(out, "Timeline (mm:ss from the start of the apply)");
        let width = self
            .timeline
            .iter()
            .map(|s| s.step.len())
            .max()
            .unwrap_or(4);
        for s in &self.timeline {
            let retries = if s.attempts > 1 {
                format!(" ({} attempts)", s.attempts)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "  {}  {:<width$}  {:>7.1}s  {}{}",
                clock(s.start_secs),
                s.step,
                s.duration_secs,
                s.outcome,
                retries
            );
        }
        let _ = writeln!(out);
        match &self.failure {
            None => {
                let _ = writeln!(out, "Result: completed");
            }
            Some(why) => {
                let _ = writeln!(out, "Result: FAILED: {}", why.lines().next().unwrap_or(why));
            }
        }
        let _ = writeln!(
            out,
            "Total migration time:       {} ({:.0}s)",
            clock(self.makespan_secs),
            self.makespan_secs
        );
        let _ = writeln!(
            out,
            "Critical-path lower bound:  {} ({:.0}s)",
            clock(self.critical_path_secs),
            self.critical_path_secs
        );
        for w in &self.critical_path {
            let _ = writeln!(out, "  {:>6.1}s  {}", w.ms as f64 / 1000.0, w.what);
        }
        if self.failure.is_none() {
            let _ = writeln!(out, "Ratio:                      {:.2}", self.ratio);
        } else {
            let _ = writeln!(
                out,
                "Ratio:                      n/a (the run did not complete)"
            );
        }
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Requests: old path {} served / {} failed, new path {} served / {} failed",
            self.requests_old.served,
            self.requests_old.failed,
            self.requests_new.served,
            self.requests_new.failed
        );
        if self.requests_failed > 0 {
            let _ = writeln!(
                out,
                "FAILED REQUESTS: {} (first ones below)",
                self.requests_failed
            );
            for f in self.first_failures.iter().take(5) {
                let _ = writeln!(
                    out,
                    "  at {}  {:?} via {}: {}",
                    clock(f.at_ms as f64 / 1000.0),
                    f.path,
                    f.load_balancer,
                    f.reason
                );
            }
        }
        let _ = writeln!(out);
        let calls: Vec<String> = self
            .api_calls
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let _ = writeln!(
            out,
            "API calls: {} ({})",
            self.api_calls_total,
            calls.join(", ")
        );
        if self.faults_injected > 0 {
            let _ = writeln!(out, "Faults injected: {}", self.faults_injected);
        }
        let _ = writeln!(out, "Replay: {}", self.replay);
        out
    }
}
