//! The one retry rule of the engine: how long to wait before the next attempt, and whether there
//! is one. Every retry loop — a single call (`Ctx::call`), a step's preparation, a step's forward
//! action and a compensation — asks [`next_wait`]; the two that have no journal to write between
//! attempts run through [`retrying`].

use std::future::Future;
use std::time::Duration;

use migrate_plan::RetryPolicy;

use crate::context::Ctx;
use crate::error::StepError;

/// The wait before attempt `attempt + 1` after `attempt` failed ones, or `None` when `attempt`
/// was the last of `max_attempts`.
pub fn next_wait(policy: &RetryPolicy, attempt: u32, max_attempts: u32) -> Option<Duration> {
    (attempt < max_attempts).then(|| Duration::from_millis(policy.backoff_ms(attempt)))
}

/// Runs `work` until it succeeds or fails for good, retrying transient errors per the step's
/// policy. Each wait goes through the step's clock and deadline, so a wait that would pass the
/// deadline fails the step with the error that kept it retrying.
pub async fn retrying<T, F, Fut>(ctx: &Ctx<'_>, mut work: F) -> Result<T, StepError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StepError>>,
{
    let policy = &ctx.step.retry;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let error = match work().await {
            Err(error) if error.is_transient() => error,
            other => return other,
        };
        let Some(wait) = next_wait(policy, attempt, policy.max_attempts) else {
            return Err(error);
        };
        tracing::warn!(
            attempt,
            wait_ms = wait.as_millis() as u64,
            error = %error,
            "a call failed transiently; retrying it"
        );
        ctx.waiting(&format!("will call again after: {error}"), None);
        ctx.pause(wait, || format!("kept failing: {error}")).await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_attempt_gets_no_wait() {
        let policy = RetryPolicy {
            initial_interval_ms: 100,
            factor: 2.0,
            max_interval_ms: 250,
            max_attempts: 3,
        };
        assert_eq!(next_wait(&policy, 1, 3), Some(Duration::from_millis(100)));
        assert_eq!(next_wait(&policy, 2, 3), Some(Duration::from_millis(200)));
        assert_eq!(next_wait(&policy, 3, 3), None);
        assert_eq!(next_wait(&policy, 3, 10), Some(Duration::from_millis(250)));
    }
}
