//! What `migrate plan` read from the account: the old side as the reviewer saw it.
//!
//! The engine fills it (`migrate_engine::snapshot::read_account`, which shares its reads with
//! the `discover-source` step); the plan stores it, the review report renders it, and `migrate
//! apply` reads the account again and refuses when [`differences`] finds any. Every field the
//! reader could not fill is empty or `None`, because a field that was not read must not look
//! like "none"; the report says which parts it could not settle.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// When the account was read (RFC 3339).
    pub read_at: String,
    /// The old side's in-service instances, by type (the ASG's, the Beanstalk environment's or
    /// the ECS container instances').
    pub instances: Vec<InstanceGroup>,
    /// The old ECS services' desired task counts, by service name.
    pub old_service_tasks: BTreeMap<String, u32>,
    /// The cutover record's TTL today, in seconds; `None` for an alias record.
    pub record_ttl_secs: Option<u32>,
    /// Whether the old load balancer has an HTTPS listener.
    pub old_https_listener: Option<bool>,
    /// The availability zones of the playbook's subnets; `None`: not read (no port answers it
    /// yet).
    pub availability_zones: Option<Vec<String>>,
    /// Records that reach the old load balancer and the plan does not move; `None`: not read.
    /// Discovery moves every `A`/`AAAA`/`CNAME` record of every zone that reaches the old side
    /// (see `records`), so a snapshot that was read holds an empty list here.
    pub other_records_to_old_side: Option<Vec<String>>,
    /// Old listener rules that do more than forward everything to one target group; `None`: not
    /// read (the load-balancing port lists listeners, not their rules).
    pub old_listener_rules: Option<Vec<String>>,
    /// For each playbook service, how the running old task definition differs from the one the
    /// plan registers.
    pub task_definition_differences: BTreeMap<String, Vec<String>>,
    /// The old Auto Scaling group, when the source has one.
    pub auto_scaling_group: Option<GroupSnapshot>,
    /// The old ECS services (ECS-on-EC2 sources), in playbook order.
    pub old_services: Vec<ServiceSnapshot>,
    /// The Beanstalk environment and how many instances serve it.
    pub beanstalk: Option<EnvironmentSnapshot>,
    /// The old load balancer and its listeners.
    pub load_balancer: Option<LoadBalancerSnapshot>,
    /// The record sets the plan moves: the cutover name's, and every other `A`/`AAAA`/`CNAME`
    /// record set of every hosted zone that reaches the old side.
    pub records: Vec<RecordSnapshot>,
    /// For each data store, whether its security group already admits the old side's groups on
    /// its port (what `open-data-store` will add beside for the new service).
    pub data_store_rules: Vec<DataStoreRule>,
    /// The old load balancer's scheme, listeners, rules, certificates and attributes, which the
    /// new one copies; `None`: not read. Absent from plans written before it existed.
    #[serde(default)]
    pub load_balancer_behaviour: Option<crate::behaviour::LoadBalancerBehaviour>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceGroup {
    pub instance_type: String,
    pub count: u32,
    /// The type's vCPUs (EC2 `DescribeInstanceTypes`); `None` when not read.
    #[serde(default)]
    pub vcpus: Option<u32>,
    /// The type's memory in MiB; `None` when not read.
    #[serde(default)]
    pub memory_mib: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSnapshot {
    pub name: String,
    pub min: u32,
    pub max: u32,
    pub desired: u32,
    pub in_service: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSnapshot {
    pub name: String,
    pub desired: u32,
    pub running: u32,
    pub task_definition_arn: String,
    /// The task's CPU units and memory (MiB): the task-level values, or the sum of its
    /// containers' when the task sets none (EC2 task definitions may not).
    pub task_cpu: Option<u32>,
    pub task_memory_mib: Option<u32>,
    /// Each container's image, by container name.
    pub images: BTreeMap<String, String>,
    /// The running task definition as ECS describes it, so that a playbook without a
    /// `task_definition` file can be planned from it. Never stored in a plan (it may hold
    /// plaintext secrets in `environment`): the plan drops it once it has been translated.
    pub task_definition: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentSnapshot {
    pub name: String,
    pub id: String,
    /// In-service instances of the environment's Auto Scaling group.
    pub instances: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadBalancerSnapshot {
    pub name: String,
    pub arn: String,
    pub dns_name: String,
    pub security_groups: Vec<String>,
    pub listeners: Vec<ListenerSnapshot>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenerSnapshot {
    pub port: u16,
    /// `http` or `https`.
    pub protocol: String,
    pub certificate_arn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordSnapshot {
    pub name: String,
    pub record_type: String,
    pub ttl: Option<u32>,
    /// The alias target's DNS name, or the record's values joined by commas.
    pub target: String,
    pub set_identifier: Option<String>,
    pub weight: Option<u8>,
    /// The hosted zone, e.g. `private example.com (Z2)`, when not the cutover zone.
    #[serde(default)]
    pub zone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataStoreRule {
    pub store: String,
    pub security_group: String,
    pub port: u16,
    /// The old side's security groups the store admits on its port today.
    pub admits: Vec<String>,
}

/// What changed in the account between `planned` (the reviewed snapshot) and `live`, one
/// sentence per difference, e.g. "old ASG shop-ecs-instances: desired 4 → 6". Only what the
/// plan's steps depend on is compared: counts that move by themselves while the old side serves
/// (running tasks, in-service instances during a replacement) are not.
pub fn differences(planned: &Snapshot, live: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    compare_group(
        planned.auto_scaling_group.as_ref(),
        live.auto_scaling_group.as_ref(),
        &mut out,
    );
    compare_services(&planned.old_services, &live.old_services, &mut out);
    match (&planned.beanstalk, &live.beanstalk) {
        (Some(a), Some(b)) if a.id != b.id => out.push(format!(
            "Beanstalk environment {}: id {} → {}",
            a.name, a.id, b.id
        )),
        (Some(a), None) => out.push(format!("Beanstalk environment {} is gone", a.name)),
        (None, Some(b)) => out.push(format!("Beanstalk environment {} appeared", b.name)),
        _ => {}
    }
    compare_load_balancer(
        planned.load_balancer.as_ref(),
        live.load_balancer.as_ref(),
        &mut out,
    );
    compare_records(&planned.records, &live.records, &mut out);
    compare_data_stores(&planned.data_store_rules, &live.data_store_rules, &mut out);
    out
}

fn compare_group(a: Option<&GroupSnapshot>, b: Option<&GroupSnapshot>, out: &mut Vec<String>) {
    match (a, b) {
        (Some(a), Some(b)) if a.name == b.name => {
            for (what, x, y) in [
                ("desired", a.desired, b.desired),
                ("min", a.min, b.min),
                ("max", a.max, b.max),
            ] {
                if x != y {
                    out.push(format!("old ASG {}: {what} {x} → {y}", a.name));
                }
            }
        }
        (Some(a), Some(b)) => out.push(format!("old ASG {} → {}", a.name, b.name)),
        (Some(a), None) => out.push(format!("old ASG {} is gone", a.name)),
        (None, Some(b)) => out.push(format!("old ASG {} appeared", b.name)),
        (None, None) => {}
    }
}

fn compare_services(a: &[ServiceSnapshot], b: &[ServiceSnapshot], out: &mut Vec<String>) {
    for old in a {
        match b.iter().find(|s| s.name == old.name) {
            None => out.push(format!("old ECS service {} is gone", old.name)),
            Some(new) => {
                if old.desired != new.desired {
                    out.push(format!(
                        "old ECS service {}: desired {} → {}",
                        old.name, old.desired, new.desired
                    ));
                }
                if old.task_definition_arn != new.task_definition_arn {
                    out.push(format!(
                        "old ECS service {}: task definition {} → {}",
                        old.name, old.task_definition_arn, new.task_definition_arn
                    ));
                }
            }
        }
    }
    for new in b.iter().filter(|s| !a.iter().any(|o| o.name == s.name)) {
        out.push(format!("old ECS service {} appeared", new.name));
    }
}

fn compare_load_balancer(
    a: Option<&LoadBalancerSnapshot>,
    b: Option<&LoadBalancerSnapshot>,
    out: &mut Vec<String>,
) {
    let (a, b) = match (a, b) {
        (Some(a), Some(b)) => (a, b),
        (Some(a), None) => {
            out.push(format!("old load balancer {} is gone", a.name));
            return;
        }
        (None, Some(b)) => {
            out.push(format!("old load balancer {} appeared", b.name));
            return;
        }
        (None, None) => return,
    };
    if a.arn != b.arn {
        out.push(format!(
            "old load balancer {}: replaced ({} → {})",
            a.name, a.arn, b.arn
        ));
        return;
    }
    if a.security_groups != b.security_groups {
        out.push(format!(
            "old load balancer {}: security groups {} → {}",
            a.name,
            list(&a.security_groups),
            list(&b.security_groups)
        ));
    }
    let describe = |l: &ListenerSnapshot| {
        let certificate = l
            .certificate_arn
            .as_deref()
            .map(|c| format!(" with certificate {c}"))
            .unwrap_or_default();
        format!("{} {}{certificate}", l.protocol.to_uppercase(), l.port)
    };
    for listener in a.listeners.iter().filter(|l| !b.listeners.contains(l)) {
        out.push(format!(
            "old load balancer {}: listener {} removed or changed",
            a.name,
            describe(listener)
        ));
    }
    for listener in b.listeners.iter().filter(|l| !a.listeners.contains(l)) {
        out.push(format!(
            "old load balancer {}: listener {} added",
            a.name,
            describe(listener)
        ));
    }
}

fn compare_records(a: &[RecordSnapshot], b: &[RecordSnapshot], out: &mut Vec<String>) {
    let key = |r: &RecordSnapshot| {
        (
            r.name.clone(),
            r.record_type.clone(),
            r.set_identifier.clone(),
            r.zone.clone(),
        )
    };
    let label = |r: &RecordSnapshot| {
        let zone = r
            .zone
            .as_deref()
            .map(|z| format!(" in {z}"))
            .unwrap_or_default();
        match &r.set_identifier {
            Some(id) => format!("record {} {} ({id}){zone}", r.record_type, r.name),
            None => format!("record {} {}{zone}", r.record_type, r.name),
        }
    };
    for old in a {
        match b.iter().find(|r| key(r) == key(old)) {
            None => out.push(format!("{} is gone", label(old))),
            Some(new) => {
                if old.target != new.target {
                    out.push(format!("{}: {} → {}", label(old), old.target, new.target));
                }
                if old.ttl != new.ttl {
                    out.push(format!(
                        "{}: TTL {} → {}",
                        label(old),
                        ttl(old.ttl),
                        ttl(new.ttl)
                    ));
                }
                if old.weight != new.weight {
                    out.push(format!(
                        "{}: weight {} → {}",
                        label(old),
                        old.weight.map_or("none".into(), |w| w.to_string()),
                        new.weight.map_or("none".into(), |w| w.to_string())
                    ));
                }
            }
        }
    }
    for new in b.iter().filter(|r| !a.iter().any(|o| key(o) == key(r))) {
        out.push(format!("{} appeared ({})", label(new), new.target));
    }
}

fn compare_data_stores(a: &[DataStoreRule], b: &[DataStoreRule], out: &mut Vec<String>) {
    for old in a {
        let Some(new) = b.iter().find(|r| r.store == old.store) else {
            continue;
        };
        if old.admits != new.admits {
            out.push(format!(
                "data store {} ({} port {}): admits {} → {}",
                old.store,
                old.security_group,
                old.port,
                list(&old.admits),
                list(&new.admits)
            ));
        }
    }
}

fn ttl(ttl: Option<u32>) -> String {
    ttl.map_or("none (alias)".into(), |t| format!("{t}s"))
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Snapshot {
        Snapshot {
            read_at: "2026-11-24T07:00:00Z".into(),
            auto_scaling_group: Some(GroupSnapshot {
                name: "shop-ecs-instances".into(),
                min: 2,
                max: 8,
                desired: 4,
                in_service: 4,
            }),
            old_services: vec![ServiceSnapshot {
                name: "shop-web".into(),
                desired: 3,
                running: 3,
                task_definition_arn: "arn:td/shop-web:7".into(),
                task_cpu: Some(512),
                task_memory_mib: Some(1024),
                images: BTreeMap::new(),
                task_definition: None,
            }],
            beanstalk: None,
            load_balancer: Some(LoadBalancerSnapshot {
                name: "shop-alb".into(),
                arn: "arn:lb/shop-alb/1".into(),
                dns_name: "shop-alb-1.elb.amazonaws.com".into(),
                security_groups: vec!["sg-lb".into()],
                listeners: vec![ListenerSnapshot {
                    port: 80,
                    protocol: "http".into(),
                    certificate_arn: None,
                }],
            }),
            records: vec![RecordSnapshot {
                name: "shop.example.com".into(),
                record_type: "A".into(),
                ttl: None,
                target: "shop-alb-1.elb.amazonaws.com".into(),
                set_identifier: None,
                weight: None,
                zone: None,
            }],
            data_store_rules: vec![DataStoreRule {
                store: "db".into(),
                security_group: "sg-db".into(),
                port: 5432,
                admits: vec!["sg-old".into()],
            }],
            ..Snapshot::default()
        }
    }

    #[test]
    fn an_unchanged_account_has_no_differences() {
        let a = snapshot();
        let mut b = snapshot();
        // Counts that move by themselves and the time of the read are not differences.
        b.read_at = "2026-11-24T08:00:00Z".into();
        b.old_services[0].running = 2;
        if let Some(g) = b.auto_scaling_group.as_mut() {
            g.in_service = 3;
        }
        assert_eq!(differences(&a, &b), Vec::<String>::new());
    }

    #[test]
    fn each_kind_of_difference_is_named() {
        let a = snapshot();
        let mut b = snapshot();
        if let Some(g) = b.auto_scaling_group.as_mut() {
            g.desired = 6;
            g.max = 10;
        }
        b.old_services[0].desired = 5;
        b.old_services[0].task_definition_arn = "arn:td/shop-web:8".into();
        if let Some(lb) = b.load_balancer.as_mut() {
            lb.security_groups.push("sg-extra".into());
            lb.listeners.push(ListenerSnapshot {
                port: 443,
                protocol: "https".into(),
                certificate_arn: Some("arn:cert/1".into()),
            });
        }
        b.records[0].target = "elsewhere.example.net".into();
        b.records[0].ttl = Some(60);
        b.data_store_rules[0].admits.clear();
        assert_eq!(
            differences(&a, &b),
            vec![
                "old ASG shop-ecs-instances: desired 4 → 6",
                "old ASG shop-ecs-instances: max 8 → 10",
                "old ECS service shop-web: desired 3 → 5",
                "old ECS service shop-web: task definition arn:td/shop-web:7 → arn:td/shop-web:8",
                "old load balancer shop-alb: security groups sg-lb → sg-lb, sg-extra",
                "old load balancer shop-alb: listener HTTPS 443 with certificate arn:cert/1 added",
                "record A shop.example.com: shop-alb-1.elb.amazonaws.com → elsewhere.example.net",
                "record A shop.example.com: TTL none (alias) → 60s",
                "data store db (sg-db port 5432): admits sg-old → none",
            ]
        );
    }

    #[test]
    fn resources_that_vanish_or_appear_are_named() {
        let a = snapshot();
        let b = Snapshot {
            old_services: vec![ServiceSnapshot {
                name: "shop-api".into(),
                ..a.old_services[0].clone()
            }],
            records: vec![RecordSnapshot {
                record_type: "AAAA".into(),
                ..a.records[0].clone()
            }],
            ..Snapshot::default()
        };
        assert_eq!(
            differences(&a, &b),
            vec![
                "old ASG shop-ecs-instances is gone",
                "old ECS service shop-web is gone",
                "old ECS service shop-api appeared",
                "old load balancer shop-alb is gone",
                "record A shop.example.com is gone",
                "record AAAA shop.example.com appeared (shop-alb-1.elb.amazonaws.com)",
            ]
        );
        let mut replaced = snapshot();
        if let Some(lb) = replaced.load_balancer.as_mut() {
            lb.arn = "arn:lb/shop-alb/2".into();
        }
        assert_eq!(
            differences(&a, &replaced),
            vec!["old load balancer shop-alb: replaced (arn:lb/shop-alb/1 → arn:lb/shop-alb/2)"]
        );
    }
}
