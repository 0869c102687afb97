//! The interactive wizard through a pseudo-terminal: keys in, screen out, one full run of
//! `migrate init --from` over the hand-written account of `crates/migrate-inventory/fixtures`
//! (no AWS call). The arrow keys choose the fourth application, every other question takes its
//! default with Enter, and the playbook it writes is the one `--yes` would have written.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;
use std::time::Duration;

use expectrl::{Eof, Session};

const DOWN: &str = "\x1b[B";

#[test]
fn a_full_interactive_run_writes_the_playbook() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../migrate-inventory/fixtures/account.json");
    let mut command = Command::new(env!("CARGO_BIN_EXE_migrate"));
    command
        .args(["--no-progress", "init", "--from"])
        .arg(&fixture)
        .args(["-o"])
        .arg(dir.path())
        .env("TERM", "xterm")
        .env_remove("AWS_PROFILE");
    let mut session = Session::spawn(command).unwrap();
    session.set_expect_timeout(Some(Duration::from_secs(20)));

    session
        .expect("Which application moves to Fargate?")
        .unwrap();
    session.expect("shop-ec2").unwrap();
    session.send(format!("{DOWN}{DOWN}{DOWN}\r")).unwrap();
    session.expect("Name of the migration").unwrap();
    session.expect("shop-ec2").unwrap();
    session.send("\r").unwrap();
    session
        .expect("Which data stores must admit the new tasks?")
        .unwrap();
    session.send("\r").unwrap();
    session.expect("Which old ECS services move").unwrap();
    session.send("\r").unwrap();
    for question in [
        "CPU units of shop-web",
        "Memory of shop-web",
        "CPU units of shop-worker",
        "Memory of shop-worker",
        "Cutover strategy",
        "Longest wait",
        "Name of the new Fargate cluster",
        "Execution role of the tasks",
    ] {
        session.expect(question).unwrap();
        session.send("\r").unwrap();
    }
    session
        .expect("Next: review it, then `migrate plan")
        .unwrap();
    session.expect(Eof).unwrap();

    let written = std::fs::read_to_string(dir.path().join("shop-ec2.yaml")).unwrap();
    assert!(written.contains("kind: ecs-ec2"), "{written}");
    assert!(
        written.contains("services: [shop-web, shop-worker]"),
        "{written}"
    );
    assert!(written.contains("- name: shop-db"), "{written}");
    assert!(written.contains("cluster: shop-ec2-fargate"), "{written}");
}
