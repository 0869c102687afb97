//! The probes of the health gate, one per listener the old load balancer had: a listener that
//! forwards is asked for the health check path (HTTPS with the record's name as SNI and `Host`)
//! and must answer the health check's codes; a listener that redirects everything (HTTP→HTTPS)
//! must answer the redirect itself, with its status and `Location`, not a page.

use std::time::Duration;

use migrate_plan::behaviour::{
    copy_listeners, redirects_everything, ListenerBehaviour, RuleAction,
};
use migrate_playbook::{HttpsCertificate, WebSettings};

use crate::context::Ctx;
use crate::error::StepError;
use crate::outputs::SourceDiscovered;
use crate::ports::ProbeRequest;

/// What a listener's probe must be answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expected {
    /// One of the health check's codes.
    Healthy,
    /// A redirect with this status whose `Location` starts with one of `locations` (ALB writes
    /// the port of a redirect to `443` or `80` as given, so both forms are accepted).
    Redirect { status: u16, locations: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListenerProbe {
    pub request: ProbeRequest,
    pub expected: Expected,
}

const TIMEOUT: Duration = Duration::from_secs(5);

/// The probes for the new load balancer at `dns`: one per copied listener that forwards or
/// redirects everything (a listener that answers by itself, a fixed response or a sign-in, has
/// nothing of the new service to prove), or the plain HTTP probe when the old behaviour was not
/// recorded.
pub(crate) fn probes(
    ctx: &Ctx<'_>,
    web: &WebSettings,
    dns: &str,
) -> Result<Vec<ListenerProbe>, StepError> {
    let playbook = ctx.playbook();
    let record = playbook.cutover.record.trim_end_matches('.').to_string();
    let plain = || ListenerProbe {
        request: ProbeRequest {
            url: format!("http://{dns}{}", web.health_check.path),
            host_header: Some(playbook.cutover.record.clone()),
            timeout: TIMEOUT,
            server_name: None,
        },
        expected: Expected::Healthy,
    };
    let behaviour = ctx
        .optional_output::<SourceDiscovered>()?
        .and_then(|d| d.behaviour);
    let Some(behaviour) = behaviour else {
        return Ok(vec![plain()]);
    };
    let settings = &playbook.target.load_balancer;
    // The probe needs no target group: forwards are only told apart from other actions.
    let listeners = copy_listeners(&behaviour, &settings.acknowledge, "the new target group")
        .map_err(|problems| {
            StepError::precondition(format!(
                "the old load balancer's listeners cannot be probed: {}",
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            ))
        })?;
    let mut out = Vec::new();
    for listener in listeners {
        if listener.protocol == "HTTPS" && settings.https_certificate == HttpsCertificate::None {
            continue;
        }
        if let Some(probe) = probe_of(&listener, web, dns, &record) {
            out.push(probe);
        }
    }
    if out.is_empty() {
        out.push(plain());
    }
    Ok(out)
}

fn probe_of(
    listener: &ListenerBehaviour,
    web: &WebSettings,
    dns: &str,
    record: &str,
) -> Option<ListenerProbe> {
    let https = listener.protocol == "HTTPS";
    let scheme = if https { "https" } else { "http" };
    let request = ProbeRequest {
        url: format!(
            "{scheme}://{dns}:{}{}",
            listener.port, web.health_check.path
        ),
        host_header: Some(record.to_string()),
        timeout: TIMEOUT,
        server_name: https.then(|| record.to_string()),
    };
    if redirects_everything(listener) {
        let RuleAction::Redirect {
            protocol,
            port,
            host,
            status_code,
            ..
        } = listener.default_actions.first()?
        else {
            return None;
        };
        let to_scheme = match protocol.as_deref() {
            Some("HTTPS") => "https",
            Some("HTTP") => "http",
            _ => scheme,
        };
        let to_host = host
            .as_deref()
            .filter(|h| *h != "#{host}")
            .unwrap_or(record);
        let default_port = if to_scheme == "https" { "443" } else { "80" };
        let to_port = match port.as_deref() {
            Some("#{port}") => listener.port.to_string(),
            Some(p) => p.to_string(),
            None => listener.port.to_string(),
        };
        let mut locations = vec![format!("{to_scheme}://{to_host}:{to_port}/")];
        if to_port == default_port {
            locations.push(format!("{to_scheme}://{to_host}/"));
        }
        return Some(ListenerProbe {
            request,
            expected: Expected::Redirect {
                status: if status_code == "HTTP_302" { 302 } else { 301 },
                locations,
            },
        });
    }
    matches!(
        listener.default_actions.first(),
        Some(RuleAction::Forward { .. })
    )
    .then_some(ListenerProbe {
        request,
        expected: Expected::Healthy,
    })
}

/// Whether an answer is what the listener's probe expects; `Err` says what was wrong.
pub(crate) fn judge(
    probe: &ListenerProbe,
    web: &WebSettings,
    status: u16,
    location: Option<&str>,
) -> Result<(), String> {
    match &probe.expected {
        Expected::Healthy if web.health_check.accepts(status) => Ok(()),
        Expected::Healthy => Err(format!(
            "{} answered HTTP {status}, expected {}",
            probe.request.url, web.health_check.codes
        )),
        Expected::Redirect {
            status: wanted,
            locations,
        } => {
            // `Location` keeps the request's path, so only its start is fixed: scheme, host and
            // port, then the path.
            let location_ok = location.is_some_and(|l| {
                locations
                    .iter()
                    .any(|prefix| l.starts_with(prefix.as_str()) || format!("{l}/") == *prefix)
            });
            if status == *wanted && location_ok {
                Ok(())
            } else {
                Err(format!(
                    "{} answered HTTP {status} to {}, expected the old listener's redirect: {wanted} to {}…",
                    probe.request.url,
                    location.unwrap_or("no Location"),
                    locations.first().map_or("", String::as_str)
                ))
            }
        }
    }
}
