//! Property tests over generated inputs: nothing panics, and whatever translates well-formed is
//! networked, sized and ported for Fargate.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use migrate_taskdef::fargate::{smallest_pair_fitting, valid_pair};
use migrate_taskdef::rules::container_demand;
use migrate_taskdef::{
    lint, parse_task_definition, translate, SourceDocument, SourceKind, TranslateOptions,
};
use proptest::prelude::*;
use serde_json::{json, Value};

/// Arbitrary JSON of bounded size, to throw at the parsers.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-z0-9:/._ -]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::vec(("[a-zA-Z]{1,10}", inner), 0..4)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// A plausible ECS-on-EC2 container: random ports, limits, links, logging and security settings.
fn container(index: usize) -> impl Strategy<Value = Value> {
    (
        prop::option::of(0u32..2048),
        prop::option::of(1u32..16_384),
        prop::option::of(1u32..8192),
        prop::collection::vec((1u16..65535, prop_oneof![Just(0u16), 1u16..65535], prop::bool::ANY), 0..3),
        prop::bool::ANY,
        prop_oneof![Just("awslogs"), Just("json-file"), Just("syslog"), Just("none")],
        prop::bool::ANY,
    )
        .prop_map(move |(cpu, memory, reservation, ports, link, driver, hostname)| {
            let mut c = json!({ "name": format!("c{index}"), "image": format!("123456789012.dkr.ecr.eu-west-1.amazonaws.com/c{index}:1") });
            if let Some(cpu) = cpu {
                c["cpu"] = json!(cpu);
            }
            if let Some(memory) = memory {
                c["memory"] = json!(memory);
            }
            if let Some(reservation) = reservation {
                c["memoryReservation"] = json!(reservation);
            }
            c["portMappings"] = Value::Array(
                ports.into_iter().map(|(container, host, udp)| json!({ "containerPort": container, "hostPort": host, "protocol": if udp { "udp" } else { "tcp" } })).collect(),
            );
            if link && index > 0 {
                c["links"] = json!(["c0"]);
                c["environment"] = json!([{ "name": "UPSTREAM", "value": "http://c0:8080" }]);
            }
            c["logConfiguration"] = json!({ "logDriver": driver, "options": { "awslogs-group": "/old" } });
            if hostname {
                c["hostname"] = json!(format!("host{index}"));
            }
            c
        })
}

fn ec2_task() -> impl Strategy<Value = Value> {
    (1usize..4)
        .prop_flat_map(|n| (0..n).map(container).collect::<Vec<_>>())
        .prop_flat_map(|containers| {
            (
                Just(containers),
                prop_oneof![Just("bridge"), Just("host"), Just("awsvpc")],
                prop::option::of(prop_oneof![
                    Just("256"),
                    Just("1 vCPU"),
                    Just("300"),
                    Just("99999")
                ]),
                prop::option::of(prop_oneof![Just("512"), Just("2GB"), Just("3000")]),
                prop::option::of(Just("/srv/data")),
            )
        })
        .prop_map(|(containers, mode, cpu, memory, source_path)| {
            let mut td =
                json!({ "family": "gen", "networkMode": mode, "containerDefinitions": containers });
            if let Some(cpu) = cpu {
                td["cpu"] = json!(cpu);
            }
            if let Some(memory) = memory {
                td["memory"] = json!(memory);
            }
            if let Some(path) = source_path {
                td["volumes"] = json!([{ "name": "data", "host": { "sourcePath": path } }]);
            }
            td
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}", kind in 0u8..4) {
        let kind = match kind {
            0 => Some(SourceKind::EcsTaskDefinition),
            1 => Some(SourceKind::Dockerrun),
            2 => Some(SourceKind::Compose),
            _ => None,
        };
        let mut doc = SourceDocument::new("input", text.clone());
        doc.kind = kind;
        let _ = translate(&doc, &TranslateOptions::default());
        let _ = lint(&text, "input");
    }

    #[test]
    fn arbitrary_json_never_panics(value in any_json(), wrap in 0u8..4) {
        let value = match wrap {
            0 => json!({ "containerDefinitions": [value] }),
            1 => json!({ "AWSEBDockerrunVersion": 2, "containerDefinitions": [value] }),
            2 => json!({ "services": { "web": value } }),
            _ => value,
        };
        let text = value.to_string();
        let _ = translate(&SourceDocument::new("input.json", text.clone()), &TranslateOptions::default());
        let _ = lint(&text, "input.json");
        let yaml = serde_yaml::to_string(&value).unwrap_or_default();
        let _ = translate(&SourceDocument::new("docker-compose.yml", yaml), &TranslateOptions::default());
    }

    #[test]
    fn translated_definitions_are_fargate_shaped(td in ec2_task()) {
        let translation = translate(&SourceDocument::new("td.json", td.to_string()), &TranslateOptions::default())
            .expect("a well-formed definition translates");
        let out = &translation.task_definition;
        prop_assert_eq!(&out["networkMode"], "awsvpc");
        prop_assert_eq!(&out["requiresCompatibilities"], &json!(["FARGATE"]));
        let findings = lint(&out.to_string(), "out.json").expect("the output parses");
        for fixed in ["TD001", "TD002", "TD003", "TD008", "TD009", "TD014", "TD016", "TD017", "TD019"] {
            prop_assert!(!findings.iter().any(|f| f.rule == fixed), "{} remains: {:#?}", fixed, findings);
        }
        // Either the task got a valid Fargate size, or no Fargate size can hold its containers.
        let size_errors = findings.iter().any(|f| matches!(f.rule, "TD005" | "TD006" | "TD007"));
        if size_errors {
            let source = parse_task_definition("td.json", &td.to_string()).expect("parses");
            let (cpu, memory) = container_demand(&source.container_definitions);
            prop_assert_eq!(smallest_pair_fitting(cpu, memory), None, "{:#?}", findings);
        } else {
            let cpu = out["cpu"].as_str().and_then(|c| c.parse::<u32>().ok());
            let memory = out["memory"].as_str().and_then(|m| m.parse::<u32>().ok());
            prop_assert!(matches!((cpu, memory), (Some(c), Some(m)) if valid_pair(c, m)), "{:?}/{:?}", cpu, memory);
        }
        // Secrets, links and log groups never come back in the output.
        prop_assert!(!out.to_string().contains("\"links\""));
        prop_assert!(!out.to_string().contains("\"/old\""));
    }
}

/// A compose file whose services' names double as database names, users and passwords, reached
/// through host variables, URLs and `host:port`, with an `x-` anchor merged into each service.
fn compose_with_shared_names() -> impl Strategy<Value = (String, Vec<(String, String, String)>)> {
    let names =
        prop::sample::subsequence(vec!["wordpress", "db", "redis", "app", "postgres"], 2..=4);
    let variables = prop::collection::vec(
        (
            prop::sample::select(vec![
                "DB_HOST",
                "MYSQL_DATABASE",
                "MYSQL_USER",
                "DB_PASSWORD",
                "REDIS_URL",
                "UPSTREAM",
                "APP_NAME",
            ]),
            0usize..4,
            0u8..4,
        ),
        1..6,
    );
    (names, variables).prop_map(|(names, variables)| {
        let mut env = Vec::new();
        let mut yaml = String::from("x-common: &common\n  restart: always\nservices:\n");
        for (i, name) in names.iter().enumerate() {
            yaml.push_str(&format!(
                "  {name}:\n    <<: *common\n    image: {name}:1\n    environment:\n"
            ));
            for (j, (variable, target, shape)) in variables.iter().enumerate() {
                let target = names[*target % names.len()];
                let value = match shape {
                    0 => target.to_string(),
                    1 => format!("{target}:3306"),
                    2 => format!("mysql://{target}:{target}@{target}/{target}"),
                    _ => format!("{target}-suffix"),
                };
                let variable = format!("V{j}_{variable}");
                yaml.push_str(&format!("      {variable}: \"{value}\"\n"));
                if i == 0 {
                    env.push((variable, value, target.to_string()));
                }
            }
        }
        (yaml, env)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever the parser accepts translates without panic, and its output passes the lint or the
    /// translation names each remaining error itself.
    #[test]
    fn accepted_inputs_translate_to_output_that_passes_the_lint_or_says_why(value in any_json(), wrap in 0u8..3) {
        let (origin, text) = match wrap {
            0 => ("td.json", json!({ "family": "f", "containerDefinitions": [value] }).to_string()),
            1 => ("Dockerrun.aws.json", json!({ "AWSEBDockerrunVersion": 2, "containerDefinitions": [value] }).to_string()),
            _ => ("docker-compose.yml", serde_yaml::to_string(&json!({ "services": { "web": value } })).unwrap_or_default()),
        };
        let options = TranslateOptions {
            region: Some("eu-west-1".into()),
            execution_role_arn: Some("arn:aws:iam::123456789012:role/r".into()),
            ..TranslateOptions::default()
        };
        if let Ok(t) = translate(&SourceDocument::new(origin, text), &options) {
            let findings = lint(&t.task_definition.to_string(), "out.json").expect("a translation's output parses");
            for f in findings.iter().filter(|f| f.severity == migrate_taskdef::Severity::Error) {
                prop_assert!(!f.message.is_empty() && f.location.path.is_some(), "{:?}", f);
                prop_assert!(t.findings.iter().any(|g| g.rule == f.rule), "the translation did not report {}: {:?}", f.rule, f);
            }
        }
    }

    /// A service name used as a value that is not an address is never rewritten; used as a host
    /// (host variable, `host:port`, URL host) it is.
    #[test]
    fn only_addresses_are_rewritten((yaml, env) in compose_with_shared_names()) {
        let options = TranslateOptions { region: Some("eu-west-1".into()), ..TranslateOptions::default() };
        let t = translate(&SourceDocument::new("docker-compose.yml", yaml.clone()), &options).expect("translates");
        let out = &t.task_definition["containerDefinitions"][0]["environment"];
        for (variable, before, target) in env {
            let after = out.as_array().and_then(|a| a.iter().find(|kv| kv["name"] == variable.as_str()))
                .and_then(|kv| kv["value"].as_str()).unwrap_or_default().to_string();
            let expected = if variable.ends_with("DB_HOST") && before == target {
                "127.0.0.1".to_string()
            } else if before == format!("{target}:3306") {
                "127.0.0.1:3306".to_string()
            } else if before.starts_with("mysql://") {
                format!("mysql://{target}:{target}@127.0.0.1/{target}")
            } else {
                before.clone()
            };
            prop_assert_eq!(after, expected, "{} in\n{}", variable, yaml);
        }
    }
}
