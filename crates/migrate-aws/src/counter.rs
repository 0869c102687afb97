//! Counting the API calls a run makes, per service and operation.
//!
//! An SDK interceptor on every client counts each operation once when it starts and each
//! attempt (the first and every retry) as it goes out, so the figures show both what the engine
//! asked for and what retries cost.
//!
//! The same interceptor logs each attempt once it has its answer: a `debug` event with the
//! service, operation, attempt number, HTTP status, outcome and the request id AWS gave it (the
//! id AWS support asks for). Only headers are read, never a request or response body, which may
//! hold secrets (task definition environment variables, for one).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_types::request_id::RequestId;

/// How often one operation was called and how many HTTP attempts that took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OperationCount {
    pub calls: u64,
    pub attempts: u64,
}

/// The shared counter: cheap to clone, every clone counts into the same table.
#[derive(Clone, Default)]
pub struct ApiCalls {
    table: Arc<Mutex<BTreeMap<(String, String), OperationCount>>>,
}

impl fmt::Debug for ApiCalls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiCalls")
            .field("total", &self.total())
            .finish()
    }
}

impl ApiCalls {
    /// An interceptor that counts into this table under `service` (e.g. `ecs`).
    pub(crate) fn interceptor(&self, service: &'static str) -> CountingInterceptor {
        CountingInterceptor {
            service,
            calls: self.clone(),
        }
    }

    fn bump(&self, service: &str, operation: &str, calls: u64, attempts: u64) {
        // A poisoned lock only means another thread panicked while counting; the counts are
        // still usable and counting must never take the run down.
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = table
            .entry((service.to_string(), operation.to_string()))
            .or_default();
        entry.calls += calls;
        entry.attempts += attempts;
    }

    /// Every `(service, operation)` with its count, sorted.
    pub fn snapshot(&self) -> BTreeMap<(String, String), OperationCount> {
        self.table
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Totals per service, sorted by service.
    pub fn per_service(&self) -> BTreeMap<String, OperationCount> {
        let mut out: BTreeMap<String, OperationCount> = BTreeMap::new();
        for ((service, _), count) in self.snapshot() {
            let entry = out.entry(service).or_default();
            entry.calls += count.calls;
            entry.attempts += count.attempts;
        }
        out
    }

    /// The total over all services.
    pub fn total(&self) -> OperationCount {
        self.per_service()
            .values()
            .fold(OperationCount::default(), |acc, c| OperationCount {
                calls: acc.calls + c.calls,
                attempts: acc.attempts + c.attempts,
            })
    }

    /// A plain-text table, one line per service and its operations, for `--verbose` output.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let snapshot = self.snapshot();
        for (service, count) in self.per_service() {
            out.push_str(&format!(
                "{service}: {} calls, {} attempts\n",
                count.calls, count.attempts
            ));
            for ((s, operation), c) in &snapshot {
                if *s == service {
                    out.push_str(&format!(
                        "  {operation}: {} calls, {} attempts\n",
                        c.calls, c.attempts
                    ));
                }
            }
        }
        let total = self.total();
        out.push_str(&format!(
            "total: {} calls, {} attempts\n",
            total.calls, total.attempts
        ));
        out
    }
}

#[derive(Debug)]
pub(crate) struct CountingInterceptor {
    service: &'static str,
    calls: ApiCalls,
}

fn operation_name(cfg: &ConfigBag) -> String {
    cfg.load::<Metadata>()
        .map(|m| m.name().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

impl Intercept for CountingInterceptor {
    fn name(&self) -> &'static str {
        "migrate-aws::CountingInterceptor"
    }

    // The operation's metadata is in the config bag from serialization on, not before; this
    // hook runs once per call like `read_before_execution` does.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.calls.bump(self.service, &operation_name(cfg), 1, 0);
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.calls.bump(self.service, &operation_name(cfg), 0, 1);
        Ok(())
    }

    // Runs after every attempt, whatever its outcome (an answer, a timeout, a refused
    // connection), so a retried call logs one event per attempt.
    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        // The orchestrator numbers attempts from 1 in the config bag before each one.
        let attempt = cfg.load::<RequestAttempts>().map(RequestAttempts::attempts);
        tracing::debug!(
            service = self.service,
            operation = %operation_name(cfg),
            attempt,
            request_id = response.and_then(RequestId::request_id).unwrap_or("none"),
            status = response.map(|r| r.status().as_u16()),
            outcome = outcome(context),
            "AWS call attempt"
        );
        Ok(())
    }
}

/// What became of one attempt, in a word or two; the error's text is left to whoever handles
/// the error, since it is read from the response body.
fn outcome(context: &FinalizerInterceptorContextRef<'_>) -> &'static str {
    match context.output_or_error() {
        Some(Ok(_)) => "ok",
        Some(Err(e)) if e.is_operation_error() => "service error",
        Some(Err(e)) if e.is_timeout_error() => "timeout",
        Some(Err(e)) if e.is_connector_error() => "connection error",
        Some(Err(e)) if e.is_response_error() => "unreadable response",
        Some(Err(_)) => "error",
        None => "no answer",
    }
}
