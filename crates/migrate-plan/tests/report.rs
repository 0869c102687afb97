//! The dry-run report of the demo playbook, as a reviewer reads it.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

#[test]
fn the_demo_plan_reads_as_expected() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    let playbook = migrate_playbook::Playbook::from_path(&path).unwrap();
    let plan = migrate_plan::build(&playbook);
    insta::assert_snapshot!(migrate_plan::render_human(&plan));
}

#[test]
fn the_same_playbook_gives_the_same_plan_and_a_changed_one_another() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    let playbook = migrate_playbook::Playbook::from_path(&path).unwrap();
    let first = migrate_plan::build(&playbook);
    assert_eq!(first, migrate_plan::build(&playbook));
    let mut changed = playbook.clone();
    changed.target.services[0].desired_count += 1;
    let second = migrate_plan::build(&changed);
    assert_ne!(first.id, second.id);
    assert_ne!(first.names.load_balancer, second.names.load_balancer);
    assert!(first.names.load_balancer.len() <= 32 && first.names.target_group.len() <= 32);
    // Step ids are unique, and every dependency names an earlier step.
    let mut seen = std::collections::BTreeSet::new();
    for step in &first.steps {
        for dependency in &step.depends_on {
            assert!(
                seen.contains(dependency),
                "{} depends on {dependency}, which is not before it",
                step.id
            );
        }
        assert!(seen.insert(step.id.clone()), "{} twice", step.id);
    }
}

#[test]
fn where_the_state_is_kept_does_not_change_the_plan_id() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    let playbook = migrate_playbook::Playbook::from_path(&path).unwrap();
    let mut shared = playbook.clone();
    shared.state = Some("s3://team-state/migrations/shop".into());
    let (local, shared) = (migrate_plan::build(&playbook), migrate_plan::build(&shared));
    assert_eq!(local.id, shared.id);
    // The plan still records where its state lives.
    assert_eq!(
        shared.playbook.state.as_deref(),
        Some("s3://team-state/migrations/shop")
    );
}
