//! The engine's ports, implemented over the simulated world.
//!
//! Every call goes through [`SimCloud::call`]: it spends the call's latency on virtual time, lets
//! the world catch up to the new instant, counts the call, and asks the fault injector whether
//! the call is throttled, fails, times out, loses its answer, or is where the orchestrator
//! crashes. Only then does the operation itself run, against the world, under one lock that is
//! never held across an await.

mod account;
mod autoscaling;
mod decommission;
mod dns;
mod ecs;
mod elb;
mod elb_behaviour;
mod instances;
mod logs;
mod metrics;
mod network;
mod probe;
mod service_scaling;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use migrate_engine::ports::{Cloud, CloudError, CloudResult, ErrorKind};
use rand::Rng;

use crate::clock::SimClock;
use crate::faults::{Counted, Verdict};
use crate::world::World;

/// The simulated account seen through the ports. Cheap to clone; clones share the world.
#[derive(Clone)]
pub struct SimCloud {
    world: Arc<Mutex<World>>,
    clock: SimClock,
}

impl std::fmt::Debug for SimCloud {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SimCloud { .. }")
    }
}

/// Whether a call changes the account; only those can lose their answer after taking effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Read,
    Write,
}

impl SimCloud {
    pub(crate) fn new(world: Arc<Mutex<World>>, clock: SimClock) -> Self {
        Self { world, clock }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, World> {
        // A panic while holding the lock is a bug in the simulator; the state is still the
        // best evidence there is, so keep using it rather than panic again.
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The ports bundle the engine is given.
    pub fn cloud(&self) -> Cloud {
        Cloud::from_account(Arc::new(self.clone()), Arc::new(self.clock))
    }

    pub(crate) async fn call<T>(
        &self,
        operation: &str,
        resource: impl Into<String>,
        kind: Kind,
        f: impl FnOnce(&mut World) -> CloudResult<T>,
    ) -> CloudResult<T> {
        let latency = {
            let mut w = self.lock();
            let span = w.profile.api_latency;
            if span.max_ms > span.min_ms {
                w.fault_rng.gen_range(span.min_ms..=span.max_ms)
            } else {
                span.min_ms
            }
        };
        tokio::time::sleep(Duration::from_millis(latency)).await;
        let resource = resource.into();
        let (result, extra_wait) = {
            let mut w = self.lock();
            w.advance_to(self.clock.elapsed_ms());
            let service = operation.split(':').next().unwrap_or(operation).to_string();
            *w.api.per_service.entry(service).or_default() += 1;
            *w.api
                .per_operation
                .entry(operation.to_string())
                .or_default() += 1;
            w.api.total += 1;
            if kind == Kind::Write {
                w.api.mutating += 1;
            }
            let verdict = w.verdict(operation, kind);
            if verdict != Verdict::Proceed {
                w.api.faults_injected += 1;
            }
            let err = |k: ErrorKind, m: &str| CloudError::new(k, operation, resource.clone(), m);
            match verdict {
                Verdict::Proceed => (f(&mut w), 0),
                Verdict::Throttle => (Err(err(ErrorKind::Throttled, "Rate exceeded")), 0),
                Verdict::ServerError => (
                    Err(err(
                        ErrorKind::ServerError,
                        "InternalFailure (simulated 500)",
                    )),
                    0,
                ),
                Verdict::Timeout { applied } => {
                    if applied {
                        let _ = f(&mut w);
                    }
                    (
                        Err(err(ErrorKind::Timeout, "request timed out (simulated)")),
                        5_000,
                    )
                }
                Verdict::LostResponse => {
                    let _ = f(&mut w);
                    (
                        Err(err(
                            ErrorKind::Timeout,
                            "connection reset after the request was sent (simulated)",
                        )),
                        1_000,
                    )
                }
                Verdict::Crash { after_effect } => {
                    if after_effect {
                        let _ = f(&mut w);
                    }
                    (
                        Err(err(
                            ErrorKind::Interrupted,
                            "the orchestrator crashed here (simulated)",
                        )),
                        0,
                    )
                }
            }
        };
        if extra_wait > 0 {
            tokio::time::sleep(Duration::from_millis(extra_wait)).await;
        }
        result
    }
}

impl World {
    /// Decides the fate of the call just counted. Injected faults (a crash point, throttles a
    /// test chose) come first and draw nothing, so that the random draws of a seed are the same
    /// whether or not a test injected anything.
    pub(crate) fn verdict(&mut self, operation: &str, kind: Kind) -> Verdict {
        if let Some(crash) = self.crash {
            let reached = match crash.counting {
                Counted::All => self.api.total >= crash.at_call,
                Counted::Mutating => kind == Kind::Write && self.api.mutating >= crash.at_call,
            };
            if reached {
                self.crash = None;
                self.crashes += 1;
                return Verdict::Crash {
                    after_effect: crash.after_effect && kind == Kind::Write,
                };
            }
        }
        if let Some(chosen) = self
            .throttles
            .iter_mut()
            .find(|t| t.calls > 0 && t.operation.as_deref().is_none_or(|op| op == operation))
        {
            chosen.calls -= 1;
            self.throttles.retain(|t| t.calls > 0);
            return Verdict::Throttle;
        }
        let p = self.profile.clone();
        if !p.injects_errors() {
            return Verdict::Proceed;
        }
        let roll: f64 = self.fault_rng.gen();
        let mut edge = p.throttle;
        if roll < edge {
            return Verdict::Throttle;
        }
        edge += p.server_error;
        if roll < edge {
            return Verdict::ServerError;
        }
        edge += p.timeout;
        if roll < edge {
            return Verdict::Timeout {
                applied: kind == Kind::Write && self.fault_rng.gen_bool(0.5),
            };
        }
        edge += p.lost_response;
        if roll < edge && kind == Kind::Write {
            return Verdict::LostResponse;
        }
        Verdict::Proceed
    }

    /// When a resource created now becomes visible to describes.
    pub(crate) fn visible_from_now(&mut self) -> crate::clock::Millis {
        let span = self.profile.consistency_lag;
        let lag = if span.max_ms > span.min_ms {
            self.fault_rng.gen_range(span.min_ms..=span.max_ms)
        } else {
            span.min_ms
        };
        self.now + lag
    }
}

pub(crate) fn err(
    kind: ErrorKind,
    operation: &str,
    resource: &str,
    message: impl Into<String>,
) -> CloudError {
    CloudError::new(kind, operation, resource, message)
}
