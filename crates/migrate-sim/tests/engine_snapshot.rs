//! The account snapshot on the simulated account: what `migrate plan` stores, and the
//! difference `migrate apply` refuses on after someone changed the old side.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod engine_support;

use std::sync::Arc;

use engine_support::{demo_playbook, setup};
use migrate_engine::ports::Capacity;
use migrate_engine::snapshot::{changes_since_review, read_account};
use migrate_engine::{NullReporter, Reporter};

#[tokio::test(start_paused = true)]
async fn the_snapshot_reads_the_old_side_and_names_a_changed_capacity() {
    let (sim, _store, plan) = setup(&demo_playbook());
    let cloud = sim.cloud();
    let reporter: Arc<dyn Reporter> = Arc::new(NullReporter);
    let before = sim.mutating_calls_so_far();
    let snapshot = read_account(&cloud, &plan, &reporter).await.unwrap();
    assert_eq!(
        sim.mutating_calls_so_far(),
        before,
        "the read changes nothing"
    );

    let group = snapshot.auto_scaling_group.clone().unwrap();
    assert_eq!(group.in_service, group.desired);
    // Every instance has the launch template's type, sized by DescribeInstanceTypes.
    assert_eq!(snapshot.instances.len(), 1);
    let instances = &snapshot.instances[0];
    assert_eq!(instances.count, group.in_service);
    assert_eq!(
        (instances.vcpus, instances.memory_mib),
        (Some(2), Some(8192))
    );
    assert_eq!(snapshot.old_services.len(), 2);
    assert!(snapshot
        .old_services
        .iter()
        .all(|s| s.task_definition.is_some()));
    assert_eq!(
        snapshot.data_store_rules.len(),
        plan.playbook.network.data_stores.len()
    );
    assert!(snapshot
        .data_store_rules
        .iter()
        .all(|r| !r.admits.is_empty()));
    assert!(!snapshot.records.is_empty());

    // The same account read again: no difference.
    let (_, none) = changes_since_review(&cloud, &plan, &snapshot, &reporter)
        .await
        .unwrap();
    assert_eq!(none, Vec::<String>::new());

    // Someone scales the old side out after the review.
    cloud
        .scaling
        .set_capacity(
            &group.name,
            Capacity {
                min: group.min,
                max: group.max + 2,
                desired: group.desired + 1,
            },
        )
        .await
        .unwrap();
    let (_, differences) = changes_since_review(&cloud, &plan, &snapshot, &reporter)
        .await
        .unwrap();
    assert_eq!(
        differences,
        vec![
            format!(
                "old ASG {}: desired {} → {}",
                group.name,
                group.desired,
                group.desired + 1
            ),
            format!(
                "old ASG {}: max {} → {}",
                group.name,
                group.max,
                group.max + 2
            ),
        ]
    );

    // The plan built from it proposes sizes from the old services.
    let planned = migrate_plan::build_with_account(&plan.playbook, snapshot).unwrap();
    assert_eq!(planned.id, plan.id);
    assert_eq!(planned.sizing().len(), 2);
}
