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

#[test]
fn the_log_groups_are_created_after_the_cluster_and_before_every_task_definition() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    let playbook = migrate_playbook::Playbook::from_path(&path).unwrap();
    let plan = migrate_plan::build(&playbook);
    let position = |id: &str| plan.steps.iter().position(|s| s.id == id).unwrap();
    let step = plan.step("create-log-groups").unwrap();
    let migrate_plan::Action::CreateLogGroups {
        groups,
        retention_days,
    } = &step.action
    else {
        panic!("{:?}", step.action);
    };
    assert_eq!(*retention_days, 30);
    let mut expected: Vec<String> = Vec::new();
    for group in playbook.target.services.iter().flat_map(|s| &s.log_groups) {
        if !expected.contains(group) {
            expected.push(group.clone());
        }
    }
    assert!(!expected.is_empty());
    assert_eq!(groups, &expected);
    assert_eq!(step.depends_on, vec!["create-cluster".to_string()]);
    assert!(position("create-cluster") < position("create-log-groups"));
    for service in &playbook.target.services {
        let id = format!("register-task-definition:{}", service.name);
        assert!(position("create-log-groups") < position(&id), "{id}");
        assert!(
            plan.step(&id)
                .unwrap()
                .depends_on
                .contains(&"create-log-groups".to_string()),
            "{id}"
        );
    }

    let mut longer = playbook.clone();
    longer.logs.retention_days = 90;
    let longer = migrate_plan::build(&longer);
    assert!(matches!(
        longer.step("create-log-groups").unwrap().action,
        migrate_plan::Action::CreateLogGroups {
            retention_days: 90,
            ..
        }
    ));
    assert_ne!(longer.id, plan.id);
}

#[test]
fn the_cleanup_soak_changes_no_plan_id() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    let playbook = migrate_playbook::Playbook::from_path(&path).unwrap();
    let mut shorter = playbook.clone();
    shorter.cleanup.soak = std::time::Duration::from_secs(3600);
    // Clean-up's soak changes nothing `apply` does; the plan keeps it for `migrate cleanup`.
    let (first, second) = (
        migrate_plan::build(&playbook),
        migrate_plan::build(&shorter),
    );
    assert_eq!(first.id, second.id);
    assert_eq!(
        second.playbook.cleanup.soak,
        std::time::Duration::from_secs(3600)
    );
}
