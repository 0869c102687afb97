//! The account as `migrate plan` reads it, and as `migrate apply` reads it again to refuse a
//! stale plan.
//!
//! The read is the `discover-source` step's own (`steps::discover`), run outside the state
//! machine on a throw-away state, plus the reads only a reviewer needs (instance sizes, running
//! counts, task sizes and images, listeners, data-store rules). Only read calls are made.

use std::sync::Arc;

use chrono::{SecondsFormat, Utc};
use migrate_journal::State;
use migrate_plan::snapshot::{
    DataStoreRule, EnvironmentSnapshot, GroupSnapshot, InstanceGroup, ListenerSnapshot,
    LoadBalancerSnapshot, RecordSnapshot, ServiceSnapshot,
};
use migrate_plan::{Plan, Snapshot};

use crate::context::Ctx;
use crate::error::StepError;
use crate::ports::{Cloud, DnsRecord, ListenerProtocol};
use crate::reporter::Reporter;
use crate::steps::discover;

/// The id of the step whose reads the snapshot shares, and whose retry policy and deadline the
/// read follows.
const DISCOVER_STEP: &str = "discover-source";

/// Reads the old side of `plan` from the account. Fails as `discover-source` would (a missing
/// ASG, load balancer, service or record is named), so a plan that could not start is refused
/// at review time already.
pub async fn read_account(
    cloud: &Cloud,
    plan: &Plan,
    reporter: &Arc<dyn Reporter>,
) -> Result<Snapshot, StepError> {
    let step = plan.step(DISCOVER_STEP).ok_or_else(|| {
        StepError::precondition(format!("the plan {} has no {DISCOVER_STEP} step", plan.id))
    })?;
    let now = cloud.clock.now();
    // The state is a scaffold for the step's context; it is never saved.
    let state = State::new(plan.clone(), now);
    let deadline_secs = i64::try_from(step.deadline_secs).unwrap_or(i64::MAX);
    let ctx = Ctx {
        cloud,
        state: &state,
        step,
        reporter,
        deadline: now
            .checked_add_signed(chrono::Duration::seconds(deadline_secs))
            .unwrap_or(chrono::DateTime::<Utc>::MAX_UTC),
    };
    let discovered = discover::discover(&ctx).await?;
    let playbook = &plan.playbook;

    let mut snapshot = Snapshot {
        read_at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        ..Snapshot::default()
    };

    if let Some(old) = &discovered.auto_scaling_group {
        let group = ctx
            .call(|| cloud.scaling.find_group(&old.name))
            .await?
            .ok_or_else(|| {
                StepError::precondition(format!(
                    "the Auto Scaling group {} vanished while it was read",
                    old.name
                ))
            })?;
        let types: Vec<String> = group.instance_types.keys().cloned().collect();
        let sizes = if types.is_empty() {
            Vec::new()
        } else {
            ctx.call(|| cloud.network.instance_type_sizes(&types))
                .await?
        };
        snapshot.instances = group
            .instance_types
            .iter()
            .map(|(instance_type, count)| {
                let size = sizes.iter().find(|s| &s.instance_type == instance_type);
                InstanceGroup {
                    instance_type: instance_type.clone(),
                    count: *count,
                    vcpus: size.map(|s| s.vcpus),
                    memory_mib: size.map(|s| s.memory_mib),
                }
            })
            .collect();
        if let (Some(environment), Some(name)) = (
            &discovered.beanstalk,
            &playbook.source.beanstalk_environment,
        ) {
            snapshot.beanstalk = Some(EnvironmentSnapshot {
                name: name.clone(),
                id: environment.id.clone(),
                instances: group.in_service,
            });
        }
        snapshot.auto_scaling_group = Some(GroupSnapshot {
            name: group.name,
            min: group.capacity.min,
            max: group.capacity.max,
            desired: group.capacity.desired,
            in_service: group.in_service,
        });
    }

    let cluster = playbook.source.ecs_cluster.clone().unwrap_or_default();
    for old in &discovered.old_services {
        let status = ctx
            .call(|| cloud.containers.find_service(&cluster, &old.name))
            .await?;
        let definition = ctx
            .call(|| {
                cloud
                    .containers
                    .describe_task_definition(&old.task_definition)
            })
            .await?;
        let (task_cpu, task_memory_mib) = definition.as_ref().map_or((None, None), task_size);
        snapshot
            .old_service_tasks
            .insert(old.name.clone(), old.desired);
        snapshot.old_services.push(ServiceSnapshot {
            name: old.name.clone(),
            desired: old.desired,
            running: status.map_or(0, |s| s.running_count),
            task_definition_arn: old.task_definition.clone(),
            task_cpu,
            task_memory_mib,
            images: definition
                .as_ref()
                .map(migrate_plan::live::images)
                .unwrap_or_default(),
            task_definition: definition,
        });
    }

    let lb = &discovered.load_balancer;
    let listeners = ctx.call(|| cloud.load_balancing.listeners(&lb.arn)).await?;
    snapshot.old_https_listener = Some(
        listeners
            .iter()
            .any(|l| l.protocol == ListenerProtocol::Https),
    );
    let mut listeners: Vec<ListenerSnapshot> = listeners
        .into_iter()
        .map(|l| ListenerSnapshot {
            port: l.port,
            protocol: match l.protocol {
                ListenerProtocol::Http => "http".into(),
                ListenerProtocol::Https => "https".into(),
            },
            certificate_arn: l.certificate_arn,
        })
        .collect();
    listeners.sort_by(|a, b| (a.port, &a.protocol).cmp(&(b.port, &b.protocol)));
    let mut security_groups = lb.security_groups.clone();
    security_groups.sort();
    snapshot.load_balancer = Some(LoadBalancerSnapshot {
        name: lb.name.clone(),
        arn: lb.arn.clone(),
        dns_name: lb.dns_name.clone(),
        security_groups,
        listeners,
    });

    snapshot.old_listener_rules = discovered
        .behaviour
        .as_ref()
        .map(crate::steps::behaviour::describe_rules);
    snapshot.load_balancer_behaviour = discovered.behaviour.clone();
    snapshot.record_ttl_secs = discovered.records.iter().find_map(|r| r.ttl);
    // Every record set the plan moves, the cutover zone's first; none reaching the old side is
    // left behind (discovery refuses a plan that could not move one).
    let mut zones = discovered.zones_to_move();
    zones.sort_by_key(|z| z.zone_id != discovered.zone_id);
    snapshot.records = zones
        .iter()
        .flat_map(|zone| {
            let label = (zone.zone_id != discovered.zone_id).then(|| {
                format!(
                    "{} {} ({})",
                    if zone.private { "private" } else { "public" },
                    zone.zone_name,
                    zone.zone_id
                )
            });
            zone.records.iter().map(move |r| RecordSnapshot {
                zone: label.clone(),
                ..record(r)
            })
        })
        .collect();
    snapshot.other_records_to_old_side = Some(Vec::new());

    for store in &playbook.network.data_stores {
        let admits = ctx
            .call(|| {
                cloud
                    .network
                    .ingress_sources(&store.security_group, store.port)
            })
            .await?;
        snapshot.data_store_rules.push(DataStoreRule {
            store: store.name.clone(),
            security_group: store.security_group.clone(),
            port: store.port,
            admits,
        });
    }
    Ok(snapshot)
}

fn record(r: &DnsRecord) -> RecordSnapshot {
    RecordSnapshot {
        name: r.name.clone(),
        record_type: r.record_type.clone(),
        ttl: r.ttl,
        target: match &r.alias {
            Some(alias) => format!(
                "alias {}",
                crate::ports::normalise_dns_name(&alias.dns_name)
            ),
            None => r.values.join(", "),
        },
        set_identifier: r.set_identifier.clone(),
        weight: r.weight,
        zone: None,
    }
}

/// The task's CPU units and memory (MiB): the task-level values (strings in ECS's JSON, "1 vCPU"
/// and "2 GB" forms included), else the sum of its containers' (`memory`, or the soft
/// `memoryReservation`), else `None`.
fn task_size(definition: &serde_json::Value) -> (Option<u32>, Option<u32>) {
    let containers = definition
        .get("containerDefinitions")
        .and_then(serde_json::Value::as_array)
        .cloned()
        .unwrap_or_default();
    let sum = |keys: &[&str]| -> Option<u32> {
        let values: Vec<u32> = containers
            .iter()
            .filter_map(|c| keys.iter().find_map(|k| c.get(*k).and_then(number)))
            .collect();
        (!values.is_empty()).then(|| values.iter().sum())
    };
    let cpu = definition
        .get("cpu")
        .and_then(|v| units(v, 1024))
        .or_else(|| sum(&["cpu"]).filter(|c| *c > 0));
    let memory = definition
        .get("memory")
        .and_then(|v| units(v, 1024))
        .or_else(|| sum(&["memory", "memoryReservation"]));
    (cpu, memory)
}

fn number(value: &serde_json::Value) -> Option<u32> {
    match value {
        serde_json::Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A task-level size: a plain number, or "1 vCPU" / "2 GB" (ECS accepts both), the latter
/// scaled by `per_unit`.
fn units(value: &serde_json::Value, per_unit: u32) -> Option<u32> {
    if let Some(n) = number(value) {
        return Some(n);
    }
    let text = value.as_str()?.trim().to_ascii_lowercase();
    let amount = text
        .trim_end_matches("vcpu")
        .trim_end_matches("gb")
        .trim()
        .parse::<f64>()
        .ok()?;
    let scaled = (amount * f64::from(per_unit)).round();
    (scaled >= 0.0 && scaled <= f64::from(u32::MAX)).then_some(scaled as u32)
}

/// The differences between the snapshot a plan was reviewed with and the account now, as
/// [`migrate_plan::snapshot::differences`] names them.
pub async fn changes_since_review(
    cloud: &Cloud,
    plan: &Plan,
    reviewed: &Snapshot,
    reporter: &Arc<dyn Reporter>,
) -> Result<(Snapshot, Vec<String>), StepError> {
    let live = read_account(cloud, plan, reporter).await?;
    let differences = migrate_plan::snapshot::differences(reviewed, &live);
    Ok((live, differences))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_sizes_read_every_form_ecs_accepts() {
        let fargate =
            serde_json::json!({"cpu": "512", "memory": "1024", "containerDefinitions": []});
        assert_eq!(task_size(&fargate), (Some(512), Some(1024)));
        let words = serde_json::json!({"cpu": "1 vCPU", "memory": "2 GB"});
        assert_eq!(task_size(&words), (Some(1024), Some(2048)));
        let ec2 = serde_json::json!({"containerDefinitions": [
            {"name": "app", "cpu": 256, "memory": 512},
            {"name": "sidecar", "cpu": 0, "memoryReservation": 128},
        ]});
        assert_eq!(task_size(&ec2), (Some(256), Some(640)));
        let no_size = serde_json::json!({"containerDefinitions": [{"name": "app"}]});
        assert_eq!(task_size(&no_size), (None, None));
    }
}
