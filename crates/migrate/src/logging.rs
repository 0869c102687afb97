//! Diagnostic logs: `tracing` events on stderr, as text for people or JSON lines for machines.
//!
//! Logs are not the progress report: the reporters in [`crate::reporters`] say what the run is
//! doing; logs say why (each AWS call attempt with its request id at `-vv`, the engine's steps as
//! spans). Both share stderr, so every log line goes through the progress bars' `suspend`, which
//! clears the bars, writes the line and draws them again below it.

use std::io::{self, Write};

use anyhow::{Context, Result};
use indicatif::MultiProgress;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

/// The environment variable that overrides the level flags, in `tracing`'s directive syntax
/// (`RUST_LOG=migrate_aws=debug`), as every `tracing` program reads it.
pub const FILTER_VARIABLE: &str = "RUST_LOG";

/// The filter the flags give when `RUST_LOG` is not set. Every crate of this workspace is named
/// `migrate…`, and a directive's target matches every target it is a prefix of, so `migrate=`
/// covers them all; the AWS SDK's own events stay at the level above ours until `-vvv`.
pub fn default_directives(quiet: bool, verbose: u8) -> &'static str {
    match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "warn,migrate=info",
        (false, 2) => "info,migrate=debug",
        (false, _) => "debug,migrate=trace",
    }
}

/// Installs the process's subscriber. `RUST_LOG`, when set, wins over the flags; a value it
/// cannot parse is refused rather than silently replaced by the default.
pub fn init(quiet: bool, verbose: u8, format: LogFormat, bars: MultiProgress) -> Result<()> {
    let filter = match std::env::var(FILTER_VARIABLE) {
        Ok(directives) if !directives.trim().is_empty() => EnvFilter::try_new(&directives)
            .with_context(|| format!("{FILTER_VARIABLE}={directives} is not a valid log filter"))?,
        _ => EnvFilter::new(default_directives(quiet, verbose)),
    };
    let writer = BarSafeStderr { bars };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let installed = match format {
        LogFormat::Text => builder.with_target(false).with_ansi(false).try_init(),
        // One JSON object per line, the event's fields at the top level beside `level`,
        // `target`, `timestamp` and `message`, and the spans it happened in (the engine's step).
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
    installed.map_err(|e| anyhow::anyhow!("cannot install the logger: {e}"))
}

/// Makes writers to stderr that pause the progress bars for each line.
///
/// This is indicatif's own `suspend` rather than the `tracing-indicatif` crate: we need nothing
/// but untorn lines (the bars are driven by engine events, not by spans), and `suspend` is a
/// dozen lines against a dependency. The fmt layer formats a whole event into one buffer and
/// hands it to a single `write_all`, so one `suspend` per `write` keeps each line whole.
#[derive(Clone)]
struct BarSafeStderr {
    bars: MultiProgress,
}

impl<'a> MakeWriter<'a> for BarSafeStderr {
    type Writer = BarSafeWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        BarSafeWriter { bars: &self.bars }
    }
}

struct BarSafeWriter<'a> {
    bars: &'a MultiProgress,
}

impl Write for BarSafeWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // When the bars are hidden (stderr is not a terminal, or no bar was ever drawn) there is
        // nothing to clear and the line goes straight out.
        if self.bars.is_hidden() {
            io::stderr().lock().write_all(buf)?;
        } else {
            self.bars.suspend(|| io::stderr().lock().write_all(buf))?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().lock().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_level_flag_gives_a_filter_that_parses() {
        for (quiet, verbose) in [(true, 0), (false, 0), (false, 1), (false, 2), (false, 3)] {
            let directives = default_directives(quiet, verbose);
            assert!(
                EnvFilter::try_new(directives).is_ok(),
                "-q {quiet} -v {verbose}: {directives}"
            );
        }
    }

    #[test]
    fn more_v_never_shows_less() {
        // The maximum level each setting lets through for our own crates, in order.
        let levels: Vec<_> = [(true, 0), (false, 0), (false, 1), (false, 2), (false, 3)]
            .into_iter()
            .map(|(q, v)| {
                EnvFilter::new(default_directives(q, v))
                    .max_level_hint()
                    .expect("a static filter has a maximum level")
            })
            .collect();
        for pair in levels.windows(2) {
            assert!(pair[0] <= pair[1], "{levels:?}");
        }
    }
}
