//! Route53: hosted zones, record sets and change status.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::CloudResult;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasTarget {
    pub dns_name: String,
    pub hosted_zone_id: String,
    pub evaluate_target_health: bool,
}

/// A geolocation routing location, as Route53 stores it on a record set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeoLocation {
    pub continent_code: Option<String>,
    pub country_code: Option<String>,
    pub subdivision_code: Option<String>,
}

/// A geoproximity routing location.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeoProximity {
    pub aws_region: Option<String>,
    pub local_zone_group: Option<String>,
    pub bias: Option<i32>,
    pub latitude: Option<String>,
    pub longitude: Option<String>,
}

/// A CIDR routing location: a collection id and a location name in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CidrRouting {
    pub collection_id: String,
    pub location_name: String,
}

/// The fields of a record set beyond its name, type, target and weight: the routing policies and
/// the health check Route53 attaches to it. They are kept as read so that a change or a rollback
/// writes back the record set exactly; a batch that leaves one out is either refused
/// (`InvalidChangeBatch`) or silently creates a different record set. The fields are those of
/// `ResourceRecordSet`:
/// <https://docs.aws.amazon.com/Route53/latest/APIReference/API_ResourceRecordSet.html>
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordRouting {
    pub health_check_id: Option<String>,
    /// `PRIMARY` or `SECONDARY`.
    pub failover: Option<String>,
    /// The region of a latency record set.
    pub region: Option<String>,
    pub geo_location: Option<GeoLocation>,
    pub geo_proximity: Option<GeoProximity>,
    pub cidr_routing: Option<CidrRouting>,
    pub multi_value_answer: Option<bool>,
    /// Set when a traffic policy instance created the record set (and owns it).
    pub traffic_policy_instance_id: Option<String>,
}

impl RecordRouting {
    /// Why a record set with these fields cannot be pointed at another load balancer by
    /// rewriting its target, or `None` when it can. A plain or weighted alias or CNAME can: its
    /// answer depends on nothing but its target and weight.
    pub fn why_not_movable(&self) -> Option<&'static str> {
        if self.traffic_policy_instance_id.is_some() {
            return Some(
                "a traffic policy instance owns it and rewrites it from the policy; change the \
                 policy instead",
            );
        }
        if self.health_check_id.is_some() {
            return Some(
                "it carries a Route53 health check, which probes an endpoint the tool cannot \
                 retarget: once the old side scales down the check fails and Route53 withdraws \
                 the moved record",
            );
        }
        if self.failover.is_some() {
            return Some(
                "it is one half of a failover pair; which side is primary, and what its health \
                 is judged by, is a decision the tool cannot make",
            );
        }
        if self.region.is_some() {
            return Some(
                "it is a latency record set: each region's set points at that region's \
                 endpoint, and the tool creates one load balancer in one region",
            );
        }
        if self.geo_location.is_some()
            || self.geo_proximity.is_some()
            || self.cidr_routing.is_some()
        {
            return Some(
                "it routes by where the client is (geolocation, geoproximity or CIDR): the \
                 tool cannot tell which clients the new load balancer should serve",
            );
        }
        if self.multi_value_answer.is_some() {
            return Some(
                "it is a multivalue answer record set, which is health-checked per value and \
                 cannot alias a load balancer",
            );
        }
        None
    }
}

/// A hosted zone of the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostedZone {
    /// The bare id (`Z123`), without `/hostedzone/`.
    pub id: String,
    /// Without the trailing dot.
    pub name: String,
    /// A private zone answers only resolvers in the VPCs associated with it.
    pub private: bool,
}

/// One record set. Either `alias` is set, or `ttl` and `values` are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsRecord {
    /// Fully qualified, with or without the trailing dot; implementations normalise.
    pub name: String,
    /// `A`, `AAAA` or `CNAME`.
    pub record_type: String,
    pub ttl: Option<u32>,
    pub values: Vec<String>,
    pub alias: Option<AliasTarget>,
    /// Set for weighted records.
    pub set_identifier: Option<String>,
    pub weight: Option<u8>,
    /// Every other field of the record set, as read.
    #[serde(default)]
    pub routing: RecordRouting,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ChangeAction {
    Create,
    Upsert,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordChange {
    pub action: ChangeAction,
    pub record: DnsRecord,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ChangeStatus {
    Pending,
    Insync,
}

#[async_trait]
pub trait Dns: Send + Sync {
    /// The id of the public hosted zone named `name` (e.g. `example.com`).
    async fn find_zone(&self, name: &str) -> CloudResult<Option<String>>;
    /// Every record set named `name` (all types, all set identifiers).
    async fn records(&self, zone_id: &str, name: &str) -> CloudResult<Vec<DnsRecord>>;
    /// Every hosted zone of the account, public and private (`ListHostedZones`, all pages).
    async fn zones(&self) -> CloudResult<Vec<HostedZone>>;
    /// Every record set of the zone (`ListResourceRecordSets`, all pages).
    async fn zone_records(&self, zone_id: &str) -> CloudResult<Vec<DnsRecord>>;
    /// Applies the changes atomically, as one `ChangeResourceRecordSets` batch; answers the change id.
    async fn change_records(&self, zone_id: &str, changes: &[RecordChange]) -> CloudResult<String>;
    async fn change_status(&self, change_id: &str) -> CloudResult<ChangeStatus>;
}

/// A DNS name in the one form every comparison uses: trimmed, lower-case, without the trailing
/// dot Route53 stores, and without the `dualstack.` prefix under which Route53 aliases name an
/// Elastic Load Balancing DNS name (`dualstack.shop-1.us-east-1.elb.amazonaws.com` is the same
/// load balancer as `shop-1.us-east-1.elb.amazonaws.com`).
pub fn normalise_dns_name(name: &str) -> String {
    let lower = name.trim().trim_end_matches('.').to_ascii_lowercase();
    match lower.strip_prefix("dualstack.") {
        Some(rest) => rest.to_string(),
        None => lower,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names_compare_in_one_form() {
        assert_eq!(normalise_dns_name("Shop.Example.com."), "shop.example.com");
        assert_eq!(normalise_dns_name(" shop.example.com "), "shop.example.com");
        assert_eq!(
            normalise_dns_name("dualstack.Shop-1.us-east-1.elb.amazonaws.com."),
            "shop-1.us-east-1.elb.amazonaws.com"
        );
    }
}
