//! Raw playbook → validated playbook. Every problem is collected, none stops the others.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use crate::duration;
use crate::model::*;
use crate::raw::*;
use migrate_taskdef::fargate;

mod connection_budget;
mod guard;
mod load_balancer;
mod scaling;

/// One thing wrong with a playbook, at a field path such as `target.services[0].cpu`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

/// Reads task definition files named by the playbook; injected so that validation itself does
/// no I/O of its own choosing.
pub trait FileSource {
    fn read(&self, relative: &str) -> Result<String, String>;
}

/// Reads files relative to the playbook's directory.
pub struct Directory<'a>(pub &'a Path);

impl FileSource for Directory<'_> {
    fn read(&self, relative: &str) -> Result<String, String> {
        let path = self.0.join(relative);
        std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    }
}

#[derive(Default)]
struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    fn unknown(&mut self, path: &str, unknown: &Unknown, known: &[&str]) {
        for key in unknown.keys() {
            let at = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            self.problem(
                at,
                format!(
                    "unknown field `{key}`; expected one of: {}",
                    known.join(", ")
                ),
            );
        }
    }

    fn required<'v, T>(&mut self, path: &str, value: &'v Option<T>) -> Option<&'v T> {
        if value.is_none() {
            self.problem(path, "is required");
        }
        value.as_ref()
    }

    fn duration(&mut self, path: &str, value: &Option<RawDuration>, default: Duration) -> Duration {
        match value {
            None => default,
            Some(RawDuration::Seconds(s)) => Duration::from_secs(*s),
            Some(RawDuration::Text(text)) => duration::parse(text).unwrap_or_else(|message| {
                self.problem(path, message);
                default
            }),
        }
    }

    fn id_list(&mut self, path: &str, values: &[String], prefix: &str) {
        for (i, value) in values.iter().enumerate() {
            if !value.starts_with(prefix) {
                self.problem(
                    format!("{path}[{i}]"),
                    format!("`{value}` is not an id starting with `{prefix}`"),
                );
            }
        }
    }
}

fn is_resource_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// The longest migration name: every created resource is named `<name>-<role>-<plan id>`, and
/// load balancer and target group names may not exceed 32 characters.
pub const MAX_NAME_LEN: usize = 18;

pub(crate) fn validate(raw: RawPlaybook, files: &dyn FileSource) -> Result<Playbook, Vec<Problem>> {
    let mut c = Checker {
        problems: Vec::new(),
    };
    c.unknown(
        "",
        &raw.unknown,
        &[
            "version",
            "name",
            "region",
            "source",
            "network",
            "target",
            "cutover",
            "drain",
            "scale_down",
            "logs",
            "tags",
            "state",
            "cleanup",
            "guard",
            "connection_budget",
        ],
    );
    if let Some(version) = raw.version {
        if version != 1 {
            c.problem(
                "version",
                format!("version {version} is not supported; use 1"),
            );
        }
    }
    let name = c.required("name", &raw.name).cloned().unwrap_or_default();
    if raw.name.is_some() && (!is_resource_name(&name) || name.len() > MAX_NAME_LEN) {
        c.problem(
            "name",
            format!(
                "`{name}` must be 1 to {MAX_NAME_LEN} lowercase letters, digits or dashes \
                 (it prefixes load balancer names, which AWS limits to 32 characters)"
            ),
        );
    }

    let source = check_source(&mut c, raw.source.as_ref());
    let network = check_network(&mut c, raw.network.as_ref());
    let target = check_target(
        &mut c,
        raw.target.as_ref(),
        files,
        &name,
        raw.region.as_deref(),
        source
            .as_ref()
            .is_some_and(|s| s.kind == SourceKind::EcsEc2),
    );
    let cutover = check_cutover(&mut c, raw.cutover.as_ref());
    if let (Some(source), Some(cutover)) = (&source, &cutover) {
        check_strategy_fits_source(&mut c, source, cutover);
    }
    let drain = check_drain(&mut c, raw.drain.as_ref());
    let scale_down = check_scale_down(&mut c, raw.scale_down.as_ref(), source.as_ref());
    let logs = check_logs(&mut c, raw.logs.as_ref());
    let cleanup = check_cleanup(&mut c, raw.cleanup.as_ref());
    let guard = guard::check(&mut c, raw.guard.as_ref(), raw.region.as_deref());
    let connection_budget = connection_budget::check(&mut c, raw.connection_budget.as_ref());

    let tags = raw.tags.unwrap_or_default();
    for key in tags.keys() {
        if key.starts_with("migrate:") || key.starts_with("aws:") {
            c.problem(
                format!("tags.{key}"),
                "tags starting with `migrate:` or `aws:` are reserved",
            );
        }
    }

    if let Some(state) = &raw.state {
        if let Err(reason) = check_state_url(state) {
            c.problem("state", reason);
        }
    }

    match (source, network, target, cutover, drain, scale_down) {
        (
            Some(source),
            Some(network),
            Some(target),
            Some(cutover),
            Some(drain),
            Some(scale_down),
        ) if c.problems.is_empty() => Ok(Playbook {
            name,
            region: raw.region,
            source,
            network,
            target,
            cutover,
            drain,
            scale_down,
            logs,
            tags,
            state: raw.state,
            cleanup,
            guard,
            connection_budget,
        }),
        _ => {
            if c.problems.is_empty() {
                c.problem("", "the playbook is incomplete");
            }
            Err(c.problems)
        }
    }
}

/// The shape of a shared state location; the bucket itself is checked when it is opened.
fn check_state_url(url: &str) -> Result<(), String> {
    let bucket = url
        .strip_prefix("s3://")
        .map(|rest| rest.split('/').next().unwrap_or_default())
        .ok_or_else(|| format!("`{url}` is not a shared state location; use s3://BUCKET/PREFIX (a local state needs no `state:`)"))?;
    if bucket.is_empty() {
        return Err(format!("`{url}` names no bucket; use s3://BUCKET/PREFIX"));
    }
    Ok(())
}

fn check_source(c: &mut Checker, raw: Option<&RawSource>) -> Option<Source> {
    let Some(raw) = raw else {
        c.problem("source", "is required");
        return None;
    };
    c.unknown(
        "source",
        &raw.unknown,
        &[
            "kind",
            "auto_scaling_group",
            "ecs",
            "beanstalk",
            "ec2",
            "load_balancer",
            "connections_per_instance",
        ],
    );
    let kind = match raw.kind.as_deref() {
        Some("asg") => SourceKind::Asg,
        Some("ecs-ec2") => SourceKind::EcsEc2,
        Some("beanstalk") => SourceKind::Beanstalk,
        Some("ec2") => SourceKind::Ec2,
        Some(other) => {
            c.problem(
                "source.kind",
                format!("`{other}` is not a source kind; expected asg, ecs-ec2, beanstalk or ec2"),
            );
            return None;
        }
        None => {
            c.problem(
                "source.kind",
                "is required (asg, ecs-ec2, beanstalk or ec2)",
            );
            return None;
        }
    };
    if let Some(ecs) = &raw.ecs {
        c.unknown("source.ecs", &ecs.unknown, &["cluster", "services"]);
    }
    if let Some(eb) = &raw.beanstalk {
        c.unknown("source.beanstalk", &eb.unknown, &["environment"]);
    }
    if let Some(ec2) = &raw.ec2 {
        c.unknown("source.ec2", &ec2.unknown, &["instances"]);
    }
    let instances = raw
        .ec2
        .as_ref()
        .and_then(|e| e.instances.clone())
        .unwrap_or_default();
    check_instance_ids(c, &instances);
    let ecs_cluster = raw.ecs.as_ref().and_then(|e| e.cluster.clone());
    let ecs_services = raw
        .ecs
        .as_ref()
        .and_then(|e| e.services.clone())
        .unwrap_or_default();
    let beanstalk_environment = raw.beanstalk.as_ref().and_then(|b| b.environment.clone());
    match kind {
        SourceKind::Asg => {
            c.required("source.auto_scaling_group", &raw.auto_scaling_group);
            c.required("source.load_balancer", &raw.load_balancer);
        }
        SourceKind::EcsEc2 => {
            if ecs_cluster.is_none() {
                c.problem("source.ecs.cluster", "is required for an ecs-ec2 source");
            }
            if ecs_services.is_empty() {
                c.problem(
                    "source.ecs.services",
                    "name at least one old ECS service for an ecs-ec2 source",
                );
            }
            c.required("source.load_balancer", &raw.load_balancer);
        }
        SourceKind::Beanstalk => {
            if beanstalk_environment.is_none() {
                c.problem(
                    "source.beanstalk.environment",
                    "is required for a beanstalk source",
                );
            }
        }
        SourceKind::Ec2 => {
            c.required("source.load_balancer", &raw.load_balancer);
            if raw.auto_scaling_group.is_some() {
                c.problem(
                    "source.auto_scaling_group",
                    "an ec2 source has no Auto Scaling group; use `kind: asg` for instances an \
                     Auto Scaling group launches",
                );
            }
        }
    }
    if kind != SourceKind::Ec2 && raw.ec2.is_some() {
        c.problem(
            "source.ec2",
            format!(
                "is only read for `kind: ec2`, not `kind: {}`",
                kind.as_str()
            ),
        );
    }
    Some(Source {
        kind,
        auto_scaling_group: raw.auto_scaling_group.clone(),
        ecs_cluster,
        ecs_services,
        beanstalk_environment,
        load_balancer: raw.load_balancer.clone(),
        connections_per_instance: raw.connections_per_instance,
        instances,
    })
}

/// An EC2 instance id is `i-` and 8 or 17 lower-case hexadecimal digits
/// (<https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/resource-ids.html>); a name or an ARN
/// pasted in its place is caught here rather than by `DescribeInstances` mid-apply.
fn check_instance_ids(c: &mut Checker, instances: &[String]) {
    let mut seen = std::collections::BTreeSet::new();
    for (i, id) in instances.iter().enumerate() {
        let path = format!("source.ec2.instances[{i}]");
        let digits = id.strip_prefix("i-").unwrap_or("");
        let well_formed = matches!(digits.len(), 8 | 17)
            && digits
                .chars()
                .all(|ch| ch.is_ascii_digit() || ('a'..='f').contains(&ch));
        if !well_formed {
            c.problem(
                path,
                format!("`{id}` is not an EC2 instance id (i- and 8 or 17 hexadecimal digits)"),
            );
        } else if !seen.insert(id.as_str()) {
            c.problem(path, format!("`{id}` is listed twice"));
        }
    }
}

fn check_network(c: &mut Checker, raw: Option<&RawNetwork>) -> Option<Network> {
    let Some(raw) = raw else {
        c.problem("network", "is required");
        return None;
    };
    c.unknown(
        "network",
        &raw.unknown,
        &[
            "vpc",
            "subnets",
            "load_balancer_subnets",
            "assign_public_ip",
            "data_stores",
        ],
    );
    let vpc = c
        .required("network.vpc", &raw.vpc)
        .cloned()
        .unwrap_or_default();
    if raw.vpc.is_some() && !vpc.starts_with("vpc-") {
        c.problem("network.vpc", format!("`{vpc}` is not a VPC id (vpc-...)"));
    }
    let subnets = raw.subnets.clone().unwrap_or_default();
    if subnets.is_empty() {
        c.problem("network.subnets", "name at least one subnet for the tasks");
    }
    c.id_list("network.subnets", &subnets, "subnet-");
    let load_balancer_subnets = raw
        .load_balancer_subnets
        .clone()
        .unwrap_or_else(|| subnets.clone());
    if let Some(given) = &raw.load_balancer_subnets {
        c.id_list("network.load_balancer_subnets", given, "subnet-");
    }
    if !subnets.is_empty() && load_balancer_subnets.len() < 2 {
        let at = if raw.load_balancer_subnets.is_some() {
            "network.load_balancer_subnets"
        } else {
            "network.subnets"
        };
        c.problem(
            at,
            "an Application Load Balancer needs subnets in at least two availability zones",
        );
    }
    let mut data_stores = Vec::new();
    let mut names = BTreeSet::new();
    for (i, store) in raw.data_stores.iter().flatten().enumerate() {
        let at = format!("network.data_stores[{i}]");
        c.unknown(
            &at,
            &store.unknown,
            &["name", "kind", "security_group", "port", "max_connections"],
        );
        let kind = match store.kind.as_deref() {
            None | Some("other") => DataStoreKind::Other,
            Some("rds") => DataStoreKind::Rds,
            Some("redis") => DataStoreKind::Redis,
            Some("efs") => DataStoreKind::Efs,
            Some(other) => {
                c.problem(
                    format!("{at}.kind"),
                    format!(
                        "`{other}` is not a data store kind; expected rds, redis, efs or other"
                    ),
                );
                DataStoreKind::Other
            }
        };
        let default_port = match kind {
            DataStoreKind::Redis => Some(6379),
            DataStoreKind::Efs => Some(2049),
            DataStoreKind::Rds | DataStoreKind::Other => None,
        };
        let port = match (store.port, default_port) {
            (Some(port), _) if (1..=65535).contains(&port) => port as u16,
            (Some(port), _) => {
                c.problem(format!("{at}.port"), format!("{port} is not a TCP port"));
                0
            }
            (None, Some(port)) => port,
            (None, None) => {
                c.problem(
                    format!("{at}.port"),
                    "is required for this kind (e.g. 3306 for MySQL, 5432 for PostgreSQL)",
                );
                0
            }
        };
        let name = c
            .required(&format!("{at}.name"), &store.name)
            .cloned()
            .unwrap_or_default();
        if store.name.is_some() && !names.insert(name.clone()) {
            c.problem(format!("{at}.name"), format!("`{name}` is named twice"));
        }
        let security_group = c
            .required(&format!("{at}.security_group"), &store.security_group)
            .cloned()
            .unwrap_or_default();
        if store.security_group.is_some() && !security_group.starts_with("sg-") {
            c.problem(
                format!("{at}.security_group"),
                format!("`{security_group}` is not a security group id (sg-...)"),
            );
        }
        if store.max_connections == Some(0) {
            c.problem(
                format!("{at}.max_connections"),
                "must be at least 1 (leave it out to check no budget)",
            );
        }
        data_stores.push(DataStore {
            name,
            kind,
            security_group,
            port,
            max_connections: store.max_connections,
        });
    }
    Some(Network {
        vpc,
        subnets,
        load_balancer_subnets,
        assign_public_ip: raw.assign_public_ip.unwrap_or(false),
        data_stores,
    })
}

/// What task-definition translation needs to know of the rest of the playbook.
struct Context<'a> {
    name: &'a str,
    region: Option<&'a str>,
    execution_role: Option<&'a str>,
    task_role: Option<&'a str>,
    /// An ECS-on-EC2 source: a service without `task_definition` is planned from the one its
    /// old service runs (`migrate plan` reads and translates it, see [`translate_running`]).
    running_definitions: bool,
}

fn check_target(
    c: &mut Checker,
    raw: Option<&RawTarget>,
    files: &dyn FileSource,
    name: &str,
    region: Option<&str>,
    running_definitions: bool,
) -> Option<Target> {
    let Some(raw) = raw else {
        c.problem("target", "is required");
        return None;
    };
    let context = Context {
        name,
        region,
        execution_role: raw.execution_role.as_deref(),
        task_role: raw.task_role.as_deref(),
        running_definitions,
    };
    c.unknown(
        "target",
        &raw.unknown,
        &[
            "cluster",
            "container_insights",
            "load_balancer",
            "services",
            "execution_role",
            "task_role",
        ],
    );
    let cluster = c
        .required("target.cluster", &raw.cluster)
        .cloned()
        .unwrap_or_default();
    let default_lb = RawLoadBalancer::default();
    let lb = raw.load_balancer.as_ref().unwrap_or(&default_lb);
    c.unknown(
        "target.load_balancer",
        &lb.unknown,
        &[
            "internal",
            "security_groups",
            "https_certificate",
            "deregistration_delay",
            "acknowledge",
        ],
    );
    let https_certificate = match lb.https_certificate.as_deref() {
        None | Some("from-old-load-balancer") => HttpsCertificate::FromOldLoadBalancer,
        Some("none") => HttpsCertificate::None,
        Some(arn) if arn.starts_with("arn:") => HttpsCertificate::Arn(arn.to_string()),
        Some(other) => {
            c.problem(
                "target.load_balancer.https_certificate",
                format!("`{other}` is neither `from-old-load-balancer`, `none` nor an ACM certificate ARN"),
            );
            HttpsCertificate::None
        }
    };
    let security_groups = lb.security_groups.clone().unwrap_or_default();
    c.id_list(
        "target.load_balancer.security_groups",
        &security_groups,
        "sg-",
    );
    let deregistration_delay = c.duration(
        "target.load_balancer.deregistration_delay",
        &lb.deregistration_delay,
        Duration::from_secs(30),
    );
    if deregistration_delay > Duration::from_secs(3600) {
        c.problem(
            "target.load_balancer.deregistration_delay",
            "may be at most 1h (an ELB limit)",
        );
    }

    let acknowledge = lb.acknowledge.clone().unwrap_or_default();
    load_balancer::check_acknowledged(c, &acknowledge);

    let mut services = Vec::new();
    let raw_services = raw.services.as_deref().unwrap_or(&[]);
    if raw_services.is_empty() {
        c.problem("target.services", "name at least the web service");
    }
    let mut names = BTreeSet::new();
    for (i, service) in raw_services.iter().enumerate() {
        let at = format!("target.services[{i}]");
        if let Some(service) = check_service(c, &at, service, files, &context) {
            if !names.insert(service.name.clone()) {
                c.problem(
                    format!("{at}.name"),
                    format!("`{}` is named twice", service.name),
                );
            }
            services.push(service);
        }
    }
    let webs = services.iter().filter(|s| s.web.is_some()).count();
    if !raw_services.is_empty() && webs != 1 {
        c.problem(
            "target.services",
            format!("exactly one service must be of kind `web` (found {webs})"),
        );
    }
    Some(Target {
        cluster,
        container_insights: raw.container_insights.unwrap_or(true),
        load_balancer: LoadBalancerSettings {
            internal: lb.internal.unwrap_or(false),
            security_groups,
            https_certificate,
            deregistration_delay,
            acknowledge,
        },
        services,
        execution_role: raw.execution_role.clone(),
        task_role: raw.task_role.clone(),
    })
}

fn check_service(
    c: &mut Checker,
    at: &str,
    raw: &RawService,
    files: &dyn FileSource,
    context: &Context<'_>,
) -> Option<Service> {
    c.unknown(
        at,
        &raw.unknown,
        &[
            "name",
            "kind",
            "task_definition",
            "container",
            "port",
            "cpu",
            "memory",
            "desired_count",
            "connections_per_task",
            "health_check",
            "enable_execute_command",
            "scaling",
        ],
    );
    let name = c.required(&format!("{at}.name"), &raw.name).cloned();
    if let Some(name) = &name {
        if !is_resource_name(name) {
            c.problem(
                format!("{at}.name"),
                format!("`{name}` must be lowercase letters, digits or dashes"),
            );
        }
    }
    let is_web = match raw.kind.as_deref() {
        Some("web") => true,
        Some("worker") => false,
        Some(other) => {
            c.problem(
                format!("{at}.kind"),
                format!("`{other}` is not a service kind; expected web or worker"),
            );
            false
        }
        None => {
            c.problem(format!("{at}.kind"), "is required (web or worker)");
            false
        }
    };
    let (source_definition, task_definition_origin) =
        if raw.task_definition.is_none() && context.running_definitions {
            (serde_json::Value::Null, RUNNING_TASK_DEFINITION.to_string())
        } else {
            check_task_definition(c, &format!("{at}.task_definition"), raw, files)
                .unwrap_or((serde_json::Value::Null, String::new()))
        };
    let cpu = raw.cpu.unwrap_or(256);
    let memory = raw.memory.unwrap_or(512);
    let size_ok = fargate::valid_pair(cpu, memory);
    if !size_ok {
        let path = if raw.memory.is_some() {
            format!("{at}.memory")
        } else {
            format!("{at}.cpu")
        };
        let hint = match fargate::describe_memory_values(cpu) {
            Some(values) => format!("with cpu {cpu} use memory {values}"),
            None => format!(
                "cpu must be one of {}",
                fargate::cpu_values()
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        c.problem(
            path,
            format!("cpu {cpu} with memory {memory} MiB is not a Fargate pair; {hint}"),
        );
    }
    let web = if is_web {
        let container = c
            .required(&format!("{at}.container"), &raw.container)
            .cloned()
            .unwrap_or_default();
        let port = match raw.port {
            Some(port) if (1..=65535).contains(&port) => port as u16,
            Some(port) => {
                c.problem(format!("{at}.port"), format!("{port} is not a TCP port"));
                0
            }
            None => {
                c.problem(format!("{at}.port"), "is required for a web service");
                0
            }
        };
        if !container.is_empty() && source_definition.is_object() {
            let names: Vec<&str> = source_definition["containerDefinitions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| d["name"].as_str())
                .collect();
            if !names.contains(&container.as_str()) {
                c.problem(
                    format!("{at}.container"),
                    format!(
                        "the task definition has no container `{container}` (it has: {})",
                        names.join(", ")
                    ),
                );
            }
        }
        let health_check =
            check_health_check(c, &format!("{at}.health_check"), raw.health_check.as_ref());
        Some(WebSettings {
            container,
            port,
            health_check,
            health_check_from_old_side: raw.health_check.is_none(),
        })
    } else {
        for (field, given) in [
            ("container", raw.container.is_some()),
            ("port", raw.port.is_some()),
            ("health_check", raw.health_check.is_some()),
        ] {
            if given && raw.kind.as_deref() == Some("worker") {
                c.problem(
                    format!("{at}.{field}"),
                    "a worker service has no load balancer; remove this field or make it `kind: web`",
                );
            }
        }
        None
    };
    let desired_count = raw.desired_count.unwrap_or(if is_web { 2 } else { 1 });
    let scaling = scaling::check(
        c,
        &format!("{at}.scaling"),
        raw.scaling.as_ref(),
        desired_count,
        is_web,
    );
    let name = name?;
    let (task_definition, task_definition_changes, log_groups) =
        if source_definition.is_object() && size_ok {
            translate(
                c,
                &format!("{at}.task_definition"),
                context,
                &name,
                &source_definition,
                &task_definition_origin,
                cpu,
                memory,
            )
        } else {
            (serde_json::Value::Null, Vec::new(), Vec::new())
        };
    Some(Service {
        name,
        web,
        task_definition,
        task_definition_origin,
        task_definition_changes,
        log_groups,
        cpu,
        memory,
        desired_count,
        connections_per_task: raw.connections_per_task,
        enable_execute_command: raw.enable_execute_command.unwrap_or(false),
        scaling,
    })
}

fn check_task_definition(
    c: &mut Checker,
    at: &str,
    raw: &RawService,
    files: &dyn FileSource,
) -> Option<(serde_json::Value, String)> {
    let (value, origin) = match raw.task_definition.as_ref() {
        None => {
            c.problem(
                at,
                "is required: a path to a JSON file, or the definition inline",
            );
            return None;
        }
        Some(serde_yaml::Value::String(path)) => {
            let text = match files.read(path) {
                Ok(text) => text,
                Err(message) => {
                    c.problem(at, message);
                    return None;
                }
            };
            match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(value) => (value, path.clone()),
                Err(e) => {
                    c.problem(
                        at,
                        format!("{path}:{}:{}: not valid JSON: {e}", e.line(), e.column()),
                    );
                    return None;
                }
            }
        }
        Some(inline @ serde_yaml::Value::Mapping(_)) => match serde_json::to_value(inline) {
            Ok(value) => (value, "inline".to_string()),
            Err(e) => {
                c.problem(at, format!("cannot be read as JSON: {e}"));
                return None;
            }
        },
        Some(_) => {
            c.problem(at, "must be a path to a JSON file or a mapping");
            return None;
        }
    };
    // `describe-task-definition` wraps the definition in `taskDefinition`; accept both shapes.
    let value = match value.get("taskDefinition") {
        Some(inner) => inner.clone(),
        None => value,
    };
    let has_containers = value["containerDefinitions"]
        .as_array()
        .is_some_and(|list| !list.is_empty());
    if !has_containers {
        c.problem(at, "has no `containerDefinitions`");
        return None;
    }
    Some((value, origin))
}

fn check_health_check(
    c: &mut Checker,
    at: &str,
    raw: Option<&RawHealthCheck>,
) -> HealthCheckSettings {
    let default = RawHealthCheck::default();
    let raw = raw.unwrap_or(&default);
    c.unknown(
        at,
        &raw.unknown,
        &[
            "path",
            "codes",
            "interval",
            "timeout",
            "healthy_threshold",
            "unhealthy_threshold",
            "grace_period",
        ],
    );
    let path = raw.path.clone().unwrap_or_else(|| "/".into());
    if !path.starts_with('/') {
        c.problem(
            format!("{at}.path"),
            format!("`{path}` must start with `/`"),
        );
    }
    let codes = match &raw.codes {
        None => "200".to_string(),
        Some(RawCodes::Single(code)) => code.to_string(),
        Some(RawCodes::Text(text)) => text.replace(' ', ""),
    };
    let codes_ok = codes.split(',').all(|part| {
        let valid = |s: &str| {
            s.parse::<u16>()
                .is_ok_and(|code| (200..=499).contains(&code))
        };
        match part.split_once('-') {
            Some((low, high)) => valid(low) && valid(high) && low < high,
            None => valid(part),
        }
    });
    if !codes_ok {
        c.problem(
            format!("{at}.codes"),
            format!("`{codes}` is not a list of HTTP codes 200-499 such as `200,302` or `200-299`"),
        );
    }
    let interval = c.duration(
        &format!("{at}.interval"),
        &raw.interval,
        Duration::from_secs(15),
    );
    let timeout = c.duration(
        &format!("{at}.timeout"),
        &raw.timeout,
        Duration::from_secs(5),
    );
    if !(5..=300).contains(&interval.as_secs()) {
        c.problem(
            format!("{at}.interval"),
            "must be between 5s and 300s (an ELB limit)",
        );
    }
    if !(2..=120).contains(&timeout.as_secs()) || timeout >= interval {
        c.problem(
            format!("{at}.timeout"),
            "must be between 2s and 120s and shorter than the interval (ELB limits)",
        );
    }
    let mut threshold = |field: &str, value: Option<u32>, default: u32| {
        let value = value.unwrap_or(default);
        if !(2..=10).contains(&value) {
            c.problem(
                format!("{at}.{field}"),
                "must be between 2 and 10 (an ELB limit)",
            );
        }
        value
    };
    let healthy_threshold = threshold("healthy_threshold", raw.healthy_threshold, 2);
    let unhealthy_threshold = threshold("unhealthy_threshold", raw.unhealthy_threshold, 3);
    let grace_period = c.duration(
        &format!("{at}.grace_period"),
        &raw.grace_period,
        Duration::from_secs(60),
    );
    HealthCheckSettings {
        path,
        codes,
        interval,
        timeout,
        healthy_threshold,
        unhealthy_threshold,
        grace_period,
    }
}

fn check_cutover(c: &mut Checker, raw: Option<&RawCutover>) -> Option<Cutover> {
    let Some(raw) = raw else {
        c.problem("cutover", "is required");
        return None;
    };
    c.unknown(
        "cutover",
        &raw.unknown,
        &[
            "zone",
            "record",
            "strategy",
            "steps",
            "bake",
            "lower_ttl_to",
        ],
    );
    let zone = match raw.zone.as_deref() {
        None => {
            c.problem(
                "cutover.zone",
                "is required: a hosted zone id (Z...) or name",
            );
            None
        }
        // AWS's ids start with Z; an emulator's may not, and no domain name is upper-case
        // letters and digits without a dot.
        Some(z)
            if z.chars()
                .all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit()) =>
        {
            Some(Zone::Id(z.to_string()))
        }
        Some(z) if z.contains('.') => Some(Zone::Name(z.trim_end_matches('.').to_string())),
        Some(z) => {
            c.problem(
                "cutover.zone",
                format!("`{z}` is neither a hosted zone id (Z...) nor a domain name"),
            );
            None
        }
    };
    let record = c
        .required("cutover.record", &raw.record)
        .map(|r| r.trim_end_matches('.').to_string());
    if let (Some(Zone::Name(zone)), Some(record)) = (&zone, &record) {
        if record != zone && !record.ends_with(&format!(".{zone}")) {
            c.problem(
                "cutover.record",
                format!("`{record}` is not inside the zone `{zone}`"),
            );
        }
    }
    let ramp = |c: &mut Checker, strategy: &str| -> (Vec<u8>, Duration) {
        let steps = raw.steps.clone().unwrap_or_else(|| vec![10, 50, 100]);
        let increasing = steps.windows(2).all(|w| w[0] < w[1]);
        if steps.is_empty()
            || !increasing
            || steps.last() != Some(&100)
            || steps.iter().any(|&s| s == 0 || s > 100)
        {
            c.problem(
                "cutover.steps",
                format!(
                    "the `{strategy}` ramp must be increasing weights between 1 and 100 that end \
                     at 100, e.g. [10, 50, 100]"
                ),
            );
        }
        let bake = c.duration("cutover.bake", &raw.bake, Duration::from_secs(300));
        (steps.iter().map(|&s| s.min(100) as u8).collect(), bake)
    };
    let strategy = match raw.strategy.as_deref() {
        None | Some("alias") => {
            if raw.steps.is_some() {
                c.problem(
                    "cutover.steps",
                    "steps apply to the `weighted` and `listener` strategies only",
                );
            }
            CutoverStrategy::Alias
        }
        Some("weighted") => {
            let (steps, bake) = ramp(c, "weighted");
            CutoverStrategy::Weighted { steps, bake }
        }
        Some("listener") => {
            let (steps, bake) = ramp(c, "listener");
            CutoverStrategy::Listener { steps, bake }
        }
        Some(other) => {
            c.problem(
                "cutover.strategy",
                format!("`{other}` is not a strategy; expected alias, weighted or listener"),
            );
            CutoverStrategy::Alias
        }
    };
    let lower_ttl_to = raw.lower_ttl_to.unwrap_or(60);
    if !(1..=86_400).contains(&lower_ttl_to) {
        c.problem(
            "cutover.lower_ttl_to",
            "must be between 1 and 86400 seconds",
        );
    }
    Some(Cutover {
        zone: zone?,
        record: record?,
        strategy,
        lower_ttl_to,
    })
}

/// The `listener` strategy changes the old load balancer's listeners. A Beanstalk environment
/// owns its load balancer's listeners and rules (option namespaces `aws:elbv2:listener` and
/// `aws:elbv2:listenerrule`) and writes them again on every environment update, which the
/// scale-down step itself makes: a forward added outside Elastic Beanstalk would be dropped
/// mid-migration, sending the clients still on the old load balancer back to a shrinking group.
/// <https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/command-options-general.html>
fn check_strategy_fits_source(c: &mut Checker, source: &Source, cutover: &Cutover) {
    if source.kind == SourceKind::Beanstalk
        && matches!(cutover.strategy, CutoverStrategy::Listener { .. })
    {
        c.problem(
            "cutover.strategy",
            "`listener` cannot be used with a Beanstalk source: Elastic Beanstalk owns the \
             environment's listeners and rewrites them (aws:elbv2:listener, \
             aws:elbv2:listenerrule) on every environment update, including the one that scales \
             the environment down, so a weighted forward added by migrate would be dropped \
             mid-migration; use `weighted` or `alias`",
        );
    }
}

fn check_drain(c: &mut Checker, raw: Option<&RawDrain>) -> Option<Drain> {
    let default = RawDrain::default();
    let raw = raw.unwrap_or(&default);
    c.unknown(
        "drain",
        &raw.unknown,
        &[
            "min_wait",
            "zero_traffic_window",
            "timeout",
            "noise_threshold",
        ],
    );
    let min_wait = c.duration("drain.min_wait", &raw.min_wait, Duration::from_secs(300));
    let zero_traffic_window = c.duration(
        "drain.zero_traffic_window",
        &raw.zero_traffic_window,
        Duration::from_secs(300),
    );
    let timeout = c.duration("drain.timeout", &raw.timeout, Duration::from_secs(6 * 3600));
    if zero_traffic_window < Duration::from_secs(60) {
        c.problem(
            "drain.zero_traffic_window",
            "must be at least 1m: CloudWatch load balancer metrics have one-minute resolution",
        );
    }
    if timeout <= min_wait + zero_traffic_window {
        c.problem(
            "drain.timeout",
            "must be longer than min_wait plus zero_traffic_window",
        );
    }
    Some(Drain {
        min_wait,
        zero_traffic_window,
        timeout,
        noise_threshold: raw.noise_threshold.unwrap_or(0),
    })
}

fn check_scale_down(
    c: &mut Checker,
    raw: Option<&RawScaleDown>,
    source: Option<&Source>,
) -> Option<ScaleDown> {
    let default = RawScaleDown::default();
    let raw = raw.unwrap_or(&default);
    c.unknown(
        "scale_down",
        &raw.unknown,
        &[
            "old_auto_scaling_group",
            "old_ecs_services",
            "old_instances",
        ],
    );
    let old_ecs_services = raw.old_ecs_services.unwrap_or(true);
    if raw.old_ecs_services == Some(true) && source.is_some_and(|s| s.ecs_services.is_empty()) {
        c.problem(
            "scale_down.old_ecs_services",
            "the source names no ECS services to scale down",
        );
    }
    if raw.old_instances == Some(true) && source.is_some_and(|s| s.kind != SourceKind::Ec2) {
        c.problem(
            "scale_down.old_instances",
            "only an ec2 source has plain instances to stop",
        );
    }
    Some(ScaleDown {
        old_auto_scaling_group: raw.old_auto_scaling_group.unwrap_or(true),
        old_ecs_services,
        old_instances: raw.old_instances.unwrap_or(true),
    })
}

fn check_cleanup(c: &mut Checker, raw: Option<&RawCleanup>) -> Cleanup {
    let Some(raw) = raw else {
        return Cleanup::default();
    };
    c.unknown("cleanup", &raw.unknown, &["soak", "ecr_repository"]);
    if let Some(name) = &raw.ecr_repository {
        if name.contains(".dkr.ecr.") || !is_ecr_repository_name(name) {
            c.problem(
                "cleanup.ecr_repository",
                format!(
                    "`{name}` is not an ECR repository name (2-256 characters: lower-case \
                     letters, digits and `._-/`, starting and ending with a letter or digit); \
                     give the name, not the URI"
                ),
            );
        }
    }
    Cleanup {
        soak: c.duration("cleanup.soak", &raw.soak, DEFAULT_SOAK),
        ecr_repository: raw.ecr_repository.clone(),
    }
}

/// ECR's repository name rule
/// (<https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html>):
/// components of lower-case letters and digits separated by `.`, `_`, `-`, joined by `/`.
fn is_ecr_repository_name(name: &str) -> bool {
    let component_ok = |part: &str| {
        !part.is_empty()
            && part.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && part.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
    };
    (2..=256).contains(&name.len()) && name.split('/').all(component_ok)
}

fn check_logs(c: &mut Checker, raw: Option<&RawLogs>) -> Logs {
    let Some(raw) = raw else {
        return Logs::default();
    };
    c.unknown("logs", &raw.unknown, &["retention_days"]);
    match raw.retention_days {
        None => Logs::default(),
        Some(days) if RETENTION_DAYS_ACCEPTED.contains(&days) => Logs {
            retention_days: days,
        },
        Some(days) => {
            c.problem(
                "logs.retention_days",
                format!(
                    "{days} is not a retention CloudWatch Logs accepts; use one of: {}",
                    RETENTION_DAYS_ACCEPTED.map(|d| d.to_string()).join(", ")
                ),
            );
            Logs::default()
        }
    }
}

/// A role as the playbook gives it: a full ARN is kept as given; a name stays a name, and the
/// `register-task-definition` step turns it into an ARN in the caller's account and partition,
/// which the `preflight` step reads from STS. It is never derived from an image's registry
/// account, which is wrong for shared ECR accounts, other partitions and images outside ECR.
fn role_reference(role: Option<&str>) -> Option<String> {
    role.map(str::to_string)
}

/// The role the translator assumed when neither the playbook nor the source named one
/// (`arn:aws:iam::ACCOUNT:role/NAME`, the account taken from an image or a secret), reduced to
/// its name, to be resolved in the caller's account at apply time like a role given by name.
fn unassumed(definition: &mut serde_json::Value, source: &serde_json::Value) {
    if source["executionRoleArn"].is_string() {
        return;
    }
    if let Some(assumed) = definition["executionRoleArn"].as_str() {
        if let Some((_, name)) = assumed.rsplit_once(":role/") {
            definition["executionRoleArn"] = serde_json::Value::String(name.to_string());
        }
    }
}

/// The `task_definition_origin` of a service planned from the task definition its old ECS
/// service runs: validation leaves its `task_definition` null, and `migrate plan` fills it.
pub const RUNNING_TASK_DEFINITION: &str = "the running task definition";

/// Translates a task definition read from the account (the one an old ECS service runs) for
/// `service` of `playbook`, exactly as validation translates a given file; `origin` names it in
/// messages (e.g. its ARN). Answers the Fargate definition, the changes made and the awslogs
/// groups it names, or every problem found, each at the service's `task_definition`.
pub fn translate_running(
    playbook: &Playbook,
    service: &str,
    origin: &str,
    definition: &serde_json::Value,
) -> Result<(serde_json::Value, Vec<String>, Vec<String>), Vec<Problem>> {
    let mut c = Checker::default();
    let index = playbook
        .target
        .services
        .iter()
        .position(|s| s.name == service);
    let at = format!("target.services[{}].task_definition", index.unwrap_or(0));
    let Some(planned) = index.map(|i| &playbook.target.services[i]) else {
        c.problem(at, format!("the playbook has no service {service}"));
        return Err(c.problems);
    };
    let context = Context {
        name: &playbook.name,
        region: playbook.region.as_deref(),
        execution_role: playbook.target.execution_role.as_deref(),
        task_role: playbook.target.task_role.as_deref(),
        running_definitions: true,
    };
    let translated = translate(
        &mut c,
        &at,
        &context,
        service,
        definition,
        origin,
        planned.cpu,
        planned.memory,
    );
    if c.problems.is_empty() {
        Ok(translated)
    } else {
        Err(c.problems)
    }
}

/// Translates the service's task definition to Fargate with `migrate-taskdef`. Findings that are
/// errors become problems at the task definition's field; so does a secret-looking value in
/// `environment`, because the plan is written to the state file and a secret must never be.
#[allow(clippy::too_many_arguments)]
fn translate(
    c: &mut Checker,
    at: &str,
    context: &Context<'_>,
    service: &str,
    source: &serde_json::Value,
    origin: &str,
    cpu: u32,
    memory: u32,
) -> (serde_json::Value, Vec<String>, Vec<String>) {
    // A Beanstalk environment's `Dockerrun.aws.json` (version 2) is given as it is, so that a
    // beanstalk playbook needs no hand-made task definition; everything else is an ECS one.
    let kind = if source.get("AWSEBDockerrunVersion").is_some() {
        migrate_taskdef::SourceKind::Dockerrun
    } else {
        migrate_taskdef::SourceKind::EcsTaskDefinition
    };
    let options = migrate_taskdef::TranslateOptions {
        kind: Some(kind),
        family: Some(format!("{}-{service}-fargate", context.name)),
        cpu: Some(cpu),
        memory_mib: Some(memory),
        execution_role_arn: role_reference(context.execution_role),
        task_role_arn: role_reference(context.task_role),
        region: context.region.map(str::to_string),
        ..Default::default()
    };
    let document = migrate_taskdef::SourceDocument::new(origin, source.to_string()).with_kind(kind);
    let translation = match migrate_taskdef::translate(&document, &options) {
        Ok(translation) => translation,
        Err(e) => {
            c.problem(at, e.to_string());
            return (serde_json::Value::Null, Vec::new(), Vec::new());
        }
    };
    for finding in &translation.findings {
        let fatal = finding.severity == migrate_taskdef::Severity::Error || finding.rule == "TD018";
        if fatal {
            let fix = finding
                .fix
                .as_deref()
                .map(|f| format!(" (fix: {f})"))
                .unwrap_or_default();
            c.problem(
                at,
                format!(
                    "{} {}: {} at {}{fix}",
                    finding.rule, finding.name, finding.message, finding.location
                ),
            );
        }
    }
    let changes = translation
        .changes
        .iter()
        .map(|change| {
            format!(
                "{} {}: {} ({})",
                change.rule, change.location, change.change, change.reason
            )
        })
        .collect();
    let mut definition = translation.task_definition;
    if context.execution_role.is_none() {
        unassumed(&mut definition, source);
    }
    (definition, changes, translation.log_groups)
}
