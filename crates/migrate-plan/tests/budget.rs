//! The connection budget's stages and sequence, as `check-connection-budget` and the review
//! compute them from the old side's running units.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use migrate_plan::budget::{self, Stage};
use migrate_playbook::{OverBudget, Playbook};

/// The demo playbook (old ECS services shop-web and shop-worker; new web × 2 and worker × 1)
/// with pools of 20 and the sessions store accepting `max`.
fn demo(max: u32) -> Playbook {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    let mut playbook = Playbook::from_path(&path).unwrap();
    for service in &mut playbook.target.services {
        service.connections_per_task = Some(20);
    }
    playbook.network.data_stores[0].max_connections = Some(max);
    playbook
}

fn connections(stages: &[Stage]) -> Vec<(u32, u32, u32)> {
    stages
        .iter()
        .map(|s| (s.old_units, s.new_tasks, s.connections))
        .collect()
}

#[test]
fn within_the_limit_the_stages_are_the_plain_overlap() {
    let budget = budget::plan(&demo(140), &[2, 2]).unwrap().unwrap();
    assert_eq!(budget.sequence, None);
    assert_eq!(
        connections(&budget.stages),
        vec![(4, 0, 80), (4, 3, 140), (0, 3, 60)]
    );
    assert_eq!(budget.peak(), 140);
}

#[test]
fn one_pool_over_shrinks_the_old_side_only() {
    let budget = budget::plan(&demo(120), &[2, 2]).unwrap().unwrap();
    let sequence = budget.sequence.clone().unwrap();
    assert_eq!(sequence.old_units(), 3);
    assert!(sequence.new_counts.is_empty(), "{sequence:?}");
    assert_eq!(
        connections(&budget.stages),
        vec![(4, 0, 80), (3, 0, 60), (3, 3, 120), (0, 3, 60), (0, 3, 60)]
    );
}

#[test]
fn a_tighter_limit_starts_the_new_side_smaller_and_grows_it_after() {
    let budget = budget::plan(&demo(100), &[2, 2]).unwrap().unwrap();
    let sequence = budget.sequence.clone().unwrap();
    assert_eq!(sequence.new_counts.get("web"), Some(&1));
    assert_eq!(sequence.start_count("worker", 1), 1);
    assert_eq!(sequence.old_units(), 3);
    assert!(
        budget.stages.iter().all(|s| s.connections <= 100),
        "{budget:?}"
    );
    assert_eq!(budget.stages.last().unwrap().new_tasks, 3);
}

#[test]
fn the_floor_and_the_refusals_say_what_and_why() {
    // At 100 both sides must go to half (the sequence above); a floor of 75 % refuses it.
    let mut higher_floor = demo(100);
    higher_floor.connection_budget.min_capacity_percent = 75;
    let floor = budget::plan(&higher_floor, &[2, 2]).unwrap_err();
    assert!(
        floor.contains("140 connections") && floor.contains("75%"),
        "{floor}"
    );
    // Old pools of 15: every stage but the overlap fits 65, and even at half the overlap
    // needs 40 + 2 × 15.
    let mut small = demo(65);
    small.source.connections_per_instance = Some(15);
    let at_half = budget::plan(&small, &[2, 2]).unwrap_err();
    assert!(at_half.contains("50%"), "{at_half}");

    let mut refuse = demo(120);
    refuse.connection_budget.over_budget = OverBudget::Refuse;
    let refused = budget::plan(&refuse, &[2, 2]).unwrap_err();
    assert!(
        refused.contains("`refuse`") && refused.contains("max_connections 120"),
        "{refused}"
    );
    assert!(!budget::sequenced(&refuse));

    // The new side alone is over: no sequence helps.
    let mut small_old = demo(50);
    small_old.source.connections_per_instance = Some(10);
    let alone = budget::plan(&small_old, &[2, 2]).unwrap_err();
    assert!(alone.contains("no order of the steps helps"), "{alone}");
}

#[test]
fn no_limit_no_budget() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    let plain = Playbook::from_path(&path).unwrap();
    assert_eq!(budget::plan(&plain, &[2, 2]), Ok(None));
    assert!(!budget::declared(&plain));
}
