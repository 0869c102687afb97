//! `migrate init`: the wizard. Reads the account (or a saved inventory), asks what it must, and
//! writes a commented playbook and its task definitions that `migrate plan` accepts as written.
//! Every question has a flag; `--yes` takes every default; off a terminal a question without an
//! answer is an error naming its flag. Nothing is written unless everything checked out.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use dialoguer::console::Term;
use migrate_wizard::{Answers, ImageCheck, NoTerminal, Prompter, Question, WizardError};

use crate::cli::GlobalArgs;
use crate::exit;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Work from an inventory saved by `migrate discover -o FILE`: no AWS call at all.
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
    /// The directory the playbook (`NAME.yaml`) and its `taskdefs/` are written to.
    #[arg(short, long, value_name = "DIR", default_value = ".")]
    pub output: PathBuf,
    /// Overwrite files that already exist.
    #[arg(long)]
    pub force: bool,
    /// Take the default of every question no flag answers (the image has none).
    #[arg(short, long)]
    pub yes: bool,
    /// The application to move, by the name `migrate discover` prints.
    #[arg(long, value_name = "NAME")]
    pub app: Option<String>,
    /// The migration's name (prefixes every new resource; 1 to 18 of a-z, 0-9, -).
    #[arg(long)]
    pub name: Option<String>,
    /// The DNS name to move (when several point at the application).
    #[arg(long, value_name = "DNS_NAME")]
    pub record: Option<String>,
    /// The data stores that must admit the new tasks, by id, comma-separated (empty: none).
    #[arg(long, value_delimiter = ',', num_args = 0..)]
    pub data_stores: Option<Vec<String>>,
    /// The old ECS services to move, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub services: Option<Vec<String>>,
    /// The image the new service runs (Auto Scaling group and Beanstalk sources). An ECR image
    /// is checked to exist unless working `--from` a file.
    #[arg(long)]
    pub image: Option<String>,
    /// Fargate CPU units of every service.
    #[arg(long)]
    pub cpu: Option<u32>,
    /// Fargate memory (MiB) of every service.
    #[arg(long)]
    pub memory: Option<u32>,
    /// Tasks of the web service.
    #[arg(long)]
    pub desired_count: Option<u32>,
    /// The cutover: `alias` (one record change) or `weighted` (a ramp of weighted records).
    #[arg(long)]
    pub strategy: Option<String>,
    /// The longest wait for the old side's traffic to end, e.g. `2h`.
    #[arg(long)]
    pub drain_timeout: Option<String>,
    /// The new Fargate cluster's name.
    #[arg(long)]
    pub cluster: Option<String>,
    /// The tasks' execution role.
    #[arg(long)]
    pub execution_role: Option<String>,
}

pub fn run(args: &InitArgs, global: &GlobalArgs) -> Result<u8> {
    let inventory = match &args.from {
        Some(path) => super::discover::load(path)?,
        None => super::discover::read_account(global)?,
    };
    let answers = Answers {
        yes: args.yes,
        application: args.app.clone(),
        name: args.name.clone(),
        record: args.record.clone(),
        data_stores: args.data_stores.clone(),
        services: args.services.clone(),
        image: args.image.clone(),
        cpu: args.cpu,
        memory: args.memory,
        desired_count: args.desired_count,
        strategy: args.strategy.clone(),
        drain_timeout: args.drain_timeout.clone(),
        cluster: args.cluster.clone(),
        execution_role: args.execution_role.clone(),
    };
    let on_terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let mut prompter: Box<dyn Prompter> = if on_terminal {
        Box::new(TerminalPrompter)
    } else {
        Box::new(NoTerminal)
    };
    let draft = if args.from.is_some() {
        // From a saved inventory no AWS call is made, not even to check an image.
        migrate_wizard::draft(&inventory, &answers, prompter.as_mut())
    } else {
        let images = EcrImages::new(global)?;
        migrate_wizard::draft_checking_images(&inventory, &answers, prompter.as_mut(), &images)
    }
    .map_err(|e| anyhow!("{e}"))?;
    let playbook_path = args.output.join(format!("{}.yaml", draft.name));
    let mut writes = vec![(playbook_path.clone(), draft.playbook.clone())];
    writes.extend(
        draft
            .files
            .iter()
            .map(|f| (args.output.join(&f.relative_path), f.contents.clone())),
    );
    if !args.force {
        let existing: Vec<String> = writes
            .iter()
            .filter(|(path, _)| path.exists())
            .map(|(path, _)| path.display().to_string())
            .collect();
        if !existing.is_empty() {
            bail!(
                "{} already exist{}; nothing written (pass --force to overwrite)",
                existing.join(", "),
                if existing.len() == 1 { "s" } else { "" }
            );
        }
    }
    for (path, contents) in &writes {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::write(path, contents)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    for (path, _) in &writes {
        println!("wrote {}", path.display());
    }
    println!(
        "Next: review it, then `migrate plan {}`.",
        playbook_path.display()
    );
    Ok(exit::OK)
}

/// Checks, while the question is open, that an ECR image exists: a typo in a tag would
/// otherwise surface only when the first task fails to start, in the middle of the migration.
/// An image outside ECR, or one that cannot be checked (no permission), is accepted with a
/// warning rather than blocking the draft.
struct EcrImages {
    runtime: tokio::runtime::Runtime,
    sdk: migrate_aws::SdkConfig,
}

impl EcrImages {
    fn new(global: &GlobalArgs) -> Result<Self> {
        let options = global.aws_options(global.region.clone());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let sdk = runtime.block_on(migrate_aws::config::load(&options))?;
        Ok(Self { runtime, sdk })
    }
}

impl ImageCheck for EcrImages {
    fn check(&self, image: &str) -> std::result::Result<(), String> {
        match self
            .runtime
            .block_on(migrate_aws::inventory::ecr_image_exists(&self.sdk, image))
        {
            Ok(Some(false)) => Err(format!("{image} is not in ECR (no such repository or tag)")),
            Ok(_) => Ok(()),
            Err(reason) => {
                eprintln!("warning: could not check that {image} exists in ECR: {reason}");
                Ok(())
            }
        }
    }
}

/// dialoguer on stderr, so that stdout keeps only what the command prints.
struct TerminalPrompter;

fn terminal(e: &dialoguer::Error) -> WizardError {
    WizardError::Terminal(e.to_string())
}

impl Prompter for TerminalPrompter {
    fn select(
        &mut self,
        question: &Question,
        options: &[String],
        default: usize,
    ) -> Result<usize, WizardError> {
        dialoguer::Select::new()
            .with_prompt(format!("{} ({})", question.text, question.flag))
            .items(options)
            .default(default)
            .interact_on(&Term::stderr())
            .map_err(|e| terminal(&e))
    }

    fn multi_select(
        &mut self,
        question: &Question,
        options: &[String],
        chosen: &[bool],
    ) -> Result<Vec<usize>, WizardError> {
        dialoguer::MultiSelect::new()
            .with_prompt(format!(
                "{} ({}; space toggles, enter accepts)",
                question.text, question.flag
            ))
            .items(options)
            .defaults(chosen)
            .interact_on(&Term::stderr())
            .map_err(|e| terminal(&e))
    }

    fn input(&mut self, question: &Question, default: Option<&str>) -> Result<String, WizardError> {
        let mut input = dialoguer::Input::<String>::new()
            .with_prompt(format!("{} ({})", question.text, question.flag));
        if let Some(default) = default {
            input = input.default(default.to_string());
        }
        input
            .interact_text_on(&Term::stderr())
            .map_err(|e| terminal(&e))
    }
}
