//! docker-compose files.
//!
//! Compose describes services that talk over a private network by service name; the nearest ECS
//! shape is one task with one container per service, bridge networking and links between them, which
//! the translator then turns into awsvpc with `127.0.0.1`. Settings with no ECS counterpart are
//! reported, never silently dropped.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::TaskdefError;
use crate::finding::{Change, Finding, Location, Severity};
use crate::model::{
    units_from_fraction, ContainerDefinition, HostVolume, KeyValue, LinuxParameters,
    LogConfiguration, MountPoint, PortMapping, TaskDefinition, Ulimit, Volume,
};
use crate::rules::catalog;

use super::serde_util::{split_words, KeyValues, OrderedMap, Scalar, ShortOrLong, StringOrList};
use super::{SourceKind, SourceTask};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ComposeFile {
    #[serde(default)]
    version: Option<Scalar>,
    #[serde(default)]
    name: Option<String>,
    services: OrderedMap<Service>,
    #[serde(default)]
    volumes: Option<serde_yaml::Value>,
    #[serde(default)]
    networks: Option<serde_yaml::Value>,
    #[serde(default)]
    secrets: Option<serde_yaml::Value>,
    #[serde(default)]
    configs: Option<serde_yaml::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Service {
    image: Option<String>,
    build: Option<serde_yaml::Value>,
    /// Format 1 named the Dockerfile beside `build`.
    dockerfile: Option<String>,
    /// Format 1: links to containers outside the file; nothing in a task can reach them by name.
    #[serde(default)]
    external_links: Vec<String>,
    container_name: Option<String>,
    command: Option<StringOrList>,
    entrypoint: Option<StringOrList>,
    environment: Option<KeyValues>,
    env_file: Option<StringOrList>,
    #[serde(default)]
    ports: Vec<ShortOrLong<LongPort>>,
    #[serde(default)]
    expose: Vec<Scalar>,
    #[serde(default)]
    links: Vec<String>,
    #[serde(default)]
    volumes_from: Vec<String>,
    depends_on: Option<DependsOn>,
    #[serde(default)]
    volumes: Vec<ShortOrLong<LongVolume>>,
    privileged: Option<bool>,
    #[serde(default)]
    devices: Vec<String>,
    network_mode: Option<String>,
    hostname: Option<String>,
    mem_limit: Option<Scalar>,
    mem_reservation: Option<Scalar>,
    cpus: Option<Scalar>,
    cpu_shares: Option<u32>,
    ulimits: Option<OrderedMap<ShortOrLong<LongUlimit>>>,
    logging: Option<Logging>,
    deploy: Option<Deploy>,
    healthcheck: Option<HealthCheck>,
    working_dir: Option<String>,
    user: Option<Scalar>,
    restart: Option<String>,
    labels: Option<KeyValues>,
    #[serde(default)]
    security_opt: Vec<String>,
    #[serde(default)]
    cap_add: Vec<String>,
    #[serde(default)]
    cap_drop: Vec<String>,
    read_only: Option<bool>,
    stop_grace_period: Option<String>,
    tmpfs: Option<serde_yaml::Value>,
    extra_hosts: Option<KeyValues>,
    dns: Option<StringOrList>,
    networks: Option<serde_yaml::Value>,
    platform: Option<String>,
    init: Option<bool>,
    stdin_open: Option<bool>,
    tty: Option<bool>,
    secrets: Option<serde_yaml::Value>,
    configs: Option<serde_yaml::Value>,
    profiles: Option<serde_yaml::Value>,
    pull_policy: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LongPort {
    target: u16,
    published: Option<Scalar>,
    protocol: Option<String>,
    mode: Option<String>,
    host_ip: Option<String>,
    name: Option<String>,
    app_protocol: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LongVolume {
    #[serde(rename = "type")]
    kind: String,
    source: Option<String>,
    target: String,
    read_only: Option<bool>,
    bind: Option<serde_yaml::Value>,
    volume: Option<serde_yaml::Value>,
    tmpfs: Option<serde_yaml::Value>,
    consistency: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LongUlimit {
    soft: i64,
    hard: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Logging {
    driver: Option<String>,
    options: Option<OrderedMap<Scalar>>,
}

/// Swarm deployment settings. Only `resources` and `replicas` mean something for ECS; the rest are
/// accepted so that a valid compose file parses, and concern scheduling the ECS service replaces.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Deploy {
    resources: Option<Resources>,
    mode: Option<String>,
    replicas: Option<u32>,
    restart_policy: Option<serde_yaml::Value>,
    update_config: Option<serde_yaml::Value>,
    rollback_config: Option<serde_yaml::Value>,
    placement: Option<serde_yaml::Value>,
    labels: Option<serde_yaml::Value>,
    endpoint_mode: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Resources {
    limits: Option<ResourceSpec>,
    reservations: Option<ResourceSpec>,
}

/// Only `cpus` and `memory` have ECS counterparts; the rest are accepted so that valid files parse.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ResourceSpec {
    cpus: Option<Scalar>,
    memory: Option<Scalar>,
    pids: Option<u32>,
    devices: Option<serde_yaml::Value>,
    generic_resources: Option<serde_yaml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HealthCheck {
    test: Option<StringOrList>,
    interval: Option<String>,
    timeout: Option<String>,
    retries: Option<u32>,
    start_period: Option<String>,
    start_interval: Option<String>,
    disable: Option<bool>,
}

/// `depends_on` as a list of names or a mapping of name to condition.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum DependsOn {
    List(Vec<String>),
    Map(BTreeMap<String, DependsOnCondition>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DependsOnCondition {
    condition: Option<String>,
    restart: Option<bool>,
    required: Option<bool>,
}

/// Collects the edits and findings for one compose file.
struct Notes<'a> {
    origin: &'a str,
    changes: Vec<Change>,
    findings: Vec<Finding>,
}

impl Notes<'_> {
    fn location(&self, path: String) -> Location {
        Location {
            file: Some(self.origin.to_string()),
            line: None,
            path: Some(path),
        }
    }

    fn change(&mut self, path: String, change: impl Into<String>, reason: impl Into<String>) {
        let location = self.location(path);
        self.changes.push(Change {
            rule: catalog::SOURCE.id,
            location,
            change: change.into(),
            reason: reason.into(),
        });
    }

    fn finding(
        &mut self,
        severity: Severity,
        path: String,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        let location = self.location(path);
        self.findings.push(Finding {
            rule: catalog::SOURCE.id,
            name: catalog::SOURCE.name,
            severity,
            message: message.into(),
            location,
            fix: Some(fix.into()),
        });
    }
}

pub(super) fn parse(
    origin: &str,
    text: &str,
    family: Option<&str>,
) -> Result<SourceTask, TaskdefError> {
    let mut notes = Notes {
        origin,
        changes: Vec::new(),
        findings: Vec::new(),
    };
    let file = read_file(origin, text, &mut notes)?;
    let _ = (&file.version, &file.volumes, &file.configs);
    let family = family
        .map(str::to_string)
        .or_else(|| file.name.clone())
        .unwrap_or_else(|| "app".to_string());
    notes.change(
        "services".to_string(),
        format!("services became the containers of one task definition, family `{family}`"),
        "the services of one compose file share a network and are deployed together, as the containers of one task are",
    );
    if file.networks.is_some() {
        notes.change(
            "networks".into(),
            "top-level networks dropped",
            "the containers of one Fargate task share one network namespace",
        );
    }
    if file.secrets.is_some() {
        notes.finding(
            Severity::Warning,
            "secrets".into(),
            "compose secrets are not carried over",
            "put the values in Secrets Manager and pass --env-file with --secret-arn",
        );
    }

    let mut task = TaskDefinition {
        family: Some(family),
        network_mode: Some("bridge".to_string()),
        ..TaskDefinition::default()
    };
    for (name, service) in file.services.0 {
        let container = convert_service(&name, service, &mut task, &mut notes);
        task.container_definitions.push(container);
    }
    Ok(SourceTask {
        kind: SourceKind::Compose,
        task,
        changes: notes.changes,
        findings: notes.findings,
    })
}

/// Reads the file as compose itself does: YAML merge keys (`<<: *common`) resolved, `x-` extension
/// fields ignored, and the format 1 layout (services at the top level, no `services:`) accepted.
/// When none of these applies the typed parse reads the text itself, so that errors keep their line
/// and column; otherwise it reads the resolved document, and errors name the field's path.
fn read_file(origin: &str, text: &str, notes: &mut Notes<'_>) -> Result<ComposeFile, TaskdefError> {
    use serde_yaml::Value as Yaml;
    let mut raw: Yaml =
        serde_yaml::from_str(text).map_err(|e| TaskdefError::from_yaml(origin, &e))?;
    let before = raw.clone();
    raw.apply_merge().map_err(|e| {
        TaskdefError::invalid(
            origin,
            format!("a YAML merge key (`<<`) cannot be applied: {e}"),
        )
    })?;
    let Yaml::Mapping(root) = &mut raw else {
        return Err(TaskdefError::invalid(
            origin,
            "a compose file must be a mapping with `services:`",
        ));
    };
    strip_extensions(root);
    for section in ["services", "volumes", "networks", "configs", "secrets"] {
        if let Some(Yaml::Mapping(entries)) = root.get_mut(section) {
            for (_, entry) in entries.iter_mut() {
                if let Yaml::Mapping(fields) = entry {
                    strip_extensions(fields);
                }
            }
        }
    }
    let mut unresolved = Vec::new();
    let mut defaulted = Vec::new();
    interpolate(&mut raw, &mut defaulted, &mut unresolved);
    let Yaml::Mapping(root) = &mut raw else {
        return Err(TaskdefError::invalid(
            origin,
            "a compose file must be a mapping with `services:`",
        ));
    };
    if !defaulted.is_empty() {
        defaulted.sort();
        defaulted.dedup();
        notes.finding(
            Severity::Warning,
            "$".into(),
            format!(
                "variables read as their defaults (`${{NAME:-default}}`): {}",
                defaulted.join(", ")
            ),
            "check that the defaults are what production used",
        );
    }
    if !unresolved.is_empty() {
        unresolved.sort();
        unresolved.dedup();
        notes.finding(
            Severity::Warning,
            "$".into(),
            format!(
                "variables left as written, with no default to read: {}",
                unresolved.join(", ")
            ),
            "replace them with their production values, or move them to Secrets Manager",
        );
    }
    if !root.contains_key("services") {
        // Compose file format 1 had no `services:` key: every top-level key was a service.
        let is_service = |v: &Yaml| matches!(v, Yaml::Mapping(m) if m.contains_key("image") || m.contains_key("build"));
        let candidates: Vec<&Yaml> = root
            .iter()
            .filter(|(k, _)| k.as_str() != Some("version"))
            .map(|(_, v)| v)
            .collect();
        if candidates.is_empty() || !candidates.iter().all(|v| is_service(v)) {
            return Err(TaskdefError::invalid(
                origin,
                "no `services:` key, and the top-level keys are not all services (a service has `image` or `build`): this is not a compose file this tool can read",
            ));
        }
        let services: serde_yaml::Mapping = std::mem::take(root)
            .into_iter()
            .filter(|(k, _)| k.as_str() != Some("version"))
            .collect();
        root.insert(Yaml::from("services"), Yaml::Mapping(services));
        notes.change(
            "$".into(),
            "read as compose file format 1 (services at the top level)",
            "the file has no `services:` key; format 1 listed the services at the top level, as docker-compose 1.x still reads them",
        );
    }
    if raw == before {
        let de = serde_yaml::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            match TaskdefError::from_yaml(origin, e.inner()) {
                TaskdefError::Parse {
                    position, message, ..
                } => TaskdefError::with_path(origin, position, &path, &message),
                other => other,
            }
        })
    } else {
        serde_path_to_error::deserialize(raw).map_err(|e| {
            TaskdefError::with_path(origin, None, &e.path().to_string(), &e.inner().to_string())
        })
    }
}

/// Compose's variable substitution, as far as it can go without the environment: `${NAME:-default}`
/// and `${NAME-default}` become the default; `${NAME}` and `$NAME` stay and are listed; `$$` is a `$`.
fn interpolate(
    value: &mut serde_yaml::Value,
    defaulted: &mut Vec<String>,
    unresolved: &mut Vec<String>,
) {
    use serde_yaml::Value as Yaml;
    match value {
        Yaml::String(text) if text.contains('$') => {
            let mut out = String::with_capacity(text.len());
            let mut rest = text.as_str();
            while let Some(i) = rest.find('$') {
                out.push_str(&rest[..i]);
                let after = &rest[i + 1..];
                if let Some(tail) = after.strip_prefix('$') {
                    out.push('$');
                    rest = tail;
                } else if let Some(inner) = after.strip_prefix('{') {
                    let Some(end) = inner.find('}') else {
                        out.push_str(&rest[i..]);
                        rest = "";
                        break;
                    };
                    let expr = &inner[..end];
                    let split = expr
                        .find(":-")
                        .map(|j| (j, 2))
                        .or_else(|| expr.find('-').map(|j| (j, 1)));
                    match split {
                        Some((j, width)) => {
                            defaulted.push(expr[..j].to_string());
                            out.push_str(&expr[j + width..]);
                        }
                        None => {
                            unresolved
                                .push(expr.split([':', '?']).next().unwrap_or(expr).to_string());
                            out.push_str(&rest[i..i + 2 + end + 1]);
                        }
                    }
                    rest = &inner[end + 1..];
                } else {
                    let name_len = after
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(after.len());
                    if name_len > 0 {
                        unresolved.push(after[..name_len].to_string());
                    }
                    out.push('$');
                    rest = after;
                }
            }
            out.push_str(rest);
            *text = out;
        }
        Yaml::Mapping(map) => {
            for (_, v) in map.iter_mut() {
                interpolate(v, defaulted, unresolved);
            }
        }
        Yaml::Sequence(items) => {
            for v in items {
                interpolate(v, defaulted, unresolved);
            }
        }
        _ => {}
    }
}

/// Removes the `x-` extension fields compose ignores.
fn strip_extensions(map: &mut serde_yaml::Mapping) {
    map.retain(|k, _| !k.as_str().is_some_and(|k| k.starts_with("x-")));
}

fn convert_service(
    name: &str,
    s: Service,
    task: &mut TaskDefinition,
    notes: &mut Notes<'_>,
) -> ContainerDefinition {
    let at = |field: &str| format!("services.{name}.{field}");
    let mut c = ContainerDefinition {
        name: name.to_string(),
        image: s.image,
        ..ContainerDefinition::default()
    };

    let _ = &s.dockerfile;
    if !s.external_links.is_empty() {
        notes.finding(
            Severity::Warning,
            at("external_links"),
            format!("`{name}` links to containers outside the file: {:?}", s.external_links),
            "give the task their addresses (a load balancer, a service-discovery name) in the environment",
        );
    }
    if s.build.is_some() || s.dockerfile.is_some() {
        if c.image.is_none() {
            notes.finding(
                Severity::Error,
                at("build"),
                format!("service `{name}` is built locally and has no `image`"),
                "build the image, push it to ECR and set `image`",
            );
        } else {
            notes.change(
                at("build"),
                "`build` dropped, `image` kept",
                "Fargate pulls images; it does not build them",
            );
        }
    }
    if let Some(container_name) = s.container_name {
        notes.change(
            at("container_name"),
            format!("container named `{name}`, not `{container_name}`"),
            "an ECS container is named after its service",
        );
    }
    c.command = s.command.and_then(|cmd| words(cmd, &at("command"), notes));
    c.entry_point = s
        .entrypoint
        .and_then(|cmd| words(cmd, &at("entrypoint"), notes));
    if let Some(env) = s.environment {
        for (key, value) in env.0 {
            match value {
                Some(value) => c.environment.push(KeyValue { name: key, value: Some(value) }),
                None => notes.finding(
                    Severity::Warning,
                    at("environment"),
                    format!("`{key}` takes its value from the shell running compose; it was dropped"),
                    format!("give `{key}` a value, or make it a secret with --env-file and --secret-arn"),
                ),
            }
        }
    }
    if s.env_file.is_some() {
        notes.finding(
            Severity::Warning,
            at("env_file"),
            "env_file is not read into the task definition",
            "pass the file with --env-file and --secret-arn so that each variable becomes a secret",
        );
    }
    for (i, port) in s.ports.into_iter().enumerate() {
        if let Some(mapping) = port_mapping(port, &format!("{}[{i}]", at("ports")), notes) {
            c.port_mappings.push(mapping);
        }
    }
    for port in s.expose {
        match port.0.split('/').next().and_then(|p| p.parse::<u16>().ok()) {
            Some(p) if !c.port_mappings.iter().any(|m| m.container_port == Some(p)) => {
                c.port_mappings.push(PortMapping {
                    container_port: Some(p),
                    protocol: Some("tcp".into()),
                    ..PortMapping::default()
                })
            }
            Some(_) => {}
            None => notes.finding(
                Severity::Warning,
                at("expose"),
                format!("cannot read exposed port `{}`", port.0),
                "use a single port number",
            ),
        }
    }
    c.links = s.links;
    if !s.volumes_from.is_empty() {
        // `service[:ro|:rw]` (or `container:name`) is ECS's volumesFrom, which Fargate supports.
        let entries: Vec<Value> = s
            .volumes_from
            .iter()
            .map(|spec| {
                let spec = spec.strip_prefix("container:").unwrap_or(spec);
                let (source, mode) = spec.split_once(':').unwrap_or((spec, "rw"));
                json!({"sourceContainer": source, "readOnly": mode == "ro"})
            })
            .collect();
        c.volumes_from = Some(Value::Array(entries));
    }
    if let Some(depends_on) = s.depends_on {
        c.depends_on = Some(depends_on_value(depends_on));
    }
    for (i, volume) in s.volumes.into_iter().enumerate() {
        mount(name, i, volume, &mut c, task, notes);
    }
    c.privileged = s.privileged;
    if !s.devices.is_empty() {
        let devices = s
            .devices
            .iter()
            .map(|d| {
                let mut parts = d.splitn(3, ':');
                let host = parts.next().unwrap_or_default();
                let container = parts.next().unwrap_or(host);
                json!({ "hostPath": host, "containerPath": container })
            })
            .collect();
        linux(&mut c).devices = devices;
    }
    if let Some(mode) = s.network_mode {
        if mode == "host" {
            task.network_mode = Some("host".into());
        } else {
            notes.change(
                at("network_mode"),
                format!("network_mode `{mode}` dropped"),
                "the containers of one Fargate task share one network namespace",
            );
        }
    }
    c.hostname = s.hostname;

    let deploy_resources = s.deploy.as_ref().and_then(|d| d.resources.as_ref());
    let limits = deploy_resources.and_then(|r| r.limits.as_ref());
    let reservations = deploy_resources.and_then(|r| r.reservations.as_ref());
    let memory = s
        .mem_limit
        .as_ref()
        .or(limits.and_then(|l| l.memory.as_ref()));
    c.memory = memory.and_then(|m| memory_mib(&m.0, &at("mem_limit"), notes));
    let reservation = s
        .mem_reservation
        .as_ref()
        .or(reservations.and_then(|r| r.memory.as_ref()));
    c.memory_reservation =
        reservation.and_then(|m| memory_mib(&m.0, &at("mem_reservation"), notes));
    let cpus = s
        .cpus
        .as_ref()
        .or(limits.and_then(|l| l.cpus.as_ref()))
        .or(reservations.and_then(|r| r.cpus.as_ref()));
    c.cpu = match cpus {
        Some(cpus) => match cpus
            .0
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(|v| units_from_fraction(v, 1024.0))
        {
            Some(units) => Some(units),
            None => {
                notes.finding(
                    Severity::Warning,
                    at("cpus"),
                    format!("cannot read cpus `{}`", cpus.0),
                    "use a number of CPUs such as 0.5",
                );
                None
            }
        },
        None => s.cpu_shares,
    };
    if let Some(replicas) = s.deploy.as_ref().and_then(|d| d.replicas) {
        notes.change(
            at("deploy.replicas"),
            format!("replicas {replicas} not part of the task definition"),
            "the ECS service's desired count sets how many tasks run",
        );
    }

    if let Some(ulimits) = s.ulimits {
        c.ulimits = Some(
            ulimits
                .0
                .into_iter()
                .filter_map(|(name, spec)| match spec {
                    ShortOrLong::Short(v) => v.parse().ok().map(|v| Ulimit {
                        name: name.clone(),
                        soft_limit: v,
                        hard_limit: v,
                    }),
                    ShortOrLong::Long(l) => Some(Ulimit {
                        name,
                        soft_limit: l.soft,
                        hard_limit: l.hard,
                    }),
                })
                .collect(),
        );
    }
    if let Some(logging) = s.logging {
        c.log_configuration = Some(LogConfiguration {
            log_driver: logging.driver.unwrap_or_else(|| "json-file".into()),
            options: logging
                .options
                .map(|o| o.0.into_iter().map(|(k, v)| (k, v.0)).collect())
                .unwrap_or_default(),
            secret_options: None,
        });
    }
    if let Some(health) = s.healthcheck {
        c.health_check = health_check(health, &at("healthcheck"), notes);
    }
    c.working_directory = s.working_dir;
    c.user = s.user.map(|u| u.0);
    if let Some(restart) = s.restart {
        notes.change(
            at("restart"),
            format!("restart `{restart}` dropped"),
            "ECS replaces stopped tasks itself",
        );
    }
    if let Some(labels) = s.labels {
        c.docker_labels = Some(
            labels
                .0
                .into_iter()
                .map(|(k, v)| (k, v.unwrap_or_default()))
                .collect(),
        );
    }
    c.docker_security_options = s.security_opt;
    if !s.cap_add.is_empty() || !s.cap_drop.is_empty() {
        let mut caps = serde_json::Map::new();
        if !s.cap_add.is_empty() {
            caps.insert("add".into(), json!(s.cap_add));
        }
        if !s.cap_drop.is_empty() {
            caps.insert("drop".into(), json!(s.cap_drop));
        }
        linux(&mut c).capabilities = Some(Value::Object(caps));
    }
    c.readonly_root_filesystem = s.read_only;
    if let Some(grace) = s.stop_grace_period {
        match duration_seconds(&grace) {
            Some(seconds) => c.stop_timeout = Some(seconds.min(120)),
            None => notes.finding(
                Severity::Warning,
                at("stop_grace_period"),
                format!("cannot read duration `{grace}`"),
                "use a duration such as 30s",
            ),
        }
    }
    if s.tmpfs.is_some() {
        notes.finding(
            Severity::Warning,
            at("tmpfs"),
            "tmpfs mounts are not carried over",
            "use a task-scoped volume instead",
        );
    }
    if let Some(hosts) = s.extra_hosts {
        let hosts: Vec<Value> = hosts
            .0
            .into_iter()
            .map(|(host, ip)| match ip {
                Some(ip) => json!({ "hostname": host, "ipAddress": ip }),
                None => {
                    let (host, ip) = host.split_once(':').unwrap_or((host.as_str(), ""));
                    json!({ "hostname": host, "ipAddress": ip })
                }
            })
            .collect();
        c.extra_hosts = Some(Value::Array(hosts));
    }
    c.dns_servers = s.dns.map(|d| match d {
        StringOrList::String(s) => vec![s],
        StringOrList::List(l) => l,
    });
    if s.networks.is_some() {
        notes.change(
            at("networks"),
            "service networks dropped",
            "the containers of one Fargate task share one network namespace",
        );
    }
    if let Some(platform) = s.platform {
        notes.change(
            at("platform"),
            format!("platform `{platform}` dropped"),
            "set the task's runtimePlatform if the image is not linux/amd64",
        );
    }
    if let Some(init) = s.init {
        linux(&mut c).init_process_enabled = Some(init);
    }
    c.interactive = s.stdin_open;
    c.pseudo_terminal = s.tty;
    if s.secrets.is_some() || s.configs.is_some() {
        notes.finding(
            Severity::Warning,
            at("secrets"),
            "service secrets/configs are not carried over",
            "put the values in Secrets Manager and pass --env-file with --secret-arn",
        );
    }
    let _ = (s.profiles, s.pull_policy);
    c
}

fn linux(c: &mut ContainerDefinition) -> &mut LinuxParameters {
    c.linux_parameters
        .get_or_insert_with(LinuxParameters::default)
}

fn words(cmd: StringOrList, path: &str, notes: &mut Notes<'_>) -> Option<Vec<String>> {
    match cmd {
        StringOrList::List(list) => Some(list),
        StringOrList::String(line) => match split_words(&line) {
            Some(words) => Some(words),
            None => {
                notes.finding(
                    Severity::Error,
                    path.to_string(),
                    "the command has an unterminated quote",
                    "close the quote",
                );
                None
            }
        },
    }
}

fn port_mapping(
    port: ShortOrLong<LongPort>,
    path: &str,
    notes: &mut Notes<'_>,
) -> Option<PortMapping> {
    let (container, host, protocol) = match port {
        ShortOrLong::Long(long) => {
            let _ = (long.mode, long.host_ip, long.name, long.app_protocol);
            (
                long.target.to_string(),
                long.published.map(|p| p.0),
                long.protocol,
            )
        }
        ShortOrLong::Short(short) => {
            let (spec, protocol) = match short.split_once('/') {
                Some((spec, protocol)) => (spec.to_string(), Some(protocol.to_string())),
                None => (short.clone(), None),
            };
            // `[IP:][HOST:]CONTAINER`; an IPv6 host address is bracketed and has colons of its own.
            let parts: Vec<&str> = spec.rsplitn(3, ':').collect();
            let container = parts.first().copied().unwrap_or_default().to_string();
            let host = parts
                .get(1)
                .filter(|h| !h.is_empty())
                .map(|h| h.to_string());
            (container, host, protocol)
        }
    };
    let Ok(container_port) = container.parse::<u16>() else {
        notes.finding(
            Severity::Error,
            path.to_string(),
            format!("cannot translate port `{container}`: port ranges and names are not supported"),
            "list each port separately",
        );
        return None;
    };
    let host_port = match host {
        Some(host) => match host.parse::<u16>() {
            Ok(port) => Some(port),
            Err(_) => {
                notes.finding(
                    Severity::Warning,
                    path.to_string(),
                    if super::lenient::looks_like_placeholder(&host) {
                        format!("published port `{host}` is a template placeholder; it was dropped (on Fargate the container port is published)")
                    } else {
                        format!("published port `{host}` is a range; it was dropped")
                    },
                    "publish the container port itself",
                );
                None
            }
        },
        None => None,
    };
    Some(PortMapping {
        container_port: Some(container_port),
        host_port,
        protocol: Some(protocol.unwrap_or_else(|| "tcp".into())),
        ..PortMapping::default()
    })
}

fn depends_on_value(depends_on: DependsOn) -> Value {
    let entries: Vec<Value> = match depends_on {
        DependsOn::List(names) => names
            .into_iter()
            .map(|n| json!({ "containerName": n, "condition": "START" }))
            .collect(),
        DependsOn::Map(map) => map
            .into_iter()
            .map(|(n, c)| {
                let _ = (c.restart, c.required);
                let condition = match c.condition.as_deref() {
                    Some("service_healthy") => "HEALTHY",
                    Some("service_completed_successfully") => "SUCCESS",
                    _ => "START",
                };
                json!({ "containerName": n, "condition": condition })
            })
            .collect(),
    };
    Value::Array(entries)
}

/// Adds the volume and mount point for one compose volume entry. Bind mounts become host volumes
/// (what compose really does); the translator then decides what Fargate gets instead.
fn mount(
    service: &str,
    index: usize,
    spec: ShortOrLong<LongVolume>,
    c: &mut ContainerDefinition,
    task: &mut TaskDefinition,
    notes: &mut Notes<'_>,
) {
    let (source, target, read_only, kind) = match spec {
        ShortOrLong::Short(short) => {
            let parts: Vec<&str> = short.split(':').collect();
            match parts.as_slice() {
                [target] => (None, target.to_string(), false, "volume"),
                [source, target] => (
                    Some(source.to_string()),
                    target.to_string(),
                    false,
                    bind_or_volume(source),
                ),
                [source, target, mode, ..] => (
                    Some(source.to_string()),
                    target.to_string(),
                    mode.split(',').any(|m| m == "ro"),
                    bind_or_volume(source),
                ),
                [] => return,
            }
        }
        ShortOrLong::Long(long) => {
            let _ = (long.bind, long.volume, long.tmpfs, long.consistency);
            let kind = match long.kind.as_str() {
                "bind" => "bind",
                "volume" => "volume",
                other => {
                    notes.finding(
                        Severity::Warning,
                        format!("services.{service}.volumes[{index}]"),
                        format!("volume type `{other}` is not carried over"),
                        "use a task-scoped volume or EFS",
                    );
                    return;
                }
            };
            (
                long.source,
                long.target,
                long.read_only.unwrap_or(false),
                kind,
            )
        }
    };
    let (name, host) = match (kind, source) {
        ("bind", Some(path)) => (
            volume_name_for_path(&path),
            Some(HostVolume {
                source_path: Some(path),
            }),
        ),
        (_, Some(name)) => (name, None),
        (_, None) => (format!("{service}-anonymous-{index}"), None),
    };
    if !task.volumes.iter().any(|v| v.name == name) {
        task.volumes.push(Volume {
            name: name.clone(),
            host,
            ..Volume::default()
        });
    }
    c.mount_points.push(MountPoint {
        source_volume: Some(name),
        container_path: Some(target),
        read_only: read_only.then_some(true),
    });
}

fn bind_or_volume(source: &str) -> &'static str {
    if source.starts_with('/') || source.starts_with('.') || source.starts_with('~') {
        "bind"
    } else {
        "volume"
    }
}

/// A volume name ECS accepts (letters, digits, `-`, `_`) derived from a host path.
fn volume_name_for_path(path: &str) -> String {
    let name: String = path
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = name.trim_matches('-');
    if name.is_empty() {
        "host-root".to_string()
    } else {
        format!("host-{name}")
    }
}

/// Reads compose byte sizes (`512m`, `1g`, `1.5gb`, `1073741824`) as MiB, rounded up.
fn memory_mib(text: &str, path: &str, notes: &mut Notes<'_>) -> Option<u32> {
    let lower = text.trim().to_ascii_lowercase();
    let lower = lower.strip_suffix('b').unwrap_or(&lower);
    let (number, factor) = match lower.chars().last() {
        Some('k') => (&lower[..lower.len() - 1], 1.0 / 1024.0),
        Some('m') => (&lower[..lower.len() - 1], 1.0),
        Some('g') => (&lower[..lower.len() - 1], 1024.0),
        _ => (lower, 1.0 / (1024.0 * 1024.0)),
    };
    let mib = number
        .trim()
        .parse::<f64>()
        .ok()
        .map(|n| (n * factor).ceil())
        .and_then(|m| units_from_fraction(m, 1.0));
    if mib.is_none() {
        notes.finding(
            Severity::Warning,
            path.to_string(),
            format!("cannot read memory size `{text}`"),
            "use a size such as 512m or 1g",
        );
    }
    mib
}

/// Reads compose durations (`30s`, `1m30s`, `500ms`, `2h`) as whole seconds, rounded up.
fn duration_seconds(text: &str) -> Option<u32> {
    let mut total_ms: u64 = 0;
    let mut number = String::new();
    let mut chars = text.trim().chars().peekable();
    if text.trim().chars().all(|c| c.is_ascii_digit()) {
        return text.trim().parse().ok();
    }
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let value: f64 = number.parse().ok()?;
        number.clear();
        let unit_ms = match c {
            'h' => 3_600_000.0,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                1.0
            }
            'm' => 60_000.0,
            's' => 1000.0,
            'u' | 'µ' | 'n' => {
                chars.next();
                0.0
            }
            _ => return None,
        };
        total_ms = total_ms.checked_add((value * unit_ms) as u64)?;
    }
    if !number.is_empty() {
        return None;
    }
    u32::try_from(total_ms.div_ceil(1000)).ok()
}

fn health_check(h: HealthCheck, path: &str, notes: &mut Notes<'_>) -> Option<Value> {
    if h.disable == Some(true) {
        return None;
    }
    let command = match h.test? {
        StringOrList::String(s) => vec!["CMD-SHELL".to_string(), s],
        StringOrList::List(list) if list.first().map(String::as_str) == Some("NONE") => {
            return None
        }
        StringOrList::List(list) => list,
    };
    let mut check = serde_json::Map::new();
    check.insert("command".into(), json!(command));
    let mut seconds =
        |key: &str, value: Option<String>, check: &mut serde_json::Map<String, Value>| {
            if let Some(text) = value {
                match duration_seconds(&text) {
                    Some(s) => {
                        check.insert(key.into(), json!(s));
                    }
                    None => notes.finding(
                        Severity::Warning,
                        path.to_string(),
                        format!("cannot read duration `{text}`"),
                        "use a duration such as 30s",
                    ),
                }
            }
        };
    seconds("interval", h.interval, &mut check);
    seconds("timeout", h.timeout, &mut check);
    seconds("startPeriod", h.start_period, &mut check);
    let _ = h.start_interval;
    if let Some(retries) = h.retries {
        check.insert("retries".into(), json!(retries));
    }
    Some(Value::Object(check))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes() {
        assert_eq!(duration_seconds("30s"), Some(30));
        assert_eq!(duration_seconds("1m30s"), Some(90));
        assert_eq!(duration_seconds("500ms"), Some(1));
        assert_eq!(duration_seconds("10"), Some(10));
        assert_eq!(duration_seconds("soon"), None);
        let mut notes = Notes {
            origin: "c.yml",
            changes: vec![],
            findings: vec![],
        };
        assert_eq!(memory_mib("512m", "p", &mut notes), Some(512));
        assert_eq!(memory_mib("1g", "p", &mut notes), Some(1024));
        assert_eq!(memory_mib("1.5GB", "p", &mut notes), Some(1536));
        assert_eq!(memory_mib("1073741824", "p", &mut notes), Some(1024));
        assert!(notes.findings.is_empty());
        assert_eq!(memory_mib("big", "p", &mut notes), None);
        assert_eq!(notes.findings.len(), 1);
    }
}
