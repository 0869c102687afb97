//! `check-connection-budget`: refuses, before anything is created, a migration whose overlap
//! would open more connections than a data store accepts (`migrate_plan::budget`). The old side's
//! running capacity is what `discover-source` read: the old services' desired tasks (ECS on
//! EC2), the Auto Scaling group's desired capacity (an Auto Scaling group or Beanstalk), or the
//! plain instances (EC2).

use async_trait::async_trait;
use migrate_playbook::SourceKind;

use super::{Outcome, Prepared, Reconciliation, Step, Undoing};
use crate::context::Ctx;
use crate::error::StepError;
use crate::outputs::{BudgetChecked, SourceDiscovered};

pub struct CheckConnectionBudget;

/// The old side's running units as discovery read them.
fn old_units(kind: SourceKind, discovered: &SourceDiscovered) -> u32 {
    match kind {
        SourceKind::EcsEc2 => discovered.old_services.iter().map(|s| s.desired).sum(),
        SourceKind::Asg | SourceKind::Beanstalk => discovered
            .auto_scaling_group
            .as_ref()
            .map_or(0, |g| g.capacity.desired),
        SourceKind::Ec2 => discovered.old_instances.len() as u32,
    }
}

#[async_trait]
impl Step for CheckConnectionBudget {
    type Output = BudgetChecked;
    type Recorded = ();

    async fn prepare(&self, _: &Ctx<'_>) -> Result<Prepared<()>, StepError> {
        Ok(Prepared::new("check the data stores' connection budget"))
    }

    async fn execute(&self, ctx: &Ctx<'_>, (): &()) -> Result<Outcome<BudgetChecked>, StepError> {
        let playbook = ctx.playbook();
        let discovered = ctx.output::<SourceDiscovered>()?;
        let units = old_units(playbook.source.kind, &discovered);
        let budgets = migrate_plan::budget::connection_budget(playbook, units);
        let refusals: Vec<String> = budgets
            .iter()
            .filter(|b| b.exceeded())
            .map(|b| b.refusal())
            .collect();
        if !refusals.is_empty() {
            return Err(StepError::precondition(refusals.join("\n")));
        }
        Ok(Outcome::Done(BudgetChecked {
            old_units: units,
            budgets,
        }))
    }

    fn reconciliation(&self) -> Reconciliation<'_, BudgetChecked> {
        Reconciliation::IdempotentAsWhole
    }

    async fn compensate(
        &self,
        _: &Ctx<'_>,
        _: Undoing<BudgetChecked, ()>,
    ) -> Result<(), StepError> {
        // A check changed nothing.
        Ok(())
    }
}
