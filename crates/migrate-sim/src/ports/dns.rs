//! Route53: a change batch is atomic, CREATE of an existing record and DELETE of a missing one
//! fail, UPSERT is idempotent, an alias must name a load balancer that exists, and every change
//! is PENDING until its propagation delay has passed.

use async_trait::async_trait;
use migrate_engine::ports::{
    ChangeAction, ChangeStatus, CloudResult, Dns, DnsRecord, ErrorKind, HostedZone, RecordChange,
};

use super::{err, Kind, SimCloud};
use crate::world::route53::{key_of, normalise, ChangeRec, ZoneVersion};

#[async_trait]
impl Dns for SimCloud {
    async fn find_zone(&self, name: &str) -> CloudResult<Option<String>> {
        self.call("route53:ListHostedZonesByName", name, Kind::Read, |w| {
            let wanted = normalise(name);
            Ok(w.route53
                .zones
                .values()
                .find(|z| normalise(&z.name) == wanted)
                .map(|z| z.id.clone()))
        })
        .await
    }

    async fn records(&self, zone_id: &str, name: &str) -> CloudResult<Vec<DnsRecord>> {
        let op = "route53:ListResourceRecordSets";
        self.call(op, zone_id, Kind::Read, |w| {
            let zone = w
                .route53
                .zones
                .get(zone_id)
                .ok_or_else(|| err(ErrorKind::NotFound, op, zone_id, "NoSuchHostedZone"))?;
            let wanted = normalise(name);
            Ok(zone
                .current()
                .iter()
                .filter(|((n, _, _), _)| *n == wanted)
                .map(|(_, r)| r.clone())
                .collect())
        })
        .await
    }

    async fn zones(&self) -> CloudResult<Vec<HostedZone>> {
        self.call("route53:ListHostedZones", "hosted zones", Kind::Read, |w| {
            let hide = w.topology.hide_other_zones_from_discovery;
            Ok(w.route53
                .zones
                .values()
                .filter(|z| !hide || z.id == w.topology.zone_id)
                .map(|z| HostedZone {
                    id: z.id.clone(),
                    name: normalise(&z.name),
                    private: z.private,
                })
                .collect())
        })
        .await
    }

    async fn zone_records(&self, zone_id: &str) -> CloudResult<Vec<DnsRecord>> {
        let op = "route53:ListResourceRecordSets";
        self.call(op, zone_id, Kind::Read, |w| {
            let zone = w
                .route53
                .zones
                .get(zone_id)
                .ok_or_else(|| err(ErrorKind::NotFound, op, zone_id, "NoSuchHostedZone"))?;
            let hide_aaaa = w.topology.hide_aaaa_from_discovery;
            Ok(zone
                .current()
                .iter()
                .filter(|((_, ty, _), _)| !hide_aaaa || ty != "AAAA")
                .map(|(_, r)| r.clone())
                .collect())
        })
        .await
    }

    async fn change_records(&self, zone_id: &str, changes: &[RecordChange]) -> CloudResult<String> {
        let op = "route53:ChangeResourceRecordSets";
        self.call(op, zone_id, Kind::Write, |w| {
            let zone = w.route53.zones.get(zone_id).ok_or_else(|| err(ErrorKind::NotFound, op, zone_id, "NoSuchHostedZone"))?;
            let before = zone.current().clone();
            let mut records = before.clone();
            let mut lowered_from = None;
            for change in changes {
                let key = key_of(&change.record);
                if let Some(alias) = &change.record.alias {
                    let target = normalise(&alias.dns_name);
                    let target = target.strip_prefix("dualstack.").unwrap_or(&target).to_string();
                    let exists = w.elb.load_balancers.values().any(|l| !l.deleted && l.dns_name == target);
                    if !exists && change.action != ChangeAction::Delete {
                        return Err(err(ErrorKind::InvalidRequest, op, zone_id, format!(
                            "InvalidChangeBatch: Tried to create an alias that targets {target}, type A in zone {}, but the alias target name does not lie within the target zone", alias.hosted_zone_id
                        )));
                    }
                }
                match change.action {
                    ChangeAction::Create => {
                        if records.contains_key(&key) {
                            return Err(err(ErrorKind::AlreadyExists, op, zone_id, format!(
                                "InvalidChangeBatch: Tried to create resource record set [name='{}', type='{}'] but it already exists", key.0, key.1
                            )));
                        }
                        records.insert(key, change.record.clone());
                    }
                    ChangeAction::Upsert => {
                        if let (Some(old), Some(new)) = (records.get(&key).and_then(|r| r.ttl), change.record.ttl) {
                            if new < old {
                                lowered_from = Some(old);
                            }
                        }
                        records.insert(key, change.record.clone());
                    }
                    ChangeAction::Delete => {
                        let same = records.get(&key).is_some_and(|r| {
                            let mut a = r.clone();
                            let mut b = change.record.clone();
                            a.name = normalise(&a.name);
                            b.name = normalise(&b.name);
                            a == b
                        });
                        if !same {
                            return Err(err(ErrorKind::NotFound, op, zone_id, format!(
                                "InvalidChangeBatch: Tried to delete resource record set [name='{}', type='{}'] but it was not found", key.0, key.1
                            )));
                        }
                        records.remove(&key);
                    }
                }
            }
            let propagation = w.draw(w.profile.dns_propagation);
            let now = w.now;
            let modified = records != before;
            let id = format!("/change/C{}", w.ids.hex16().to_ascii_uppercase());
            if let Some(zone) = w.route53.zones.get_mut(zone_id) {
                zone.versions.push(ZoneVersion { submitted_at: now, insync_at: now + propagation, records });
            }
            w.route53.changes.insert(id.clone(), ChangeRec {
                submitted_at: now,
                insync_at: now + propagation,
                modified,
                lowered_from_ttl: lowered_from,
            });
            Ok(id)
        })
        .await
    }

    async fn change_status(&self, change_id: &str) -> CloudResult<ChangeStatus> {
        let op = "route53:GetChange";
        self.call(op, change_id, Kind::Read, |w| {
            let c = w
                .route53
                .changes
                .get(change_id)
                .ok_or_else(|| err(ErrorKind::NotFound, op, change_id, "NoSuchChange"))?;
            Ok(if w.now >= c.insync_at {
                ChangeStatus::Insync
            } else {
                ChangeStatus::Pending
            })
        })
        .await
    }
}
