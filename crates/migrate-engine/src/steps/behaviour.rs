//! `copy-load-balancer-behaviour`: the new load balancer gets the old one's listeners (default
//! actions, rules in priority order, SSL policy, default and SNI certificates), attributes, the
//! old target group's attributes and the WAF web ACL, with forwards to the old target group sent
//! to the new one.
//!
//! The step converges: each part is compared with what the new load balancer has and written
//! only where it differs, so an interrupted attempt is simply run again and finds what it made.

use std::collections::BTreeMap;

use async_trait::async_trait;
use migrate_plan::behaviour::{
    copy_listeners, ListenerBehaviour, ATTRIBUTES_NOT_COPIED, TARGET_GROUP_ATTRIBUTES_COPIED,
};
use migrate_playbook::HttpsCertificate;

use super::{ignore_not_found, Outcome, Prepared, Reconciliation, Step, Undoing};
use crate::context::Ctx;
use crate::error::StepError;
use crate::outputs::{
    read, BehaviourCopied, ListenerCreated, LoadBalancerCreated, SourceDiscovered,
    TargetGroupCreated,
};

/// The steps that create listeners of their own; their compensations delete them.
const LISTENER_STEPS: [&str; 2] = ["create-listener:http", "create-listener:https"];

pub struct CopyLoadBalancerBehaviour;

#[async_trait]
impl Step for CopyLoadBalancerBehaviour {
    type Output = BehaviourCopied;
    type Recorded = ();

    async fn prepare(&self, _: &Ctx<'_>) -> Result<Prepared<()>, StepError> {
        Ok(Prepared::new(
            "give the new load balancer the old one's listeners, rules, certificates and attributes",
        ))
    }

    async fn execute(&self, ctx: &Ctx<'_>, (): &()) -> Result<Outcome<BehaviourCopied>, StepError> {
        let discovered = ctx.output::<SourceDiscovered>()?;
        let Some(old) = discovered.behaviour else {
            return Ok(Outcome::Skipped(
                "discover-source recorded no behaviour of the old load balancer (a state written \
                 before it was read); run the plan again to copy it"
                    .into(),
            ));
        };
        let lb = ctx.output::<LoadBalancerCreated>()?;
        let tg = ctx.output::<TargetGroupCreated>()?;
        let settings = &ctx.playbook().target.load_balancer;
        let wanted = copy_listeners(&old, &settings.acknowledge, &tg.arn).map_err(|problems| {
            StepError::precondition(format!(
                "the new load balancer cannot behave as the old one: {}; acknowledge each part \
                 in target.load_balancer.acknowledge to go without it",
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            ))
        })?;
        let mut copied = BehaviourCopied {
            left_out: settings.acknowledge.clone(),
            ..BehaviourCopied::default()
        };
        let cloud = ctx.cloud;
        let existing = ctx.call(|| cloud.load_balancing.listeners(&lb.arn)).await?;
        for listener in wanted {
            let listener = with_playbook_certificate(ctx, listener);
            if listener.protocol == "HTTPS" && settings.https_certificate == HttpsCertificate::None
            {
                copied.left_out.push(format!(
                    "{} (HTTPS is off in the playbook)",
                    listener.name()
                ));
                continue;
            }
            let arn = match existing.iter().find(|l| l.port == listener.port) {
                Some(found) => {
                    ctx.call(|| {
                        cloud
                            .load_balancer_behaviour
                            .modify_listener(&found.arn, &listener)
                    })
                    .await?;
                    found.arn.clone()
                }
                None => {
                    let tags = ctx.tags();
                    let arn = ctx
                        .call(|| {
                            cloud
                                .load_balancer_behaviour
                                .create_listener_like(&lb.arn, &listener, &tags)
                        })
                        .await?;
                    copied.listeners_created.push(arn.clone());
                    arn
                }
            };
            if !listener.sni_certificates.is_empty() {
                ctx.call(|| {
                    cloud
                        .load_balancer_behaviour
                        .add_listener_certificates(&arn, &listener.sni_certificates)
                })
                .await?;
            }
            copied.rules_created += converge_rules(ctx, &arn, &listener).await?;
            copied.listeners.push(listener.name());
        }
        // Listeners that the old load balancer did not have but an earlier attempt created are
        // not possible: every created one is in `wanted`.

        let attributes: BTreeMap<String, String> = old
            .attributes
            .iter()
            .filter(|(k, _)| !ATTRIBUTES_NOT_COPIED.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !attributes.is_empty() {
            ctx.call(|| {
                cloud
                    .load_balancer_behaviour
                    .set_load_balancer_attributes(&lb.arn, &attributes)
            })
            .await?;
        }
        if let Some(old_tg) = &old.target_group {
            let attributes: BTreeMap<String, String> = old_tg
                .attributes
                .iter()
                .filter(|(k, _)| TARGET_GROUP_ATTRIBUTES_COPIED.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if !attributes.is_empty() {
                ctx.call(|| {
                    cloud
                        .load_balancer_behaviour
                        .set_target_group_attributes(&tg.arn, &attributes)
                })
                .await?;
            }
        }
        if let Some(acl) = &old.web_acl_arn {
            ctx.call(|| {
                cloud
                    .load_balancer_behaviour
                    .associate_web_acl(acl, &lb.arn)
            })
            .await?;
            copied.web_acl = Some(acl.clone());
        }
        Ok(Outcome::Done(copied))
    }

    fn reconciliation(&self) -> Reconciliation<'_, BehaviourCopied> {
        Reconciliation::IdempotentAsWhole
    }

    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        _: Undoing<BehaviourCopied, ()>,
    ) -> Result<(), StepError> {
        // Work from the account rather than the outputs: an interrupted attempt records none,
        // yet may have created listeners and rules.
        let Some(lb) = ctx.optional_output::<LoadBalancerCreated>()? else {
            return Ok(());
        };
        let cloud = ctx.cloud;
        ignore_not_found(
            cloud
                .load_balancer_behaviour
                .disassociate_web_acl(&lb.arn)
                .await,
        )?;
        let owned: Vec<String> = LISTENER_STEPS
            .iter()
            .filter_map(|step| read::<ListenerCreated>(ctx.state, step).transpose())
            .map(|listener| listener.map(|l| l.arn))
            .collect::<Result<_, _>>()?;
        let listeners = match cloud.load_balancing.listeners(&lb.arn).await {
            Err(e) if e.is_not_found() => return Ok(()),
            other => other?,
        };
        for listener in listeners {
            if owned.contains(&listener.arn) {
                // Its own step deletes it; the rules go with it, but are removed here so that
                // the listener is back to what its step made.
                let rules = match cloud.load_balancer_behaviour.rules(&listener.arn).await {
                    Err(e) if e.is_not_found() => continue,
                    other => other?,
                };
                for rule in rules {
                    ignore_not_found(cloud.load_balancer_behaviour.delete_rule(&rule.arn).await)?;
                }
            } else {
                ignore_not_found(cloud.load_balancing.delete_listener(&listener.arn).await)?;
            }
        }
        Ok(())
    }
}

/// The default certificate of the port-443 listener is the playbook's when it names one: the
/// `create-listener:https` step made the listener with it.
fn with_playbook_certificate(ctx: &Ctx<'_>, mut listener: ListenerBehaviour) -> ListenerBehaviour {
    if let HttpsCertificate::Arn(arn) = &ctx.playbook().target.load_balancer.https_certificate {
        if listener.protocol == "HTTPS" && listener.port == 443 {
            listener.default_certificate = Some(arn.clone());
        }
    }
    listener
}

/// Makes the listener's rules the wanted ones: a rule at a priority that differs is replaced, a
/// missing one created, one the old listener does not have deleted. Returns how many it created.
async fn converge_rules(
    ctx: &Ctx<'_>,
    listener_arn: &str,
    listener: &ListenerBehaviour,
) -> Result<u32, StepError> {
    let cloud = ctx.cloud;
    let existing = ctx
        .call(|| cloud.load_balancer_behaviour.rules(listener_arn))
        .await?;
    for found in &existing {
        if !listener.rules.contains(&found.rule) {
            ignore_not_found(cloud.load_balancer_behaviour.delete_rule(&found.arn).await)?;
        }
    }
    let mut created = 0;
    for rule in &listener.rules {
        if existing.iter().any(|f| f.rule == *rule) {
            continue;
        }
        let tags = ctx.tags();
        ctx.call(|| {
            cloud
                .load_balancer_behaviour
                .create_rule(listener_arn, rule, &tags)
        })
        .await?;
        created += 1;
    }
    Ok(created)
}

/// Reads the old load balancer's behaviour and which of its target groups the old side serves
/// from, with that group's attributes (for `discover-source` and the plan's snapshot).
pub(crate) async fn read_old_behaviour(
    ctx: &Ctx<'_>,
    load_balancer_arn: &str,
) -> Result<migrate_plan::behaviour::LoadBalancerBehaviour, StepError> {
    let cloud = ctx.cloud;
    let mut behaviour = ctx
        .call(|| {
            cloud
                .load_balancer_behaviour
                .read_behaviour(load_balancer_arn)
        })
        .await?;
    if let Some(arn) = migrate_plan::behaviour::served_target_group(&behaviour.listeners) {
        let attributes = ctx
            .call(|| cloud.load_balancer_behaviour.target_group_attributes(&arn))
            .await?;
        let health_check = ctx
            .call(|| {
                cloud
                    .load_balancer_behaviour
                    .target_group_health_check(&arn)
            })
            .await?;
        behaviour.target_group = Some(migrate_plan::behaviour::TargetGroupBehaviour {
            arn,
            attributes,
            health_check,
        });
    }
    Ok(behaviour)
}

/// One line per listener part a reviewer should see copied: redirects, fixed responses,
/// authentication and every rule, e.g. `HTTPS:443 rule 10: host-header admin.example.com →
/// forward`.
pub(crate) fn describe_rules(
    behaviour: &migrate_plan::behaviour::LoadBalancerBehaviour,
) -> Vec<String> {
    use migrate_plan::behaviour::RuleAction;
    let actions = |actions: &[RuleAction]| {
        actions
            .iter()
            .map(|a| match a {
                RuleAction::Forward { target_groups, .. } if target_groups.len() > 1 => {
                    "weighted forward".to_string()
                }
                RuleAction::Forward { .. } => "forward".to_string(),
                RuleAction::Redirect {
                    protocol,
                    port,
                    status_code,
                    ..
                } => format!(
                    "redirect {status_code} to {}:{}",
                    protocol.as_deref().unwrap_or("#{protocol}"),
                    port.as_deref().unwrap_or("#{port}")
                ),
                RuleAction::FixedResponse { status_code, .. } => {
                    format!("fixed response {status_code}")
                }
                RuleAction::AuthenticateCognito { .. } => "authenticate-cognito".to_string(),
                RuleAction::AuthenticateOidc { .. } => "authenticate-oidc".to_string(),
                RuleAction::Unknown { kind } => kind.clone(),
            })
            .collect::<Vec<_>>()
            .join(", then ")
    };
    let mut lines = Vec::new();
    for listener in &behaviour.listeners {
        let only_forward = listener.rules.is_empty()
            && matches!(
                listener.default_actions.as_slice(),
                [RuleAction::Forward { .. }]
            );
        if !only_forward {
            lines.push(format!(
                "{} default: {}",
                listener.name(),
                actions(&listener.default_actions)
            ));
        }
        for rule in &listener.rules {
            let conditions = rule
                .conditions
                .iter()
                .map(|c| format!("{} {}", c.field, c.values.join(",")))
                .collect::<Vec<_>>()
                .join(" and ");
            lines.push(format!(
                "{} rule {}: {conditions} → {}",
                listener.name(),
                rule.priority,
                actions(&rule.actions)
            ));
        }
    }
    lines
}
