//! The HTTP probe: a request through a load balancer, answered as the world would answer it:
//! the listener on the URL's port, its certificate for the SNI name, its rules and default
//! actions (see `world::listener_rules`), then a target of the group it forwards to.

use async_trait::async_trait;
use migrate_engine::ports::{
    CloudResult, ErrorKind, HttpProbe, ProbeAnswer, ProbeRequest, TargetState,
};

use super::{err, Kind, SimCloud};
use crate::world::elb::Backend;
use crate::world::listener_rules::{ClientRequest, LbAnswer};
use crate::world::World;

/// Scheme, host, port and path of a probe URL.
fn parts(url: &str) -> (bool, String, Option<u16>, String) {
    let (https, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (scheme.eq_ignore_ascii_case("https"), rest),
        None => (false, url),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().ok()),
        None => (authority, None),
    };
    (https, host.to_ascii_lowercase(), port, path)
}

fn answer_in(w: &World, request: &ProbeRequest) -> CloudResult<ProbeAnswer> {
    let op = "http:GET";
    let fail = |kind, message: &str| err(kind, op, &request.url, message.to_string());
    let (https, host, port, path) = parts(&request.url);
    let Some(lb) = w
        .elb
        .load_balancers
        .values()
        .find(|l| !l.deleted && l.dns_name == host)
    else {
        return Err(fail(ErrorKind::Other, "could not resolve host"));
    };
    if w.now < lb.active_at {
        return Err(fail(
            ErrorKind::Timeout,
            "connection timed out (load balancer provisioning)",
        ));
    }
    let default_port = if https { 443 } else { 80 };
    if port.is_some_and(|p| p != default_port) {
        return Err(fail(
            ErrorKind::ServerError,
            "connection refused (no listener)",
        ));
    }
    // The probe is a client like any other: a group that admits none drops its connection.
    if !w.ec2.admits_clients(&lb.security_groups, default_port) {
        return Err(fail(
            ErrorKind::Timeout,
            "connection timed out (the load balancer's security groups admit no client on the port)",
        ));
    }
    let client_request = ClientRequest {
        https,
        host: request
            .server_name
            .clone()
            .or_else(|| request.host_header.clone())
            .unwrap_or(host),
        path,
    };
    let names = w
        .topology
        .old_front_end
        .as_ref()
        .map(|f| f.certificate_names.clone())
        .unwrap_or_default();
    let redirect = |status: u16, location: String| ProbeAnswer {
        status,
        location: Some(location),
    };
    // A probe through a load balancer that shares its forwards meets either group, as a
    // client does.
    let pick = crate::world::ids::stable_unit(w.now, w.now / 1000, 0x9b0e);
    let tg_arn = match w.elb.answer(&lb.arn, &client_request, &names, pick) {
        LbAnswer::Forward(tg) => tg,
        LbAnswer::Redirect(to) => {
            return Ok(redirect(
                301,
                format!(
                    "{}://{}{}",
                    if to.https { "https" } else { "http" },
                    to.host,
                    to.path
                ),
            ))
        }
        LbAnswer::Fixed(code) => {
            return Ok(ProbeAnswer {
                status: code.parse().unwrap_or(503),
                location: None,
            })
        }
        LbAnswer::Authenticate(idp) => return Ok(redirect(302, idp)),
        LbAnswer::NoListener => {
            return Err(fail(
                ErrorKind::ServerError,
                "connection refused (no listener)",
            ))
        }
        LbAnswer::WrongCertificate => {
            return Err(fail(
                ErrorKind::Other,
                "TLS: the certificate does not cover the server name",
            ))
        }
    };
    let status = |status: u16| ProbeAnswer {
        status,
        location: None,
    };
    let Some(tg) = w.elb.target_groups.get(&tg_arn) else {
        return Ok(status(503));
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
        return Ok(status(503));
    };
    if target.serving {
        // An app behind a login answers only its health path; anything else goes to sign-in.
        return Ok(match &w.topology.app_health_path {
            Some(health) if *health != client_request.path => redirect(302, "/login".to_string()),
            _ => status(200),
        });
    }
    let app_broken = match &target.backend {
        Backend::Task(id) => w
            .ecs
            .tasks
            .get(id)
            .is_some_and(|t| t.running() && !t.app_ok),
        Backend::Instance(_) => false,
    };
    Ok(status(if app_broken { 500 } else { 502 }))
}

#[async_trait]
impl HttpProbe for SimCloud {
    async fn get(&self, request: &ProbeRequest) -> CloudResult<u16> {
        self.answer(request).await.map(|a| a.status)
    }

    async fn answer(&self, request: &ProbeRequest) -> CloudResult<ProbeAnswer> {
        self.call("http:GET", &request.url, Kind::Read, |w| {
            answer_in(w, request)
        })
        .await
    }
}
