//! What the properties look at after a run: the live resources a plan created, where the name
//! points, and what the old side is doing.

use std::collections::BTreeMap;

use migrate_engine::ports::{Tags, TAG_PLAN_ID};
use serde::Serialize;

use crate::world::ecs::ServiceState;
use crate::world::route53::normalise;
use crate::world::World;
use crate::Simulation;

/// Live resources tagged with one plan id, counted by `kind name`.
pub type Inventory = BTreeMap<String, u32>;

/// Which load balancer the application's name points at, as Route53 answers now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DnsTarget {
    Old,
    New,
    Other,
}

/// The state of the account the properties are checked against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Audit {
    pub inventory: Inventory,
    /// Resources the plan created more than once (a kind and name created twice while the
    /// first was still alive).
    pub duplicate_creations: Vec<String>,
    pub dns_target: DnsTarget,
    /// Desired capacity of the old Auto Scaling group.
    pub old_asg_desired: u32,
    /// Plain instances of an `ec2` source that run or are on their way to it.
    pub old_instances_running: u32,
    /// Desired counts of the old ECS services.
    pub old_services_desired: BTreeMap<String, u32>,
    /// Desired counts of the new ECS services that are active.
    pub new_services_desired: BTreeMap<String, u32>,
    /// Ingress rules that admit a security group the plan created.
    pub rules_for_new_groups: Vec<String>,
    /// Whether any default action or rule action of the old load balancer's listeners differs
    /// from what it was before the migration (the `listener` strategy changes them; a rollback
    /// must put them back exactly).
    pub old_listeners_changed: bool,
}

fn tagged(tags: &Tags, plan_id: &str) -> bool {
    tags.get(TAG_PLAN_ID).map(String::as_str) == Some(plan_id)
}

impl World {
    pub(crate) fn audit(&self, plan_id: &str) -> Audit {
        let mut inv = Inventory::new();
        let mut add =
            |kind: &str, name: &str| *inv.entry(format!("{kind} {name}")).or_default() += 1;
        for c in self
            .ecs
            .clusters
            .values()
            .filter(|c| c.active && tagged(&c.tags, plan_id))
        {
            add("cluster", &c.name);
        }
        for g in self
            .logs
            .groups
            .values()
            .filter(|g| tagged(&g.tags, plan_id))
        {
            add("log-group", &g.name);
        }
        for t in self
            .ecs
            .task_definitions
            .values()
            .filter(|t| t.active && tagged(&t.tags, plan_id))
        {
            add("task-definition", &t.family);
        }
        for s in self
            .ecs
            .services
            .values()
            .filter(|s| s.state != ServiceState::Inactive && tagged(&s.tags, plan_id))
        {
            add("service", &format!("{}/{}", s.cluster, s.name));
        }
        let new_groups: Vec<&String> = self
            .ec2
            .groups
            .values()
            .filter(|g| tagged(&g.tags, plan_id))
            .map(|g| &g.id)
            .collect();
        for g in self
            .ec2
            .groups
            .values()
            .filter(|g| tagged(&g.tags, plan_id))
        {
            add("security-group", &g.name);
        }
        for l in self
            .elb
            .load_balancers
            .values()
            .filter(|l| !l.deleted && tagged(&l.tags, plan_id))
        {
            add("load-balancer", &l.name);
        }
        for t in self
            .elb
            .target_groups
            .values()
            .filter(|t| tagged(&t.tags, plan_id))
        {
            add("target-group", &t.name);
        }
        for l in self
            .elb
            .listeners
            .values()
            .filter(|l| tagged(&l.tags, plan_id))
        {
            add("listener", &l.port.to_string());
        }
        for a in self
            .cloudwatch
            .alarms
            .values()
            .filter(|a| tagged(&a.tags, plan_id))
        {
            add("alarm", &a.name);
        }
        let rules_for_new_groups: Vec<String> = self
            .ec2
            .rules
            .keys()
            .filter(|(g, src, _)| new_groups.contains(&src) && !new_groups.contains(&g))
            .map(|(g, src, port)| {
                // Named by group names, not ids: ids differ between runs that crashed differently.
                let name = |id: &String| {
                    self.ec2
                        .groups
                        .get(id)
                        .map_or(id.clone(), |g| g.name.clone())
                };
                format!("{} <- {} tcp/{port}", name(g), name(src))
            })
            .collect();
        for r in &rules_for_new_groups {
            add("ingress-rule", r);
        }

        // Rules and alarms are left out here, as they always were: both are keyed by what they
        // are (a rule's groups and port, an alarm's name) and made by idempotent calls, so the
        // account can never hold two of one. The engine's tests check them too.
        let duplicate_creations = self.duplicate_creations(&["ingress-rule", "alarm"]);

        let dns_target = self.dns_target_now();
        let old_asg_desired = self
            .asg
            .groups
            .get(&self.topology.asg_name)
            .map_or(0, |g| g.capacity.desired);
        let old_instances_running = self
            .plain
            .instances
            .values()
            .filter(|i| {
                matches!(
                    i.state,
                    crate::world::instances::PlainState::Running
                        | crate::world::instances::PlainState::Pending { .. }
                )
            })
            .count() as u32;
        let old_services_desired = self
            .ecs
            .services
            .values()
            .filter(|s| !s.new_side && s.state == ServiceState::Active)
            .map(|s| (s.name.clone(), s.desired))
            .collect();
        let new_services_desired = self
            .ecs
            .services
            .values()
            .filter(|s| s.new_side && s.state == ServiceState::Active)
            .map(|s| (s.name.clone(), s.desired))
            .collect();
        Audit {
            inventory: inv,
            duplicate_creations,
            dns_target,
            old_asg_desired,
            old_instances_running,
            old_services_desired,
            new_services_desired,
            rules_for_new_groups,
            old_listeners_changed: self.elb.old_listener_actions() != self.old_listeners_at_start,
        }
    }

    /// Resources created more than once, each as `kind name (created n times)`, kinds in
    /// `ignoring` left out. The world's own uniqueness rules make most duplicates impossible, so
    /// what remains (task definition revisions, say) is exactly what a careless resume leaves
    /// behind.
    pub(crate) fn duplicate_creations(&self, ignoring: &[&str]) -> Vec<String> {
        let mut counts: BTreeMap<(&str, &str), u32> = BTreeMap::new();
        for c in self
            .creations
            .iter()
            .filter(|c| !ignoring.contains(&c.kind))
        {
            *counts.entry((c.kind, c.name.as_str())).or_default() += 1;
        }
        counts
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|((kind, name), n)| format!("{kind} {name} (created {n} times)"))
            .collect()
    }

    pub(crate) fn dns_target_now(&self) -> DnsTarget {
        let fqdn = normalise(&self.topology.fqdn);
        let Some(zone) = self.route53.zones.get(&self.topology.zone_id) else {
            return DnsTarget::Other;
        };
        let targets: Vec<DnsTarget> = zone
            .current()
            .iter()
            .filter(|((n, ty, _), r)| *n == fqdn && ty == "A" && r.weight != Some(0))
            .filter_map(|(_, r)| r.alias.as_ref())
            .map(|a| {
                let dns = normalise(&a.dns_name);
                let dns = dns.strip_prefix("dualstack.").unwrap_or(&dns).to_string();
                match self.elb.load_balancers.values().find(|l| l.dns_name == dns) {
                    Some(l) if l.old_side => DnsTarget::Old,
                    Some(_) => DnsTarget::New,
                    None => DnsTarget::Other,
                }
            })
            .collect();
        match targets.as_slice() {
            [one] => *one,
            many if !many.is_empty() && many.iter().all(|t| *t == DnsTarget::Old) => DnsTarget::Old,
            many if !many.is_empty() && many.iter().all(|t| *t == DnsTarget::New) => DnsTarget::New,
            _ => DnsTarget::Other,
        }
    }
}

impl Simulation {
    /// The account as the properties see it now.
    pub fn audit(&self, plan_id: &str) -> Audit {
        self.with_world(|w| w.audit(plan_id))
    }
}
