//! The one place the SDK configuration is built.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, Region};
use aws_types::SdkConfig;

use crate::errors::AwsError;

/// Attempts per API call, the first included. Adaptive mode also slows the client down when
/// AWS throttles it, so a few attempts ride out a burst without hammering the API.
pub const MAX_ATTEMPTS: u32 = 5;
/// The longest one API call may take, retries included.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(90);
/// The longest one attempt of an API call may take.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);
/// How long to wait for a TCP connection to the endpoint.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where and as whom to talk to AWS. Every field left `None` falls back to the standard chain
/// (environment, shared config and credentials files, SSO, instance metadata).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsOptions {
    /// A named profile of the shared config files (`--profile`).
    pub profile: Option<String>,
    /// The region (`--region`); otherwise `AWS_REGION` or the profile's.
    pub region: Option<String>,
    /// Send every service's requests here (`--endpoint-url`); otherwise `AWS_ENDPOINT_URL` or the
    /// profile's `endpoint_url`, which aws-config reads itself. Used for moto server.
    pub endpoint_url: Option<String>,
    /// Send HTTP probes to this base URL (`http://127.0.0.1:8080`) instead of the host named in
    /// the probed URL, keeping the path and sending the original host as `Host`. Only for runs
    /// against an emulator, whose load balancers have DNS names that resolve nowhere.
    pub probe_override: Option<String>,
}

/// A loader with everything `options` says, the retry policy and the timeouts; callers may add
/// to it (tests give static credentials) before `load`.
pub fn loader(options: &AwsOptions) -> ConfigLoader {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(
            RetryConfig::adaptive()
                .with_max_attempts(MAX_ATTEMPTS)
                .with_initial_backoff(Duration::from_millis(200))
                .with_max_backoff(Duration::from_secs(10)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_timeout(OPERATION_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .build(),
        );
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &options.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(url) = &options.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader
}

/// Loads the SDK configuration and checks what can be checked before the first call.
pub async fn load(options: &AwsOptions) -> Result<SdkConfig, AwsError> {
    if let Some(url) = &options.endpoint_url {
        check_url(url).map_err(|reason| AwsError::InvalidEndpoint {
            url: url.clone(),
            reason,
        })?;
    }
    let config = loader(options).load().await;
    validate(&config)?;
    Ok(config)
}

/// Checks a loaded configuration: every call needs a region.
pub fn validate(config: &SdkConfig) -> Result<(), AwsError> {
    if config.region().is_none() {
        return Err(AwsError::NoRegion);
    }
    if let Some(url) = config.endpoint_url() {
        check_url(url).map_err(|reason| AwsError::InvalidEndpoint {
            url: url.to_string(),
            reason,
        })?;
    }
    Ok(())
}

fn check_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| "it must start with http:// or https://".to_string())?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err("it names no host".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_urls_need_a_scheme_and_a_host() {
        assert!(check_url("http://127.0.0.1:5000").is_ok());
        assert!(check_url("https://ecs.eu-west-1.amazonaws.com").is_ok());
        assert!(check_url("127.0.0.1:5000").is_err());
        assert!(check_url("http://").is_err());
        assert!(check_url("http:///path").is_err());
    }

    #[tokio::test]
    async fn a_bad_endpoint_url_is_refused_before_any_call() {
        let options = AwsOptions {
            endpoint_url: Some("localhost:5000".into()),
            region: Some("us-east-1".into()),
            ..AwsOptions::default()
        };
        let err = load(&options).await.unwrap_err();
        assert!(matches!(err, AwsError::InvalidEndpoint { .. }), "{err}");
    }
}
