//! The command line, as clap reads it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "migrate",
    version,
    about = "Move a live web application onto ECS Fargate with zero failed requests.",
    long_about = "Move a live web application from EC2, an Auto Scaling group, ECS-on-EC2 or Elastic \
                  Beanstalk onto ECS Fargate with zero failed requests.\n\n\
                  `migrate plan PLAYBOOK` writes a reviewable plan; `migrate apply` runs it with a \
                  checkpoint after every step; `migrate resume` continues after any crash; \
                  `migrate rollback` walks back from wherever it stopped.",
    after_help = "Exit codes: 0 success; 1 error (bad input, corrupt state, lock held); \
                  2 changes pending (plan --detailed-exitcode); 3 a step failed (resume or roll back)."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The AWS profile to use (from ~/.aws/config).
    #[arg(long, global = true, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// The AWS region; the playbook's region when not given.
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Send AWS API calls to this endpoint (a local emulator, a VPC endpoint).
    #[arg(long, global = true, env = "AWS_ENDPOINT_URL")]
    pub endpoint_url: Option<String>,
    /// Send the health gate's HTTP probe to this base URL instead of the new load balancer's DNS
    /// name (for runs against a local emulator, whose load balancers resolve nowhere).
    #[arg(long, global = true, env = "MIGRATE_PROBE_URL", hide_short_help = true)]
    pub probe_url: Option<String>,
    /// Plain lines instead of progress bars, even on a terminal.
    #[arg(long, global = true)]
    pub no_progress: bool,
    /// More detail in the logs on stderr: -v says what migrate does, -vv adds every AWS call
    /// attempt with its request id, -vvv the AWS SDK's debug events too. `RUST_LOG` overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Only errors in the logs on stderr (progress and results are still printed).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// How log lines are written on stderr: text for people, json (one object per line) for
    /// machines.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

impl GlobalArgs {
    /// The AWS options these flags give, with `region` (the flag's, or a playbook's) and no
    /// probe override: for the commands that only read the account.
    pub fn aws_options(&self, region: Option<String>) -> migrate_aws::AwsOptions {
        migrate_aws::AwsOptions {
            profile: self.profile.clone(),
            region,
            endpoint_url: self.endpoint_url.clone(),
            probe_override: None,
        }
    }
}

/// The shape of the log lines on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Which migration a command acts on.
#[derive(Debug, Args, Clone)]
pub struct Target {
    /// The playbook, or the migration's name (its state is in `.migrate/<name>/`).
    pub migration: Option<String>,
    /// The state directory, instead of `.migrate/<name>/`.
    #[arg(long, conflicts_with = "state")]
    pub state_dir: Option<PathBuf>,
    /// A shared state in S3, instead of a local directory (also the playbook's `state:`).
    #[arg(long, value_name = "s3://BUCKET/PREFIX")]
    pub state: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read the account (read only) and list the applications this tool can move: each entry
    /// point, what serves behind it, and the data stores it reaches. `-o FILE` saves the
    /// inventory for `migrate init --from FILE`.
    Discover(crate::commands::discover::DiscoverArgs),
    /// The wizard: choose a discovered application and write a commented playbook that `migrate
    /// plan` accepts. Every question has a flag; `--yes` takes the defaults.
    Init(crate::commands::init::InitArgs),
    /// Build the plan from a playbook, write it to the state directory, and print it for review.
    Plan(PlanArgs),
    /// Run the plan: every step, a checkpoint after each. Refuses first when the account no
    /// longer matches the snapshot the plan was reviewed with.
    Apply(ApplyArgs),
    /// Continue an apply or a rollback that stopped (crash, lost connection, failed step).
    Resume(RunArgs),
    /// Undo what was done, newest first; continues an interrupted rollback.
    Rollback(RunArgs),
    /// Delete the old side after the soak period: the point of no return (no rollback after it).
    /// `--plan` shows exactly what would be deleted, each resource with its id.
    Cleanup(CleanupArgs),
    /// Show where a migration stands: each step, its attempts, what it created, what a rollback
    /// would undo now.
    Status(StatusArgs),
    /// Remove the lock a dead run left behind. Needs the lock's exact id.
    Unlock(UnlockArgs),
    /// Translate a task definition (ECS-on-EC2, Dockerrun v2, docker-compose) to Fargate, listing
    /// every change and why.
    Convert(crate::commands::convert::ConvertArgs),
    /// Check a task definition for what Fargate refuses.
    Lint(crate::commands::convert::LintArgs),
    /// Run the plan in the simulator, with live traffic and faults: timeline, total time against
    /// the critical-path lower bound, requests served and failed, API calls. Touches no account.
    Rehearse(RehearseArgs),
    /// Print the least-privilege IAM policy (JSON) the plan's steps, their undo and its state
    /// backend need, scoped to the plan's names and tags.
    Policy(crate::commands::policy::PolicyArgs),
    /// Check, reading only, that the account can run the plan's Fargate tasks: caller, roles and
    /// their permissions, subnets' routes, load balancer subnets, task role, vCPU quota. Every
    /// problem at once; exit code 1 when any is an error.
    Preflight(crate::commands::preflight::PreflightArgs),
    /// Print the JSON Schema of the playbook.
    Schema,
    /// Print shell completions.
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The playbook (YAML).
    pub playbook: PathBuf,
    /// The state directory, instead of `.migrate/<name>/`.
    #[arg(long, conflicts_with = "state")]
    pub state_dir: Option<PathBuf>,
    /// A shared state in S3, instead of a local directory (overrides the playbook's `state:`).
    #[arg(long, value_name = "s3://BUCKET/PREFIX")]
    pub state: Option<String>,
    /// Print the plan as JSON.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Exit 0 when there is nothing to do, 2 when changes are pending, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Print the review report (changes, security, risks, rehearsed timeline, cost, rollback)
    /// instead of the list of steps; markdown is ready for a pull request.
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// Write the report to this file instead of standard output; the Gantt SVG goes beside it.
    #[arg(short = 'o', long = "output", value_name = "FILE", requires = "format")]
    pub output: Option<PathBuf>,
    /// Do not read the account: plan from the playbook alone. The plan then stores no snapshot,
    /// the report says the account was not read, and `apply` warns that it could not check
    /// the plan against the account.
    #[arg(long)]
    pub offline: bool,
    /// A price table (JSON, as crates/migrate-report/prices.json) instead of the bundled one.
    #[arg(long, value_name = "FILE", requires = "format")]
    pub prices: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Markdown,
    Json,
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusFormat {
    Markdown,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub target: Target,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub target: Target,
    /// When the account changed since the plan was reviewed, store what it is now in the plan
    /// and go on, instead of refusing.
    #[arg(long)]
    pub refresh: bool,
}

#[derive(Debug, Args)]
pub struct CleanupArgs {
    #[command(flatten)]
    pub target: Target,
    /// Show what clean-up would delete (each resource with its id, found through what the
    /// migration recorded) and whether it may run now; delete nothing.
    #[arg(long)]
    pub plan: bool,
    /// Confirm without a terminal: the migration's name, exactly as a terminal would ask for it.
    #[arg(long, value_name = "NAME", conflicts_with = "plan")]
    pub confirm: Option<String>,
    /// Delete before the playbook's `cleanup.soak` period is over; the reason is recorded in the
    /// state and shown by `migrate status`.
    #[arg(long, value_name = "REASON")]
    pub soak_override: Option<String>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub target: Target,
    /// Print the whole state as JSON.
    #[arg(long)]
    pub json: bool,
    /// Render the migration as a Markdown report (for a pull request or an incident channel).
    #[arg(long, value_enum, conflicts_with = "json")]
    pub format: Option<StatusFormat>,
}

#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// The lock id `migrate status` or the refused command printed.
    pub id: String,
    #[command(flatten)]
    pub target: Target,
}

#[derive(Debug, Args)]
pub struct RehearseArgs {
    #[command(flatten)]
    pub target: Target,
    /// The seed: the same seed replays the same run exactly.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The fault profile: none, quiet, default, chaos, unhealthy or overloaded (a new side that
    /// fails under load, which the traffic guard hands back).
    #[arg(long, default_value = "default")]
    pub faults: String,
    /// Print the rehearsal as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    pub shell: clap_complete::Shell,
}
