//! `migrate discover`: a read-only inventory of one region, grouped into the applications this
//! tool can move, printed as a table (or JSON) and optionally saved for `migrate init --from`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use migrate_inventory::{applications, Application, Inventory, ReadProgress};

use crate::cli::GlobalArgs;
use crate::exit;

#[derive(Debug, Args)]
pub struct DiscoverArgs {
    /// Print the applications and the whole inventory as JSON instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Save the inventory to this file, for `migrate init --from FILE` (no AWS calls then).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: &DiscoverArgs, global: &GlobalArgs) -> Result<u8> {
    let inventory = read_account(global)?;
    let apps = applications(&inventory);
    if args.json {
        let out = serde_json::json!({ "applications": apps, "inventory": inventory });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", table(&inventory, &apps));
    }
    if apps.is_empty() {
        eprintln!(
            "No application to move in {}: no application load balancer forwards to ECS services \
             on EC2, an Auto Scaling group, a Beanstalk environment or EC2 instances.{}",
            inventory.region,
            if args.output.is_some() {
                " Nothing written."
            } else {
                ""
            }
        );
        return Ok(exit::ERROR);
    }
    if let Some(path) = &args.output {
        save(path, &inventory)?;
        eprintln!(
            "Saved the inventory to {}; `migrate init --from {}` writes a playbook from it.",
            path.display(),
            path.display()
        );
    }
    Ok(exit::OK)
}

/// Reads the account the global options name, with a progress bar on a terminal.
pub(crate) fn read_account(global: &GlobalArgs) -> Result<Inventory> {
    let options = global.aws_options(global.region.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let progress = PartsProgress::new(global.no_progress);
    let (inventory, calls) = runtime.block_on(async {
        let sdk = migrate_aws::config::load(&options).await?;
        anyhow::Ok(migrate_aws::inventory::read(&sdk, &progress).await)
    })?;
    progress.finish();
    tracing::info!(calls = %calls.render(), "the inventory's API calls");
    Ok(inventory)
}

fn save(path: &Path, inventory: &Inventory) -> Result<()> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, inventory.to_json())
        .with_context(|| format!("cannot write {}", partial.display()))?;
    std::fs::rename(&partial, path).with_context(|| format!("cannot write {}", path.display()))
}

/// The applications first (what a user came for), then what could not be read.
pub(crate) fn table(inventory: &Inventory, apps: &[Application]) -> String {
    let mut out = format!(
        "{} application(s) in {} (read {} with {} API requests):\n\n",
        apps.len(),
        inventory.region,
        inventory.read_at.format("%Y-%m-%d %H:%M UTC"),
        inventory.api_calls
    );
    let rows: Vec<[String; 5]> = apps
        .iter()
        .map(|app| {
            let entry = if app.entry_points.is_empty() {
                format!("(no DNS name) → {}", app.load_balancer)
            } else {
                let mut names: Vec<&str> =
                    app.entry_points.iter().map(|e| e.name.as_str()).collect();
                names.dedup();
                format!("{} → {}", names.join(", "), app.load_balancer)
            };
            let running = if app.tasks > 0 {
                format!("{} tasks on {} instances", app.tasks, app.instances.len())
            } else {
                format!("{} instances", app.instances.len())
            };
            let stores = if app.data_stores.is_empty() {
                "-".to_string()
            } else {
                app.data_stores
                    .iter()
                    .map(|d| {
                        format!(
                            "{} ({})",
                            d.id,
                            d.engine.as_deref().unwrap_or(d.kind.playbook_kind())
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            [
                app.name.clone(),
                app.kind.as_str().to_string(),
                entry,
                running,
                stores,
            ]
        })
        .collect();
    let header = ["NAME", "KIND", "ENTRY POINT", "RUNNING", "DATA STORES"].map(str::to_string);
    let widths: Vec<usize> = (0..5)
        .map(|i| {
            rows.iter()
                .chain([&header])
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in [&header].into_iter().chain(rows.iter()) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    if !inventory.unread.is_empty() {
        out.push_str("\nNot read (the applications above may miss what these would show):\n");
        for part in &inventory.unread {
            out.push_str(&format!("  {}: {}\n", part.part, part.reason));
        }
    }
    out
}

/// A bar over the parts of the read on a terminal; a line per part elsewhere.
struct PartsProgress {
    bar: Option<ProgressBar>,
}

const PARTS: u64 = 8;

impl PartsProgress {
    fn new(no_progress: bool) -> Self {
        let bar = (!no_progress && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(PARTS);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} reading the account [{bar:20}] {pos}/{len} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        PartsProgress { bar }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl ReadProgress for PartsProgress {
    fn part_started(&self, part: &str) {
        if self.bar.is_none() {
            eprintln!("reading {part}");
        }
    }

    fn part_finished(&self, part: &str, read: bool) {
        let outcome = if read { "read" } else { "not read" };
        match &self.bar {
            Some(bar) => {
                bar.inc(1);
                bar.set_message(format!("{part} {outcome}"));
            }
            None => eprintln!("{part}: {outcome}"),
        }
    }
}

/// Fails when a saved inventory cannot be used, naming the file and why.
pub(crate) fn load(path: &Path) -> Result<Inventory> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the saved inventory {}", path.display()))?;
    match Inventory::from_json(&text, &path.display().to_string()) {
        Ok(inventory) => Ok(inventory),
        Err(e) => bail!("{e}"),
    }
}
