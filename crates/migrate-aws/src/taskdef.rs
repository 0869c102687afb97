//! Task definitions between the JSON the engine speaks (the shape of `aws ecs
//! register-task-definition --cli-input-json` and of `describe-task-definition`'s
//! `taskDefinition`) and the SDK's types.
//!
//! The SDK types carry no serde support on stable builds, so the conversion is written out. It
//! covers what the seeds' task definitions use; a field it does not know is refused by name
//! rather than dropped, so a definition never registers with less than was asked.

use aws_sdk_ecs::operation::register_task_definition::builders::RegisterTaskDefinitionFluentBuilder;
use aws_sdk_ecs::types::{
    Compatibility, ContainerCondition, ContainerDefinition, ContainerDependency, CpuArchitecture,
    EfsTransitEncryption, EfsVolumeConfiguration, EphemeralStorage, HealthCheck,
    HostVolumeProperties, KeyValuePair, LogConfiguration, LogDriver, MountPoint, NetworkMode,
    OsFamily, PortMapping, RuntimePlatform, Secret, TaskDefinition, TransportProtocol, Ulimit,
    UlimitName, Volume, VolumeFrom,
};
use serde_json::{json, Map, Value};

type Obj = Map<String, Value>;

fn object<'a>(value: &'a Value, what: &str) -> Result<&'a Obj, String> {
    value
        .as_object()
        .ok_or_else(|| format!("{what} must be an object"))
}

fn check_keys(obj: &Obj, allowed: &[&str], what: &str) -> Result<(), String> {
    for key in obj.keys() {
        if !allowed.contains(&key.as_str()) {
            return Err(format!(
                "{what}: the field {key:?} is not supported by the AWS adapter"
            ));
        }
    }
    Ok(())
}

fn string(obj: &Obj, key: &str, what: &str) -> Result<Option<String>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        // ECS accepts task-level cpu and memory as strings, and people write them as numbers.
        Some(Value::Number(n)) if key == "cpu" || key == "memory" => Ok(Some(n.to_string())),
        Some(_) => Err(format!("{what}.{key} must be a string")),
    }
}

fn required(obj: &Obj, key: &str, what: &str) -> Result<String, String> {
    string(obj, key, what)?.ok_or_else(|| format!("{what}.{key} is required"))
}

fn int(obj: &Obj, key: &str, what: &str) -> Result<Option<i32>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| format!("{what}.{key} must be an integer")),
    }
}

fn boolean(obj: &Obj, key: &str, what: &str) -> Result<Option<bool>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(format!("{what}.{key} must be true or false")),
    }
}

fn strings(obj: &Obj, key: &str, what: &str) -> Result<Option<Vec<String>>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("{what}.{key} must be a list of strings"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(format!("{what}.{key} must be a list of strings")),
    }
}

fn objects<'a>(obj: &'a Obj, key: &str, what: &str) -> Result<Vec<&'a Obj>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| object(v, &format!("{what}.{key}[{i}]")))
            .collect(),
        Some(_) => Err(format!("{what}.{key} must be a list")),
    }
}

fn string_map(obj: &Obj, key: &str, what: &str) -> Result<Option<Vec<(String, String)>>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| {
                v.as_str()
                    .map(|s| (k.clone(), s.to_string()))
                    .ok_or_else(|| format!("{what}.{key}.{k} must be a string"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(format!("{what}.{key} must be an object of strings")),
    }
}

const TASK_FIELDS: &[&str] = &[
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "runtimePlatform",
    "ephemeralStorage",
    "tags",
];

const CONTAINER_FIELDS: &[&str] = &[
    "name",
    "image",
    "cpu",
    "memory",
    "memoryReservation",
    "links",
    "portMappings",
    "essential",
    "entryPoint",
    "command",
    "environment",
    "secrets",
    "mountPoints",
    "volumesFrom",
    "dependsOn",
    "startTimeout",
    "stopTimeout",
    "user",
    "workingDirectory",
    "readonlyRootFilesystem",
    "dockerLabels",
    "ulimits",
    "logConfiguration",
    "healthCheck",
];

/// Applies the JSON definition to a `RegisterTaskDefinition` request. The definition's own
/// `tags` are ignored: the caller sets the spec's tags, which carry the plan id.
pub fn apply(
    mut request: RegisterTaskDefinitionFluentBuilder,
    definition: &Value,
) -> Result<RegisterTaskDefinitionFluentBuilder, String> {
    let what = "taskDefinition";
    let td = object(definition, what)?;
    check_keys(td, TASK_FIELDS, what)?;
    request = request.family(required(td, "family", what)?);
    if let Some(v) = string(td, "taskRoleArn", what)? {
        request = request.task_role_arn(v);
    }
    if let Some(v) = string(td, "executionRoleArn", what)? {
        request = request.execution_role_arn(v);
    }
    if let Some(v) = string(td, "networkMode", what)? {
        request = request.network_mode(NetworkMode::from(v.as_str()));
    }
    if let Some(v) = string(td, "cpu", what)? {
        request = request.cpu(v);
    }
    if let Some(v) = string(td, "memory", what)? {
        request = request.memory(v);
    }
    for c in strings(td, "requiresCompatibilities", what)?.unwrap_or_default() {
        request = request.requires_compatibilities(Compatibility::from(c.as_str()));
    }
    if let Some(v) = td.get("runtimePlatform") {
        let w = "taskDefinition.runtimePlatform";
        let rp = object(v, w)?;
        check_keys(rp, &["cpuArchitecture", "operatingSystemFamily"], w)?;
        let mut b = RuntimePlatform::builder();
        if let Some(a) = string(rp, "cpuArchitecture", w)? {
            b = b.cpu_architecture(CpuArchitecture::from(a.as_str()));
        }
        if let Some(o) = string(rp, "operatingSystemFamily", w)? {
            b = b.operating_system_family(OsFamily::from(o.as_str()));
        }
        request = request.runtime_platform(b.build());
    }
    if let Some(v) = td.get("ephemeralStorage") {
        let w = "taskDefinition.ephemeralStorage";
        let es = object(v, w)?;
        check_keys(es, &["sizeInGiB"], w)?;
        let size = int(es, "sizeInGiB", w)?.ok_or_else(|| format!("{w}.sizeInGiB is required"))?;
        request = request.ephemeral_storage(EphemeralStorage::builder().size_in_gib(size).build());
    }
    for (i, v) in objects(td, "volumes", what)?.into_iter().enumerate() {
        request = request.volumes(volume(v, &format!("{what}.volumes[{i}]"))?);
    }
    let containers = objects(td, "containerDefinitions", what)?;
    if containers.is_empty() {
        return Err(format!(
            "{what}.containerDefinitions must name at least one container"
        ));
    }
    for (i, c) in containers.into_iter().enumerate() {
        request = request
            .container_definitions(container(c, &format!("{what}.containerDefinitions[{i}]"))?);
    }
    Ok(request)
}

fn volume(v: &Obj, what: &str) -> Result<Volume, String> {
    check_keys(v, &["name", "host", "efsVolumeConfiguration"], what)?;
    let mut b = Volume::builder().name(required(v, "name", what)?);
    if let Some(host) = v.get("host") {
        let w = format!("{what}.host");
        let host = object(host, &w)?;
        check_keys(host, &["sourcePath"], &w)?;
        let mut hb = HostVolumeProperties::builder();
        if let Some(p) = string(host, "sourcePath", &w)? {
            hb = hb.source_path(p);
        }
        b = b.host(hb.build());
    }
    if let Some(efs) = v.get("efsVolumeConfiguration") {
        let w = format!("{what}.efsVolumeConfiguration");
        let efs = object(efs, &w)?;
        check_keys(
            efs,
            &[
                "fileSystemId",
                "rootDirectory",
                "transitEncryption",
                "transitEncryptionPort",
            ],
            &w,
        )?;
        let mut eb =
            EfsVolumeConfiguration::builder().file_system_id(required(efs, "fileSystemId", &w)?);
        if let Some(r) = string(efs, "rootDirectory", &w)? {
            eb = eb.root_directory(r);
        }
        if let Some(t) = string(efs, "transitEncryption", &w)? {
            eb = eb.transit_encryption(EfsTransitEncryption::from(t.as_str()));
        }
        if let Some(p) = int(efs, "transitEncryptionPort", &w)? {
            eb = eb.transit_encryption_port(p);
        }
        b = b.efs_volume_configuration(eb.build().map_err(|e| format!("{w}: {e}"))?);
    }
    Ok(b.build())
}

fn container(c: &Obj, what: &str) -> Result<ContainerDefinition, String> {
    check_keys(c, CONTAINER_FIELDS, what)?;
    let mut b = ContainerDefinition::builder()
        .name(required(c, "name", what)?)
        .image(required(c, "image", what)?);
    if let Some(v) = int(c, "cpu", what)? {
        b = b.cpu(v);
    }
    if let Some(v) = int(c, "memory", what)? {
        b = b.memory(v);
    }
    if let Some(v) = int(c, "memoryReservation", what)? {
        b = b.memory_reservation(v);
    }
    for l in strings(c, "links", what)?.unwrap_or_default() {
        b = b.links(l);
    }
    for (i, p) in objects(c, "portMappings", what)?.into_iter().enumerate() {
        let w = format!("{what}.portMappings[{i}]");
        check_keys(
            p,
            &[
                "containerPort",
                "hostPort",
                "protocol",
                "name",
                "appProtocol",
            ],
            &w,
        )?;
        let mut pb = PortMapping::builder();
        if let Some(v) = int(p, "containerPort", &w)? {
            pb = pb.container_port(v);
        }
        if let Some(v) = int(p, "hostPort", &w)? {
            pb = pb.host_port(v);
        }
        if let Some(v) = string(p, "protocol", &w)? {
            pb = pb.protocol(TransportProtocol::from(v.as_str()));
        }
        if let Some(v) = string(p, "name", &w)? {
            pb = pb.name(v);
        }
        if let Some(v) = string(p, "appProtocol", &w)? {
            pb = pb.app_protocol(v.as_str().into());
        }
        b = b.port_mappings(pb.build());
    }
    if let Some(v) = boolean(c, "essential", what)? {
        b = b.essential(v);
    }
    for s in strings(c, "entryPoint", what)?.unwrap_or_default() {
        b = b.entry_point(s);
    }
    for s in strings(c, "command", what)?.unwrap_or_default() {
        b = b.command(s);
    }
    for (i, e) in objects(c, "environment", what)?.into_iter().enumerate() {
        let w = format!("{what}.environment[{i}]");
        check_keys(e, &["name", "value"], &w)?;
        b = b.environment(
            KeyValuePair::builder()
                .name(required(e, "name", &w)?)
                .value(string(e, "value", &w)?.unwrap_or_default())
                .build(),
        );
    }
    for (i, s) in objects(c, "secrets", what)?.into_iter().enumerate() {
        let w = format!("{what}.secrets[{i}]");
        check_keys(s, &["name", "valueFrom"], &w)?;
        b = b.secrets(
            Secret::builder()
                .name(required(s, "name", &w)?)
                .value_from(required(s, "valueFrom", &w)?)
                .build()
                .map_err(|e| format!("{w}: {e}"))?,
        );
    }
    for (i, m) in objects(c, "mountPoints", what)?.into_iter().enumerate() {
        let w = format!("{what}.mountPoints[{i}]");
        check_keys(m, &["sourceVolume", "containerPath", "readOnly"], &w)?;
        let mut mb = MountPoint::builder();
        if let Some(v) = string(m, "sourceVolume", &w)? {
            mb = mb.source_volume(v);
        }
        if let Some(v) = string(m, "containerPath", &w)? {
            mb = mb.container_path(v);
        }
        if let Some(v) = boolean(m, "readOnly", &w)? {
            mb = mb.read_only(v);
        }
        b = b.mount_points(mb.build());
    }
    for (i, m) in objects(c, "volumesFrom", what)?.into_iter().enumerate() {
        let w = format!("{what}.volumesFrom[{i}]");
        check_keys(m, &["sourceContainer", "readOnly"], &w)?;
        let mut vb = VolumeFrom::builder();
        if let Some(v) = string(m, "sourceContainer", &w)? {
            vb = vb.source_container(v);
        }
        if let Some(v) = boolean(m, "readOnly", &w)? {
            vb = vb.read_only(v);
        }
        b = b.volumes_from(vb.build());
    }
    for (i, d) in objects(c, "dependsOn", what)?.into_iter().enumerate() {
        let w = format!("{what}.dependsOn[{i}]");
        check_keys(d, &["containerName", "condition"], &w)?;
        b = b.depends_on(
            ContainerDependency::builder()
                .container_name(required(d, "containerName", &w)?)
                .condition(ContainerCondition::from(
                    required(d, "condition", &w)?.as_str(),
                ))
                .build()
                .map_err(|e| format!("{w}: {e}"))?,
        );
    }
    if let Some(v) = int(c, "startTimeout", what)? {
        b = b.start_timeout(v);
    }
    if let Some(v) = int(c, "stopTimeout", what)? {
        b = b.stop_timeout(v);
    }
    if let Some(v) = string(c, "user", what)? {
        b = b.user(v);
    }
    if let Some(v) = string(c, "workingDirectory", what)? {
        b = b.working_directory(v);
    }
    if let Some(v) = boolean(c, "readonlyRootFilesystem", what)? {
        b = b.readonly_root_filesystem(v);
    }
    for (k, v) in string_map(c, "dockerLabels", what)?.unwrap_or_default() {
        b = b.docker_labels(k, v);
    }
    for (i, u) in objects(c, "ulimits", what)?.into_iter().enumerate() {
        let w = format!("{what}.ulimits[{i}]");
        check_keys(u, &["name", "softLimit", "hardLimit"], &w)?;
        b = b.ulimits(
            Ulimit::builder()
                .name(UlimitName::from(required(u, "name", &w)?.as_str()))
                .soft_limit(
                    int(u, "softLimit", &w)?.ok_or_else(|| format!("{w}.softLimit is required"))?,
                )
                .hard_limit(
                    int(u, "hardLimit", &w)?.ok_or_else(|| format!("{w}.hardLimit is required"))?,
                )
                .build()
                .map_err(|e| format!("{w}: {e}"))?,
        );
    }
    if let Some(l) = c.get("logConfiguration") {
        let w = format!("{what}.logConfiguration");
        let l = object(l, &w)?;
        check_keys(l, &["logDriver", "options", "secretOptions"], &w)?;
        let mut lb = LogConfiguration::builder()
            .log_driver(LogDriver::from(required(l, "logDriver", &w)?.as_str()));
        for (k, v) in string_map(l, "options", &w)?.unwrap_or_default() {
            lb = lb.options(k, v);
        }
        for (i, s) in objects(l, "secretOptions", &w)?.into_iter().enumerate() {
            let sw = format!("{w}.secretOptions[{i}]");
            check_keys(s, &["name", "valueFrom"], &sw)?;
            lb = lb.secret_options(
                Secret::builder()
                    .name(required(s, "name", &sw)?)
                    .value_from(required(s, "valueFrom", &sw)?)
                    .build()
                    .map_err(|e| format!("{sw}: {e}"))?,
            );
        }
        b = b.log_configuration(lb.build().map_err(|e| format!("{w}: {e}"))?);
    }
    if let Some(h) = c.get("healthCheck") {
        let w = format!("{what}.healthCheck");
        let h = object(h, &w)?;
        check_keys(
            h,
            &["command", "interval", "timeout", "retries", "startPeriod"],
            &w,
        )?;
        let mut hb = HealthCheck::builder();
        for s in strings(h, "command", &w)?.unwrap_or_default() {
            hb = hb.command(s);
        }
        if let Some(v) = int(h, "interval", &w)? {
            hb = hb.interval(v);
        }
        if let Some(v) = int(h, "timeout", &w)? {
            hb = hb.timeout(v);
        }
        if let Some(v) = int(h, "retries", &w)? {
            hb = hb.retries(v);
        }
        if let Some(v) = int(h, "startPeriod", &w)? {
            hb = hb.start_period(v);
        }
        b = b.health_check(hb.build().map_err(|e| format!("{w}: {e}"))?);
    }
    Ok(b.build())
}

fn put(obj: &mut Obj, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        obj.insert(key.to_string(), v);
    }
}

fn strs(items: &[String]) -> Option<Value> {
    (!items.is_empty()).then(|| json!(items))
}

/// The task definition as `describe-task-definition` prints its `taskDefinition` member, with the
/// fields [`apply`] understands plus the identifying ones (`taskDefinitionArn`, `revision`,
/// `status`).
pub fn to_json(td: &TaskDefinition) -> Value {
    let mut out = Obj::new();
    put(
        &mut out,
        "taskDefinitionArn",
        td.task_definition_arn().map(|s| json!(s)),
    );
    put(&mut out, "family", td.family().map(|s| json!(s)));
    out.insert("revision".into(), json!(td.revision()));
    put(&mut out, "status", td.status().map(|s| json!(s.as_str())));
    put(
        &mut out,
        "taskRoleArn",
        td.task_role_arn().map(|s| json!(s)),
    );
    put(
        &mut out,
        "executionRoleArn",
        td.execution_role_arn().map(|s| json!(s)),
    );
    put(
        &mut out,
        "networkMode",
        td.network_mode().map(|s| json!(s.as_str())),
    );
    put(&mut out, "cpu", td.cpu().map(|s| json!(s)));
    put(&mut out, "memory", td.memory().map(|s| json!(s)));
    let compat: Vec<String> = td
        .requires_compatibilities()
        .iter()
        .map(|c| c.as_str().to_string())
        .collect();
    put(&mut out, "requiresCompatibilities", strs(&compat));
    if let Some(rp) = td.runtime_platform() {
        let mut o = Obj::new();
        put(
            &mut o,
            "cpuArchitecture",
            rp.cpu_architecture().map(|s| json!(s.as_str())),
        );
        put(
            &mut o,
            "operatingSystemFamily",
            rp.operating_system_family().map(|s| json!(s.as_str())),
        );
        out.insert("runtimePlatform".into(), Value::Object(o));
    }
    if let Some(es) = td.ephemeral_storage() {
        out.insert(
            "ephemeralStorage".into(),
            json!({ "sizeInGiB": es.size_in_gib() }),
        );
    }
    let volumes: Vec<Value> = td
        .volumes()
        .iter()
        .map(|v| {
            let mut o = Obj::new();
            put(&mut o, "name", v.name().map(|s| json!(s)));
            if let Some(h) = v.host() {
                let mut ho = Obj::new();
                put(&mut ho, "sourcePath", h.source_path().map(|s| json!(s)));
                o.insert("host".into(), Value::Object(ho));
            }
            if let Some(e) = v.efs_volume_configuration() {
                let mut eo = Obj::new();
                eo.insert("fileSystemId".into(), json!(e.file_system_id()));
                put(
                    &mut eo,
                    "rootDirectory",
                    e.root_directory().map(|s| json!(s)),
                );
                put(
                    &mut eo,
                    "transitEncryption",
                    e.transit_encryption().map(|s| json!(s.as_str())),
                );
                put(
                    &mut eo,
                    "transitEncryptionPort",
                    e.transit_encryption_port().map(|p| json!(p)),
                );
                o.insert("efsVolumeConfiguration".into(), Value::Object(eo));
            }
            Value::Object(o)
        })
        .collect();
    if !volumes.is_empty() {
        out.insert("volumes".into(), Value::Array(volumes));
    }
    let containers: Vec<Value> = td
        .container_definitions()
        .iter()
        .map(container_json)
        .collect();
    out.insert("containerDefinitions".into(), Value::Array(containers));
    Value::Object(out)
}

fn container_json(c: &ContainerDefinition) -> Value {
    let mut o = Obj::new();
    put(&mut o, "name", c.name().map(|s| json!(s)));
    put(&mut o, "image", c.image().map(|s| json!(s)));
    if c.cpu() != 0 {
        o.insert("cpu".into(), json!(c.cpu()));
    }
    put(&mut o, "memory", c.memory().map(|v| json!(v)));
    put(
        &mut o,
        "memoryReservation",
        c.memory_reservation().map(|v| json!(v)),
    );
    put(&mut o, "links", strs(c.links()));
    let ports: Vec<Value> = c
        .port_mappings()
        .iter()
        .map(|p| {
            let mut po = Obj::new();
            put(
                &mut po,
                "containerPort",
                p.container_port().map(|v| json!(v)),
            );
            put(&mut po, "hostPort", p.host_port().map(|v| json!(v)));
            put(&mut po, "protocol", p.protocol().map(|v| json!(v.as_str())));
            put(&mut po, "name", p.name().map(|v| json!(v)));
            put(
                &mut po,
                "appProtocol",
                p.app_protocol().map(|v| json!(v.as_str())),
            );
            Value::Object(po)
        })
        .collect();
    if !ports.is_empty() {
        o.insert("portMappings".into(), Value::Array(ports));
    }
    put(&mut o, "essential", c.essential().map(|v| json!(v)));
    put(&mut o, "entryPoint", strs(c.entry_point()));
    put(&mut o, "command", strs(c.command()));
    let env: Vec<Value> = c
        .environment()
        .iter()
        .map(|e| json!({ "name": e.name(), "value": e.value() }))
        .collect();
    if !env.is_empty() {
        o.insert("environment".into(), Value::Array(env));
    }
    let secrets: Vec<Value> = c
        .secrets()
        .iter()
        .map(|s| json!({ "name": s.name(), "valueFrom": s.value_from() }))
        .collect();
    if !secrets.is_empty() {
        o.insert("secrets".into(), Value::Array(secrets));
    }
    let mounts: Vec<Value> = c
        .mount_points()
        .iter()
        .map(|m| {
            let mut mo = Obj::new();
            put(&mut mo, "sourceVolume", m.source_volume().map(|v| json!(v)));
            put(
                &mut mo,
                "containerPath",
                m.container_path().map(|v| json!(v)),
            );
            put(&mut mo, "readOnly", m.read_only().map(|v| json!(v)));
            Value::Object(mo)
        })
        .collect();
    if !mounts.is_empty() {
        o.insert("mountPoints".into(), Value::Array(mounts));
    }
    let from: Vec<Value> = c
        .volumes_from()
        .iter()
        .map(|m| {
            let mut mo = Obj::new();
            put(
                &mut mo,
                "sourceContainer",
                m.source_container().map(|v| json!(v)),
            );
            put(&mut mo, "readOnly", m.read_only().map(|v| json!(v)));
            Value::Object(mo)
        })
        .collect();
    if !from.is_empty() {
        o.insert("volumesFrom".into(), Value::Array(from));
    }
    let deps: Vec<Value> = c
        .depends_on()
        .iter()
        .map(
            |d| json!({ "containerName": d.container_name(), "condition": d.condition().as_str() }),
        )
        .collect();
    if !deps.is_empty() {
        o.insert("dependsOn".into(), Value::Array(deps));
    }
    put(&mut o, "startTimeout", c.start_timeout().map(|v| json!(v)));
    put(&mut o, "stopTimeout", c.stop_timeout().map(|v| json!(v)));
    put(&mut o, "user", c.user().map(|v| json!(v)));
    put(
        &mut o,
        "workingDirectory",
        c.working_directory().map(|v| json!(v)),
    );
    put(
        &mut o,
        "readonlyRootFilesystem",
        c.readonly_root_filesystem().map(|v| json!(v)),
    );
    if let Some(labels) = c.docker_labels() {
        if !labels.is_empty() {
            let m: std::collections::BTreeMap<_, _> = labels.iter().collect();
            o.insert("dockerLabels".into(), json!(m));
        }
    }
    let ulimits: Vec<Value> = c
        .ulimits()
        .iter()
        .map(|u| json!({ "name": u.name().as_str(), "softLimit": u.soft_limit(), "hardLimit": u.hard_limit() }))
        .collect();
    if !ulimits.is_empty() {
        o.insert("ulimits".into(), Value::Array(ulimits));
    }
    if let Some(l) = c.log_configuration() {
        let mut lo = Obj::new();
        lo.insert("logDriver".into(), json!(l.log_driver().as_str()));
        if let Some(opts) = l.options() {
            let m: std::collections::BTreeMap<_, _> = opts.iter().collect();
            lo.insert("options".into(), json!(m));
        }
        let so: Vec<Value> = l
            .secret_options()
            .iter()
            .map(|s| json!({ "name": s.name(), "valueFrom": s.value_from() }))
            .collect();
        if !so.is_empty() {
            lo.insert("secretOptions".into(), Value::Array(so));
        }
        o.insert("logConfiguration".into(), Value::Object(lo));
    }
    if let Some(h) = c.health_check() {
        let mut ho = Obj::new();
        ho.insert("command".into(), json!(h.command()));
        put(&mut ho, "interval", h.interval().map(|v| json!(v)));
        put(&mut ho, "timeout", h.timeout().map(|v| json!(v)));
        put(&mut ho, "retries", h.retries().map(|v| json!(v)));
        put(&mut ho, "startPeriod", h.start_period().map(|v| json!(v)));
        o.insert("healthCheck".into(), Value::Object(ho));
    }
    Value::Object(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_refused_by_name() {
        let client = aws_sdk_ecs::Client::from_conf(
            aws_sdk_ecs::Config::builder()
                .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
                .build(),
        );
        let def = json!({
            "family": "web",
            "containerDefinitions": [{ "name": "nginx", "image": "nginx", "gpuMagic": true }]
        });
        let err = apply(client.register_task_definition(), &def).unwrap_err();
        assert!(err.contains("gpuMagic"), "{err}");
        let def = json!({ "family": "web", "containerDefinitions": [] });
        assert!(apply(client.register_task_definition(), &def).is_err());
        let def = json!({ "containerDefinitions": [{ "name": "a", "image": "b" }] });
        assert!(apply(client.register_task_definition(), &def)
            .unwrap_err()
            .contains("family"));
        let def = json!({ "family": "web", "cpu": 256, "memory": "512",
            "containerDefinitions": [{ "name": "a", "image": "b", "portMappings": [{"containerPort": "80"}] }] });
        assert!(apply(client.register_task_definition(), &def)
            .unwrap_err()
            .contains("containerPort"));
    }
}
