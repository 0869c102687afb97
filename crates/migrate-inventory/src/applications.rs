//! Applications, not resources: the inventory grouped into candidate migrations by entry point.
//!
//! Every application load balancer that forwards to something this tool can move is one
//! candidate: the DNS names that point at it, what serves behind its target groups (ECS services
//! on EC2, a Beanstalk environment, an Auto Scaling group, or plain instances, in that order of
//! precedence, because an ECS cluster's container instances and a Beanstalk environment's
//! instances are themselves in an Auto Scaling group), and the data stores whose security groups
//! admit the old side's security groups.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::{DataStoreKind, Inventory, LoadBalancer};

/// How the old side runs, as a playbook's `source.kind` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    EcsEc2,
    Beanstalk,
    Asg,
    /// Instances registered in a target group without an Auto Scaling group.
    Ec2,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::EcsEc2 => "ecs-ec2",
            SourceKind::Beanstalk => "beanstalk",
            SourceKind::Asg => "asg",
            SourceKind::Ec2 => "ec2",
        }
    }
}

/// A DNS name that reaches an application's load balancer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct EntryPoint {
    pub zone: String,
    pub zone_id: String,
    pub private_zone: bool,
    pub name: String,
    pub record_type: String,
}

/// A data store the old side reaches, with the port its security group admits the old side on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct DataStoreUse {
    pub id: String,
    pub kind: DataStoreKind,
    pub engine: Option<String>,
    /// The data store's security group that admits the old side.
    pub security_group: String,
    pub port: Option<u16>,
}

/// One candidate migration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Application {
    /// A name for the playbook: the Beanstalk environment, the ECS cluster, the Auto Scaling
    /// group or the load balancer.
    pub name: String,
    pub kind: SourceKind,
    pub load_balancer: String,
    pub vpc: String,
    pub entry_points: Vec<EntryPoint>,
    /// The ECS cluster and its services on EC2 (those behind the load balancer first).
    pub ecs_cluster: Option<String>,
    pub ecs_services: Vec<String>,
    /// The services of `ecs_services` behind the load balancer.
    pub ecs_web_services: Vec<String>,
    pub auto_scaling_group: Option<String>,
    pub beanstalk_environment: Option<String>,
    /// The instances serving (for ECS, the container instances).
    pub instances: Vec<String>,
    /// Running tasks of the ECS services.
    pub tasks: u32,
    /// The subnets the old side runs in (tasks go there unless the wizard is told otherwise).
    pub subnets: Vec<String>,
    pub old_security_groups: Vec<String>,
    pub data_stores: Vec<DataStoreUse>,
}

/// Groups the inventory into candidate migrations, sorted by name.
pub fn applications(inventory: &Inventory) -> Vec<Application> {
    let mut found: Vec<Application> = inventory
        .load_balancers
        .iter()
        .filter(|lb| lb.kind == "application")
        .filter_map(|lb| behind(inventory, lb))
        .collect();
    found.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then(a.load_balancer.cmp(&b.load_balancer))
    });
    found
}

/// The application behind one load balancer, if it runs on something this tool moves.
fn behind(inventory: &Inventory, lb: &LoadBalancer) -> Option<Application> {
    let target_groups: BTreeSet<&str> = lb
        .listeners
        .iter()
        .flat_map(|listener| {
            listener
                .default_target_groups
                .iter()
                .chain(listener.rules.iter().flat_map(|rule| &rule.target_groups))
        })
        .map(String::as_str)
        .chain(
            inventory
                .target_groups
                .iter()
                .filter(|tg| tg.load_balancers.iter().any(|arn| arn == &lb.arn))
                .map(|tg| tg.arn.as_str()),
        )
        .collect();
    let mut app = Application {
        name: lb.name.clone(),
        kind: SourceKind::Ec2,
        load_balancer: lb.name.clone(),
        vpc: lb.vpc_id.clone(),
        entry_points: entry_points(inventory, &[lb.dns_name.as_str()]),
        ecs_cluster: None,
        ecs_services: Vec::new(),
        ecs_web_services: Vec::new(),
        auto_scaling_group: None,
        beanstalk_environment: None,
        instances: Vec::new(),
        tasks: 0,
        subnets: Vec::new(),
        old_security_groups: Vec::new(),
        data_stores: Vec::new(),
    };
    if !(ecs_behind(inventory, &target_groups, &mut app)
        || beanstalk_behind(inventory, lb, &mut app)
        || asg_behind(inventory, &target_groups, &mut app)
        || instances_behind(inventory, &target_groups, &mut app))
    {
        return None;
    }
    let mut groups: BTreeSet<String> = app.old_security_groups.iter().cloned().collect();
    for id in &app.instances {
        if let Some(instance) = inventory.instances.iter().find(|i| &i.id == id) {
            groups.extend(instance.security_groups.iter().cloned());
            if app.subnets.is_empty() {
                app.subnets.extend(instance.subnet_id.iter().cloned());
            }
        }
    }
    app.old_security_groups = groups.into_iter().collect();
    app.subnets.sort();
    app.subnets.dedup();
    app.data_stores = data_stores_reached(inventory, &app.old_security_groups);
    Some(app)
}

fn ecs_behind(
    inventory: &Inventory,
    target_groups: &BTreeSet<&str>,
    app: &mut Application,
) -> bool {
    for cluster in &inventory.ecs_clusters {
        let web: Vec<&crate::EcsService> = cluster
            .services
            .iter()
            .filter(|s| s.runs_on_ec2())
            .filter(|s| {
                s.load_balancers
                    .iter()
                    .any(|lb| target_groups.contains(lb.target_group.as_str()))
            })
            .collect();
        if web.is_empty() {
            continue;
        }
        app.kind = SourceKind::EcsEc2;
        app.name = cluster.name.clone();
        app.ecs_cluster = Some(cluster.name.clone());
        app.ecs_web_services = web.iter().map(|s| s.name.clone()).collect();
        // Workers of the same cluster (EC2 services behind no load balancer) move with it; the
        // wizard lets the user leave any of them out.
        let workers = cluster
            .services
            .iter()
            .filter(|s| s.runs_on_ec2() && s.load_balancers.is_empty());
        let services: Vec<&crate::EcsService> = web.iter().copied().chain(workers).collect();
        app.ecs_services = services.iter().map(|s| s.name.clone()).collect();
        app.tasks = services.iter().map(|s| s.running_count).sum();
        for service in &services {
            app.old_security_groups
                .extend(service.security_groups.iter().cloned());
            app.subnets.extend(service.subnets.iter().cloned());
        }
        app.instances = cluster.container_instances.clone();
        app.auto_scaling_group = inventory
            .auto_scaling_groups
            .iter()
            .find(|group| {
                group
                    .instances
                    .iter()
                    .any(|i| cluster.container_instances.contains(i))
            })
            .map(|group| group.name.clone());
        return true;
    }
    false
}

fn beanstalk_behind(inventory: &Inventory, lb: &LoadBalancer, app: &mut Application) -> bool {
    let by_resources = inventory.beanstalk_environments.iter().find(|env| {
        env.load_balancers
            .iter()
            .any(|name| name == &lb.name || name == &lb.arn)
    });
    // When the environment's resources could not be read, its Auto Scaling group still carries
    // the environment's name as a tag.
    let by_tag = || {
        inventory.auto_scaling_groups.iter().find_map(|group| {
            let env = group.tags.get("elasticbeanstalk:environment-name")?;
            let serves = inventory.target_groups.iter().any(|tg| {
                group.target_groups.contains(&tg.arn) && tg.load_balancers.contains(&lb.arn)
            });
            serves.then(|| env.clone())
        })
    };
    let Some(name) = by_resources.map(|env| env.name.clone()).or_else(by_tag) else {
        return false;
    };
    let env = inventory
        .beanstalk_environments
        .iter()
        .find(|env| env.name == name);
    app.kind = SourceKind::Beanstalk;
    app.name = name.clone();
    app.beanstalk_environment = Some(name.clone());
    let group = inventory.auto_scaling_groups.iter().find(|group| {
        env.is_some_and(|env| env.auto_scaling_groups.contains(&group.name))
            || group.tags.get("elasticbeanstalk:environment-name") == Some(&name)
    });
    app.auto_scaling_group = group.map(|g| g.name.clone());
    app.instances = match (env, group) {
        (Some(env), _) if !env.instances.is_empty() => env.instances.clone(),
        (_, Some(group)) => group.instances.clone(),
        _ => Vec::new(),
    };
    if let Some(group) = group {
        app.subnets.extend(group.subnets.iter().cloned());
    }
    // Records may name the environment's CNAME rather than the load balancer.
    if let Some(cname) = env.and_then(|env| env.cname.as_deref()) {
        let mut names = entry_points(inventory, &[lb.dns_name.as_str(), cname]);
        names.sort();
        names.dedup();
        app.entry_points = names;
    }
    true
}

fn asg_behind(
    inventory: &Inventory,
    target_groups: &BTreeSet<&str>,
    app: &mut Application,
) -> bool {
    let Some(group) = inventory.auto_scaling_groups.iter().find(|group| {
        group
            .target_groups
            .iter()
            .any(|tg| target_groups.contains(tg.as_str()))
    }) else {
        return false;
    };
    app.kind = SourceKind::Asg;
    app.name = group.name.clone();
    app.auto_scaling_group = Some(group.name.clone());
    app.instances = group.instances.clone();
    app.subnets.extend(group.subnets.iter().cloned());
    true
}

fn instances_behind(
    inventory: &Inventory,
    target_groups: &BTreeSet<&str>,
    app: &mut Application,
) -> bool {
    let instances: Vec<String> = inventory
        .target_groups
        .iter()
        .filter(|tg| target_groups.contains(tg.arn.as_str()) && tg.target_type == "instance")
        .flat_map(|tg| tg.targets.iter().map(|t| t.id.clone()))
        .filter(|id| {
            inventory
                .instances
                .iter()
                .any(|i| &i.id == id && i.auto_scaling_group.is_none())
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if instances.is_empty() {
        return false;
    }
    app.kind = SourceKind::Ec2;
    app.instances = instances;
    true
}

/// The records of every zone that point at one of `dns_names`.
fn entry_points(inventory: &Inventory, dns_names: &[&str]) -> Vec<EntryPoint> {
    let mut points = Vec::new();
    for zone in &inventory.hosted_zones {
        for record in &zone.records {
            if dns_names.iter().any(|name| record.points_at(name)) {
                points.push(EntryPoint {
                    zone: zone.name.clone(),
                    zone_id: zone.id.clone(),
                    private_zone: zone.private,
                    name: record.name.clone(),
                    record_type: record.record_type.clone(),
                });
            }
        }
    }
    points.sort();
    points.dedup();
    points
}

/// The data stores with a security group whose inbound rules admit one of `old_groups`.
fn data_stores_reached(inventory: &Inventory, old_groups: &[String]) -> Vec<DataStoreUse> {
    let mut reached = BTreeMap::new();
    for store in &inventory.data_stores {
        for group_id in &store.security_groups {
            let Some(group) = inventory.security_groups.iter().find(|g| &g.id == group_id) else {
                continue;
            };
            let Some(rule) = group
                .ingress_from_groups
                .iter()
                .find(|rule| old_groups.contains(&rule.from_group))
            else {
                continue;
            };
            reached.entry(store.id.clone()).or_insert(DataStoreUse {
                id: store.id.clone(),
                kind: store.kind,
                engine: store.engine.clone(),
                security_group: group.id.clone(),
                port: store.port.or(rule.from_port),
            });
        }
    }
    reached.into_values().collect()
}

#[cfg(test)]
mod tests;
