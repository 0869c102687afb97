//! The DNS cutover: lowering the TTL, switching the alias (or ramping weights), and putting the
//! record back on rollback.
//!
//! Every change is expressed as "make the record sets of this name equal to these", applied as
//! one atomic Route53 batch, so that a repeated or resumed step converges instead of failing:
//! the three DNS steps are idempotent as a whole and need no reconciliation. Each records the
//! record sets as they were in its intent, and its compensation puts them back.

use std::time::Duration;

use async_trait::async_trait;

use super::{drain, Outcome, Prepared, Reconciliation, Step, Undoing};
use crate::context::{Ctx, POLL};
use crate::error::StepError;
use crate::outputs::{
    DnsCutOver, DnsSnapshot, LoadBalancerCreated, SourceDiscovered, TtlLowered, WeightShifted,
};
use crate::ports::{
    normalise_dns_name, AliasTarget, ChangeAction, ChangeStatus, DnsRecord, RecordChange,
    TargetState,
};

/// Route53 answers an alias to a load balancer with a 60-second TTL.
pub const ALIAS_TTL_SECS: u64 = 60;

const OLD_SET: &str = "migrate-old";
const NEW_SET: &str = "migrate-new";

fn zone(ctx: &Ctx<'_>) -> Result<String, StepError> {
    Ok(ctx.output::<SourceDiscovered>()?.zone_id)
}

fn record_name(ctx: &Ctx<'_>) -> String {
    ctx.playbook().cutover.record.clone()
}

async fn current(ctx: &Ctx<'_>) -> Result<Vec<DnsRecord>, StepError> {
    Ok(ctx
        .cloud
        .dns
        .records(&zone(ctx)?, &record_name(ctx))
        .await?
        .into_iter()
        .filter(|r| r.record_type == "A" || r.record_type == "CNAME")
        .collect())
}

/// Records the record sets as they are before this step changes them.
async fn snapshot(ctx: &Ctx<'_>) -> Result<Prepared<DnsSnapshot>, StepError> {
    let records = current(ctx).await?;
    Ok(
        Prepared::new(format!("change DNS record {}", record_name(ctx)))
            .recording(DnsSnapshot { records }),
    )
}

fn same_target(a: &DnsRecord, b: &DnsRecord) -> bool {
    a.record_type == b.record_type
        && a.ttl == b.ttl
        && a.weight == b.weight
        && a.values == b.values
        && match (&a.alias, &b.alias) {
            (Some(x), Some(y)) => {
                normalise_dns_name(&x.dns_name) == normalise_dns_name(&y.dns_name)
                    && x.hosted_zone_id == y.hosted_zone_id
                    && x.evaluate_target_health == y.evaluate_target_health
            }
            (None, None) => true,
            _ => false,
        }
}

/// Makes the name's A/CNAME record sets equal to `desired` in one batch and waits for INSYNC.
/// Answers whether anything had to change.
async fn converge(ctx: &Ctx<'_>, desired: &[DnsRecord]) -> Result<bool, StepError> {
    let zone_id = zone(ctx)?;
    let existing = current(ctx).await?;
    let key = |r: &DnsRecord| (r.record_type.clone(), r.set_identifier.clone());
    let mut changes = Vec::new();
    // Deletions first: Route53 applies a batch in order, and a CNAME must go before an A record
    // of the same name can be created.
    for record in &existing {
        if !desired.iter().any(|d| key(d) == key(record)) {
            changes.push(RecordChange {
                action: ChangeAction::Delete,
                record: record.clone(),
            });
        }
    }
    for record in desired {
        let unchanged = existing
            .iter()
            .any(|e| key(e) == key(record) && same_target(e, record));
        if !unchanged {
            changes.push(RecordChange {
                action: ChangeAction::Upsert,
                record: record.clone(),
            });
        }
    }
    let changed = !changes.is_empty();
    if !changed {
        // The records already read as desired, perhaps because an interrupted attempt submitted
        // the change. Nothing says that change is INSYNC yet, so submit the same records again
        // (an UPSERT of identical records is accepted) and wait for that change instead.
        changes = desired
            .iter()
            .map(|record| RecordChange {
                action: ChangeAction::Upsert,
                record: record.clone(),
            })
            .collect();
        if changes.is_empty() {
            return Ok(false);
        }
    }
    let change_id = ctx.cloud.dns.change_records(&zone_id, &changes).await?;
    loop {
        match ctx.tolerate(ctx.cloud.dns.change_status(&change_id).await)? {
            Some(ChangeStatus::Insync) => return Ok(changed),
            Some(ChangeStatus::Pending) | None => {
                ctx.waiting(&format!("DNS change {change_id} is PENDING"), None);
                ctx.pause(POLL, || {
                    format!("the DNS change {change_id} never reached INSYNC")
                })
                .await?;
            }
        }
    }
}

fn new_alias(ctx: &Ctx<'_>, evaluate_target_health: bool) -> Result<AliasTarget, StepError> {
    Ok(AliasTarget {
        dns_name: ctx.output::<LoadBalancerCreated>()?.dns_name,
        hosted_zone_id: ctx.output::<LoadBalancerCreated>()?.zone_id,
        evaluate_target_health,
    })
}

fn original(ctx: &Ctx<'_>) -> Result<Vec<DnsRecord>, StepError> {
    Ok(ctx.output::<SourceDiscovered>()?.records)
}

/// The largest TTL clients may have cached for the original record. A record set that has
/// neither an alias nor a TTL, or no record set at all, is an inconsistent recording: guessing
/// a TTL could shorten the wait that keeps clients on a working answer.
pub fn original_ttl(records: &[DnsRecord]) -> Result<u64, StepError> {
    let mut longest = None;
    for record in records {
        let ttl = match (&record.alias, record.ttl) {
            (Some(_), _) => ALIAS_TTL_SECS,
            (None, Some(ttl)) => u64::from(ttl),
            (None, None) => {
                return Err(StepError::precondition(format!(
                    "the recorded {} record {} has neither a TTL nor an alias target; the state \
                     is inconsistent",
                    record.record_type, record.name
                )))
            }
        };
        longest = longest.max(Some(ttl));
    }
    longest.ok_or_else(|| {
        StepError::precondition(
            "no DNS record set was recorded, so the TTL clients cache it for is unknown; the \
             state is inconsistent",
        )
    })
}

/// What lowering the TTL comes to for the record sets as they were.
#[derive(Debug, PartialEq, Eq)]
enum TtlChange {
    /// Every record set is an alias: clients cache it for the load balancer's 60 s.
    AliasOnly,
    /// The TTL is already the target or lower.
    AlreadyLow,
    /// Converge to these record sets.
    Lower(Vec<DnsRecord>),
}

/// An empty snapshot is an error, not an alias: the step would otherwise skip and leave a long
/// TTL in place before the cutover.
fn ttl_change(before: &[DnsRecord], target: u32) -> Result<TtlChange, StepError> {
    if before.is_empty() {
        return Err(StepError::precondition(
            "the intent of lower-ttl recorded no DNS record set to lower; the state is \
             inconsistent",
        ));
    }
    if before.iter().all(|r| r.alias.is_some()) {
        return Ok(TtlChange::AliasOnly);
    }
    if before
        .iter()
        .all(|r| r.alias.is_some() || r.ttl.is_some_and(|t| t <= target))
    {
        return Ok(TtlChange::AlreadyLow);
    }
    Ok(TtlChange::Lower(
        before
            .iter()
            .map(|r| {
                let mut r = r.clone();
                if r.alias.is_none() {
                    r.ttl = Some(r.ttl.unwrap_or(target).min(target));
                }
                r
            })
            .collect(),
    ))
}

/// `lower-ttl`.
pub struct LowerTtl;

#[async_trait]
impl Step for LowerTtl {
    type Output = TtlLowered;
    type Recorded = DnsSnapshot;

    async fn prepare(&self, ctx: &Ctx<'_>) -> Result<Prepared<DnsSnapshot>, StepError> {
        snapshot(ctx).await
    }

    async fn execute(
        &self,
        ctx: &Ctx<'_>,
        before: &DnsSnapshot,
    ) -> Result<Outcome<TtlLowered>, StepError> {
        let target = ctx.playbook().cutover.lower_ttl_to;
        let lowered = match ttl_change(&before.records, target)? {
            TtlChange::AliasOnly => {
                return Ok(Outcome::Skipped(format!(
                    "the record is an alias; clients cache it for the load balancer's {ALIAS_TTL_SECS}s"
                )))
            }
            TtlChange::AlreadyLow => {
                return Ok(Outcome::Skipped(format!(
                    "the TTL is already {target}s or less"
                )))
            }
            TtlChange::Lower(lowered) => lowered,
        };
        converge(ctx, &lowered).await?;
        // Clients that resolved just before the change keep the old TTL; wait it out so that
        // the cutover reaches everyone within the new TTL.
        let old_ttl = original_ttl(&before.records)?;
        drain::wait_for(
            ctx,
            Duration::from_secs(old_ttl),
            "the old TTL to expire from caches",
        )
        .await?;
        Ok(Outcome::Done(TtlLowered {
            effective_ttl_secs: u64::from(target),
        }))
    }

    fn reconciliation(&self) -> Reconciliation<'_, TtlLowered> {
        Reconciliation::IdempotentAsWhole
    }

    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        undoing: Undoing<TtlLowered, DnsSnapshot>,
    ) -> Result<(), StepError> {
        // Lowering the TTL sent no traffic anywhere: there is nothing to hand back.
        restore(ctx, undoing.recorded, false).await
    }
}

/// `cutover-dns`: the name becomes an alias of the new load balancer.
pub struct CutoverDns;

#[async_trait]
impl Step for CutoverDns {
    type Output = DnsCutOver;
    type Recorded = DnsSnapshot;

    async fn prepare(&self, ctx: &Ctx<'_>) -> Result<Prepared<DnsSnapshot>, StepError> {
        snapshot(ctx).await
    }

    async fn execute(
        &self,
        ctx: &Ctx<'_>,
        _: &DnsSnapshot,
    ) -> Result<Outcome<DnsCutOver>, StepError> {
        cut_over(ctx).await?;
        Ok(Outcome::Done(DnsCutOver { at: ctx.now() }))
    }

    fn reconciliation(&self) -> Reconciliation<'_, DnsCutOver> {
        Reconciliation::IdempotentAsWhole
    }

    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        undoing: Undoing<DnsCutOver, DnsSnapshot>,
    ) -> Result<(), StepError> {
        restore(ctx, undoing.recorded, true).await
    }
}

async fn cut_over(ctx: &Ctx<'_>) -> Result<(), StepError> {
    let evaluate = original(ctx)?
        .iter()
        .find_map(|r| r.alias.as_ref().map(|a| a.evaluate_target_health))
        .unwrap_or(true);
    let desired = vec![DnsRecord {
        name: record_name(ctx),
        record_type: "A".into(),
        ttl: None,
        values: Vec::new(),
        alias: Some(new_alias(ctx, evaluate)?),
        set_identifier: None,
        weight: None,
    }];
    converge(ctx, &desired).await?;
    Ok(())
}

/// `shift-weight:<n>`: one step of a weighted ramp, then a bake.
pub struct ShiftWeight {
    /// The new side's share, in percent.
    pub weight: u8,
    pub bake_secs: u64,
}

#[async_trait]
impl Step for ShiftWeight {
    type Output = WeightShifted;
    type Recorded = DnsSnapshot;

    async fn prepare(&self, ctx: &Ctx<'_>) -> Result<Prepared<DnsSnapshot>, StepError> {
        snapshot(ctx).await
    }

    async fn execute(
        &self,
        ctx: &Ctx<'_>,
        _: &DnsSnapshot,
    ) -> Result<Outcome<WeightShifted>, StepError> {
        let weight = self.weight;
        if weight >= 100 {
            // The last step of the ramp leaves a plain alias, the same end state as the alias
            // strategy.
            cut_over(ctx).await?;
            return Ok(Outcome::Done(WeightShifted {
                weight,
                at: ctx.now(),
            }));
        }
        let original = original(ctx)?;
        let old = original
            .first()
            .ok_or_else(|| StepError::precondition("no original DNS record was recorded"))?;
        let mut old_weighted = old.clone();
        old_weighted.set_identifier = Some(OLD_SET.into());
        old_weighted.weight = Some(100 - weight);
        let new_weighted = DnsRecord {
            name: record_name(ctx),
            record_type: old.record_type.clone(),
            // A weighted pair must share a type: a CNAME source is ramped with CNAMEs.
            ttl: old
                .alias
                .is_none()
                .then_some(ctx.playbook().cutover.lower_ttl_to),
            values: if old.alias.is_none() {
                vec![ctx.output::<LoadBalancerCreated>()?.dns_name]
            } else {
                Vec::new()
            },
            alias: if old.alias.is_some() {
                Some(new_alias(ctx, true)?)
            } else {
                None
            },
            set_identifier: Some(NEW_SET.into()),
            weight: Some(weight),
        };
        converge(ctx, &[old_weighted, new_weighted]).await?;
        drain::wait_for(
            ctx,
            Duration::from_secs(self.bake_secs),
            &format!("{weight}% of traffic to bake"),
        )
        .await?;
        Ok(Outcome::Done(WeightShifted {
            weight,
            at: ctx.now(),
        }))
    }

    fn reconciliation(&self) -> Reconciliation<'_, WeightShifted> {
        Reconciliation::IdempotentAsWhole
    }

    async fn compensate(
        &self,
        ctx: &Ctx<'_>,
        undoing: Undoing<WeightShifted, DnsSnapshot>,
    ) -> Result<(), StepError> {
        restore(ctx, undoing.recorded, true).await
    }
}

fn points_at_new(ctx: &Ctx<'_>, records: &[DnsRecord]) -> Result<bool, StepError> {
    let Some(new_lb) = ctx.optional_output::<LoadBalancerCreated>()? else {
        return Ok(false);
    };
    let new_dns = normalise_dns_name(&new_lb.dns_name);
    Ok(records.iter().any(|r| {
        r.weight != Some(0)
            && (r
                .alias
                .as_ref()
                .is_some_and(|a| normalise_dns_name(&a.dns_name) == new_dns)
                || r.values.iter().any(|v| normalise_dns_name(v) == new_dns))
    }))
}

/// Puts back the record sets recorded before the step (`None` when it wrote no intent, so
/// changed nothing). When that takes the new side out of DNS, the old side must be able to serve
/// first, and the new side is then drained before anything behind it is deleted.
///
/// Whether traffic must be handed back is decided by what the step did
/// (`forward_sent_traffic_to_new`), not by what DNS shows now: an interrupted earlier attempt of
/// this very restore may already have pointed the name back, and clients that resolved before it
/// still hold the new answer.
async fn restore(
    ctx: &Ctx<'_>,
    before: Option<DnsSnapshot>,
    forward_sent_traffic_to_new: bool,
) -> Result<(), StepError> {
    let Some(DnsSnapshot { records: previous }) = before else {
        return Ok(());
    };
    if previous.is_empty() {
        return Ok(());
    }
    let hand_back = forward_sent_traffic_to_new && !points_at_new(ctx, &previous)?;
    if hand_back {
        wait_old_side_healthy(ctx).await?;
    }
    converge(ctx, &previous).await?;
    if hand_back {
        if let Some(new_lb) = ctx.optional_output::<LoadBalancerCreated>()? {
            let since = ctx.now();
            let drain = &ctx.playbook().drain;
            drain::wait_for_zero(
                ctx,
                &new_lb.arn,
                since,
                drain
                    .min_wait
                    .max(Duration::from_secs(original_ttl(&previous)?)),
                drain.zero_traffic_window,
                "the new load balancer",
            )
            .await?;
        }
    }
    Ok(())
}

/// Waits until a target group of the old load balancer has a healthy target.
async fn wait_old_side_healthy(ctx: &Ctx<'_>) -> Result<(), StepError> {
    let groups = ctx.output::<SourceDiscovered>()?.target_groups;
    if groups.is_empty() {
        return Ok(());
    }
    loop {
        let mut healthy = 0;
        for arn in &groups {
            healthy += ctx
                .tolerate(ctx.cloud.load_balancing.target_health(arn).await)?
                .unwrap_or_default()
                .iter()
                .filter(|t| t.state == TargetState::Healthy)
                .count();
        }
        if healthy > 0 {
            return Ok(());
        }
        ctx.waiting(
            "waiting for a healthy target behind the old load balancer",
            None,
        );
        ctx.pause(POLL, || {
            "the old load balancer has no healthy target to send traffic back to".into()
        })
        .await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(ttl: Option<u32>) -> DnsRecord {
        DnsRecord {
            name: "shop.example.com".into(),
            record_type: "CNAME".into(),
            ttl,
            values: vec!["old-1.elb.amazonaws.com".into()],
            alias: None,
            set_identifier: None,
            weight: None,
        }
    }

    #[test]
    fn an_empty_snapshot_is_an_error_not_an_alias_to_skip() {
        let error = ttl_change(&[], 60).expect_err("nothing recorded must not skip");
        assert!(error.to_string().contains("lower-ttl"), "{error}");
    }

    #[test]
    fn a_long_ttl_is_lowered_and_a_short_one_left() {
        assert_eq!(
            ttl_change(&[plain(Some(3600))], 60).ok(),
            Some(TtlChange::Lower(vec![plain(Some(60))]))
        );
        assert_eq!(
            ttl_change(&[plain(Some(30))], 60).ok(),
            Some(TtlChange::AlreadyLow)
        );
    }

    #[test]
    fn the_cached_ttl_is_never_guessed() {
        assert_eq!(
            original_ttl(&[plain(Some(3600)), plain(Some(60))]).ok(),
            Some(3600)
        );
        assert!(original_ttl(&[]).is_err());
        assert!(original_ttl(&[plain(None)]).is_err());
    }
}
