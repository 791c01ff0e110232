//! Rendering a [`Report`](crate::Report) and deciding the exit code.
//!
//! One renderer file per format; none of them decides a verdict.

mod github;
mod json;
mod sarif;
mod text;

use std::str::FromStr;

use crate::check::Severity;
use crate::scan::Report;

pub use github::render_github;
pub use json::render_json;
pub use sarif::render_sarif;
pub use text::{TextOptions, render_text, render_wheel_audit, summary_line};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Github,
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "sarif" => Ok(Format::Sarif),
            "github" => Ok(Format::Github),
            other => Err(format!(
                "unknown format `{other}`; expected text, json, sarif or github"
            )),
        }
    }
}

/// The severity at or above which the scan fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Severity(Severity),
    Never,
}

impl FromStr for FailOn {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "error" => Ok(FailOn::Severity(Severity::Error)),
            "warning" => Ok(FailOn::Severity(Severity::Warning)),
            "note" => Ok(FailOn::Severity(Severity::Note)),
            "never" => Ok(FailOn::Never),
            other => Err(format!(
                "unknown --fail-on level `{other}`; expected error, warning, note or never"
            )),
        }
    }
}

/// Process exit status: 0 clean, 1 findings at or above `--fail-on`, 2 the
/// tool itself could not do its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Clean = 0,
    Findings = 1,
    Failure = 2,
}

pub fn exit_status(report: &Report, fail_on: FailOn) -> ExitStatus {
    match (fail_on, report.worst_severity()) {
        (FailOn::Severity(threshold), Some(worst)) if worst >= threshold => ExitStatus::Findings,
        _ => ExitStatus::Clean,
    }
}
