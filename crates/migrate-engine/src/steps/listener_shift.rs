//! The `listener` strategy's ramp: traffic moves on the old load balancer itself, where no DNS
//! cache can hold a client back. Every forward of its listeners (default actions and rules) to
//! the old served target group becomes a weighted forward to that group and the bridge target
//! group, and the bridge's weight ramps to 100.
//!
//! AWS behaviours relied on:
//! - a forward action may name several target groups with weights from 0 to 999
//!   (<https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ForwardActionConfig.html>);
//! - `ModifyRule` and `ModifyListener` replace the properties they are given and keep the rest, a
//!   list (the actions) being replaced whole
//!   (<https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ModifyRule.html>,
//!   <https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ModifyListener.html>),
//!   so each change writes the complete action list, derived from the recorded original;
//! - a target group that no listener forwards to has its targets `unused` and is not health
//!   checked; referenced (even with weight 0) it is, and the bridge is given traffic only once
//!   its targets are healthy
//!   (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html>).
//!
//! `create-bridge-target-group` records the listeners' actions before it attaches the bridge at
//! weight 0 (ECS refuses a service whose target group no load balancer forwards to); every ramp
//! step is derived from that recording, and every ramp step's compensation goes straight back to
//! weight 0, so a rollback returns all traffic to the old side in one change per listener and
//! rule instead of walking the ramp down through the new side. The bridge step's own
//! compensation then writes the recorded actions back exactly.

use std::time::Duration;

use async_trait::async_trait;
use migrate_plan::behaviour::{RuleAction, WeightedTargetGroup};

use super::{guard, Outcome, Prepared, Reconciliation, Step, Undoing};
use crate::context::{Ctx, POLL};
use crate::error::StepError;
use crate::outputs::{
    BridgeTargetGroupCreated, ListenerActions, ListenerActionsOf, ListenerShifted, RuleActionsOf,
    SourceDiscovered, StepOutput,
};
use crate::ports::TargetState;

/// `shift-listener:<weight>`.
pub struct ShiftListenerWeight {
    /// The bridge target group's share, in percent.
    pub weight: u8,
    pub bake_secs: u64,
}

/// The old served target group: the one whose forwards the ramp shares with the bridge.
pub(super) fn served_group(ctx: &Ctx<'_>) -> Result<String, StepError> {
    let discovered = ctx.output::<SourceDiscovered>()?;
    if let Some(tg) = discovered.behaviour.and_then(|b| b.target_group) {
        return Ok(tg.arn);
    }
    match discovered.target_groups.as_slice() {
        [only] => Ok(only.clone()),
        _ => Err(StepError::precondition(
            "discover-source recorded no single served target group of the old load balancer; \
             the listener ramp does not know which forwards to share",
        )),
    }
}

/// Every listener of the old load balancer with its default actions and rules, as they are.
pub(super) async fn read_actions(ctx: &Ctx<'_>) -> Result<ListenerActions, StepError> {
    let old_lb = ctx.output::<SourceDiscovered>()?.load_balancer.arn;
    let mut listeners = Vec::new();
    for listener in ctx
        .call(|| ctx.cloud.load_balancing.listeners(&old_lb))
        .await?
    {
        let default_actions = ctx
            .call(|| {
                ctx.cloud
                    .load_balancer_behaviour
                    .listener_default_actions(&listener.arn)
            })
            .await?;
        let rules = ctx
            .call(|| ctx.cloud.load_balancer_behaviour.rules(&listener.arn))
            .await?
            .into_iter()
            .map(|r| RuleActionsOf {
                rule_arn: r.arn,
                actions: r.rule.actions,
            })
            .collect();
        listeners.push(ListenerActionsOf {
            listener_arn: listener.arn,
            default_actions,
            rules,
        });
    }
    Ok(ListenerActions { listeners })
}

/// The old load balancer's actions as `create-bridge-target-group` recorded them before it
/// attached the bridge: the listeners as they were before the migration touched them.
pub(super) fn original(ctx: &Ctx<'_>) -> Result<ListenerActions, StepError> {
    let step = BridgeTargetGroupCreated::STEP;
    let intent = ctx
        .record(step)
        .and_then(|r| r.intent.as_ref())
        .ok_or_else(|| {
            StepError::precondition(format!(
                "step {step} recorded no listener actions; the state is inconsistent"
            ))
        })?;
    crate::outputs::from_json(step, "the values its intent recorded", &intent.recorded)
}

/// `actions` with every forward to `served` alone shared with `bridge`: `weight` percent to the
/// bridge. Forwards to other groups, and weighted forwards someone else set up, are left as they
/// are: they are not the traffic this migration moves.
fn shared(actions: &[RuleAction], served: &str, bridge: &str, weight: u8) -> Vec<RuleAction> {
    actions
        .iter()
        .map(|action| match action {
            RuleAction::Forward {
                target_groups,
                stickiness_secs,
            } if target_groups.len() == 1 && target_groups[0].arn == served => {
                RuleAction::Forward {
                    target_groups: vec![
                        WeightedTargetGroup {
                            arn: served.to_string(),
                            weight: Some(i32::from(100 - weight.min(100))),
                        },
                        WeightedTargetGroup {
                            arn: bridge.to_string(),
                            weight: Some(i32::from(weight.min(100))),
                        },
                    ],
                    stickiness_secs: *stickiness_secs,
                }
            }
            other => other.clone(),
        })
        .collect()
}

/// What the listeners should be: the original with every forward shared at `weight`.
pub(super) fn desired(
    original: &ListenerActions,
    served: &str,
    bridge: &str,
    weight: u8,
) -> ListenerActions {
    ListenerActions {
        listeners: original
            .listeners
            .iter()
            .map(|l| ListenerActionsOf {
                listener_arn: l.listener_arn.clone(),
                default_actions: shared(&l.default_actions, served, bridge, weight),
                rules: l
                    .rules
                    .iter()
                    .map(|r| RuleActionsOf {
                        rule_arn: r.rule_arn.clone(),
                        actions: shared(&r.actions, served, bridge, weight),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// How many default actions and rules `desired` changes from `original`.
fn forwards_changed(original: &ListenerActions, desired: &ListenerActions) -> u32 {
    let mut n = 0;
    for (o, d) in original.listeners.iter().zip(&desired.listeners) {
        n += u32::from(o.default_actions != d.default_actions);
        for (or, dr) in o.rules.iter().zip(&d.rules) {
            n += u32::from(or.actions != dr.actions);
        }
    }
    n
}

/// Writes `wanted` where the listeners differ from it; a listener or rule deleted since it was
/// recorded is skipped (there is nothing left to send traffic through it).
pub(super) async fn converge(ctx: &Ctx<'_>, wanted: &ListenerActions) -> Result<(), StepError> {
    let now = read_actions(ctx).await?;
    for listener in &wanted.listeners {
        let Some(current) = now
            .listeners
            .iter()
            .find(|l| l.listener_arn == listener.listener_arn)
        else {
            continue;
        };
        if current.default_actions != listener.default_actions {
            let result = ctx
                .cloud
                .load_balancer_behaviour
                .set_listener_default_actions(&listener.listener_arn, &listener.default_actions)
                .await;
            super::ignore_not_found(result)?;
        }
        for rule in &listener.rules {
            let Some(existing) = current.rules.iter().find(|r| r.rule_arn == rule.rule_arn) else {
                continue;
            };
            if existing.actions != rule.actions {
                let result = ctx
                    .cloud
                    .load_balancer_behaviour
                    .set_rule_actions(&rule.rule_arn, &rule.actions)
                    .await;
                super::ignore_not_found(result)?;
            }
        }
    }
    Ok(())
}

/// Waits until every registered target of the bridge target group is healthy (and there is at
/// least one): only then may it take a share of the old load balancer's requests.
async fn wait_bridge_healthy(ctx: &Ctx<'_>, bridge: &str) -> Result<(), StepError> {
    loop {
        let health = ctx
            .tolerate(ctx.cloud.load_balancing.target_health(bridge).await)?
            .unwrap_or_default();
        let healthy = health
            .iter()
            .filter(|t| t.state == TargetState::Healthy)
            .count();
        let waiting = health
            .iter()
            .filter(|t| matches!(t.state, TargetState::Initial | TargetState::Unused))
            .count();
        if healthy > 0 && waiting == 0 {
            return Ok(());
        }
        ctx.waiting(
            &format!(
                "waiting for the bridge target group's targets to pass the old load balancer's \
                 health checks ({healthy} healthy, {waiting} not checked yet)"
            ),
            None,
        );
        ctx.pause(POLL, || {
            format!(
                "the bridge target group never had every target healthy behind the old load \
                 balancer ({healthy} healthy, {waiting} not checked yet)"
            )
        })
        .await?;
    }
}

#[async_trait]
impl Step for ShiftListenerWeight {
    type Output = ListenerShifted;
    type Recorded = ();

    async fn prepare(&self, _: &Ctx<'_>) -> Result<Prepared<()>, StepError> {
        Ok(Prepared::new(format!(
            "share the old load balancer's forwards, {}% to the bridge target group",
            self.weight
        )))
    }

    async fn execute(&self, ctx: &Ctx<'_>, (): &()) -> Result<Outcome<ListenerShifted>, StepError> {
        let original = original(ctx)?;
        let served = served_group(ctx)?;
        let bridge = ctx.output::<BridgeTargetGroupCreated>()?.arn;
        let wanted = desired(&original, &served, &bridge, self.weight);
        let forwards = forwards_changed(&original, &wanted);
        if forwards == 0 {
            return Err(StepError::precondition(format!(
                "no listener default action or rule of the old load balancer forwards to the \
                 served target group {served} alone; the listener strategy has nothing to shift"
            )));
        }
        wait_bridge_healthy(ctx, &bridge).await?;
        converge(ctx, &wanted).await?;
        if self.weight < 100 {
            guard::bake(
                ctx,
                Duration::from_secs(self.bake_secs),
                &format!(
                    "the new side with {}% of the old load balancer's traffic",
                    self.weight
                ),
            )
            .await?;
        }
        Ok(Outcome::Done(ListenerShifted {
            weight: self.weight,
            forwards,
            at: ctx.now(),
        }))
    }

    fn reconciliation(&self) -> Reconciliation<'_, ListenerShifted> {
        Reconciliation::IdempotentAsWhole
    }

    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        undoing: Undoing<ListenerShifted, ()>,
    ) -> Result<(), StepError> {
        if undoing.recorded.is_none() {
            return Ok(());
        }
        // Back to weight 0, not to the step before: the whole ramp goes back in one change per
        // listener and rule. The bridge stays attached until its own step is undone.
        let original = original(ctx)?;
        let served = served_group(ctx)?;
        let bridge = ctx.output::<BridgeTargetGroupCreated>()?.arn;
        let attached = desired(&original, &served, &bridge, 0);
        if read_actions(ctx).await? == attached {
            return Ok(());
        }
        // The old side takes the traffic back: it must be able to serve it first.
        super::dns::wait_old_side_healthy(ctx).await?;
        converge(ctx, &attached).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forward(groups: &[(&str, Option<i32>)]) -> RuleAction {
        RuleAction::Forward {
            target_groups: groups
                .iter()
                .map(|(arn, weight)| WeightedTargetGroup {
                    arn: (*arn).into(),
                    weight: *weight,
                })
                .collect(),
            stickiness_secs: None,
        }
    }

    #[test]
    fn only_forwards_to_the_served_group_alone_are_shared() {
        let redirect = RuleAction::FixedResponse {
            status_code: "404".into(),
            content_type: None,
            message_body: None,
        };
        let actions = vec![
            forward(&[("old", None)]),
            forward(&[("other", None)]),
            forward(&[("old", Some(5)), ("canary", Some(1))]),
            redirect.clone(),
        ];
        let out = shared(&actions, "old", "bridge", 10);
        assert_eq!(out[0], forward(&[("old", Some(90)), ("bridge", Some(10))]));
        assert_eq!(out[1..], actions[1..]);
    }

    #[test]
    fn the_last_step_leaves_the_old_group_attached_at_weight_zero() {
        let out = shared(&[forward(&[("old", None)])], "old", "bridge", 100);
        assert_eq!(out[0], forward(&[("old", Some(0)), ("bridge", Some(100))]));
    }
}
