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
