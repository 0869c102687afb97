//! Data stores that accept a limited number of connections, as RDS (`max_connections`) and
//! ElastiCache (`maxclients`) do: a client connecting past the limit is refused
//! (<https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Managing.Performance.html>,
//! <https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/BestPractices.Clients.Redis.Connections.html>).
//!
//! Every running process of the application (an old instance or an old ECS task, a new Fargate
//! task) opens its pool to every store. Pools are granted in the order the processes came up,
//! the old side's first (their pools were open before the migration began): a process whose pool
//! does not fit gets none, and every client request it receives fails, while its health check,
//! which touches no store, passes. A process holds its pool until it exits: an old instance or
//! task on its way out (draining at the load balancer) still counts, as a deregistering target
//! keeps running for the deregistration delay
//! (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html#deregistration-delay>).
//! Moto models no connection limit at all.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::asg::InstanceState;
use super::ecs::TaskState;
use super::instances::PlainState;
use super::World;

/// The pools the two sides open, per process.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Pools {
    /// Connections one old instance or old ECS task holds to each store.
    pub old_per_unit: u32,
    /// Connections one task of each new ECS service (by its ECS name) holds to each store.
    pub new_per_task: BTreeMap<String, u32>,
}

impl Pools {
    /// As the playbook declares them (`source.connections_per_instance`, each service's
    /// `connections_per_task`); the same default as the plan's budget.
    pub fn from_plan(plan: &migrate_plan::Plan) -> Self {
        let playbook = &plan.playbook;
        let new_per_task = playbook
            .target
            .services
            .iter()
            .filter_map(|s| {
                Some((
                    plan.names.services.get(&s.name)?.clone(),
                    s.connections_per_task?,
                ))
            })
            .collect();
        let old_per_unit = migrate_plan::budget::old_per_unit(playbook);
        Self {
            old_per_unit,
            new_per_task,
        }
    }
}

/// A task holds its pool while it runs, draining included.
fn holds_pool(state: &TaskState) -> bool {
    matches!(state, TaskState::Running | TaskState::Draining { .. })
}

impl World {
    /// The processes that hold (or want) a pool, in the order they get one: the old side's
    /// first, then the new tasks by when they started running. Each is named as its target's
    /// backend is: a task id or an instance id.
    fn pool_holders(&self) -> Vec<(String, u32)> {
        let pools = &self.topology.connections;
        let mut holders = Vec::new();
        if self.topology.old_cluster.is_some() {
            for task in self.ecs.tasks.values() {
                if task.instance.is_some() && holds_pool(&task.state) {
                    holders.push((task.id.clone(), pools.old_per_unit));
                }
            }
        } else {
            for group in self.asg.groups.values() {
                for instance in group.instances.values() {
                    if matches!(
                        instance.state,
                        InstanceState::InService | InstanceState::Draining { .. }
                    ) {
                        holders.push((instance.id.clone(), pools.old_per_unit));
                    }
                }
            }
            for (id, instance) in &self.plain.instances {
                if matches!(instance.state, PlainState::Running) {
                    holders.push((id.clone(), pools.old_per_unit));
                }
            }
        }
        let mut new: Vec<(u64, String, u32)> = self
            .ecs
            .tasks
            .values()
            .filter(|t| t.instance.is_none() && holds_pool(&t.state))
            .filter_map(|t| {
                let pool = *pools.new_per_task.get(&t.service)?;
                Some((t.running_since.unwrap_or(0), t.id.clone(), pool))
            })
            .collect();
        new.sort();
        holders.extend(new.into_iter().map(|(_, id, pool)| (id, pool)));
        holders
    }

    /// The processes that got no pool from a store at its limit.
    pub(crate) fn without_connection(&self) -> BTreeSet<String> {
        let limits: Vec<u32> = self
            .topology
            .data_stores
            .iter()
            .filter_map(|d| d.max_connections)
            .collect();
        let mut starved = BTreeSet::new();
        if limits.is_empty() {
            return starved;
        }
        let holders = self.pool_holders();
        for limit in limits {
            let mut left = limit;
            for (id, pool) in &holders {
                if *pool <= left {
                    left -= pool;
                } else {
                    starved.insert(id.clone());
                }
            }
        }
        starved
    }
}
