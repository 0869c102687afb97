//! The ports: everything the engine asks of the cloud, in the engine's own terms.
//!
//! No type here mentions an SDK. The AWS adapter (`migrate-aws`) and the deterministic simulator
//! (`migrate-sim`) implement these traits, so the same steps run against real AWS, a simulated
//! account with live traffic, or (the simulator's instant profile) the engine's own tests.
//!
//! Conventions every implementation follows:
//! - A `find_*` method answers `Ok(None)` when the resource does not exist; it never errors for
//!   absence. Steps call them to reconcile before they create.
//! - A `delete_*` / `revoke_*` method answers `Err` with [`ErrorKind::NotFound`] when the resource is
//!   already gone; compensations treat that as success.
//! - A create that collides with an existing resource answers [`ErrorKind::AlreadyExists`], except
//!   where AWS itself is idempotent (ELB create with identical settings, ECS `CreateService` with the
//!   same `clientToken`, Route53 `UPSERT`), where the existing resource is returned.
//! - Every created resource carries the tags the spec names, set at creation time.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

mod account;
mod auto_scaling;
mod clock;
mod containers;
mod decommission;
mod dns;
mod environments;
mod instances;
mod load_balancer_behaviour;
mod load_balancing;
mod logs;
mod metrics;
mod network;
mod probe;
mod service_scaling;

pub use account::*;
pub use auto_scaling::*;
pub use clock::*;
pub use containers::*;
pub use decommission::*;
pub use dns::*;
pub use environments::*;
pub use instances::*;
pub use load_balancer_behaviour::*;
pub use load_balancing::*;
pub use logs::*;
pub use metrics::*;
pub use network::*;
pub use probe::*;
pub use service_scaling::*;

/// Tags set on a resource at creation: always `migrate:plan-id` and `migrate:step`, plus the
/// playbook's own.
pub type Tags = BTreeMap<String, String>;

/// The tag key that names the plan a resource was created by.
pub const TAG_PLAN_ID: &str = "migrate:plan-id";
/// The tag key that names the step a resource was created by.
pub const TAG_STEP: &str = "migrate:step";

pub type CloudResult<T> = Result<T, CloudError>;

/// What kind of failure a port call met; the retry policy and the compensations decide on this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// The resource does not exist.
    NotFound,
    /// A resource with this name exists already and differs from what was asked.
    AlreadyExists,
    /// The request was throttled (HTTP 429, `Throttling`, `RequestLimitExceeded`).
    Throttled,
    /// The service answered 5xx or was unavailable.
    ServerError,
    /// The call did not answer in time; it may or may not have taken effect.
    Timeout,
    /// The request was refused as invalid; retrying the same request cannot succeed.
    InvalidRequest,
    /// The caller lacks a permission.
    AccessDenied,
    /// An idempotency token was reused with different parameters.
    IdempotencyMismatch,
    /// The process running the engine stopped here (used by fault injection in tests and the
    /// simulator to model a crash: the engine must stop at once and write nothing more).
    Interrupted,
    /// Anything else.
    Other,
}

impl ErrorKind {
    /// Errors that a later identical request may not meet.
    pub fn is_transient(self) -> bool {
        matches!(self, Self::Throttled | Self::ServerError | Self::Timeout)
    }
}

/// A failed port call: which operation, on which resource, and what the cloud said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{operation} on {resource} failed ({kind:?}): {message}")]
pub struct CloudError {
    pub kind: ErrorKind,
    /// The API operation, e.g. `ecs:CreateService`.
    pub operation: String,
    /// The resource it was about, e.g. `service web in cluster shop-fargate`.
    pub resource: String,
    /// What the cloud said, without secrets.
    pub message: String,
}

impl CloudError {
    pub fn new(
        kind: ErrorKind,
        operation: impl Into<String>,
        resource: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            operation: operation.into(),
            resource: resource.into(),
            message: message.into(),
        }
    }

    pub fn not_found(operation: impl Into<String>, resource: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, operation, resource, "not found")
    }

    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }
}

/// All the ports one migration needs, cheap to clone.
#[derive(Clone)]
pub struct Cloud {
    pub account: Arc<dyn Account>,
    pub containers: Arc<dyn ContainerPlatform>,
    pub network: Arc<dyn Network>,
    pub load_balancing: Arc<dyn LoadBalancing>,
    /// Listener rules, certificates, attributes and WAF of load balancers.
    pub load_balancer_behaviour: Arc<dyn LoadBalancerBehaviourPort>,
    pub dns: Arc<dyn Dns>,
    pub metrics: Arc<dyn Metrics>,
    pub scaling: Arc<dyn AutoScaling>,
    pub service_scaling: Arc<dyn ServiceScaling>,
    pub environments: Arc<dyn Environments>,
    /// Plain EC2 instances of an `ec2` source.
    pub instances: Arc<dyn Instances>,
    pub logs: Arc<dyn Logs>,
    /// What `migrate cleanup` reads and deletes of the old side.
    pub decommission: Arc<dyn Decommission>,
    pub probe: Arc<dyn HttpProbe>,
    pub clock: Arc<dyn Clock>,
}

impl Cloud {
    /// The bundle for one account value that implements every port, as the in-memory fake and
    /// the simulator do.
    pub fn from_account<A>(account: Arc<A>, clock: Arc<dyn Clock>) -> Self
    where
        A: Account
            + ContainerPlatform
            + Network
            + LoadBalancing
            + LoadBalancerBehaviourPort
            + Dns
            + Metrics
            + AutoScaling
            + ServiceScaling
            + Environments
            + Instances
            + Logs
            + Decommission
            + HttpProbe
            + 'static,
    {
        Self {
            account: account.clone(),
            containers: account.clone(),
            network: account.clone(),
            load_balancing: account.clone(),
            load_balancer_behaviour: account.clone(),
            dns: account.clone(),
            metrics: account.clone(),
            scaling: account.clone(),
            service_scaling: account.clone(),
            environments: account.clone(),
            instances: account.clone(),
            logs: account.clone(),
            decommission: account.clone(),
            probe: account,
            clock,
        }
    }
}

impl fmt::Debug for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cloud { .. }")
    }
}
