//! Every lint rule has a case that fires it and a clean (and, where one exists, near-miss) case that
//! does not.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use migrate_taskdef::rules::catalog;
use migrate_taskdef::{lint, Finding, Severity};
use serde_json::{json, Value};

/// A valid Fargate task definition that no rule fires on.
fn clean() -> Value {
    json!({
        "family": "shop",
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": "256",
        "memory": "512",
        "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
        "volumes": [{ "name": "scratch" }],
        "containerDefinitions": [
            {
                "name": "web",
                "image": "nginx:1.25",
                "cpu": 128,
                "memoryReservation": 128,
                "portMappings": [{ "containerPort": 80, "hostPort": 80, "protocol": "tcp" }],
                "mountPoints": [{ "sourceVolume": "scratch", "containerPath": "/tmp/cache" }],
                "environment": [{ "name": "APP_ENV", "value": "production" }],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": "/ecs/shop",
                        "awslogs-region": "eu-west-1",
                        "awslogs-stream-prefix": "fargate"
                    }
                }
            },
            {
                "name": "app",
                "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1",
                "cpu": 128,
                "memory": 256,
                "portMappings": [{ "containerPort": 9000 }]
            }
        ]
    })
}

fn lint_value(td: &Value) -> Vec<Finding> {
    lint(&serde_json::to_string_pretty(td).unwrap(), "td.json").expect("the case parses")
}

fn ids(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.rule).collect()
}

type Mutation = fn(&mut Value);

/// (rule id, a mutation that fires it, a near miss that must not).
const CASES: &[(&str, Mutation, Option<Mutation>)] = &[
    (
        "TD001",
        |t| t["requiresCompatibilities"] = json!(["EC2"]),
        Some(|t| t["requiresCompatibilities"] = json!(["EC2", "FARGATE"])),
    ),
    ("TD002", |t| t["networkMode"] = json!("bridge"), None),
    (
        "TD003",
        |t| t["containerDefinitions"][0]["portMappings"][0]["hostPort"] = json!(0),
        Some(|t| {
            t["containerDefinitions"][0]["portMappings"][0]
                .as_object_mut()
                .unwrap()
                .remove("hostPort");
        }),
    ),
    (
        "TD004",
        |t| t["containerDefinitions"][1]["portMappings"][0]["containerPort"] = json!(80),
        Some(|t| {
            t["containerDefinitions"][1]["portMappings"][0] =
                json!({ "containerPort": 80, "protocol": "udp" });
        }),
    ),
    (
        "TD005",
        |t| {
            t.as_object_mut().unwrap().remove("cpu");
        },
        Some(|t| t["cpu"] = json!(256)),
    ),
    (
        "TD006",
        |t| t["memory"] = json!("4096"),
        Some(|t| {
            t["cpu"] = json!("1 vCPU");
            t["memory"] = json!("2GB");
        }),
    ),
    (
        "TD007",
        |t| t["containerDefinitions"][1]["memory"] = json!(1024),
        Some(|t| {
            t["containerDefinitions"][1]
                .as_object_mut()
                .unwrap()
                .remove("memory");
            t["containerDefinitions"][1]["memoryReservation"] = json!(384);
        }),
    ),
    (
        "TD008",
        |t| t["containerDefinitions"][0]["links"] = json!(["app"]),
        Some(|t| t["containerDefinitions"][0]["links"] = json!([])),
    ),
    (
        "TD009",
        |t| t["volumes"][0]["host"] = json!({ "sourcePath": "/data" }),
        Some(|t| t["volumes"][0]["host"] = json!({})),
    ),
    (
        "TD010",
        |t| t["containerDefinitions"][0]["privileged"] = json!(true),
        Some(|t| t["containerDefinitions"][0]["privileged"] = json!(false)),
    ),
    (
        "TD011",
        |t| {
            t["containerDefinitions"][0]["linuxParameters"] =
                json!({ "devices": [{ "hostPath": "/dev/fuse" }] })
        },
        Some(|t| {
            t["containerDefinitions"][0]["linuxParameters"] = json!({ "initProcessEnabled": true });
        }),
    ),
    (
        "TD012",
        |t| t["volumes"][0]["host"] = json!({ "sourcePath": "/var/run/docker.sock" }),
        Some(|t| {
            t["volumes"][0]["host"] = json!({ "sourcePath": "/var/run/docker" });
        }),
    ),
    (
        "TD013",
        |t| t["containerDefinitions"][0]["dockerSecurityOptions"] = json!(["no-new-privileges"]),
        Some(|t| {
            t["containerDefinitions"][0]["dockerSecurityOptions"] = json!([]);
        }),
    ),
    (
        "TD014",
        |t| t["containerDefinitions"][0]["logConfiguration"] = json!({ "logDriver": "json-file" }),
        Some(|t| {
            t["containerDefinitions"][0]["logConfiguration"] =
                json!({ "logDriver": "awsfirelens" });
        }),
    ),
    (
        "TD015",
        |t| {
            t["placementConstraints"] =
                json!([{ "type": "memberOf", "expression": "attribute:x == y" }])
        },
        Some(|t| {
            t["placementConstraints"] = json!([]);
        }),
    ),
    (
        "TD016",
        |t| t["containerDefinitions"][0]["hostname"] = json!("web"),
        None,
    ),
    (
        "TD017",
        |t| {
            t.as_object_mut().unwrap().remove("executionRoleArn");
        },
        Some(|t| {
            // Without ECR, awslogs or secrets there is nothing for an execution role to do.
            t.as_object_mut().unwrap().remove("executionRoleArn");
            t["containerDefinitions"][0]["logConfiguration"] =
                json!({ "logDriver": "splunk", "options": {} });
            t["containerDefinitions"][1]["image"] = json!("public.ecr.aws/shop/app:1");
        }),
    ),
    (
        "TD018",
        |t| {
            t["containerDefinitions"][0]["environment"] =
                json!([{ "name": "DB_PASSWORD", "value": "hunter2hunter2" }])
        },
        Some(|t| {
            t["containerDefinitions"][0]["environment"] = json!([{ "name": "DB_PASSWORD_ARN", "value": "arn:aws:secretsmanager:eu-west-1:1:secret:db" }]);
        }),
    ),
    (
        "TD019",
        |t| {
            t["containerDefinitions"][0]["logConfiguration"]["options"]
                .as_object_mut()
                .unwrap()
                .remove("awslogs-stream-prefix");
        },
        Some(|t| {
            t["containerDefinitions"][0]["logConfiguration"] =
                json!({ "logDriver": "splunk", "options": {} });
        }),
    ),
    (
        "TD021",
        |t| t["pidMode"] = json!("host"),
        Some(|t| t["pidMode"] = json!("task")),
    ),
    (
        "TD022",
        |t| {
            t["containerDefinitions"][0]["extraHosts"] =
                json!([{ "hostname": "db", "ipAddress": "10.0.0.5" }])
        },
        Some(|t| {
            t["containerDefinitions"][0]["extraHosts"] = json!([]);
        }),
    ),
    (
        "TD023",
        |t| {
            t["volumes"][0]["dockerVolumeConfiguration"] =
                json!({ "scope": "task", "driver": "local" })
        },
        Some(|t| {
            t["volumes"][0]["efsVolumeConfiguration"] = json!({ "fileSystemId": "fs-1" });
        }),
    ),
    (
        "TD024",
        |t| {
            t["volumes"][0]["efsVolumeConfiguration"] =
                json!({ "fileSystemId": "fs-1", "transitEncryption": "ENABLED" })
        },
        Some(|t| {
            t["volumes"][0]["host"] = json!({});
        }),
    ),
    (
        "TD025",
        |t| {
            t["containerDefinitions"][0]
                .as_object_mut()
                .unwrap()
                .remove("image");
        },
        Some(|t| t["containerDefinitions"][0]["image"] = json!("public.ecr.aws/nginx/nginx:1.25")),
    ),
    (
        "TD026",
        |t| t["containerDefinitions"][0]["mountPoints"][0]["sourceVolume"] = json!("missing"),
        Some(|t| {
            t["volumes"] = json!([{ "name": "scratch" }, { "name": "missing" }]);
        }),
    ),
    (
        "TD028",
        |t| t["containerDefinitions"][1]["image"] = json!("mysql:8.0"),
        // The same database with its data on EFS survives task replacement.
        Some(|t| {
            t["containerDefinitions"][1]["image"] = json!("mysql:8.0");
            t["volumes"][0]["efsVolumeConfiguration"] =
                json!({ "fileSystemId": "fs-1", "transitEncryption": "ENABLED" });
            t["containerDefinitions"][1]["mountPoints"] =
                json!([{ "sourceVolume": "scratch", "containerPath": "/var/lib/mysql" }]);
        }),
    ),
];

/// Rules only the translation can report: they compare with the source or with other files.
/// Their firing and non-firing cases are in `tests/translate.rs`.
const TRANSLATION_ONLY: &[&str] = &["TD000", "TD020", "TD027"];

#[test]
fn the_clean_definition_has_no_findings() {
    assert_eq!(lint_value(&clean()), vec![]);
}

#[test]
fn every_rule_has_a_case() {
    for rule in catalog::ALL {
        let covered =
            CASES.iter().any(|(id, _, _)| *id == rule.id) || TRANSLATION_ONLY.contains(&rule.id);
        assert!(covered, "rule {} ({}) has no test case", rule.id, rule.name);
    }
}

#[test]
fn each_rule_fires_on_its_case_and_not_on_its_near_miss() {
    for (id, fire, near_miss) in CASES {
        let mut td = clean();
        fire(&mut td);
        let findings = lint_value(&td);
        let hit: Vec<&Finding> = findings.iter().filter(|f| f.rule == *id).collect();
        assert!(!hit.is_empty(), "{id} did not fire: {:?}", ids(&findings));
        let rule = catalog::by_id(id).unwrap();
        assert!(hit
            .iter()
            .all(|f| f.severity == rule.severity && f.name == rule.name && !f.message.is_empty()));
        assert!(
            hit.iter().all(|f| f
                .location
                .path
                .as_deref()
                .is_some_and(|p| p.starts_with('$'))),
            "{id}: {hit:?}"
        );
        if rule.severity == Severity::Error {
            assert!(
                hit.iter().all(|f| f.fix.is_some()),
                "{id} is an error without a fix"
            );
        }
        if let Some(near_miss) = near_miss {
            let mut td = clean();
            near_miss(&mut td);
            let findings = lint_value(&td);
            assert!(
                !ids(&findings).contains(id),
                "{id} fired on its near miss: {findings:#?}"
            );
        }
    }
}

#[test]
fn a_database_alone_in_its_task_or_a_lookalike_image_is_not_flagged() {
    let mut alone = clean();
    alone["containerDefinitions"] = json!([alone["containerDefinitions"][1].clone()]);
    alone["containerDefinitions"][0]["image"] = json!("postgres:16");
    assert!(!ids(&lint_value(&alone)).contains(&"TD028"));
    let mut exporter = clean();
    exporter["containerDefinitions"][1]["image"] = json!("prom/mysqld-exporter:v0.15.0");
    assert!(!ids(&lint_value(&exporter)).contains(&"TD028"));
    let mut redis = clean();
    redis["containerDefinitions"][1]["image"] = json!("public.ecr.aws/docker/library/redis:7");
    let findings = lint_value(&redis);
    let hit = findings.iter().find(|f| f.rule == "TD028").expect("fires");
    assert!(
        hit.fix
            .as_deref()
            .unwrap_or_default()
            .contains("ElastiCache"),
        "{hit:?}"
    );
}

#[test]
fn locations_point_at_the_offending_value() {
    let mut td = clean();
    td["containerDefinitions"][0]["portMappings"][0]["hostPort"] = json!(0);
    let findings = lint_value(&td);
    assert_eq!(
        findings[0].location.path.as_deref(),
        Some("$.containerDefinitions[0].portMappings[0].hostPort")
    );
    assert!(
        findings[0].message.contains("dynamic host port"),
        "{}",
        findings[0].message
    );
}

#[test]
fn secret_values_are_masked_in_findings() {
    let mut td = clean();
    td["containerDefinitions"][0]["environment"] =
        json!([{ "name": "DB_PASSWORD", "value": "hunter2hunter2" }]);
    let findings = lint_value(&td);
    let text = format!("{findings:?}");
    assert!(!text.contains("hunter2hunter2"), "{text}");
    assert!(
        findings[0].message.contains("hu******"),
        "{}",
        findings[0].message
    );
}

#[test]
fn size_suggestions_name_the_smallest_valid_pair() {
    let mut td = clean();
    td["memory"] = json!("4096");
    let findings = lint_value(&td);
    let fix = findings
        .iter()
        .find(|f| f.rule == "TD006")
        .and_then(|f| f.fix.clone())
        .unwrap();
    assert!(fix.contains("cpu \"512\" and memory \"4096\""), "{fix}");

    let mut td = clean();
    td.as_object_mut().unwrap().remove("memory");
    td["containerDefinitions"][1]["memory"] = json!(3000);
    let findings = lint_value(&td);
    let fix = findings
        .iter()
        .find(|f| f.rule == "TD005")
        .and_then(|f| f.fix.clone())
        .unwrap();
    assert!(fix.contains("cpu \"512\" and memory \"4096\""), "{fix}");
}

#[test]
fn describe_output_is_linted_like_a_bare_definition() {
    let wrapped = json!({ "taskDefinition": clean(), "tags": [] });
    assert_eq!(lint_value(&wrapped), vec![]);
}
