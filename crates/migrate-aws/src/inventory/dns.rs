//! Route53 hosted zones, and of their records the `A`, `AAAA` and `CNAME` ones that point at a
//! load balancer or a Beanstalk environment of the inventory.

use aws_sdk_route53::types::RrType;
use migrate_inventory::{normalise, DnsRecord, HostedZone, Inventory, UnreadPart};

use super::{fan_out, unread, Clients, PartRead};

pub(super) async fn read(clients: &Clients) -> Result<PartRead<Vec<HostedZone>>, UnreadPart> {
    let mut zones = Vec::new();
    let mut marker = None;
    loop {
        let page = clients
            .route53
            .list_hosted_zones()
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| unread("route53:ListHostedZones", &e))?;
        for zone in page.hosted_zones() {
            zones.push(HostedZone {
                id: zone.id().trim_start_matches("/hostedzone/").to_string(),
                name: zone.name().trim_end_matches('.').to_string(),
                private: zone.config().is_some_and(|c| c.private_zone()),
                records: Vec::new(),
            });
        }
        marker = page.next_marker().map(str::to_string);
        if !page.is_truncated() || marker.is_none() {
            break;
        }
    }
    let zones = fan_out(zones, |mut zone| async move {
        zone.records = records(clients, &zone.id).await?;
        Ok(zone)
    })
    .await?;
    Ok(PartRead::whole(zones))
}

async fn records(clients: &Clients, zone_id: &str) -> Result<Vec<DnsRecord>, UnreadPart> {
    let mut records = Vec::new();
    let (mut name, mut kind, mut identifier) = (None, None, None);
    loop {
        let page = clients
            .route53
            .list_resource_record_sets()
            .hosted_zone_id(zone_id)
            .set_start_record_name(name)
            .set_start_record_type(kind)
            .set_start_record_identifier(identifier)
            .send()
            .await
            .map_err(|e| unread("route53:ListResourceRecordSets", &e))?;
        for set in page.resource_record_sets() {
            if !matches!(set.r#type(), RrType::A | RrType::Aaaa | RrType::Cname) {
                continue;
            }
            records.push(DnsRecord {
                name: set.name().trim_end_matches('.').to_string(),
                record_type: set.r#type().as_str().to_string(),
                alias_target: set.alias_target().map(|a| a.dns_name().to_string()),
                values: set
                    .resource_records()
                    .iter()
                    .map(|r| r.value().to_string())
                    .collect(),
                set_identifier: set.set_identifier().map(str::to_string),
            });
        }
        if !page.is_truncated() {
            return Ok(records);
        }
        name = page.next_record_name().map(str::to_string);
        kind = page.next_record_type().cloned();
        identifier = page.next_record_identifier().map(str::to_string);
        if name.is_none() {
            return Ok(records);
        }
    }
}

/// Drops every record that reaches nothing of the inventory: the inventory keeps zones whole
/// only by name, since a zone of thousands of records would drown what matters.
pub(super) fn keep_records_of(inventory: &mut Inventory) {
    let targets: Vec<String> = inventory
        .load_balancers
        .iter()
        .map(|lb| normalise(&lb.dns_name))
        .chain(
            inventory
                .beanstalk_environments
                .iter()
                .filter_map(|env| env.cname.as_deref().map(normalise)),
        )
        .collect();
    for zone in &mut inventory.hosted_zones {
        zone.records
            .retain(|record| targets.iter().any(|target| record.points_at(target)));
    }
}
