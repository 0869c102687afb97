//! The health gate: nothing irreversible happens before the new path is proven to serve
//! (invariant 5). Services steady, every target healthy, and HTTP through the new load balancer
//! answering the expected codes, several times in a row.

use async_trait::async_trait;

use super::{listener_probes, names, Outcome, Prepared, Reconciliation, Step, Undoing};
use crate::context::{Ctx, POLL};
use crate::error::StepError;
use crate::outputs::{HealthVerified, LoadBalancerCreated, TargetGroupCreated};
use crate::ports::TargetState;

/// Consecutive good probes required: one lucky answer from a task that is about to be replaced
/// proves little.
const PROBES_REQUIRED: u32 = 3;

/// `verify-health`.
pub struct VerifyHealth;

#[async_trait]
impl Step for VerifyHealth {
    type Output = HealthVerified;
    type Recorded = ();

    async fn prepare(&self, _: &Ctx<'_>) -> Result<Prepared<()>, StepError> {
        Ok(Prepared::new("verify the new path"))
    }

    async fn execute(&self, ctx: &Ctx<'_>, (): &()) -> Result<Outcome<HealthVerified>, StepError> {
        verify(ctx).await
    }

    fn reconciliation(&self) -> Reconciliation<'_, HealthVerified> {
        Reconciliation::IdempotentAsWhole
    }

    async fn compensate(
        &self,
        _: &Ctx<'_>,
        _: Undoing<HealthVerified, ()>,
    ) -> Result<(), StepError> {
        // Checking changes nothing; there is nothing to undo.
        Ok(())
    }
}

async fn verify(ctx: &Ctx<'_>) -> Result<Outcome<HealthVerified>, StepError> {
    let playbook = ctx.playbook();
    let names = &ctx.plan().names;
    let web_service = playbook.target.web();
    let web = super::load_balancer::effective_web(ctx)?;
    let target_group = ctx
        .optional_output::<TargetGroupCreated>()?
        .map(|tg| tg.arn);
    let lb_dns = ctx
        .optional_output::<LoadBalancerCreated>()?
        .map(|lb| lb.dns_name);
    let mut good_probes = 0;
    let mut last_problem = String::from("nothing checked yet");
    loop {
        let checked = match check_once(
            ctx,
            web_service
                .map(|s| super::overlap::start_count(ctx, &s.name, s.desired_count))
                .transpose()?,
            target_group.as_deref(),
        )
        .await
        {
            Ok(checked) => checked,
            // A throttled describe says nothing about health: the round is skipped, and the good
            // probes counted so far stand (under throttling, resetting them could keep the gate
            // from ever seeing enough in a row).
            Err(e) if e.is_transient() => {
                last_problem = format!("will ask again after: {e}");
                let problem = last_problem.clone();
                ctx.waiting(&last_problem, None);
                ctx.pause(POLL, move || {
                    format!("the new path never became healthy: {problem}")
                })
                .await?;
                continue;
            }
            Err(e) => return Err(e),
        };
        match checked {
            Some(problem) => {
                good_probes = 0;
                last_problem = problem;
            }
            None => match (&web, &lb_dns) {
                (Some(web), Some(dns)) => {
                    // Every listener the old load balancer had is probed; one wrong answer
                    // makes the round a bad one.
                    let mut problem = None;
                    let mut inconclusive = false;
                    for probe in listener_probes::probes(ctx, web, dns)? {
                        let judged = match ctx.cloud.probe.answer(&probe.request).await {
                            Ok(answer) => listener_probes::judge(
                                &probe,
                                web,
                                answer.status,
                                answer.location.as_deref(),
                            ),
                            // Throttled on the way: the round says nothing either way.
                            Err(e) if e.kind.is_transient() => {
                                inconclusive = true;
                                last_problem =
                                    format!("{} did not answer: {}", probe.request.url, e.message);
                                break;
                            }
                            Err(e) => Err(format!(
                                "{} did not answer: {}",
                                probe.request.url, e.message
                            )),
                        };
                        if let Err(why) = judged {
                            problem = Some(why);
                            break;
                        }
                    }
                    match (problem, inconclusive) {
                        (_, true) => {}
                        (None, false) => good_probes += 1,
                        (Some(why), false) => {
                            good_probes = 0;
                            last_problem = why;
                        }
                    }
                }
                _ => good_probes = PROBES_REQUIRED,
            },
        }
        if good_probes >= PROBES_REQUIRED {
            return Ok(Outcome::Done(HealthVerified {
                probes: good_probes,
                cluster: names.cluster.clone(),
            }));
        }
        let message = if good_probes > 0 {
            format!("{good_probes}/{PROBES_REQUIRED} good probes through the new load balancer")
        } else {
            last_problem.clone()
        };
        ctx.waiting(
            &message,
            Some(f64::from(good_probes) / f64::from(PROBES_REQUIRED)),
        );
        let problem = last_problem.clone();
        ctx.pause(POLL, move || {
            format!("the new path never became healthy: {problem}")
        })
        .await?;
    }
}

/// One look at the services and targets; `Some(problem)` says what is not ready yet.
async fn check_once(
    ctx: &Ctx<'_>,
    web_desired: Option<u32>,
    target_group: Option<&str>,
) -> Result<Option<String>, StepError> {
    let names = &ctx.plan().names;
    for service in &ctx.playbook().target.services {
        let name = names::service(names, &service.name)?;
        let Some(status) = ctx
            .cloud
            .containers
            .find_service(&names.cluster, name)
            .await?
        else {
            return Ok(Some(format!("service {name} is not visible yet")));
        };
        if !status.steady || status.running_count < status.desired_count {
            let mut problem = format!(
                "service {name}: {}/{} tasks running",
                status.running_count, status.desired_count
            );
            if let Some(reason) = status.stopped_reasons.first() {
                problem.push_str(&format!("; a task stopped: {reason}"));
            }
            return Ok(Some(problem));
        }
    }
    if let (Some(arn), Some(desired)) = (target_group, web_desired) {
        let targets = ctx.cloud.load_balancing.target_health(arn).await?;
        let healthy = targets
            .iter()
            .filter(|t| t.state == TargetState::Healthy)
            .count() as u32;
        if healthy < desired.max(1) {
            let reason = targets
                .iter()
                .find_map(|t| t.reason.clone())
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            return Ok(Some(format!(
                "{healthy}/{} targets healthy in the new target group{reason}",
                desired.max(1)
            )));
        }
    }
    Ok(None)
}
