//! `migrate rehearse` on the seed-001 playbook.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use migrate_playbook::Playbook;
use migrate_sim::{rehearse, RehearseOptions};

fn demo() -> migrate_plan::Plan {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    migrate_plan::build(&Playbook::from_path(&path).unwrap_or_else(|e| panic!("{e}")))
}

#[test]
fn rehearsal_reports_the_figures() {
    let r = rehearse(
        &demo(),
        &RehearseOptions {
            faults: "none".into(),
            ..RehearseOptions::default()
        },
    )
    .unwrap();
    let text = r.render_human();
    println!("{text}");
    assert!(r.failure.is_none(), "{text}");
    assert_eq!(r.requests_failed, 0);
    assert!(
        r.critical_path_secs > 0.0 && r.makespan_secs >= r.critical_path_secs,
        "{text}"
    );
    assert!(r.timeline.iter().any(|s| s.step == "cutover-dns"));
    assert!(text.contains("Critical-path lower bound") && text.contains("API calls"));
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["api_calls"]["ecs"].as_u64().unwrap() > 0);
}

#[test]
fn unknown_profile_is_a_clear_error() {
    let e = rehearse(
        &demo(),
        &RehearseOptions {
            faults: "wild".into(),
            ..RehearseOptions::default()
        },
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("known: none, quiet, default, chaos, unhealthy"),
        "{e}"
    );
}
