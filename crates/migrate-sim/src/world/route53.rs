//! Route53: hosted zones, record sets, and changes that propagate from PENDING to INSYNC.
//!
//! Every change batch produces a new version of the zone. A resolver querying during propagation
//! sees the new version once the authoritative server it asks has it: each (resolver, version)
//! pair gets a stable point inside the propagation window, and at INSYNC every server has it.

use std::collections::BTreeMap;

use migrate_engine::ports::DnsRecord;

use crate::clock::Millis;
use crate::world::ids::stable_unit;

/// (name without trailing dot, type, set identifier).
pub(crate) type RecordKey = (String, String, String);

pub(crate) use migrate_engine::ports::normalise_dns_name as normalise;

pub(crate) fn key_of(record: &DnsRecord) -> RecordKey {
    (
        normalise(&record.name),
        record.record_type.clone(),
        record.set_identifier.clone().unwrap_or_default(),
    )
}

#[derive(Debug, Clone)]
pub(crate) struct ZoneVersion {
    pub submitted_at: Millis,
    pub insync_at: Millis,
    pub records: BTreeMap<RecordKey, DnsRecord>,
}

#[derive(Debug, Clone)]
pub(crate) struct ZoneRec {
    pub id: String,
    pub name: String,
    /// A private zone answers only resolvers inside the VPCs associated with it; clients there
    /// see its records instead of the public zone's of the same name:
    /// https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zones-private.html
    pub private: bool,
    /// Oldest first; the first is the zone as seeded.
    pub versions: Vec<ZoneVersion>,
}

impl ZoneRec {
    pub fn current(&self) -> &BTreeMap<RecordKey, DnsRecord> {
        &self.versions[self.versions.len() - 1].records
    }

    /// The version a resolver identified by `resolver` sees at `now`.
    pub fn visible_to(&self, resolver: u64, now: Millis) -> &BTreeMap<RecordKey, DnsRecord> {
        for (i, v) in self.versions.iter().enumerate().rev() {
            let window = v.insync_at.saturating_sub(v.submitted_at);
            let u = stable_unit(resolver, i as u64, 0x5eed);
            let seen_at = v.submitted_at + (window as f64 * u) as Millis;
            if now >= seen_at {
                return &v.records;
            }
        }
        &self.versions[0].records
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ChangeRec {
    pub submitted_at: Millis,
    pub insync_at: Millis,
    /// False for a batch that left the zone as it was (an UPSERT of what is there).
    pub modified: bool,
    /// The largest TTL the batch replaced by a smaller one (a TTL lowering), if any.
    pub lowered_from_ttl: Option<u32>,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Route53 {
    pub zones: BTreeMap<String, ZoneRec>,
    pub changes: BTreeMap<String, ChangeRec>,
}
