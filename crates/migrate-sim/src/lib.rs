//! A deterministic simulation of an AWS account with live traffic, behind the engine's ports.
//!
//! moto proves that requests are well formed; it has no data plane. This crate proves behaviour:
//! tasks that take a minute to start, health checks with thresholds, DNS answers cached by
//! clients, load balancers that fail open, describes that lag behind creates, throttling, lost
//! answers and crashes of the orchestrator itself — all on virtual time, all decided by a seed,
//! so that any failing run replays exactly.
//!
//! The pieces, each in its own module:
//! - [`world`]: the account's resources and the rules by which they change on their own;
//! - [`ports`]: the engine's traits implemented over the world, with fault injection;
//! - [`traffic`] and [`dns_cache`]: clients that resolve the name and send requests;
//! - [`metrics`]: CloudWatch figures derived from that traffic;
//! - [`faults`]: named fault profiles;
//! - [`audit`]: what the properties check after a run;
//! - [`snapshot`]: the account as a person would see it, which the engine's tests compare;
//! - [`rehearsal`]: `migrate rehearse`, a plan run in the simulator and its timeline.

pub mod audit;
pub mod clock;
pub mod critical_path;
mod dns_cache;
pub mod faults;
pub mod harness;
mod metrics;
pub mod ports;
pub mod rehearsal;
pub mod snapshot;
pub mod topology;
pub mod traffic;
pub mod world;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use migrate_engine::ports::Cloud;

pub use clock::{runtime, SimClock};
pub use faults::{Counted, CrashPoint, FaultProfile};
pub use ports::SimCloud;
pub use rehearsal::{rehearse, Rehearsal, RehearseOptions};
pub use snapshot::AccountSnapshot;
pub use topology::{PlainInstance, Topology};
pub use traffic::{TrafficConfig, TrafficReport};
pub use world::old_side::{DrainReading, LeftOut, OldSideBehaviour, ScheduledRaise};

use crate::clock::Millis;
use crate::world::{ChosenThrottle, World};

/// What can go wrong in setting up or running a simulation (not in the simulated migration,
/// whose failures are results).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("unknown fault profile `{name}` (known: {known})")]
    UnknownProfile { name: String, known: String },
    #[error("the simulation runtime could not start: {0}")]
    Runtime(#[from] std::io::Error),
    #[error("the engine refused the plan: {0}")]
    Engine(String),
    #[error("the playbook does not describe a source the simulator can build: {0}")]
    Topology(String),
}

/// One simulated account with its clients, on the current (paused-time) runtime.
#[derive(Clone)]
pub struct Simulation {
    cloud: SimCloud,
    clock: SimClock,
}

impl std::fmt::Debug for Simulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Simulation { .. }")
    }
}

impl Simulation {
    /// Builds the account the topology describes. Must be called inside the runtime the
    /// simulation runs on (see [`runtime`]), because virtual time starts now.
    pub fn new(
        seed: u64,
        topology: Topology,
        profile: FaultProfile,
        traffic: &TrafficConfig,
    ) -> Self {
        let world = Arc::new(Mutex::new(World::new(seed, topology, profile, traffic)));
        let clock = SimClock::start();
        let cloud = SimCloud::new(world, clock);
        Self { cloud, clock }
    }

    /// The account the topology describes, with the [`FaultProfile::instant`] profile and no
    /// traffic: what the engine's tests run on. Must be called inside a paused-time runtime.
    pub fn instant(topology: Topology) -> Self {
        Self::new(0, topology, FaultProfile::instant(), &TrafficConfig::none())
    }

    /// The ports bundle to give an engine.
    pub fn cloud(&self) -> Cloud {
        self.cloud.cloud()
    }

    pub fn clock(&self) -> SimClock {
        self.clock
    }

    /// Virtual milliseconds since the simulation started.
    pub fn now_ms(&self) -> Millis {
        self.clock.elapsed_ms()
    }

    /// Runs `f` on the world after it has caught up with virtual time.
    pub(crate) fn with_world<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        let mut w = self.cloud.lock();
        w.advance_to(self.clock.elapsed_ms());
        f(&mut w)
    }

    /// Makes a call from now on the point where the orchestrator crashes: the point's ordinal
    /// counts from the next call (of the kind it counts), so `at_call: 1` is the very next one.
    /// Replaces a crash point set before.
    pub fn crash_at(&self, point: CrashPoint) {
        self.with_world(|w| {
            let so_far = match point.counting {
                Counted::All => w.api.total,
                Counted::Mutating => w.api.mutating,
            };
            w.crash = Some(CrashPoint {
                at_call: so_far + point.at_call,
                ..point
            });
        });
    }

    /// The next `calls` port calls, of any operation, answer `Throttled` without effect.
    pub fn throttle_next(&self, calls: u32) {
        self.with_world(|w| {
            w.throttles.push(ChosenThrottle {
                operation: None,
                calls,
            })
        });
    }

    /// The next `calls` calls to `operation` (as the API log names it, `elbv2:CreateListener`)
    /// answer `Throttled` without effect.
    pub fn throttle_next_calls_to(&self, operation: &str, calls: u32) {
        self.with_world(|w| {
            w.throttles.push(ChosenThrottle {
                operation: Some(operation.to_string()),
                calls,
            })
        });
    }

    /// How many port calls have been made so far.
    pub fn calls_so_far(&self) -> u64 {
        self.with_world(|w| w.api.total)
    }

    /// How many calls that change the account have been made so far (faulted ones included).
    pub fn mutating_calls_so_far(&self) -> u64 {
        self.with_world(|w| w.api.mutating)
    }

    /// Every resource a port call created, by kind (`cluster`, `service`, `listener`, ...), names
    /// in the order of creation. Seeded resources are not in it.
    pub fn creations(&self) -> BTreeMap<String, Vec<String>> {
        self.with_world(|w| {
            let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for c in &w.creations {
                out.entry(c.kind.to_string())
                    .or_default()
                    .push(c.name.clone());
            }
            out
        })
    }

    /// Resources created more than once, of any kind: empty when nothing was created twice.
    pub fn duplicates(&self) -> Vec<String> {
        self.with_world(|w| w.duplicate_creations(&[]))
    }

    /// The old side the simulation started from.
    pub fn topology(&self) -> Topology {
        self.with_world(|w| w.topology.clone())
    }

    /// Port calls per service so far.
    pub fn api_calls(&self) -> BTreeMap<String, u64> {
        self.with_world(|w| w.api.per_service.clone())
    }

    /// Port calls per operation so far.
    pub fn api_operations(&self) -> BTreeMap<String, u64> {
        self.with_world(|w| w.api.per_operation.clone())
    }

    /// How many faults were injected so far.
    pub fn faults_injected(&self) -> u64 {
        self.with_world(|w| w.api.faults_injected)
    }

    /// What the clients saw so far.
    pub fn traffic(&self) -> TrafficReport {
        self.with_world(|w| w.traffic.report.clone())
    }

    /// Counts `requests` now on each live old load balancer and the target group it serves, as
    /// clients that still call the old name after the drain would: what clean-up must notice.
    pub fn old_side_serves(&self, requests: u32) {
        self.with_world(|w| {
            let at = w.now;
            let ns = "AWS/ApplicationELB";
            let served: Vec<(String, Option<String>)> = w
                .elb
                .load_balancers
                .values()
                .filter(|l| l.old_side && !l.deleted)
                .map(|l| {
                    let tg = w
                        .elb
                        .front_tg_of(&l.arn)
                        .and_then(|arn| w.elb.target_groups.get(&arn))
                        .map(|tg| tg.metric_dimension());
                    (l.metric_dimension(), tg)
                })
                .collect();
            for (lb, tg) in served {
                let lb_dims = vec![("LoadBalancer".to_string(), lb)];
                w.cloudwatch
                    .add(ns, "RequestCount", &lb_dims, at, f64::from(requests));
                if let Some(tg) = tg {
                    let mut tg_dims = lb_dims.clone();
                    tg_dims.push(("TargetGroup".to_string(), tg));
                    w.cloudwatch
                        .add(ns, "RequestCount", &tg_dims, at, f64::from(requests));
                }
            }
        });
    }

    /// The oldest running task of `service` in `cluster` stops at once, as a Fargate task
    /// retired for maintenance or killed for its memory does: the service must start a
    /// replacement. Answers whether one was running.
    pub fn a_task_stops(&self, cluster: &str, service: &str) -> bool {
        self.with_world(|w| {
            let oldest = w
                .ecs
                .tasks
                .values()
                .filter(|t| t.cluster == cluster && t.service == service && t.running())
                .min_by_key(|t| t.started_at)
                .map(|t| t.id.clone());
            match oldest {
                Some(id) => {
                    w.kill_task(&id, "Task stopped: the Fargate host was retired");
                    true
                }
                None => false,
            }
        })
    }

    /// Records a pull of an image of the ECR repository now, as a host still running the old
    /// image would.
    pub fn pull_from_repository(&self, name: &str) {
        self.with_world(|w| {
            let now = w.now;
            if let Some(last_pull) = w.ecr.get_mut(name) {
                *last_pull = Some(now);
            }
        });
    }

    /// Lets virtual time pass (the world keeps serving traffic meanwhile).
    pub async fn idle(&self, duration: std::time::Duration) {
        tokio::time::sleep(duration).await;
        self.with_world(|_| ());
    }
}
