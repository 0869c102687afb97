//! Shared set-up of the wire tests: a moto server of their own, the adapter pointed at it with
//! static test credentials, and plain SDK clients for checks made independently of the adapter.

#![allow(dead_code)]

pub mod proxy;
pub mod seed;
pub mod verify;

use std::sync::Arc;

use aws_sdk_ecs::config::Credentials;
use aws_types::SdkConfig;
use migrate_aws::{AwsOptions, Connection, TcpProbe};
use migrate_engine::ports::SystemClock;
use migrate_moto::MotoServer;

pub const REGION: &str = "ap-northeast-1";

pub struct Wire {
    pub moto: MotoServer,
    pub sdk: SdkConfig,
    pub conn: Connection,
}

/// The SDK configuration the adapter's own `config::loader` builds, with static credentials so
/// no test reads the developer's real ones.
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    let options = AwsOptions {
        region: Some(REGION.into()),
        endpoint_url: Some(endpoint.to_string()),
        ..AwsOptions::default()
    };
    let sdk = migrate_aws::config::loader(&options)
        .credentials_provider(Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "wire-test",
        ))
        .load()
        .await;
    migrate_aws::config::validate(&sdk).expect("the test configuration is valid");
    sdk
}

pub async fn start() -> Wire {
    start_with(MotoServer::builder()).await
}

pub async fn start_with(builder: migrate_moto::Builder) -> Wire {
    let moto = builder
        .start()
        .expect("moto server starts (run `make venv`)");
    let sdk = sdk_config(&moto.url()).await;
    let conn =
        migrate_aws::from_sdk_config(&sdk, Arc::new(TcpProbe::default()), Arc::new(SystemClock));
    Wire { moto, sdk, conn }
}

pub fn ec2(sdk: &SdkConfig) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(sdk)
}

/// A VPC with two subnets in two zones; answers `(vpc, [subnet, subnet])`.
pub async fn vpc(sdk: &SdkConfig) -> (String, Vec<String>) {
    let ec2 = ec2(sdk);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc()
        .and_then(|v| v.vpc_id())
        .unwrap()
        .to_string();
    let mut subnets = Vec::new();
    for (i, az) in ["a", "c"].iter().enumerate() {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(format!("10.0.{i}.0/24"))
            .availability_zone(format!("{REGION}{az}"))
            .send()
            .await
            .unwrap()
            .subnet()
            .and_then(|s| s.subnet_id())
            .unwrap()
            .to_string();
        subnets.push(subnet);
    }
    (vpc, subnets)
}

pub fn tags(step: &str) -> migrate_engine::ports::Tags {
    [
        (
            migrate_engine::ports::TAG_PLAN_ID.to_string(),
            "plan-wire".to_string(),
        ),
        (
            migrate_engine::ports::TAG_STEP.to_string(),
            step.to_string(),
        ),
    ]
    .into_iter()
    .collect()
}

/// The `migrate` binary (`bin`, the caller's `CARGO_BIN_EXE_migrate`) pointed at moto, run in
/// `dir`, with static test credentials and an empty AWS configuration so that no run reads the
/// developer's real profile, and killed when dropped so that a failed assertion leaves no
/// migration running against the next test's moto. The caller adds its own arguments.
pub fn migrate_command(
    bin: &str,
    dir: &std::path::Path,
    endpoint: &str,
) -> tokio::process::Command {
    let empty = dir.join("empty-aws-config");
    if !empty.exists() {
        std::fs::write(&empty, "").expect("the test directory is writable");
    }
    let mut command = tokio::process::Command::new(bin);
    command
        .args(["--endpoint-url", endpoint])
        .args(["--region", REGION])
        .current_dir(dir)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_SESSION_TOKEN")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_CONFIG_FILE", &empty)
        .env("AWS_SHARED_CREDENTIALS_FILE", &empty)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    command
}

/// Waits for a `migrate` run made with [`migrate_command`] to end, at most `limit`; a run that
/// does not end fails the test, naming its arguments.
pub async fn finished(
    mut command: tokio::process::Command,
    args: &[&str],
    limit: std::time::Duration,
) -> std::process::Output {
    tokio::time::timeout(limit, command.output())
        .await
        .unwrap_or_else(|_| panic!("`migrate {}` did not finish", args.join(" ")))
        .expect("the binary runs")
}

/// Runs `migrate --no-progress ARGS` against moto in `dir` to its end (two minutes at most).
pub async fn run_migrate(
    bin: &str,
    dir: &std::path::Path,
    endpoint: &str,
    args: &[&str],
) -> std::process::Output {
    let mut command = migrate_command(bin, dir, endpoint);
    command.arg("--no-progress").args(args);
    finished(command, args, std::time::Duration::from_secs(120)).await
}

/// A process's output as text, for messages and `contains` checks.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
