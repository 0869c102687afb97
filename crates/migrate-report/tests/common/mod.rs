//! The demo plan, and a fixed timeline for it: the report's own tests must not move when the
//! simulator's timings change, so the rehearsal is a fixture here (the binary's tests run the
//! real one).

#![allow(dead_code)]

use std::path::Path;

use migrate_report::{PathSegment, StepSpan, Timeline, TimelineRun};

pub fn demo_plan() -> migrate_plan::Plan {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    let playbook = migrate_playbook::Playbook::from_path(&path).unwrap();
    migrate_plan::build(&playbook)
}

/// One run per seed: every step of the plan back to back, each `step_secs` long (the drain
/// three times as long), so that seeds differ only in their pace.
pub fn fixed_timeline(plan: &migrate_plan::Plan) -> Timeline {
    let run = |seed: u64, step_secs: f64, failure: Option<&str>| {
        let mut at = 0.0;
        let steps = plan
            .steps
            .iter()
            .map(|s| {
                let duration = if s.id == "drain" {
                    3.0 * step_secs
                } else {
                    step_secs
                };
                let span = StepSpan {
                    step: s.id.clone(),
                    start_secs: at,
                    duration_secs: duration,
                    attempts: if s.id == "create-load-balancer" { 2 } else { 1 },
                    outcome: if s.id == "lower-ttl" {
                        "skipped"
                    } else {
                        "done"
                    }
                    .into(),
                };
                at += duration;
                span
            })
            .collect();
        TimelineRun {
            seed,
            failure: failure.map(str::to_string),
            total_secs: at,
            requests_failed: 0,
            steps,
            critical_path: vec![
                PathSegment {
                    what: "new service shop-web: tasks started and healthy".into(),
                    secs: 99.0,
                },
                PathSegment {
                    what: "Route53 change PENDING → INSYNC".into(),
                    secs: 54.0,
                },
            ],
            critical_path_secs: 153.0,
        }
    };
    Timeline {
        faults: "default".into(),
        runs: vec![
            run(1, 20.0, None),
            run(2, 22.0, None),
            run(3, 5.0, Some("step create-cluster failed: throttled")),
            run(4, 25.0, None),
            run(5, 30.0, None),
        ],
    }
}
