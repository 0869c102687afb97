//! The DNS cutover: lowering the TTL, switching the alias (or ramping weights), and putting the
//! record back on rollback.
//!
//! Every change is expressed as "make the record sets of this name equal to these", applied as
//! one atomic Route53 batch, so that a repeated or resumed step converges instead of failing.

use std::time::Duration;

use migrate_plan::Action;

use super::{drain, Outcome, Prepared};
use crate::context::{Ctx, Outputs, POLL};
use crate::error::StepError;
use crate::ports::{AliasTarget, ChangeAction, ChangeStatus, DnsRecord, RecordChange, TargetState};

/// Route53 answers an alias to a load balancer with a 60-second TTL.
pub const ALIAS_TTL_SECS: u64 = 60;

const OLD_SET: &str = "migrate-old";
const NEW_SET: &str = "migrate-new";

fn zone(ctx: &Ctx<'_>) -> Result<String, StepError> {
    ctx.output("discover-source", "zone_id")
}

fn record_name(ctx: &Ctx<'_>) -> String {
    ctx.playbook().cutover.record.clone()
}

fn normalise(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn decode(json: &str) -> Result<Vec<DnsRecord>, StepError> {
    serde_json::from_str(json).map_err(|e| {
        StepError::precondition(format!("the recorded DNS records cannot be read: {e}"))
    })
}

fn encode(records: &[DnsRecord]) -> String {
    serde_json::to_string(records).unwrap_or_default()
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
pub async fn prepare(ctx: &Ctx<'_>) -> Result<Prepared, StepError> {
    let records = current(ctx).await?;
    let mut prepared = Prepared::new(format!("change DNS record {}", record_name(ctx)));
    prepared.recorded.insert("records".into(), encode(&records));
    Ok(prepared)
}

fn same_target(a: &DnsRecord, b: &DnsRecord) -> bool {
    a.record_type == b.record_type
        && a.ttl == b.ttl
        && a.weight == b.weight
        && a.values == b.values
        && match (&a.alias, &b.alias) {
            (Some(x), Some(y)) => {
                normalise(&x.dns_name) == normalise(&y.dns_name)
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
        dns_name: ctx.output("create-load-balancer", "dns_name")?,
        hosted_zone_id: ctx.output("create-load-balancer", "zone_id")?,
        evaluate_target_health,
    })
}

fn original(ctx: &Ctx<'_>) -> Result<Vec<DnsRecord>, StepError> {
    decode(&ctx.output("discover-source", "record")?)
}

/// The largest TTL clients may have cached for the original record.
pub fn original_ttl(records: &[DnsRecord]) -> u64 {
    records
        .iter()
        .map(|r| {
            if r.alias.is_some() {
                ALIAS_TTL_SECS
            } else {
                u64::from(r.ttl.unwrap_or(300))
            }
        })
        .max()
        .unwrap_or(ALIAS_TTL_SECS)
}

pub async fn lower_ttl(
    ctx: &Ctx<'_>,
    intent: &migrate_journal::Intent,
) -> Result<Outcome, StepError> {
    let before = decode(intent.recorded.get("records").map_or("[]", String::as_str))?;
    let target = ctx.playbook().cutover.lower_ttl_to;
    if before.iter().all(|r| r.alias.is_some()) {
        return Ok(Outcome::Skipped(format!(
            "the record is an alias; clients cache it for the load balancer's {ALIAS_TTL_SECS}s"
        )));
    }
    if before
        .iter()
        .all(|r| r.alias.is_some() || r.ttl.is_some_and(|t| t <= target))
    {
        return Ok(Outcome::Skipped(format!(
            "the TTL is already {target}s or less"
        )));
    }
    let lowered: Vec<DnsRecord> = before
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if r.alias.is_none() {
                r.ttl = Some(r.ttl.unwrap_or(target).min(target));
            }
            r
        })
        .collect();
    converge(ctx, &lowered).await?;
    // Clients that resolved just before the change keep the old TTL; wait it out so that the
    // cutover reaches everyone within the new TTL.
    let old_ttl = original_ttl(&before);
    drain::wait_for(
        ctx,
        Duration::from_secs(old_ttl),
        "the old TTL to expire from caches",
    )
    .await?;
    Ok(Outcome::Done(Outputs::from([(
        "effective_ttl".into(),
        target.to_string(),
    )])))
}

pub async fn cutover(ctx: &Ctx<'_>) -> Result<Outcome, StepError> {
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
    Ok(Outcome::Done(Outputs::from([(
        "cutover_at".into(),
        ctx.now().to_rfc3339(),
    )])))
}

pub async fn shift_weight(ctx: &Ctx<'_>, weight: u8, bake_secs: u64) -> Result<Outcome, StepError> {
    if weight >= 100 {
        // The last step of the ramp leaves a plain alias, the same end state as the alias strategy.
        return cutover(ctx).await;
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
            vec![ctx.output("create-load-balancer", "dns_name")?]
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
        Duration::from_secs(bake_secs),
        &format!("{weight}% of traffic to bake"),
    )
    .await?;
    Ok(Outcome::Done(Outputs::from([(
        "weight".into(),
        weight.to_string(),
    )])))
}

fn points_at_new(ctx: &Ctx<'_>, records: &[DnsRecord]) -> bool {
    let Some(new_dns) = ctx.optional_output("create-load-balancer", "dns_name") else {
        return false;
    };
    let new_dns = normalise(&new_dns);
    records.iter().any(|r| {
        r.weight != Some(0)
            && (r
                .alias
                .as_ref()
                .is_some_and(|a| normalise(&a.dns_name) == new_dns)
                || r.values.iter().any(|v| normalise(v) == new_dns))
    })
}

/// Puts back the record sets recorded before the step. When that takes the new side out of DNS,
/// the old side must be able to serve first, and the new side is then drained before anything
/// behind it is deleted.
pub async fn restore(ctx: &Ctx<'_>, recorded: &Outputs) -> Result<(), StepError> {
    let Some(json) = recorded.get("records") else {
        return Ok(());
    };
    let previous = decode(json)?;
    if previous.is_empty() {
        return Ok(());
    }
    // Whether traffic must be handed back is decided by what this step did, not by what DNS
    // shows now: an interrupted earlier attempt of this very restore may already have pointed
    // the name back, and clients that resolved before it still hold the new answer.
    let forward_sent_traffic_to_new = matches!(
        ctx.step.action,
        Action::CutoverDns | Action::ShiftWeight { .. }
    );
    let hand_back = forward_sent_traffic_to_new && !points_at_new(ctx, &previous);
    if hand_back {
        wait_old_side_healthy(ctx).await?;
    }
    converge(ctx, &previous).await?;
    if hand_back {
        if let Some(arn) = ctx.optional_output("create-load-balancer", "arn") {
            let since = ctx.now();
            let drain = &ctx.playbook().drain;
            drain::wait_for_zero(
                ctx,
                &arn,
                since,
                drain
                    .min_wait
                    .max(Duration::from_secs(original_ttl(&previous))),
                drain.zero_traffic_window,
                "the new load balancer",
            )
            .await?;
        }
    }
    Ok(())
}

/// Waits until a target group of the old load balancer has a healthy target.
pub async fn wait_old_side_healthy(ctx: &Ctx<'_>) -> Result<(), StepError> {
    let groups = ctx
        .optional_output("discover-source", "target_groups")
        .unwrap_or_default();
    let groups: Vec<&str> = groups.split(',').filter(|s| !s.is_empty()).collect();
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
