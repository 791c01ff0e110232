//! The matrix: each target's report, side by side, by package.

use std::collections::BTreeMap;

use crate::model::{
    Action, ArtifactKind, Leanest, MATRIX_SCHEMA_VERSION, Matrix, MatrixCell, MatrixRow,
    MatrixTarget, Package, PackageDecision, Reinstall, Report, Severity, Verdict,
};
use crate::platform::{LoaderKind, Platform};

type RowKey = (Option<Package>, Option<String>);

/// Puts the reports (one per platform, in the same order, of the same
/// paths) side by side.
pub fn matrix(reports: Vec<Report>, platforms: &[Platform]) -> Matrix {
    let mut rows: BTreeMap<RowKey, Vec<Option<MatrixCell>>> = BTreeMap::new();
    let columns = reports.len();
    for (column, report) in reports.iter().enumerate() {
        for decision in &report.packages {
            let key = (decision.package.clone(), decision.origin.clone());
            let cells = rows.entry(key).or_insert_with(|| vec![None; columns]);
            if let Some(cell) = cells.get_mut(column) {
                *cell = Some(MatrixCell {
                    verdict: decision.as_is.verdict,
                    reinstall: decision.reinstalled.reinstall,
                    actions: decision.actions.clone(),
                });
            }
        }
    }
    let targets: Vec<MatrixTarget> = reports
        .iter()
        .zip(platforms)
        .map(|(report, platform)| target_column(report, platform))
        .collect();
    // With no ELF file judged, nothing says what an image must hold (a
    // requirements file alone: not even Python).
    let judged_files = reports
        .iter()
        .any(|report| report.artifacts.iter().any(|a| a.facts().is_some()));
    let leanest = judged_files.then(|| leanest(&targets)).flatten();
    let (tool, roots) = match reports.first() {
        Some(first) => (first.tool.clone(), first.roots.clone()),
        None => (
            crate::model::ToolInfo {
                name: env!("CARGO_PKG_NAME"),
                version: env!("CARGO_PKG_VERSION"),
            },
            Vec::new(),
        ),
    };
    Matrix {
        schema_version: MATRIX_SCHEMA_VERSION,
        tool,
        roots,
        images: reports
            .first()
            .map(|report| report.images.clone())
            .unwrap_or_default(),
        targets,
        leanest,
        rows: rows
            .into_iter()
            .map(|((package, origin), cells)| MatrixRow {
                package,
                origin,
                cells,
            })
            .collect(),
        reports,
    }
}

/// The target with the fewest libraries among those that run as they are,
/// else among those that run after their plan (with what to install).
fn leanest(targets: &[MatrixTarget]) -> Option<Leanest> {
    let pick = |runs: &dyn Fn(&MatrixTarget) -> bool| {
        targets
            .iter()
            .enumerate()
            .filter(|(_, t)| runs(t))
            .min_by_key(|(column, t)| (t.libraries.is_none(), t.libraries, *column))
    };
    let (column, target) = pick(&|t| t.runs_as_is).or_else(|| pick(&|t| t.runs_after_plan))?;
    let after = (!target.runs_as_is && !target.apk_add.is_empty()).then(|| {
        format!(
            "{} {}",
            target.install_command.as_deref().unwrap_or("apk add"),
            target.apk_add.join(" ")
        )
    });
    Some(Leanest {
        column,
        target: target.target.name.clone(),
        after,
    })
}

fn target_column(report: &Report, platform: &Platform) -> MatrixTarget {
    let fails = |d: &&PackageDecision| {
        matches!(
            d.as_is.verdict,
            Some(Verdict::Breaks | Verdict::Unknown | Verdict::NeedsGcompat)
        )
    };
    // Not installed here (a lockfile's or a requirements file's entry):
    // installing it on the image compiles it, or gets nothing. Or installed
    // without its install script run: nothing of it loads until an install
    // on the image makes its native code, whatever that gets.
    let installs_no_build = |d: &&PackageDecision| {
        d.as_is.verdict.is_none()
            && (d.reinstalled.made_at_install.is_some()
                || matches!(
                    d.reinstalled.reinstall,
                    Reinstall::SourceBuild
                        | Reinstall::CannotInstall
                        | Reinstall::NoMuslBuild
                        | Reinstall::NoGlibcBuild
                ))
    };
    let no_fix = !report.plan.no_fix.is_empty()
        || report
            .packages
            .iter()
            .any(|d| d.actions.iter().any(|a| matches!(a, Action::NoFix { .. })));
    // A lockfile's or requirements file's packages run in an interpreter
    // (CPython, Node, Ruby), which needs a C library: an image without one
    // runs none of them, and has no package manager to add one.
    let no_interpreter = (platform.loader_kind() == LoaderKind::None)
        .then(|| {
            report
                .artifacts
                .iter()
                .find(|a| matches!(a.kind, ArtifactKind::Package { .. }))
        })
        .flatten()
        .map(|entry| {
            format!(
                "{}: its packages run in an interpreter, which needs a C library; the image has none",
                entry.path.as_str()
            )
        });
    let runs_as_is = !report
        .packages
        .iter()
        .any(|d| fails(&d) || installs_no_build(&d))
        && report.worst_severity() < Some(Severity::Error)
        && !no_fix
        && no_interpreter.is_none();
    // A file that cannot be judged and that nothing is planned for, or a
    // package that breaks with no answer on a reinstall.
    let undecided = !report.plan.unanswered.is_empty()
        || report
            .packages
            .iter()
            .any(|d| d.as_is.verdict == Some(Verdict::Unknown) && d.actions.is_empty());
    let runs_after_plan = !no_fix && !undecided && no_interpreter.is_none();
    MatrixTarget {
        target: report.target.clone(),
        arch: report.arch,
        gcompat: report.gcompat,
        runs_as_is,
        runs_after_plan,
        undecided: undecided && !no_fix,
        main_reason: (!runs_as_is)
            .then(|| main_reason(report).or(no_interpreter))
            .flatten(),
        apk_add: report.plan.apk_add.clone(),
        install_command: platform.install_command().map(str::to_string),
        libraries: platform.library_count(),
    }
}

/// The first error of the most common kind: what most files trip on.
fn main_reason(report: &Report) -> Option<String> {
    let mut by_code: BTreeMap<crate::model::Code, (usize, String)> = BTreeMap::new();
    for artifact in &report.artifacts {
        for finding in artifact.findings() {
            if finding.severity == Severity::Error {
                let entry = by_code.entry(finding.code).or_insert((
                    0,
                    format!("{}: {}", artifact.path.as_str(), finding.message),
                ));
                entry.0 += 1;
            }
        }
    }
    by_code
        .into_values()
        .max_by_key(|(count, _)| *count)
        .map(|(count, first)| match count {
            1 => first,
            n => format!("{first} (and {} more like it)", n - 1),
        })
}
