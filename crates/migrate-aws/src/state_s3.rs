//! The shared state backend: a migration's state and its lock in an S3 bucket
//! (`--state s3://BUCKET/PREFIX`), so that a teammate can resume from another machine.
//!
//! Two objects live under the prefix: `state.json` and `state.lock`. Every write is conditional
//! (S3 conditional writes: <https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html>,
//! and conditional deletes: <https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html>):
//! - the lock is created with `If-None-Match: *`, so of two runs only one creates it; S3 answers
//!   the other `412 Precondition Failed`, and this backend then reads the lock and names its
//!   holder and id;
//! - the lock is removed with `If-Match` on the ETag its creation returned, so a run never removes
//!   a lock that was force-unlocked and taken by someone else meanwhile; `migrate unlock ID` reads
//!   the lock, checks the id, and deletes with `If-Match` on the ETag it read;
//! - the state is written with `If-Match` on the ETag this backend last read or wrote (the very
//!   first write with `If-None-Match: *`), so two writers can never both succeed, whatever the
//!   lock says; on top of that the lineage and serial are checked as for a local state;
//! - S3 answers `409 ConditionalRequestConflict` when two conditional writes to one key race; the
//!   documentation says to retry, and this backend does, a few times, re-evaluating the condition.
//!
//! The journal's backend trait is synchronous (the engine saves between awaits, as it fsyncs a
//! local file), and the SDK is asynchronous. The backend therefore owns a small runtime of its
//! own and waits for each call on a channel: this works from plain threads and from inside any
//! other runtime, which a nested `block_on` would not.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::SdkConfig;
use migrate_journal::{JournalError, LockInfo, State, StateBackend};

use crate::config::{self, AwsOptions};
use crate::errors::AwsError;

/// The name of the state object under the prefix.
pub const STATE_OBJECT: &str = "state.json";
/// The name of the lock object under the prefix.
pub const LOCK_OBJECT: &str = "state.lock";
/// Attempts of one conditional write that S3 answers `409 ConditionalRequestConflict`.
pub const CONFLICT_ATTEMPTS: u32 = 5;

/// Why the S3 backend could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum S3StateError {
    #[error("{url:?} is not an S3 state location: {reason} (expected s3://BUCKET/PREFIX)")]
    BadUrl { url: String, reason: String },
    #[error(transparent)]
    Config(#[from] AwsError),
    #[error("cannot start the runtime of the S3 state backend: {0}")]
    Runtime(#[source] std::io::Error),
}

/// A bucket and a key prefix, from `s3://BUCKET/PREFIX`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    /// Without leading or trailing `/`; may be empty (the objects are then at the bucket's root).
    pub prefix: String,
}

impl S3Location {
    pub fn parse(url: &str) -> Result<Self, S3StateError> {
        let bad = |reason: &str| S3StateError::BadUrl {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| bad("it does not start with s3://"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(bad("it names no bucket"));
        }
        // S3's bucket naming rules, enough to catch a typo before the first call.
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
            && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
            && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !valid_bucket {
            return Err(bad(
                "the bucket name is not valid (3 to 63 lowercase letters, digits, '-' and '.')",
            ));
        }
        let prefix = prefix.trim_matches('/');
        if prefix.split('/').any(|part| part == "." || part == "..") {
            return Err(bad("the prefix may not contain . or .. segments"));
        }
        Ok(Self {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }

    pub fn key(&self, object: &str) -> String {
        if self.prefix.is_empty() {
            object.to_string()
        } else {
            format!("{}/{object}", self.prefix)
        }
    }

    /// `s3://bucket/prefix/object`, for messages.
    pub fn url(&self, object: &str) -> PathBuf {
        PathBuf::from(format!("s3://{}/{}", self.bucket, self.key(object)))
    }
}

impl std::fmt::Display for S3Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

/// What this backend knows of the stored state object.
#[derive(Debug, Clone)]
enum Seen {
    /// Not read yet: the next write reads it first.
    Unknown,
    /// Read, and there was none: the next write uses `If-None-Match: *`.
    Absent,
    /// Read or written with this ETag and these bytes: the next write uses `If-Match`.
    Present { etag: String, bytes: Vec<u8> },
}

/// A runtime of the backend's own, shut down without waiting when the backend is dropped
/// (dropping a runtime normally blocks, which is not allowed inside another runtime).
#[derive(Debug)]
struct Worker {
    runtime: Option<tokio::runtime::Runtime>,
}

impl Worker {
    fn start() -> Result<Self, S3StateError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("migrate-state-s3")
            .enable_all()
            .build()
            .map_err(S3StateError::Runtime)?;
        Ok(Self {
            runtime: Some(runtime),
        })
    }

    /// Runs `future` on the backend's runtime and waits for its answer.
    fn run<T: Send + 'static>(
        &self,
        future: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, String> {
        let runtime = self
            .runtime
            .as_ref()
            .ok_or_else(|| "the S3 state backend was shut down".to_string())?;
        let (sender, receiver) = std::sync::mpsc::sync_channel(1);
        runtime.spawn(async move {
            let _ = sender.send(future.await);
        });
        receiver
            .recv()
            .map_err(|_| "the S3 state backend's call was lost".to_string())
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// An S3 answer reduced to what this backend decides on.
#[derive(Debug)]
struct Failure {
    status: Option<u16>,
    code: Option<String>,
    message: String,
}

impl Failure {
    fn from_sdk<E>(error: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let status = error.raw_response().map(|r| r.status().as_u16());
        let code = error.code().map(str::to_string);
        let message = match (error.code(), error.message()) {
            (Some(code), Some(text)) => format!("{code}: {text}"),
            (Some(code), None) => code.to_string(),
            _ => DisplayErrorContext(error).to_string(),
        };
        Self {
            status,
            code,
            message,
        }
    }

    fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    /// The write's condition did not hold: the object exists (`If-None-Match`), or it changed or
    /// is gone (`If-Match`; S3 answers 404 `NoSuchKey` when there is no object to match).
    fn precondition_failed(&self) -> bool {
        self.status == Some(412) || self.is("PreconditionFailed")
    }

    fn conflict(&self) -> bool {
        self.status == Some(409) || self.is("ConditionalRequestConflict")
    }

    fn no_such_key(&self) -> bool {
        self.is("NoSuchKey") || (self.status == Some(404) && !self.is("NoSuchBucket"))
    }

    /// The failure as a message that says what to do about it.
    fn explain(&self, bucket: &str) -> String {
        if self.is("NoSuchBucket") {
            format!("the bucket {bucket} does not exist (create it, or check --state)")
        } else if self.status == Some(403) || self.is("AccessDenied") {
            format!(
                "access to the bucket {bucket} is denied ({}); the state needs s3:GetObject, s3:PutObject and s3:DeleteObject on the prefix",
                self.message
            )
        } else if self.status == Some(301) || self.is("PermanentRedirect") {
            format!("the bucket {bucket} is in another region; pass its region with --region")
        } else {
            self.message.clone()
        }
    }
}

/// The state and lock of one migration in S3.
#[derive(Debug)]
pub struct S3Backend {
    location: S3Location,
    client: aws_sdk_s3::Client,
    worker: Worker,
    seen: Mutex<Seen>,
    /// The ETag of each lock this backend created, by lock id, for the conditional delete.
    own_locks: Mutex<HashMap<String, String>>,
}

fn guard<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Opens the S3 backend at `url` with the SDK configuration `options` give (profile, region,
/// endpoint URL), loaded on the backend's own runtime.
pub fn open(url: &str, options: &AwsOptions) -> Result<S3Backend, S3StateError> {
    let location = S3Location::parse(url)?;
    let worker = Worker::start()?;
    let options = options.clone();
    let sdk = worker
        .run(async move { config::load(&options).await })
        .map_err(|reason| S3StateError::Runtime(std::io::Error::other(reason)))??;
    Ok(S3Backend::with_worker(location, &sdk, worker))
}

impl S3Backend {
    /// A backend over an SDK configuration the caller made (tests give static credentials).
    pub fn from_sdk_config(location: S3Location, sdk: &SdkConfig) -> Result<Self, S3StateError> {
        Ok(Self::with_worker(location, sdk, Worker::start()?))
    }

    fn with_worker(location: S3Location, sdk: &SdkConfig, worker: Worker) -> Self {
        // An emulator (an endpoint URL) has no per-bucket host names: address buckets by path.
        let s3_config = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(sdk.endpoint_url().is_some())
            .build();
        Self {
            location,
            client: aws_sdk_s3::Client::from_conf(s3_config),
            worker,
            seen: Mutex::new(Seen::Unknown),
            own_locks: Mutex::new(HashMap::new()),
        }
    }

    pub fn s3_location(&self) -> &S3Location {
        &self.location
    }

    fn backend_error(&self, action: &'static str, object: &str, message: String) -> JournalError {
        JournalError::Backend {
            action,
            path: self.location.url(object),
            message,
        }
    }

    fn run<T: Send + 'static>(
        &self,
        action: &'static str,
        object: &str,
        future: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, JournalError> {
        self.worker
            .run(future)
            .map_err(|message| self.backend_error(action, object, message))
    }

    /// Reads an object: its bytes and ETag, or `None` when there is none.
    fn get(&self, object: &str) -> Result<Option<(Vec<u8>, String)>, JournalError> {
        let request = self
            .client
            .get_object()
            .bucket(&self.location.bucket)
            .key(self.location.key(object));
        let answer = self.run("read", object, async move {
            let output = match request.send().await {
                Ok(output) => output,
                Err(error) => return Err(Failure::from_sdk(&error)),
            };
            let etag = output.e_tag().unwrap_or_default().to_string();
            match output.body.collect().await {
                Ok(data) => Ok((data.into_bytes().to_vec(), etag)),
                Err(error) => Err(Failure {
                    status: None,
                    code: None,
                    message: format!("the object's body could not be read: {error}"),
                }),
            }
        })?;
        match answer {
            Ok(found) => Ok(Some(found)),
            Err(failure) if failure.no_such_key() => Ok(None),
            Err(failure) => {
                Err(self.backend_error("read", object, failure.explain(&self.location.bucket)))
            }
        }
    }

    /// Writes an object with a condition, retrying `409 ConditionalRequestConflict`; answers the
    /// new ETag, or the failure of the last attempt.
    fn put(
        &self,
        object: &str,
        bytes: &[u8],
        condition: &Condition,
    ) -> Result<Result<String, Failure>, JournalError> {
        let mut attempt = 1;
        loop {
            let mut request = self
                .client
                .put_object()
                .bucket(&self.location.bucket)
                .key(self.location.key(object))
                .content_type("application/json")
                .body(ByteStream::from(bytes.to_vec()));
            request = match condition {
                Condition::Absent => request.if_none_match("*"),
                Condition::Matches(etag) => request.if_match(etag),
            };
            let answer = self.run("write", object, async move {
                match request.send().await {
                    Ok(output) => Ok(output.e_tag().unwrap_or_default().to_string()),
                    Err(error) => Err(Failure::from_sdk(&error)),
                }
            })?;
            match answer {
                Err(failure) if failure.conflict() && attempt < CONFLICT_ATTEMPTS => {
                    tracing::debug!(object, attempt, "S3 answered 409 ConditionalRequestConflict; retrying the conditional write");
                    std::thread::sleep(Duration::from_millis(100 * u64::from(attempt)));
                    attempt += 1;
                }
                other => return Ok(other),
            }
        }
    }

    /// Deletes an object only if its ETag is still `etag`; answers the failure if not.
    fn delete_if_match(
        &self,
        object: &str,
        etag: &str,
    ) -> Result<Result<(), Failure>, JournalError> {
        let request = self
            .client
            .delete_object()
            .bucket(&self.location.bucket)
            .key(self.location.key(object))
            .if_match(etag);
        self.run("remove", object, async move {
            request
                .send()
                .await
                .map(|_| ())
                .map_err(|error| Failure::from_sdk(&error))
        })
    }

    /// Reads the lock object: its holder and ETag.
    fn read_lock(&self) -> Result<Option<(LockInfo, String)>, JournalError> {
        let Some((bytes, etag)) = self.get(LOCK_OBJECT)? else {
            return Ok(None);
        };
        let info = serde_json::from_slice(&bytes).map_err(|e| JournalError::Corrupt {
            path: self.location.url(LOCK_OBJECT),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        Ok(Some((info, etag)))
    }

    /// The bytes stored now and the condition a write over them needs.
    fn current_version(&self) -> Result<(Option<Vec<u8>>, Condition), JournalError> {
        let seen = guard(&self.seen).clone();
        let seen = match seen {
            Seen::Unknown => match self.get(STATE_OBJECT)? {
                Some((bytes, etag)) => Seen::Present { etag, bytes },
                None => Seen::Absent,
            },
            known => known,
        };
        Ok(match seen {
            Seen::Present { etag, bytes } => (Some(bytes), Condition::Matches(etag)),
            Seen::Absent | Seen::Unknown => (None, Condition::Absent),
        })
    }

    /// Writes serialised state bytes under `condition`, remembering the new version.
    fn write_state(&self, bytes: Vec<u8>, condition: &Condition) -> Result<(), JournalError> {
        match self.put(STATE_OBJECT, &bytes, condition)? {
            Ok(etag) => {
                *guard(&self.seen) = Seen::Present { etag, bytes };
                Ok(())
            }
            Err(failure) if failure.precondition_failed() || failure.no_such_key() => {
                // Whatever is stored now is unknown: read it again before any later write.
                *guard(&self.seen) = Seen::Unknown;
                Err(JournalError::Conflict {
                    path: self.location.url(STATE_OBJECT),
                    expected: match condition {
                        Condition::Absent => "none (a first write)".to_string(),
                        Condition::Matches(etag) => format!("ETag {etag}"),
                    },
                })
            }
            Err(failure) => Err(self.backend_error(
                "write",
                STATE_OBJECT,
                failure.explain(&self.location.bucket),
            )),
        }
    }
}

/// The precondition of a write.
#[derive(Debug, Clone)]
enum Condition {
    /// `If-None-Match: *`: only if there is no object.
    Absent,
    /// `If-Match: ETAG`: only if the object is still this version.
    Matches(String),
}

impl StateBackend for S3Backend {
    fn location(&self) -> PathBuf {
        self.location.url(STATE_OBJECT)
    }

    fn lock_location(&self) -> PathBuf {
        self.location.url(LOCK_OBJECT)
    }

    fn load(&self) -> Result<State, JournalError> {
        match self.get(STATE_OBJECT)? {
            Some((bytes, etag)) => {
                let state = migrate_journal::parse(&bytes, &self.location())?;
                *guard(&self.seen) = Seen::Present { etag, bytes };
                Ok(state)
            }
            None => {
                *guard(&self.seen) = Seen::Absent;
                Err(JournalError::Missing(self.location()))
            }
        }
    }

    fn save(&self, state: &mut State) -> Result<(), JournalError> {
        let (existing, condition) = self.current_version()?;
        let mut candidate = state.clone();
        let bytes =
            migrate_journal::prepare_write(existing.as_deref(), &mut candidate, &self.location())?;
        self.write_state(bytes, &condition)?;
        *state = candidate;
        Ok(())
    }

    fn replace(&self, state: &mut State) -> Result<(), JournalError> {
        let (_, condition) = self.current_version()?;
        let mut candidate = state.clone();
        let bytes = migrate_journal::prepare_write(None, &mut candidate, &self.location())?;
        self.write_state(bytes, &condition)?;
        *state = candidate;
        Ok(())
    }

    fn create_lock(&self, info: &LockInfo) -> Result<(), JournalError> {
        let bytes = serde_json::to_vec_pretty(info).map_err(|e| {
            self.backend_error(
                "write",
                LOCK_OBJECT,
                format!("cannot serialise the lock: {e}"),
            )
        })?;
        // The holder may release the lock between our refused write and our read of it; then
        // the lock is free and one more write may take it.
        for _ in 0..2 {
            match self.put(LOCK_OBJECT, &bytes, &Condition::Absent)? {
                Ok(etag) => {
                    guard(&self.own_locks).insert(info.id.clone(), etag);
                    return Ok(());
                }
                Err(failure) if failure.precondition_failed() || failure.conflict() => {
                    if let Some((holder, _)) = self.read_lock()? {
                        return Err(JournalError::Locked {
                            path: self.lock_location(),
                            info: Box::new(holder),
                        });
                    }
                }
                Err(failure) => {
                    return Err(self.backend_error(
                        "create the lock",
                        LOCK_OBJECT,
                        failure.explain(&self.location.bucket),
                    ))
                }
            }
        }
        Err(self.backend_error(
            "create the lock",
            LOCK_OBJECT,
            "the lock was taken and released repeatedly while this run tried to take it; try again"
                .to_string(),
        ))
    }

    fn release_lock(&self, info: &LockInfo) -> Result<(), JournalError> {
        let etag = guard(&self.own_locks).remove(&info.id);
        let etag = match etag {
            Some(etag) => etag,
            None => match self.read_lock()? {
                Some((holder, etag)) if holder.id == info.id => etag,
                // Not ours any more, or gone: nothing to release.
                _ => return Ok(()),
            },
        };
        match self.delete_if_match(LOCK_OBJECT, &etag)? {
            Ok(()) => Ok(()),
            // Someone force-unlocked it (and may hold a lock of their own now): leave theirs.
            Err(failure) if failure.precondition_failed() || failure.no_such_key() => Ok(()),
            Err(failure) => Err(self.backend_error(
                "remove",
                LOCK_OBJECT,
                failure.explain(&self.location.bucket),
            )),
        }
    }

    fn current_lock(&self) -> Result<Option<LockInfo>, JournalError> {
        Ok(self.read_lock()?.map(|(info, _)| info))
    }

    fn force_unlock(&self, id: &str) -> Result<LockInfo, JournalError> {
        let Some((info, etag)) = self.read_lock()? else {
            return Err(JournalError::NotLocked(self.lock_location()));
        };
        if info.id != id {
            return Err(JournalError::WrongLockId {
                path: self.lock_location(),
                actual: info.id,
                given: id.to_string(),
            });
        }
        match self.delete_if_match(LOCK_OBJECT, &etag)? {
            Ok(()) => Ok(info),
            Err(failure) if failure.precondition_failed() || failure.no_such_key() => {
                Err(self.backend_error(
                    "remove",
                    LOCK_OBJECT,
                    format!(
                        "the lock changed while it was being removed (it is no longer lock {id}); nothing was removed"
                    ),
                ))
            }
            Err(failure) => Err(self.backend_error(
                "remove",
                LOCK_OBJECT,
                failure.explain(&self.location.bucket),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_urls_name_a_bucket_and_a_prefix() {
        let location = S3Location::parse("s3://team-state/migrations/shop/").unwrap();
        assert_eq!(location.bucket, "team-state");
        assert_eq!(location.prefix, "migrations/shop");
        assert_eq!(location.key(STATE_OBJECT), "migrations/shop/state.json");
        let root = S3Location::parse("s3://team-state").unwrap();
        assert_eq!(root.key(LOCK_OBJECT), "state.lock");
    }

    fn failure(status: u16, code: &str) -> Failure {
        Failure {
            status: Some(status),
            code: Some(code.to_string()),
            message: format!("{code}: as S3 says it"),
        }
    }

    #[test]
    fn s3_answers_are_told_apart() {
        assert!(failure(412, "PreconditionFailed").precondition_failed());
        assert!(failure(409, "ConditionalRequestConflict").conflict());
        assert!(failure(404, "NoSuchKey").no_such_key());
        assert!(!failure(404, "NoSuchBucket").no_such_key());
        assert!(!failure(403, "AccessDenied").precondition_failed());
    }

    #[test]
    fn a_bucket_that_cannot_be_used_is_explained() {
        let missing = failure(404, "NoSuchBucket").explain("team-state");
        assert!(
            missing.contains("the bucket team-state does not exist"),
            "{missing}"
        );
        let denied = failure(403, "AccessDenied").explain("team-state");
        assert!(
            denied.contains("access to the bucket team-state is denied"),
            "{denied}"
        );
        assert!(denied.contains("s3:PutObject"), "{denied}");
        let elsewhere = failure(301, "PermanentRedirect").explain("team-state");
        assert!(elsewhere.contains("--region"), "{elsewhere}");
    }

    #[test]
    fn bad_state_urls_are_refused_before_any_call() {
        for url in [
            "team-state/shop",
            "s3://",
            "s3:///shop",
            "s3://Team_State/shop",
            "s3://ab/shop",
            "s3://team-state/../other",
        ] {
            assert!(
                matches!(S3Location::parse(url), Err(S3StateError::BadUrl { .. })),
                "{url} was accepted"
            );
        }
    }
}
