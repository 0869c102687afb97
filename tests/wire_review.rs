//! The plan reads the account, and `apply` refuses a plan the account no longer matches, against
//! a moto server seeded with seed 001: `migrate plan` stores the snapshot; the old Auto Scaling
//! group's capacity is then changed behind the plan's back; `migrate apply` refuses, naming that
//! difference, and changes nothing; `migrate apply --refresh` stores the account as it is now and
//! goes on into the steps (the test stops it at the first step that creates something: the
//! rest of the migration is `wire_crash`'s business).

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../crates/migrate-aws/tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use common::{seed, text};
use migrate_journal::{Phase, State, StepStatus};
use tokio::io::{AsyncBufReadExt, BufReader};

const OLD_ASG: &str = "shop-ecs-instances";

async fn output(dir: &Path, endpoint: &str, args: &[&str]) -> Output {
    common::run_migrate(env!("CARGO_BIN_EXE_migrate"), dir, endpoint, args).await
}

async fn state(dir: &Path, endpoint: &str) -> State {
    let out = output(dir, endpoint, &["status", "--json"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    serde_json::from_value(json["state"].take()).unwrap()
}

fn old_desired(state: &State) -> u32 {
    state
        .plan
        .snapshot
        .as_ref()
        .and_then(|s| s.auto_scaling_group.as_ref())
        .expect("the plan stores the old ASG")
        .desired
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_refuses_a_plan_the_account_no_longer_matches_and_refresh_goes_on() {
    let seed::Seeded {
        moto,
        dir,
        playbook,
        ..
    } = seed::seed_001_with_two_tasks(&[]);
    let endpoint = moto.url();
    let dir = dir.path();
    let sdk = common::sdk_config(&endpoint).await;

    let planned = output(dir, &endpoint, &["plan", playbook.to_str().unwrap()]).await;
    assert!(planned.status.success(), "{}", text(&planned.stderr));
    assert!(
        text(&planned.stdout).contains("Read from the account at"),
        "{}",
        text(&planned.stdout)
    );
    let reviewed = state(dir, &endpoint).await;
    let snapshot = reviewed.plan.snapshot.clone().unwrap();
    assert_eq!(old_desired(&reviewed), 2);
    // moto answers what seed_demo.py created: the old services with their task definitions'
    // sizes, the ALB's listener, the alias record and the data stores' rules.
    assert_eq!(snapshot.old_services.len(), 2, "{snapshot:?}");
    // seed_demo.py's EC2 containers reserve memory only: 256 + 768 MiB for the web task.
    let web = &snapshot.old_services[0];
    assert_eq!((web.task_cpu, web.task_memory_mib), (None, Some(1024)));
    assert_eq!(web.images.len(), 2);
    assert!(snapshot
        .instances
        .iter()
        .any(|g| g.instance_type == "m5.large"
            && g.vcpus == Some(2)
            && g.memory_mib == Some(8192)));
    assert!(!snapshot
        .load_balancer
        .as_ref()
        .unwrap()
        .listeners
        .is_empty());
    assert!(!snapshot.records.is_empty());
    assert_eq!(snapshot.data_store_rules.len(), 2);

    // Someone scales the old side out after the review.
    aws_sdk_autoscaling::Client::new(&sdk)
        .update_auto_scaling_group()
        .auto_scaling_group_name(OLD_ASG)
        .desired_capacity(3)
        .send()
        .await
        .unwrap();

    let refused = output(dir, &endpoint, &["apply", "shop"]).await;
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused.stderr));
    let refusal = text(&refused.stderr);
    assert!(
        refusal.contains(&format!("old ASG {OLD_ASG}: desired 2 → 3")),
        "{refusal}"
    );
    assert!(refusal.contains("migrate apply --refresh"), "{refusal}");
    // Nothing ran, nothing was created, the plan is the reviewed one, and the lock is gone.
    let after = state(dir, &endpoint).await;
    assert_eq!(after.phase, Phase::Planned);
    assert!(after.steps.iter().all(|r| r.status == StepStatus::Pending));
    assert_eq!(after.plan, reviewed.plan);
    let clusters = aws_sdk_ecs::Client::new(&sdk)
        .describe_clusters()
        .clusters(&reviewed.plan.names.cluster)
        .send()
        .await
        .unwrap();
    assert!(
        clusters
            .clusters()
            .iter()
            .all(|c| c.status() != Some("ACTIVE")),
        "the refused apply created the cluster"
    );

    // `--refresh` stores the account as it is and goes on: stopped at the first step that
    // creates something, after the plan's snapshot was replaced and discovery ran.
    let (reached, seen) =
        run_to_first_creation(dir, &endpoint, &["apply", "shop", "--refresh"]).await;
    assert!(
        reached,
        "`apply --refresh` did not reach create-cluster:\n{seen}"
    );
    assert!(
        seen.contains(&format!("old ASG {OLD_ASG}: desired 2 → 3")),
        "{seen}"
    );
    let refreshed = state(dir, &endpoint).await;
    assert_eq!(old_desired(&refreshed), 3);
    // The steps before the first creation (the preflight, then discovery) ran.
    let ids: Vec<&str> = refreshed.steps[..2].iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["preflight", "discover-source"]);
    assert!(refreshed.steps[..2]
        .iter()
        .all(|s| s.status == StepStatus::Done));

    // A plan made --offline (in a state directory of its own) is applied as before, with a
    // warning that it was not checked against the account.
    let offline = output(
        dir,
        &endpoint,
        &[
            "plan",
            playbook.to_str().unwrap(),
            "--offline",
            "--state-dir",
            "offline",
        ],
    )
    .await;
    assert!(offline.status.success(), "{}", text(&offline.stderr));
    assert!(text(&offline.stdout).contains("The account was not read (--offline)"));
    let (reached, seen) =
        run_to_first_creation(dir, &endpoint, &["apply", "--state-dir", "offline"]).await;
    assert!(
        reached,
        "the offline plan's apply did not reach create-cluster:\n{seen}"
    );
    assert!(
        seen.contains("was made with --offline: it was not checked against the account"),
        "{seen}"
    );
}

/// Runs the binary until its plain progress shows `create-cluster` starting, then kills it;
/// answers whether it got there and what it wrote on stderr.
async fn run_to_first_creation(dir: &Path, endpoint: &str, args: &[&str]) -> (bool, String) {
    let mut command = common::migrate_command(env!("CARGO_BIN_EXE_migrate"), dir, endpoint);
    let mut child = command
        .arg("--no-progress")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let reached = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            seen.push(line.clone());
            if line.contains("] create-cluster: ") {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    child.start_kill().unwrap();
    let _ = child.wait().await;
    (reached, seen.join("\n"))
}
