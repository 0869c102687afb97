//! The review report through the real binary: `migrate plan --offline --format markdown|json|text`
//! with `-o`, the Gantt SVG beside it, and `migrate status --format markdown`. Offline: nothing
//! here reaches a cloud.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn migrate(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migrate"))
        .args(args)
        .current_dir(dir)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("playbooks/taskdefs")).unwrap();
    for file in ["demo.yaml", "taskdefs/web.json", "taskdefs/worker.json"] {
        std::fs::copy(
            repo().join("playbooks").join(file),
            dir.path().join("playbooks").join(file),
        )
        .unwrap();
    }
    dir
}

#[test]
fn the_markdown_report_is_written_with_its_gantt_picture_beside_it() {
    let dir = workspace();
    let out = migrate(
        dir.path(),
        &[
            "plan",
            "playbooks/demo.yaml",
            "--offline",
            "--format",
            "markdown",
            "-o",
            "review.md",
            "--detailed-exitcode",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Report written to review.md"));
    let markdown = std::fs::read_to_string(dir.path().join("review.md")).unwrap();
    for expected in [
        "**16 to create, 23 to modify, 0 to delete; point of no return: none in this plan.**",
        "**Not read.** The account was not read (`--offline`)",
        "## Security changes",
        "## Risks",
        "Rehearsed in the simulator over 10 seeds (faults `default`): median **",
        "No client request failed in any rehearsal.",
        "| `lower-ttl` |",
        "![Gantt chart of the rehearsed steps",
        "(review.timeline.svg)",
        "## Cost",
        "## Rollback plan",
        "## IAM policy",
    ] {
        assert!(
            markdown.contains(expected),
            "{expected} missing from:\n{markdown}"
        );
    }
    let svg = std::fs::read_to_string(dir.path().join("review.timeline.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("cutover-dns"),
        "{svg}"
    );
    // The plan itself was written as without --format.
    assert!(dir.path().join(".migrate/shop/state.json").is_file());
}

#[test]
fn the_json_report_carries_its_format_version_and_the_same_timeline_every_time() {
    let dir = workspace();
    let run = || {
        let out = migrate(
            dir.path(),
            &[
                "plan",
                "playbooks/demo.yaml",
                "--offline",
                "--format",
                "json",
            ],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let first = run();
    assert_eq!(first["format_version"], 1);
    assert_eq!(first["existing"]["status"], "not-read");
    let timeline = &first["timeline"];
    assert_eq!(timeline["status"], "rehearsed", "{timeline}");
    let median = timeline["median_secs"].as_f64().unwrap();
    let p90 = timeline["p90_secs"].as_f64().unwrap();
    // Every rehearsal waits at least for the tasks to start and for Route53 to sync.
    assert!(median > 60.0 && median <= p90, "median {median}, p90 {p90}");
    assert!(!timeline["critical_path"].as_array().unwrap().is_empty());
    // Fixed seeds: the same plan reports the same times.
    assert_eq!(run()["timeline"], first["timeline"]);
    // Printed, the SVG goes into the state directory.
    assert!(dir.path().join(".migrate/shop/timeline.svg").is_file());
}

#[test]
fn the_text_report_and_the_old_outputs_still_work() {
    let dir = workspace();
    let out = migrate(
        dir.path(),
        &[
            "plan",
            "playbooks/demo.yaml",
            "--offline",
            "--format",
            "text",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("RISKS") && stdout.contains("ROLLBACK (newest first)"),
        "{stdout}"
    );
    assert!(stdout.contains("not read (`--offline`)"), "{stdout}");
    // --json and --format cannot be combined; -o needs --format.
    let both = migrate(
        dir.path(),
        &[
            "plan",
            "playbooks/demo.yaml",
            "--offline",
            "--json",
            "--format",
            "json",
        ],
    );
    assert_eq!(both.status.code(), Some(2));
    assert!(text(&both.stderr).contains("cannot be used with"));
    let orphan = migrate(
        dir.path(),
        &["plan", "playbooks/demo.yaml", "--offline", "-o", "x.md"],
    );
    assert!(!orphan.status.success());
    assert!(!dir.path().join("x.md").exists());
}

#[test]
fn a_broken_price_table_is_refused_naming_the_file() {
    let dir = workspace();
    std::fs::write(
        dir.path().join("prices.json"),
        "{\"as_of\": \"2026-01-01\"}",
    )
    .unwrap();
    let out = migrate(
        dir.path(),
        &[
            "plan",
            "playbooks/demo.yaml",
            "--offline",
            "--format",
            "markdown",
            "--prices",
            "prices.json",
            "-o",
            "review.md",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("prices.json"), "{stderr}");
    assert!(!dir.path().join("review.md").exists());
    assert!(
        !dir.path().join(".migrate").exists(),
        "nothing is written before the price table is read"
    );
}

#[test]
fn status_renders_the_migration_as_markdown() {
    let dir = workspace();
    assert!(
        migrate(dir.path(), &["plan", "playbooks/demo.yaml", "--offline"])
            .status
            .success()
    );
    let out = migrate(dir.path(), &["status", "shop", "--format", "markdown"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let markdown = text(&out.stdout);
    assert!(
        markdown.starts_with("# Migration status: `shop`"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| 1 | `preflight` | pending | 0 |")
            && markdown.contains("| 2 | `discover-source` | pending | 0 |"),
        "{markdown}"
    );
    assert!(markdown.contains("## What a rollback would undo now"));
}
