//! The old load balancer's front end beyond plain forwards (an HTTP→HTTPS redirect, host and
//! path rules, authentication, SNI certificates, attributes, a WAF web ACL), and the reference
//! the new load balancer's answers are judged against.

use std::collections::BTreeMap;

use migrate_engine::ports::{ListenerProtocol, ListenerRule, RuleAction, WeightedTargetGroup};
use serde::Serialize;

use super::elb::Elb;
use super::listener_rules::{differs, ClientRequest, LbAnswer};

/// Stands for the old served target group in [`FrontEnd::rules`]; replaced by its ARN when the
/// world is built.
pub const OLD_TARGET_GROUP: &str = "old-target-group";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrontEnd {
    pub internal: bool,
    pub ip_address_type: String,
    /// Port 80 answers every request with a `301` to HTTPS on 443.
    pub http_redirects_to_https: bool,
    /// Rules of the HTTPS listener (of the HTTP one when there is no HTTPS listener).
    pub rules: Vec<ListenerRule>,
    pub sni_certificates: Vec<String>,
    pub ssl_policy: Option<String>,
    /// The names each certificate covers; a certificate not listed covers every name.
    pub certificate_names: BTreeMap<String, Vec<String>>,
    pub attributes: BTreeMap<String, String>,
    pub target_group_attributes: BTreeMap<String, String>,
    pub web_acl: Option<String>,
    /// What clients send: client `i` sends `requests[i % len]`.
    pub requests: Vec<ClientRequest>,
}

/// The old load balancer's answers as the topology made them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reference {
    pub load_balancer_arn: String,
    pub served_target_group: String,
    /// Every target group the old side had: a forward to any other is the new side's.
    pub old_target_groups: Vec<String>,
    pub elb: Box<Elb>,
}

fn with_served_group(actions: &[RuleAction], tg_arn: &str) -> Vec<RuleAction> {
    actions
        .iter()
        .map(|a| match a {
            RuleAction::Forward {
                target_groups,
                stickiness_secs,
            } => RuleAction::Forward {
                target_groups: target_groups
                    .iter()
                    .map(|t| WeightedTargetGroup {
                        arn: if t.arn == OLD_TARGET_GROUP {
                            tg_arn.to_string()
                        } else {
                            t.arn.clone()
                        },
                        weight: t.weight,
                    })
                    .collect(),
                stickiness_secs: *stickiness_secs,
            },
            other => other.clone(),
        })
        .collect()
}

/// Gives the old load balancer `front_end` and keeps the reference.
pub(crate) fn install(elb: &mut Elb, front_end: &FrontEnd, lb_arn: &str, tg_arn: &str) {
    if let Some(lb) = elb.load_balancers.get_mut(lb_arn) {
        lb.internal = front_end.internal;
        lb.ip_address_type = front_end.ip_address_type.clone();
        lb.attributes = front_end.attributes.clone();
        lb.web_acl = front_end.web_acl.clone();
    }
    if let Some(tg) = elb.target_groups.get_mut(tg_arn) {
        tg.attributes = front_end.target_group_attributes.clone();
    }
    let has_https = elb
        .listeners
        .values()
        .any(|l| l.load_balancer_arn == lb_arn && l.protocol == ListenerProtocol::Https);
    for listener in elb
        .listeners
        .values_mut()
        .filter(|l| l.load_balancer_arn == lb_arn)
    {
        let https = listener.protocol == ListenerProtocol::Https;
        if !https && has_https && front_end.http_redirects_to_https {
            listener.set_default_actions(vec![RuleAction::Redirect {
                protocol: Some("HTTPS".into()),
                port: Some("443".into()),
                host: Some("#{host}".into()),
                path: Some("/#{path}".into()),
                query: Some("#{query}".into()),
                status_code: "HTTP_301".into(),
            }]);
        }
        if https {
            listener.sni_certificates = front_end.sni_certificates.clone();
            listener.ssl_policy = front_end.ssl_policy.clone();
        }
        if https == has_https {
            for rule in &front_end.rules {
                let arn = format!(
                    "{}/rule-{}",
                    listener.arn.replacen(":listener/", ":listener-rule/", 1),
                    rule.priority
                );
                listener.rules.insert(
                    arn,
                    ListenerRule {
                        actions: with_served_group(&rule.actions, tg_arn),
                        ..rule.clone()
                    },
                );
            }
        }
    }
    let reference = Elb {
        listeners: elb
            .listeners
            .iter()
            .filter(|(_, l)| l.load_balancer_arn == lb_arn)
            .map(|(k, l)| (k.clone(), l.clone()))
            .collect(),
        ..Elb::default()
    };
    elb.reference = Some(Reference {
        load_balancer_arn: lb_arn.to_string(),
        served_target_group: tg_arn.to_string(),
        old_target_groups: elb.target_groups.keys().cloned().collect(),
        elb: Box::new(reference),
    });
}

impl Elb {
    /// What a request of client `client` meets on the load balancer `lb_arn`: the target group
    /// it is forwarded to, or its final answer when it is not forwarded. `Err` when the load
    /// balancer does not answer it as the old one did.
    pub(crate) fn front_end_route(
        &self,
        front_end: &FrontEnd,
        lb_arn: &str,
        client: u32,
        pick: f64,
    ) -> Result<Option<String>, &'static str> {
        let Some(reference) = &self.reference else {
            return Ok(self.forward_of(lb_arn, pick));
        };
        if front_end.requests.is_empty() {
            return Ok(self.forward_of(lb_arn, pick));
        }
        let request = &front_end.requests[client as usize % front_end.requests.len()];
        let answers = self.answers(lb_arn, request, &front_end.certificate_names, pick);
        if lb_arn != reference.load_balancer_arn {
            let expected = reference.elb.answers(
                &reference.load_balancer_arn,
                request,
                &front_end.certificate_names,
                pick,
            );
            let is_new_side = |arn: &str| !reference.old_target_groups.iter().any(|a| a == arn);
            if differs(
                &expected,
                &answers,
                &reference.served_target_group,
                is_new_side,
            )
            .is_some()
            {
                return Err("the new load balancer did not answer as the old one");
            }
        }
        match answers.last() {
            Some(LbAnswer::Forward(tg)) => Ok(Some(tg.clone())),
            Some(LbAnswer::NoListener) | None => Err("no listener on the request's port"),
            Some(LbAnswer::WrongCertificate) => {
                Err("TLS: no certificate of the listener covers the host")
            }
            // A redirect loop, a fixed response, a sign-in page: answered by the load balancer.
            Some(_) => Ok(None),
        }
    }
}
