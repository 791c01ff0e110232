//! `muslcheck targets`: every base-image profile, one row each.

use crate::model::TargetSummary;

use super::escape;

/// A table: image, C library, architectures, exactness, note; aliases below each row.
pub fn render_targets(rows: &[TargetSummary]) -> String {
    let libc = |row: &TargetSummary| match &row.libc_version {
        Some(version) => format!("{} {version}", row.libc),
        None => row.libc.clone(),
    };
    let name_width = rows.iter().map(|r| r.name.len()).max().unwrap_or(0).max(5);
    let libc_width = rows.iter().map(|r| libc(r).len()).max().unwrap_or(0).max(4);
    let arch_width = rows
        .iter()
        .map(|r| r.arches.join(",").len())
        .max()
        .unwrap_or(0)
        .max(4);
    let mut out = format!(
        "{:name_width$}  {:libc_width$}  {:arch_width$}  {:13}  NOTE\n",
        "IMAGE", "LIBC", "ARCH", "EXACTNESS"
    );
    for row in rows {
        out.push_str(&format!(
            "{:name_width$}  {:libc_width$}  {:arch_width$}  {:13}  {}\n",
            escape::text(&row.name),
            libc(row),
            row.arches.join(","),
            row.exactness.as_str(),
            escape::text(&row.note),
        ));
        if !row.aliases.is_empty() {
            out.push_str(&format!(
                "{:name_width$}  also: {}\n",
                "",
                escape::text(&row.aliases.join(", "))
            ));
        }
    }
    out.push_str(
        "\nexactness: verified = read from the image's own packages; derived = from its \
         package list; versions-only = C library and runtime versions only\n",
    );
    out
}

/// The rows as a JSON array.
pub fn render_targets_json(rows: &[TargetSummary]) -> String {
    serde_json::to_string_pretty(rows).unwrap_or_else(|err| {
        serde_json::json!({ "error": format!("could not serialise the targets: {err}") })
            .to_string()
    })
}
