//! The commented playbook the wizard writes: every value the dialogue decided, and beside it,
//! in comments, what the inventory found that led to it, so that a reviewer can check the
//! playbook against the account without reading the inventory.

use std::fmt::Write as _;

use migrate_inventory::{Application, DataStoreUse, HealthCheck, Inventory, SourceKind};

use crate::draft::suggested_name;
use crate::{Draft, DraftFile};

/// Everything the dialogue decided.
#[derive(Debug, Clone)]
pub(crate) struct Decisions {
    pub name: String,
    pub zone: String,
    pub record: String,
    pub data_stores: Vec<DataStoreUse>,
    pub services: Vec<ServiceDecision>,
    pub strategy: String,
    pub drain_timeout: String,
    pub cluster: String,
    pub execution_role: String,
}

#[derive(Debug, Clone)]
pub(crate) struct ServiceDecision {
    pub name: String,
    /// The old ECS service it replaces (its running task definition is translated at plan time).
    pub old_service: Option<String>,
    pub web: bool,
    pub container: Option<String>,
    pub port: Option<u16>,
    pub cpu: u32,
    pub memory: u32,
    pub desired_count: u32,
    pub health: Option<HealthCheck>,
    /// The image, for a source with no task definition to translate.
    pub image: Option<String>,
}

pub(crate) fn render(inventory: &Inventory, app: &Application, d: &Decisions) -> Draft {
    let mut files = Vec::new();
    let mut y = String::new();
    let _ = writeln!(
        y,
        "# Written by `migrate init` from the inventory of {} read at {}.",
        inventory.region,
        inventory.read_at.format("%Y-%m-%d %H:%M UTC")
    );
    let _ = writeln!(
        y,
        "# Review every value, then run `migrate plan` on this file: the plan reads the account\n\
         # again and says what it would change before anything is changed."
    );
    let _ = writeln!(
        y,
        "version: 1\nname: {}\nregion: {}\n",
        d.name, inventory.region
    );

    source(&mut y, inventory, app);
    network(&mut y, inventory, app, d);
    target(&mut y, inventory, app, d, &mut files);

    let _ = writeln!(y, "cutover:");
    let _ = writeln!(
        y,
        "  # Every A, AAAA and CNAME record of every zone that points at the old side"
    );
    let _ = writeln!(
        y,
        "  # moves with it; found pointing at {}:",
        app.load_balancer
    );
    for entry in &app.entry_points {
        let _ = writeln!(
            y,
            "  #   {} {} in the {} zone {} ({})",
            entry.record_type,
            entry.name,
            if entry.private_zone {
                "private"
            } else {
                "public"
            },
            entry.zone,
            entry.zone_id
        );
    }
    if let Some(named) = app.entry_points.iter().find(|e| e.zone_id == d.zone) {
        let _ = writeln!(
            y,
            "  # The zone by its id: this account has more than one zone named {}.",
            named.zone
        );
    }
    let _ = writeln!(
        y,
        "  zone: {}\n  record: {}\n  strategy: {}",
        d.zone, d.record, d.strategy
    );
    if d.strategy == "weighted" {
        let _ = writeln!(y, "  steps: [10, 50, 100]\n  bake: 5m");
    }
    let _ = writeln!(y, "  lower_ttl_to: 60\n");
    let _ = writeln!(
        y,
        "drain:\n  # After the cutover the old side keeps serving until its load balancer has seen\n  # no request for the whole window, or the timeout ends the wait.\n  min_wait: 2m\n  zero_traffic_window: 2m\n  timeout: {}\n",
        d.drain_timeout
    );
    let _ = writeln!(y, "scale_down:");
    if app.auto_scaling_group.is_some() && app.kind != SourceKind::Beanstalk {
        let _ = writeln!(y, "  old_auto_scaling_group: true");
    }
    if app.kind == SourceKind::EcsEc2 {
        let _ = writeln!(y, "  old_ecs_services: true");
    }
    if app.kind == SourceKind::Beanstalk {
        let _ = writeln!(
            y,
            "  # The environment's capacity is lowered through Elastic Beanstalk itself.\n  old_auto_scaling_group: true"
        );
    }
    let _ = writeln!(y, "\nlogs:\n  retention_days: 30\n\ncleanup:\n  soak: 7d");
    Draft {
        name: d.name.clone(),
        playbook: y,
        files,
    }
}

fn source(y: &mut String, inventory: &Inventory, app: &Application) {
    let _ = writeln!(y, "source:\n  kind: {}", app.kind.as_str());
    match app.kind {
        SourceKind::EcsEc2 => {
            let _ = writeln!(
                y,
                "  # {} running task(s) on {} container instance(s).\n  ecs:\n    cluster: {}\n    services: [{}]",
                app.tasks,
                app.instances.len(),
                app.ecs_cluster.as_deref().unwrap_or_default(),
                app.ecs_services.join(", ")
            );
        }
        SourceKind::Beanstalk => {
            let env = inventory
                .beanstalk_environments
                .iter()
                .find(|e| Some(&e.name) == app.beanstalk_environment.as_ref());
            if let Some(env) = env {
                let _ = writeln!(
                    y,
                    "  # Application {}, tier {}, platform {}.",
                    env.application,
                    env.tier,
                    env.platform.as_deref().unwrap_or("unknown")
                );
            }
            let _ = writeln!(
                y,
                "  beanstalk:\n    environment: {}",
                app.beanstalk_environment.as_deref().unwrap_or_default()
            );
        }
        SourceKind::Ec2 => {
            let _ = writeln!(
                y,
                "  # Plain instances in no Auto Scaling group: stopped (not terminated) after the\n  # drain, started again by a rollback, terminated by `migrate cleanup`.\n  ec2:\n    instances: [{}]",
                app.instances.join(", ")
            );
        }
        SourceKind::Asg => {}
    }
    if let Some(group) = &app.auto_scaling_group {
        if app.kind != SourceKind::Beanstalk {
            if let Some(found) = inventory
                .auto_scaling_groups
                .iter()
                .find(|g| &g.name == group)
            {
                let _ = writeln!(
                    y,
                    "  # {} instance(s) ({}), min {} max {}{}{}.",
                    found.instances.len(),
                    if found.instance_types.is_empty() {
                        "no instance type read".to_string()
                    } else {
                        found.instance_types.join(", ")
                    },
                    found.min_size,
                    found.max_size,
                    list_note(", scaling policies: ", &found.scaling_policies),
                    list_note(", scheduled actions: ", &found.scheduled_actions),
                );
            }
            let _ = writeln!(y, "  auto_scaling_group: {group}");
        }
    }
    if app.kind != SourceKind::Beanstalk {
        let _ = writeln!(y, "  load_balancer: {}", app.load_balancer);
    }
    let _ = writeln!(y);
}

fn list_note(prefix: &str, items: &[String]) -> String {
    if items.is_empty() {
        String::new()
    } else {
        format!("{prefix}{}", items.join(", "))
    }
}

fn network(y: &mut String, inventory: &Inventory, app: &Application, d: &Decisions) {
    let _ = writeln!(
        y,
        "network:\n  vpc: {}\n  # The subnets the old side runs in; the new tasks run there too.\n  subnets: [{}]",
        app.vpc,
        app.subnets.join(", ")
    );
    // The new load balancer goes where the old one is: the same scheme needs the same kind of
    // subnets (public for internet-facing), and AWS asks for two zones, which the old side's
    // instances may not span.
    if let Some(old) = inventory
        .load_balancers
        .iter()
        .find(|lb| lb.name == app.load_balancer && !lb.subnets.is_empty())
    {
        let _ = writeln!(
            y,
            "  # The old load balancer's subnets ({}); the new one is created in them.\n  load_balancer_subnets: [{}]",
            old.scheme,
            old.subnets.join(", ")
        );
    }
    if d.data_stores.is_empty() {
        let _ = writeln!(y, "  data_stores: []\n");
        return;
    }
    let _ = writeln!(
        y,
        "  # Found through the inbound rules that admit the old side's security groups\n  # ({}); each gains a rule for the new tasks. While both sides run, both hold their\n  # connection pools: give a store's max_connections (and each service its\n  # connections_per_task) and the plan checks the overlap against it (README, \"The\n  # connection budget\").\n  data_stores:",
        app.old_security_groups.join(", ")
    );
    let mut used = Vec::new();
    for store in &d.data_stores {
        let mut name = suggested_name(&store.id);
        let mut n = 2;
        while used.contains(&name) {
            name = format!("{}-{n}", suggested_name(&store.id));
            n += 1;
        }
        used.push(name.clone());
        let _ = writeln!(
            y,
            "    - name: {name}  # {} {}\n      kind: {}\n      security_group: {}",
            store
                .engine
                .as_deref()
                .unwrap_or(store.kind.playbook_kind()),
            store.id,
            store.kind.playbook_kind(),
            store.security_group
        );
        if let Some(port) = store.port {
            let _ = writeln!(y, "      port: {port}");
        }
        let _ = writeln!(
            y,
            "      # max_connections: <its connection limit, if one binds>"
        );
    }
    let _ = writeln!(y);
}

fn target(
    y: &mut String,
    inventory: &Inventory,
    app: &Application,
    d: &Decisions,
    files: &mut Vec<DraftFile>,
) {
    let _ = writeln!(
        y,
        "target:\n  cluster: {}\n  execution_role: {}",
        d.cluster, d.execution_role
    );
    let https = inventory
        .load_balancers
        .iter()
        .find(|lb| lb.name == app.load_balancer)
        .is_some_and(|lb| lb.listeners.iter().any(|l| l.protocol == "HTTPS"));
    let _ = writeln!(y, "  load_balancer:");
    let internal = inventory
        .load_balancers
        .iter()
        .any(|lb| lb.name == app.load_balancer && lb.scheme == "internal");
    if internal {
        let _ = writeln!(
            y,
            "    # The old load balancer is internal; so is the new one.\n    internal: true"
        );
    }
    if https {
        let _ = writeln!(
            y,
            "    # The old load balancer has an HTTPS listener: its certificate is copied.\n    https_certificate: from-old-load-balancer"
        );
    }
    let _ = writeln!(y, "    deregistration_delay: 30s\n  services:");
    for service in &d.services {
        let _ = writeln!(
            y,
            "    - name: {}\n      kind: {}",
            service.name,
            if service.web { "web" } else { "worker" }
        );
        match (&service.old_service, &service.image) {
            (Some(old), _) => {
                let _ = writeln!(
                    y,
                    "      # Translated at plan time from the task definition {old} runs."
                );
            }
            (None, Some(image)) => {
                let path = format!("taskdefs/{}-{}.json", d.name, service.name);
                files.push(DraftFile {
                    relative_path: path.clone(),
                    contents: task_definition(d, service, image),
                });
                let _ = writeln!(
                    y,
                    "      # Runs {image}; add its environment and secrets to the file.\n      task_definition: {path}"
                );
            }
            (None, None) => {}
        }
        if service.web {
            if let Some(container) = &service.container {
                let _ = writeln!(y, "      container: {container}");
            }
            if let Some(port) = service.port {
                let _ = writeln!(y, "      port: {port}");
            }
        }
        let _ = writeln!(
            y,
            "      cpu: {}\n      memory: {}\n      desired_count: {}",
            service.cpu, service.memory, service.desired_count
        );
        if !d.data_stores.is_empty() {
            let _ = writeln!(
                y,
                "      # connections_per_task: <its pool size to each data store>"
            );
        }
        if let (true, Some(health)) = (service.web, &service.health) {
            health_check(y, health);
        }
    }
    let _ = writeln!(y);
}

/// The old target group's health check, which the new one copies.
fn health_check(y: &mut String, health: &HealthCheck) {
    if *health == HealthCheck::default() {
        return;
    }
    let _ = writeln!(
        y,
        "      # The old target group's health check.\n      health_check:"
    );
    if let Some(path) = &health.path {
        let _ = writeln!(y, "        path: {path}");
    }
    if let Some(codes) = &health.matcher {
        let _ = writeln!(y, "        codes: \"{codes}\"");
    }
    if let Some(interval) = health.interval_seconds {
        let _ = writeln!(y, "        interval: {interval}s");
    }
    if let Some(timeout) = health.timeout_seconds {
        let _ = writeln!(y, "        timeout: {timeout}s");
    }
    if let Some(n) = health.healthy_threshold {
        let _ = writeln!(y, "        healthy_threshold: {n}");
    }
    if let Some(n) = health.unhealthy_threshold {
        let _ = writeln!(y, "        unhealthy_threshold: {n}");
    }
}

/// A task definition running `image` with the service's port; logs and Fargate fields are added
/// by the translation `migrate plan` applies to every task definition.
fn task_definition(d: &Decisions, service: &ServiceDecision, image: &str) -> String {
    let container = service
        .container
        .clone()
        .unwrap_or_else(|| "app".to_string());
    let mut definition = serde_json::json!({
        "family": format!("{}-{}", d.name, service.name),
        "containerDefinitions": [{
            "name": container,
            "image": image,
            "essential": true,
        }],
    });
    if let Some(port) = service.port {
        definition["containerDefinitions"][0]["portMappings"] =
            serde_json::json!([{ "containerPort": port, "protocol": "tcp" }]);
    }
    let mut text = serde_json::to_string_pretty(&definition).unwrap_or_default();
    text.push('\n');
    text
}
