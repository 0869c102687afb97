//! SARIF 2.1.0, for code-scanning views in CI.

use serde_json::{json, Value};

use crate::finding::{Finding, Severity};
use crate::locate::LineIndex;
use crate::rules::catalog;

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A SARIF log with one run. All rules are listed so that viewers can show their descriptions.
pub fn findings(findings: &[Finding], file: Option<&str>, index: Option<&LineIndex>) -> Value {
    let rules: Vec<Value> = catalog::ALL
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": { "text": r.summary },
                "defaultConfiguration": { "level": level(r.severity) },
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let rule_index = catalog::ALL.iter().position(|r| r.id == f.rule);
            let text = match &f.fix {
                Some(fix) => format!("{} Fix: {fix}", f.message),
                None => f.message.clone(),
            };
            let uri = f.location.file.as_deref().or(file);
            let line = f.location.line.or_else(|| {
                f.location
                    .path
                    .as_deref()
                    .and_then(|p| index.and_then(|i| i.line(p)))
            });
            let mut location = serde_json::Map::new();
            if let Some(uri) = uri {
                let mut physical = json!({ "artifactLocation": { "uri": uri } });
                if let Some(line) = line {
                    physical["region"] = json!({ "startLine": line });
                }
                location.insert("physicalLocation".into(), physical);
            }
            if let Some(path) = &f.location.path {
                location.insert(
                    "logicalLocations".into(),
                    json!([{ "fullyQualifiedName": path }]),
                );
            }
            let mut result = json!({
                "ruleId": f.rule,
                "level": level(f.severity),
                "message": { "text": text },
                "locations": [Value::Object(location)],
            });
            if let Some(index) = rule_index {
                result["ruleIndex"] = json!(index);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": { "name": "migrate-taskdef", "version": env!("CARGO_PKG_VERSION"), "rules": rules } },
            "results": results,
        }],
    })
}
