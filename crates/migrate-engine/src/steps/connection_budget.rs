//! `check-connection-budget`: before anything is created, computes the data stores' connections
//! at every stage of the migration (`migrate_plan::budget`) from the old side's running capacity
//! as `discover-source` read it: the old services' desired tasks (ECS on EC2), the Auto Scaling
//! group's desired capacity (an Auto Scaling group or Beanstalk), or the plain instances (EC2).
//! Over budget it records the sequence `shrink-old-side` and `grow-new-side` follow, or refuses
//! with the numbers when none fits (or the playbook says `refuse`).

use async_trait::async_trait;
use migrate_playbook::SourceKind;

use super::{Outcome, Prepared, Reconciliation, Step, Undoing};
use crate::context::Ctx;
use crate::error::StepError;
use crate::outputs::{BudgetChecked, SourceDiscovered};

pub struct CheckConnectionBudget;

/// The old side's running units as discovery read them, one entry per group that is sized on
/// its own (each old ECS service; else the one group).
pub(super) fn old_groups(kind: SourceKind, discovered: &SourceDiscovered) -> Vec<u32> {
    match kind {
        SourceKind::EcsEc2 => discovered.old_services.iter().map(|s| s.desired).collect(),
        SourceKind::Asg | SourceKind::Beanstalk => vec![discovered
            .auto_scaling_group
            .as_ref()
            .map_or(0, |g| g.capacity.desired)],
        SourceKind::Ec2 => vec![discovered.old_instances.len() as u32],
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
        let groups = old_groups(playbook.source.kind, &discovered);
        let budget =
            migrate_plan::budget::plan(playbook, &groups).map_err(StepError::precondition)?;
        if budget.as_ref().is_some_and(|b| b.sequence.is_some())
            && !migrate_plan::budget::sequenced(playbook)
        {
            // A plan made before the sequence existed has no steps to follow it.
            return Err(StepError::precondition(
                "the overlap is over the connection budget and this plan has no shrink-old-side \
                 and grow-new-side steps to sequence it; plan again",
            ));
        }
        Ok(Outcome::Done(BudgetChecked {
            old_units: groups.iter().sum(),
            budget,
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
