//! The connection budget of the data stores during the overlap.
//!
//! While both sides serve, the old side's pools and the new side's are open at once: the
//! Beanstalk → Fargate report's Redis ran out of connections exactly then. A data store that
//! declares `max_connections` (RDS `max_connections`,
//! <https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Managing.Performance.html>;
//! ElastiCache for Redis accepts up to 65,000 clients per node,
//! <https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/BestPractices.Clients.Redis.Connections.html>)
//! is checked at every stage of the migration: the old side at the capacity it runs now, both
//! sides at the peak, the new side once the old side is scaled down. Every process is assumed
//! to open its pool to every declared store, the conservative reading when the playbook does not
//! say which talks to which, so the smallest limit binds.
//!
//! Over budget, the migration is sequenced as the field report learned to do it by hand: the old
//! side is shrunk before the new side starts, the new side starts with fewer tasks, and it grows
//! to its desired counts only once the old side is scaled down. Both sides are shrunk to the same
//! share of their capacity (neither below `connection_budget.min_capacity_percent`), and what the
//! budget leaves over then goes back to the old side, which carries the traffic until the
//! cutover.

use std::collections::BTreeMap;

use migrate_playbook::{OverBudget, Playbook, SourceKind};
use serde::{Deserialize, Serialize};

/// The connections of both sides at one stage of the migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    /// What happened at this stage, for the report ("now", "old side shrunk", ...).
    pub label: String,
    /// Old instances or tasks running.
    pub old_units: u32,
    /// New tasks running (every service).
    pub new_tasks: u32,
    /// Connections both sides hold to each store.
    pub connections: u32,
}

/// How an over-budget migration runs instead: the old side's units while both run, and each new
/// service's tasks until the old side is scaled down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sequence {
    /// The old side's units during the overlap, one per group as the old side was given (one
    /// per old ECS service of an `ecs-ec2` source, else the one group).
    pub old_groups: Vec<u32>,
    /// Each new service's tasks (by playbook service name) until the old side is scaled down;
    /// a service not listed starts at its desired count.
    pub new_counts: BTreeMap<String, u32>,
}

impl Sequence {
    /// The tasks `service` starts with: its reduced count, else `desired`.
    pub fn start_count(&self, service: &str, desired: u32) -> u32 {
        self.new_counts.get(service).copied().unwrap_or(desired)
    }

    pub fn old_units(&self) -> u32 {
        self.old_groups.iter().sum()
    }
}

/// The budget of a migration whose stores declare `max_connections`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    /// The store whose limit binds (the smallest `max_connections`) and that limit.
    pub store: String,
    pub max_connections: u32,
    /// The connections at each stage, in order.
    pub stages: Vec<Stage>,
    /// `Some`: the plain overlap was over budget and this is how it runs instead.
    pub sequence: Option<Sequence>,
}

impl Budget {
    pub fn peak(&self) -> u32 {
        self.stages.iter().map(|s| s.connections).max().unwrap_or(0)
    }
}

/// Whether any store declares a limit and some process a pool: the plan checks the budget.
pub fn declared(playbook: &Playbook) -> bool {
    limit(playbook).is_some()
        && (old_per_unit(playbook) > 0
            || playbook
                .target
                .services
                .iter()
                .any(|s| s.connections_per_task.unwrap_or(0) > 0))
}

/// Whether an over-budget overlap is sequenced (the plan has `shrink-old-side` and
/// `grow-new-side`) rather than refused: the playbook asks for it and the old side's capacity
/// can be set (an `ec2` source's plain instances have none).
pub fn sequenced(playbook: &Playbook) -> bool {
    declared(playbook)
        && playbook.connection_budget.over_budget == OverBudget::Sequence
        && playbook.source.kind != SourceKind::Ec2
}

/// The connections one old unit holds: the playbook's, else the largest pool of a new service.
pub fn old_per_unit(playbook: &Playbook) -> u32 {
    playbook.source.connections_per_instance.unwrap_or_else(|| {
        playbook
            .target
            .services
            .iter()
            .filter_map(|s| s.connections_per_task)
            .max()
            .unwrap_or(0)
    })
}

/// The store with the smallest `max_connections`, and that limit.
fn limit(playbook: &Playbook) -> Option<(String, u32)> {
    playbook
        .network
        .data_stores
        .iter()
        .filter_map(|s| Some((s.name.clone(), s.max_connections?)))
        .min_by_key(|(_, max)| *max)
}

/// The old units left once the plan's scale-down step ran on `during`: none, except that
/// Elastic Beanstalk keeps one instance until `migrate cleanup`, and a source the playbook does
/// not scale down keeps what it had.
pub fn old_units_after_scale_down(playbook: &Playbook, during: u32) -> u32 {
    let scale_down = &playbook.scale_down;
    let scaled = match playbook.source.kind {
        SourceKind::Asg => scale_down.old_auto_scaling_group,
        SourceKind::Beanstalk => {
            return if scale_down.old_auto_scaling_group {
                during.min(1)
            } else {
                during
            }
        }
        SourceKind::EcsEc2 => scale_down.old_ecs_services,
        SourceKind::Ec2 => scale_down.old_instances,
    };
    if scaled {
        0
    } else {
        during
    }
}

/// The old side's running units as the snapshot read them, grouped as [`plan`] takes them: the
/// old services' desired tasks in playbook order (ECS on EC2), the group's desired capacity (an
/// Auto Scaling group or Beanstalk), the in-service instances (EC2); `None` when the snapshot
/// holds no such reading.
pub fn old_groups_from_snapshot(
    playbook: &Playbook,
    snapshot: &crate::Snapshot,
) -> Option<Vec<u32>> {
    match playbook.source.kind {
        SourceKind::EcsEc2 => Some(
            playbook
                .source
                .ecs_services
                .iter()
                .map(|name| snapshot.old_service_tasks.get(name).copied().unwrap_or(0))
                .collect(),
        ),
        SourceKind::Asg | SourceKind::Beanstalk => snapshot
            .auto_scaling_group
            .as_ref()
            .map(|g| vec![g.desired])
            .or_else(|| snapshot.beanstalk.as_ref().map(|e| vec![e.instances])),
        SourceKind::Ec2 => Some(vec![snapshot.instances.iter().map(|g| g.count).sum()]),
    }
}

/// The connections of `old_units` old units and `new_counts` tasks of each service.
fn connections(playbook: &Playbook, old_units: u32, new_counts: &BTreeMap<String, u32>) -> u32 {
    let per_unit = old_per_unit(playbook);
    let new: u32 = playbook
        .target
        .services
        .iter()
        .map(|s| {
            new_counts
                .get(&s.name)
                .copied()
                .unwrap_or(s.desired_count)
                .saturating_mul(s.connections_per_task.unwrap_or(0))
        })
        .sum();
    old_units.saturating_mul(per_unit).saturating_add(new)
}

fn desired_counts(playbook: &Playbook) -> BTreeMap<String, u32> {
    playbook
        .target
        .services
        .iter()
        .map(|s| (s.name.clone(), s.desired_count))
        .collect()
}

/// `count` scaled to `share` (0–1], rounded up and never below one of a non-zero count: a
/// service keeps at least one task and a group at least one unit.
fn scaled(count: u32, share: f64) -> u32 {
    if count == 0 {
        return 0;
    }
    ((f64::from(count) * share).ceil() as u32).clamp(1, count)
}

/// The stages of a migration with `old_groups` units on the old side now, and the sequence
/// that keeps every stage within the smallest store limit; `Ok(None)` when no store declares a
/// limit, `Err` (the refusal, with the numbers) when no sequence fits.
pub fn plan(playbook: &Playbook, old_groups: &[u32]) -> Result<Option<Budget>, String> {
    let Some((store, max)) = limit(playbook) else {
        return Ok(None);
    };
    if !declared(playbook) {
        return Ok(None);
    }
    let old_now: u32 = old_groups.iter().sum();
    let desired = desired_counts(playbook);
    let none = BTreeMap::new();
    let zero_new: BTreeMap<String, u32> = desired.keys().map(|k| (k.clone(), 0)).collect();
    let stage = |label: &str, old: u32, new: &BTreeMap<String, u32>| Stage {
        label: label.to_string(),
        old_units: old,
        new_tasks: playbook
            .target
            .services
            .iter()
            .map(|s| new.get(&s.name).copied().unwrap_or(s.desired_count))
            .sum(),
        connections: connections(playbook, old, new),
    };
    let after_old = old_units_after_scale_down(playbook, old_now);
    let plain = vec![
        stage("now: the old side alone", old_now, &zero_new),
        stage("overlap: both sides at full size", old_now, &none),
        stage("old side scaled down", after_old, &none),
    ];
    let over = |stages: &[Stage]| stages.iter().any(|s| s.connections > max);
    let budget = |stages: Vec<Stage>, sequence| Budget {
        store: store.clone(),
        max_connections: max,
        stages,
        sequence,
    };
    if !over(&plain) {
        return Ok(Some(budget(plain, None)));
    }
    let numbers = describe(playbook, old_now);
    if plain[0].connections > max {
        return Err(format!(
            "data store {store}: the old side alone already holds {} connections, over its \
             max_connections {max}; the declared pools do not match the store ({numbers})",
            plain[0].connections
        ));
    }
    let new_alone = connections(playbook, after_old, &none);
    if new_alone > max {
        return Err(format!(
            "data store {store}: {new_alone} connections once the old side is scaled down \
             ({numbers}) exceed its max_connections {max}; the new side alone does not fit, so \
             no order of the steps helps: lower connections_per_task or desired_count{}",
            if after_old > 0 {
                format!(
                    ", or scale the old side down fully ({after_old} old unit{} keep{} their pools)",
                    if after_old == 1 { "" } else { "s" },
                    if after_old == 1 { "s" } else { "" }
                )
            } else {
                String::new()
            }
        ));
    }
    let peak = plain[1].connections;
    let refusal = format!(
        "data store {store}: {peak} connections at the overlap's peak ({numbers}) exceed its \
         max_connections {max}"
    );
    if playbook.connection_budget.over_budget == OverBudget::Refuse {
        return Err(format!(
            "{refusal}; connection_budget.over_budget is `refuse` (`sequence` would shrink the \
             old side first and start the new side smaller)"
        ));
    }
    if playbook.source.kind == SourceKind::Ec2 {
        return Err(format!(
            "{refusal}; an ec2 source's capacity cannot be set, so the overlap cannot be \
             sequenced: stop some of the old instances first (deregistered and drained), or lower \
             the services' connections_per_task or desired_count"
        ));
    }
    let Some(sequence) = sequence(playbook, old_groups, max) else {
        return Err(format!(
            "{refusal}, and even with both sides at {}% of their capacity \
             (connection_budget.min_capacity_percent) they do not fit; lower connections_per_task \
             or the desired counts, or raise the store's limit",
            playbook.connection_budget.min_capacity_percent
        ));
    };
    let old_during = sequence.old_units();
    let stages = vec![
        stage("now: the old side alone", old_now, &zero_new),
        stage("old side shrunk (shrink-old-side)", old_during, &zero_new),
        stage(
            "overlap: the new side started smaller",
            old_during,
            &sequence.new_counts,
        ),
        stage(
            "old side scaled down",
            old_units_after_scale_down(playbook, old_during),
            &sequence.new_counts,
        ),
        stage(
            "new side grown (grow-new-side)",
            old_units_after_scale_down(playbook, old_during),
            &none,
        ),
    ];
    if over(&stages) {
        // The sequence was chosen to fit; a stage over the limit means the search above and
        // the stages disagree, which the refusal says rather than running over budget.
        return Err(format!("{refusal}; no sequence fits every stage"));
    }
    Ok(Some(budget(stages, Some(sequence))))
}

/// The largest share both sides can keep together within `max`, never below the playbook's
/// floor: at each candidate share the new services start with that share of their tasks, and the
/// old side keeps as many units as the rest of the budget holds, which must be at least the same
/// share of what it runs now.
fn sequence(playbook: &Playbook, old_groups: &[u32], max: u32) -> Option<Sequence> {
    let floor = f64::from(playbook.connection_budget.min_capacity_percent) / 100.0;
    let old_total: u32 = old_groups.iter().sum();
    let per_unit = old_per_unit(playbook);
    // Every share at which some count changes: k/old_total and k/desired of each service.
    let mut shares: Vec<f64> = (1..=old_total)
        .map(|k| f64::from(k) / f64::from(old_total))
        .collect();
    for service in &playbook.target.services {
        shares.extend(
            (1..=service.desired_count).map(|k| f64::from(k) / f64::from(service.desired_count)),
        );
    }
    shares.sort_by(|a, b| b.total_cmp(a));
    shares.dedup();
    let desired = desired_counts(playbook);
    let occupied = old_groups.iter().filter(|g| **g > 0).count() as u32;
    for share in shares.into_iter().filter(|s| *s >= floor - 1e-9) {
        let new_counts: BTreeMap<String, u32> = playbook
            .target
            .services
            .iter()
            .filter(|s| s.connections_per_task.unwrap_or(0) > 0)
            .map(|s| (s.name.clone(), scaled(s.desired_count, share)))
            .collect();
        let new = connections(playbook, 0, &new_counts);
        let Some(left) = max.checked_sub(new) else {
            continue;
        };
        let old_fit = match left.checked_div(per_unit) {
            Some(units) => units.min(old_total),
            None => old_total,
        };
        if old_fit < occupied || f64::from(old_fit) < f64::from(old_total) * share - 1e-9 {
            continue;
        }
        return Some(Sequence {
            old_groups: spread(old_groups, old_fit),
            new_counts: new_counts
                .into_iter()
                .filter(|(name, count)| desired.get(name) != Some(count))
                .collect(),
        });
    }
    None
}

/// `units` spread over the old groups in proportion to what each runs now, one at least in each
/// that runs any (an old web service at zero would serve nothing).
fn spread(old_groups: &[u32], units: u32) -> Vec<u32> {
    let mut groups: Vec<u32> = old_groups.iter().map(|g| u32::from(*g > 0)).collect();
    let mut left = units.saturating_sub(groups.iter().sum());
    while left > 0 {
        let most_shrunk = (0..groups.len())
            .filter(|i| groups[*i] < old_groups[*i])
            .min_by(|a, b| {
                let share = |i: usize| f64::from(groups[i]) / f64::from(old_groups[i]);
                share(*a).total_cmp(&share(*b))
            });
        let Some(i) = most_shrunk else { break };
        groups[i] += 1;
        left -= 1;
    }
    groups
}

/// "old side 4 × 20 + new side web 2 × 20 + worker 1 × 20", for the messages.
fn describe(playbook: &Playbook, old_units: u32) -> String {
    let per_unit = old_per_unit(playbook);
    let new_parts: Vec<String> = playbook
        .target
        .services
        .iter()
        .filter_map(|s| {
            s.connections_per_task
                .map(|c| format!("{} {} × {c}", s.name, s.desired_count))
        })
        .collect();
    format!(
        "old side {old_units} × {per_unit} + new side {}",
        if new_parts.is_empty() {
            "0".to_string()
        } else {
            new_parts.join(" + ")
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_old_units_are_spread_in_proportion_and_every_group_keeps_one() {
        assert_eq!(spread(&[2, 2], 3), vec![2, 1]);
        assert_eq!(spread(&[6, 2], 4), vec![3, 1]);
        assert_eq!(spread(&[4, 1], 2), vec![1, 1]);
        assert_eq!(spread(&[3, 0], 2), vec![2, 0]);
        assert_eq!(spread(&[2, 2], 9), vec![2, 2]);
    }

    #[test]
    fn a_share_rounds_up_and_keeps_one() {
        assert_eq!(scaled(2, 0.5), 1);
        assert_eq!(scaled(3, 0.5), 2);
        assert_eq!(scaled(1, 0.1), 1);
        assert_eq!(scaled(0, 0.5), 0);
        assert_eq!(scaled(4, 1.0), 4);
    }
}
