//! The timeline: the plan rehearsed in the simulator over several seeds, summarised.
//!
//! The binary runs the rehearsals and hands them over as plain data ([`Timeline`]), so that this
//! crate does not depend on the simulator (or, through it, on the engine).

use serde::{Deserialize, Serialize};

/// Rehearsals of one plan, one per seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// The fault profile the rehearsals ran with.
    pub faults: String,
    pub runs: Vec<TimelineRun>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineRun {
    pub seed: u64,
    /// `None` when the rehearsed apply completed.
    pub failure: Option<String>,
    pub total_secs: f64,
    /// Client requests that failed during the rehearsal (the product's promise is zero).
    pub requests_failed: u64,
    pub steps: Vec<StepSpan>,
    /// The waits AWS imposes along the longest chain: the lower bound of any run.
    pub critical_path: Vec<PathSegment>,
    pub critical_path_secs: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepSpan {
    pub step: String,
    pub start_secs: f64,
    pub duration_secs: f64,
    pub attempts: u32,
    /// `done`, `skipped`, `failed`, as the rehearsal reported it.
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathSegment {
    pub what: String,
    pub secs: f64,
}

/// The report's timeline section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum TimelineSection {
    NotRehearsed { reason: String },
    Rehearsed(TimelineSummary),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineSummary {
    pub faults: String,
    pub seeds: Vec<u64>,
    /// Runs whose rehearsed apply did not complete, with the reason.
    pub failed_runs: Vec<FailedRun>,
    pub median_secs: f64,
    pub p90_secs: f64,
    /// The most requests any rehearsal saw fail, and with which seed (`None`: none failed).
    pub worst_requests_failed: Option<(u64, u64)>,
    /// The seed of the run drawn in the Gantt picture: the completed run closest to the median.
    pub shown_seed: u64,
    pub critical_path: Vec<PathSegment>,
    pub critical_path_secs: f64,
    /// The steps of the shown run, with how the plan marks each (for the picture's colours).
    pub steps: Vec<ShownStep>,
    /// How long the old and the new side both run in the shown run: from the first new service
    /// to the end of the last scale-down (or of the run), in seconds.
    pub overlap_secs: f64,
    /// The Gantt SVG's file name, relative to the report, once the binary has written it.
    pub gantt_file: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedRun {
    pub seed: u64,
    pub reason: String,
}

/// How a step reads in the picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    Create,
    Modify,
    Wait,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShownStep {
    pub step: String,
    pub kind: StepKind,
    pub start_secs: f64,
    pub duration_secs: f64,
    pub attempts: u32,
    pub outcome: String,
}

/// The value below which `fraction` of the sorted values fall (nearest rank, so that the answer
/// is always one of the observed totals and never an interpolation nobody measured).
pub(crate) fn percentile(sorted: &[f64], fraction: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (fraction * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// Summarises the runs; `kind_of` says how the plan marks a step.
pub(crate) fn summarise(
    timeline: &Timeline,
    kind_of: impl Fn(&str) -> StepKind,
) -> TimelineSection {
    let completed: Vec<&TimelineRun> = timeline
        .runs
        .iter()
        .filter(|r| r.failure.is_none())
        .collect();
    let failed_runs: Vec<FailedRun> = timeline
        .runs
        .iter()
        .filter_map(|r| {
            r.failure.as_ref().map(|why| FailedRun {
                seed: r.seed,
                reason: why.lines().next().unwrap_or(why).to_string(),
            })
        })
        .collect();
    let mut totals: Vec<f64> = completed.iter().map(|r| r.total_secs).collect();
    totals.sort_by(f64::total_cmp);
    let (Some(median), Some(p90)) = (percentile(&totals, 0.5), percentile(&totals, 0.9)) else {
        return TimelineSection::NotRehearsed {
            reason: if timeline.runs.is_empty() {
                "no rehearsal was run".into()
            } else {
                format!(
                    "no rehearsal completed ({} of {} failed; first: {})",
                    failed_runs.len(),
                    timeline.runs.len(),
                    failed_runs.first().map_or("", |f| f.reason.as_str())
                )
            },
        };
    };
    // The median is one of the totals, so some completed run has it exactly.
    let Some(shown) = completed
        .iter()
        .find(|r| r.total_secs.total_cmp(&median).is_eq())
    else {
        return TimelineSection::NotRehearsed {
            reason: "no completed run has the median total".into(),
        };
    };
    let steps: Vec<ShownStep> = shown
        .steps
        .iter()
        .map(|s| ShownStep {
            step: s.step.clone(),
            kind: kind_of(&s.step),
            start_secs: s.start_secs,
            duration_secs: s.duration_secs,
            attempts: s.attempts,
            outcome: s.outcome.clone(),
        })
        .collect();
    let worst_requests_failed = timeline
        .runs
        .iter()
        .filter(|r| r.requests_failed > 0)
        .max_by_key(|r| r.requests_failed)
        .map(|r| (r.seed, r.requests_failed));
    TimelineSection::Rehearsed(TimelineSummary {
        faults: timeline.faults.clone(),
        seeds: timeline.runs.iter().map(|r| r.seed).collect(),
        failed_runs,
        median_secs: median,
        p90_secs: p90,
        worst_requests_failed,
        shown_seed: shown.seed,
        critical_path: shown.critical_path.clone(),
        critical_path_secs: shown.critical_path_secs,
        overlap_secs: overlap_secs(&steps, shown.total_secs),
        steps,
        gantt_file: None,
    })
}

/// Both sides run from the first new service's start to the end of the last scale-down; without
/// a scale-down step the old side keeps running to the end of the run (and beyond, until the
/// clean-up, which the cost section reports separately).
fn overlap_secs(steps: &[ShownStep], total_secs: f64) -> f64 {
    let Some(start) = steps
        .iter()
        .filter(|s| s.step.starts_with("create-service:"))
        .map(|s| s.start_secs)
        .min_by(f64::total_cmp)
    else {
        return 0.0;
    };
    let end = steps
        .iter()
        .filter(|s| s.step.starts_with("scale-down-"))
        .map(|s| s.start_secs + s.duration_secs)
        .max_by(f64::total_cmp)
        .unwrap_or(total_secs);
    (end - start).max(0.0)
}

/// `mm:ss`, or `h:mm:ss` from an hour up.
pub fn clock(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_observed_values_by_nearest_rank() {
        let sorted = [10.0, 20.0, 30.0, 40.0, 50.0];
        assert_eq!(percentile(&sorted, 0.5), Some(30.0));
        assert_eq!(percentile(&sorted, 0.9), Some(50.0));
        assert_eq!(percentile(&[7.0], 0.9), Some(7.0));
        assert_eq!(percentile(&[], 0.5), None);
    }

    fn run(seed: u64, total: f64, failure: Option<&str>) -> TimelineRun {
        TimelineRun {
            seed,
            failure: failure.map(str::to_string),
            total_secs: total,
            requests_failed: seed,
            steps: vec![
                StepSpan {
                    step: "create-service:web".into(),
                    start_secs: 100.0,
                    duration_secs: 50.0,
                    attempts: 1,
                    outcome: "done".into(),
                },
                StepSpan {
                    step: "scale-down-old-auto-scaling-group".into(),
                    start_secs: total - 40.0,
                    duration_secs: 30.0,
                    attempts: 1,
                    outcome: "done".into(),
                },
            ],
            critical_path: vec![],
            critical_path_secs: 0.0,
        }
    }

    #[test]
    fn the_summary_shows_the_median_run_and_leaves_failed_runs_out_of_the_totals() {
        let timeline = Timeline {
            faults: "default".into(),
            runs: vec![
                run(1, 900.0, None),
                run(2, 5.0, Some("throttled\nmore")),
                run(3, 1000.0, None),
                run(4, 800.0, None),
            ],
        };
        let TimelineSection::Rehearsed(summary) = summarise(&timeline, |_| StepKind::Create) else {
            panic!("expected a summary");
        };
        assert_eq!(summary.median_secs, 900.0);
        assert_eq!(summary.p90_secs, 1000.0);
        assert_eq!(summary.shown_seed, 1);
        // Seed 4 lost the most requests (the fixture loses `seed` of them), failed runs included.
        assert_eq!(summary.worst_requests_failed, Some((4, 4)));
        assert_eq!(
            summary.failed_runs,
            vec![FailedRun {
                seed: 2,
                reason: "throttled".into()
            }]
        );
        // From the new service's start (100 s) to the end of the scale-down (900 - 10 s).
        assert_eq!(summary.overlap_secs, 790.0);
    }

    #[test]
    fn no_completed_run_means_no_timeline_and_says_why() {
        let timeline = Timeline {
            faults: "chaos".into(),
            runs: vec![run(1, 5.0, Some("step create-cluster failed"))],
        };
        match summarise(&timeline, |_| StepKind::Wait) {
            TimelineSection::NotRehearsed { reason } => {
                assert!(reason.contains("create-cluster"), "{reason}")
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn clock_switches_to_hours() {
        assert_eq!(clock(59.6), "1:00");
        assert_eq!(clock(3725.0), "1:02:05");
    }
}
