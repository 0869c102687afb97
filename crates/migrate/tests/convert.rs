//! `migrate convert` and `migrate lint` run as the real binary: exit codes, formats, files written.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../migrate-taskdef/tests/fixtures")
        .join(name)
}

fn fixtures_dir() -> String {
    fixture("").display().to_string()
}

/// Runs the binary with no AWS configuration in reach, so that nothing but the flags and the source
/// can decide the result.
fn migrate(args: &[&str], home: &Path) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_migrate"))
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .expect("the binary runs");
    (
        output.status.code().expect("an exit code"),
        String::from_utf8(output.stdout).expect("utf-8"),
        String::from_utf8(output.stderr).expect("utf-8"),
    )
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn convert_writes_the_task_definition_and_nginx_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("fargate.json");
    let (code, report, stderr) = migrate(
        &[
            "convert",
            path(&fixture("seed001-ec2.json")),
            "-o",
            path(&output),
            "--nginx-conf",
            path(&fixture("seed001-nginx.conf")),
            "--nginx-out-dir",
            path(dir.path()),
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{report}{stderr}");
    assert!(report.contains("[TD003] $.containerDefinitions[0].portMappings[0].hostPort: container `nginx`: hostPort 0 -> 80"), "{report}");
    assert!(report.contains("0 error(s)"), "{report}");
    let portable = report
        .replace(&dir.path().display().to_string(), "OUT")
        .replace(&fixtures_dir(), "fixtures/");
    insta::assert_snapshot!("convert_seed001_human", portable);
    let nginx = std::fs::read_to_string(dir.path().join("seed001-nginx.conf")).unwrap();
    assert!(nginx.contains("fastcgi_pass 127.0.0.1:9000;"));

    // The written definition passes `migrate lint`, in every format.
    let (code, text, _) = migrate(&["lint", path(&output)], dir.path());
    assert_eq!(code, 0, "{text}");
    let (_, json, _) = migrate(&["lint", path(&output), "--format", "json"], dir.path());
    let json: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["summary"]["errors"], 0);
    let (_, sarif, _) = migrate(&["lint", path(&output), "--format", "sarif"], dir.path());
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
}

#[test]
fn lint_of_the_source_exits_one_with_lines() {
    let home = tempfile::tempdir().unwrap();
    let source = fixture("seed001-ec2.json");
    let (code, text, _) = migrate(&["lint", path(&source)], home.path());
    assert_eq!(code, 1);
    // The describe-task-definition wrapper is looked through for lines.
    assert!(text.contains("error[TD003 host-port-mismatch]"), "{text}");
    assert!(
        text.contains("seed001-ec2.json:29 $.containerDefinitions[0].portMappings[0].hostPort"),
        "{text}"
    );

    let (code, sarif, _) = migrate(&["lint", path(&source), "--format", "sarif"], home.path());
    assert_eq!(code, 1);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let host_port = results.iter().find(|r| r["ruleId"] == "TD003").unwrap();
    assert_eq!(host_port["level"], "error");
    assert_eq!(
        host_port["locations"][0]["physicalLocation"]["region"]["startLine"],
        29
    );
    insta::assert_snapshot!(
        "lint_seed001_source_human",
        text.replace(&fixtures_dir(), "fixtures/")
    );
}

#[test]
fn convert_json_report_never_prints_secrets() {
    let home = tempfile::tempdir().unwrap();
    let (code, report, stderr) = migrate(
        &[
            "convert",
            path(&fixture("Dockerrun.aws.json")),
            "--format",
            "json",
            "--env-file",
            path(&fixture("laravel.env")),
            "--secret-arn",
            "arn:aws:secretsmanager:ap-northeast-1:111122223333:secret:laravel-AbCdEf",
        ],
        home.path(),
    );
    assert_eq!(code, 0, "{report}{stderr}");
    for secret in ["correct-horse-battery", "mail-secret-123", "c2VjcmV0c2Vj"] {
        assert!(!report.contains(secret), "{secret} printed");
        assert!(!stderr.contains(secret), "{secret} printed");
    }
    let report: Value = serde_json::from_str(&report).unwrap();
    assert_eq!(
        report["taskDefinition"]["requiresCompatibilities"][0],
        "FARGATE"
    );
    assert!(report["changes"].as_array().unwrap().len() > 5);
}

#[test]
fn convert_exits_one_when_errors_remain_and_fails_on_bad_options() {
    let dir = tempfile::tempdir().unwrap();
    let compose = dir.path().join("docker-compose.yml");
    std::fs::write(
        &compose,
        "services:\n  dind:\n    image: docker:dind\n    privileged: true\n",
    )
    .unwrap();
    let (code, report, _) = migrate(
        &["convert", path(&compose), "--region", "eu-west-1"],
        dir.path(),
    );
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("error[TD010 privileged]"), "{report}");

    let (code, _, stderr) = migrate(
        &[
            "convert",
            path(&compose),
            "--cpu",
            "256",
            "--memory",
            "3072",
        ],
        dir.path(),
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("not a Fargate size"), "{stderr}");

    let missing = dir.path().join("missing.json");
    let (code, _, stderr) = migrate(&["convert", path(&missing)], dir.path());
    assert_eq!(code, 1);
    assert!(
        stderr.contains("missing.json: cannot read the file"),
        "{stderr}"
    );
}

#[test]
fn the_awslogs_region_comes_from_the_aws_configuration_or_the_error_names_the_flag() {
    let home = tempfile::tempdir().unwrap();
    let compose = home.path().join("docker-compose.yml");
    std::fs::write(
        &compose,
        "services:\n  web:\n    image: nginx:1.25\n    ports: [\"80:80\"]\n",
    )
    .unwrap();
    let role = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole";
    let args = [
        "convert",
        path(&compose),
        "--execution-role-arn",
        role,
        "--format",
        "json",
    ];

    // Nothing tells the region: an error finding that says where it can come from.
    let (code, report, stderr) = migrate(&args, home.path());
    assert_eq!(code, 1, "{report}{stderr}");
    let report: Value = serde_json::from_str(&report).unwrap();
    let missing = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "TD019")
        .expect("TD019 fires");
    assert!(
        missing["fix"].as_str().unwrap().contains("--region"),
        "{missing}"
    );

    // The default profile of ~/.aws/config tells it.
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/config"),
        "[default]\nregion = eu-central-1\n",
    )
    .unwrap();
    let (code, report, stderr) = migrate(&args, home.path());
    assert_eq!(code, 0, "{report}{stderr}");
    let report: Value = serde_json::from_str(&report).unwrap();
    assert_eq!(
        report["taskDefinition"]["containerDefinitions"][0]["logConfiguration"]["options"]
            ["awslogs-region"],
        "eu-central-1"
    );
}
