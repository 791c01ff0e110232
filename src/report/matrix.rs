//! The matrix as text: packages × targets, then which targets run it.

use std::fmt::Write;

use super::escape;
use crate::model::{Action, Matrix, MatrixCell, MatrixRow, Reinstall, Verdict};

/// Widest a package name gets before it is cut.
const NAME_CAP: usize = 40;

pub fn render_matrix_text(matrix: &Matrix) -> String {
    let mut out = String::new();
    render_images(&mut out, matrix);
    let headers: Vec<String> = matrix
        .targets
        .iter()
        .map(|t| {
            let name = short_name(t.target.name.split(' ').next().unwrap_or(&t.target.name));
            if t.gcompat {
                format!("{name}+gcompat")
            } else {
                name.to_string()
            }
        })
        .collect();
    let rows: Vec<(String, Vec<String>)> = matrix
        .rows
        .iter()
        .filter(|row| worth_a_row(row))
        .map(|row| (row_name(row), row.cells.iter().map(cell_text).collect()))
        .collect();
    let name_width = rows
        .iter()
        .map(|(name, _)| name.chars().count())
        .chain([7])
        .max()
        .unwrap_or(7)
        .min(NAME_CAP);
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(column, header)| {
            rows.iter()
                .filter_map(|(_, cells)| cells.get(column))
                .map(|cell| cell.chars().count())
                .chain([header.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |name: &str, cells: &[String]| {
        let mut text = format!("{:<name_width$}", escape::text(name));
        for (cell, width) in cells.iter().zip(&widths) {
            let _ = write!(text, "  {cell:<width$}");
        }
        text.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line("package", &headers));
    for (name, cells) in &rows {
        let _ = writeln!(out, "{}", line(name, cells));
    }
    let hidden = matrix.rows.len() - rows.len();
    if hidden > 0 {
        let _ = writeln!(
            out,
            "({hidden} more package(s) load everywhere as they are)"
        );
    }
    out.push('\n');

    let names = |pick: &dyn Fn(usize) -> bool| -> Vec<String> {
        headers
            .iter()
            .enumerate()
            .filter(|(i, _)| pick(*i))
            .map(|(_, h)| h.clone())
            .collect()
    };
    let as_is = names(&|i| matrix.targets.get(i).is_some_and(|t| t.runs_as_is));
    let after = names(&|i| {
        matrix
            .targets
            .get(i)
            .is_some_and(|t| !t.runs_as_is && t.runs_after_plan)
    });
    let _ = writeln!(out, "runs as it is on: {}", or_none(&as_is));
    let _ = writeln!(out, "runs after its plan on: {}", or_none(&after));
    let undecided = names(&|i| matrix.targets.get(i).is_some_and(|t| t.undecided));
    if !undecided.is_empty() {
        let _ = writeln!(
            out,
            "cannot tell on: {} (files it cannot judge there, or packages no source said has a build for it)",
            undecided.join(", ")
        );
    }
    if let Some(leanest) = &matrix.leanest {
        let name = headers.get(leanest.column).unwrap_or(&leanest.target);
        let libraries = matrix
            .targets
            .get(leanest.column)
            .and_then(|t| t.libraries)
            .map(|n| format!(" ({n} shared libraries)"))
            .unwrap_or_default();
        let after = match &leanest.after {
            Some(command) => format!(", after `{}`", escape::text(command)),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "leanest image that runs everything: {name}{libraries}{after}"
        );
    }
    for (target, header) in matrix.targets.iter().zip(&headers) {
        if let Some(reason) = &target.main_reason {
            let _ = writeln!(
                out,
                "{header}: {}",
                escape::text(&escape::shorten(reason, 160))
            );
        }
    }
    let _ = writeln!(
        out,
        "\nEach target's own report: muslcheck --target NAME PATH (--details for the evidence)"
    );
    out
}

/// Each scanned image in a line or two: what it is and what it runs (each
/// target's own report says how the command fares there).
fn render_images(out: &mut String, matrix: &Matrix) {
    for image in &matrix.images {
        let mut about = vec![image.format.clone(), format!("{} layer(s)", image.layers)];
        about.extend(image.architecture.clone());
        let mut line = format!("image {} ({})", image.path.as_str(), about.join(", "));
        if let Some(reference) = &image.reference {
            let _ = write!(line, " {reference}");
        }
        if let Some(base) = &image.base {
            let _ = write!(line, ": {base}");
        }
        let _ = writeln!(out, "{}", escape::text(&line));
        if let Some(command) = &image.command {
            let _ = writeln!(out, "    runs {}", escape::text(&command.name));
        }
        for runtime in &image.runtimes {
            let _ = writeln!(
                out,
                "    {} {} at {}: each target's report names its official variant",
                runtime.name,
                escape::text(&runtime.version),
                escape::text(&runtime.path)
            );
        }
    }
    if !matrix.images.is_empty() {
        out.push('\n');
    }
}

/// Rows where every target says ok and nothing is to do are counted, not shown.
fn worth_a_row(row: &MatrixRow) -> bool {
    row.cells.iter().any(|cell| match cell {
        None => false,
        Some(cell) => {
            !cell.actions.is_empty()
                || matches!(
                    cell.verdict,
                    Some(Verdict::Breaks | Verdict::Unknown | Verdict::NeedsGcompat)
                )
        }
    })
}

fn row_name(row: &MatrixRow) -> String {
    let name = match &row.package {
        Some(p) => format!("{} {}", p.name, p.version),
        None => "(no package)".to_string(),
    };
    match &row.origin {
        Some(origin) => format!("{name} ({})", origin.rsplit('/').next().unwrap_or(origin)),
        None => name,
    }
}

/// `ok`, `breaks`, `+libstdc++`, `gcompat`, `reinstall`, `no fix`.
fn cell_text(cell: &Option<MatrixCell>) -> String {
    let Some(cell) = cell else {
        return "-".to_string();
    };
    let verdict = match cell.verdict {
        None => match cell.reinstall {
            Reinstall::MuslBuild | Reinstall::GlibcBuild | Reinstall::NotNative => "ok".to_string(),
            other => other.as_str().to_string(),
        },
        Some(verdict) => verdict.as_str().to_string(),
    };
    let needs: Vec<String> = cell
        .actions
        .iter()
        .filter_map(|action| match action {
            Action::ApkAdd { packages } => Some(format!("+{}", packages.join("+"))),
            Action::Gcompat { .. } => Some("+gcompat".to_string()),
            Action::NoFix { .. } => Some("no fix".to_string()),
            Action::Unanswered { .. } => Some("unanswered".to_string()),
            Action::CopyFromBuild { .. } => Some("+copy".to_string()),
            Action::NewerAlpine { release, .. } => Some(format!("alpine≥{release}")),
            Action::Upgrade { to } => Some(format!("upgrade {to}")),
            Action::ReinstallOnTarget { .. } => Some("reinstall".to_string()),
            Action::BuildDependencies { .. } | Action::RelockForMusl { .. } => None,
        })
        .collect();
    if needs.is_empty() {
        verdict
    } else {
        format!("{verdict} {}", needs.join(" "))
    }
}

/// An image name without its registry (`gcr.io/distroless/cc-debian12` →
/// `distroless/cc-debian12`): the first part of a path names a registry
/// when it holds a dot or a port.
fn short_name(name: &str) -> &str {
    match name.split_once('/') {
        Some((registry, rest)) if registry.contains(['.', ':']) => rest,
        _ => name,
    }
}

fn or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none of these".to_string()
    } else {
        names.join(", ")
    }
}
