//! Listener rules, certificates, attributes and WAF associations of the simulated load
//! balancers, refused where ELB refuses: a rule priority in use (`PriorityInUse`), a rule without
//! a condition, a forward to a target group that does not exist, an HTTPS listener without a
//! certificate
//! (<https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateRule.html>,
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateListener.html>),
//! a forward weight outside 0–999
//! (<https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ForwardActionConfig.html>),
//! and a forward to a target group that another load balancer already forwards to
//! (`TargetGroupAssociationLimit`, among the errors of
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ModifyRule.html>):
//! moto accepts all of these.

use std::collections::BTreeMap;

use async_trait::async_trait;
use migrate_engine::ports::{
    CloudResult, ErrorKind, ExistingRule, HealthCheck, ListenerBehaviour, ListenerProtocol,
    ListenerRule, LoadBalancerBehaviour, LoadBalancerBehaviourPort, RuleAction, Tags,
};

use super::{err, Kind, SimCloud};
use crate::world::elb::{Elb, ListenerRec};
use crate::world::World;

fn protocol_of(listener: &ListenerBehaviour) -> Result<ListenerProtocol, String> {
    match listener.protocol.as_str() {
        "HTTP" => Ok(ListenerProtocol::Http),
        "HTTPS" => Ok(ListenerProtocol::Https),
        other => Err(format!(
            "ValidationError: protocol {other} is not one an ALB listener has"
        )),
    }
}

/// The checks CreateListener and ModifyListener make on what the listener is given.
fn check_listener(
    elb: &Elb,
    load_balancer_arn: &str,
    listener: &ListenerBehaviour,
) -> Result<ListenerProtocol, String> {
    let protocol = protocol_of(listener)?;
    if protocol == ListenerProtocol::Https && listener.default_certificate.is_none() {
        return Err("CertificateNotFound: an HTTPS listener needs a certificate".into());
    }
    if protocol == ListenerProtocol::Http && listener.ssl_policy.is_some() {
        return Err("ValidationError: an HTTP listener has no SSL policy".into());
    }
    check_actions(elb, load_balancer_arn, &listener.default_actions)?;
    Ok(protocol)
}

fn check_actions(elb: &Elb, load_balancer_arn: &str, actions: &[RuleAction]) -> Result<(), String> {
    if actions.is_empty() {
        return Err("ValidationError: at least one action is required".into());
    }
    for action in actions {
        match action {
            RuleAction::Forward { target_groups, .. } => {
                if let Some(missing) = target_groups
                    .iter()
                    .find(|t| !elb.target_groups.contains_key(&t.arn))
                {
                    return Err(format!("TargetGroupNotFound: {}", missing.arn));
                }
                if let Some(bad) = target_groups
                    .iter()
                    .find(|t| t.weight.is_some_and(|w| !(0..=999).contains(&w)))
                {
                    return Err(format!(
                        "ValidationError: weight {:?} of {} is outside 0-999",
                        bad.weight, bad.arn
                    ));
                }
                if let Some(shared) = target_groups.iter().find(|t| {
                    elb.lbs_of_tg(&t.arn)
                        .iter()
                        .any(|other| other != load_balancer_arn)
                }) {
                    return Err(format!(
                        "TargetGroupAssociationLimit: the target group {} is already associated \
                         with another load balancer",
                        shared.arn
                    ));
                }
            }
            RuleAction::AuthenticateOidc { .. } => {
                return Err(
                    "ValidationError: an authenticate-oidc action needs its client secret".into(),
                )
            }
            RuleAction::Unknown { kind } => {
                return Err(format!("ValidationError: unknown action type {kind}"))
            }
            _ => {}
        }
    }
    Ok(())
}

fn listener_mut<'w>(w: &'w mut World, op: &str, arn: &str) -> CloudResult<&'w mut ListenerRec> {
    w.elb
        .listeners
        .get_mut(arn)
        .ok_or_else(|| err(ErrorKind::NotFound, op, arn, "ListenerNotFound"))
}

fn behaviour_of(w: &World, load_balancer_arn: &str) -> Option<LoadBalancerBehaviour> {
    let lb = w
        .elb
        .load_balancers
        .get(load_balancer_arn)
        .filter(|l| !l.deleted && l.visible_at <= w.now)?;
    let mut listeners: Vec<ListenerBehaviour> = w
        .elb
        .listeners
        .values()
        .filter(|l| l.load_balancer_arn == load_balancer_arn)
        .map(|l| {
            let mut rules: Vec<ListenerRule> = l.rules.values().cloned().collect();
            rules.sort_by_key(|r| r.priority);
            ListenerBehaviour {
                port: l.port,
                protocol: match l.protocol {
                    ListenerProtocol::Http => "HTTP".into(),
                    ListenerProtocol::Https => "HTTPS".into(),
                },
                ssl_policy: l.ssl_policy.clone(),
                default_certificate: l.certificate_arn.clone(),
                sni_certificates: l.sni_certificates.clone(),
                default_actions: l.default_actions.clone(),
                rules,
            }
        })
        .collect();
    listeners.sort_by_key(|l| l.port);
    Some(LoadBalancerBehaviour {
        internal: lb.internal,
        ip_address_type: lb.ip_address_type.clone(),
        attributes: lb.attributes.clone(),
        listeners,
        web_acl_arn: lb.web_acl.clone(),
        target_group: None,
    })
}

#[async_trait]
impl LoadBalancerBehaviourPort for SimCloud {
    async fn read_behaviour(&self, load_balancer_arn: &str) -> CloudResult<LoadBalancerBehaviour> {
        let op = "elbv2:DescribeRules";
        self.call(op, load_balancer_arn, Kind::Read, |w| {
            behaviour_of(w, load_balancer_arn).ok_or_else(|| {
                err(
                    ErrorKind::NotFound,
                    op,
                    load_balancer_arn,
                    "LoadBalancerNotFound",
                )
            })
        })
        .await
    }

    async fn target_group_health_check(
        &self,
        target_group_arn: &str,
    ) -> CloudResult<Option<HealthCheck>> {
        let op = "elbv2:DescribeTargetGroups";
        self.call(op, target_group_arn, Kind::Read, |w| {
            let tg = w.elb.target_groups.get(target_group_arn).ok_or_else(|| {
                err(
                    ErrorKind::NotFound,
                    op,
                    target_group_arn,
                    "TargetGroupNotFound",
                )
            })?;
            Ok(Some(tg.health_check.clone()))
        })
        .await
    }

    async fn target_group_attributes(
        &self,
        target_group_arn: &str,
    ) -> CloudResult<BTreeMap<String, String>> {
        let op = "elbv2:DescribeTargetGroupAttributes";
        self.call(op, target_group_arn, Kind::Read, |w| {
            let tg = w.elb.target_groups.get(target_group_arn).ok_or_else(|| {
                err(
                    ErrorKind::NotFound,
                    op,
                    target_group_arn,
                    "TargetGroupNotFound",
                )
            })?;
            let mut attributes = tg.attributes.clone();
            attributes.insert(
                "deregistration_delay.timeout_seconds".into(),
                (tg.deregistration_delay_ms / 1000).to_string(),
            );
            Ok(attributes)
        })
        .await
    }

    async fn create_listener_like(
        &self,
        load_balancer_arn: &str,
        listener: &ListenerBehaviour,
        tags: &Tags,
    ) -> CloudResult<String> {
        let op = "elbv2:CreateListener";
        let resource = format!(
            "{}:{} on {load_balancer_arn}",
            listener.protocol, listener.port
        );
        self.call(op, &resource, Kind::Write, |w| {
            let protocol = check_listener(&w.elb, load_balancer_arn, listener)
                .map_err(|m| err(ErrorKind::InvalidRequest, op, &resource, m))?;
            let Some(lb) = w
                .elb
                .load_balancers
                .get(load_balancer_arn)
                .filter(|l| !l.deleted)
            else {
                return Err(err(
                    ErrorKind::NotFound,
                    op,
                    &resource,
                    "LoadBalancerNotFound",
                ));
            };
            let (lb_name, lb_hex) = (
                lb.name.clone(),
                lb.arn.rsplit('/').next().unwrap_or("").to_string(),
            );
            if let Some(existing) = w
                .elb
                .listeners
                .values()
                .find(|l| l.load_balancer_arn == load_balancer_arn && l.port == listener.port)
            {
                let same = existing.protocol == protocol
                    && existing.certificate_arn == listener.default_certificate
                    && existing.default_actions == listener.default_actions
                    && existing.ssl_policy == listener.ssl_policy;
                return if same {
                    Ok(existing.arn.clone())
                } else {
                    Err(err(
                        ErrorKind::AlreadyExists,
                        op,
                        &resource,
                        "DuplicateListener: a listener already exists on this port",
                    ))
                };
            }
            let hex = w.ids.hex16();
            let arn = w.arn(
                "elasticloadbalancing",
                &format!("listener/app/{lb_name}/{lb_hex}/{hex}"),
            );
            let mut rec = ListenerRec::forwarding(
                arn.clone(),
                load_balancer_arn.to_string(),
                listener.port,
                protocol,
                listener.default_certificate.clone(),
                String::new(),
                tags.clone(),
            );
            rec.set_default_actions(listener.default_actions.clone());
            rec.ssl_policy = listener.ssl_policy.clone();
            w.elb.listeners.insert(arn.clone(), rec);
            w.record_creation("listener", &format!("{lb_name}:{}", listener.port), &arn);
            Ok(arn)
        })
        .await
    }

    async fn modify_listener(
        &self,
        listener_arn: &str,
        listener: &ListenerBehaviour,
    ) -> CloudResult<()> {
        let op = "elbv2:ModifyListener";
        self.call(op, listener_arn, Kind::Write, |w| {
            let lb_arn = listener_mut(w, op, listener_arn)?.load_balancer_arn.clone();
            let protocol = check_listener(&w.elb, &lb_arn, listener)
                .map_err(|m| err(ErrorKind::InvalidRequest, op, listener_arn, m))?;
            let rec = listener_mut(w, op, listener_arn)?;
            rec.protocol = protocol;
            rec.certificate_arn = listener.default_certificate.clone();
            rec.ssl_policy = listener.ssl_policy.clone();
            rec.set_default_actions(listener.default_actions.clone());
            Ok(())
        })
        .await
    }

    async fn add_listener_certificates(
        &self,
        listener_arn: &str,
        certificate_arns: &[String],
    ) -> CloudResult<()> {
        let op = "elbv2:AddListenerCertificates";
        self.call(op, listener_arn, Kind::Write, |w| {
            let rec = listener_mut(w, op, listener_arn)?;
            if rec.protocol != ListenerProtocol::Https {
                return Err(err(
                    ErrorKind::InvalidRequest,
                    op,
                    listener_arn,
                    "ValidationError: only an HTTPS listener has certificates",
                ));
            }
            for arn in certificate_arns {
                if !rec.sni_certificates.contains(arn) {
                    rec.sni_certificates.push(arn.clone());
                }
            }
            Ok(())
        })
        .await
    }

    async fn rules(&self, listener_arn: &str) -> CloudResult<Vec<ExistingRule>> {
        let op = "elbv2:DescribeRules";
        self.call(op, listener_arn, Kind::Read, |w| {
            let rec =
                w.elb.listeners.get(listener_arn).ok_or_else(|| {
                    err(ErrorKind::NotFound, op, listener_arn, "ListenerNotFound")
                })?;
            let mut rules: Vec<ExistingRule> = rec
                .rules
                .iter()
                .map(|(arn, rule)| ExistingRule {
                    arn: arn.clone(),
                    rule: rule.clone(),
                })
                .collect();
            rules.sort_by_key(|r| r.rule.priority);
            Ok(rules)
        })
        .await
    }

    async fn create_rule(
        &self,
        listener_arn: &str,
        rule: &ListenerRule,
        _tags: &Tags,
    ) -> CloudResult<String> {
        let op = "elbv2:CreateRule";
        let resource = format!("rule {} on {listener_arn}", rule.priority);
        self.call(op, &resource, Kind::Write, |w| {
            if rule.conditions.is_empty() {
                return Err(err(
                    ErrorKind::InvalidRequest,
                    op,
                    &resource,
                    "ValidationError: a rule needs at least one condition",
                ));
            }
            let lb_arn = listener_mut(w, op, listener_arn)?.load_balancer_arn.clone();
            check_actions(&w.elb, &lb_arn, &rule.actions)
                .map_err(|m| err(ErrorKind::InvalidRequest, op, &resource, m))?;
            let hex = w.ids.hex16();
            let arn = listener_arn.replacen(":listener/", ":listener-rule/", 1) + "/" + &hex;
            let rec = listener_mut(w, op, listener_arn)?;
            if rec.rules.values().any(|r| r.priority == rule.priority) {
                return Err(err(
                    ErrorKind::InvalidRequest,
                    op,
                    &resource,
                    "PriorityInUse: the priority is in use",
                ));
            }
            rec.rules.insert(arn.clone(), rule.clone());
            Ok(arn)
        })
        .await
    }

    async fn delete_rule(&self, rule_arn: &str) -> CloudResult<()> {
        let op = "elbv2:DeleteRule";
        self.call(op, rule_arn, Kind::Write, |w| {
            for listener in w.elb.listeners.values_mut() {
                if listener.rules.remove(rule_arn).is_some() {
                    return Ok(());
                }
            }
            Err(err(ErrorKind::NotFound, op, rule_arn, "RuleNotFound"))
        })
        .await
    }

    async fn listener_default_actions(&self, listener_arn: &str) -> CloudResult<Vec<RuleAction>> {
        let op = "elbv2:DescribeListeners";
        self.call(op, listener_arn, Kind::Read, |w| {
            w.elb
                .listeners
                .get(listener_arn)
                .map(|l| l.default_actions.clone())
                .ok_or_else(|| err(ErrorKind::NotFound, op, listener_arn, "ListenerNotFound"))
        })
        .await
    }

    async fn set_listener_default_actions(
        &self,
        listener_arn: &str,
        actions: &[RuleAction],
    ) -> CloudResult<()> {
        let op = "elbv2:ModifyListener";
        self.call(op, listener_arn, Kind::Write, |w| {
            let lb_arn = listener_mut(w, op, listener_arn)?.load_balancer_arn.clone();
            check_actions(&w.elb, &lb_arn, actions)
                .map_err(|m| err(ErrorKind::InvalidRequest, op, listener_arn, m))?;
            listener_mut(w, op, listener_arn)?.set_default_actions(actions.to_vec());
            Ok(())
        })
        .await
    }

    async fn set_rule_actions(&self, rule_arn: &str, actions: &[RuleAction]) -> CloudResult<()> {
        let op = "elbv2:ModifyRule";
        self.call(op, rule_arn, Kind::Write, |w| {
            let Some(lb_arn) = w
                .elb
                .listeners
                .values()
                .find(|l| l.rules.contains_key(rule_arn))
                .map(|l| l.load_balancer_arn.clone())
            else {
                return Err(err(ErrorKind::NotFound, op, rule_arn, "RuleNotFound"));
            };
            check_actions(&w.elb, &lb_arn, actions)
                .map_err(|m| err(ErrorKind::InvalidRequest, op, rule_arn, m))?;
            if let Some(rule) = w
                .elb
                .listeners
                .values_mut()
                .find_map(|l| l.rules.get_mut(rule_arn))
            {
                rule.actions = actions.to_vec();
            }
            Ok(())
        })
        .await
    }

    async fn set_load_balancer_attributes(
        &self,
        load_balancer_arn: &str,
        attributes: &BTreeMap<String, String>,
    ) -> CloudResult<()> {
        let op = "elbv2:ModifyLoadBalancerAttributes";
        self.call(op, load_balancer_arn, Kind::Write, |w| {
            let lb = w
                .elb
                .load_balancers
                .get_mut(load_balancer_arn)
                .filter(|l| !l.deleted)
                .ok_or_else(|| {
                    err(
                        ErrorKind::NotFound,
                        op,
                        load_balancer_arn,
                        "LoadBalancerNotFound",
                    )
                })?;
            lb.attributes.extend(attributes.clone());
            Ok(())
        })
        .await
    }

    async fn set_target_group_attributes(
        &self,
        target_group_arn: &str,
        attributes: &BTreeMap<String, String>,
    ) -> CloudResult<()> {
        let op = "elbv2:ModifyTargetGroupAttributes";
        self.call(op, target_group_arn, Kind::Write, |w| {
            let tg = w
                .elb
                .target_groups
                .get_mut(target_group_arn)
                .ok_or_else(|| {
                    err(
                        ErrorKind::NotFound,
                        op,
                        target_group_arn,
                        "TargetGroupNotFound",
                    )
                })?;
            tg.attributes.extend(attributes.clone());
            Ok(())
        })
        .await
    }

    async fn associate_web_acl(&self, web_acl_arn: &str, resource_arn: &str) -> CloudResult<()> {
        let op = "wafv2:AssociateWebACL";
        self.call(op, resource_arn, Kind::Write, |w| {
            let lb = w
                .elb
                .load_balancers
                .get_mut(resource_arn)
                .filter(|l| !l.deleted)
                .ok_or_else(|| {
                    err(
                        ErrorKind::NotFound,
                        op,
                        resource_arn,
                        "WAFNonexistentItemException",
                    )
                })?;
            lb.web_acl = Some(web_acl_arn.to_string());
            Ok(())
        })
        .await
    }

    async fn disassociate_web_acl(&self, resource_arn: &str) -> CloudResult<()> {
        let op = "wafv2:DisassociateWebACL";
        self.call(op, resource_arn, Kind::Write, |w| {
            match w
                .elb
                .load_balancers
                .get_mut(resource_arn)
                .filter(|l| !l.deleted)
            {
                Some(lb) if lb.web_acl.is_some() => {
                    lb.web_acl = None;
                    Ok(())
                }
                _ => Err(err(
                    ErrorKind::NotFound,
                    op,
                    resource_arn,
                    "WAFNonexistentItemException",
                )),
            }
        })
        .await
    }
}
