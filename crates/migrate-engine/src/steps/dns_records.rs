//! The record sets the DNS steps move, and what each becomes: which record sets of a zone a step
//! manages, the same record set pointed at the new load balancer, and the weighted pair of a
//! ramp. Pure functions over the record model, so that each rule is tested on its own.

use crate::outputs::ZoneRecords;
use crate::ports::{normalise_dns_name, AliasTarget, DnsRecord};

/// The set identifiers of the weighted pair a ramp splits a plain record set into.
pub(crate) const OLD_SET: &str = "migrate-old";
pub(crate) const NEW_SET: &str = "migrate-new";

/// The new load balancer, as a record set names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewTarget {
    pub dns_name: String,
    pub hosted_zone_id: String,
}

/// (normalised name, type, set identifier): what Route53 identifies a record set by.
pub(crate) fn key(record: &DnsRecord) -> (String, String, Option<String>) {
    (
        normalise_dns_name(&record.name),
        record.record_type.clone(),
        record.set_identifier.clone(),
    )
}

/// Whether a record set read from the zone is one the DNS steps manage: one of the moved record
/// sets, or one of the weighted pair a ramp made of a plain one. Other record sets of the same
/// name (a weighted sibling that points elsewhere, a TXT record) are never touched.
pub(crate) fn manages(moved: &[DnsRecord], record: &DnsRecord) -> bool {
    let (name, record_type, set) = key(record);
    moved.iter().any(|m| {
        let (moved_name, moved_type, moved_set) = key(m);
        moved_name == name
            && moved_type == record_type
            && (moved_set == set
                || (moved_set.is_none() && matches!(set.as_deref(), Some(OLD_SET) | Some(NEW_SET))))
    })
}

/// The distinct names of the moved record sets, in order.
pub(crate) fn names(moved: &[DnsRecord]) -> Vec<String> {
    let mut names: Vec<String> = moved.iter().map(|r| normalise_dns_name(&r.name)).collect();
    names.sort();
    names.dedup();
    names
}

/// The record set as read, pointed at the new load balancer: every other field is kept. An
/// alias keeps its `dualstack.` form (and an `AAAA` alias always takes it, since only the
/// `dualstack.` name of a load balancer answers `AAAA` queries:
/// <https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-to-elb-load-balancer.html>);
/// a CNAME keeps its TTL, capped at `ttl_cap`.
pub(crate) fn retarget(record: &DnsRecord, new: &NewTarget, ttl_cap: u32) -> DnsRecord {
    let mut moved = record.clone();
    let dual_stack = |was: &str| {
        record.record_type == "AAAA" || was.trim().to_ascii_lowercase().starts_with("dualstack.")
    };
    match &record.alias {
        Some(alias) => {
            let dns_name = if dual_stack(&alias.dns_name) {
                format!("dualstack.{}", normalise_dns_name(&new.dns_name))
            } else {
                new.dns_name.clone()
            };
            moved.alias = Some(AliasTarget {
                dns_name,
                hosted_zone_id: new.hosted_zone_id.clone(),
                evaluate_target_health: alias.evaluate_target_health,
            });
        }
        None => {
            moved.values = vec![new.dns_name.clone()];
            moved.ttl = record.ttl.map(|t| t.min(ttl_cap));
        }
    }
    moved
}

/// One step of a weighted ramp for one record set: a plain record set becomes the pair
/// `migrate-old` (as read, `100 - weight`) and `migrate-new` (retargeted, `weight`). A record set
/// that already has a set identifier keeps its own weight among its siblings and moves whole at
/// the last step: splitting it would change the share its owner gave it.
pub(crate) fn ramp(
    record: &DnsRecord,
    new: &NewTarget,
    weight: u8,
    ttl_cap: u32,
) -> Vec<DnsRecord> {
    if record.set_identifier.is_some() {
        return vec![record.clone()];
    }
    let mut old = record.clone();
    old.set_identifier = Some(OLD_SET.into());
    old.weight = Some(100u8.saturating_sub(weight));
    old.ttl = old.ttl.map(|t| t.min(ttl_cap));
    let mut moved = retarget(record, new, ttl_cap);
    moved.set_identifier = Some(NEW_SET.into());
    moved.weight = Some(weight);
    vec![old, moved]
}

/// Whether two record sets answer alike (names and alias names compared in one form).
pub(crate) fn same_record(a: &DnsRecord, b: &DnsRecord) -> bool {
    key(a) == key(b)
        && a.ttl == b.ttl
        && a.weight == b.weight
        && a.values == b.values
        && a.routing == b.routing
        && match (&a.alias, &b.alias) {
            (Some(x), Some(y)) => {
                x.dns_name
                    .trim()
                    .trim_end_matches('.')
                    .eq_ignore_ascii_case(y.dns_name.trim().trim_end_matches('.'))
                    && x.hosted_zone_id == y.hosted_zone_id
                    && x.evaluate_target_health == y.evaluate_target_health
            }
            (None, None) => true,
            _ => false,
        }
}

/// Every moved record set, all zones together.
pub(crate) fn all(zones: &[ZoneRecords]) -> Vec<DnsRecord> {
    zones
        .iter()
        .flat_map(|z| z.records.iter().cloned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::RecordRouting;

    fn new_lb() -> NewTarget {
        NewTarget {
            dns_name: "shop-new-1.elb.amazonaws.com".into(),
            hosted_zone_id: "ZNEW".into(),
        }
    }

    fn alias(record_type: &str, target: &str) -> DnsRecord {
        DnsRecord {
            name: "shop.example.com.".into(),
            record_type: record_type.into(),
            ttl: None,
            values: vec![],
            alias: Some(AliasTarget {
                dns_name: target.into(),
                hosted_zone_id: "ZOLD".into(),
                evaluate_target_health: true,
            }),
            set_identifier: None,
            weight: None,
            routing: RecordRouting::default(),
        }
    }

    #[test]
    fn a_moved_record_keeps_every_field_but_its_target() {
        let mut weighted = alias("A", "old-1.elb.amazonaws.com");
        weighted.set_identifier = Some("blue".into());
        weighted.weight = Some(70);
        let moved = retarget(&weighted, &new_lb(), 60);
        assert_eq!(moved.set_identifier.as_deref(), Some("blue"));
        assert_eq!(moved.weight, Some(70));
        let target = moved.alias.expect("still an alias");
        assert_eq!(target.dns_name, "shop-new-1.elb.amazonaws.com");
        assert_eq!(target.hosted_zone_id, "ZNEW");
        assert!(target.evaluate_target_health);
    }

    #[test]
    fn aaaa_and_dualstack_aliases_take_the_dualstack_name() {
        let aaaa = retarget(&alias("AAAA", "old-1.elb.amazonaws.com"), &new_lb(), 60);
        assert_eq!(
            aaaa.alias.map(|a| a.dns_name).as_deref(),
            Some("dualstack.shop-new-1.elb.amazonaws.com")
        );
        let a = retarget(
            &alias("A", "dualstack.old-1.elb.amazonaws.com."),
            &new_lb(),
            60,
        );
        assert_eq!(
            a.alias.map(|a| a.dns_name).as_deref(),
            Some("dualstack.shop-new-1.elb.amazonaws.com")
        );
    }

    #[test]
    fn a_cname_keeps_its_type_and_a_capped_ttl() {
        let mut cname = alias("CNAME", "");
        cname.alias = None;
        cname.ttl = Some(3600);
        cname.values = vec!["old-1.elb.amazonaws.com".into()];
        let moved = retarget(&cname, &new_lb(), 60);
        assert_eq!(moved.record_type, "CNAME");
        assert_eq!(moved.ttl, Some(60));
        assert_eq!(
            moved.values,
            vec!["shop-new-1.elb.amazonaws.com".to_string()]
        );
    }

    #[test]
    fn a_ramp_splits_plain_records_and_leaves_weighted_ones_whole() {
        let plain = alias("A", "old-1.elb.amazonaws.com");
        let pair = ramp(&plain, &new_lb(), 25, 60);
        assert_eq!(pair.len(), 2);
        assert_eq!(
            (pair[0].set_identifier.as_deref(), pair[0].weight),
            (Some(OLD_SET), Some(75))
        );
        assert_eq!(
            (pair[1].set_identifier.as_deref(), pair[1].weight),
            (Some(NEW_SET), Some(25))
        );
        let mut weighted = plain.clone();
        weighted.set_identifier = Some("blue".into());
        weighted.weight = Some(10);
        assert_eq!(ramp(&weighted, &new_lb(), 25, 60), vec![weighted.clone()]);
    }

    #[test]
    fn only_moved_record_sets_and_their_ramp_pairs_are_managed() {
        let plain = alias("A", "old-1.elb.amazonaws.com");
        let moved = vec![plain.clone()];
        let mut old_half = plain.clone();
        old_half.set_identifier = Some(OLD_SET.into());
        assert!(manages(&moved, &plain));
        assert!(manages(&moved, &old_half));
        let mut sibling = plain.clone();
        sibling.set_identifier = Some("green".into());
        assert!(!manages(&moved, &sibling));
        assert!(!manages(&moved, &alias("AAAA", "old-1.elb.amazonaws.com")));
        let mut other_name = plain;
        other_name.name = "api.example.com".into();
        assert!(!manages(&moved, &other_name));
    }
}
