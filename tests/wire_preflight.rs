//! `migrate preflight PLAYBOOK`, the real binary against moto: the seeded seed-001 account passes
//! (warnings only: moto has no policy simulator and no Fargate quota); with the internet gateway
//! route and the VPC endpoints removed, every problem is printed at once and the exit code is 1.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../crates/migrate-aws/tests/common/mod.rs"]
mod common;

use std::time::Duration;

use common::seed;

async fn preflight(seeded: &seed::Seeded) -> std::process::Output {
    let mut command = common::migrate_command(
        env!("CARGO_BIN_EXE_migrate"),
        seeded.dir.path(),
        &seeded.moto.url(),
    );
    command.arg("preflight").arg(&seeded.playbook);
    common::finished(command, &["preflight"], Duration::from_secs(120)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seeded_account_passes_and_a_cut_off_one_names_each_problem() {
    let seeded = seed::seed_001_with_two_tasks(&[]);
    let out = preflight(&seeded).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("in account 123456789012 (aws)"), "{stdout}");
    assert!(stdout.contains("0 errors"), "{stdout}");

    // Cut the subnets off: no route out, no endpoints.
    let sdk = common::sdk_config(&seeded.moto.url()).await;
    let ec2 = common::ec2(&sdk);
    let vpc = seed::id(&seeded.ids, "vpc");
    let filter = aws_sdk_ec2::types::Filter::builder()
        .name("vpc-id")
        .values(&vpc)
        .build();
    let tables = ec2
        .describe_route_tables()
        .filters(filter.clone())
        .send()
        .await
        .unwrap();
    for table in tables.route_tables() {
        if table
            .routes()
            .iter()
            .any(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
        {
            ec2.delete_route()
                .route_table_id(table.route_table_id().unwrap())
                .destination_cidr_block("0.0.0.0/0")
                .send()
                .await
                .unwrap();
        }
    }
    let endpoints = ec2
        .describe_vpc_endpoints()
        .filters(filter)
        .send()
        .await
        .unwrap();
    let ids: Vec<String> = endpoints
        .vpc_endpoints()
        .iter()
        .filter_map(|e| e.vpc_endpoint_id().map(str::to_string))
        .collect();
    ec2.delete_vpc_endpoints()
        .set_vpc_endpoint_ids(Some(ids))
        .send()
        .await
        .unwrap();

    let out = preflight(&seeded).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    for key in ["subnet_a", "subnet_c"] {
        let subnet = seed::id(&seeded.ids, key);
        assert!(
            stdout.contains(&format!("error: subnet {subnet} has no route to ECR")),
            "{stdout}"
        );
        assert!(
            stdout.contains(&format!("error: subnet {subnet} is not public")),
            "{stdout}"
        );
    }
    assert!(
        stdout.contains("fix: add a NAT gateway, VPC endpoints for ecr.api, ecr.dkr, logs, s3, secretsmanager, or set network.assign_public_ip: true"),
        "{stdout}"
    );
    assert!(stdout.contains("4 errors"), "{stdout}");
}
