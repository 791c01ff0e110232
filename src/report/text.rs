//! The default report: one block per file that is not ok, then a summary.

use std::cmp::Reverse;
use std::collections::HashMap;
use std::fmt::Write;

use super::{escape, plan};
use crate::model::{
    Arch, Artifact, Evidence, Finding, IndexMode, IndexSummary, LibcKind, MissingSymbol, Package,
    Reinstall, Report, Severity, Verdict,
};

#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    /// ANSI colour (only on a terminal, never with `NO_COLOR`).
    pub color: bool,
    /// Also list the files that are ok (implies `details`).
    pub verbose: bool,
    /// Every file's findings, not only the package table and the plan.
    pub details: bool,
}

/// Caps the lines shown per finding; the JSON output has them all.
const MAX_LINES_PER_FINDING: usize = 8;

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn verdict(&self, verdict: Verdict) -> String {
        let code = match verdict {
            Verdict::Breaks => "1;31",
            Verdict::Unknown => "1;35",
            Verdict::NeedsGcompat => "1;33",
            Verdict::Ok => "1;32",
            Verdict::NotApplicable => "2",
        };
        self.wrap(code, &format!("{:<14}", verdict.as_str()))
    }

    fn severity(&self, severity: Severity) -> String {
        let code = match severity {
            Severity::Error => "31",
            Severity::Warning => "33",
            Severity::Note => "36",
        };
        self.wrap(code, severity.as_str())
    }

    fn dim(&self, text: &str) -> String {
        self.wrap("2", text)
    }
}

pub fn render_text(report: &Report, options: TextOptions) -> String {
    let paint = Paint { on: options.color };
    let details = options.details || options.verbose;
    let packages = PackageSummaries::of(report);
    let mut shown: Vec<&Artifact> = report
        .artifacts
        .iter()
        .filter(|a| options.verbose || a.verdict() != Verdict::Ok || !a.findings().is_empty())
        .collect();
    // Grouped by package (files without one last), most severe first, then by path.
    shown.sort_by_cached_key(|a| {
        let worst = a
            .package
            .as_ref()
            .and_then(|p| packages.get(p))
            .map_or(a.verdict(), |summary| summary.worst);
        (
            a.package.is_none(),
            Reverse(worst),
            a.package.clone(),
            Reverse(a.verdict()),
            a.path.clone(),
        )
    });
    // Without --details, a package's files are said in its line of the
    // package table; files no package owns have no such line, so the first
    // of them are shown here.
    let total = shown.len();
    if !details {
        shown.retain(|a| a.package.is_none() && a.is_file());
        shown.truncate(MAX_UNOWNED_FILES);
    }
    let mut out = String::new();
    render_images(&mut out, report);
    let mut current_package = None;
    for artifact in &shown {
        if let Some(package) = &artifact.package
            && current_package != Some(package)
        {
            current_package = Some(package);
            if let Some(summary) = packages.get(package) {
                render_package_header(&mut out, package, summary, &paint);
            }
        }
        render_artifact(&mut out, artifact, &paint, Gcompat::of(report));
    }
    plan::render_packages(&mut out, report);
    plan::render_plan(&mut out, &report.plan);
    plan::render_unanswered(&mut out, &report.plan, report.index.mode);
    if total > shown.len() {
        let _ = writeln!(
            out,
            "Per-file evidence for {} more file(s) and entries: --details (or --format json)\n",
            total - shown.len()
        );
    }
    if let Some(built) = only_another_architecture(report) {
        let _ = writeln!(
            out,
            "Every ELF file read is built for {built}, none for {} (the architecture judged): \
             if the image runs on {built}, pass --arch {built}\n",
            report.arch
        );
    }
    out.push_str(&summary_line(report));
    out.push('\n');
    out
}

/// The one architecture every ELF file read is built for, when it is not
/// the one judged: a tree installed on an arm64 machine, scanned on an
/// x86_64 runner (`--arch` defaults to the machine's), is otherwise all
/// wrong-architecture errors or platform packages npm never loads here.
fn only_another_architecture(report: &Report) -> Option<Arch> {
    let mut built = None;
    for facts in report.artifacts.iter().filter_map(Artifact::facts) {
        match built {
            _ if facts.arch == report.arch => return None,
            Some(arch) if arch != facts.arch => return None,
            _ => built = Some(facts.arch),
        }
    }
    built.filter(|arch| !matches!(arch, Arch::Other(_)))
}

/// What each scanned container image is: base, command, distribution
/// packages (summarised, not listed), runtimes and their official variants.
fn render_images(out: &mut String, report: &Report) {
    for image in &report.images {
        let mut about = vec![image.format.clone(), format!("{} layer(s)", image.layers)];
        about.extend(image.architecture.clone());
        let _ = write!(
            out,
            "image {} ({})",
            escape::text(image.path.as_str()),
            escape::text(&about.join(", "))
        );
        if let Some(reference) = &image.reference {
            let _ = write!(out, " {}", escape::text(reference));
        }
        match &image.base {
            Some(base) => {
                let _ = writeln!(out, ": {}", escape::text(base));
            }
            None => out.push('\n'),
        }
        if let Some(command) = &image.command {
            let mut line = format!("    runs {}", command.name);
            if let Some(path) = command.path.as_ref().filter(|p| **p != command.name) {
                let _ = write!(line, " ({path})");
            }
            match command.kind.as_str() {
                "missing" => line.push_str(": not found in the image"),
                "script" => {
                    let _ = write!(
                        line,
                        ": a script for `{}`",
                        command.interpreter.as_deref().unwrap_or_default()
                    );
                }
                kind => {
                    let _ = write!(line, ": {kind}");
                }
            }
            if let (Some(file), Some(verdict)) = (&command.judged_file, command.verdict) {
                let _ = write!(line, "; {file} {verdict} on {}", report.target.name);
            }
            let _ = writeln!(out, "{}", escape::text(&line));
        }
        if let Some(user) = &image.user {
            let _ = writeln!(out, "    user {}", escape::text(user));
        }
        if let Some(distro) = &image.distro_packages {
            let manager = match distro.manager.as_str() {
                "debian" => "Debian",
                _ => "Alpine",
            };
            let mut line = format!(
                "    {manager} packages: {} ({} ELF files, the base's: on another base its own packages replace them)",
                distro.count, distro.elf_files
            );
            if distro.needed_by_app.is_empty() {
                line.push_str("; the app's files need none of their libraries");
            } else {
                let _ = write!(
                    line,
                    "; the app's files need these {} of their libraries: {}",
                    distro.needed_by_app.len(),
                    distro.needed_by_app.join(", ")
                );
            }
            let _ = writeln!(out, "{}", escape::text(&line));
        }
        for runtime in &image.runtimes {
            let _ = writeln!(
                out,
                "    {} {} at {}, installed as the official image installs it: use {}",
                runtime.name,
                escape::text(&runtime.version),
                escape::text(&runtime.path),
                escape::text(&runtime.official_variant)
            );
        }
        out.push('\n');
    }
}

/// Files no package owns shown without `--details`.
const MAX_UNOWNED_FILES: usize = 20;

/// What the report says of one package, gathered in one pass.
struct PackageSummary {
    worst: Verdict,
    elf_files: usize,
    breaking: usize,
    reinstall: Option<Reinstall>,
}

struct PackageSummaries<'r>(HashMap<&'r Package, PackageSummary>);

impl<'r> PackageSummaries<'r> {
    fn of(report: &'r Report) -> Self {
        let mut map: HashMap<&Package, PackageSummary> = HashMap::new();
        for artifact in &report.artifacts {
            let Some(package) = &artifact.package else {
                continue;
            };
            let summary = map.entry(package).or_insert(PackageSummary {
                worst: Verdict::Ok,
                elf_files: 0,
                breaking: 0,
                reinstall: None,
            });
            summary.worst = summary.worst.max(artifact.verdict());
            if artifact.facts().is_some() {
                summary.elf_files += 1;
                summary.breaking += usize::from(artifact.verdict() == Verdict::Breaks);
            }
            summary.reinstall = summary.reinstall.or(artifact.reinstall());
        }
        // The package's decision weighs every answer (its entries' first
        // guesses among them) against the verdicts: it has the last word.
        for decision in &report.packages {
            let Some(package) = &decision.package else {
                continue;
            };
            if let Some(summary) = map.get_mut(package) {
                summary.reinstall = Some(decision.reinstalled.reinstall);
            }
        }
        PackageSummaries(map)
    }

    fn get(&self, package: &Package) -> Option<&PackageSummary> {
        self.0.get(package)
    }
}

fn render_package_header(
    out: &mut String,
    package: &Package,
    summary: &PackageSummary,
    paint: &Paint,
) {
    let as_is = (summary.elf_files > 0).then(|| {
        format!(
            "{} of {} ELF files break as they are",
            summary.breaking, summary.elf_files
        )
    });
    let reinstall = summary
        .reinstall
        .map(|r| format!("reinstall on the target: {}", r.as_str()));
    let parts: Vec<String> = as_is.into_iter().chain(reinstall).collect();
    let _ = writeln!(
        out,
        "{} {} {}: {}\n",
        package.ecosystem.as_str(),
        paint.wrap("1", &escape::text(&package.name)),
        escape::text(&package.version),
        parts.join("; ")
    );
}

/// `muslcheck audit-wheel`: per wheel, the claimed tags, what the content supports, and why.
pub fn render_wheel_audit(report: &Report) -> String {
    let mut out = String::new();
    let paint = Paint { on: false };
    for artifact in &report.artifacts {
        let Some(audit) = artifact.wheel() else {
            continue;
        };
        let claimed: Vec<String> = audit.claimed.iter().map(ToString::to_string).collect();
        let _ = writeln!(out, "{}", escape::text(artifact.path.as_str()));
        let _ = writeln!(out, "    claims:   {}", escape::text(&claimed.join(", ")));
        // No supported tag: content without a C library runs anywhere; glibc
        // content that no manylinux policy allows gets auditwheel's `linux_*`.
        let supported = match (&audit.supported, audit.content_libc) {
            (Some(tag), _) => tag.clone(),
            (None, LibcKind::Glibc) => format!(
                "no manylinux tag (auditwheel: linux_{})",
                audit
                    .claimed
                    .iter()
                    .find_map(|t| t.arch())
                    .unwrap_or("x86_64")
            ),
            (None, _) => "any platform (no C library needed)".to_string(),
        };
        let _ = writeln!(
            out,
            "    content:  {} — supports {}",
            audit.content_libc,
            escape::text(&supported)
        );
        for reason in &audit.why {
            let _ = writeln!(out, "    because:  {}", escape::text(reason));
        }
        for finding in artifact.findings() {
            render_finding(&mut out, finding, &paint, Gcompat::of(report));
        }
        if artifact.findings().is_empty() {
            let _ = writeln!(out, "    tag is true to the content");
        }
        out.push('\n');
    }
    if out.is_empty() {
        out.push_str("no wheels among the given paths\n");
    }
    out
}

fn render_artifact(out: &mut String, artifact: &Artifact, paint: &Paint, gcompat: Gcompat) {
    let description = match artifact.facts() {
        Some(facts) => {
            let mut parts = vec![
                facts.arch.to_string(),
                facts.linkage.as_str().to_string(),
                facts.libc.kind.as_str().to_string(),
            ];
            if let Some(host) = &artifact.assessment.host {
                parts.push(match host.loaded_by {
                    Some(_) => format!("loaded into {}", host.name()),
                    None => format!("{} module", host.name()),
                });
            }
            let program = artifact.assessment.load.as_ref();
            if let Some(program) = program.and_then(|load| load.loaded_by_program.as_deref()) {
                parts.push(format!("loaded by {program}"));
            }
            format!("({})", parts.join(", "))
        }
        None => String::new(),
    };
    let line = format!(
        "{} {} {}",
        paint.verdict(artifact.verdict()),
        escape::text(artifact.path.as_str()),
        paint.dim(&escape::text(&description))
    );
    let _ = writeln!(out, "{}", line.trim_end());
    for other in &artifact.also_at {
        let also = format!("also at {}", escape::text(other.as_str()));
        let _ = writeln!(out, "    {}", paint.dim(&also));
    }
    let not_loaded = artifact.assessment.load.as_ref();
    if let Some(why) = not_loaded.and_then(|load| load.not_loaded.as_deref()) {
        let why = format!("not loaded: {}", escape::text(why));
        let _ = writeln!(out, "    {}", paint.dim(&why));
    }
    for finding in artifact.findings() {
        render_finding(out, finding, paint, gcompat);
    }
    if let Some(load) = &artifact.assessment.load
        && !load.lfs64_redirects.is_empty()
    {
        let pairs: Vec<String> = load
            .lfs64_redirects
            .iter()
            .map(|(from, to)| format!("{from}→{to}"))
            .collect();
        let _ = writeln!(
            out,
            "    {}",
            paint.dim(&escape::text(&format!(
                "via musl's LFS64 redirect: {}",
                pairs.join(", ")
            )))
        );
    }
    out.push('\n');
}

/// Whether gcompat is a remedy on the report's target (musl only): a missing
/// symbol's line says whether gcompat has it.
#[derive(Clone, Copy)]
struct Gcompat(bool);

impl Gcompat {
    fn of(report: &Report) -> Gcompat {
        Gcompat(report.target.musl.is_some())
    }
}

fn render_finding(out: &mut String, finding: &Finding, paint: &Paint, gcompat: Gcompat) {
    let _ = writeln!(
        out,
        "    {}[{}] {}",
        paint.severity(finding.severity),
        finding.code,
        escape::text(&finding.message)
    );
    let messages = &finding.loader_messages;
    for line in messages.iter().take(MAX_LINES_PER_FINDING) {
        let _ = writeln!(out, "        | {}", escape::text(line));
    }
    let total = finding.loader_message_count();
    if total > MAX_LINES_PER_FINDING {
        let listed = if finding.loader_messages_omitted == 0 {
            "--format json lists all".to_string()
        } else {
            format!(
                "--format json lists the first {}, its evidence every symbol",
                messages.len()
            )
        };
        let _ = writeln!(
            out,
            "        | … and {} more ({listed})",
            total - MAX_LINES_PER_FINDING
        );
    }
    if let Evidence::Symbols { symbols, .. } = &finding.evidence {
        for symbol in symbols.iter().take(MAX_LINES_PER_FINDING) {
            let described = describe_symbol(symbol, gcompat);
            let _ = writeln!(out, "        {}", paint.dim(&escape::text(&described)));
        }
    }
    if let Some(remedy) = &finding.remedy {
        let _ = writeln!(out, "        = fix: {}", escape::text(remedy));
    }
}

/// `__libc_single_threaded@GLIBC_2.32: glibc 2.32+, from libc.so.6; not in gcompat`.
fn describe_symbol(symbol: &MissingSymbol, gcompat: Gcompat) -> String {
    let mut text = symbol.name.clone();
    if let Some(version) = &symbol.version {
        let _ = write!(text, "@{version}");
    }
    let mut facts = Vec::new();
    if let Some(since) = &symbol.glibc_since {
        facts.push(format!("glibc {}+", since.trim_start_matches("GLIBC_")));
    }
    if let Some(library) = &symbol.expected_library {
        facts.push(format!("expected from {library}"));
    }
    if symbol.copy_relocation {
        facts.push("copy-relocated data".to_string());
    }
    if let Some(object) = &symbol.ifunc_only_in {
        facts.push(format!(
            "defined only as an IFUNC in {object}, which musl's loader does not resolve"
        ));
    }
    if gcompat.0 {
        facts.push(if symbol.gcompat_provides {
            "gcompat has it".to_string()
        } else {
            "not in gcompat".to_string()
        });
    }
    if facts.is_empty() {
        return text;
    }
    format!("{text}: {}", facts.join("; "))
}

/// The one-line summary of a scan.
pub fn summary_line(report: &Report) -> String {
    let summary = &report.summary;
    let verdicts: Vec<String> = summary
        .verdicts
        .iter()
        .rev()
        .map(|(verdict, count)| format!("{count} {verdict}"))
        .collect();
    let seconds = summary.duration_ms as f64 / 1000.0;
    let unreadable = match summary.unreadable {
        0 => String::new(),
        n => format!(", {n} unreadable"),
    };
    let answered = report
        .artifacts
        .iter()
        .filter(|a| a.reinstall_answer().is_some())
        .count();
    let packages = match answered {
        0 => String::new(),
        n => format!(", {n} reinstall answers"),
    };
    let files = if verdicts.is_empty() {
        if answered == 0 {
            "nothing to check".to_string()
        } else {
            "no files to check".to_string()
        }
    } else {
        verdicts.join(", ")
    };
    format!(
        "muslcheck {} on {} ({}{}): {} files walked{}, {} ELF: {}{} — {:.2}s",
        report.tool.version,
        report.target.name,
        report.arch,
        if report.gcompat { ", with gcompat" } else { "" },
        summary.files_walked,
        unreadable,
        summary.elf_files,
        files,
        packages,
        seconds
    )
}

/// The one stderr line about the package index lookups; `None` when none
/// were asked for or there was nothing to ask.
pub fn index_line(index: &IndexSummary) -> Option<String> {
    let mode = match index.mode {
        IndexMode::Off => return None,
        _ if index.asked == 0 => return None,
        IndexMode::Online => "",
        IndexMode::Offline => " (offline: cached answers only)",
        IndexMode::Degraded => {
            " (degraded: the network failed, cached answers only from then on for that host)"
        }
    };
    if index.mode == IndexMode::Offline {
        // Offline, a document not in the cache was never asked for: not a failure.
        return Some(format!(
            "muslcheck: package index (offline): {} of {} package(s) answered from the cache; \
             the others from the lockfiles and muslcheck's table only",
            index.answered, index.asked
        ));
    }
    let mut line = format!(
        "muslcheck: package index{mode}: {} of {} package(s) answered; {} document(s) fetched, {} from the cache, {} failed",
        index.answered, index.asked, index.fetched, index.from_cache, index.failed
    );
    if let Some(reason) = &index.reason {
        let _ = write!(line, ": {reason}");
    }
    Some(line)
}
