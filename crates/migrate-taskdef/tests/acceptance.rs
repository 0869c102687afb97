//! The acceptance cases of the issue: the seed-004 task definition and a seed-001-style ECS-on-EC2
//! nginx + php-fpm definition translate into definitions that pass the lint, and their outputs and
//! change lists are held as snapshots.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use migrate_taskdef::{
    has_errors, lint, translate, translate_file, SourceDocument, SourceKind, TextFile,
    TranslateOptions, Translation,
};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).expect("fixture exists")
}

/// Lints the translated JSON as `migrate lint` would read it from a file.
fn lint_output(translation: &Translation) -> Vec<migrate_taskdef::Finding> {
    let text = serde_json::to_string_pretty(&translation.task_definition).expect("serialisable");
    lint(&text, "out.json").expect("the output parses as a task definition")
}

#[test]
fn seed_004_translates_and_passes_the_lint() {
    let translation = translate_file(
        &fixture("seed004-fargate.json"),
        &TranslateOptions::default(),
    )
    .unwrap();
    assert_eq!(translation.source_kind, SourceKind::EcsTaskDefinition);
    assert!(
        !has_errors(&translation.findings),
        "{:#?}",
        translation.findings
    );
    assert!(!has_errors(&lint_output(&translation)));

    // Already a Fargate definition: the size, ports, ulimits and mounts are kept as they were.
    let td = &translation.task_definition;
    assert_eq!(td["cpu"], "256");
    assert_eq!(td["memory"], "512");
    assert_eq!(
        td["containerDefinitions"][0]["ulimits"][0]["softLimit"],
        65536
    );
    assert_eq!(
        td["containerDefinitions"][1]["mountPoints"][0]["readOnly"],
        true
    );
    assert_eq!(
        td["containerDefinitions"][0]["logConfiguration"]["options"]["awslogs-group"],
        "/chuoi/ecs/tasks/app-fargate"
    );

    insta::assert_json_snapshot!("seed004_task_definition", td);
    insta::assert_yaml_snapshot!("seed004_changes", translation.changes);
    insta::assert_yaml_snapshot!("seed004_findings", translation.findings);
}

#[test]
fn seed_001_ec2_nginx_php_fpm_translates_and_passes_the_lint() {
    let options = TranslateOptions {
        nginx_configs: vec![TextFile {
            origin: "nginx.conf".into(),
            text: fixture_text("seed001-nginx.conf"),
        }],
        ..TranslateOptions::default()
    };
    let doc = SourceDocument::new("seed001-ec2.json", fixture_text("seed001-ec2.json"));
    let translation = translate(&doc, &options).unwrap();
    assert!(
        !has_errors(&translation.findings),
        "{:#?}",
        translation.findings
    );
    assert!(!has_errors(&lint_output(&translation)));

    let td = &translation.task_definition;
    assert_eq!(td["networkMode"], "awsvpc");
    assert_eq!(
        td["requiresCompatibilities"],
        serde_json::json!(["FARGATE"])
    );
    // Dynamic host ports became the container ports.
    assert_eq!(
        td["containerDefinitions"][0]["portMappings"][0]["hostPort"],
        80
    );
    assert_eq!(
        td["containerDefinitions"][1]["portMappings"][0]["hostPort"],
        9000
    );
    assert!(td["containerDefinitions"][0].get("links").is_none());
    // 128 + 384 cpu units and 128 + 512 MiB reserved (768 MiB hard limit) -> 512 / 1024.
    assert_eq!(
        (td["cpu"].as_str(), td["memory"].as_str()),
        (Some("512"), Some("1024"))
    );
    assert_eq!(
        td["executionRoleArn"],
        "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
    );
    assert_ne!(
        td["containerDefinitions"][0]["logConfiguration"]["options"]["awslogs-group"],
        "/ecs/web-app"
    );
    assert!(td.get("taskDefinitionArn").is_none() && td.get("placementConstraints").is_none());

    let nginx = &translation.rewritten_files[0].text;
    assert!(nginx.contains("fastcgi_pass 127.0.0.1:9000;"), "{nginx}");
    assert!(!nginx.contains("php-fpm:9000"));

    insta::assert_json_snapshot!("seed001_task_definition", td);
    insta::assert_yaml_snapshot!("seed001_changes", translation.changes);
    insta::assert_yaml_snapshot!("seed001_findings", translation.findings);
    insta::assert_snapshot!("seed001_nginx_conf", nginx);
}
