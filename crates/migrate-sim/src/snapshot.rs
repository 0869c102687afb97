//! A comparable picture of the account: what a person could see in the console, named by names
//! rather than by the ids and ARN suffixes the world hands out (those differ between runs that
//! crashed at different calls). Two equal snapshots mean two accounts nobody could tell apart;
//! the engine's tests compare a resumed run with an uninterrupted one, and a rolled-back account
//! with the one it started as.

use migrate_engine::ports::{Capacity, Tags};
use serde::Serialize;

use crate::world::ecs::ServiceState;
use crate::world::route53::normalise;
use crate::world::World;
use crate::Simulation;

/// An ECS service that is active (deleted ones are still draining or gone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceSnapshot {
    pub cluster: String,
    pub name: String,
    pub desired: u32,
    pub tags: Tags,
    /// The target groups its tasks register in (`UpdateService` may change them).
    pub target_groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecurityGroupSnapshot {
    pub name: String,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListenerSnapshot {
    /// The name of the load balancer the listener belongs to.
    pub load_balancer: String,
    pub port: u16,
    pub certificate_arn: Option<String>,
}

/// Where a record sends its clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordTarget {
    /// An alias to the load balancer of this name.
    LoadBalancer(String),
    /// An alias to something that is not a live load balancer, by its DNS name.
    OtherAlias(String),
    Values(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordSnapshot {
    /// Without the trailing dot, in lower case.
    pub name: String,
    pub record_type: String,
    pub ttl: Option<u32>,
    pub target: RecordTarget,
    pub set_identifier: Option<String>,
    pub weight: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AutoScalingGroupSnapshot {
    pub name: String,
    /// The capacity asked for. Instances are left out: they boot and terminate on the world's
    /// clock, so how many are in service depends on when one looks, not on what was done.
    pub capacity: Capacity,
    /// Suspended scaling processes, sorted.
    pub suspended_processes: Vec<String>,
}

/// Every resource of the account, in a stable order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountSnapshot {
    /// Active clusters.
    pub clusters: Vec<String>,
    /// Active task definitions, as `family:revision`.
    pub task_definitions: Vec<String>,
    pub services: Vec<ServiceSnapshot>,
    pub security_groups: Vec<SecurityGroupSnapshot>,
    /// Inbound rules, as `group <- source : port` with groups named by name.
    pub ingress_rules: Vec<String>,
    /// Load balancers not deleted.
    pub load_balancers: Vec<String>,
    pub target_groups: Vec<String>,
    pub listeners: Vec<ListenerSnapshot>,
    /// The records of every hosted zone, as Route53 answers now.
    pub records: Vec<RecordSnapshot>,
    pub alarms: Vec<String>,
    /// Log groups, as `name (retention)`.
    pub log_groups: Vec<String>,
    pub auto_scaling_groups: Vec<AutoScalingGroupSnapshot>,
    /// Application Auto Scaling targets, as `resource-id min..max [policy@target%, …] (plan ID)`.
    pub scalable_targets: Vec<String>,
    pub launch_templates: Vec<String>,
    /// EBS volumes, as `id (state)`.
    pub volumes: Vec<String>,
    /// The Beanstalk environment of the old side, while it is not terminated.
    pub environment: Option<String>,
}

impl AccountSnapshot {
    /// The records named `name` (any case, with or without the trailing dot).
    pub fn records_named(&self, name: &str) -> Vec<&RecordSnapshot> {
        let name = normalise(name);
        self.records.iter().filter(|r| r.name == name).collect()
    }

    /// The active service `name` in `cluster`.
    pub fn service(&self, cluster: &str, name: &str) -> Option<&ServiceSnapshot> {
        self.services
            .iter()
            .find(|s| s.cluster == cluster && s.name == name)
    }

    /// The Auto Scaling group `name`.
    pub fn auto_scaling_group(&self, name: &str) -> Option<&AutoScalingGroupSnapshot> {
        self.auto_scaling_groups.iter().find(|g| g.name == name)
    }
}

impl World {
    pub(crate) fn snapshot(&self) -> AccountSnapshot {
        let group_name = |id: &String| {
            self.ec2
                .groups
                .get(id)
                .map_or_else(|| id.clone(), |g| g.name.clone())
        };
        let lb_name = |arn: &String| {
            self.elb
                .load_balancers
                .get(arn)
                .filter(|l| !l.deleted)
                .map_or_else(|| arn.clone(), |l| l.name.clone())
        };
        let mut services: Vec<ServiceSnapshot> = self
            .ecs
            .services
            .values()
            .filter(|s| s.state == ServiceState::Active)
            .map(|s| ServiceSnapshot {
                cluster: s.cluster.clone(),
                name: s.name.clone(),
                desired: s.desired,
                tags: s.tags.clone(),
                target_groups: s.target_groups(),
            })
            .collect();
        services.sort_by(|a, b| (&a.cluster, &a.name).cmp(&(&b.cluster, &b.name)));
        let mut security_groups: Vec<SecurityGroupSnapshot> = self
            .ec2
            .groups
            .values()
            .map(|g| SecurityGroupSnapshot {
                name: g.name.clone(),
                tags: g.tags.clone(),
            })
            .collect();
        security_groups.sort_by(|a, b| a.name.cmp(&b.name));
        let mut listeners: Vec<ListenerSnapshot> = self
            .elb
            .listeners
            .values()
            .map(|l| ListenerSnapshot {
                load_balancer: lb_name(&l.load_balancer_arn),
                port: l.port,
                certificate_arn: l.certificate_arn.clone(),
            })
            .collect();
        listeners.sort_by(|a, b| (&a.load_balancer, a.port).cmp(&(&b.load_balancer, b.port)));
        let records = self
            .route53
            .zones
            .values()
            .flat_map(|z| z.current().values())
            .map(|r| RecordSnapshot {
                name: normalise(&r.name),
                record_type: r.record_type.clone(),
                ttl: r.ttl,
                target: match &r.alias {
                    Some(alias) => {
                        let dns = normalise(&alias.dns_name);
                        let dns = dns.strip_prefix("dualstack.").unwrap_or(&dns);
                        self.elb
                            .load_balancers
                            .values()
                            .find(|l| !l.deleted && l.dns_name == dns)
                            .map_or_else(
                                || RecordTarget::OtherAlias(dns.to_string()),
                                |l| RecordTarget::LoadBalancer(l.name.clone()),
                            )
                    }
                    None => RecordTarget::Values(r.values.clone()),
                },
                set_identifier: r.set_identifier.clone(),
                weight: r.weight,
            })
            .collect();
        AccountSnapshot {
            clusters: sorted(
                self.ecs
                    .clusters
                    .values()
                    .filter(|c| c.active)
                    .map(|c| c.name.clone()),
            ),
            task_definitions: sorted(
                self.ecs
                    .task_definitions
                    .values()
                    .filter(|t| t.active)
                    .map(|t| format!("{}:{}", t.family, t.revision)),
            ),
            services,
            security_groups,
            ingress_rules: sorted(self.ec2.rules.keys().map(|(g, src, port)| {
                format!("{} <- {} : {port}", group_name(g), group_name(src))
            })),
            load_balancers: sorted(
                self.elb
                    .load_balancers
                    .values()
                    .filter(|l| !l.deleted)
                    .map(|l| l.name.clone()),
            ),
            target_groups: sorted(self.elb.target_groups.values().map(|t| t.name.clone())),
            listeners,
            records,
            alarms: sorted(self.cloudwatch.alarms.keys().cloned()),
            log_groups: sorted(self.logs.groups.values().map(|g| match g.retention_days {
                Some(days) => format!("{} ({days} days)", g.name),
                None => format!("{} (kept forever)", g.name),
            })),
            auto_scaling_groups: self
                .asg
                .groups
                .values()
                .map(|g| AutoScalingGroupSnapshot {
                    name: g.name.clone(),
                    capacity: g.capacity,
                    suspended_processes: g.suspended.iter().cloned().collect(),
                })
                .collect(),
            scalable_targets: sorted(self.scaling.targets.iter().map(|(id, t)| {
                let policies: Vec<String> = t
                    .policies
                    .iter()
                    .map(|(name, cpu)| match cpu {
                        Some(cpu) => format!("{name}@{cpu}%"),
                        None => name.clone(),
                    })
                    .collect();
                let plan = t
                    .tags
                    .get(migrate_engine::ports::TAG_PLAN_ID)
                    .map_or_else(String::new, |plan| format!(" (plan {plan})"));
                format!("{id} {}..{} [{}]{plan}", t.min, t.max, policies.join(", "))
            })),
            launch_templates: sorted(self.ec2.launch_templates.values().map(|t| t.name.clone())),
            volumes: sorted(
                self.ec2
                    .volumes
                    .values()
                    .map(|v| format!("{} ({})", v.id, v.state)),
            ),
            environment: self
                .topology
                .beanstalk_environment
                .clone()
                .filter(|_| !self.environment_terminated),
        }
    }
}

fn sorted(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut names: Vec<String> = names.collect();
    names.sort();
    names
}

impl Simulation {
    /// The account as a person would see it now.
    pub fn snapshot(&self) -> AccountSnapshot {
        self.with_world(|w| w.snapshot())
    }
}
