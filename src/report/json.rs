//! `--format json`: the [`Report`] as documented in `schema/report.schema.json`.

use crate::model::Report;

pub fn render_json(report: &Report) -> String {
    // Serialising plain data into a String cannot fail; fall back to an error object anyway.
    serde_json::to_string_pretty(report).unwrap_or_else(|err| {
        serde_json::json!({ "error": format!("could not serialise the report: {err}") }).to_string()
    })
}
