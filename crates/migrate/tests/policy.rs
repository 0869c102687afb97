//! `migrate policy` run as the real binary: the demo's policy on standard output and in a file,
//! and a broken playbook refused as `migrate plan` refuses it.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn migrate(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_migrate"))
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .env("HOME", cwd)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .expect("the binary runs");
    (
        output.status.code().expect("an exit code"),
        String::from_utf8(output.stdout).expect("utf-8"),
        String::from_utf8(output.stderr).expect("utf-8"),
    )
}

#[test]
fn the_demo_policy_is_printed_and_written() {
    let home = tempfile::tempdir().unwrap();
    let demo = repo().join("playbooks/demo.yaml");
    let (code, stdout, stderr) = migrate(&["policy", demo.to_str().unwrap()], home.path());
    assert_eq!(code, 0, "{stderr}");
    let printed: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(printed["Version"], "2012-10-17");
    let actions: Vec<&str> = printed["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["Action"].as_array().unwrap())
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(actions.contains(&"ecs:CreateService"), "{actions:?}");

    let file = home.path().join("policy.json");
    let (code, stdout, stderr) = migrate(
        &[
            "policy",
            demo.to_str().unwrap(),
            "-o",
            file.to_str().unwrap(),
        ],
        home.path(),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(written, printed);
    // Policy printing is read-only: no state directory appears.
    assert!(!home.path().join(".migrate").exists());
}

#[test]
fn a_broken_playbook_is_refused_with_its_problems() {
    let home = tempfile::tempdir().unwrap();
    let broken = repo().join("tests/fixtures/three-mistakes.yaml");
    let file = home.path().join("policy.json");
    let (code, stdout, stderr) = migrate(
        &[
            "policy",
            broken.to_str().unwrap(),
            "-o",
            file.to_str().unwrap(),
        ],
        home.path(),
    );
    assert_eq!(code, 1);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("three-mistakes.yaml:"), "{stderr}");
    assert!(!file.exists());
}
