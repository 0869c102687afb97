//! The HTTP probe: a request through a load balancer, answered as the world would answer it.

use async_trait::async_trait;
use migrate_engine::ports::{CloudResult, ErrorKind, HttpProbe, ProbeRequest, TargetState};

use super::{err, Kind, SimCloud};
use crate::world::elb::Backend;

#[async_trait]
impl HttpProbe for SimCloud {
    async fn get(&self, request: &ProbeRequest) -> CloudResult<u16> {
        let op = "http:GET";
        self.call(op, &request.url, Kind::Read, |w| {
            let host = request
                .url
                .split("://")
                .nth(1)
                .unwrap_or(&request.url)
                .split(['/', ':'])
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            let Some(lb) = w
                .elb
                .load_balancers
                .values()
                .find(|l| !l.deleted && l.dns_name == host)
            else {
                return Err(err(
                    ErrorKind::Other,
                    op,
                    &request.url,
                    "could not resolve host",
                ));
            };
            if w.now < lb.active_at {
                return Err(err(
                    ErrorKind::Timeout,
                    op,
                    &request.url,
                    "connection timed out (load balancer provisioning)",
                ));
            }
            let Some(tg) = w
                .elb
                .front_tg_of(&lb.arn)
                .and_then(|a| w.elb.target_groups.get(&a))
            else {
                return Ok(503);
            };
            let registered: Vec<_> = tg
                .targets
                .values()
                .filter(|t| t.draining_until.is_none())
                .collect();
            let healthy: Vec<_> = registered
                .iter()
                .filter(|t| t.state == TargetState::Healthy)
                .collect();
            let pool: Vec<_> = if healthy.is_empty() {
                registered.iter().collect()
            } else {
                healthy
            };
            let Some(target) = pool.first() else {
                return Ok(503);
            };
            if target.serving {
                return Ok(200);
            }
            let app_broken = match &target.backend {
                Backend::Task(id) => w
                    .ecs
                    .tasks
                    .get(id)
                    .is_some_and(|t| t.running() && !t.app_ok),
                Backend::Instance(_) => false,
            };
            Ok(if app_broken { 500 } else { 502 })
        })
        .await
    }
}
