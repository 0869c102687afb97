//! The shared state backend over the wire: the real S3 client against moto's S3, which honours
//! `If-None-Match: *` and `If-Match` on PutObject and `If-Match` on DeleteObject as S3 does
//! (checked first with boto3 against moto 5.2.5: a second create, a stale ETag and a stale delete
//! are each answered 412). What a test checks it reads back with a plain S3 client, not through
//! the backend.
//!
//! The backend blocks its caller while its own runtime makes the call, so these tests run on a
//! multi-threaded runtime: the fault proxy must keep serving while the test thread waits.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::sync::{Arc, Barrier};

use aws_types::SdkConfig;
use common::proxy::{self, Fault};
use migrate_aws::state_s3::{S3Backend, S3Location, LOCK_OBJECT, STATE_OBJECT};
use migrate_journal::backend::acquire;
use migrate_journal::{JournalError, LockInfo, State, StateBackend};
use migrate_moto::MotoServer;

const BUCKET: &str = "team-migrate-state";

fn plan() -> migrate_plan::Plan {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    let playbook =
        migrate_playbook::Playbook::from_path(&path).expect("the demo playbook is valid");
    migrate_plan::build(&playbook)
}

/// A plain S3 client for the independent checks, path-style as moto needs.
fn s3(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build(),
    )
}

struct Bucket {
    _moto: MotoServer,
    sdk: SdkConfig,
}

async fn bucket() -> Bucket {
    let moto = MotoServer::start().expect("moto server starts (run `make venv`)");
    let sdk = common::sdk_config(&moto.url()).await;
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
        .expect("the bucket is created");
    Bucket { _moto: moto, sdk }
}

fn backend(sdk: &SdkConfig, prefix: &str) -> Arc<S3Backend> {
    let location = S3Location::parse(&format!("s3://{BUCKET}/{prefix}")).unwrap();
    Arc::new(S3Backend::from_sdk_config(location, sdk).unwrap())
}

/// The object's bytes as stored, or `None`.
async fn object(sdk: &SdkConfig, key: &str) -> Option<Vec<u8>> {
    match s3(sdk).get_object().bucket(BUCKET).key(key).send().await {
        Ok(out) => Some(out.body.collect().await.unwrap().into_bytes().to_vec()),
        Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => None,
        Err(e) => panic!("cannot read {key}: {e:?}"),
    }
}

async fn stored_lock(sdk: &SdkConfig, prefix: &str) -> Option<LockInfo> {
    object(sdk, &format!("{prefix}/{LOCK_OBJECT}"))
        .await
        .map(|bytes| serde_json::from_slice(&bytes).unwrap())
}

async fn stored_serial(sdk: &SdkConfig, prefix: &str) -> Option<u64> {
    object(sdk, &format!("{prefix}/{STATE_OBJECT}"))
        .await
        .map(|bytes| serde_json::from_slice::<State>(&bytes).unwrap().serial)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runs_race_for_the_lock_and_the_loser_is_told_the_winners_id() {
    let b = bucket().await;
    let (first, second) = (backend(&b.sdk, "shop"), backend(&b.sdk, "shop"));
    let start = Arc::new(Barrier::new(2));
    let run = |backend: Arc<S3Backend>, start: Arc<Barrier>| {
        std::thread::spawn(move || {
            start.wait();
            acquire(backend, "apply", chrono::Utc::now())
        })
    };
    let one = run(first, start.clone());
    let two = run(second, start);
    let outcomes = [one.join().unwrap(), two.join().unwrap()];
    let (won, lost): (Vec<_>, Vec<_>) = outcomes.into_iter().partition(Result::is_ok);
    assert_eq!(
        (won.len(), lost.len()),
        (1, 1),
        "exactly one run takes the lock"
    );
    let guard = won.into_iter().next().unwrap().unwrap();
    let error = lost.into_iter().next().unwrap().unwrap_err();
    match &error {
        JournalError::Locked { info, path } => {
            assert_eq!(info.id, guard.info().id);
            assert_eq!(
                path.to_string_lossy(),
                format!("s3://{BUCKET}/shop/state.lock")
            );
        }
        other => panic!("expected Locked, got {other}"),
    }
    let message = error.to_string();
    assert!(message.contains(&guard.info().id), "{message}");
    assert!(message.contains("migrate unlock"), "{message}");
    assert_eq!(
        stored_lock(&b.sdk, "shop").await.map(|l| l.id),
        Some(guard.info().id.clone())
    );

    // The winner's lock goes when its run ends, and then the next run takes it.
    drop(guard);
    assert_eq!(stored_lock(&b.sdk, "shop").await, None);
    let next = acquire(backend(&b.sdk, "shop"), "resume", chrono::Utc::now()).unwrap();
    assert_eq!(
        stored_lock(&b.sdk, "shop").await.map(|l| l.operation),
        Some("resume".to_string())
    );
    drop(next);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_write_over_a_stale_etag_is_refused_and_writes_nothing() {
    let b = bucket().await;
    let planner = backend(&b.sdk, "shop");
    let mut state = State::new(plan(), chrono::Utc::now());
    planner.replace(&mut state).unwrap();
    assert_eq!(stored_serial(&b.sdk, "shop").await, Some(1));

    // Two runs read serial 1; the first writes serial 2.
    let (first, second) = (backend(&b.sdk, "shop"), backend(&b.sdk, "shop"));
    let mut ours = first.load().unwrap();
    let mut theirs = second.load().unwrap();
    first.save(&mut ours).unwrap();
    assert_eq!(stored_serial(&b.sdk, "shop").await, Some(2));

    // The second's serial check passes against what it read, but the object changed since:
    // `If-Match` on the ETag it read refuses the write.
    let before = object(&b.sdk, "shop/state.json").await;
    let error = second.save(&mut theirs).unwrap_err();
    assert!(matches!(error, JournalError::Conflict { .. }), "{error}");
    assert!(
        error.to_string().contains("changed by another run"),
        "{error}"
    );
    assert_eq!(
        theirs.serial, 1,
        "a refused write leaves the caller's state"
    );
    assert_eq!(object(&b.sdk, "shop/state.json").await, before);

    // Having been refused, it reads again; now the serial check refuses its older state.
    let error = second.save(&mut theirs).unwrap_err();
    assert!(
        matches!(
            error,
            JournalError::StaleSerial {
                on_disk: 2,
                ours: 1,
                ..
            }
        ),
        "{error}"
    );
    // A fresh read and write succeeds.
    let mut fresh = second.load().unwrap();
    second.save(&mut fresh).unwrap();
    assert_eq!(stored_serial(&b.sdk, "shop").await, Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_first_writes_cannot_both_succeed() {
    let b = bucket().await;
    let (first, second) = (backend(&b.sdk, "shop"), backend(&b.sdk, "shop"));
    // Both find no state, so both would write with `If-None-Match: *`.
    assert!(matches!(first.load(), Err(JournalError::Missing(_))));
    assert!(matches!(second.load(), Err(JournalError::Missing(_))));
    let mut one = State::new(plan(), chrono::Utc::now());
    let mut two = State::new(plan(), chrono::Utc::now());
    first.replace(&mut one).unwrap();
    let error = second.replace(&mut two).unwrap_err();
    assert!(matches!(error, JournalError::Conflict { .. }), "{error}");
    let stored: State =
        serde_json::from_slice(&object(&b.sdk, "shop/state.json").await.unwrap()).unwrap();
    assert_eq!(stored.lineage, one.lineage);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_of_another_lineage_is_refused_and_kept() {
    let b = bucket().await;
    let mut original = State::new(plan(), chrono::Utc::now());
    backend(&b.sdk, "shop").replace(&mut original).unwrap();
    let before = object(&b.sdk, "shop/state.json").await;

    // Another migration's state, written by a run that has not read this prefix.
    let mut other = State::new(plan(), chrono::Utc::now());
    let error = backend(&b.sdk, "shop").save(&mut other).unwrap_err();
    match &error {
        JournalError::ForeignLineage {
            found, expected, ..
        } => {
            assert_eq!(found, &original.lineage);
            assert_eq!(expected, &other.lineage);
        }
        other => panic!("expected ForeignLineage, got {other}"),
    }
    assert!(error.to_string().contains("another migration"), "{error}");
    assert_eq!(object(&b.sdk, "shop/state.json").await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_write_that_s3_answers_409_is_retried() {
    let b = bucket().await;
    let upstream = b.sdk.endpoint_url().unwrap().trim_start_matches("http://");
    // The fault proxy answers the first two requests, the lock's PutObject and its first retry,
    // as S3 answers a conditional write that raced another: 409 ConditionalRequestConflict. (The
    // SDK's own retry classifier does not retry a 409; the backend does. Two faults rather than
    // one make sure it is the write that is retried: had the backend read the lock after the
    // first 409, that read would get the second fault and fail.)
    let proxy = proxy::start(
        upstream.to_string(),
        vec![Fault::S3ConditionalConflict, Fault::S3ConditionalConflict],
    )
    .await;
    let through_proxy = common::sdk_config(&proxy.url).await;
    let guard = acquire(backend(&through_proxy, "shop"), "apply", chrono::Utc::now())
        .expect("the conflict is retried and the lock taken");
    assert_eq!(
        proxy
            .faults_served
            .load(std::sync::atomic::Ordering::SeqCst),
        2
    );
    assert_eq!(
        stored_lock(&b.sdk, "shop").await.map(|l| l.id),
        Some(guard.info().id.clone())
    );
    drop(guard);
    assert_eq!(stored_lock(&b.sdk, "shop").await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlock_needs_the_exact_id_and_a_dead_runs_release_spares_the_next_lock() {
    let b = bucket().await;
    let dead = backend(&b.sdk, "shop");
    let dead_run = acquire(dead, "apply", chrono::Utc::now()).unwrap();
    let id = dead_run.info().id.clone();

    let teammate = backend(&b.sdk, "shop");
    let wrong = teammate.force_unlock("not-the-id").unwrap_err();
    assert!(
        matches!(&wrong, JournalError::WrongLockId { actual, .. } if actual == &id),
        "{wrong}"
    );
    assert!(
        teammate.force_unlock(&id[..8]).is_err(),
        "a prefix is not the id"
    );
    assert_eq!(
        stored_lock(&b.sdk, "shop").await.map(|l| l.id),
        Some(id.clone())
    );

    let removed = teammate.force_unlock(&id).unwrap();
    assert_eq!(removed.id, id);
    assert_eq!(stored_lock(&b.sdk, "shop").await, None);
    assert!(matches!(
        teammate.force_unlock(&id),
        Err(JournalError::NotLocked(_))
    ));

    // The teammate takes the lock; the first run, which was only slow, now ends and releases
    // its lock: the conditional delete (If-Match on the ETag of the lock it created) fails, and
    // the teammate's lock stays.
    let next = acquire(teammate.clone(), "resume", chrono::Utc::now()).unwrap();
    drop(dead_run);
    assert_eq!(
        stored_lock(&b.sdk, "shop").await.map(|l| l.id),
        Some(next.info().id.clone())
    );
    assert_eq!(
        teammate.current_lock().unwrap().map(|l| l.id),
        Some(next.info().id.clone())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_that_does_not_exist_is_named_and_nothing_is_written() {
    let b = bucket().await;
    let location = S3Location::parse("s3://no-such-bucket-here/shop").unwrap();
    let missing = Arc::new(S3Backend::from_sdk_config(location, &b.sdk).unwrap());
    let error = missing.load().unwrap_err();
    assert!(
        error
            .to_string()
            .contains("the bucket no-such-bucket-here does not exist"),
        "{error}"
    );
    let error = acquire(missing.clone(), "apply", chrono::Utc::now()).unwrap_err();
    assert!(error.to_string().contains("does not exist"), "{error}");
    let mut state = State::new(plan(), chrono::Utc::now());
    assert!(missing.replace(&mut state).is_err());
    assert_eq!(state.serial, 0);
    let buckets = s3(&b.sdk).list_buckets().send().await.unwrap();
    let names: Vec<_> = buckets.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, vec![BUCKET], "no bucket was created");
}
