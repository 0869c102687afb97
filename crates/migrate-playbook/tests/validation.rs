//! Playbooks as authors write them: the examples are valid and match the published schema, and a
//! broken playbook reports every mistake with its location.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use migrate_playbook::{json_schema, Directory, Playbook};

fn playbooks_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks")
}

fn example_playbooks() -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(playbooks_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    found.sort();
    assert!(!found.is_empty());
    found
}

#[test]
fn every_example_playbook_is_valid() {
    for path in example_playbooks() {
        if let Err(e) = Playbook::from_path(&path) {
            panic!("{e}");
        }
    }
}

#[test]
fn every_example_playbook_matches_the_json_schema() {
    let schema = json_schema();
    let compiled = jsonschema::JSONSchema::compile(&schema).expect("the schema compiles");
    for path in example_playbooks() {
        let text = std::fs::read_to_string(&path).unwrap();
        let yaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        let json = serde_json::to_value(yaml).unwrap();
        let messages: Vec<String> = match compiled.validate(&json) {
            Ok(()) => Vec::new(),
            Err(errors) => errors
                .map(|e| format!("{}: {e}", e.instance_path))
                .collect(),
        };
        assert!(
            messages.is_empty(),
            "{} does not match the schema: {messages:?}",
            path.display()
        );
    }
    // The schema is not vacuous: an unknown key and a wrong type are refused.
    assert!(!compiled.is_valid(&serde_json::json!({ "name": "x", "surprise": 1 })));
    assert!(!compiled.is_valid(&serde_json::json!({ "name": 3 })));
}

#[test]
fn three_mistakes_are_all_reported_with_their_locations() {
    let text = std::fs::read_to_string(playbooks_dir().join("demo.yaml")).unwrap();
    let broken = text
        .replace(
            "      cpu: 512\n      memory: 1024",
            "      cpu: 512\n      memory: 9000",
        )
        .replace("        path: /healthz", "        path: healthz")
        .replace("  strategy: alias", "  strategy: blue-green");
    assert_ne!(broken, text);
    let error =
        Playbook::from_yaml(&broken, "broken.yaml", &Directory(&playbooks_dir())).unwrap_err();
    let paths: Vec<&str> = error.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "target.services[0].memory",
            "target.services[0].health_check.path",
            "cutover.strategy"
        ],
        "{error}"
    );
    let line_of = |needle: &str| broken.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let lines: Vec<usize> = error
        .problems
        .iter()
        .map(|p| p.position.expect("located").line)
        .collect();
    assert_eq!(
        lines,
        vec![
            line_of("memory: 9000"),
            line_of("path: healthz"),
            line_of("strategy: blue-green")
        ]
    );
    let message = error.to_string();
    assert!(message.contains("has 3 problems"), "{message}");
    assert!(message.contains("not a Fargate pair"), "{message}");
    assert!(
        message.contains(&format!("broken.yaml:{}:", line_of("memory: 9000"))),
        "{message}"
    );
}

#[test]
fn unknown_keys_are_reported_with_what_was_expected() {
    let text = std::fs::read_to_string(playbooks_dir().join("demo.yaml")).unwrap();
    let broken = text.replace("  container_insights: true", "  container_insight: true");
    let error =
        Playbook::from_yaml(&broken, "typo.yaml", &Directory(&playbooks_dir())).unwrap_err();
    assert_eq!(error.problems.len(), 1, "{error}");
    assert_eq!(error.problems[0].path, "target.container_insight");
    assert!(error.problems[0].message.contains("container_insights"));
}

#[test]
fn a_yaml_syntax_error_reports_its_line() {
    let error = Playbook::from_yaml(
        "name: shop\nsource: [unclosed\n",
        "bad.yaml",
        &Directory(Path::new(".")),
    )
    .unwrap_err();
    assert_eq!(error.problems.len(), 1);
    assert!(error.problems[0].position.is_some(), "{error}");
}

#[test]
fn a_missing_task_definition_file_is_reported_at_its_field() {
    let text = std::fs::read_to_string(playbooks_dir().join("demo.yaml")).unwrap();
    let broken = text.replace("taskdefs/worker.json", "taskdefs/nope.json");
    let error =
        Playbook::from_yaml(&broken, "demo.yaml", &Directory(&playbooks_dir())).unwrap_err();
    assert_eq!(error.problems[0].path, "target.services[1].task_definition");
    assert!(error.problems[0].message.contains("nope.json"));
}

#[test]
fn an_empty_playbook_lists_every_required_section() {
    let error =
        Playbook::from_yaml("version: 1\n", "empty.yaml", &Directory(Path::new("."))).unwrap_err();
    let paths: Vec<&str> = error.problems.iter().map(|p| p.path.as_str()).collect();
    for required in ["name", "source", "network", "target", "cutover"] {
        assert!(
            paths.contains(&required),
            "{required} missing from {paths:?}"
        );
    }
}

#[test]
fn a_task_definition_fargate_cannot_run_is_a_problem_at_its_field() {
    let text = std::fs::read_to_string(playbooks_dir().join("demo.yaml")).unwrap();
    let inline = text.replace(
        "      task_definition: taskdefs/worker.json",
        "      task_definition:\n        containerDefinitions:\n          - name: queue-worker\n            image: busybox\n            privileged: true",
    );
    let error =
        Playbook::from_yaml(&inline, "demo.yaml", &Directory(&playbooks_dir())).unwrap_err();
    assert_eq!(error.problems.len(), 1, "{error}");
    assert_eq!(error.problems[0].path, "target.services[1].task_definition");
    assert!(error.problems[0].message.contains("TD010"), "{error}");
}

#[test]
fn a_secret_in_the_environment_is_refused_and_never_printed() {
    let text = std::fs::read_to_string(playbooks_dir().join("demo.yaml")).unwrap();
    let inline = text.replace(
        "      task_definition: taskdefs/worker.json",
        "      task_definition:\n        containerDefinitions:\n          - name: queue-worker\n            image: busybox\n            environment:\n              - name: DB_PASSWORD\n                value: hunter2-very-secret",
    );
    let error =
        Playbook::from_yaml(&inline, "demo.yaml", &Directory(&playbooks_dir())).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("TD018"), "{message}");
    assert!(
        !message.contains("hunter2-very-secret"),
        "the secret was printed: {message}"
    );
}

#[test]
fn the_translated_definition_is_fargate_ready() {
    let playbook = Playbook::from_path(&playbooks_dir().join("demo.yaml")).unwrap();
    let web = playbook.target.web().unwrap();
    assert_eq!(web.task_definition["networkMode"], "awsvpc");
    assert_eq!(
        web.task_definition["requiresCompatibilities"],
        serde_json::json!(["FARGATE"])
    );
    assert_eq!(web.task_definition["cpu"], "512");
    assert_eq!(web.task_definition["family"], "shop-web-fargate");
    // A role given by name stays a name: the apply resolves it in the caller's account and
    // partition (from the preflight), never in the account of the image's registry.
    assert_eq!(
        web.task_definition["executionRoleArn"],
        "ecsTaskExecutionRole"
    );
}

#[test]
fn a_shared_state_location_is_kept_and_checked() {
    let text = std::fs::read_to_string(playbooks_dir().join("demo.yaml")).unwrap();
    let local = Playbook::from_yaml(&text, "demo.yaml", &Directory(&playbooks_dir())).unwrap();
    assert_eq!(local.state, None);

    let shared_text = format!("{text}\nstate: s3://team-state/migrations/shop\n");
    let shared =
        Playbook::from_yaml(&shared_text, "shared.yaml", &Directory(&playbooks_dir())).unwrap();
    assert_eq!(
        shared.state.as_deref(),
        Some("s3://team-state/migrations/shop")
    );

    for bad in ["state: ./.migrate/shop", "state: s3:///shop"] {
        let broken = format!("{text}\n{bad}\n");
        let error =
            Playbook::from_yaml(&broken, "bad.yaml", &Directory(&playbooks_dir())).unwrap_err();
        assert_eq!(error.problems.len(), 1, "{error}");
        assert_eq!(error.problems[0].path, "state");
        assert!(
            error.problems[0].message.contains("s3://BUCKET/PREFIX"),
            "{error}"
        );
    }
}

#[test]
fn log_groups_are_kept_and_retention_is_checked_at_its_field() {
    let text = std::fs::read_to_string(playbooks_dir().join("demo.yaml")).unwrap();
    let playbook = Playbook::from_yaml(&text, "demo.yaml", &Directory(&playbooks_dir())).unwrap();
    assert_eq!(playbook.logs.retention_days, 30);
    let web = playbook.target.web().unwrap();
    assert!(!web.log_groups.is_empty());
    let groups_in_definition: Vec<&str> = web.task_definition["containerDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["logConfiguration"]["options"]["awslogs-group"].as_str())
        .collect();
    for group in &groups_in_definition {
        assert!(web.log_groups.iter().any(|g| g == group), "{group}");
    }

    let without = text.replace("logs:\n  retention_days: 30\n", "");
    assert_ne!(without, text);
    let defaulted =
        Playbook::from_yaml(&without, "demo.yaml", &Directory(&playbooks_dir())).unwrap();
    assert_eq!(defaulted.logs.retention_days, 30);

    let seven = text.replace("retention_days: 30", "retention_days: 7");
    let kept = Playbook::from_yaml(&seven, "demo.yaml", &Directory(&playbooks_dir())).unwrap();
    assert_eq!(kept.logs.retention_days, 7);

    let broken = text.replace("retention_days: 30", "retention_days: 31");
    let error = Playbook::from_yaml(&broken, "bad.yaml", &Directory(&playbooks_dir())).unwrap_err();
    assert_eq!(error.problems.len(), 1, "{error}");
    assert_eq!(error.problems[0].path, "logs.retention_days");
    assert!(error.problems[0].message.contains("30, 60"), "{error}");
    let line = broken
        .lines()
        .position(|l| l.contains("retention_days: 31"))
        .unwrap()
        + 1;
    assert_eq!(error.problems[0].position.unwrap().line, line);
}

/// The demo playbook with its web service's `scaling` block replaced by `scaling` (YAML lines
/// at the service's indentation, or nothing) and `replace` → `with` applied.
fn demo_with(
    scaling: &str,
    replace: &str,
    with: &str,
) -> Result<Playbook, migrate_playbook::PlaybookError> {
    let text = std::fs::read_to_string(playbooks_dir().join("demo.yaml")).unwrap();
    let block = "      scaling:\n        max_count: 8\n        cpu_target: from-old-side\n";
    assert!(
        text.contains(block),
        "the demo playbook no longer has its scaling block"
    );
    let changed = text.replace(block, scaling).replace(replace, with);
    Playbook::from_yaml(&changed, "demo.yaml", &Directory(&playbooks_dir()))
}

#[test]
fn a_web_service_scales_by_default_from_its_desired_count_and_a_worker_does_not() {
    let playbook = demo_with("", "      desired_count: 2\n", "      desired_count: 3\n").unwrap();
    let web = &playbook.target.services[0];
    assert_eq!(web.desired_count, 3);
    assert_eq!(
        web.scaling,
        Some(migrate_playbook::Scaling {
            min_count: 3,
            max_count: 12,
            cpu_target: migrate_playbook::CpuTarget::FromOldSide,
        })
    );
    assert_eq!(playbook.target.services[1].scaling, None);
}

#[test]
fn scaling_settings_are_read_and_their_mistakes_named() {
    let playbook = demo_with("      scaling: { max_count: 6, cpu_target: 55 }\n", "", "").unwrap();
    let scaling = playbook.target.services[0].scaling.clone().unwrap();
    assert_eq!(scaling.max_count, 6);
    assert_eq!(scaling.cpu_target, migrate_playbook::CpuTarget::Percent(55));

    let off = demo_with("      scaling: { enabled: false }\n", "", "").unwrap();
    assert_eq!(off.target.services[0].scaling, None);

    let error = demo_with(
        "      scaling: { max_count: 1, cpu_target: 95, burst: 2 }\n",
        "",
        "",
    )
    .unwrap_err();
    let found: Vec<(&str, &str)> = error
        .problems
        .iter()
        .map(|p| (p.path.as_str(), p.message.as_str()))
        .collect();
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(
        found.iter().any(|(p, _)| p.ends_with("scaling.burst")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(p, m)| p.ends_with("scaling.cpu_target") && m.contains("10–90")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(p, m)| p.ends_with("scaling.max_count") && m.contains("below desired_count 2")),
        "{found:?}"
    );

    let word = demo_with("      scaling: { cpu_target: sometimes }\n", "", "").unwrap_err();
    assert!(
        word.problems[0]
            .message
            .contains("`sometimes` is not a CPU target"),
        "{word}"
    );
}

#[test]
fn the_cleanup_soak_defaults_to_a_week_and_is_checked_at_its_field() {
    let text = std::fs::read_to_string(playbooks_dir().join("demo.yaml")).unwrap();
    let playbook = Playbook::from_yaml(&text, "demo.yaml", &Directory(&playbooks_dir())).unwrap();
    assert_eq!(playbook.cleanup.soak, Duration::from_secs(7 * 24 * 3600));

    let without = text.replace("cleanup:\n  soak: 7d\n", "");
    assert_ne!(without, text);
    let defaulted =
        Playbook::from_yaml(&without, "demo.yaml", &Directory(&playbooks_dir())).unwrap();
    assert_eq!(defaulted.cleanup.soak, playbook.cleanup.soak);
    let shorter = text.replace("soak: 7d", "soak: 2h");
    let shorter = Playbook::from_yaml(&shorter, "demo.yaml", &Directory(&playbooks_dir())).unwrap();
    assert_eq!(shorter.cleanup.soak, Duration::from_secs(7200));

    let broken = text.replace("soak: 7d", "soak: a week");
    let error = Playbook::from_yaml(&broken, "bad.yaml", &Directory(&playbooks_dir())).unwrap_err();
    assert_eq!(error.problems.len(), 1, "{error}");
    assert_eq!(error.problems[0].path, "cleanup.soak");
    let typo = text.replace("soak: 7d", "soak: 7d\n  soka: 1d");
    let error = Playbook::from_yaml(&typo, "bad.yaml", &Directory(&playbooks_dir())).unwrap_err();
    assert!(error.to_string().contains("soka"), "{error}");
}

#[test]
fn the_cleanup_ecr_repository_is_a_name_checked_at_its_field() {
    let text = std::fs::read_to_string(playbooks_dir().join("demo.yaml")).unwrap();
    let named = text.replace("soak: 7d", "soak: 7d\n  ecr_repository: shop/legacy-web");
    let playbook = Playbook::from_yaml(&named, "demo.yaml", &Directory(&playbooks_dir())).unwrap();
    assert_eq!(
        playbook.cleanup.ecr_repository.as_deref(),
        Some("shop/legacy-web")
    );
    let uri = text.replace(
        "soak: 7d",
        "soak: 7d\n  ecr_repository: 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/shop",
    );
    let error = Playbook::from_yaml(&uri, "bad.yaml", &Directory(&playbooks_dir())).unwrap_err();
    assert_eq!(error.problems.len(), 1, "{error}");
    assert_eq!(error.problems[0].path, "cleanup.ecr_repository");
    assert!(error.to_string().contains("not the URI"), "{error}");
}

#[test]
fn a_beanstalk_dockerrun_is_translated_as_the_task_definition() {
    let playbook = Playbook::from_path(&playbooks_dir().join("beanstalk.yaml")).unwrap();
    let web = &playbook.target.services[0];
    let definition = &web.task_definition;
    assert_eq!(definition["networkMode"], "awsvpc", "{definition}");
    assert_eq!(
        definition["requiresCompatibilities"],
        serde_json::json!(["FARGATE"])
    );
    let containers: Vec<&str> = definition["containerDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(containers, ["php-fpm", "web"]);
    // The change list says it came from a Dockerrun file, and the Beanstalk-only log volume and
    // the links are gone.
    let changes = web.task_definition_changes.join("\n");
    assert!(
        changes.contains("TD000") && changes.contains("Dockerrun"),
        "{changes}"
    );
    assert!(
        !definition.to_string().contains("awseb-logs-web"),
        "{definition}"
    );
    assert!(definition["containerDefinitions"][1].get("links").is_none());
}

#[test]
fn a_broken_dockerrun_is_a_problem_at_its_field() {
    let dir = std::env::temp_dir().join(format!("migrate-dockerrun-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("taskdefs")).unwrap();
    std::fs::write(
        dir.join("taskdefs/Dockerrun.aws.json"),
        r#"{"AWSEBDockerrunVersion": 1, "containerDefinitions": [{"name": "web", "image": "nginx"}]}"#,
    )
    .unwrap();
    let text = std::fs::read_to_string(playbooks_dir().join("beanstalk.yaml")).unwrap();
    let error = Playbook::from_yaml(&text, "beanstalk.yaml", &Directory(&dir)).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        error.problems[0].path, "target.services[0].task_definition",
        "{error}"
    );
}

#[test]
fn acknowledged_load_balancer_parts_are_read_and_a_malformed_or_repeated_one_is_located() {
    let text = std::fs::read_to_string(playbooks_dir().join("demo.yaml")).unwrap();
    let good = text.replace(
        "    acknowledge: []",
        "    acknowledge:\n      - HTTPS:443 rule 10\n      - HTTP:80 default",
    );
    assert_ne!(good, text);
    let playbook = Playbook::from_yaml(&good, "ack.yaml", &Directory(&playbooks_dir())).unwrap();
    assert_eq!(
        playbook.target.load_balancer.acknowledge,
        vec![
            "HTTPS:443 rule 10".to_string(),
            "HTTP:80 default".to_string()
        ]
    );
    let broken = text.replace(
        "    acknowledge: []",
        "    acknowledge:\n      - HTTPS:443 rule 10\n      - the redirect\n      - HTTPS:443 rule 10",
    );
    let error = Playbook::from_yaml(&broken, "ack.yaml", &Directory(&playbooks_dir())).unwrap_err();
    let paths: Vec<&str> = error.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "target.load_balancer.acknowledge[1]",
            "target.load_balancer.acknowledge[2]"
        ],
        "{error}"
    );
    assert!(
        error.problems[0].message.contains("`the redirect`"),
        "{error}"
    );
    assert!(error.problems[1].message.contains("twice"), "{error}");
}

#[test]
fn an_ec2_source_checks_its_instance_ids_and_keeps_plan_ids_of_other_kinds() {
    let text = std::fs::read_to_string(playbooks_dir().join("ec2.yaml")).unwrap();
    let playbook = Playbook::from_yaml(&text, "ec2.yaml", &Directory(&playbooks_dir())).unwrap();
    assert_eq!(playbook.source.kind, migrate_playbook::SourceKind::Ec2);
    assert_eq!(
        playbook.source.instances,
        ["i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002"]
    );
    assert!(playbook.scale_down.old_instances);

    let listed = "instances: [i-0a1b2c3d4e5f60001, i-0a1b2c3d4e5f60002]";
    for (bad, expected) in [
        (
            "instances: [web-1, i-0a1b2c3d4e5f60002]",
            "not an EC2 instance id",
        ),
        (
            "instances: [i-0a1b2c3d4e5f60002, i-0a1b2c3d4e5f60002]",
            "listed twice",
        ),
    ] {
        let broken = text.replace(listed, bad);
        let error =
            Playbook::from_yaml(&broken, "bad.yaml", &Directory(&playbooks_dir())).unwrap_err();
        assert_eq!(error.problems.len(), 1, "{error}");
        assert!(
            error.problems[0].path.starts_with("source.ec2.instances["),
            "{error}"
        );
        assert!(error.problems[0].message.contains(expected), "{error}");
    }

    // The ec2 block belongs to an ec2 source only, and so does stopping instances.
    let demo = std::fs::read_to_string(playbooks_dir().join("demo.yaml")).unwrap();
    let with_stop =
        format!("{demo}\n").replace("scale_down:\n", "scale_down:\n  old_instances: true\n");
    assert_ne!(with_stop, format!("{demo}\n"));
    let error =
        Playbook::from_yaml(&with_stop, "demo.yaml", &Directory(&playbooks_dir())).unwrap_err();
    assert_eq!(
        error.problems[0].path, "scale_down.old_instances",
        "{error}"
    );

    // A playbook that says nothing of instances serialises as it did before they existed, so
    // its plan id is unchanged.
    let plain = Playbook::from_yaml(&demo, "demo.yaml", &Directory(&playbooks_dir())).unwrap();
    let json = serde_json::to_value(&plain).unwrap();
    assert!(json["source"].get("instances").is_none(), "{json}");
    assert!(json["scale_down"].get("old_instances").is_none(), "{json}");
}

#[test]
fn the_listener_strategy_is_read_and_refused_for_a_beanstalk_source() {
    let listener = "  strategy: listener\n  steps: [10, 100]\n  bake: 90s\n";
    let demo = std::fs::read_to_string(playbooks_dir().join("demo.yaml"))
        .unwrap()
        .replace("  strategy: alias\n", listener);
    let playbook = Playbook::from_yaml(&demo, "demo.yaml", &Directory(&playbooks_dir())).unwrap();
    assert_eq!(
        playbook.cutover.strategy,
        migrate_playbook::CutoverStrategy::Listener {
            steps: vec![10, 100],
            bake: Duration::from_secs(90),
        }
    );

    let broken = demo.replace("steps: [10, 100]", "steps: [50, 10]");
    let error =
        Playbook::from_yaml(&broken, "demo.yaml", &Directory(&playbooks_dir())).unwrap_err();
    assert_eq!(error.problems[0].path, "cutover.steps", "{error}");

    let beanstalk = std::fs::read_to_string(playbooks_dir().join("beanstalk.yaml")).unwrap();
    assert!(
        beanstalk.contains("  strategy: alias\n"),
        "the example changed"
    );
    let beanstalk = beanstalk.replace("  strategy: alias\n", listener);
    let error = Playbook::from_yaml(&beanstalk, "beanstalk.yaml", &Directory(&playbooks_dir()))
        .unwrap_err();
    assert_eq!(error.problems.len(), 1, "{error}");
    assert_eq!(error.problems[0].path, "cutover.strategy", "{error}");
    assert!(
        error.problems[0].message.contains("Elastic Beanstalk owns"),
        "{error}"
    );
}

#[test]
fn the_connection_budget_fields_are_read_and_a_zero_limit_is_located() {
    let demo = std::fs::read_to_string(playbooks_dir().join("demo.yaml")).unwrap();
    assert!(
        demo.contains("      security_group: sg-0a1b2c3d4e5f6aaaa\n"),
        "the example changed"
    );
    assert!(
        demo.contains("      desired_count: 1\n"),
        "the example changed"
    );
    let with_budget = demo
        .replace(
            "      security_group: sg-0a1b2c3d4e5f6aaaa\n",
            "      security_group: sg-0a1b2c3d4e5f6aaaa\n      max_connections: 500\n",
        )
        .replace(
            "      desired_count: 1\n",
            "      desired_count: 1\n      connections_per_task: 10\n",
        )
        .replace(
            "  load_balancer: shop-old-alb\n",
            "  load_balancer: shop-old-alb\n  connections_per_instance: 25\n",
        );
    let playbook =
        Playbook::from_yaml(&with_budget, "demo.yaml", &Directory(&playbooks_dir())).unwrap();
    assert_eq!(playbook.network.data_stores[0].max_connections, Some(500));
    assert_eq!(playbook.source.connections_per_instance, Some(25));
    let worker = playbook
        .target
        .services
        .iter()
        .find(|s| s.name == "worker")
        .unwrap();
    assert_eq!(worker.connections_per_task, Some(10));

    let zero = with_budget.replace("max_connections: 500", "max_connections: 0");
    let error = Playbook::from_yaml(&zero, "demo.yaml", &Directory(&playbooks_dir())).unwrap_err();
    assert_eq!(
        error.problems[0].path, "network.data_stores[0].max_connections",
        "{error}"
    );
}

#[test]
fn the_guard_defaults_are_the_demo_section_and_each_limit_is_checked_at_its_field() {
    let text = std::fs::read_to_string(playbooks_dir().join("demo.yaml")).unwrap();
    let dir = Directory(&playbooks_dir());
    let playbook = Playbook::from_yaml(&text, "demo.yaml", &dir).unwrap();
    // The demo spells out the defaults, so the section changes neither the plan nor its id.
    assert!(playbook.guard.is_default(), "{:?}", playbook.guard);
    let start = text.find("guard:\n").unwrap();
    let end = start + text[start..].find("\n\n").unwrap();
    let without = format!("{}{}", &text[..start], &text[end..]);
    let defaulted = Playbook::from_yaml(&without, "demo.yaml", &dir).unwrap();
    assert_eq!(defaulted.guard, playbook.guard);

    let topic = "arn:aws:sns:ap-northeast-1:123456789012:oncall";
    let named = text.replace(
        "  # alarm_topic: arn:aws:sns:ap-northeast-1:123456789012:oncall",
        &format!("  alarm_topic: {topic}"),
    );
    let with_topic = Playbook::from_yaml(&named, "demo.yaml", &dir).unwrap();
    assert_eq!(with_topic.guard.alarm_topic.as_deref(), Some(topic));

    for (from, to, path, words) in [
        (
            "max_5xx_percent: 1",
            "max_5xx_percent: 0",
            "guard.max_5xx_percent",
            "percentage",
        ),
        (
            "response_time_factor: 3",
            "response_time_factor: 1",
            "guard.response_time_factor",
            "noise",
        ),
        ("periods: 2", "periods: 0", "guard.periods", "1–10"),
        ("watch: 5m", "watch: 2d", "guard.watch", "longer than a day"),
        (
            "  # alarm_topic: arn:aws:sns:ap-northeast-1:123456789012:oncall",
            "  alarm_topic: arn:aws:sns:eu-west-1:123456789012:oncall",
            "guard.alarm_topic",
            "its own region",
        ),
    ] {
        let broken = text.replace(from, to);
        assert_ne!(broken, text, "{from}");
        let error = Playbook::from_yaml(&broken, "bad.yaml", &dir).unwrap_err();
        assert_eq!(error.problems.len(), 1, "{error}");
        assert_eq!(error.problems[0].path, path, "{error}");
        assert!(error.to_string().contains(words), "{error}");
    }
    let typo = text.replace("periods: 2", "periods: 2\n  perods: 3");
    let error = Playbook::from_yaml(&typo, "bad.yaml", &dir).unwrap_err();
    assert!(error.to_string().contains("perods"), "{error}");
}
