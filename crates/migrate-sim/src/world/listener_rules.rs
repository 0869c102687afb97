//! What an ALB answers a request with: the listener on the request's port, its certificate for
//! the request's host (SNI), its rules in priority order, then its default actions.
//!
//! Modelled after the ELB documentation:
//! - rules are evaluated from the lowest priority value to the highest, the default rule last
//!   (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-rules.html>);
//! - `host-header` and `path-pattern` conditions match case-insensitively for hosts, with `*`
//!   and `?` wildcards; a rule matches when every condition does
//!   (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html>);
//! - a redirect answers `HTTP_301`/`HTTP_302` with a `Location` built from the request, the
//!   components it leaves out kept (`#{host}`, `#{port}`, ...)
//!   (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html#redirect-actions>);
//! - an `authenticate-*` action sends an unauthenticated client to its identity provider before
//!   any later action
//!   (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-authenticate-users.html>);
//! - an HTTPS listener presents the certificate whose names cover the SNI host, its default one
//!   when none does
//!   (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/https-listener-certificates.html>).
//!
//! Only `host-header` and `path-pattern` conditions are evaluated: the simulated clients send a
//! host and a path and nothing else, so any other condition never matches one of them.

use std::collections::BTreeMap;

use migrate_engine::ports::{ListenerRule, RuleAction, Tags, WeightedTargetGroup};
use serde::Serialize;

use super::elb::{Elb, ListenerRec};

/// What a simulated client sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientRequest {
    pub https: bool,
    pub host: String,
    pub path: String,
}

impl ClientRequest {
    pub fn port(&self) -> u16 {
        if self.https {
            443
        } else {
            80
        }
    }
}

/// One answer of a load balancer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LbAnswer {
    Forward(String),
    /// A redirect, with the request it sends the client on to.
    Redirect(ClientRequest),
    Fixed(String),
    /// Sent to the identity provider (its user pool or issuer).
    Authenticate(String),
    NoListener,
    /// No certificate of the listener covers the host: the client refuses the connection.
    WrongCertificate,
}

impl ListenerRec {
    /// A listener that forwards everything to one target group, as `CreateListener` makes it.
    #[allow(clippy::too_many_arguments)]
    pub fn forwarding(
        arn: String,
        load_balancer_arn: String,
        port: u16,
        protocol: migrate_engine::ports::ListenerProtocol,
        certificate_arn: Option<String>,
        target_group_arn: String,
        tags: Tags,
    ) -> Self {
        Self {
            arn,
            load_balancer_arn,
            port,
            protocol,
            certificate_arn,
            default_actions: vec![RuleAction::Forward {
                target_groups: vec![WeightedTargetGroup {
                    arn: target_group_arn.clone(),
                    weight: None,
                }],
                stickiness_secs: None,
            }],
            target_group_arn,
            ssl_policy: None,
            sni_certificates: Vec::new(),
            rules: BTreeMap::new(),
            tags,
        }
    }

    /// Every target group the listener forwards to, by its default actions or a rule.
    pub fn forward_targets(&self) -> Vec<String> {
        self.default_actions
            .iter()
            .chain(self.rules.values().flat_map(|r| r.actions.iter()))
            .filter_map(|a| match a {
                RuleAction::Forward { target_groups, .. } => Some(target_groups),
                _ => None,
            })
            .flatten()
            .map(|t| t.arn.clone())
            .collect()
    }

    /// Sets the default actions, keeping `target_group_arn` (what the older parts of the
    /// simulator read) on the default forward's group, or empty when the default does not
    /// forward.
    pub fn set_default_actions(&mut self, actions: Vec<RuleAction>) {
        self.target_group_arn = actions
            .iter()
            .find_map(|a| match a {
                RuleAction::Forward { target_groups, .. } => {
                    target_groups.first().map(|t| t.arn.clone())
                }
                _ => None,
            })
            .unwrap_or_default();
        self.default_actions = actions;
    }

    fn rules_in_order(&self) -> Vec<&ListenerRule> {
        let mut rules: Vec<&ListenerRule> = self.rules.values().collect();
        rules.sort_by_key(|r| r.priority);
        rules
    }
}

/// `*` any run of characters, `?` one character.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn matches(rule: &ListenerRule, request: &ClientRequest) -> bool {
    rule.conditions.iter().all(|c| match c.field.as_str() {
        "host-header" => c
            .values
            .iter()
            .any(|v| glob(&v.to_ascii_lowercase(), &request.host.to_ascii_lowercase())),
        "path-pattern" => c.values.iter().any(|v| glob(v, &request.path)),
        _ => false,
    })
}

/// The target group a weighted forward sends a request to: `pick` (uniform in `[0, 1)`, drawn
/// per request) falls into one group's share of the total weight; a group without a weight
/// weighs 1, and a group of weight 0 gets nothing
/// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetGroupTuple.html>).
pub fn weighted_pick(target_groups: &[WeightedTargetGroup], pick: f64) -> Option<String> {
    let weight = |t: &WeightedTargetGroup| f64::from(t.weight.unwrap_or(1).max(0));
    let total: f64 = target_groups.iter().map(weight).sum();
    if total <= 0.0 {
        return target_groups.first().map(|t| t.arn.clone());
    }
    let mut point = pick.clamp(0.0, 0.999_999) * total;
    for t in target_groups {
        let w = weight(t);
        if w > 0.0 && point < w {
            return Some(t.arn.clone());
        }
        point -= w;
    }
    target_groups
        .iter()
        .rev()
        .find(|t| weight(t) > 0.0)
        .map(|t| t.arn.clone())
}

fn act(actions: &[RuleAction], request: &ClientRequest, pick: f64) -> LbAnswer {
    let Some(action) = actions.first() else {
        return LbAnswer::Fixed("503".into());
    };
    {
        match action {
            RuleAction::Forward { target_groups, .. } => weighted_pick(target_groups, pick)
                .map_or(LbAnswer::Fixed("503".into()), LbAnswer::Forward),
            RuleAction::Redirect {
                protocol,
                port,
                host,
                path,
                ..
            } => {
                let https = match protocol.as_deref() {
                    Some("HTTPS") => true,
                    Some("HTTP") => false,
                    _ => request.https,
                };
                let keep = |v: &Option<String>, token: &str| {
                    v.as_deref().filter(|v| *v != token).map(str::to_string)
                };
                let explicit_port = keep(port, "#{port}").and_then(|p| p.parse::<u16>().ok());
                let default_port = if https { 443 } else { 80 };
                // The simulated listeners are on 80 and 443 only: a redirect to another port
                // lands on no listener.
                if explicit_port.is_some_and(|p| p != default_port) {
                    return LbAnswer::NoListener;
                }
                LbAnswer::Redirect(ClientRequest {
                    https,
                    host: keep(host, "#{host}").unwrap_or_else(|| request.host.clone()),
                    path: keep(path, "/#{path}").unwrap_or_else(|| request.path.clone()),
                })
            }
            RuleAction::FixedResponse { status_code, .. } => LbAnswer::Fixed(status_code.clone()),
            RuleAction::AuthenticateCognito { user_pool_arn, .. } => {
                LbAnswer::Authenticate(user_pool_arn.clone())
            }
            RuleAction::AuthenticateOidc { issuer, .. } => LbAnswer::Authenticate(issuer.clone()),
            RuleAction::Unknown { kind } => LbAnswer::Fixed(format!("unknown action {kind}")),
        }
    }
}

/// One listener of an old load balancer: its default actions and its rules' actions by ARN.
pub type ListenerActionsSeen = (String, Vec<RuleAction>, Vec<(String, Vec<RuleAction>)>);

impl Elb {
    /// The actions of every listener of the old side's load balancers, in ARN order.
    pub fn old_listener_actions(&self) -> Vec<ListenerActionsSeen> {
        self.listeners
            .values()
            .filter(|l| {
                self.load_balancers
                    .get(&l.load_balancer_arn)
                    .is_some_and(|lb| lb.old_side && !lb.deleted)
            })
            .map(|l| {
                (
                    l.arn.clone(),
                    l.default_actions.clone(),
                    l.rules
                        .iter()
                        .map(|(arn, r)| (arn.clone(), r.actions.clone()))
                        .collect(),
                )
            })
            .collect()
    }

    /// The answer of one load balancer to one request (no redirect followed).
    pub fn answer(
        &self,
        load_balancer_arn: &str,
        request: &ClientRequest,
        certificate_names: &BTreeMap<String, Vec<String>>,
        pick: f64,
    ) -> LbAnswer {
        let Some(listener) = self
            .listeners
            .values()
            .find(|l| l.load_balancer_arn == load_balancer_arn && l.port == request.port())
        else {
            return LbAnswer::NoListener;
        };
        if request.https {
            let covers = |arn: &String| {
                certificate_names
                    .get(arn)
                    .is_none_or(|names| names.iter().any(|n| glob(n, &request.host)))
            };
            let presented = listener
                .sni_certificates
                .iter()
                .find(|c| covers(c))
                .or(listener.certificate_arn.as_ref());
            if !presented.is_some_and(covers) {
                return LbAnswer::WrongCertificate;
            }
        }
        match listener
            .rules_in_order()
            .into_iter()
            .find(|r| matches(r, request))
        {
            Some(rule) => act(&rule.actions, request, pick),
            None => act(&listener.default_actions, request, pick),
        }
    }

    /// The answers a client meets, following up to three redirects on the same load balancer
    /// (the names a redirect sends to reach the same one here).
    pub fn answers(
        &self,
        load_balancer_arn: &str,
        request: &ClientRequest,
        certificate_names: &BTreeMap<String, Vec<String>>,
        pick: f64,
    ) -> Vec<LbAnswer> {
        let mut out = Vec::new();
        let mut request = request.clone();
        for _ in 0..4 {
            let answer = self.answer(load_balancer_arn, &request, certificate_names, pick);
            let next = match &answer {
                LbAnswer::Redirect(next) => Some(next.clone()),
                _ => None,
            };
            out.push(answer);
            match next {
                Some(next) => request = next,
                None => break,
            }
        }
        out
    }
}

/// Whether the new load balancer answered as the old one: the same redirects, the same final
/// kind of answer, and a forward to the old served group answered by a forward to a new-side
/// group. `None` when it did; else why not.
pub fn differs(
    old: &[LbAnswer],
    new: &[LbAnswer],
    old_served_group: &str,
    is_new_side_group: impl Fn(&str) -> bool,
) -> Option<String> {
    if old.len() != new.len() {
        return Some(match (old.first(), new.first()) {
            (Some(LbAnswer::Redirect(to)), _) => format!(
                "the old load balancer redirected to {}://{}, the new one did not",
                if to.https { "https" } else { "http" },
                to.host
            ),
            (_, Some(LbAnswer::Redirect(_))) => {
                "the new load balancer redirected where the old one did not".into()
            }
            _ => "the new load balancer answered differently".into(),
        });
    }
    for (o, n) in old.iter().zip(new) {
        let same = match (o, n) {
            (LbAnswer::Forward(a), LbAnswer::Forward(b)) => {
                a == b || (a == old_served_group && is_new_side_group(b))
            }
            (a, b) => a == b,
        };
        if !same {
            return Some(format!(
                "the old load balancer answered {o:?}, the new one {n:?}"
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn wildcards_match_as_elb_documents_them() {
        assert!(glob("*.example.com", "www.example.com"));
        assert!(!glob("*.example.com", "example.com"));
        assert!(glob("/admin*", "/admin/users"));
        assert!(glob("/a?c", "/abc"));
        assert!(!glob("/admin*", "/"));
    }
}
