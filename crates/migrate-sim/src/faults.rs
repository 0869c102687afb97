//! Fault profiles: how slow, flaky and inconsistent the simulated account is.
//!
//! A profile holds both the timing AWS imposes (task start, load balancer provisioning, Route53
//! propagation, metric publication) and the failure rates of the control plane. Profiles are named
//! so that a failing run can be replayed from `--faults NAME --seed N` alone.

use serde::Serialize;

use crate::clock::Millis;
use crate::SimError;

/// A closed range of virtual milliseconds a latency is drawn from, uniformly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    pub min_ms: Millis,
    pub max_ms: Millis,
}

impl Span {
    pub const fn ms(min_ms: Millis, max_ms: Millis) -> Self {
        Self { min_ms, max_ms }
    }

    pub const fn secs(min: u64, max: u64) -> Self {
        Self::ms(min * 1000, max * 1000)
    }
}

/// Everything about the simulated account that a seed does not decide.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultProfile {
    pub name: String,
    /// Latency of every API call.
    pub api_latency: Span,
    /// Probability that a call is throttled.
    pub throttle: f64,
    /// Probability that a call answers 5xx without doing anything.
    pub server_error: f64,
    /// Probability that a call times out; half of the timed-out mutations took effect.
    pub timeout: f64,
    /// Probability that a mutation takes effect but its answer is lost (reported as a timeout).
    pub lost_response: f64,
    /// How long a created resource stays invisible to describes and finds (eventual consistency).
    pub consistency_lag: Span,
    /// Fargate task start: from placement to RUNNING.
    pub task_start: Span,
    /// ECS-on-EC2 task start on an instance that is already up.
    pub ec2_task_start: Span,
    /// Application load balancer: from creation to `active`.
    pub lb_provision: Span,
    /// Route53: from `ChangeResourceRecordSets` to `INSYNC`.
    pub dns_propagation: Span,
    /// How long after the end of a one-minute period CloudWatch publishes its data point.
    pub metric_delay_ms: Millis,
    /// When true, the new side's application never passes a health check (a broken image).
    pub never_healthy: bool,
    /// Share of clients whose resolver keeps answers longer than the TTL.
    pub sticky_clients: f64,
    /// How long such a resolver keeps an answer.
    pub sticky_hold_ms: Millis,
    /// Requests per minute one new task serves before it fails under load (a pool or a CPU
    /// saturated): beyond it the excess share of its requests answers 500 and the rest slow
    /// down by the same factor. Health checks still pass, so only the traffic guard sees it.
    /// `None`: the new side serves any load.
    pub new_side_capacity_rpm: Option<u32>,
}

/// The `overloaded` profile's capacity per new task: the default traffic sends 1200 requests a
/// minute, so the demo's two web tasks fail from 20 % of it (240 a minute) upwards.
pub const OVERLOADED_CAPACITY_RPM: u32 = 120;

impl FaultProfile {
    /// The names [`FaultProfile::named`] accepts.
    pub const NAMES: [&'static str; 6] = [
        "none",
        "quiet",
        "default",
        "chaos",
        "unhealthy",
        "overloaded",
    ];

    /// AWS's timing with a control plane that never fails and describes that are never stale.
    pub fn none() -> Self {
        Self {
            name: "none".into(),
            api_latency: Span::ms(20, 120),
            throttle: 0.0,
            server_error: 0.0,
            timeout: 0.0,
            lost_response: 0.0,
            consistency_lag: Span::ms(0, 0),
            task_start: Span::secs(30, 90),
            ec2_task_start: Span::secs(5, 15),
            lb_provision: Span::secs(30, 90),
            dns_propagation: Span::secs(5, 60),
            metric_delay_ms: 0,
            never_healthy: false,
            sticky_clients: 0.05,
            sticky_hold_ms: 300_000,
            new_side_capacity_rpm: None,
        }
    }

    /// What a normal day on AWS looks like: occasional throttling and 5xx, a few seconds of
    /// describe lag, metrics published a minute late.
    pub fn default_profile() -> Self {
        Self {
            name: "default".into(),
            // About one call in a hundred meets a transient error: what a single client sees
            // on an account that is not under load. Chaos raises this tenfold.
            throttle: 0.005,
            server_error: 0.002,
            timeout: 0.001,
            lost_response: 0.002,
            consistency_lag: Span::ms(0, 3000),
            metric_delay_ms: 60_000,
            ..Self::none()
        }
    }

    /// The default profile's timing and describe lag, without control-plane errors: what the
    /// crash and rollback properties use, so that a violation there is about crashes and
    /// compensations, not about retries.
    pub fn quiet() -> Self {
        Self {
            name: "quiet".into(),
            throttle: 0.0,
            server_error: 0.0,
            timeout: 0.0,
            lost_response: 0.0,
            ..Self::default_profile()
        }
    }

    /// A bad day: frequent errors, lost answers, long describe lag, slow propagation, clients
    /// that hold answers for ten minutes.
    pub fn chaos() -> Self {
        Self {
            name: "chaos".into(),
            api_latency: Span::ms(50, 2000),
            throttle: 0.08,
            server_error: 0.04,
            timeout: 0.02,
            lost_response: 0.03,
            consistency_lag: Span::ms(0, 10_000),
            lb_provision: Span::secs(60, 180),
            dns_propagation: Span::secs(30, 180),
            metric_delay_ms: 120_000,
            sticky_clients: 0.15,
            sticky_hold_ms: 600_000,
            ..Self::none()
        }
    }

    /// The default profile with a new image that never becomes healthy.
    pub fn unhealthy() -> Self {
        Self {
            name: "unhealthy".into(),
            never_healthy: true,
            ..Self::default_profile()
        }
    }

    /// The default profile with a new side that serves a tenth of the demo's traffic per task
    /// and fails beyond it: healthy at the first steps of a ramp, failing once it takes most of
    /// the load. What the traffic guard is rehearsed against.
    pub fn overloaded() -> Self {
        Self {
            name: "overloaded".into(),
            new_side_capacity_rpm: Some(OVERLOADED_CAPACITY_RPM),
            ..Self::default_profile()
        }
    }

    /// No latency anywhere and no random faults: every call answers at once, tasks start and load
    /// balancers become active on the next tick, Route53 changes are in sync as soon as they are
    /// made, metrics are published without delay. What the engine's own tests use (with
    /// [`crate::TrafficConfig::none`]): their runs are deterministic and fast, and the only faults
    /// are the ones a test injects (crash points, throttled calls). Not among [`Self::NAMES`]: a
    /// rehearsal without latency would predict nothing. Health checks still take
    /// their intervals and thresholds, and instances still take a minute to boot: those are the
    /// account's rules, not its weather.
    pub fn instant() -> Self {
        Self {
            name: "instant".into(),
            api_latency: Span::ms(0, 0),
            task_start: Span::ms(0, 0),
            ec2_task_start: Span::ms(0, 0),
            lb_provision: Span::ms(0, 0),
            dns_propagation: Span::ms(0, 0),
            sticky_clients: 0.0,
            sticky_hold_ms: 0,
            ..Self::none()
        }
    }

    /// The profile called `name`.
    pub fn named(name: &str) -> Result<Self, SimError> {
        match name {
            "none" => Ok(Self::none()),
            "quiet" => Ok(Self::quiet()),
            "default" => Ok(Self::default_profile()),
            "chaos" => Ok(Self::chaos()),
            "unhealthy" => Ok(Self::unhealthy()),
            "overloaded" => Ok(Self::overloaded()),
            other => Err(SimError::UnknownProfile {
                name: other.to_string(),
                known: Self::NAMES.join(", "),
            }),
        }
    }

    /// True when any control-plane failure can be injected.
    pub fn injects_errors(&self) -> bool {
        self.throttle + self.server_error + self.timeout + self.lost_response > 0.0
    }
}

/// Where the orchestrator "crashes": the port call with this ordinal (counting from 1, among the
/// calls [`CrashPoint::counting`] names) answers [`migrate_engine::ports::ErrorKind::Interrupted`],
/// before or after the mutation it carries took effect. Before: the call changed nothing. After:
/// it changed the account and its answer was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CrashPoint {
    pub at_call: u64,
    pub after_effect: bool,
    pub counting: Counted,
}

/// Which port calls a [`CrashPoint`]'s ordinal counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Counted {
    /// Every call, reads included: what the seeded properties draw from.
    All,
    /// Only the calls that change the account: what the engine's tests enumerate, since a crash
    /// before or after a read is the same crash.
    Mutating,
}

impl CrashPoint {
    /// The `n`-th port call of any kind.
    pub const fn at_call(n: u64, after_effect: bool) -> Self {
        Self {
            at_call: n,
            after_effect,
            counting: Counted::All,
        }
    }

    /// The `n`-th call that changes the account.
    pub const fn at_mutating_call(n: u64, after_effect: bool) -> Self {
        Self {
            at_call: n,
            after_effect,
            counting: Counted::Mutating,
        }
    }
}

/// What the injector decided for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Proceed,
    Throttle,
    ServerError,
    /// Timed out; `applied` says whether the mutation happened anyway.
    Timeout {
        applied: bool,
    },
    LostResponse,
    Crash {
        after_effect: bool,
    },
}
