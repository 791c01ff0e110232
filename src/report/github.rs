//! `--format github`: GitHub Actions workflow commands (`::error file=…::…`),
//! one per finding, so they show as annotations on the pull request.
//!
//! Strings from scanned files go through [`escape::text`] first (a CR or LF
//! in a file name is shown as `\x0a`, not decoded into the annotation; ESC
//! never reaches the log), then through the workflow-command escapes.

use super::escape;
use crate::model::{Report, Severity};

/// Escapes a workflow-command message (`%`, CR, LF).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow-command property (also `:` and `,`).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

pub fn render_github(report: &Report) -> String {
    let mut out = String::new();
    for artifact in &report.artifacts {
        let file = artifact.path.outer_file();
        for finding in artifact.findings() {
            let command = match finding.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Note => "notice",
            };
            let mut message = format!(
                "{}: {}",
                escape::text(artifact.path.as_str()),
                escape::text(&finding.message)
            );
            if let Some(line) = finding.loader_messages.first() {
                message.push_str(&format!("\n{}", escape::text(line)));
            }
            if let Some(remedy) = &finding.remedy {
                message.push_str(&format!("\nFix: {}", escape::text(remedy)));
            }
            out.push_str(&format!(
                "::{command} file={},title={}::{}\n",
                escape_property(&escape::text(file)),
                escape_property(&format!("{} {}", finding.code, finding.code.rule().name)),
                escape_data(&message)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_workflow_commands() {
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
