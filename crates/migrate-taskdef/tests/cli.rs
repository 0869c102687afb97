//! The `convert` and `lint` commands as the binary calls them: exit codes, formats, files written.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use clap::Parser;
use migrate_taskdef::cli::{run_convert, run_lint, ConvertArgs, Format, LintArgs};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn convert(args: &ConvertArgs) -> (i32, String) {
    let mut out = Vec::new();
    let code = run_convert(args, &mut out).expect("convert runs");
    (code, String::from_utf8(out).expect("utf-8"))
}

fn lint(path: PathBuf, format: Format) -> (i32, String) {
    let mut out = Vec::new();
    let code = run_lint(
        &LintArgs {
            taskdef: path,
            format,
        },
        &mut out,
    )
    .expect("lint runs");
    (code, String::from_utf8(out).expect("utf-8"))
}

/// A stand-in for the binary, to check that the flags parse as documented.
#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    Convert(ConvertArgs),
    Lint(LintArgs),
}

#[test]
fn flags_parse() {
    let cli = Cli::try_parse_from([
        "migrate",
        "convert",
        "td.json",
        "--nginx-conf",
        "a.conf",
        "--nginx-conf",
        "b.conf",
        "--env-file",
        ".env",
        "--secret-arn",
        "arn:aws:secretsmanager:r:1:secret:x",
        "--efs",
        "data=fs-1",
        "--cpu",
        "512",
        "--memory",
        "1024",
        "--format",
        "json",
        "-o",
        "out.json",
        "--kind",
        "ecs",
    ])
    .unwrap();
    let Command::Convert(args) = cli.command else {
        panic!("convert expected")
    };
    assert_eq!(args.nginx_conf.len(), 2);
    assert_eq!(args.format, Format::Json);
    assert_eq!(args.cpu, Some(512));
    // Values are never inlined, so a .env file alone is refused by the parser.
    assert!(Cli::try_parse_from(["migrate", "convert", "td.json", "--env-file", ".env"]).is_err());
    assert!(Cli::try_parse_from(["migrate", "lint", "td.json", "--format", "sarif"]).is_ok());
    assert!(Cli::try_parse_from(["migrate", "lint", "td.json", "--format", "xml"]).is_err());
}

#[test]
fn convert_writes_the_task_definition_and_nginx_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("fargate.json");
    let args = ConvertArgs {
        source: fixture("seed001-ec2.json"),
        output: Some(output.clone()),
        nginx_conf: vec![fixture("seed001-nginx.conf")],
        nginx_out_dir: Some(dir.path().to_path_buf()),
        ..ConvertArgs::default()
    };
    let (code, report) = convert(&args);
    assert_eq!(code, 0, "{report}");
    assert!(report.contains("[TD003] $.containerDefinitions[0].portMappings[0].hostPort: container `nginx`: hostPort 0 -> 80"), "{report}");
    assert!(report.contains("0 error(s)"), "{report}");
    let portable = report
        .replace(&dir.path().display().to_string(), "OUT")
        .replace(&fixture("").display().to_string(), "fixtures/");
    insta::assert_snapshot!("convert_seed001_human", portable);
    let nginx = std::fs::read_to_string(dir.path().join("seed001-nginx.conf")).unwrap();
    assert!(nginx.contains("fastcgi_pass 127.0.0.1:9000;"));

    // The written definition passes `migrate lint`, in every format.
    let (code, text) = lint(output.clone(), Format::Human);
    assert_eq!(code, 0, "{text}");
    let (_, json) = lint(output.clone(), Format::Json);
    let json: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["summary"]["errors"], 0);
    let (_, sarif) = lint(output, Format::Sarif);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
}

#[test]
fn lint_of_the_source_exits_one_with_lines() {
    let (code, text) = lint(fixture("seed001-ec2.json"), Format::Human);
    assert_eq!(code, 1);
    // The describe-task-definition wrapper is looked through for lines.
    assert!(text.contains("error[TD003 host-port-mismatch]"), "{text}");
    assert!(
        text.contains("seed001-ec2.json:29 $.containerDefinitions[0].portMappings[0].hostPort"),
        "{text}"
    );

    let (code, sarif) = lint(fixture("seed001-ec2.json"), Format::Sarif);
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
        text.replace(&fixture("").display().to_string(), "fixtures/")
    );
}

#[test]
fn convert_json_report_never_prints_secrets() {
    let args = ConvertArgs {
        source: fixture("Dockerrun.aws.json"),
        format: Format::Json,
        env_file: Some(fixture("laravel.env")),
        secret_arn: Some(
            "arn:aws:secretsmanager:ap-northeast-1:111122223333:secret:laravel-AbCdEf".into(),
        ),
        ..ConvertArgs::default()
    };
    let (code, report) = convert(&args);
    assert_eq!(code, 0, "{report}");
    for secret in ["correct-horse-battery", "mail-secret-123", "c2VjcmV0c2Vj"] {
        assert!(!report.contains(secret), "{secret} printed");
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
    let args = ConvertArgs {
        source: compose.clone(),
        region: Some("eu-west-1".into()),
        ..ConvertArgs::default()
    };
    let (code, report) = convert(&args);
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("error[TD010 privileged]"), "{report}");

    let args = ConvertArgs {
        source: compose,
        cpu: Some(256),
        memory: Some(3072),
        ..ConvertArgs::default()
    };
    let err = run_convert(&args, &mut Vec::new()).unwrap_err().to_string();
    assert!(err.contains("not a Fargate size"), "{err}");

    let args = ConvertArgs {
        source: dir.path().join("missing.json"),
        ..ConvertArgs::default()
    };
    let err = run_convert(&args, &mut Vec::new()).unwrap_err().to_string();
    assert!(err.contains("missing.json: cannot read the file"), "{err}");
}
