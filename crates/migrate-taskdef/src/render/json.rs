//! JSON for scripts: the findings and their counts.

use serde_json::{json, Value};

use super::Counts;
use crate::finding::Finding;
use crate::locate::LineIndex;

/// `{"findings": [...], "summary": {...}}`, each location completed with its line when known.
pub fn findings(findings: &[Finding], file: Option<&str>, index: Option<&LineIndex>) -> Value {
    let items: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut f = f.clone();
            if f.location.file.is_none() {
                f.location.file = file.map(str::to_string);
            }
            if f.location.line.is_none() {
                f.location.line = f
                    .location
                    .path
                    .as_deref()
                    .and_then(|p| index.and_then(|i| i.line(p)));
            }
            serde_json::to_value(&f).unwrap_or(Value::Null)
        })
        .collect();
    json!({ "findings": items, "summary": Counts::of(findings) })
}
