//! What real projects write, each with a case that uses the leniency and a near miss that must still
//! be refused or left alone.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use migrate_taskdef::{translate, Finding, SourceDocument, TranslateOptions, Translation};
use serde_json::json;

fn options() -> TranslateOptions {
    TranslateOptions {
        region: Some("eu-west-1".into()),
        execution_role_arn: Some("arn:aws:iam::123456789012:role/ecsTaskExecutionRole".into()),
        ..TranslateOptions::default()
    }
}

fn run(origin: &str, text: &str) -> Result<Translation, String> {
    translate(&SourceDocument::new(origin, text), &options()).map_err(|e| e.to_string())
}

fn warned<'a>(t: &'a Translation, needle: &str) -> Option<&'a Finding> {
    t.findings.iter().find(|f| f.message.contains(needle))
}

fn container(port: &serde_json::Value, env_value: &serde_json::Value) -> String {
    json!({
        "family": "web",
        "containerDefinitions": [{
            "name": "web", "image": "nginx:1.25", "memory": 256,
            "portMappings": [{ "containerPort": port }],
            "environment": [{ "name": "PORT", "value": env_value }]
        }]
    })
    .to_string()
}

#[test]
fn numbers_written_as_strings_are_converted_with_a_warning() {
    let t = run("td.json", &container(&json!("8080"), &json!("8080"))).unwrap();
    let out = &t.task_definition["containerDefinitions"][0];
    assert_eq!(out["portMappings"][0]["containerPort"], 8080);
    let w = warned(&t, "containerPort is the string \"8080\"").expect("warned");
    assert_eq!(
        w.location.path.as_deref(),
        Some("$.containerDefinitions[0].portMappings[0].containerPort")
    );
    // Near miss: a number is not warned about.
    let t = run("td.json", &container(&json!(8080), &json!("8080"))).unwrap();
    assert!(warned(&t, "is the string").is_none());
}

#[test]
fn a_placeholder_where_a_number_must_be_is_refused_at_its_path() {
    let err = run("td.json", &container(&json!("{{PORT}}"), &json!("x"))).unwrap_err();
    assert!(
        err.contains(
            "$.containerDefinitions[0].portMappings[0].containerPort: `{{PORT}}` is not a number"
        ),
        "{err}"
    );
    assert!(err.contains("placeholder"), "{err}");
    // Near miss: a word that is not a template is refused without the placeholder hint.
    let err = run("td.json", &container(&json!("http"), &json!("x"))).unwrap_err();
    assert!(!err.contains("placeholder"), "{err}");
}

#[test]
fn environment_values_written_as_numbers_become_strings() {
    let t = run("td.json", &container(&json!(80), &json!(8080))).unwrap();
    assert_eq!(
        t.task_definition["containerDefinitions"][0]["environment"][0]["value"],
        "8080"
    );
    assert!(warned(&t, "the value of `PORT` is 8080").is_some());
    let t = run("td.json", &container(&json!(80), &json!("8080"))).unwrap();
    assert!(warned(&t, "the value of `PORT`").is_none());
}

#[test]
fn describe_output_with_null_fields_is_read_as_unset() {
    let text = json!({"taskDefinition": {
        "family": "web", "taskRoleArn": null, "volumes": null, "placementConstraints": null,
        "containerDefinitions": [{"name": "web", "image": "nginx:1.25", "memory": 256,
            "links": null, "command": null, "portMappings": [{"containerPort": 80, "hostPort": null}]}]
    }})
    .to_string();
    let t = run("td.json", &text).unwrap();
    let mapping = &t.task_definition["containerDefinitions"][0]["portMappings"][0];
    assert_eq!(mapping["containerPort"], 80);
    assert!(
        mapping["hostPort"].is_null() || mapping["hostPort"] == 80,
        "{mapping}"
    );
    assert!(
        !migrate_taskdef::has_errors(&t.findings),
        "{:#?}",
        t.findings
    );
    // Near miss: null where a value is required is still refused, at its path.
    let text = json!({"containerDefinitions": [{"name": null, "image": "nginx"}]}).to_string();
    let err = run("td.json", &text).unwrap_err();
    assert!(err.contains("$.containerDefinitions[0]"), "{err}");
}

#[test]
fn unknown_dockerrun_keys_are_warned_and_ignored_as_beanstalk_does() {
    let base = json!({"AWSEBDockerrunVersion": 2, "containerDefinitions": [
        {"name": "web", "image": "nginx:1.25", "memory": 128, "portMappings": [{"hostPort": 80, "containerPort": 80}]}]});
    let mut with_note = base.clone();
    with_note["_comment"] = json!("deployed by CI");
    let t = run("Dockerrun.aws.json", &with_note.to_string()).unwrap();
    let w = warned(&t, "`_comment` is not a Dockerrun v2 key").expect("warned");
    assert_eq!(w.location.path.as_deref(), Some("$._comment"));
    let t = run("Dockerrun.aws.json", &base.to_string()).unwrap();
    assert!(warned(&t, "is not a Dockerrun v2 key").is_none());
    // Near miss: an unknown key inside a container definition is an error ECS would give too.
    let mut typo = base;
    typo["containerDefinitions"][0]["portMapping"] = json!([]);
    let err = run("Dockerrun.aws.json", &typo.to_string()).unwrap_err();
    assert!(err.contains("$.containerDefinitions[0]"), "{err}");
    assert!(err.contains("unknown field `portMapping`"), "{err}");
}

#[test]
fn compose_extension_fields_and_merge_keys_are_read() {
    let text = "x-env: &env\n  DB_HOST: db\nx-common: &common\n  restart: always\n  x-note: ignored\nservices:\n  web:\n    <<: *common\n    image: nginx:1.25\n    environment:\n      <<: *env\n      MODE: prod\n  db:\n    image: postgres:16\n";
    let t = run("docker-compose.yml", text).unwrap();
    let env = &t.task_definition["containerDefinitions"][0]["environment"];
    assert!(
        env.as_array()
            .unwrap()
            .iter()
            .any(|kv| kv["name"] == "DB_HOST" && kv["value"] == "127.0.0.1"),
        "{env}"
    );
    // Near miss: a misspelt key without the `x-` prefix is still refused, at its path.
    let err = run(
        "docker-compose.yml",
        "services:\n  web:\n    image: nginx\n    xnote: 1\n",
    )
    .unwrap_err();
    assert!(err.contains("unknown field `xnote`"), "{err}");
}

#[test]
fn compose_format_1_without_services_is_read_or_explained() {
    let t = run(
        "docker-compose.yml",
        "web:\n  image: nginx:1.25\n  links:\n    - db\ndb:\n  image: postgres:16\n",
    )
    .unwrap();
    assert_eq!(
        t.task_definition["containerDefinitions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(t
        .changes
        .iter()
        .any(|c| c.change.contains("compose file format 1")));
    // Near miss: top-level keys that are not services.
    let err = run(
        "docker-compose.yml",
        "web:\n  image: nginx\nsettings:\n  debug: true\n",
    )
    .unwrap_err();
    assert!(err.contains("no `services:` key"), "{err}");
}

#[test]
fn compose_variables_with_defaults_take_them_and_the_rest_are_listed() {
    let text = "services:\n  web:\n    image: nginx:${TAG:-1.25}\n    ports: [\"${PORT:-8080}:80\"]\n    environment:\n      KEY: ${SECRET}\n";
    let t = run("docker-compose.yml", text).unwrap();
    assert_eq!(
        t.task_definition["containerDefinitions"][0]["image"],
        "nginx:1.25"
    );
    assert!(warned(&t, "read as their defaults").is_some_and(|f| f.message.contains("PORT, TAG")));
    assert!(warned(&t, "left as written").is_some_and(|f| f.message.contains("SECRET")));
    let t = run(
        "docker-compose.yml",
        "services:\n  web:\n    image: nginx:1.25\n",
    )
    .unwrap();
    assert!(warned(&t, "read as their defaults").is_none());
}

#[test]
fn the_wordpress_database_name_user_and_password_are_not_rewritten() {
    let text = "services:\n  db:\n    image: mysql:8.0\n    environment:\n      MYSQL_DATABASE: wordpress\n      MYSQL_USER: wordpress\n      MYSQL_PASSWORD: wordpress\n  wordpress:\n    image: wordpress:6\n    environment:\n      WORDPRESS_DB_HOST: db:3306\n      WORDPRESS_DB_USER: wordpress\n      WORDPRESS_DB_PASSWORD: wordpress\n      WORDPRESS_DB_NAME: wordpress\n";
    let t = run("docker-compose.yml", text).unwrap();
    let containers = t.task_definition["containerDefinitions"]
        .as_array()
        .unwrap();
    for c in containers {
        for kv in c["environment"].as_array().unwrap() {
            if kv["name"] == "WORDPRESS_DB_HOST" {
                assert_eq!(kv["value"], "127.0.0.1:3306");
            } else {
                assert_eq!(kv["value"], "wordpress", "{kv}");
            }
        }
    }
    let rewrites: Vec<&str> = t
        .changes
        .iter()
        .filter(|c| {
            c.rule == "TD008"
                && c.location
                    .path
                    .as_deref()
                    .is_some_and(|p| p.contains("environment"))
        })
        .map(|c| c.change.as_str())
        .collect();
    assert_eq!(
        rewrites,
        ["container `wordpress`: `WORDPRESS_DB_HOST`: host `db` -> 127.0.0.1"]
    );
}

#[test]
fn sizes_come_from_known_images_when_nothing_is_declared_and_say_so() {
    let text = "services:\n  web:\n    image: nginx:1.25\n  db:\n    image: mysql:8.0\n  cache:\n    image: redis:7\n";
    let t = run("docker-compose.yml", text).unwrap();
    let memory: u32 = t.task_definition["memory"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(memory >= 64 + 512 + 128, "{memory}");
    assert!(
        t.findings
            .iter()
            .filter(|f| f.message.starts_with("GUESSED"))
            .count()
            == 3
    );
    // Near miss: declared memory is used as is, with no guess.
    let text = "services:\n  web:\n    image: nginx:1.25\n    mem_reservation: 128m\n  db:\n    image: mysql:8.0\n    mem_reservation: 1g\n";
    let t = run("docker-compose.yml", text).unwrap();
    assert!(!t.findings.iter().any(|f| f.message.starts_with("GUESSED")));
    assert_eq!(t.task_definition["memory"], "2048");
}

#[test]
fn dockerrun_v1_becomes_one_container_or_names_what_is_missing() {
    let text = r#"{"AWSEBDockerrunVersion": "1", "Image": {"Name": "nginx:1.25", "Update": "true"},
        "Ports": [{"ContainerPort": "8080", "HostPort": 80}], "Logging": "/var/log/nginx",
        "Volumes": [{"HostDirectory": "/var/app/current/static", "ContainerDirectory": "/srv/static"}]}"#;
    let t = run("Dockerrun.aws.json", text).unwrap();
    let c = &t.task_definition["containerDefinitions"][0];
    assert_eq!(c["name"], "app");
    assert_eq!(c["image"], "nginx:1.25");
    assert_eq!(c["portMappings"][0]["containerPort"], 8080);
    assert_eq!(c["portMappings"][0]["hostPort"], 8080);
    assert!(warned(&t, "`Logging` (/var/log/nginx)").is_some());
    assert!(
        !migrate_taskdef::has_errors(&t.findings),
        "{:#?}",
        t.findings
    );
    // Near misses: a placeholder port is refused at its path; no image is an error that says why.
    let err = run(
        "Dockerrun.aws.json",
        r#"{"AWSEBDockerrunVersion": 1, "Image": {"Name": "x"}, "Ports": [{"ContainerPort": "{{PORT}}"}]}"#,
    )
    .unwrap_err();
    assert!(err.contains("$.Ports[0].ContainerPort"), "{err}");
    let t = run(
        "Dockerrun.aws.json",
        r#"{"AWSEBDockerrunVersion": "1", "Ports": [{"ContainerPort": 80}]}"#,
    )
    .unwrap();
    assert!(warned(&t, "Beanstalk built the image from the Dockerfile").is_some());
}
