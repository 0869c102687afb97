//! Real files from public repositories (see `tests/corpus/SOURCES.md`), each converted as a user
//! would (`--region` and `--execution-role-arn` given), and checked against Fargate's rules and
//! against the source read independently of the library: no value that is not an address changes,
//! every container's memory fits the task, ports, links and volumes are as Fargate needs. A file
//! that does not convert must be refused for the reason this table expects, named in the message.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use migrate_taskdef::{fargate, translate, Severity, SourceDocument, SourceKind, TranslateOptions};
use serde_json::Value;

/// What each file is expected to give. `Converts` means no error finding remains.
enum Expect {
    Converts,
    /// Refused before translating; the error message contains this text.
    Refused(&'static str),
    /// Translated, but error findings remain: exactly these rules, each a reason a person must act on.
    Needs(&'static [&'static str]),
}

use Expect::{Converts, Needs, Refused};

/// Images that must be built (and pushed) first: `build:` with no `image:` (TD000 says so, TD025
/// finds the container without an image).
const BUILD_FIRST: &[&str] = &["TD000", "TD025"];

const EXPECTED: &[(&str, Expect)] = &[
    (
        "ecs/18paulb__SalvusServer__.github_task-definition.json",
        Converts,
    ),
    (
        "ecs/2-chanhee__ecs-on-fargate-infrastructure__task-definition.json",
        Converts,
    ),
    ("ecs/4pits__circleci-ecs__task-definition.json", Converts),
    (
        "ecs/5sfayas__php-nginx-ecs-docker__task-definition.json",
        Converts,
    ),
    (
        "ecs/8tako8tako8__twitter_rails_api__task-definition.json",
        Converts,
    ),
    ("ecs/APaud3l__ci-demo__task-definition.json", Converts),
    (
        "ecs/Abdelali12-codes__aws_ecs_codedeploy_appmesh_xray__task-definition.json",
        Converts,
    ),
    (
        "ecs/Afourathon-VKV__BookLendingApp__task-definition.json",
        Converts,
    ),
    (
        "ecs/AlfredRodriguez2042__aws-ecs__task-definition.json",
        Converts,
    ),
    (
        "dockerrun/0xadada__dockdj__environments_prod_Dockerrun.aws.json",
        Converts,
    ),
    (
        "dockerrun/0xpetersatoshi__multi-docker__Dockerrun.aws.json",
        Converts,
    ),
    // `django` has no image, and it and `nginx` both publish host port 80 (Beanstalk would fail too).
    (
        "dockerrun/1eastar__Django-EB-Docker__Dockerrun.aws.json",
        Needs(&["TD004", "TD025"]),
    ),
    // Dockerrun v1: one container; elastic-tor names no `Image` (Beanstalk built its Dockerfile).
    (
        "dockerrun/37Lucky37__openproject_eb_aws__Dockerrun.aws.json",
        Converts,
    ),
    (
        "dockerrun/7makes__allure-server__Dockerrun.aws.json",
        Converts,
    ),
    (
        "dockerrun/89berner__elastic-tor__Dockerrun.aws.json",
        Needs(BUILD_FIRST),
    ),
    (
        "dockerrun/8infinitecloud__juice-shop__Dockerrun.aws.json",
        Converts,
    ),
    (
        "compose/0xadada__dockdj__docker_django_prod_docker-compose.yml",
        Needs(BUILD_FIRST),
    ),
    (
        "compose/18paulb__SalvusServer__docker-compose.yaml",
        Needs(BUILD_FIRST),
    ),
    (
        "compose/2008-Untangled__Untangled-BE__docker-compose.yml",
        Needs(BUILD_FIRST),
    ),
    (
        "compose/37Lucky37__openproject_eb_aws__docker-compose.yml",
        Needs(BUILD_FIRST),
    ),
    (
        "compose/540co__jukebox-api__docker-compose.yml",
        Needs(BUILD_FIRST),
    ),
    (
        "compose/5sfayas__php-nginx-ecs-docker__docker-compose.yml",
        Converts,
    ),
    (
        "compose/8tako8tako8__twitter_rails_api__docker-compose.yml",
        Needs(BUILD_FIRST),
    ),
    (
        "compose/AQ-naoto-momose__LaravelHandsOn__docker-compose.yml",
        Needs(BUILD_FIRST),
    ),
    (
        "compose/CangelosiQ__recipe-app-api-django__docker-compose-deploy.yml",
        Needs(BUILD_FIRST),
    ),
    (
        "compose/Cangerana__simpleblog__docker-compose.yml",
        Needs(BUILD_FIRST),
    ),
    (
        "compose/Cangeroes__drupal-nbb-module__docker-compose.yml",
        Converts,
    ),
    (
        "compose/CanhPhamAiT__vault-demo__docker-compose.yml",
        Needs(BUILD_FIRST),
    ),
    (
        "compose/Canic__altchat-docker__docker-compose.yml",
        Converts,
    ),
    (
        "compose/Canillitapp__headlines-web__docker-compose.yml",
        Needs(BUILD_FIRST),
    ),
    // Mounts the Docker socket.
    (
        "compose/CanineHQ__canine__docker-compose.yml",
        Needs(&["TD012"]),
    ),
    (
        "compose/Canis-Ignem__django-rest-api-template__docker-compose.yml",
        Needs(BUILD_FIRST),
    ),
    (
        "compose/CanisLupus000__grafana-fiap__docker-compose.yml",
        Converts,
    ),
    (
        "compose/Canislupus1980__keycloak__docker-compose.yml",
        Converts,
    ),
    (
        "compose/Canislupus1980__portainer__docker-compose.yml",
        Needs(&["TD012"]),
    ),
    // `TZ: */*` is not valid YAML (an alias with no name); docker compose refuses it too.
    (
        "compose/Canislupus1980__wso2__docker-compose.yml",
        Refused("18:12: did not find expected alphabetic or numeric character"),
    ),
    // An override file: only `nginx` names an image here, the others are defined elsewhere.
    (
        "compose/Cank256__teacher-hub__docker-compose.production.yml",
        Needs(&["TD025"]),
    ),
    (
        "compose/Cannalabs__Bookstack-EA__docker-compose.yml",
        Needs(BUILD_FIRST),
    ),
    // A template: its `{db_port}`/`{web_port}` host ports are dropped (Fargate publishes the
    // container port); `wordpress` is built from a Dockerfile.
    (
        "compose/Tyrbok__wp-docker__templates_docker-compose.yml.tpl",
        Needs(BUILD_FIRST),
    ),
    (
        "compose/docker__awesome-compose__elasticsearch-logstash-kibana_compose.yaml",
        Converts,
    ),
    (
        "compose/docker__awesome-compose__nextcloud-redis-mariadb_compose.yaml",
        Converts,
    ),
    (
        "compose/docker__awesome-compose__nginx-golang-mysql_compose.yaml",
        Needs(BUILD_FIRST),
    ),
    (
        "compose/docker__awesome-compose__prometheus-grafana_compose.yaml",
        Converts,
    ),
    (
        "compose/docker__awesome-compose__wordpress-mysql_compose.yaml",
        Converts,
    ),
    // `retries: $HEALTHCHECK_RETRIES`: a variable where a number must be.
    (
        "compose/getsentry__self-hosted__docker-compose.yml",
        Refused("placeholder where a number must be"),
    ),
];

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn kind_of(file: &str) -> SourceKind {
    match file.split('/').next() {
        Some("ecs") => SourceKind::EcsTaskDefinition,
        Some("dockerrun") => SourceKind::Dockerrun,
        _ => SourceKind::Compose,
    }
}

fn options() -> TranslateOptions {
    TranslateOptions {
        region: Some("eu-west-1".into()),
        execution_role_arn: Some("arn:aws:iam::123456789012:role/ecsTaskExecutionRole".into()),
        ..TranslateOptions::default()
    }
}

#[test]
fn the_table_lists_every_corpus_file_and_sources_md_names_each() {
    let sources = std::fs::read_to_string(corpus_dir().join("SOURCES.md")).unwrap();
    let mut on_disk = Vec::new();
    for kind in ["ecs", "dockerrun", "compose"] {
        for entry in std::fs::read_dir(corpus_dir().join(kind)).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().to_string();
            on_disk.push(format!("{kind}/{name}"));
        }
    }
    on_disk.sort();
    let mut listed: Vec<String> = EXPECTED.iter().map(|(f, _)| f.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
    for file in &on_disk {
        assert!(
            sources.contains(&format!("`{file}`")),
            "{file} is not in SOURCES.md"
        );
    }
    assert!(on_disk.len() >= 30);
}

#[test]
fn every_corpus_file_converts_or_is_refused_for_its_named_reason() {
    let mut failures = Vec::new();
    let (mut converted, mut refused, mut needs) = (0, 0, 0);
    for (file, expect) in EXPECTED {
        let path = corpus_dir().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let doc = SourceDocument::new(*file, text.clone()).with_kind(kind_of(file));
        let result = translate(&doc, &options());
        match (expect, result) {
            (Refused(reason), Err(e)) => {
                refused += 1;
                let message = e.to_string();
                if !message.contains(reason) {
                    failures.push(format!(
                        "{file}: refused with `{message}`, expected `{reason}`"
                    ));
                }
            }
            (Refused(_), Ok(_)) => failures.push(format!("{file}: converted, expected a refusal")),
            (_, Err(e)) => failures.push(format!("{file}: refused: {e}")),
            (Converts | Needs(_), Ok(t)) => {
                let mut errors: Vec<&str> = t
                    .findings
                    .iter()
                    .filter(|f| f.severity == Severity::Error)
                    .map(|f| f.rule)
                    .collect();
                errors.sort_unstable();
                errors.dedup();
                let wanted: &[&str] = match expect {
                    Needs(rules) => rules,
                    _ => &[],
                };
                if errors != wanted {
                    let messages: Vec<&str> = t
                        .findings
                        .iter()
                        .filter(|f| f.severity == Severity::Error)
                        .map(|f| f.message.as_str())
                        .collect();
                    failures.push(format!(
                        "{file}: errors {errors:?}, expected {wanted:?}: {messages:?}"
                    ));
                }
                if wanted.is_empty() {
                    converted += 1;
                } else {
                    needs += 1;
                }
                // What needs a person (a Docker socket, say) is left in place on purpose; the
                // values must be right whatever remains.
                if wanted.is_empty() {
                    check_fargate_rules(file, &t.task_definition, &mut failures);
                }
                let source = source_environment(&path, kind_of(file), &text);
                check_no_value_but_addresses_changed(file, &source, &t, &mut failures);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!(
        "corpus: {converted} convert, {needs} need a person (named), {refused} refused (named)"
    );
}

fn check_fargate_rules(file: &str, td: &Value, failures: &mut Vec<String>) {
    let mut fail = |m: String| failures.push(format!("{file}: {m}"));
    if !td["requiresCompatibilities"]
        .as_array()
        .is_some_and(|a| a.iter().any(|c| c == "FARGATE"))
    {
        fail("not FARGATE".into());
    }
    if td["networkMode"] != "awsvpc" {
        fail(format!("networkMode {}", td["networkMode"]));
    }
    let number = |v: &Value| v.as_str().and_then(|s| s.parse::<u32>().ok());
    let (Some(cpu), Some(memory)) = (number(&td["cpu"]), number(&td["memory"])) else {
        fail(format!("task size {} / {}", td["cpu"], td["memory"]));
        return;
    };
    if !fargate::valid_pair(cpu, memory) {
        fail(format!("{cpu}/{memory} is not a Fargate pair"));
    }
    let containers = td["containerDefinitions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let volumes: Vec<&str> = td["volumes"]
        .as_array()
        .map(|v| v.iter().filter_map(|v| v["name"].as_str()).collect())
        .unwrap_or_default();
    let (mut reserved, mut cpu_sum) = (0u64, 0u64);
    for c in &containers {
        let name = c["name"].as_str().unwrap_or_default();
        let hard = c["memory"].as_u64();
        let soft = c["memoryReservation"].as_u64();
        if hard.is_some_and(|m| m > u64::from(memory)) {
            fail(format!(
                "container `{name}` memory {hard:?} > task {memory}"
            ));
        }
        reserved += soft.or(hard).unwrap_or(0);
        cpu_sum += c["cpu"].as_u64().unwrap_or(0);
        for p in c["portMappings"].as_array().into_iter().flatten() {
            if !p["hostPort"].is_null() && p["hostPort"] != p["containerPort"] {
                fail(format!(
                    "container `{name}`: hostPort {} != containerPort {}",
                    p["hostPort"], p["containerPort"]
                ));
            }
        }
        if c.get("links")
            .is_some_and(|l| l.as_array().is_some_and(|l| !l.is_empty()))
        {
            fail(format!("container `{name}` keeps links"));
        }
        for m in c["mountPoints"].as_array().into_iter().flatten() {
            let v = m["sourceVolume"].as_str().unwrap_or_default();
            if !volumes.contains(&v) {
                fail(format!("container `{name}` mounts undefined volume `{v}`"));
            }
        }
    }
    if reserved > u64::from(memory) {
        fail(format!("containers reserve {reserved} MiB > task {memory}"));
    }
    if cpu_sum > u64::from(cpu) {
        fail(format!("containers ask {cpu_sum} cpu > task {cpu}"));
    }
    for v in td["volumes"].as_array().into_iter().flatten() {
        if v["host"]["sourcePath"]
            .as_str()
            .is_some_and(|p| !p.is_empty())
        {
            fail(format!("volume {} keeps a host path", v["name"]));
        }
    }
}

/// `container -> variable -> value` as the source file says, read without the library.
type Environment = BTreeMap<String, BTreeMap<String, String>>;

fn source_environment(_path: &Path, kind: SourceKind, text: &str) -> Environment {
    let mut env = Environment::new();
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    };
    match kind {
        SourceKind::Compose => {
            let mut yaml: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
            yaml.apply_merge().unwrap();
            let json: Value = serde_json::to_value(&yaml).unwrap_or(Value::Null);
            let services = if json.get("services").is_some() {
                &json["services"]
            } else {
                &json
            };
            for (name, service) in services.as_object().into_iter().flatten() {
                let vars = env.entry(name.clone()).or_default();
                match &service["environment"] {
                    Value::Object(map) => {
                        for (k, v) in map {
                            if let Some(v) = scalar(v) {
                                vars.insert(k.clone(), substitute_defaults(&v));
                            }
                        }
                    }
                    Value::Array(items) => {
                        for item in items.iter().filter_map(Value::as_str) {
                            if let Some((k, v)) = item.split_once('=') {
                                vars.insert(k.to_string(), substitute_defaults(v));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {
            let json: Value = serde_json::from_str(text).unwrap();
            let containers = json
                .get("taskDefinition")
                .unwrap_or(&json)
                .get("containerDefinitions")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for c in containers {
                let vars = env
                    .entry(c["name"].as_str().unwrap_or_default().to_string())
                    .or_default();
                for kv in c["environment"].as_array().into_iter().flatten() {
                    if let (Some(k), Some(v)) = (kv["name"].as_str(), scalar(&kv["value"])) {
                        vars.insert(k.to_string(), v);
                    }
                }
            }
        }
    }
    env
}

/// Compose's `${NAME:-default}` / `${NAME-default}`, which the translation reads as the default.
fn substitute_defaults(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let inner = &rest[i + 2..];
        let Some(end) = inner.find('}') else { break };
        let expr = &inner[..end];
        match expr
            .find(":-")
            .map(|j| (j, 2))
            .or_else(|| expr.find('-').map(|j| (j, 1)))
        {
            Some((j, w)) => out.push_str(&expr[j + w..]),
            None => out.push_str(&rest[i..i + 2 + end + 1]),
        }
        rest = &inner[end + 1..];
    }
    out.push_str(rest);
    out.replace("$$", "$")
}

/// Every output value equals the source's, or differs only where a container's name became
/// 127.0.0.1, and then the change is listed. A bare name in a variable that does not hold a host is
/// never rewritten.
fn check_no_value_but_addresses_changed(
    file: &str,
    source: &Environment,
    t: &migrate_taskdef::Translation,
    failures: &mut Vec<String>,
) {
    let names: Vec<String> = source.keys().cloned().collect();
    for (i, c) in t.task_definition["containerDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let name = c["name"].as_str().unwrap_or_default();
        let Some(vars) = source.get(name) else {
            continue;
        };
        for (j, kv) in c["environment"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let (Some(k), Some(out)) = (kv["name"].as_str(), kv["value"].as_str()) else {
                continue;
            };
            let Some(before) = vars.get(k) else { continue };
            if out == before {
                continue;
            }
            if !only_names_became_loopback(before, out, &names) {
                failures.push(format!(
                    "{file}: `{name}`.{k} changed beyond addresses: {before:?} -> {out:?}"
                ));
            }
            if names.contains(before) && !holds_host(k) {
                failures.push(format!(
                    "{file}: `{name}`.{k} = {before:?} is not an address but was rewritten"
                ));
            }
            let at = format!("$.containerDefinitions[{i}].environment[{j}].value");
            if !t
                .changes
                .iter()
                .any(|ch| ch.location.path.as_deref() == Some(at.as_str()))
            {
                failures.push(format!(
                    "{file}: `{name}`.{k} changed without a listed change"
                ));
            }
        }
    }
}

fn holds_host(variable: &str) -> bool {
    let last = variable
        .rsplit(['_', '-', '.'])
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    last.ends_with("HOST")
        || [
            "HOSTS", "HOSTNAME", "SERVER", "SERVERS", "ADDR", "ADDRESS", "ENDPOINT", "BROKER",
            "BROKERS",
        ]
        .contains(&last.as_str())
}

/// Whether `after` is `before` with some container names replaced by 127.0.0.1.
fn only_names_became_loopback(before: &str, after: &str, names: &[String]) -> bool {
    if before == after {
        return true;
    }
    let Some(i) = after.find("127.0.0.1") else {
        return false;
    };
    if !before.starts_with(&after[..i]) {
        return false;
    }
    let (b_rest, a_rest) = (&before[i..], &after[i + "127.0.0.1".len()..]);
    if b_rest.starts_with("127.0.0.1")
        && only_names_became_loopback(&b_rest["127.0.0.1".len()..], a_rest, names)
    {
        return true;
    }
    names
        .iter()
        .filter(|n| b_rest.starts_with(n.as_str()))
        .any(|n| only_names_became_loopback(&b_rest[n.len()..], a_rest, names))
}

#[test]
fn the_loopback_check_can_fail() {
    let names = vec!["db".to_string(), "wordpress".to_string()];
    assert!(only_names_became_loopback(
        "db:3306",
        "127.0.0.1:3306",
        &names
    ));
    assert!(only_names_became_loopback(
        "mysql://u:p@db/x",
        "mysql://u:p@127.0.0.1/x",
        &names
    ));
    assert!(!only_names_became_loopback("wordpress", "wordpres", &names));
    assert!(!only_names_became_loopback(
        "other:3306",
        "127.0.0.1:3306",
        &names
    ));
}
