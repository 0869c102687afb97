//! Crash over the wire: the real `migrate apply` process is killed with SIGKILL at several points
//! of the seed-001 migration against a moto server, and each time a user's recovery follows:
//! `migrate resume` is refused because the dead run left its lock, `migrate status` shows the
//! lock id, `migrate unlock ID` removes it, and `migrate resume` continues, until the migration
//! is applied. Describe calls made with plain SDK clients (not the adapter) then find one of each
//! created resource: no duplicate ALB, target group, listener, security group, ingress rule or
//! ECS service.
//!
//! moto's ECS starts no task and registers no target, so this test acts as ECS would: moto runs
//! with `MOTO_ECS_SERVICE_RUNNING=2` (the playbook asks for two tasks of each service, so
//! "running equals desired" holds), and the test registers two task IPs in the new target group
//! as soon as it exists. The health gate's HTTP probe goes to a loopback server standing in for
//! the application behind the new ALB. Every call of the binary goes to moto on loopback, with
//! static test credentials and no shared AWS configuration.
//!
//! The run takes three to four minutes on the binary's real clock: the drain cannot be shorter
//! than two (a one-minute zero-traffic window, the playbook's minimum, plus the minute CloudWatch
//! lags), and a resume whose killed step had not called yet looks for its resource for 30 s
//! before it calls (the engine's consistency wait).

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// The wire tests' shared helpers of the AWS adapter: the seed script's driver, the test acting
// as ECS, the probe's server and the duplicate checks.
#[path = "../crates/migrate-aws/tests/common/mod.rs"]
mod common;

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use common::{seed, text};
use migrate_journal::{LockInfo, Phase, State, StepStatus};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

/// The longest one run of the binary may take: the last one waits out most of the drain.
const RUN_LIMIT: Duration = Duration::from_secs(240);

/// The binary, pointed at moto and at the probe's server, with nothing of the developer's AWS
/// configuration.
struct Migrate {
    dir: PathBuf,
    endpoint: String,
    probe: String,
}

/// How a run of the binary ended.
#[derive(Debug)]
enum End {
    /// The test killed it when it printed the line the kill point waits for.
    Killed {
        at: String,
    },
    Exited(ExitStatus),
}

#[derive(Debug)]
struct Run {
    pid: u32,
    end: End,
    stderr: Vec<String>,
}

impl Migrate {
    fn command(&self, args: &[&str]) -> Command {
        // An empty file: the SDK warns about a configuration file that does not exist.
        let mut command =
            common::migrate_command(env!("CARGO_BIN_EXE_migrate"), &self.dir, &self.endpoint);
        command
            .args(["--probe-url", &self.probe, "--no-progress"])
            .args(args);
        command
    }

    /// Runs a short command (`status`, `unlock`, a refused `resume`) to its end.
    async fn output(&self, args: &[&str]) -> Output {
        common::finished(self.command(args), args, Duration::from_secs(60)).await
    }

    /// Runs `migrate OPERATION` and reads its plain progress lines as they come; kills the
    /// process with SIGKILL on the first line `kill_at` accepts, before it can go any further
    /// than the kernel lets it in the meantime.
    async fn run(&self, operation: &str, kill_at: impl Fn(&str) -> bool) -> Run {
        let mut child = self
            .command(&[operation])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let pid = child.id().unwrap();
        // stdout is drained so that the process never blocks on a full pipe.
        let mut stdout = child.stdout.take().unwrap();
        let drain_stdout = tokio::spawn(async move {
            let mut text = String::new();
            let _ = stdout.read_to_string(&mut text).await;
            text
        });
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut stderr = Vec::new();
        let started = Instant::now();
        let end = loop {
            let left = RUN_LIMIT.saturating_sub(started.elapsed());
            let line = match tokio::time::timeout(left, lines.next_line()).await {
                Ok(line) => line.expect("stderr is readable"),
                Err(_) => panic!(
                    "`migrate {operation}` ran longer than {RUN_LIMIT:?}:\n{}",
                    stderr.join("\n")
                ),
            };
            let Some(line) = line else {
                break End::Exited(child.wait().await.unwrap());
            };
            eprintln!("  {operation}| {line}");
            stderr.push(line.clone());
            if kill_at(&line) {
                child.start_kill().unwrap();
                let status = child.wait().await.unwrap();
                assert_eq!(status.signal(), Some(9), "killed with SIGKILL: {status:?}");
                break End::Killed { at: line };
            }
        };
        let stdout = drain_stdout.await.unwrap();
        if !stdout.is_empty() {
            eprintln!("  {operation}| stdout: {stdout}");
        }
        Run { pid, end, stderr }
    }

    /// The state and the lock as `migrate status --json` shows them.
    async fn status(&self) -> (State, Option<LockInfo>) {
        let out = self.output(&["status", "--json"]).await;
        assert!(out.status.success(), "{}", text(&out.stderr));
        let mut json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let state = serde_json::from_value(json["state"].take()).unwrap();
        let lock = serde_json::from_value(json["lock"].take()).unwrap();
        (state, lock)
    }
}

/// Whether `line` is the plain reporter's line for the start of `step`: `HH:MM:SS [i/N] step: ...`.
fn starts(line: &str, step: &str) -> bool {
    line.split_once("] ").is_some_and(|(head, rest)| {
        head.contains('[') && !head.contains("undo") && rest.starts_with(&format!("{step}: "))
    })
}

/// The seconds the drain still has to wait before it judges the old ALB's traffic, from its
/// progress line `drain: the old target groups: 99s before their traffic can be judged`.
fn drain_left(line: &str) -> Option<u64> {
    let rest = line.split_once("drain: the old target groups: ")?.1;
    let (secs, tail) = rest.split_once("s before")?;
    tail.starts_with(" their traffic can be judged")
        .then(|| secs.parse().ok())?
}

struct KillPoint {
    /// The step that is running when the process dies.
    step: &'static str,
    at: fn(&str) -> bool,
}

/// Where the process is killed, in order of the plan; each is reached by the run after the
/// previous kill.
const KILL_POINTS: &[KillPoint] = &[
    // The intent of adding an ingress rule to the sessions store is recorded; the rule may or
    // may not have been added when the process dies.
    KillPoint {
        step: "open-data-store:sessions",
        at: |line| starts(line, "open-data-store:sessions"),
    },
    // The new ALB's intent is recorded; CreateLoadBalancer may or may not have gone out (the
    // engine prints nothing between the call and its journal write, so the kill races the call).
    // Either way the resume must end with one ALB, and adopt it when it exists.
    KillPoint {
        step: "create-load-balancer",
        at: |line| starts(line, "create-load-balancer"),
    },
    // The web service's intent is recorded; whether CreateService went out first is a race, and
    // either way the resume must end with one service.
    KillPoint {
        step: "create-service:web",
        at: |line| starts(line, "create-service:web"),
    },
    // DNS is about to be switched to the new ALB.
    KillPoint {
        step: "cutover-dns",
        at: |line| starts(line, "cutover-dns"),
    },
    // The drain is some way into its wait (past its first progress line): the resume must count
    // from the recorded cutover, not start the wait again.
    KillPoint {
        step: "drain",
        at: |line| drain_left(line).is_some_and(|left| left <= 100),
    },
];

fn record<'s>(state: &'s State, step: &str) -> &'s migrate_journal::StepRecord {
    state
        .steps
        .iter()
        .find(|r| r.id == step)
        .unwrap_or_else(|| panic!("no step {step} in the plan"))
}

async fn alb_arns(sdk: &aws_types::SdkConfig, name: &str) -> Vec<String> {
    let out = aws_sdk_elasticloadbalancingv2::Client::new(sdk)
        .describe_load_balancers()
        .send()
        .await
        .unwrap();
    out.load_balancers()
        .iter()
        .filter(|l| l.load_balancer_name() == Some(name))
        .map(|l| l.load_balancer_arn().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_several_points_then_resumed_leaves_no_duplicates() {
    let began = Instant::now();
    // The shortest drain the playbook accepts, so that the test runs in minutes.
    let seed::Seeded {
        moto,
        dir,
        ids,
        playbook,
    } = seed::seed_001_with_two_tasks(&[
        "--set",
        "min_wait=0s",
        "--set",
        "zero_traffic_window=1m",
        // The watch waits in real time; the kill points are before and after it.
        "--set",
        "watch=0s",
    ]);
    std::fs::write(dir.path().join("empty-aws-config"), "").unwrap();
    let sdk = common::sdk_config(&moto.url()).await;
    let migrate = Migrate {
        dir: dir.path().to_path_buf(),
        endpoint: moto.url(),
        probe: seed::app_server().await,
    };

    let planned = migrate
        .output(&["plan", playbook.to_str().unwrap(), "--json"])
        .await;
    assert!(planned.status.success(), "{}", text(&planned.stderr));
    let planned: serde_json::Value = serde_json::from_slice(&planned.stdout).unwrap();
    let names: migrate_plan::ResourceNames =
        serde_json::from_value(planned["plan"]["names"].clone()).unwrap();
    let ecs_stand_in = seed::act_as_ecs(sdk.clone(), names.target_group.clone());

    let mut runs = Vec::new();
    let mut operation = "apply";
    let mut finished_before = 0;
    let mut alb_at_kill = None;
    for point in KILL_POINTS {
        let run = migrate.run(operation, point.at).await;
        let End::Killed { at } = &run.end else {
            panic!(
                "`migrate {operation}` ended before {} ({:?}):\n{}",
                point.step,
                run.end,
                run.stderr.join("\n")
            );
        };

        // What the dead process left: the state mid-step, and its lock.
        let (state, lock) = migrate.status().await;
        assert_eq!(state.phase, Phase::Applying, "killed at {at}");
        assert_eq!(
            record(&state, point.step).status,
            StepStatus::Running,
            "killed at {at}"
        );
        let finished = state
            .steps
            .iter()
            .filter(|r| matches!(r.status, StepStatus::Done | StepStatus::Skipped))
            .count();
        assert!(
            finished > finished_before,
            "no step finished between two kills ({finished} finished)"
        );
        finished_before = finished;
        let lock = lock.expect("a run killed with SIGKILL leaves its lock behind");
        assert_eq!(lock.pid, run.pid, "the lock names the killed process");
        assert_eq!(lock.operation, operation);

        if point.step == "create-load-balancer" {
            // Whatever the killed run created is not in the journal yet.
            assert!(record(&state, point.step).outputs.is_null());
            let arns = alb_arns(&sdk, &names.load_balancer).await;
            assert!(arns.len() <= 1, "one CreateLoadBalancer at most: {arns:?}");
            alb_at_kill = arns.into_iter().next();
        }

        // The user's way out: the resume is refused and names the lock, the status shows its
        // id, and unlocking with that id lets the next resume in.
        let refused = migrate.output(&["resume"]).await;
        assert_eq!(refused.status.code(), Some(1), "resume while locked");
        let refusal = text(&refused.stderr);
        assert!(
            refusal.contains(&format!("migrate unlock {}", lock.id)),
            "{refusal}"
        );
        let shown = migrate.output(&["status"]).await;
        assert!(shown.status.success(), "{}", text(&shown.stderr));
        assert!(
            text(&shown.stdout).contains(&format!("lock id {}", lock.id)),
            "{}",
            text(&shown.stdout)
        );
        let unlocked = migrate.output(&["unlock", &lock.id]).await;
        assert!(unlocked.status.success(), "{}", text(&unlocked.stderr));
        assert!(text(&unlocked.stdout).contains("Removed the lock"));
        assert_eq!(migrate.status().await.1, None, "unlocked");

        runs.push(run);
        operation = "resume";
    }

    let last = migrate.run("resume", |_| false).await;
    assert!(
        matches!(last.end, End::Exited(status) if status.success()),
        "{:?}:\n{}",
        last.end,
        last.stderr.join("\n")
    );

    let killed_at = |step: &str| KILL_POINTS.iter().position(|p| p.step == step).unwrap();

    // When the killed run had created the ALB, the resume after it adopted that ALB instead of
    // creating another.
    let after_alb_kill = &runs[killed_at("create-load-balancer") + 1].stderr;
    let (state, lock) = migrate.status().await;
    if let Some(arn) = &alb_at_kill {
        assert!(
            after_alb_kill.iter().any(
                |l| l.ends_with("create-load-balancer: found what the interrupted attempt did")
            ),
            "{}",
            after_alb_kill.join("\n")
        );
        assert_eq!(
            record(&state, "create-load-balancer").outputs["arn"].as_str(),
            Some(arn.as_str()),
            "the recorded ALB is the one created before the kill"
        );
    }

    // The drain went on from the recorded cutover: the resumed wait is no longer than the wait
    // that was left when the process died.
    let End::Killed { at } = &runs[killed_at("drain")].end else {
        unreachable!()
    };
    let left_at_kill = drain_left(at).unwrap();
    let left_on_resume = last
        .stderr
        .iter()
        .find_map(|l| drain_left(l))
        .expect("the resumed drain reports its wait");
    assert!(
        left_on_resume <= left_at_kill,
        "the drain started its wait again: {left_on_resume}s left after the resume, {left_at_kill}s at the kill"
    );

    assert_eq!(state.phase, Phase::Applied);
    assert_eq!(lock, None, "a finished run releases its lock");
    assert!(state
        .steps
        .iter()
        .all(|r| matches!(r.status, StepStatus::Done | StepStatus::Skipped)));
    let again = migrate.output(&["resume"]).await;
    assert!(again.status.success());
    assert!(text(&again.stdout).contains("Nothing to do"));

    ecs_stand_in.await.unwrap();
    common::verify::assert_one_of_each(&sdk, &names, &ids).await;
    println!(
        "{} kills, then applied, in {:?}",
        KILL_POINTS.len(),
        began.elapsed()
    );
}
