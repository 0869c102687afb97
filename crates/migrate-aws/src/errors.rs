//! SDK errors turned into the engine's [`CloudError`], and the adapter's own setup errors.

use std::fmt::Display;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use migrate_engine::ports::{CloudError, ErrorKind};

/// Why the adapter could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error(
        "no AWS region is configured: pass --region, set AWS_REGION, or set a region in the profile"
    )]
    NoRegion,
    #[error("the endpoint URL {url:?} is not usable: {reason}")]
    InvalidEndpoint { url: String, reason: String },
    #[error("the probe override {url:?} is not usable: {reason}")]
    InvalidProbeOverride { url: String, reason: String },
}

/// Turns an SDK error into a [`CloudError`] naming the operation (`ecs:CreateService`) and the
/// resource.
pub(crate) fn sdk_error<E>(
    err: &SdkError<E, HttpResponse>,
    operation: &str,
    resource: impl Display,
) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let (kind, message) = match err {
        SdkError::ServiceError(service) => {
            let code = service.err().code();
            let text = service.err().message();
            let status = service.raw().status().as_u16();
            let kind = classify(code, text, Some(status));
            let message = match (code, text) {
                (Some(code), Some(text)) => format!("{code}: {text}"),
                (Some(code), None) => format!("{code} (HTTP {status})"),
                (None, Some(text)) => format!("HTTP {status}: {text}"),
                (None, None) => format!("HTTP {status}"),
            };
            (kind, message)
        }
        SdkError::TimeoutError(_) => (ErrorKind::Timeout, "the call timed out".to_string()),
        SdkError::DispatchFailure(failure) => {
            let kind = if failure.is_timeout() {
                ErrorKind::Timeout
            } else if failure.is_io() {
                // The endpoint could not be reached or dropped the connection: the service is
                // unavailable from here, which a later attempt may not meet.
                ErrorKind::ServerError
            } else {
                ErrorKind::Other
            };
            (kind, DisplayErrorContext(err).to_string())
        }
        SdkError::ResponseError(response) => {
            let status = response.raw().status().as_u16();
            let kind = if status >= 500 {
                ErrorKind::ServerError
            } else {
                ErrorKind::Other
            };
            (
                kind,
                format!(
                    "unreadable answer (HTTP {status}): {}",
                    DisplayErrorContext(err)
                ),
            )
        }
        SdkError::ConstructionFailure(_) => (
            ErrorKind::InvalidRequest,
            DisplayErrorContext(err).to_string(),
        ),
        _ => (ErrorKind::Other, DisplayErrorContext(err).to_string()),
    };
    CloudError::new(kind, operation, resource.to_string(), message)
}

/// The kind of a service error, from its code, message and HTTP status.
///
/// AWS names the same idea differently per service (`InvalidGroup.NotFound`,
/// `ClusterNotFoundException`, `NoSuchHostedZone`, Auto Scaling's `ValidationError` "not
/// found"), so the rules look at the shape of the code first and at the message only where a
/// service gives nothing better.
pub fn classify(code: Option<&str>, message: Option<&str>, status: Option<u16>) -> ErrorKind {
    let code = code.unwrap_or("");
    let lower_message = message.unwrap_or("").to_ascii_lowercase();
    const THROTTLED: &[&str] = &[
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "SlowDown",
        "PriorRequestNotComplete",
        "ProvisionedThroughputExceededException",
        "Throttled",
        // Application Auto Scaling: another update of the same target is still pending.
        "ConcurrentUpdateException",
    ];
    const ACCESS: &[&str] = &[
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthFailure",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "MissingAuthenticationToken",
        "OptInRequired",
    ];
    const SERVER: &[&str] = &[
        "InternalFailure",
        "InternalError",
        "InternalServerError",
        "InternalException",
        "ServerException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "Unavailable",
    ];
    if THROTTLED.contains(&code) || status == Some(429) {
        return ErrorKind::Throttled;
    }
    if ACCESS.contains(&code) {
        return ErrorKind::AccessDenied;
    }
    if SERVER.contains(&code) || status.is_some_and(|s| s >= 500) {
        return ErrorKind::ServerError;
    }
    // ECS answers a CreateService that reuses a name or token with other parameters with an
    // InvalidParameterException that says the creation "was not idempotent".
    if lower_message.contains("not idempotent") || code == "IdempotentParameterMismatch" {
        return ErrorKind::IdempotencyMismatch;
    }
    if code.ends_with(".NotFound")
        || code.ends_with("NotFound")
        || code.ends_with("NotFoundException")
        || code.starts_with("NoSuch")
        || code == "ServiceNotActiveException"
        || code == "ResourceNotFound"
        // WAFv2 names every missing web ACL or resource so.
        || code == "WAFNonexistentItemException"
    {
        return ErrorKind::NotFound;
    }
    if code.contains("Duplicate") || code.contains("AlreadyExists") {
        return ErrorKind::AlreadyExists;
    }
    // Auto Scaling and ECS have no NotFound code for some resources and say it in the message.
    // moto answers a missing scalable target with `ValidationException: No scalable target
    // found`, where AWS answers `ObjectNotFoundException`; both mean the same to a compensation.
    if (code == "ValidationError" && lower_message.contains("not found"))
        || (code == "ValidationException" && lower_message.contains("no scalable target found"))
        || (code == "ClientException"
            && lower_message.contains("unable to describe task definition"))
    {
        return ErrorKind::NotFound;
    }
    if code.starts_with("Invalid")
        || code.starts_with("Validation")
        || code.starts_with("Missing")
        || code == "ClientException"
        || code == "MalformedPolicyDocument"
        || code.ends_with("LimitExceeded")
        || code.starts_with("TooMany")
        || code == "DependencyViolation"
        || code == "ResourceInUse"
        || code == "ResourceInUseException"
        || code == "UnsupportedFeatureException"
        || code == "PlatformUnknownException"
        || code == "PlatformTaskDefinitionIncompatibilityException"
    {
        return ErrorKind::InvalidRequest;
    }
    ErrorKind::Other
}

/// A missing field in an answer AWS should always fill: the answer is unusable, never a panic.
pub(crate) fn missing(operation: &str, resource: impl Display, field: &str) -> CloudError {
    CloudError::new(
        ErrorKind::Other,
        operation,
        resource.to_string(),
        format!("the answer lacks {field}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_kinds() {
        let cases: &[(&str, &str, u16, ErrorKind)] = &[
            ("InvalidGroup.NotFound", "", 400, ErrorKind::NotFound),
            ("InvalidPermission.NotFound", "", 400, ErrorKind::NotFound),
            ("ClusterNotFoundException", "", 400, ErrorKind::NotFound),
            ("ServiceNotFoundException", "", 400, ErrorKind::NotFound),
            ("ServiceNotActiveException", "", 400, ErrorKind::NotFound),
            ("LoadBalancerNotFound", "", 400, ErrorKind::NotFound),
            ("TargetGroupNotFound", "", 400, ErrorKind::NotFound),
            ("ListenerNotFound", "", 400, ErrorKind::NotFound),
            ("NoSuchHostedZone", "", 404, ErrorKind::NotFound),
            ("ResourceNotFound", "", 404, ErrorKind::NotFound),
            (
                "ValidationError",
                "AutoScalingGroup name not found - null",
                400,
                ErrorKind::NotFound,
            ),
            (
                "ClientException",
                "Unable to describe task definition.",
                400,
                ErrorKind::NotFound,
            ),
            ("ObjectNotFoundException", "", 400, ErrorKind::NotFound),
            (
                "ValidationException",
                "No scalable target found for service namespace: ecs",
                400,
                ErrorKind::NotFound,
            ),
            ("ConcurrentUpdateException", "", 400, ErrorKind::Throttled),
            ("InvalidGroup.Duplicate", "", 400, ErrorKind::AlreadyExists),
            (
                "InvalidPermission.Duplicate",
                "",
                400,
                ErrorKind::AlreadyExists,
            ),
            (
                "DuplicateLoadBalancerName",
                "",
                400,
                ErrorKind::AlreadyExists,
            ),
            (
                "DuplicateTargetGroupName",
                "",
                400,
                ErrorKind::AlreadyExists,
            ),
            ("AlreadyExists", "", 400, ErrorKind::AlreadyExists),
            ("Throttling", "Rate exceeded", 400, ErrorKind::Throttled),
            ("RequestLimitExceeded", "", 503, ErrorKind::Throttled),
            ("ThrottlingException", "", 400, ErrorKind::Throttled),
            ("PriorRequestNotComplete", "", 400, ErrorKind::Throttled),
            ("", "", 429, ErrorKind::Throttled),
            ("InternalFailure", "", 500, ErrorKind::ServerError),
            ("ServiceUnavailable", "", 503, ErrorKind::ServerError),
            ("", "", 502, ErrorKind::ServerError),
            ("AccessDeniedException", "", 400, ErrorKind::AccessDenied),
            ("UnauthorizedOperation", "", 403, ErrorKind::AccessDenied),
            (
                "InvalidParameterException",
                "Creation of service was not idempotent.",
                400,
                ErrorKind::IdempotencyMismatch,
            ),
            (
                "InvalidParameterException",
                "cpu and memory do not match",
                400,
                ErrorKind::InvalidRequest,
            ),
            (
                "ValidationError",
                "Max size below min",
                400,
                ErrorKind::InvalidRequest,
            ),
            ("DependencyViolation", "", 400, ErrorKind::InvalidRequest),
            ("SomethingNew", "", 400, ErrorKind::Other),
        ];
        for (code, message, status, kind) in cases {
            assert_eq!(
                classify(Some(code), Some(message), Some(*status)),
                *kind,
                "{code} {message} {status}"
            );
        }
    }
}
