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
}

#[async_trait]
pub trait HttpProbe: Send + Sync {
    /// The HTTP status the URL answered with.
    async fn get(&self, request: &ProbeRequest) -> CloudResult<u16>;
}
