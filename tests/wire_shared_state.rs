//! A shared state in S3, with the real binary against moto (its S3 and the seed-001 account):
//! `migrate plan --state s3://…` writes the state to the bucket; while one `migrate apply` runs,
//! a second one, started by the migration's name from the same directory, is refused and told
//! the first run's lock id and pid, and writes nothing; the first run is then killed, and
//! `migrate status` names its lock and says its process is gone; `migrate unlock` removes the
//! lock only with its exact id. The bucket is read back with a plain S3 client.
//!
//! The first apply cannot finish here (no test acts as ECS, so the health gate waits); it only
//! has to hold the lock while the second is refused, and it is killed afterwards.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../crates/migrate-aws/tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use aws_types::SdkConfig;
use common::{seed, text};
use migrate_journal::{LockInfo, Phase, State};
use tokio::process::Command;

const BUCKET: &str = "team-migrate-state";
const STATE: &str = "s3://team-migrate-state/migrations/shop";

struct Migrate {
    dir: PathBuf,
    endpoint: String,
}

impl Migrate {
    fn command(&self, args: &[&str]) -> Command {
        let mut command =
            common::migrate_command(env!("CARGO_BIN_EXE_migrate"), &self.dir, &self.endpoint);
        command.arg("--no-progress").args(args);
        command
    }

    async fn output(&self, args: &[&str]) -> Output {
        common::finished(self.command(args), args, Duration::from_secs(60)).await
    }
}

fn s3(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build(),
    )
}

async fn object(sdk: &SdkConfig, key: &str) -> Option<Vec<u8>> {
    match s3(sdk).get_object().bucket(BUCKET).key(key).send().await {
        Ok(out) => Some(out.body.collect().await.unwrap().into_bytes().to_vec()),
        Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => None,
        Err(e) => panic!("cannot read {key}: {e:?}"),
    }
}

async fn stored_lock(sdk: &SdkConfig) -> Option<LockInfo> {
    object(sdk, "migrations/shop/state.lock")
        .await
        .map(|bytes| serde_json::from_slice(&bytes).unwrap())
}

async fn stored_state(sdk: &SdkConfig) -> Option<State> {
    object(sdk, "migrations/shop/state.json")
        .await
        .map(|bytes| serde_json::from_slice(&bytes).unwrap())
}

fn run_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("first-apply.log")).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_apply_on_a_shared_state_is_refused_and_only_the_exact_id_unlocks_a_dead_run() {
    let seeded = seed::seed_001_with_two_tasks(&[]);
    let sdk = common::sdk_config(&seeded.moto.url()).await;
    s3(&sdk)
        .create_bucket()
        .bucket(BUCKET)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                    common::REGION,
                ))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let migrate = Migrate {
        dir: seeded.dir.path().to_path_buf(),
        endpoint: seeded.moto.url(),
    };
    let playbook = seeded.playbook.to_string_lossy().into_owned();

    // A bucket that does not exist: a clear refusal, and nothing written anywhere.
    let out = migrate
        .output(&[
            "plan",
            &playbook,
            "--state",
            "s3://no-such-bucket-here/shop",
        ])
        .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("the bucket no-such-bucket-here does not exist"),
        "{}",
        text(&out.stderr)
    );
    assert!(!migrate.dir.join(".migrate").exists());

    let out = migrate.output(&["plan", &playbook, "--state", STATE]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("s3://team-migrate-state/migrations/shop/state.json"),
        "{}",
        text(&out.stdout)
    );
    let planned = stored_state(&sdk)
        .await
        .expect("the state is in the bucket");
    assert_eq!(planned.phase, Phase::Planned);
    assert!(
        !migrate.dir.join(".migrate/shop/state.json").exists(),
        "no local state is written"
    );

    // The first run, by its state location.
    let log = std::fs::File::create(migrate.dir.join("first-apply.log")).unwrap();
    let mut first = migrate
        .command(&["apply", "--state", STATE])
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    let first_pid = first.id().unwrap();
    let started = Instant::now();
    let held = loop {
        if let Some(lock) = stored_lock(&sdk).await {
            break lock;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the first apply never took the lock:\n{}",
            run_log(&migrate.dir)
        );
        assert!(
            first.try_wait().unwrap().is_none(),
            "the first apply ended early:\n{}",
            run_log(&migrate.dir)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(held.pid, first_pid);
    assert_eq!(held.operation, "apply");

    // The second run, by the migration's name: `plan` noted the shared location for it.
    let out = migrate.output(&["apply", "shop"]).await;
    let refusal = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{refusal}");
    assert!(
        refusal.contains(&format!("lock id {}", held.id)),
        "{refusal}"
    );
    assert!(refusal.contains(&format!("pid {first_pid}")), "{refusal}");
    assert!(
        refusal.contains("s3://team-migrate-state/migrations/shop/state.lock"),
        "{refusal}"
    );
    assert_eq!(
        stored_lock(&sdk).await,
        Some(held.clone()),
        "the lock is the first run's"
    );

    // The first run dies without releasing its lock, once it has written progress: before its
    // first step it reads the account to check the plan against it, which takes a moment.
    let started = Instant::now();
    while stored_state(&sdk)
        .await
        .is_none_or(|s| s.serial <= planned.serial || s.phase != Phase::Applying)
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the first apply never wrote its progress:\n{}",
            run_log(&migrate.dir)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.start_kill().unwrap();
    first.wait().await.unwrap();
    assert_eq!(stored_lock(&sdk).await, Some(held.clone()));
    let written = stored_state(&sdk).await.unwrap();
    assert!(
        written.serial > planned.serial && written.phase == Phase::Applying,
        "the first run wrote its progress to the bucket (serial {}, {:?}):\n{}",
        written.serial,
        written.phase,
        run_log(&migrate.dir)
    );

    let out = migrate.output(&["status", "--state", STATE]).await;
    let status = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(status.contains(&format!("lock id {}", held.id)), "{status}");
    assert!(
        status.contains("no such process runs on this host"),
        "{status}"
    );
    let out = migrate.output(&["status", "shop", "--json"]).await;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["lock"]["id"], held.id.as_str());
    assert_eq!(json["lock_holder_alive"], false);

    let out = migrate
        .output(&["unlock", "not-the-id", "--state", STATE])
        .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("nothing was unlocked"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(stored_lock(&sdk).await, Some(held.clone()));

    let out = migrate
        .output(&["unlock", &held.id, "--state", STATE])
        .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(stored_lock(&sdk).await, None);
    let out = migrate.output(&["status", "shop"]).await;
    assert!(
        text(&out.stdout).contains("Not locked."),
        "{}",
        text(&out.stdout)
    );
}
