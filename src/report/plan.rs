//! The text report's answer: one line per package (as it is, reinstalled on
//! the target, the action), then the plan for the Dockerfile.

use std::fmt::Write;

use super::escape;
use crate::model::{
    Action, ActionPlan, AnswerSource, IndexMode, PackageDecision, Reinstall, Report, Verdict,
    brings_a_library, install_shell_command, keep_built_libraries_command, shell_words,
};

/// Packages listed by name only, per line, when all is well with them.
const OK_NAMES_PER_LINE: usize = 8;

pub fn render_packages(out: &mut String, report: &Report) {
    let (quiet, listed): (Vec<&PackageDecision>, Vec<&PackageDecision>) =
        report.packages.iter().partition(|d| is_fine(d));
    if !listed.is_empty() {
        let target = report
            .target
            .name
            .split(' ')
            .next()
            .unwrap_or(&report.target.name);
        let install = install_verb(report.plan.install_command.as_deref());
        let rows: Vec<[String; 4]> = listed
            .iter()
            .map(|d| {
                [
                    package_name(d),
                    as_is_text(d),
                    reinstall_text(d),
                    action_text(&d.actions, &install),
                ]
            })
            .collect();
        let header = [
            "package".to_string(),
            "as it is".to_string(),
            format!("reinstalled on {target}"),
            "action".to_string(),
        ];
        let widths = column_widths(&header, &rows);
        write_row(out, &header, &widths);
        for (row, decision) in rows.iter().zip(&listed) {
            write_row(out, row, &widths);
            if let Some(why) = why_line(decision) {
                let _ = writeln!(out, "    {}", escape::text(&why));
            }
        }
    }
    let (unused, fine): (Vec<&PackageDecision>, Vec<&PackageDecision>) = quiet
        .into_iter()
        .partition(|d| d.as_is.verdict == Some(Verdict::NotApplicable));
    // A lockfile's entry that is not installed here loads nothing as it is.
    let (fine, not_here): (Vec<&PackageDecision>, Vec<&PackageDecision>) =
        fine.into_iter().partition(|d| d.as_is.verdict.is_some());
    for (group, what) in [
        (fine, "load as they are and need nothing"),
        (
            not_here,
            "are not installed here, and installed on the target need nothing more",
        ),
        (
            unused,
            "are never loaded on the target (builds for another platform)",
        ),
    ] {
        if group.is_empty() {
            continue;
        }
        let names: Vec<String> = group.iter().map(|d| package_name(d)).collect();
        let _ = writeln!(out, "{} package(s) {what}:", names.len());
        for chunk in names.chunks(OK_NAMES_PER_LINE) {
            let _ = writeln!(out, "    {}", escape::text(&chunk.join(", ")));
        }
    }
    if !report.packages.is_empty() {
        out.push('\n');
    }
}

/// The plan for the Dockerfile, and what nothing fixes.
pub fn render_plan(out: &mut String, plan: &ActionPlan) {
    let mut lines = Vec::new();
    if let Some(from) = &plan.from {
        lines.push(format!("FROM {from}"));
    }
    let install = plan
        .install_command
        .as_deref()
        .unwrap_or("apk add --no-cache");
    if !plan.apk_add.is_empty() {
        lines.push(format!(
            "RUN {}",
            install_shell_command(install, &plan.apk_add.join(" "))
        ));
    }
    let why_copied = match plan.install_command {
        Some(_) => "muslcheck knows no package of the image that installs it",
        None => "the image has no package manager",
    };
    for copy in &plan.copy_from_build {
        lines.push(format!(
            "{copy}   # a static program opens it at run time; {why_copied}"
        ));
    }
    if !plan.gcompat_for.is_empty() {
        lines.push(format!(
            "# gcompat: the glibc files of {} load with it as they are (copy them from a glibc stage)",
            list(&plan.gcompat_for, 6)
        ));
    }
    if !plan.build_dependencies.is_empty() {
        let packages = plan.build_dependencies.join(" ");
        // A library's -dev package pulls the library in, and `apk del` takes
        // it away again: the modules built against it then fail to load.
        let links_libraries = plan.build_dependencies.iter().any(|p| brings_a_library(p))
            && plan.keep_built_libraries.is_none();
        lines.push(if install.starts_with("apk ") {
            format!(
                "RUN {install} --virtual .build-deps {packages}   # to compile; `apk del .build-deps` after the install"
            )
        } else {
            format!(
                "RUN {}   # to compile (or compile in a build stage)",
                install_shell_command(install, &packages)
            )
        });
        if install.starts_with("apk ") && links_libraries {
            lines.push(
                "# `apk del .build-deps` also removes the libraries the -dev packages brought: `apk add` by name those the built modules load"
                    .to_string(),
            );
        }
    }
    for (name, version) in &plan.upgrades {
        lines.push(format!(
            "# upgrade {name} to {version} (first version with a musl build)"
        ));
    }
    // Bundler's relock is its own command (check::reinstall::assess_gem_lock).
    let (bundler, npm): (Vec<&String>, Vec<&String>) = plan
        .relock
        .iter()
        .partition(|entry| entry.starts_with("bundle lock "));
    if !npm.is_empty() {
        let npm: Vec<&str> = npm.iter().map(|entry| entry.as_str()).collect();
        lines.push(format!(
            "# record the musl variants in the lockfile: {} (`npm install` once with optional dependencies)",
            npm.join(", ")
        ));
    }
    for entry in bundler {
        lines.push(format!(
            "# in the repository, then commit Gemfile.lock: {entry}"
        ));
    }
    // Without a shell nothing can RUN in the image: install in a build
    // stage with the same C library and copy what it installed.
    let (run, made) = match &plan.no_shell {
        Some(image) if !plan.reinstall.is_empty() => {
            lines.push(format!(
                "# {image} has no shell to RUN in: make these installs in a build stage of \
                 the same C library (distroless: its Debian release), then COPY --from=build \
                 the directories they fill"
            ));
            (
                "# in the build stage: RUN",
                "built for the image's C library",
            )
        }
        _ => ("RUN", "on the target, not copied from another image"),
    };
    for step in &plan.reinstall {
        if !step.only_built_dependencies.is_empty() {
            // As JSON strings: a name is the package's own, untrusted.
            let names: Vec<String> = step
                .only_built_dependencies
                .iter()
                .map(|name| serde_json::Value::from(name.as_str()).to_string())
                .collect();
            lines.push(format!(
                "# pnpm 10 and later run a dependency's install script only when package.json \
                 allows it: \"pnpm\": {{\"onlyBuiltDependencies\": [{}]}}",
                names.join(", ")
            ));
        }
        if step.command == "distribution package" {
            // Distribution packages: Alpine's build under (usually) the same name.
            // The names are the copied package database's own.
            let names = shell_words(step.packages.iter().filter_map(|p| p.split(' ').next()));
            lines.push(format!(
                "RUN {}   # the target's builds of the distribution packages copied in (check each name on pkgs.alpinelinux.org)",
                install_shell_command(install, &names)
            ));
            continue;
        }
        if step.command.len() > WRAP_AT {
            // Pinned versions, one continuation line per few packages.
            lines.push(match plan.no_shell {
                Some(_) => format!("# in the build stage, {made}:"),
                None => format!("# {made}:"),
            });
            lines.extend(wrapped_run(&step.command));
        } else {
            lines.push(format!(
                "{run} {}   # {made}: {}",
                step.command,
                list(&step.packages, 6)
            ));
        }
    }
    if let (Some(install), Some(keep)) = (&plan.install_command, &plan.keep_built_libraries) {
        lines.push(
            "# after the builds, before `apk del .build-deps`: keep the libraries the built files load"
                .to_string(),
        );
        let parts = keep_built_libraries_command(install, &keep.dirs);
        let last = parts.len().saturating_sub(1);
        lines.extend(parts.into_iter().enumerate().map(|(i, part)| {
            let (lead, end) = (
                if i == 0 { "RUN " } else { "    " },
                if i < last { " \\" } else { "" },
            );
            format!("{lead}{part}{end}")
        }));
    }
    if !lines.is_empty() {
        let _ = writeln!(out, "Plan for the Dockerfile:");
        for line in &lines {
            let _ = writeln!(out, "    {}", escape::text(line));
        }
        out.push('\n');
    }
    if !plan.no_fix.is_empty() {
        let _ = writeln!(out, "No fix on this target:");
        for (name, why) in &plan.no_fix {
            let _ = writeln!(out, "    {}: {}", escape::text(name), escape::text(why));
        }
        out.push('\n');
    }
}

/// The packages that break as they are and that nothing answered for:
/// whether the target gets a build of them decides between a reinstall
/// and no fix, so each comes with the command that finds out.
pub fn render_unanswered(out: &mut String, plan: &ActionPlan, index: IndexMode) {
    if plan.unanswered.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "Not answered: these break as they are, and nothing muslcheck read said whether the target has what fixes them:"
    );
    for unanswered in &plan.unanswered {
        let _ = writeln!(
            out,
            "    {}: {}",
            escape::text(&unanswered.package),
            escape::text(&unanswered.why)
        );
        if let Some(check) = &unanswered.check {
            let label = if check.starts_with("pip download ") {
                "a build for the target exists if this succeeds"
            } else {
                "find out with"
            };
            let _ = writeln!(out, "        {label}: {}", escape::text(check));
        }
    }
    if index == IndexMode::Offline {
        let _ = writeln!(
            out,
            "    (the scan was offline: without --offline muslcheck asks PyPI and the npm registry)"
        );
    }
    out.push('\n');
}

/// Nothing to say beyond its name: loads as it is, nothing to do.
fn is_fine(decision: &PackageDecision) -> bool {
    if decision.as_is.verdict == Some(Verdict::NotApplicable) && decision.actions.is_empty() {
        return true;
    }
    decision.actions.is_empty()
        && matches!(
            decision.as_is.verdict,
            None | Some(Verdict::Ok | Verdict::NotApplicable)
        )
        && match decision.reinstalled.reinstall {
            Reinstall::MuslBuild | Reinstall::GlibcBuild | Reinstall::NotNative => true,
            // Not installed here and nothing known: worth a line.
            Reinstall::Unknown => decision.as_is.verdict.is_some(),
            _ => false,
        }
}

fn package_name(decision: &PackageDecision) -> String {
    let name = match &decision.package {
        Some(p) => format!("{} {}", p.name, p.version),
        None => "(no package)".to_string(),
    };
    match &decision.origin {
        // The wheel's tags tell two wheels of one version apart.
        Some(origin) => {
            let file = origin.rsplit('/').next().unwrap_or(origin);
            let platform = file
                .strip_suffix(".whl")
                .and_then(|stem| stem.rsplit('-').next())
                .and_then(|tags| tags.split('.').next())
                .unwrap_or(file);
            format!("{name} ({platform})")
        }
        None => name,
    }
}

fn as_is_text(decision: &PackageDecision) -> String {
    let as_is = &decision.as_is;
    let Some(verdict) = as_is.verdict else {
        // Installed, but its install script did not run (`--ignore-scripts`).
        if decision.reinstalled.made_at_install.is_some() {
            return "not built here".to_string();
        }
        return "not installed here".to_string();
    };
    let only_set_aside = as_is.files > 0
        && as_is
            .verdicts
            .keys()
            .all(|verdict| *verdict == Verdict::NotApplicable);
    if as_is.note.is_some() && only_set_aside {
        // Its loader takes none of its files here (prebuilds tagged for glibc).
        return format!("{verdict} (none of {} files loads)", as_is.files);
    }
    if as_is.note.is_some() {
        // The note is that the platform package for the target's libc is
        // not installed; a glibc target's answer is a glibc build.
        let libc = match decision.reinstalled.reinstall {
            Reinstall::GlibcBuild | Reinstall::NoGlibcBuild => "glibc",
            _ => "musl",
        };
        return format!("{verdict} ({libc} variant missing)");
    }
    let count = as_is.verdicts.get(&verdict).copied().unwrap_or(0);
    if count == as_is.files {
        format!("{verdict} ({count} file{})", plural(count))
    } else {
        format!("{verdict} ({count} of {} files)", as_is.files)
    }
}

fn reinstall_text(decision: &PackageDecision) -> String {
    let answer = &decision.reinstalled;
    let what = match answer.reinstall {
        Reinstall::MuslBuild => "musl build",
        Reinstall::SourceBuild => "compiles from source",
        Reinstall::CannotInstall => "cannot install",
        Reinstall::NoMuslBuild => "no musl build",
        Reinstall::GlibcBuild => "glibc build",
        Reinstall::NoGlibcBuild => "no glibc build",
        Reinstall::MuslBuildNotLocked => "musl build, not locked",
        Reinstall::NotNative => "nothing native",
        Reinstall::Unknown => "unknown",
    };
    let from = match &answer.source {
        AnswerSource::Index { .. } => "index",
        AnswerSource::Lockfile { .. } => "lockfile",
        AnswerSource::PackageFiles { .. } => "its files",
        AnswerSource::KnownTable { .. } => "table",
        AnswerSource::Nothing => return what.to_string(),
    };
    format!("{what} ({from})")
}

/// The target's install command without its options, for the table
/// (`apk add`, `apt-get install`).
fn install_verb(install_command: Option<&str>) -> String {
    let words: Vec<&str> = install_command
        .unwrap_or("apk add")
        .split_whitespace()
        .filter(|word| !word.starts_with('-'))
        .collect();
    words.join(" ")
}

fn action_text(actions: &[Action], install: &str) -> String {
    let parts: Vec<String> = actions
        .iter()
        .map(|action| match action {
            Action::ReinstallOnTarget { command } if command == "distribution package" => {
                "the target's package instead".to_string()
            }
            Action::ReinstallOnTarget { command } => format!("{command} on the target"),
            Action::Upgrade { to } => format!("upgrade to {to}"),
            Action::ApkAdd { packages } => format!("{install} {}", packages.join(" ")),
            Action::BuildDependencies { .. } => "compile (build deps)".to_string(),
            Action::NewerAlpine { release, .. } => format!("alpine ≥ {release}"),
            Action::Gcompat { .. } => "apk add gcompat".to_string(),
            Action::RelockForMusl { .. } => "relock".to_string(),
            Action::NoFix { .. } => "no fix".to_string(),
            Action::Unanswered { .. } => "unanswered (below)".to_string(),
            Action::CopyFromBuild { lines } => lines
                .iter()
                .filter_map(|line| line.split(' ').nth(2))
                .map(|path| format!("copy {path}"))
                .collect::<Vec<_>>()
                .join("; "),
        })
        .collect();
    if parts.is_empty() {
        "-".to_string()
    } else {
        parts.join("; ")
    }
}

/// One more line for a package whose reinstall is a problem: why.
fn why_line(decision: &PackageDecision) -> Option<String> {
    let answer = &decision.reinstalled;
    if decision
        .actions
        .iter()
        .any(|a| matches!(a, Action::NewerAlpine { .. }))
    {
        return None;
    }
    let worth_saying = match answer.reinstall {
        Reinstall::MuslBuild | Reinstall::GlibcBuild | Reinstall::NotNative => false,
        Reinstall::Unknown => decision.as_is.verdict == Some(Verdict::Breaks),
        _ => true,
    };
    let mut why = (worth_saying && !answer.detail.is_empty()).then(|| answer.detail.clone())?;
    // The table's own answers already follow its advice (the upgrade, the
    // build packages); another source's answer gains what the table knows.
    if let Some(advice) = answer
        .advice
        .as_ref()
        .filter(|_| !matches!(answer.source, AnswerSource::KnownTable { .. }))
    {
        why.push_str(&format!(". Known-problem table: {advice}"));
    }
    Some(why)
}

fn column_widths(header: &[String; 4], rows: &[[String; 4]]) -> [usize; 4] {
    // The last column is not padded; the others at most this wide.
    const CAP: usize = 40;
    let mut widths = [0; 4];
    for row in std::iter::once(header).chain(rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count()).min(CAP);
        }
    }
    widths
}

fn write_row(out: &mut String, row: &[String; 4], widths: &[usize; 4]) {
    let mut line = String::new();
    for (index, (cell, width)) in row.iter().zip(widths).enumerate() {
        let cell = escape::text(cell);
        if index + 1 == row.len() {
            line.push_str(&cell);
        } else {
            let _ = write!(line, "{cell:<width$}  ");
        }
    }
    let _ = writeln!(out, "{}", line.trim_end());
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// Longest `RUN` line written on one line.
const WRAP_AT: usize = 90;

/// `RUN a b c \` and continuation lines of at most [`WRAP_AT`] characters.
fn wrapped_run(command: &str) -> Vec<String> {
    let mut lines: Vec<String> = vec!["RUN".to_string()];
    for word in command.split(' ') {
        let fits = lines
            .last()
            .is_some_and(|line| line.len() + 1 + word.len() <= WRAP_AT);
        match lines.last_mut() {
            Some(line) if fits => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(format!("    {word}")),
        }
    }
    let last = lines.len().saturating_sub(1);
    for line in lines.iter_mut().take(last) {
        line.push_str(" \\");
    }
    lines
}

/// `a, b, c and 4 more`.
fn list(items: &[String], cap: usize) -> String {
    let mut text = items
        .iter()
        .take(cap)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > cap {
        let _ = write!(text, " and {} more", items.len() - cap);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{KeepBuiltLibraries, Reinstallation};

    fn plan_text(build_dependencies: &[&str]) -> String {
        let plan = ActionPlan {
            install_command: Some("apk add --no-cache".to_string()),
            build_dependencies: build_dependencies.iter().map(|p| p.to_string()).collect(),
            ..ActionPlan::default()
        };
        let mut out = String::new();
        render_plan(&mut out, &plan);
        out
    }

    #[test]
    fn build_dependencies_that_bring_libraries_say_apk_del_takes_them_away() {
        // Without a command that keeps them (a package of no known install directory).
        let caveat = "also removes the libraries the -dev packages brought";
        let linking = plan_text(&["build-base", "librdkafka-dev", "python3-dev"]);
        assert!(
            linking.contains("--virtual .build-deps build-base librdkafka-dev python3-dev"),
            "{linking}"
        );
        assert!(linking.contains(caveat), "{linking}");
        // Python's headers bring no library a module loads.
        let tools_only = plan_text(&["build-base", "python3-dev"]);
        assert!(tools_only.contains("--virtual .build-deps"), "{tools_only}");
        assert!(!tools_only.contains(caveat), "{tools_only}");
    }

    #[test]
    fn the_libraries_built_files_load_are_kept_after_the_builds() {
        let plan = ActionPlan {
            install_command: Some("apk add --no-cache".to_string()),
            build_dependencies: vec!["build-base".to_string(), "postgresql-dev".to_string()],
            reinstall: vec![Reinstallation {
                command: "pip install -r requirements.txt".to_string(),
                packages: vec!["psycopg2 2.9.9".to_string()],
                only_built_dependencies: Vec::new(),
            }],
            keep_built_libraries: Some(KeepBuiltLibraries {
                dirs: vec!["node_modules".to_string()],
                command: String::new(),
            }),
            ..ActionPlan::default()
        };
        let mut out = String::new();
        render_plan(&mut out, &plan);
        let lines: Vec<&str> = out.lines().map(str::trim).collect();
        let install = lines.iter().position(|l| l.starts_with("RUN pip install"));
        let keep = lines
            .iter()
            .position(|l| l.starts_with("RUN set -- node_modules;"));
        assert!(install.is_some() && keep > install, "{out}");
        // One RUN: every line but the last continues.
        let last = lines
            .iter()
            .position(|l| l.ends_with("--virtual .run-deps"));
        assert!(last > keep, "{out}");
        let run = lines.get(keep.unwrap()..=last.unwrap()).unwrap();
        assert!(
            run.split_last()
                .unwrap()
                .1
                .iter()
                .all(|l| l.ends_with(" \\")),
            "{out}"
        );
        assert!(
            !out.contains("by name those the built modules load"),
            "{out}"
        );
    }

    #[test]
    fn apt_installs_update_the_package_lists_first() {
        let plan = |install: &str| {
            let mut out = String::new();
            render_plan(
                &mut out,
                &ActionPlan {
                    install_command: Some(install.to_string()),
                    apk_add: vec!["libgomp1".to_string()],
                    ..ActionPlan::default()
                },
            );
            out
        };
        let apt = plan("apt-get install -y");
        assert!(
            apt.contains(
                "RUN apt-get update && apt-get install -y libgomp1 && rm -rf /var/lib/apt/lists/*"
            ),
            "{apt}"
        );
        let apk = plan("apk add --no-cache");
        assert!(apk.contains("RUN apk add --no-cache libgomp1\n"), "{apk}");
    }

    #[test]
    fn the_package_table_installs_with_the_targets_own_command() {
        let add = [Action::ApkAdd {
            packages: vec!["libgomp1".to_string()],
        }];
        let on = |command: &str| action_text(&add, &install_verb(Some(command)));
        assert_eq!(on("apt-get install -y"), "apt-get install libgomp1");
        assert_eq!(on("apk add --no-cache"), "apk add libgomp1");
        assert_eq!(on("microdnf install -y"), "microdnf install libgomp1");
    }
}
