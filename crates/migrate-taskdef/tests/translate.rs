//! Translation of Dockerrun v2 and compose sources, and the options of the translation: secrets from
//! a `.env` file, EFS, size overrides, log groups, nginx configurations.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use migrate_taskdef::{
    envfile, has_errors, translate, EfsVolume, SecretsFromEnvFile, SourceDocument, SourceKind,
    TaskdefError, TextFile, TranslateOptions, Translation,
};
use serde_json::json;

fn fixture_text(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(path).expect("fixture exists")
}

fn run(name: &str, options: &TranslateOptions) -> Result<Translation, TaskdefError> {
    translate(&SourceDocument::new(name, fixture_text(name)), options)
}

fn laravel_secrets(containers: Vec<String>) -> SecretsFromEnvFile {
    SecretsFromEnvFile {
        origin: "laravel.env".into(),
        keys: envfile::keys("laravel.env", &fixture_text("laravel.env")).unwrap(),
        secret_arn: "arn:aws:secretsmanager:ap-northeast-1:111122223333:secret:laravel-AbCdEf"
            .into(),
        containers,
    }
}

#[test]
fn dockerrun_v2_with_env_file_secrets() {
    let options = TranslateOptions {
        secrets: Some(laravel_secrets(vec!["app".into(), "worker".into()])),
        ..TranslateOptions::default()
    };
    let t = run("Dockerrun.aws.json", &options).unwrap();
    assert_eq!(t.source_kind, SourceKind::Dockerrun);
    assert!(!has_errors(&t.findings), "{:#?}", t.findings);
    let td = &t.task_definition;
    let app = &td["containerDefinitions"][0];
    // The secret is referenced, its inline copy removed, and no value appears anywhere.
    assert_eq!(
        app["secrets"][1],
        json!({ "name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:ap-northeast-1:111122223333:secret:laravel-AbCdEf:DB_PASSWORD::" })
    );
    assert_eq!(
        app["environment"],
        json!([{ "name": "APP_ENV", "value": "production" }])
    );
    let everything = format!("{} {:?} {:?}", td, t.changes, t.findings);
    for value in ["correct-horse-battery", "mail-secret-123", "c2VjcmV0"] {
        assert!(!everything.contains(value), "{value} leaked");
    }
    // The web container is not in --secrets-container and gets none.
    assert!(td["containerDefinitions"][2].get("secrets").is_none());
    // The Beanstalk log mounts are gone, the link became loopback, the host volume task-scoped.
    assert_eq!(app["mountPoints"].as_array().unwrap().len(), 1);
    assert!(td["containerDefinitions"][2].get("links").is_none());
    assert_eq!(td["volumes"], json!([{ "name": "laravel" }]));
    // 512 + 256 + 128 MiB of hard limits and no cpu -> the smallest pair holding 896 MiB.
    assert_eq!(
        (td["cpu"].as_str(), td["memory"].as_str()),
        (Some("256"), Some("1024"))
    );
    insta::assert_json_snapshot!("dockerrun_task_definition", td);
    insta::assert_yaml_snapshot!("dockerrun_changes", t.changes);
}

#[test]
fn an_inline_secret_is_flagged_masked_when_no_env_file_replaces_it() {
    let t = run("Dockerrun.aws.json", &TranslateOptions::default()).unwrap();
    let flagged: Vec<_> = t.findings.iter().filter(|f| f.rule == "TD018").collect();
    assert_eq!(flagged.len(), 1, "{:#?}", t.findings);
    assert!(
        flagged[0].message.contains("co******"),
        "{}",
        flagged[0].message
    );
    assert!(!format!("{:?}", t.findings).contains("correct-horse-battery"));
}

#[test]
fn secret_arns_are_validated() {
    let mut secrets = laravel_secrets(vec![]);
    secrets.secret_arn = "arn:aws:ssm:ap-northeast-1:111122223333:parameter/x".into();
    let options = TranslateOptions {
        secrets: Some(secrets),
        ..TranslateOptions::default()
    };
    let err = run("Dockerrun.aws.json", &options).unwrap_err().to_string();
    assert!(err.contains("not a Secrets Manager secret ARN"), "{err}");

    let options = TranslateOptions {
        secrets: Some(laravel_secrets(vec!["nope".into()])),
        ..TranslateOptions::default()
    };
    let err = run("Dockerrun.aws.json", &options).unwrap_err().to_string();
    assert!(err.contains("`nope` is not a container"), "{err}");
}

#[test]
fn compose_services_become_one_task() {
    let t = run("docker-compose.yml", &TranslateOptions::default()).unwrap();
    assert_eq!(t.source_kind, SourceKind::Compose);
    let td = &t.task_definition;
    assert_eq!(td["family"], "shop");
    let app = &td["containerDefinitions"][1];
    // Service names resolve in compose without links; on Fargate they are 127.0.0.1.
    assert_eq!(app["environment"][1]["value"], "redis://127.0.0.1:6379/0");
    // `db` is not a service of the file, so it is left alone; the password in the URL is flagged.
    assert!(app["environment"][0]["value"]
        .as_str()
        .unwrap()
        .contains("@db:5432"));
    assert!(t
        .findings
        .iter()
        .any(|f| f.rule == "TD018" && f.message.contains("DATABASE_URL")));
    assert_eq!(
        app["command"],
        json!(["bundle", "exec", "puma", "-b", "tcp://0.0.0.0:3000"])
    );
    assert_eq!(app["cpu"], 512);
    assert_eq!(app["memory"], 768);
    assert_eq!(app["healthCheck"]["interval"], 30);
    // "8080:80" published on 8080; Fargate exposes the container port.
    assert_eq!(
        td["containerDefinitions"][0]["portMappings"][0],
        json!({ "containerPort": 80, "hostPort": 80, "protocol": "tcp" })
    );
    assert_eq!(
        td["containerDefinitions"][0]["dependsOn"],
        json!([{ "containerName": "app", "condition": "START" }])
    );
    assert_eq!(
        td["containerDefinitions"][2]["ulimits"][0],
        json!({ "name": "nofile", "softLimit": 20000, "hardLimit": 40000 })
    );
    // The region and account come from the ECR image: awslogs and the execution role are complete.
    assert_eq!(
        td["containerDefinitions"][0]["logConfiguration"]["options"]["awslogs-region"],
        "eu-west-1"
    );
    assert_eq!(
        td["executionRoleArn"],
        "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
    );
    assert!(!has_errors(&t.findings), "{:#?}", t.findings);
    // The source conversion notes (TD000) are changes, with the reason.
    assert!(t
        .changes
        .iter()
        .any(|c| c.rule == "TD000" && c.change.contains("replicas 2")));
    insta::assert_json_snapshot!("compose_task_definition", td);
    insta::assert_yaml_snapshot!("compose_changes", t.changes);
}

#[test]
fn compose_without_a_known_region_cannot_complete_awslogs() {
    let text = "services:\n  web:\n    image: nginx\n";
    let t = translate(
        &SourceDocument::new("docker-compose.yml", text),
        &TranslateOptions::default(),
    )
    .unwrap();
    assert!(t.findings.iter().any(|f| f.rule == "TD019"
        && f.fix
            .as_deref()
            .is_some_and(|x| x.contains("awslogs-region"))));
    let options = TranslateOptions {
        region: Some("eu-west-1".into()),
        execution_role_arn: Some("arn:aws:iam::123456789012:role/exec".into()),
        ..TranslateOptions::default()
    };
    let t = translate(&SourceDocument::new("docker-compose.yml", text), &options).unwrap();
    assert!(!has_errors(&t.findings), "{:#?}", t.findings);
    assert_eq!(t.log_groups, vec!["/ecs/app".to_string()]);
}

#[test]
fn source_conversion_notes_fire_only_for_what_has_no_equivalent() {
    let with_secrets = "services:\n  web:\n    image: nginx\n    env_file: .env\n";
    let t = translate(
        &SourceDocument::new("docker-compose.yml", with_secrets),
        &TranslateOptions::default(),
    )
    .unwrap();
    assert!(t
        .findings
        .iter()
        .any(|f| f.rule == "TD000" && f.message.contains("env_file")));
    let plain = "services:\n  web:\n    image: nginx\n";
    let t = translate(
        &SourceDocument::new("docker-compose.yml", plain),
        &TranslateOptions::default(),
    )
    .unwrap();
    assert!(
        !t.findings.iter().any(|f| f.rule == "TD000"),
        "{:#?}",
        t.findings
    );
}

#[test]
fn compose_blockers_stay_errors() {
    let text = "services:\n  agent:\n    image: datadog/agent\n    privileged: true\n    devices: [\"/dev/fuse:/dev/fuse\"]\n    volumes: [\"/var/run/docker.sock:/var/run/docker.sock:ro\"]\n  web:\n    image: nginx\n    ports: [\"80\"]\n  admin:\n    image: nginx\n    ports: [\"80:80\"]\n";
    let options = TranslateOptions {
        region: Some("eu-west-1".into()),
        execution_role_arn: Some("arn:aws:iam::123456789012:role/exec".into()),
        ..TranslateOptions::default()
    };
    let t = translate(&SourceDocument::new("docker-compose.yml", text), &options).unwrap();
    let errors: Vec<&str> = t
        .findings
        .iter()
        .filter(|f| f.severity == migrate_taskdef::Severity::Error)
        .map(|f| f.rule)
        .collect();
    assert_eq!(
        errors,
        vec!["TD004", "TD010", "TD011", "TD012"],
        "{errors:?}"
    );
}

#[test]
fn log_group_reuse_is_an_error_and_a_new_group_is_not() {
    let options = TranslateOptions {
        log_group: Some("/ecs/web-app".into()),
        ..TranslateOptions::default()
    };
    let t = run("seed001-ec2.json", &options).unwrap();
    assert!(
        t.findings.iter().any(|f| f.rule == "TD020"),
        "{:#?}",
        t.findings
    );

    let options = TranslateOptions {
        log_group: Some("/ecs/web-app/fargate".into()),
        ..TranslateOptions::default()
    };
    let t = run("seed001-ec2.json", &options).unwrap();
    assert!(!t.findings.iter().any(|f| f.rule == "TD020"));
    assert_eq!(
        t.task_definition["containerDefinitions"][1]["logConfiguration"]["options"]
            ["awslogs-group"],
        "/ecs/web-app/fargate"
    );
}

#[test]
fn nginx_upstreams_fire_only_on_link_names_and_localhost() {
    let conf = "upstream appserver {\n    server localhost:4000;\n}\nserver {\n    location / { proxy_pass http://appserver; }\n}\n";
    let options = TranslateOptions {
        nginx_configs: vec![TextFile {
            origin: "nginx.conf".into(),
            text: conf.into(),
        }],
        ..TranslateOptions::default()
    };
    let t = run("seed004-fargate.json", &options).unwrap();
    let nginx: Vec<_> = t.changes.iter().filter(|c| c.rule == "TD027").collect();
    assert_eq!(nginx.len(), 1);
    assert!(nginx[0].reason.contains("[::1]"));
    assert!(t.rewritten_files[0].text.contains("server 127.0.0.1:4000;"));

    let clean = "server {\n    location / { proxy_pass http://127.0.0.1:4000; }\n}\n";
    let options = TranslateOptions {
        nginx_configs: vec![TextFile {
            origin: "nginx.conf".into(),
            text: clean.into(),
        }],
        ..TranslateOptions::default()
    };
    let t = run("seed004-fargate.json", &options).unwrap();
    assert!(!t.changes.iter().any(|c| c.rule == "TD027"));
    assert_eq!(t.rewritten_files[0].text, clean);
}

#[test]
fn efs_replaces_a_host_volume_and_names_the_security_group() {
    let options = TranslateOptions {
        efs: vec![EfsVolume {
            volume: "app-src".into(),
            file_system_id: "fs-0123".into(),
            root_directory: Some("/app".into()),
            security_group_id: Some("sg-efs".into()),
        }],
        ..TranslateOptions::default()
    };
    let t = run("seed001-ec2.json", &options).unwrap();
    assert_eq!(
        t.task_definition["volumes"][0],
        json!({ "name": "app-src", "efsVolumeConfiguration": { "fileSystemId": "fs-0123", "rootDirectory": "/app", "transitEncryption": "ENABLED" } })
    );
    assert_eq!(
        t.network_requirements[0].security_group_id.as_deref(),
        Some("sg-efs")
    );
    assert_eq!(t.network_requirements[0].port, 2049);
    assert!(t.findings.iter().any(|f| f.rule == "TD024"));
    assert!(!has_errors(&t.findings));

    let options = TranslateOptions {
        efs: vec![EfsVolume {
            volume: "nope".into(),
            file_system_id: "fs-1".into(),
            ..EfsVolume::default()
        }],
        ..TranslateOptions::default()
    };
    assert!(run("seed001-ec2.json", &options)
        .unwrap_err()
        .to_string()
        .contains("`nope`"));
}

#[test]
fn size_overrides_are_validated() {
    let ok = TranslateOptions {
        cpu: Some(1024),
        memory_mib: Some(3072),
        ..TranslateOptions::default()
    };
    let t = run("seed001-ec2.json", &ok).unwrap();
    assert_eq!(
        (
            t.task_definition["cpu"].as_str(),
            t.task_definition["memory"].as_str()
        ),
        (Some("1024"), Some("3072"))
    );

    let bad = TranslateOptions {
        cpu: Some(256),
        memory_mib: Some(4096),
        ..TranslateOptions::default()
    };
    let err = run("seed001-ec2.json", &bad).unwrap_err().to_string();
    assert!(err.contains("512, 1024, 2048 MiB"), "{err}");
    assert!(err.contains("--cpu 512 --memory 4096"), "{err}");

    let cpu_only = TranslateOptions {
        cpu: Some(2048),
        ..TranslateOptions::default()
    };
    let t = run("seed001-ec2.json", &cpu_only).unwrap();
    assert_eq!(t.task_definition["memory"], "4096");
}

#[test]
fn links_are_rewritten_in_environment_and_command() {
    let td = json!({
        "family": "x",
        "containerDefinitions": [
            { "name": "web", "image": "nginx", "links": ["app:backend"], "environment": [{ "name": "UPSTREAM", "value": "http://backend:4000" }] },
            { "name": "app", "image": "app", "command": ["--redis", "cache:6379", "--static", "/srv/app/static"], "links": ["cache"] },
            { "name": "cache", "image": "redis" }
        ]
    });
    let options = TranslateOptions {
        region: Some("eu-west-1".into()),
        execution_role_arn: Some("arn:aws:iam::123456789012:role/exec".into()),
        ..TranslateOptions::default()
    };
    let t = translate(&SourceDocument::new("td.json", td.to_string()), &options).unwrap();
    let out = &t.task_definition;
    assert_eq!(
        out["containerDefinitions"][0]["environment"][0]["value"],
        "http://127.0.0.1:4000"
    );
    assert_eq!(
        out["containerDefinitions"][1]["command"],
        json!(["--redis", "127.0.0.1:6379", "--static", "/srv/app/static"])
    );
    assert!(!has_errors(&t.findings), "{:#?}", t.findings);
}
