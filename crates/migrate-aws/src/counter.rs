//! Counting the API calls a run makes, per service and operation.
//!
//! An SDK interceptor on every client counts each operation once when it starts and each
//! attempt (the first and every retry) as it goes out, so the figures show both what the engine
//! asked for and what retries cost.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

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
}
