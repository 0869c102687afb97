//! The old load balancer's behaviour as discovery reads it, and what of it the new load balancer
//! can be given.
//!
//! ALB behaviour lives in its listeners (port, protocol, default actions, SSL policy,
//! certificates) and their rules, evaluated in priority order
//! (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-rules.html>),
//! in its attributes
//! (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#load-balancer-attributes>)
//! and in its target groups' attributes
//! (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html>).
//! The plan checks the copy when it has read the account, and the step that makes it checks
//! again from what `discover-source` recorded, so an offline plan cannot skip the check.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Everything of the old load balancer the new one is to behave like.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadBalancerBehaviour {
    /// Scheme `internal` (false: `internet-facing`).
    pub internal: bool,
    /// `ipv4`, `dualstack` or `dualstack-without-public-ipv4`.
    pub ip_address_type: String,
    /// `DescribeLoadBalancerAttributes`, as key → value.
    pub attributes: BTreeMap<String, String>,
    /// In port order.
    pub listeners: Vec<ListenerBehaviour>,
    /// The WAF web ACL associated with the load balancer (`wafv2:GetWebACLForResource`).
    pub web_acl_arn: Option<String>,
    /// The target group whose traffic the new service takes over, and its attributes.
    pub target_group: Option<TargetGroupBehaviour>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetGroupBehaviour {
    pub arn: String,
    /// `DescribeTargetGroupAttributes`, as key → value.
    pub attributes: BTreeMap<String, String>,
    /// Its health check (`DescribeTargetGroups`); states recorded before it was read have none.
    #[serde(default)]
    pub health_check: Option<HealthCheck>,
}

/// A target group's health check as ELB describes it: what the new target group copies when the
/// playbook names none. The port (the traffic port) and protocol (HTTP to the task) are the new
/// target group's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    pub path: String,
    /// Success codes as ELB writes them: `200`, `200,302`, `200-299`.
    pub matcher: String,
    pub interval_secs: u32,
    pub timeout_secs: u32,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenerBehaviour {
    pub port: u16,
    /// `HTTP` or `HTTPS`.
    pub protocol: String,
    /// The security policy of an HTTPS listener, e.g. `ELBSecurityPolicy-TLS13-1-2-2021-06`
    /// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html>).
    pub ssl_policy: Option<String>,
    pub default_certificate: Option<String>,
    /// The other certificates of the listener, which ALB picks by SNI
    /// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/https-listener-certificates.html>).
    pub sni_certificates: Vec<String>,
    pub default_actions: Vec<RuleAction>,
    /// Every rule but the default one, in priority order.
    pub rules: Vec<ListenerRule>,
}

impl ListenerBehaviour {
    /// How the plan and the playbook name the listener: `HTTPS:443`.
    pub fn name(&self) -> String {
        format!("{}:{}", self.protocol, self.port)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenerRule {
    pub priority: u32,
    pub conditions: Vec<RuleCondition>,
    pub actions: Vec<RuleAction>,
}

/// One rule condition
/// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html>):
/// `host-header`, `path-pattern`, `http-header` (with its header name), `http-request-method`,
/// `query-string` (values as `key=value`, or `value` for any key) or `source-ip`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleCondition {
    pub field: String,
    pub http_header_name: Option<String>,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightedTargetGroup {
    pub arn: String,
    pub weight: Option<i32>,
}

/// One action of a rule or a listener's default
/// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html#rule-action-types>).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum RuleAction {
    /// A forward to one target group or, weighted, to several.
    Forward {
        target_groups: Vec<WeightedTargetGroup>,
        /// Target group stickiness of a weighted forward, in seconds; `None`: off.
        stickiness_secs: Option<i32>,
    },
    /// `#{protocol}`, `#{host}`, ... are kept as ELB wrote them.
    Redirect {
        protocol: Option<String>,
        port: Option<String>,
        host: Option<String>,
        path: Option<String>,
        query: Option<String>,
        /// `HTTP_301` or `HTTP_302`.
        status_code: String,
    },
    FixedResponse {
        status_code: String,
        content_type: Option<String>,
        message_body: Option<String>,
    },
    /// Needs no secret: the user pool client is named, so it can be copied
    /// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-authenticate-users.html>).
    AuthenticateCognito {
        user_pool_arn: String,
        user_pool_client_id: String,
        user_pool_domain: String,
        session_cookie_name: Option<String>,
        scope: Option<String>,
        session_timeout: Option<i64>,
        on_unauthenticated_request: Option<String>,
        extra_params: BTreeMap<String, String>,
    },
    /// ELB never returns the client secret, and creating the action needs it: not copyable.
    AuthenticateOidc { issuer: String, client_id: String },
    /// An action type this tool does not know.
    Unknown { kind: String },
}

impl RuleAction {
    fn is_redirect(&self) -> bool {
        matches!(self, RuleAction::Redirect { .. })
    }
}

/// A part of the old behaviour that cannot be copied, by the name the playbook acknowledges it
/// with (`HTTPS:443 rule 10`, `HTTP:80 default`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uncopyable {
    pub name: String,
    pub reason: String,
}

impl std::fmt::Display for Uncopyable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.name, self.reason)
    }
}

/// The listeners the new load balancer gets: each old one, its forwards to the replaced target
/// group sent to `new_target_group`, without the parts the playbook acknowledged. A part that
/// cannot be copied and is not acknowledged is returned as an error, all of them at once.
pub fn copy_listeners(
    behaviour: &LoadBalancerBehaviour,
    acknowledged: &[String],
    new_target_group: &str,
) -> Result<Vec<ListenerBehaviour>, Vec<Uncopyable>> {
    let replaced = behaviour.target_group.as_ref().map(|t| t.arn.as_str());
    let mut problems = Vec::new();
    let mut listeners = Vec::new();
    for old in &behaviour.listeners {
        let default_name = format!("{} default", old.name());
        let default_actions = match copy_actions(&old.default_actions, replaced, new_target_group) {
            Ok(actions) => Some(actions),
            Err(reason) if acknowledged.contains(&default_name) => {
                let _ = reason;
                None
            }
            Err(reason) => {
                problems.push(Uncopyable {
                    name: default_name,
                    reason,
                });
                None
            }
        };
        let mut rules = Vec::new();
        for rule in &old.rules {
            let name = format!("{} rule {}", old.name(), rule.priority);
            match copy_actions(&rule.actions, replaced, new_target_group) {
                Ok(actions) => rules.push(ListenerRule {
                    priority: rule.priority,
                    conditions: rule.conditions.clone(),
                    actions,
                }),
                Err(_) if acknowledged.contains(&name) => {}
                Err(reason) => problems.push(Uncopyable { name, reason }),
            }
        }
        // A listener cannot exist without a default action; one whose default was acknowledged
        // as not copyable is left out with its rules.
        if let Some(default_actions) = default_actions {
            listeners.push(ListenerBehaviour {
                default_actions,
                rules,
                ..old.clone()
            });
        }
    }
    if problems.is_empty() {
        Ok(listeners)
    } else {
        Err(problems)
    }
}

fn copy_actions(
    actions: &[RuleAction],
    replaced: Option<&str>,
    new_target_group: &str,
) -> Result<Vec<RuleAction>, String> {
    actions
        .iter()
        .map(|action| match action {
            RuleAction::Forward {
                target_groups,
                stickiness_secs,
            } => {
                let mut rewritten = Vec::new();
                for group in target_groups {
                    if Some(group.arn.as_str()) != replaced {
                        return Err(format!(
                            "forwards to the target group {}, which the migration does not replace",
                            group.arn
                        ));
                    }
                    rewritten.push(WeightedTargetGroup {
                        arn: new_target_group.to_string(),
                        weight: group.weight,
                    });
                }
                Ok(RuleAction::Forward {
                    target_groups: rewritten,
                    stickiness_secs: *stickiness_secs,
                })
            }
            RuleAction::AuthenticateOidc { issuer, .. } => Err(format!(
                "authenticates with OIDC ({issuer}); ELB does not return the client secret, so \
                 the action cannot be recreated"
            )),
            RuleAction::Unknown { kind } => Err(format!(
                "has an action of type {kind}, which migrate cannot copy"
            )),
            other => Ok(other.clone()),
        })
        .collect()
}

/// The target group the old side serves from: the one the default actions forward to, HTTPS
/// listeners first (port 80 usually only redirects), else the first forward of any rule.
pub fn served_target_group(listeners: &[ListenerBehaviour]) -> Option<String> {
    let first_forward = |actions: &[RuleAction]| {
        actions.iter().find_map(|a| match a {
            RuleAction::Forward { target_groups, .. } => {
                target_groups.first().map(|t| t.arn.clone())
            }
            _ => None,
        })
    };
    let mut ordered: Vec<&ListenerBehaviour> = listeners.iter().collect();
    ordered.sort_by_key(|l| (l.protocol != "HTTPS", l.port));
    ordered
        .iter()
        .find_map(|l| first_forward(&l.default_actions))
        .or_else(|| {
            ordered
                .iter()
                .flat_map(|l| l.rules.iter())
                .find_map(|r| first_forward(&r.actions))
        })
}

/// Whether the listener answers every request with a redirect (the HTTP→HTTPS listener).
pub fn redirects_everything(listener: &ListenerBehaviour) -> bool {
    listener.rules.is_empty() && listener.default_actions.iter().any(RuleAction::is_redirect)
}

/// Load balancer attributes that are not copied: deletion protection would make the rollback's
/// `DeleteLoadBalancer` fail
/// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#deletion-protection>).
pub const ATTRIBUTES_NOT_COPIED: &[&str] = &["deletion_protection.enabled"];

/// Target group attributes copied to the new target group. The deregistration delay is not
/// among them: the playbook sets it (`target.load_balancer.deregistration_delay`).
pub const TARGET_GROUP_ATTRIBUTES_COPIED: &[&str] = &[
    "stickiness.enabled",
    "stickiness.type",
    "stickiness.lb_cookie.duration_seconds",
    "stickiness.app_cookie.cookie_name",
    "stickiness.app_cookie.duration_seconds",
    "slow_start.duration_seconds",
    "load_balancing.algorithm.type",
    "load_balancing.cross_zone.enabled",
];

#[cfg(test)]
mod tests {
    use super::*;

    const OLD_TG: &str = "arn:aws:elasticloadbalancing:r:1:targetgroup/old/1";
    const OTHER_TG: &str = "arn:aws:elasticloadbalancing:r:1:targetgroup/admin/2";

    fn forward(arn: &str) -> RuleAction {
        RuleAction::Forward {
            target_groups: vec![WeightedTargetGroup {
                arn: arn.into(),
                weight: None,
            }],
            stickiness_secs: None,
        }
    }

    fn behaviour(rule_actions: Vec<RuleAction>) -> LoadBalancerBehaviour {
        LoadBalancerBehaviour {
            internal: true,
            ip_address_type: "dualstack".into(),
            listeners: vec![
                ListenerBehaviour {
                    port: 80,
                    protocol: "HTTP".into(),
                    ssl_policy: None,
                    default_certificate: None,
                    sni_certificates: vec![],
                    default_actions: vec![RuleAction::Redirect {
                        protocol: Some("HTTPS".into()),
                        port: Some("443".into()),
                        host: None,
                        path: None,
                        query: None,
                        status_code: "HTTP_301".into(),
                    }],
                    rules: vec![],
                },
                ListenerBehaviour {
                    port: 443,
                    protocol: "HTTPS".into(),
                    ssl_policy: Some("ELBSecurityPolicy-TLS13-1-2-2021-06".into()),
                    default_certificate: Some("arn:cert".into()),
                    sni_certificates: vec!["arn:sni".into()],
                    default_actions: vec![forward(OLD_TG)],
                    rules: vec![ListenerRule {
                        priority: 10,
                        conditions: vec![RuleCondition {
                            field: "host-header".into(),
                            http_header_name: None,
                            values: vec!["admin.example.com".into()],
                        }],
                        actions: rule_actions,
                    }],
                },
            ],
            target_group: Some(TargetGroupBehaviour {
                arn: OLD_TG.into(),
                attributes: BTreeMap::new(),
                health_check: None,
            }),
            ..LoadBalancerBehaviour::default()
        }
    }

    #[test]
    fn forwards_to_the_replaced_group_go_to_the_new_one_and_the_rest_is_kept() {
        let old = behaviour(vec![forward(OLD_TG)]);
        assert_eq!(served_target_group(&old.listeners).as_deref(), Some(OLD_TG));
        let copied = copy_listeners(&old, &[], "NEW").unwrap();
        assert_eq!(copied.len(), 2);
        assert_eq!(copied[0].default_actions, old.listeners[0].default_actions);
        assert_eq!(copied[1].default_actions, vec![forward("NEW")]);
        assert_eq!(copied[1].rules[0].actions, vec![forward("NEW")]);
        assert_eq!(
            copied[1].rules[0].conditions,
            old.listeners[1].rules[0].conditions
        );
        assert_eq!(copied[1].sni_certificates, vec!["arn:sni".to_string()]);
        assert!(redirects_everything(&copied[0]));
    }

    #[test]
    fn a_forward_to_another_group_or_oidc_is_named_unless_acknowledged() {
        let old = behaviour(vec![forward(OTHER_TG)]);
        let problems = copy_listeners(&old, &[], "NEW").unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].name, "HTTPS:443 rule 10");
        assert!(problems[0].reason.contains(OTHER_TG), "{}", problems[0]);
        let copied = copy_listeners(&old, &["HTTPS:443 rule 10".into()], "NEW").unwrap();
        assert!(copied[1].rules.is_empty());

        let oidc = behaviour(vec![
            RuleAction::AuthenticateOidc {
                issuer: "https://idp.example.com".into(),
                client_id: "c".into(),
            },
            forward(OLD_TG),
        ]);
        let problems = copy_listeners(&oidc, &[], "NEW").unwrap_err();
        assert!(
            problems[0].reason.contains("client secret"),
            "{}",
            problems[0]
        );
    }
}
