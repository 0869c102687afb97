//! Bad input gives one clear error with its position, never a panic.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use migrate_taskdef::{
    lint, translate, SourceDocument, SourceKind, TaskdefError, TranslateOptions,
};

fn translate_text(origin: &str, text: &str, kind: Option<SourceKind>) -> Result<(), TaskdefError> {
    let mut doc = SourceDocument::new(origin, text);
    doc.kind = kind;
    translate(&doc, &TranslateOptions::default()).map(|_| ())
}

fn message(result: Result<(), TaskdefError>) -> String {
    result.expect_err("the input is bad").to_string()
}

#[test]
fn malformed_json_names_file_line_and_column() {
    let text = "{\n  \"family\": \"web\",\n  \"containerDefinitions\": [\n    { \"name\": \"web\" \"image\": \"x\" }\n  ]\n}\n";
    let err = message(translate_text("td.json", text, None));
    assert!(err.starts_with("td.json:4:"), "{err}");
    assert!(err.contains("expected"), "{err}");
}

#[test]
fn unknown_fields_are_refused_with_their_position() {
    let text = "{\n  \"family\": \"web\",\n  \"containerDefinitions\": [\n    { \"name\": \"web\", \"image\": \"x\", \"portMapping\": [] }\n  ]\n}\n";
    let err = message(translate_text("td.json", text, None));
    assert!(err.starts_with("td.json:4:"), "{err}");
    assert!(err.contains("unknown field `portMapping`"), "{err}");
}

#[test]
fn wrong_types_are_refused_with_their_position() {
    let text = "{\n  \"containerDefinitions\": [\n    { \"name\": \"web\", \"image\": \"x\",\n      \"memory\": \"lots\" }\n  ]\n}\n";
    let err = message(translate_text("td.json", text, None));
    assert!(err.starts_with("td.json:4:"), "{err}");
    assert!(
        err.contains("$.containerDefinitions[0].memory: `lots` is not a number"),
        "{err}"
    );
    let text = "{\n  \"containerDefinitions\": [\n    { \"name\": \"web\", \"image\": \"x\",\n      \"essential\": 3 }\n  ]\n}\n";
    let err = message(translate_text("td.json", text, None));
    assert!(err.starts_with("td.json:4:"), "{err}");
    assert!(
        err.contains("$.containerDefinitions[0].essential: invalid type"),
        "{err}"
    );
}

#[test]
fn malformed_yaml_names_file_and_line() {
    let text = "services:\n  web:\n    image: nginx\n   ports: [80\n";
    let err = message(translate_text("docker-compose.yml", text, None));
    assert!(err.starts_with("docker-compose.yml:4:"), "{err}");
}

#[test]
fn unknown_compose_keys_are_refused_with_their_position() {
    let text = "services:\n  web:\n    image: nginx\n    port: [\"80:80\"]\n";
    let err = message(translate_text("docker-compose.yml", text, None));
    assert!(err.starts_with("docker-compose.yml:4:"), "{err}");
    assert!(err.contains("unknown field `port`"), "{err}");
}

#[test]
fn wrong_compose_types_are_refused_with_their_position() {
    let text = "services:\n  web:\n    image: nginx\n    privileged: sometimes\n";
    let err = message(translate_text("docker-compose.yml", text, None));
    assert!(err.starts_with("docker-compose.yml:4:"), "{err}");
}

#[test]
fn dockerrun_v1_and_empty_sources_are_explained() {
    let err = message(translate_text(
        "Dockerrun.aws.json",
        r#"{"AWSEBDockerrunVersion": "3", "Image": {"Name": "x"}}"#,
        None,
    ));
    assert!(
        err.contains("only versions 1 (one container) and 2"),
        "{err}"
    );
    let err = message(translate_text("td.json", r#"{"family": "x"}"#, None));
    assert_eq!(err, "td.json: the source defines no containers");
    let err = message(translate_text(
        "td.json",
        "[1, 2]",
        Some(SourceKind::EcsTaskDefinition),
    ));
    assert!(err.contains("must be a JSON object"), "{err}");
    let err = message(translate_text("td.json", "", None));
    assert!(err.starts_with("td.json:"), "{err}");
}

#[test]
fn lint_reports_parse_errors_the_same_way() {
    let err = lint("{\"family\": 3}", "td.json").unwrap_err().to_string();
    assert!(err.starts_with("td.json:1:"), "{err}");
    assert!(err.contains("invalid type"), "{err}");
}
