//! Rendering a [`Report`](crate::Report) and deciding the exit code.
//!
//! One renderer file per format; none of them decides a verdict.

pub mod escape;
mod explain;
mod github;
mod json;
mod matrix;
mod plan;
mod sarif;
mod targets;
mod text;

use std::str::FromStr;

use crate::config::FailOn;
use crate::model::Report;

pub use explain::{explain, explain_list};
pub use github::render_github;
pub use json::{render_json, write_json};
pub use matrix::render_matrix_text;
pub use sarif::render_sarif;
pub use targets::{render_targets, render_targets_json};
pub use text::{TextOptions, index_line, render_text, render_wheel_audit, summary_line};

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

/// Process exit status: 0 clean, 1 findings at or above `--fail-on`, 2 the
/// tool itself could not do its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Clean = 0,
    Findings = 1,
    Failure = 2,
}

pub fn exit_status(report: &Report, fail_on: FailOn) -> ExitStatus {
    match (fail_on.threshold(), report.worst_severity()) {
        (Some(threshold), Some(worst)) if worst >= threshold => ExitStatus::Findings,
        _ => ExitStatus::Clean,
    }
}
