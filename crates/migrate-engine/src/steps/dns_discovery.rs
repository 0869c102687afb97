//! Finds every record set that sends clients to the old side: in every hosted zone of the
//! account, public and private, every `A`, `AAAA` and `CNAME` record set whose alias target or
//! value is the old load balancer's DNS name (also under `dualstack.`) or the Beanstalk
//! environment's CNAME. A name left on the old side keeps sending its clients there, so the drain
//! never ends or the scale-down cuts them off; a private zone of the same name answers clients
//! inside its VPCs instead of the public zone
//! (<https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zone-private-considerations.html>).
//!
//! A record set the tool cannot move by rewriting its target is refused here, at plan time,
//! naming zone, name, type and set identifier (see [`RecordRouting::why_not_movable`]).

use crate::context::Ctx;
use crate::error::StepError;
use crate::outputs::ZoneRecords;
use crate::ports::{normalise_dns_name, DnsRecord, LoadBalancer, RecordRouting};

/// The record types whose answer reaches a load balancer.
const MOVABLE_TYPES: [&str; 3] = ["A", "AAAA", "CNAME"];

/// Every record set reaching the old side, by zone (zones without one are left out).
pub(crate) async fn records_reaching_old_side(
    ctx: &Ctx<'_>,
    lb: &LoadBalancer,
    beanstalk_cname: Option<&str>,
) -> Result<Vec<ZoneRecords>, StepError> {
    let zones = ctx.call(|| ctx.cloud.dns.zones()).await?;
    let mut found = Vec::new();
    for zone in zones {
        let records: Vec<DnsRecord> = ctx
            .call(|| ctx.cloud.dns.zone_records(&zone.id))
            .await?
            .into_iter()
            .filter(|r| MOVABLE_TYPES.contains(&r.record_type.as_str()))
            .filter(|r| points_at(r, &lb.dns_name, beanstalk_cname))
            .collect();
        if records.is_empty() {
            continue;
        }
        let zone_label = format!(
            "{} zone {} ({})",
            if zone.private { "private" } else { "public" },
            zone.name,
            zone.id
        );
        for record in &records {
            refuse_unmovable(record, &zone_label)?;
            refuse_aaaa_without_dual_stack(record, &zone_label, lb)?;
        }
        found.push(ZoneRecords {
            zone_id: zone.id,
            zone_name: zone.name,
            private: zone.private,
            records,
        });
    }
    Ok(found)
}

/// Whether the record set answers with the old load balancer or the Beanstalk environment.
pub(crate) fn points_at(record: &DnsRecord, lb_dns: &str, beanstalk_cname: Option<&str>) -> bool {
    let lb = normalise_dns_name(lb_dns);
    let eb = beanstalk_cname.map(normalise_dns_name);
    let matches = |target: &str| {
        let target = normalise_dns_name(target);
        target == lb || eb.as_deref() == Some(target.as_str())
    };
    match &record.alias {
        Some(alias) => matches(&alias.dns_name),
        None => record.values.iter().any(|v| matches(v)),
    }
}

/// How a record set is named in an error: zone, name, type and set identifier.
pub(crate) fn describe(record: &DnsRecord, zone_label: &str) -> String {
    format!(
        "the {} record {}{} in the {zone_label}",
        record.record_type,
        normalise_dns_name(&record.name),
        record
            .set_identifier
            .as_deref()
            .map(|id| format!(" (set identifier {id})"))
            .unwrap_or_default()
    )
}

fn refuse_unmovable(record: &DnsRecord, zone_label: &str) -> Result<(), StepError> {
    let why = record.routing.why_not_movable().or_else(|| {
        // A set identifier without a weight and without any routing field read is a routing
        // policy this model does not know: refusing is safer than guessing what it does.
        (record.set_identifier.is_some()
            && record.weight.is_none()
            && record.routing == RecordRouting::default())
        .then_some("it has a set identifier but no routing policy the tool knows")
    });
    match why {
        Some(why) => Err(StepError::precondition(format!(
            "{} reaches the old load balancer but cannot be moved: {why}. Move or change it \
             yourself before planning again",
            describe(record, zone_label)
        ))),
        None => Ok(()),
    }
}

// The new load balancer is `dualstack` when the old one is (`create-load-balancer` takes the
// old one's IP address type). An `AAAA` record in front of an IPv4-only old load balancer answers
// nothing today, and moving it would point it at a name that answers nothing either: refused.
fn refuse_aaaa_without_dual_stack(
    record: &DnsRecord,
    zone_label: &str,
    lb: &LoadBalancer,
) -> Result<(), StepError> {
    let dual_stack = lb
        .ip_address_type
        .as_deref()
        .is_some_and(|t| t.starts_with("dualstack"));
    if record.record_type == "AAAA" && !dual_stack {
        return Err(StepError::precondition(format!(
            "{} aliases the old load balancer {}, which is not dual-stack (IP address type {}); \
             an AAAA record can only be moved to a dual-stack load balancer",
            describe(record, zone_label),
            lb.name,
            lb.ip_address_type.as_deref().unwrap_or("unknown")
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::AliasTarget;

    fn alias(record_type: &str, target: &str) -> DnsRecord {
        DnsRecord {
            name: "shop.example.com.".into(),
            record_type: record_type.into(),
            ttl: None,
            values: vec![],
            alias: Some(AliasTarget {
                dns_name: target.into(),
                hosted_zone_id: "Z14GRHDCWA56QT".into(),
                evaluate_target_health: false,
            }),
            set_identifier: None,
            weight: None,
            routing: RecordRouting::default(),
        }
    }

    fn old_lb(ip_address_type: &str) -> LoadBalancer {
        LoadBalancer {
            arn: "arn:old".into(),
            name: "shop-alb".into(),
            dns_name: "shop-alb-1.elb.amazonaws.com".into(),
            canonical_hosted_zone_id: "Z14GRHDCWA56QT".into(),
            security_groups: vec![],
            vpc_id: "vpc-1".into(),
            state: "active".into(),
            ip_address_type: Some(ip_address_type.into()),
        }
    }

    #[test]
    fn old_side_is_recognised_under_dualstack_and_beanstalk_names() {
        let lb = "shop-alb-1.elb.amazonaws.com";
        assert!(points_at(
            &alias("A", "dualstack.Shop-alb-1.elb.amazonaws.com."),
            lb,
            None
        ));
        assert!(!points_at(&alias("A", "other.elb.amazonaws.com"), lb, None));
        let mut cname = alias("CNAME", "");
        cname.alias = None;
        cname.ttl = Some(300);
        cname.values = vec!["shop.us-east-1.elasticbeanstalk.com".into()];
        assert!(points_at(
            &cname,
            lb,
            Some("shop.us-east-1.elasticbeanstalk.com")
        ));
        assert!(!points_at(&cname, lb, None));
    }

    #[test]
    fn a_record_the_tool_cannot_reason_about_is_named_in_the_refusal() {
        let mut failover = alias("A", "shop-alb-1.elb.amazonaws.com");
        failover.set_identifier = Some("primary".into());
        failover.routing.failover = Some("PRIMARY".into());
        let error = refuse_unmovable(&failover, "public zone example.com (Z1)")
            .expect_err("a failover record must be refused");
        let text = error.to_string();
        for part in [
            "A record shop.example.com",
            "set identifier primary",
            "Z1",
            "failover",
        ] {
            assert!(text.contains(part), "{part} missing from: {text}");
        }
        let mut weighted = alias("A", "shop-alb-1.elb.amazonaws.com");
        weighted.set_identifier = Some("blue".into());
        weighted.weight = Some(70);
        assert!(refuse_unmovable(&weighted, "zone").is_ok());
        let mut latency = weighted.clone();
        latency.weight = None;
        latency.routing.region = Some("us-east-1".into());
        assert!(refuse_unmovable(&latency, "zone").is_err());
        let mut unknown = weighted;
        unknown.weight = None;
        assert!(refuse_unmovable(&unknown, "zone").is_err());
    }

    #[test]
    fn an_aaaa_record_needs_a_dual_stack_load_balancer() {
        let aaaa = alias("AAAA", "dualstack.shop-alb-1.elb.amazonaws.com");
        assert!(refuse_aaaa_without_dual_stack(&aaaa, "zone", &old_lb("ipv4")).is_err());
        assert!(refuse_aaaa_without_dual_stack(&aaaa, "zone", &old_lb("dualstack")).is_ok());
        let a = alias("A", "dualstack.shop-alb-1.elb.amazonaws.com");
        assert!(refuse_aaaa_without_dual_stack(&a, "zone", &old_lb("ipv4")).is_ok());
    }
}
