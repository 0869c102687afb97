//! HTTP probes of the health gate.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::CloudResult;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeRequest {
    /// e.g. `http://new-alb-123.elb.amazonaws.com/healthz`.
    pub url: String,
    /// The `Host` header to send, so virtual hosts answer as they will after the cutover.
    pub host_header: Option<String>,
    pub timeout: Duration,
    /// The TLS server name (SNI) of an `https://` probe, so the listener presents the
    /// certificate clients will get; the URL's host when `None`.
    #[serde(default)]
    pub server_name: Option<String>,
}

/// What a probe was answered, redirects not followed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeAnswer {
    pub status: u16,
    /// The `Location` header of a redirect.
    pub location: Option<String>,
}

#[async_trait]
pub trait HttpProbe: Send + Sync {
    /// The HTTP status the URL answered with.
    async fn get(&self, request: &ProbeRequest) -> CloudResult<u16>;

    /// The status and `Location` the URL answered with; a redirect is answered, not followed.
    async fn answer(&self, request: &ProbeRequest) -> CloudResult<ProbeAnswer>;
}
