//! The DNS cutover: lowering the TTL, switching the alias (or ramping weights), and putting the
//! record sets back on rollback.
//!
//! The steps move every record set discovery found reaching the old side (`dns_discovery`), in
//! every zone, public and private. Every change is expressed as "make the managed record sets of
//! this zone equal to these", applied as one atomic `ChangeResourceRecordSets` batch per zone
//! (a batch is all or nothing:
//! <https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html>),
//! so that a repeated or resumed step converges instead of failing: the three DNS steps are
//! idempotent as a whole and need no reconciliation. Each records the record sets as they were in
//! its intent, and its compensation puts them back exactly, every field as read.

use std::time::Duration;

use async_trait::async_trait;
use migrate_journal::UndoStatus;
use migrate_plan::Action;

use super::dns_records::{self, manages, names, ramp, retarget, same_record, NewTarget};
use super::{drain, Outcome, Prepared, Reconciliation, Step, Undoing};
use crate::context::{Ctx, POLL};
use crate::error::StepError;
use crate::outputs::{
    DnsCutOver, DnsSnapshot, LoadBalancerCreated, SourceDiscovered, TtlLowered, WeightShifted,
    ZoneRecords,
};
use crate::ports::{
    normalise_dns_name, ChangeAction, ChangeStatus, DnsRecord, RecordChange, TargetState,
};

/// Route53 answers an alias to a load balancer with a 60-second TTL.
pub const ALIAS_TTL_SECS: u64 = 60;

/// The record sets to move, by zone, as discovery read them.
fn moved(ctx: &Ctx<'_>) -> Result<Vec<ZoneRecords>, StepError> {
    Ok(ctx.output::<SourceDiscovered>()?.zones_to_move())
}

/// The managed record sets of one zone as they are now.
async fn current(ctx: &Ctx<'_>, zone: &ZoneRecords) -> Result<Vec<DnsRecord>, StepError> {
    let mut found = Vec::new();
    for name in names(&zone.records) {
        let records = ctx
            .call(|| ctx.cloud.dns.records(&zone.zone_id, &name))
            .await?;
        found.extend(records.into_iter().filter(|r| manages(&zone.records, r)));
    }
    Ok(found)
}

/// Records the managed record sets of every zone as they are before this step changes them.
async fn snapshot(ctx: &Ctx<'_>) -> Result<Prepared<DnsSnapshot>, StepError> {
    let main_zone = ctx.output::<SourceDiscovered>()?.zone_id;
    let mut zones = Vec::new();
    for zone in moved(ctx)? {
        let records = current(ctx, &zone).await?;
        zones.push(ZoneRecords { records, ..zone });
    }
    let records = zones
        .iter()
        .filter(|z| z.zone_id == main_zone)
        .flat_map(|z| z.records.iter().cloned())
        .collect();
    let count = zones.iter().map(|z| z.records.len()).sum::<usize>();
    Ok(Prepared::new(format!(
        "change {count} DNS record set(s) in {} zone(s), {}",
        zones.len(),
        ctx.playbook().cutover.record
    ))
    .recording(DnsSnapshot { records, zones }))
}

/// The zones a snapshot recorded: every zone, or, for an intent written before the steps moved
/// more than one name, the cutover zone alone.
fn snapshot_zones(ctx: &Ctx<'_>, snapshot: DnsSnapshot) -> Result<Vec<ZoneRecords>, StepError> {
    if !snapshot.zones.is_empty() {
        return Ok(snapshot.zones);
    }
    let discovered = ctx.output::<SourceDiscovered>()?;
    Ok(vec![ZoneRecords {
        zone_id: discovered.zone_id,
        zone_name: String::new(),
        private: false,
        records: snapshot.records,
    }])
}

/// Makes the managed record sets of `zone` equal to `desired` in one batch and waits for
/// INSYNC. `moved` is what discovery read in that zone: it decides which record sets are
/// managed. Answers whether anything had to change.
async fn converge(
    ctx: &Ctx<'_>,
    zone: &ZoneRecords,
    desired: &[DnsRecord],
) -> Result<bool, StepError> {
    let existing = current(ctx, zone).await?;
    let key = dns_records::key;
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
        let unchanged = existing.iter().any(|e| same_record(e, record));
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
    let change_id = ctx
        .cloud
        .dns
        .change_records(&zone.zone_id, &changes)
        .await?;
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

/// Converges every zone to what `desired` makes of its moved record sets. Each zone is one
/// batch; Route53 has no batch across zones, so a failure between two zones leaves the first
/// moved, which the step's retry (or its compensation) converges.
async fn converge_all(
    ctx: &Ctx<'_>,
    zones: &[ZoneRecords],
    desired: impl Fn(&DnsRecord) -> Vec<DnsRecord>,
) -> Result<(), StepError> {
    for zone in zones {
        let wanted: Vec<DnsRecord> = zone.records.iter().flat_map(&desired).collect();
        converge(ctx, zone, &wanted).await?;
    }
    Ok(())
}

fn new_target(ctx: &Ctx<'_>) -> Result<NewTarget, StepError> {
    let created = ctx.output::<LoadBalancerCreated>()?;
    Ok(NewTarget {
        dns_name: created.dns_name,
        hosted_zone_id: created.zone_id,
    })
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

/// `lower-ttl`: lowers the TTL of every moved record set that is not an alias, in every zone.
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
        let zones = snapshot_zones(ctx, before.clone())?;
        let every_record = dns_records::all(&zones);
        match ttl_change(&every_record, target)? {
            TtlChange::AliasOnly => {
                return Ok(Outcome::Skipped(format!(
                    "every record is an alias; clients cache it for the load balancer's {ALIAS_TTL_SECS}s"
                )))
            }
            TtlChange::AlreadyLow => {
                return Ok(Outcome::Skipped(format!(
                    "every TTL is already {target}s or less"
                )))
            }
            TtlChange::Lower(_) => {}
        }
        for zone in &zones {
            if let TtlChange::Lower(lowered) = ttl_change(&zone.records, target)? {
                converge(ctx, zone, &lowered).await?;
            }
        }
        // Clients that resolved just before the change keep the old TTL; wait it out so that
        // the cutover reaches everyone within the new TTL.
        let old_ttl = original_ttl(&every_record)?;
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

/// `cutover-dns`: every moved record set points at the new load balancer.
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
    let new = new_target(ctx)?;
    let ttl_cap = ctx.playbook().cutover.lower_ttl_to;
    converge_all(ctx, &moved(ctx)?, |r| vec![retarget(r, &new, ttl_cap)]).await
}

/// `shift-weight:<n>`: one step of a weighted ramp, then a bake. Every plain moved record set,
/// in every zone, gets the same weights (so every client population shifts at the same pace); a
/// record set that is already weighted moves whole at the last step (see `dns_records::ramp`).
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
            // The last step of the ramp leaves the record sets pointed at the new side, the same
            // end state as the alias strategy.
            cut_over(ctx).await?;
            return Ok(Outcome::Done(WeightShifted {
                weight,
                at: ctx.now(),
            }));
        }
        let new = new_target(ctx)?;
        let ttl_cap = ctx.playbook().cutover.lower_ttl_to;
        converge_all(ctx, &moved(ctx)?, |r| ramp(r, &new, weight, ttl_cap)).await?;
        super::guard::bake(
            ctx,
            Duration::from_secs(self.bake_secs),
            &format!("the new side with {weight}% of the traffic"),
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
        if undoing.recorded.is_none() || a_later_ramp_step_restored(ctx) {
            return Ok(());
        }
        // Straight back to before the ramp, not to the step before: a rollback or the guard's
        // hand back leaves the new side in one change per zone instead of walking down the ramp
        // through it.
        restore(ctx, before_ramp(ctx)?.or(undoing.recorded), true).await
    }
}

/// The record sets as the ramp's first step recorded them, before it changed anything.
fn before_ramp(ctx: &Ctx<'_>) -> Result<Option<DnsSnapshot>, StepError> {
    for step in &ctx.plan().steps {
        if !matches!(step.action, Action::ShiftWeight { .. }) {
            continue;
        }
        if let Some(intent) = ctx.record(&step.id).and_then(|r| r.intent.as_ref()) {
            return crate::outputs::from_json(
                &step.id,
                "the values its intent recorded",
                &intent.recorded,
            )
            .map(Some);
        }
    }
    Ok(None)
}

/// Whether the compensation of a later ramp step is done: it put the records back as they were
/// before the ramp and drained the new side, so there is nothing left for this one to do.
fn a_later_ramp_step_restored(ctx: &Ctx<'_>) -> bool {
    ctx.plan()
        .steps
        .iter()
        .skip_while(|s| s.id != ctx.step.id)
        .skip(1)
        .filter(|s| matches!(s.action, Action::ShiftWeight { .. }))
        .filter_map(|s| ctx.record(&s.id)?.undo.as_ref())
        .any(|undo| undo.status == UndoStatus::Done)
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
/// changed nothing), zone by zone. When that takes the new side out of DNS, the old side must be
/// able to serve first, and the new side is then drained before anything behind it is deleted.
///
/// Whether traffic must be handed back is decided by what the step did
/// (`forward_sent_traffic_to_new`), not by what DNS shows now: an interrupted earlier attempt of
/// this very restore may already have pointed the names back, and clients that resolved before it
/// still hold the new answer.
async fn restore(
    ctx: &Ctx<'_>,
    before: Option<DnsSnapshot>,
    forward_sent_traffic_to_new: bool,
) -> Result<(), StepError> {
    let Some(snapshot) = before else {
        return Ok(());
    };
    let recorded = snapshot_zones(ctx, snapshot)?;
    let previous = dns_records::all(&recorded);
    if previous.is_empty() {
        return Ok(());
    }
    let hand_back = forward_sent_traffic_to_new && !points_at_new(ctx, &previous)?;
    if hand_back {
        wait_old_side_healthy(ctx).await?;
    }
    // Which record sets are managed is decided by what discovery moved in each zone, not by the
    // recording (a record set the step created is absent from it and must be deleted).
    let discovered = moved(ctx)?;
    for zone in &recorded {
        let managed = discovered
            .iter()
            .find(|z| z.zone_id == zone.zone_id)
            .cloned()
            .unwrap_or_else(|| zone.clone());
        converge(ctx, &managed, &zone.records).await?;
    }
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
pub(super) async fn wait_old_side_healthy(ctx: &Ctx<'_>) -> Result<(), StepError> {
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
            routing: Default::default(),
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
