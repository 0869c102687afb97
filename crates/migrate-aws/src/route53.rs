//! `Dns` on Route53.

use async_trait::async_trait;
use aws_sdk_route53::types::{
    AliasTarget as SdkAlias, Change, ChangeAction as SdkAction, ChangeBatch,
    ChangeStatus as SdkStatus, CidrRoutingConfig, Coordinates, GeoLocation as SdkGeoLocation,
    GeoProximityLocation, ResourceRecord, ResourceRecordSet, ResourceRecordSetFailover,
    ResourceRecordSetRegion, RrType,
};
use migrate_engine::ports::{
    normalise_dns_name, AliasTarget, ChangeAction, ChangeStatus, CidrRouting, CloudError,
    CloudResult, Dns, DnsRecord, ErrorKind, GeoLocation, GeoProximity, HostedZone, RecordChange,
    RecordRouting,
};

use crate::errors::{missing, sdk_error};

pub struct Route53Dns {
    route53: aws_sdk_route53::Client,
}

impl Route53Dns {
    pub fn new(route53: aws_sdk_route53::Client) -> Self {
        Self { route53 }
    }
}

/// A name as Route53 stores and lists it: the engine's one normal form, plus the trailing dot.
fn fully_qualified(name: &str) -> String {
    format!("{}.", normalise_dns_name(name))
}

/// `/hostedzone/Z123` → `Z123`; `/change/C123` → `C123`.
fn bare_id(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

fn record_of(set: &ResourceRecordSet) -> DnsRecord {
    DnsRecord {
        name: set.name().to_string(),
        record_type: set.r#type().as_str().to_string(),
        ttl: set.ttl().and_then(|t| u32::try_from(t).ok()),
        values: set
            .resource_records()
            .iter()
            .map(|r| r.value().to_string())
            .collect(),
        alias: set.alias_target().map(|a| AliasTarget {
            dns_name: a.dns_name().to_string(),
            hosted_zone_id: a.hosted_zone_id().to_string(),
            evaluate_target_health: a.evaluate_target_health(),
        }),
        set_identifier: set.set_identifier().map(str::to_string),
        weight: set.weight().and_then(|w| u8::try_from(w).ok()),
        routing: routing_of(set),
    }
}

/// Every field of the record set the engine's record model names beside target and weight.
fn routing_of(set: &ResourceRecordSet) -> RecordRouting {
    let text = |v: Option<&str>| v.map(str::to_string);
    RecordRouting {
        health_check_id: text(set.health_check_id()),
        failover: set.failover().map(|f| f.as_str().to_string()),
        region: set.region().map(|r| r.as_str().to_string()),
        geo_location: set.geo_location().map(|g| GeoLocation {
            continent_code: text(g.continent_code()),
            country_code: text(g.country_code()),
            subdivision_code: text(g.subdivision_code()),
        }),
        geo_proximity: set.geo_proximity_location().map(|g| GeoProximity {
            aws_region: text(g.aws_region()),
            local_zone_group: text(g.local_zone_group()),
            bias: g.bias(),
            latitude: g.coordinates().map(|c| c.latitude().to_string()),
            longitude: g.coordinates().map(|c| c.longitude().to_string()),
        }),
        cidr_routing: set.cidr_routing_config().map(|c| CidrRouting {
            collection_id: c.collection_id().to_string(),
            location_name: c.location_name().to_string(),
        }),
        multi_value_answer: set.multi_value_answer(),
        traffic_policy_instance_id: text(set.traffic_policy_instance_id()),
    }
}

/// Writes the routing fields back onto a record set being built, exactly as they were read.
fn with_routing(
    mut b: aws_sdk_route53::types::builders::ResourceRecordSetBuilder,
    routing: &RecordRouting,
) -> Result<aws_sdk_route53::types::builders::ResourceRecordSetBuilder, String> {
    b = b
        .set_health_check_id(routing.health_check_id.clone())
        .set_failover(
            routing
                .failover
                .as_deref()
                .map(ResourceRecordSetFailover::from),
        )
        .set_region(routing.region.as_deref().map(ResourceRecordSetRegion::from))
        .set_multi_value_answer(routing.multi_value_answer)
        .set_traffic_policy_instance_id(routing.traffic_policy_instance_id.clone());
    if let Some(g) = &routing.geo_location {
        b = b.geo_location(
            SdkGeoLocation::builder()
                .set_continent_code(g.continent_code.clone())
                .set_country_code(g.country_code.clone())
                .set_subdivision_code(g.subdivision_code.clone())
                .build(),
        );
    }
    if let Some(g) = &routing.geo_proximity {
        let coordinates = match (&g.latitude, &g.longitude) {
            (Some(latitude), Some(longitude)) => Some(
                Coordinates::builder()
                    .latitude(latitude)
                    .longitude(longitude)
                    .build()
                    .map_err(|e| e.to_string())?,
            ),
            _ => None,
        };
        b = b.geo_proximity_location(
            GeoProximityLocation::builder()
                .set_aws_region(g.aws_region.clone())
                .set_local_zone_group(g.local_zone_group.clone())
                .set_bias(g.bias)
                .set_coordinates(coordinates)
                .build(),
        );
    }
    if let Some(c) = &routing.cidr_routing {
        b = b.cidr_routing_config(
            CidrRoutingConfig::builder()
                .collection_id(&c.collection_id)
                .location_name(&c.location_name)
                .build()
                .map_err(|e| e.to_string())?,
        );
    }
    Ok(b)
}

fn record_set(record: &DnsRecord) -> Result<ResourceRecordSet, String> {
    let mut b = ResourceRecordSet::builder()
        .name(fully_qualified(&record.name))
        .r#type(RrType::from(record.record_type.as_str()));
    match (&record.alias, record.ttl) {
        (Some(alias), None) => {
            b = b.alias_target(
                SdkAlias::builder()
                    .dns_name(&alias.dns_name)
                    .hosted_zone_id(&alias.hosted_zone_id)
                    .evaluate_target_health(alias.evaluate_target_health)
                    .build()
                    .map_err(|e| e.to_string())?,
            );
        }
        (None, Some(ttl)) => {
            if record.values.is_empty() {
                return Err("a record without an alias needs values".into());
            }
            b = b.ttl(i64::from(ttl));
            for v in &record.values {
                b = b.resource_records(
                    ResourceRecord::builder()
                        .value(v)
                        .build()
                        .map_err(|e| e.to_string())?,
                );
            }
        }
        (Some(_), Some(_)) => return Err("an alias record has no TTL".into()),
        (None, None) => return Err("a record needs an alias or a TTL and values".into()),
    }
    if let Some(id) = &record.set_identifier {
        b = b.set_identifier(id);
    }
    if let Some(w) = record.weight {
        b = b.weight(i64::from(w));
    }
    b = with_routing(b, &record.routing)?;
    b.build().map_err(|e| e.to_string())
}

#[async_trait]
impl Dns for Route53Dns {
    async fn find_zone(&self, name: &str) -> CloudResult<Option<String>> {
        let wanted = fully_qualified(name);
        let resource = format!("hosted zone {wanted}");
        let out = self
            .route53
            .list_hosted_zones_by_name()
            .dns_name(&wanted)
            .max_items(100)
            .send()
            .await
            .map_err(|e| sdk_error(&e, "route53:ListHostedZonesByName", &resource))?;
        // The answer starts at the name and goes on in order; only an exact, public match counts.
        Ok(out
            .hosted_zones()
            .iter()
            .find(|z| {
                fully_qualified(z.name()) == wanted && !z.config().is_some_and(|c| c.private_zone())
            })
            .map(|z| bare_id(z.id()).to_string()))
    }

    async fn records(&self, zone_id: &str, name: &str) -> CloudResult<Vec<DnsRecord>> {
        let wanted = fully_qualified(name);
        let resource = format!("records {wanted} in zone {zone_id}");
        let mut records = Vec::new();
        let mut start_name = wanted.clone();
        let mut start_type: Option<RrType> = None;
        let mut start_id: Option<String> = None;
        loop {
            let out = self
                .route53
                .list_resource_record_sets()
                .hosted_zone_id(zone_id)
                .start_record_name(&start_name)
                .set_start_record_type(start_type.clone())
                .set_start_record_identifier(start_id.clone())
                .send()
                .await
                .map_err(|e| sdk_error(&e, "route53:ListResourceRecordSets", &resource))?;
            let mut past = false;
            for set in out.resource_record_sets() {
                if fully_qualified(set.name()) == wanted {
                    records.push(record_of(set));
                } else {
                    past = true;
                    break;
                }
            }
            if past || !out.is_truncated() {
                break;
            }
            match out.next_record_name() {
                Some(next) if fully_qualified(next) == wanted => {
                    start_name = next.to_string();
                    start_type = out.next_record_type().cloned();
                    start_id = out.next_record_identifier().map(str::to_string);
                }
                _ => break,
            }
        }
        Ok(records)
    }

    async fn zones(&self) -> CloudResult<Vec<HostedZone>> {
        let resource = "hosted zones";
        let mut zones = Vec::new();
        let mut marker: Option<String> = None;
        // `ListHostedZones` answers at most 100 zones a page; `NextMarker` continues:
        // https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZones.html
        loop {
            let out = self
                .route53
                .list_hosted_zones()
                .set_marker(marker.clone())
                .send()
                .await
                .map_err(|e| sdk_error(&e, "route53:ListHostedZones", resource))?;
            zones.extend(out.hosted_zones().iter().map(|z| HostedZone {
                id: bare_id(z.id()).to_string(),
                name: normalise_dns_name(z.name()),
                private: z.config().is_some_and(|c| c.private_zone()),
            }));
            match out.next_marker() {
                Some(next) if out.is_truncated() => marker = Some(next.to_string()),
                _ => break,
            }
        }
        Ok(zones)
    }

    async fn zone_records(&self, zone_id: &str) -> CloudResult<Vec<DnsRecord>> {
        let resource = format!("records in zone {zone_id}");
        let mut records = Vec::new();
        let mut start: Option<(String, Option<RrType>, Option<String>)> = None;
        // `ListResourceRecordSets` answers at most 300 record sets a page; the next page starts
        // at `NextRecordName`/`NextRecordType`/`NextRecordIdentifier`:
        // https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html
        loop {
            let mut request = self
                .route53
                .list_resource_record_sets()
                .hosted_zone_id(zone_id);
            if let Some((name, record_type, identifier)) = &start {
                request = request
                    .start_record_name(name)
                    .set_start_record_type(record_type.clone())
                    .set_start_record_identifier(identifier.clone());
            }
            let out = request
                .send()
                .await
                .map_err(|e| sdk_error(&e, "route53:ListResourceRecordSets", &resource))?;
            records.extend(out.resource_record_sets().iter().map(record_of));
            match out.next_record_name() {
                Some(next) if out.is_truncated() => {
                    start = Some((
                        next.to_string(),
                        out.next_record_type().cloned(),
                        out.next_record_identifier().map(str::to_string),
                    ));
                }
                _ => break,
            }
        }
        Ok(records)
    }

    async fn change_records(&self, zone_id: &str, changes: &[RecordChange]) -> CloudResult<String> {
        let resource = format!("records in zone {zone_id}");
        let invalid = |m: String| {
            CloudError::new(
                ErrorKind::InvalidRequest,
                "route53:ChangeResourceRecordSets",
                &resource,
                m,
            )
        };
        if changes.is_empty() {
            return Err(invalid("an empty change batch".into()));
        }
        let mut batch = ChangeBatch::builder().comment("migrate");
        for change in changes {
            let set = record_set(&change.record)
                .map_err(|m| invalid(format!("{}: {m}", change.record.name)))?;
            let action = match change.action {
                ChangeAction::Create => SdkAction::Create,
                ChangeAction::Upsert => SdkAction::Upsert,
                ChangeAction::Delete => SdkAction::Delete,
            };
            batch = batch.changes(
                Change::builder()
                    .action(action)
                    .resource_record_set(set)
                    .build()
                    .map_err(|e| invalid(e.to_string()))?,
            );
        }
        let out = self
            .route53
            .change_resource_record_sets()
            .hosted_zone_id(zone_id)
            .change_batch(batch.build().map_err(|e| invalid(e.to_string()))?)
            .send()
            .await
            .map_err(|e| sdk_error(&e, "route53:ChangeResourceRecordSets", &resource))?;
        let info = out
            .change_info()
            .ok_or_else(|| missing("route53:ChangeResourceRecordSets", &resource, "ChangeInfo"))?;
        Ok(bare_id(info.id()).to_string())
    }

    async fn change_status(&self, change_id: &str) -> CloudResult<ChangeStatus> {
        let resource = format!("change {change_id}");
        let out = self
            .route53
            .get_change()
            .id(change_id)
            .send()
            .await
            .map_err(|e| sdk_error(&e, "route53:GetChange", &resource))?;
        let info = out
            .change_info()
            .ok_or_else(|| missing("route53:GetChange", &resource, "ChangeInfo"))?;
        Ok(match info.status() {
            SdkStatus::Insync => ChangeStatus::Insync,
            _ => ChangeStatus::Pending,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids_fully_qualified() {
        assert_eq!(fully_qualified("Shop.Example.com"), "shop.example.com.");
        assert_eq!(fully_qualified("shop.example.com."), "shop.example.com.");
        assert_eq!(bare_id("/hostedzone/Z1"), "Z1");
        assert_eq!(bare_id("C2"), "C2");
    }

    #[test]
    fn records_need_an_alias_or_values() {
        let mut r = DnsRecord {
            name: "a.example.com".into(),
            record_type: "A".into(),
            ttl: None,
            values: vec![],
            alias: None,
            set_identifier: None,
            weight: None,
            routing: RecordRouting::default(),
        };
        assert!(record_set(&r).is_err());
        r.ttl = Some(60);
        assert!(record_set(&r).is_err());
        r.values = vec!["192.0.2.1".into()];
        assert!(record_set(&r).is_ok());
        r.alias = Some(AliasTarget {
            dns_name: "x".into(),
            hosted_zone_id: "Z".into(),
            evaluate_target_health: false,
        });
        assert!(record_set(&r).is_err());
    }
}
