//! `--format sarif`: SARIF 2.1.0 for code-scanning UIs. Rules come from the
//! registry; results point at repository-relative paths.

use serde_json::{Value, json};

use super::escape;
use crate::config::baseline;
use crate::model::{Code, Severity};
use crate::model::{Report, ReportPath};

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

pub fn render_sarif(report: &Report) -> String {
    let rules: Vec<Value> = Code::ALL
        .iter()
        .map(|code| {
            let rule = code.rule();
            json!({
                "id": rule.id,
                "name": rule.name,
                "shortDescription": { "text": rule.summary },
                "fullDescription": { "text": rule.explanation },
                "help": { "text": rule.explanation },
                "defaultConfiguration": { "level": level(rule.severity) },
            })
        })
        .collect();
    let mut results = Vec::new();
    for artifact in &report.artifacts {
        for finding in artifact.findings() {
            let rule_index = Code::ALL.iter().position(|code| *code == finding.code);
            // Shown in code-scanning UIs: no controls or bidi overrides.
            let mut text = format!(
                "{}: {}",
                escape::text(artifact.path.as_str()),
                escape::text(&finding.message)
            );
            if let Some(remedy) = &finding.remedy {
                let stop = if text.ends_with(['.', '!', '?']) {
                    ""
                } else {
                    "."
                };
                text.push_str(&format!("{stop} Fix: {}", escape::text(remedy)));
            }
            let fingerprint = baseline::fingerprint(artifact, finding);
            results.push(json!({
                "ruleId": finding.code.id(),
                "ruleIndex": rule_index,
                "level": level(finding.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {
                            // An archive member is reported on its archive;
                            // a file name cannot change what the URI means.
                            "uri": escape::uri(&ReportPath::bytes_of(artifact.path.outer_file())),
                            "uriBaseId": "%SRCROOT%",
                        },
                        // A binary file has no lines; code-scanning UIs need one.
                        "region": { "startLine": 1 },
                    }
                }],
                // The baseline's fingerprint: stable across version upgrades.
                "partialFingerprints": {
                    "muslcheck/v1": format!("{}:{}:{}", fingerprint.code, fingerprint.package, fingerprint.path),
                },
            }));
        }
    }
    let sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": report.tool.name,
                    "version": report.tool.version,
                    "informationUri": "https://github.com/muslcheck/muslcheck",
                    "rules": rules,
                }
            },
            "results": results,
            "properties": {
                "target": report.target.name,
                "arch": report.arch.to_string(),
            },
        }],
    });
    serde_json::to_string_pretty(&sarif).unwrap_or_default()
}
