//! `migrate discover` and `migrate init` over the wire: one moto account seeded by
//! `scripts/seed_discover.py` with four applications of four kinds (the ECS-on-EC2 shop, the
//! Auto Scaling group catalog, the Beanstalk portal through the Elastic Beanstalk stand-in, and
//! plain EC2 instances behind `legacy-alb`) and distractors (an ALB with no listener, a private
//! zone, an RDS instance and an EFS file system no old side reaches). The real binary must find
//! each application with its entry point, kind and data stores and nothing else, `init --yes`
//! must write a playbook `migrate plan` accepts for each movable kind, and bad input (a corrupt
//! or foreign saved inventory, an existing file, a missing answer off a terminal, a service the
//! caller may not read) must say what and where and write nothing.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../crates/migrate-aws/tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Output;

use common::seed::{self, BeanstalkStandIn};
use common::text;
use serde_json::Value;

async fn migrate(dir: &Path, endpoint: &str, args: &[&str]) -> Output {
    common::run_migrate(env!("CARGO_BIN_EXE_migrate"), dir, endpoint, args).await
}

/// Seeds the account and starts the Beanstalk stand-in in front of moto.
async fn account() -> (common::Wire, tempfile::TempDir, BeanstalkStandIn) {
    let wire = common::start().await;
    let dir = tempfile::tempdir().unwrap();
    let python = migrate_moto::server_path().with_file_name("python");
    let status = std::process::Command::new(python)
        .arg(seed::repo_root().join("scripts/seed_discover.py"))
        .args(["--endpoint-url", &wire.moto.url(), "--out"])
        .arg(dir.path())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "seed_discover.py failed");
    let standin = BeanstalkStandIn::start(&wire.moto.url(), &dir.path().join("ids.json"));
    (wire, dir, standin)
}

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed:\nstdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

fn summary(app: &Value) -> (String, String, Vec<String>, Vec<String>) {
    let strings = |v: &Value, key: &str| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x[key].as_str().unwrap().to_string())
            .collect()
    };
    let mut names = strings(&app["entry_points"], "name");
    names.dedup();
    (
        app["name"].as_str().unwrap().to_string(),
        app["kind"].as_str().unwrap().to_string(),
        names,
        strings(&app["data_stores"], "id"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discover_finds_each_application_and_init_writes_playbooks_that_plan() {
    let (_wire, dir, standin) = account().await;
    let dir = dir.path();
    let out = migrate(dir, &standin.url, &["discover", "--json"]).await;
    ok(&out, "discover --json");
    let found: Value = serde_json::from_slice(&out.stdout).unwrap();
    let apps: Vec<_> = found["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(summary)
        .collect();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        apps,
        vec![
            // moto 5's DescribeCacheClusters leaves out the cluster's security groups, so the
            // Redis cluster the catalog reaches cannot be matched here (the grouping tests
            // cover it); AWS returns them.
            (
                "catalog-web".into(),
                "asg".into(),
                s(&["catalog.example.com"]),
                vec![]
            ),
            (
                "legacy-alb".into(),
                "ec2".into(),
                s(&["www.legacy.example.org"]),
                vec![]
            ),
            (
                "portal-prod".into(),
                "beanstalk".into(),
                s(&["portal.example.com"]),
                s(&["portal-aurora"])
            ),
            (
                "shop-ec2".into(),
                "ecs-ec2".into(),
                s(&["shop.example.com"]),
                s(&["shop-db"])
            ),
        ],
        "each application once, with nothing of the distractors"
    );
    let inventory = &found["inventory"];
    assert_eq!(
        inventory["unread"],
        serde_json::json!([]),
        "every part was read"
    );
    assert!(inventory["api_calls"].as_u64().unwrap() > 20);
    let shop = &found["applications"][3];
    assert_eq!(
        shop["ecs_services"],
        serde_json::json!(["shop-web", "shop-worker"])
    );
    assert_eq!(shop["auto_scaling_group"], "shop-ecs-instances");

    // The table a person reads lists the same applications.
    let out = migrate(dir, &standin.url, &["discover", "-o", "inventory.json"]).await;
    ok(&out, "discover -o");
    let table = text(&out.stdout);
    assert!(
        table.starts_with("4 application(s) in ap-northeast-1"),
        "{table}"
    );
    assert!(table.contains("shop.example.com → shop-old-alb"), "{table}");

    for (app, extra) in [
        ("shop-ec2", vec![]),
        ("catalog-web", vec!["--image", "nginx:1.27"]),
        (
            "portal-prod",
            vec!["--image", "nginx:1.27", "--name", "portal"],
        ),
        ("legacy-alb", vec!["--image", "nginx:1.27"]),
    ] {
        let mut args = vec!["init", "--yes", "--app", app, "-o", "drafts"];
        args.extend(extra);
        let out = migrate(dir, &standin.url, &args).await;
        ok(&out, &format!("init {app}"));
        let playbook = text(&out.stdout)
            .lines()
            .find_map(|l| {
                l.strip_prefix("wrote ")
                    .filter(|p| p.ends_with(".yaml"))
                    .map(str::to_string)
            })
            .unwrap();
        let out = migrate(dir, &standin.url, &["plan", &playbook]).await;
        ok(&out, &format!("plan {playbook}"));
    }
    // From the saved inventory: no AWS call at all (the endpoint answers nothing).
    let out = migrate(
        dir,
        "http://127.0.0.1:9",
        &[
            "init",
            "--from",
            "inventory.json",
            "--yes",
            "--app",
            "shop-ec2",
            "--name",
            "again",
            "-o",
            "drafts",
        ],
    )
    .await;
    ok(&out, "init --from");
    assert!(dir.join("drafts/again.yaml").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_says_what_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let dead = "http://127.0.0.1:9";
    std::fs::write(
        dir.join("corrupt.json"),
        "{\"format\": \"migrate-inventory\", ",
    )
    .unwrap();
    std::fs::write(
        dir.join("state.json"),
        r#"{"format":"migrate-state","version":1}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("later.json"),
        r#"{"format":"migrate-inventory","format_version":7}"#,
    )
    .unwrap();
    for (file, expected) in [
        ("corrupt.json", "corrupt.json is not JSON"),
        ("state.json", "state.json is not a saved inventory"),
        ("later.json", "format version 7"),
        (
            "missing.json",
            "cannot read the saved inventory missing.json",
        ),
    ] {
        let out = migrate(dir, dead, &["init", "--from", file, "--yes", "-o", "out"]).await;
        assert_eq!(out.status.code(), Some(1), "{file}");
        assert!(
            text(&out.stderr).contains(expected),
            "{file}: {}",
            text(&out.stderr)
        );
    }
    // A saved inventory of an account with nothing to move.
    let empty = serde_json::json!({
        "format": "migrate-inventory", "format_version": 1, "region": "ap-northeast-1",
        "read_at": "2026-11-24T00:00:00Z"
    });
    std::fs::write(dir.join("empty.json"), empty.to_string()).unwrap();
    let out = migrate(
        dir,
        dead,
        &["init", "--from", "empty.json", "--yes", "-o", "out"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("has no application this tool can move"));
    assert!(!dir.join("out").exists(), "nothing written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_the_caller_may_not_read_is_named_and_the_rest_is_found() {
    let (_wire, dir, standin) = account().await;
    let dir = dir.path();
    let upstream = standin.url.trim_start_matches("http://").to_string();
    let proxy = common::proxy::start_denying(upstream, "rds").await;
    let out = migrate(dir, &proxy.url, &["discover", "--json"]).await;
    ok(&out, "discover without rds");
    let found: Value = serde_json::from_slice(&out.stdout).unwrap();
    let unread: Vec<&str> = found["inventory"]["unread"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["part"].as_str().unwrap())
        .collect();
    assert_eq!(
        unread,
        vec!["rds:DescribeDBInstances", "rds:DescribeDBClusters"]
    );
    assert!(found["inventory"]["unread"][0]["reason"]
        .as_str()
        .unwrap()
        .starts_with("AccessDenied"));
    assert_eq!(found["applications"].as_array().unwrap().len(), 4);
    let stores: Vec<&str> = found["inventory"]["data_stores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(stores.len(), 2, "{stores:?}");
    assert_eq!(stores[0], "catalog-cache", "ElastiCache still read");
    assert!(stores[1].starts_with("fs-"), "EFS still read: {stores:?}");
    let out = migrate(dir, &proxy.url, &["discover"]).await;
    assert!(
        text(&out.stdout).contains("Not read (the applications above may miss what these would show):\n  rds:DescribeDBInstances: AccessDenied"),
        "{}",
        text(&out.stdout)
    );
    // An existing playbook is not overwritten, and nothing else is written either.
    std::fs::create_dir_all(dir.join("drafts")).unwrap();
    std::fs::write(dir.join("drafts/shop-ec2.yaml"), "mine").unwrap();
    let out = migrate(
        dir,
        &proxy.url,
        &["init", "--yes", "--app", "shop-ec2", "-o", "drafts"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("already exists; nothing written"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("drafts/shop-ec2.yaml")).unwrap(),
        "mine"
    );
    // Off a terminal, a question with no default names its flag.
    let out = migrate(
        dir,
        &proxy.url,
        &["init", "--yes", "--app", "catalog-web", "-o", "drafts"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("pass --image"),
        "{}",
        text(&out.stderr)
    );
    assert!(!dir.join("drafts/catalog-web.yaml").exists());
}
