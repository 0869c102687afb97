//! The health gate: nothing irreversible happens before the new path is proven to serve
//! (invariant 5). Services steady, every target healthy, and HTTP through the new load balancer
//! answering the expected codes, several times in a row.

use std::time::Duration;

use super::Outcome;
use crate::context::{Ctx, Outputs, POLL};
use crate::error::StepError;
use crate::ports::{ProbeRequest, TargetState};

/// Consecutive good probes required: one lucky answer from a task that is about to be replaced
/// proves little.
const PROBES_REQUIRED: u32 = 3;

pub async fn verify(ctx: &Ctx<'_>) -> Result<Outcome, StepError> {
    let playbook = ctx.playbook();
    let names = &ctx.plan().names;
    let web_service = playbook.target.web();
    let web = web_service.and_then(|s| s.web.clone());
    let target_group = ctx.optional_output("create-target-group", "arn");
    let lb_dns = ctx.optional_output("create-load-balancer", "dns_name");
    let mut good_probes = 0;
    let mut last_problem = String::from("nothing checked yet");
    loop {
        let checked = match check_once(
            ctx,
            web_service.map(|s| s.desired_count),
            target_group.as_deref(),
        )
        .await
        {
            Ok(checked) => checked,
            // A throttled describe says nothing about health; ask again at the next poll.
            Err(e) if e.is_transient() => Some(format!("will ask again after: {e}")),
            Err(e) => return Err(e),
        };
        match checked {
            Some(problem) => {
                good_probes = 0;
                last_problem = problem;
            }
            None => match (&web, &lb_dns) {
                (Some(web), Some(dns)) => {
                    let request = ProbeRequest {
                        url: format!("http://{dns}{}", web.health_check.path),
                        host_header: Some(playbook.cutover.record.clone()),
                        timeout: Duration::from_secs(5),
                    };
                    match ctx.cloud.probe.get(&request).await {
                        Ok(status) if web.health_check.accepts(status) => good_probes += 1,
                        Ok(status) => {
                            good_probes = 0;
                            last_problem = format!(
                                "{} answered HTTP {status}, expected {}",
                                request.url, web.health_check.codes
                            );
                        }
                        Err(e) => {
                            good_probes = 0;
                            last_problem = format!("{} did not answer: {}", request.url, e.message);
                        }
                    }
                }
                _ => good_probes = PROBES_REQUIRED,
            },
        }
        if good_probes >= PROBES_REQUIRED {
            let mut out = Outputs::new();
            out.insert("probes".into(), good_probes.to_string());
            out.insert("cluster".into(), names.cluster.clone());
            return Ok(Outcome::Done(out));
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
        let name = &names.services[&service.name];
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
