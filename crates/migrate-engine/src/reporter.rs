//! Progress, as events. The engine says what happens; the binary decides how to show it
//! (progress bars on a terminal, plain lines elsewhere, nothing in tests).

use std::time::Duration;

/// Something that happened in a run.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<'a> {
    RunStarted {
        operation: &'a str,
        total: usize,
        already_done: usize,
    },
    StepStarted {
        index: usize,
        total: usize,
        step: &'a str,
        summary: &'a str,
        attempt: u32,
    },
    /// An earlier, interrupted attempt turned out to have done the work.
    StepReconciled {
        step: &'a str,
    },
    /// A long wait made progress or is still waiting; `fraction` is set when it can be known.
    Waiting {
        step: &'a str,
        message: &'a str,
        fraction: Option<f64>,
    },
    Retrying {
        step: &'a str,
        attempt: u32,
        error: &'a str,
        wait: Duration,
    },
    StepDone {
        step: &'a str,
        elapsed: Duration,
    },
    StepSkipped {
        step: &'a str,
        reason: &'a str,
    },
    StepFailed {
        step: &'a str,
        reason: &'a str,
    },
    UndoStarted {
        step: &'a str,
        index: usize,
        total: usize,
    },
    UndoDone {
        step: &'a str,
    },
    UndoFailed {
        step: &'a str,
        reason: &'a str,
    },
    RunFinished {
        operation: &'a str,
    },
}

pub trait Reporter: Send + Sync {
    fn report(&self, event: &Event<'_>);
}

/// Reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullReporter;

impl Reporter for NullReporter {
    fn report(&self, _event: &Event<'_>) {}
}
