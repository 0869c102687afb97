//! `preflight`: the account is checked before anything is created; an error stops the run here,
//! with every problem named, and nothing changed.

use async_trait::async_trait;

use super::{Outcome, Prepared, Reconciliation, Step, Undoing};
use crate::context::Ctx;
use crate::error::StepError;
use crate::outputs::PreflightPassed;
use crate::preflight;

pub struct Preflight;

#[async_trait]
impl Step for Preflight {
    type Output = PreflightPassed;
    type Recorded = ();

    async fn prepare(&self, _: &Ctx<'_>) -> Result<Prepared<()>, StepError> {
        Ok(Prepared::new("check the account (read only)"))
    }

    async fn execute(&self, ctx: &Ctx<'_>, (): &()) -> Result<Outcome<PreflightPassed>, StepError> {
        let report = preflight::run(ctx.cloud, ctx.playbook()).await?;
        let warnings: Vec<String> = report.warnings().map(ToString::to_string).collect();
        for warning in &warnings {
            tracing::warn!(step = "preflight", "{warning}");
        }
        let errors: Vec<String> = report.errors().map(ToString::to_string).collect();
        if !errors.is_empty() {
            return Err(StepError::precondition(format!(
                "the account cannot run the new tasks ({} problem{}; nothing was changed):\n  {}",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" },
                errors.join("\n  ")
            )));
        }
        Ok(Outcome::Done(PreflightPassed {
            account: report.caller.account,
            partition: report.caller.partition,
            roles: report.roles,
            warnings,
        }))
    }

    fn reconciliation(&self) -> Reconciliation<'_, PreflightPassed> {
        Reconciliation::IdempotentAsWhole
    }

    async fn compensate(
        &self,
        _: &Ctx<'_>,
        _: Undoing<PreflightPassed, ()>,
    ) -> Result<(), StepError> {
        // Reading changed nothing; there is nothing to undo.
        Ok(())
    }
}
