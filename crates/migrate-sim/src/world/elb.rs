//! Application load balancers, target groups, listeners and target health.

use std::collections::BTreeMap;

use migrate_engine::ports::{
    HealthCheck, ListenerProtocol, LoadBalancer, Tags, TargetGroup, TargetHealth, TargetState,
};

use crate::clock::Millis;

#[derive(Debug, Clone)]
pub(crate) struct LbRec {
    pub arn: String,
    pub name: String,
    pub dns_name: String,
    pub zone_id: String,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub internal: bool,
    pub vpc_id: String,
    pub active_at: Millis,
    pub tags: Tags,
    pub visible_at: Millis,
    pub deleted: bool,
    /// True for the load balancer the old side already had.
    pub old_side: bool,
    pub ip_address_type: String,
    pub attributes: BTreeMap<String, String>,
    pub web_acl: Option<String>,
}

impl LbRec {
    pub fn to_port(&self, now: Millis) -> LoadBalancer {
        LoadBalancer {
            arn: self.arn.clone(),
            name: self.name.clone(),
            dns_name: self.dns_name.clone(),
            canonical_hosted_zone_id: self.zone_id.clone(),
            security_groups: self.security_groups.clone(),
            vpc_id: self.vpc_id.clone(),
            state: if now >= self.active_at {
                "active"
            } else {
                "provisioning"
            }
            .into(),
            ip_address_type: Some(self.ip_address_type.clone()),
        }
    }

    /// The `LoadBalancer` dimension CloudWatch uses: the ARN after `:loadbalancer/`.
    pub fn metric_dimension(&self) -> String {
        migrate_engine::ports::load_balancer_dimension(&self.arn)
    }
}

/// What answers behind a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Backend {
    Task(String),
    Instance(String),
}

#[derive(Debug, Clone)]
pub(crate) struct TargetRec {
    pub id: String,
    pub port: u16,
    pub backend: Backend,
    pub state: TargetState,
    pub ok_streak: u32,
    pub fail_streak: u32,
    pub next_check: Millis,
    /// Set while deregistering: the target leaves the group at this instant.
    pub draining_until: Option<Millis>,
    pub healthy_since: Option<Millis>,
    /// Recomputed every tick: would a request to this target succeed?
    pub serving: bool,
    /// Recomputed every tick: the application has no AWS credentials (a new task without a task
    /// role where the old side used an instance profile), so client requests fail while the
    /// health check, which calls nothing, passes.
    pub without_credentials: bool,
    /// Recomputed every tick: the application got no connection from a data store at its
    /// limit (`world::connections`), so client requests fail while the health check passes.
    pub without_connection: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct TgRec {
    pub arn: String,
    pub name: String,
    pub port: u16,
    pub target_type: String,
    pub vpc_id: String,
    pub health_check: HealthCheck,
    pub deregistration_delay_ms: Millis,
    pub tags: Tags,
    pub visible_at: Millis,
    pub targets: BTreeMap<(String, u16), TargetRec>,
    /// Round-robin cursor for request routing.
    pub cursor: usize,
    pub attributes: BTreeMap<String, String>,
    /// Created by the migration (the new and the bridge target group), not the old side's.
    pub new_side: bool,
}

impl TgRec {
    pub fn metric_dimension(&self) -> String {
        migrate_engine::ports::target_group_dimension(&self.arn)
    }

    pub fn health(&self) -> Vec<TargetHealth> {
        self.targets
            .values()
            .map(|t| TargetHealth {
                target_id: t.id.clone(),
                port: t.port,
                state: if t.draining_until.is_some() {
                    TargetState::Draining
                } else {
                    t.state
                },
                reason: match (t.draining_until.is_some(), t.state) {
                    (true, _) => Some("Target.DeregistrationInProgress".into()),
                    (false, TargetState::Unhealthy) => Some("Target.FailedHealthChecks".into()),
                    (false, TargetState::Initial) => Some("Elb.RegistrationInProgress".into()),
                    (false, TargetState::Unused) => Some("Target.NotInUse".into()),
                    _ => None,
                },
            })
            .collect()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ListenerRec {
    pub arn: String,
    pub load_balancer_arn: String,
    pub port: u16,
    pub protocol: ListenerProtocol,
    pub certificate_arn: Option<String>,
    /// The group the default action forwards to; empty when it does not forward.
    pub target_group_arn: String,
    pub default_actions: Vec<migrate_engine::ports::RuleAction>,
    pub ssl_policy: Option<String>,
    pub sni_certificates: Vec<String>,
    /// The rules but the default one, by rule ARN.
    pub rules: BTreeMap<String, migrate_engine::ports::ListenerRule>,
    pub tags: Tags,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Elb {
    pub load_balancers: BTreeMap<String, LbRec>,
    pub target_groups: BTreeMap<String, TgRec>,
    pub listeners: BTreeMap<String, ListenerRec>,
    /// The old load balancer's listeners as the topology made them, and its served target
    /// group: what every answer of the new load balancer is compared with.
    pub reference: Option<super::front_end::Reference>,
}

impl Elb {
    pub fn live_lb_by_name(&self, name: &str) -> Option<&LbRec> {
        self.load_balancers
            .values()
            .find(|l| !l.deleted && l.name == name)
    }

    pub fn tg_by_name(&self, name: &str) -> Option<&TgRec> {
        self.target_groups.values().find(|t| t.name == name)
    }

    /// Load balancers forwarding to the target group through a listener.
    pub fn lbs_of_tg(&self, tg_arn: &str) -> Vec<String> {
        let mut arns: Vec<String> = self
            .listeners
            .values()
            .filter(|l| l.forward_targets().iter().any(|t| t == tg_arn))
            .map(|l| l.load_balancer_arn.clone())
            .collect();
        arns.dedup();
        arns
    }

    pub fn tg_to_port(&self, tg: &TgRec) -> TargetGroup {
        TargetGroup {
            arn: tg.arn.clone(),
            name: tg.name.clone(),
            port: tg.port,
            target_type: tg.target_type.clone(),
            load_balancer_arns: self.lbs_of_tg(&tg.arn),
        }
    }

    /// The target group the load balancer's lowest listener that forwards by default forwards
    /// to (what a client's request meets).
    /// The port of the listener [`Elb::front_tg_of`] picks.
    pub fn front_port_of(&self, lb_arn: &str) -> Option<u16> {
        self.listeners
            .values()
            .filter(|l| l.load_balancer_arn == lb_arn && !l.target_group_arn.is_empty())
            .map(|l| l.port)
            .min()
    }

    /// The target group a request meets on the load balancer's lowest listener that forwards
    /// by default, its weights applied (`pick` uniform in `[0, 1)`, drawn per request).
    pub fn forward_of(&self, lb_arn: &str, pick: f64) -> Option<String> {
        let listener = self
            .listeners
            .values()
            .filter(|l| l.load_balancer_arn == lb_arn && !l.target_group_arn.is_empty())
            .min_by_key(|l| l.port)?;
        listener.default_actions.iter().find_map(|a| match a {
            migrate_engine::ports::RuleAction::Forward { target_groups, .. } => {
                super::listener_rules::weighted_pick(target_groups, pick)
            }
            _ => None,
        })
    }

    pub fn front_tg_of(&self, lb_arn: &str) -> Option<String> {
        self.listeners
            .values()
            .filter(|l| l.load_balancer_arn == lb_arn && !l.target_group_arn.is_empty())
            .min_by_key(|l| l.port)
            .map(|l| l.target_group_arn.clone())
    }
}
