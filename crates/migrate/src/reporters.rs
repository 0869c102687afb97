//! How progress is shown: progress bars on a terminal, plain timestamped lines elsewhere (CI
//! logs, pipes), following uv's split between a `Reporter` trait in the library and indicatif at
//! the edge.

use std::io::IsTerminal;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use migrate_engine::{Event, Reporter};

/// The one set of progress bars of this process. The log writer pauses them for each log line
/// (see [`crate::logging`]), so it must hold the very bars the reporter draws.
pub fn shared_bars() -> MultiProgress {
    static BARS: OnceLock<MultiProgress> = OnceLock::new();
    BARS.get_or_init(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
        .clone()
}

/// Picks the reporter for this process's stderr.
pub fn for_terminal(no_progress: bool) -> Box<dyn Reporter> {
    if !no_progress && std::io::stderr().is_terminal() {
        Box::new(BarReporter::new())
    } else {
        Box::new(PlainReporter::default())
    }
}

/// One line per event; waits are reported at most every 15 seconds per step, so a long drain
/// does not flood a log.
#[derive(Default)]
pub struct PlainReporter {
    last_wait: Mutex<Option<(String, Instant)>>,
}

const WAIT_LINE_EVERY: Duration = Duration::from_secs(15);

fn stamp() -> String {
    chrono::Utc::now().format("%H:%M:%S").to_string()
}

impl Reporter for PlainReporter {
    fn report(&self, event: &Event<'_>) {
        let line = match event {
            Event::Waiting { step, message, .. } => {
                let mut last = self
                    .last_wait
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let due = match &*last {
                    Some((s, at)) => s != step || at.elapsed() >= WAIT_LINE_EVERY,
                    None => true,
                };
                if !due {
                    return;
                }
                *last = Some((step.to_string(), Instant::now()));
                format!("         {step}: {message}")
            }
            other => match describe(other) {
                Some(text) => text,
                None => return,
            },
        };
        eprintln!("{} {line}", stamp());
    }
}

/// The text of an event, shared by both reporters.
fn describe(event: &Event<'_>) -> Option<String> {
    Some(match event {
        Event::RunStarted {
            operation,
            total,
            already_done,
        } => {
            if *already_done > 0 {
                format!("{operation}: {total} steps, {already_done} already done")
            } else {
                format!("{operation}: {total} steps")
            }
        }
        Event::StepStarted {
            index,
            total,
            step,
            summary,
            attempt,
        } => {
            let retry = if *attempt > 1 {
                format!(" (attempt {attempt})")
            } else {
                String::new()
            };
            format!("[{}/{total}] {step}: {summary}{retry}", index + 1)
        }
        Event::StepReconciled { step } => {
            format!("         {step}: found what the interrupted attempt did")
        }
        Event::Waiting { step, message, .. } => format!("         {step}: {message}"),
        Event::Retrying {
            step,
            attempt,
            error,
            wait,
        } => {
            format!(
                "         {step}: attempt {attempt} failed ({error}); retrying in {}s",
                wait.as_secs()
            )
        }
        Event::StepDone { step, elapsed } => format!("    done {step} ({}s)", elapsed.as_secs()),
        Event::StepSkipped { step, reason } => format!(" skipped {step}: {reason}"),
        Event::StepFailed { step, reason } => format!("  FAILED {step}: {reason}"),
        Event::UndoStarted { step, index, total } => format!("[undo {}/{total}] {step}", index + 1),
        Event::UndoDone { step } => format!("  undone {step}"),
        Event::UndoFailed { step, reason } => format!("  FAILED to undo {step}: {reason}"),
        Event::RunFinished { operation } => format!("{operation}: finished"),
    })
}

/// An overall bar of steps and a spinner for the current step's waits.
pub struct BarReporter {
    bars: MultiProgress,
    overall: ProgressBar,
    current: Mutex<Option<ProgressBar>>,
}

impl BarReporter {
    fn new() -> Self {
        let bars = shared_bars();
        let overall = bars.add(ProgressBar::new(0));
        overall.set_style(
            ProgressStyle::with_template(
                "{prefix:>8} [{bar:30}] {pos}/{len} steps  {elapsed_precise}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        Self {
            bars,
            overall,
            current: Mutex::new(None),
        }
    }

    fn spinner(&self, message: String) -> ProgressBar {
        let bar = self.bars.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("         {spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        bar.set_message(message);
        bar
    }
}

impl Reporter for BarReporter {
    fn report(&self, event: &Event<'_>) {
        let mut current = self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match event {
            Event::RunStarted {
                operation,
                total,
                already_done,
            } => {
                self.overall.set_prefix(operation.to_string());
                self.overall.set_length(*total as u64);
                self.overall.set_position(*already_done as u64);
            }
            Event::StepStarted { step, summary, .. } => {
                if let Some(old) = current.take() {
                    old.finish_and_clear();
                }
                *current = Some(self.spinner(format!("{step}: {summary}")));
            }
            Event::UndoStarted { step, .. } => {
                if let Some(old) = current.take() {
                    old.finish_and_clear();
                }
                *current = Some(self.spinner(format!("undo {step}")));
            }
            Event::Waiting { step, message, .. } => {
                if let Some(bar) = current.as_ref() {
                    bar.set_message(format!("{step}: {message}"));
                }
            }
            Event::StepDone { .. } | Event::StepSkipped { .. } | Event::UndoDone { .. } => {
                if let Some(bar) = current.take() {
                    bar.finish_and_clear();
                }
                if let Some(text) = describe(event) {
                    let _ = self.bars.println(text);
                }
                self.overall.inc(1);
            }
            Event::RunFinished { .. } => {
                if let Some(bar) = current.take() {
                    bar.finish_and_clear();
                }
                self.overall.finish();
            }
            other => {
                if let Some(text) = describe(other) {
                    let _ = self.bars.println(text);
                }
            }
        }
    }
}
