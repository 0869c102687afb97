//! Plain text for a terminal.

use std::fmt::Write as _;

use super::Counts;
use crate::finding::{Change, Finding};
use crate::locate::LineIndex;

/// One block per finding, then a summary line. `index` (the linted text's lines) and `file` add a
/// `file:line` to locations that only have a JSON path.
pub fn findings(findings: &[Finding], file: Option<&str>, index: Option<&LineIndex>) -> String {
    let mut out = String::new();
    for f in findings {
        let _ = writeln!(out, "{}[{} {}]: {}", f.severity, f.rule, f.name, f.message);
        let line = match (&f.location.line, &f.location.path, index) {
            (Some(line), _, _) => Some(*line),
            (None, Some(path), Some(index)) => index.line(path),
            _ => None,
        };
        let file = f.location.file.as_deref().or(file);
        let place = match (file, line, &f.location.path) {
            (Some(file), Some(line), Some(path)) => format!("{file}:{line} {path}"),
            (Some(file), Some(line), None) => format!("{file}:{line}"),
            _ => f.location.to_string(),
        };
        let _ = writeln!(out, "  --> {place}");
        if let Some(fix) = &f.fix {
            let _ = writeln!(out, "  fix: {fix}");
        }
    }
    let counts = Counts::of(findings);
    let _ = writeln!(
        out,
        "{} error(s), {} warning(s), {} info",
        counts.errors, counts.warnings, counts.info
    );
    out
}

/// One line per change with its reason underneath.
pub fn changes(changes: &[Change]) -> String {
    let mut out = String::new();
    for c in changes {
        let _ = writeln!(out, "[{}] {}: {}", c.rule, c.location, c.change);
        let _ = writeln!(out, "    why: {}", c.reason);
    }
    let _ = writeln!(out, "{} change(s)", changes.len());
    out
}
