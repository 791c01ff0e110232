//! The `muslcheck` command line: parse arguments, call the library, print, exit.

#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::{Args, CommandFactory, Parser, Subcommand};
use indicatif::{ProgressDrawTarget, ProgressStyle};

use muslcheck::config::{Config, FailOn, Loaded, baseline};
use muslcheck::discover::{path_text, write_atomically_with};
use muslcheck::model::{Arch, ArtifactKind, Code};
use muslcheck::platform::{Platform, Target};
use muslcheck::progress::Progress;
use muslcheck::report::{self, ExitStatus, Format, TextOptions, escape};
use muslcheck::{Options, Report, scan, scan_matrix, scan_with_progress};

mod heap;

/// Tells which native files of a project will break on Alpine Linux (musl), and why.
#[derive(Debug, Parser)]
#[command(name = "muslcheck", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    scan: ScanArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Explain a finding code (`muslcheck explain MC102`), or list them all.
    Explain {
        /// The code to explain, e.g. MC102.
        code: Option<String>,
        /// List every code with its summary.
        #[arg(long)]
        list: bool,
    },
    /// List every base image muslcheck has facts for: libc, architectures, how exact.
    Targets {
        /// Output format: text or json.
        #[arg(long, default_value = "text")]
        format: Format,
    },
    /// Judge the paths against several base images side by side: by default
    /// the newest Alpine, debian:12/13-slim, ubuntu:24.04, distroless
    /// (cc, base, static), UBI 9 minimal, Amazon Linux 2023, Wolfi and
    /// scratch; else each --target given, else `targets = [...]` in the config.
    Matrix(ScanArgs),
    /// Audit wheels: is each one's manylinux/musllinux tag true to the ELF inside?
    AuditWheel {
        /// Wheel files (or directories holding them).
        #[arg(required = true)]
        wheels: Vec<PathBuf>,
        /// Output format: text or json.
        #[arg(long, default_value = "text")]
        format: Format,
    },
}

#[derive(Debug, Args)]
struct ScanArgs {
    /// Directories or files to scan.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// What the files must run on: alpine (newest), alpine:3.18, musl:1.2.3, debian-musl,
    /// or any base image of `muslcheck targets` (debian:12-slim, distroless/cc, scratch …),
    /// judged by its own loader's rules.
    /// Give it more than once for a matrix: every target side by side, by package
    /// (exit status, SARIF and annotations from the first).
    #[arg(long)]
    target: Vec<Target>,
    /// Target CPU architecture (default: this machine's).
    #[arg(long)]
    arch: Option<Arch>,
    /// Assume `apk add gcompat` on the target.
    #[arg(long)]
    gcompat: bool,
    /// Output format: text, json, sarif (2.1.0) or github (workflow annotations).
    #[arg(long, default_value = "text")]
    format: Format,
    /// Write the report to this file; the summary line still goes to stderr.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit 1 when a finding is at or above this level: error (default), warning, note, never.
    #[arg(long, value_name = "LEVEL")]
    fail_on: Option<FailOn>,
    /// Follow symbolic links (loops are detected and reported).
    #[arg(long)]
    follow_symlinks: bool,
    /// Read every file, even those whose name proves they are text.
    #[arg(long)]
    all_files: bool,
    /// Skip paths matching this glob (relative to the scanned root, or a file name); a matching directory, or DIR for DIR/**, is not walked at all; repeatable.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Config file (default: muslcheck.toml, or [tool.muslcheck] in pyproject.toml, in the scanned directory).
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Ignore any config file (in CI, where the scanned tree's own muslcheck.toml comes with the change being checked).
    #[arg(long)]
    no_config: bool,
    /// Report only findings not recorded in this baseline file (exit on those alone).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Record today's findings as the accepted baseline in FILE.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Ask no package index (PyPI, npm): use cached answers only. Also
    /// `offline = true` in the config, or MUSLCHECK_OFFLINE=1.
    #[arg(long)]
    offline: bool,
    /// Also list files that are ok (implies --details).
    #[arg(short, long, conflicts_with = "quiet")]
    verbose: bool,
    /// Every file's findings and evidence, not only the package table and the plan.
    #[arg(long, conflicts_with = "quiet")]
    details: bool,
    /// Print only the summary (text format) and no progress; a config file from the scanned tree that relaxes the scan is still named.
    #[arg(short, long)]
    quiet: bool,
}

impl ScanArgs {
    /// The settings given on the command line; unset ones come from the file.
    fn config(&self) -> Config {
        Config {
            target: self.target.first().cloned(),
            targets: self.target.clone(),
            arch: self.arch,
            gcompat: self.gcompat.then_some(true),
            fail_on: self.fail_on,
            follow_symlinks: self.follow_symlinks.then_some(true),
            all_files: self.all_files.then_some(true),
            offline: (self.offline || offline_from_environment()).then_some(true),
            exclude: self.exclude.clone(),
            ignore: Vec::new(),
        }
    }
}

/// `MUSLCHECK_OFFLINE=1` (or `true`, `yes`): no package index requests.
fn offline_from_environment() -> bool {
    std::env::var("MUSLCHECK_OFFLINE")
        .is_ok_and(|value| matches!(value.trim(), "1" | "true" | "yes"))
}

fn main() -> ExitCode {
    heap::configure();
    muslcheck::discover::leave_mapped_files_to_exit();
    let cli = parse_arguments();
    let status = match cli.command {
        Some(Command::Explain { code, list }) => explain(code.as_deref(), list),
        Some(Command::AuditWheel { wheels, format }) => audit_wheels(&wheels, format),
        Some(Command::Targets { format }) => targets(format),
        Some(Command::Matrix(args)) => run_scan(args, true),
        None => run_scan(cli.scan, false),
    };
    ExitCode::from(status as u8)
}

/// The command line, parsed. Options written before a subcommand
/// (`muslcheck --no-config matrix DIR`) make clap read the subcommand's
/// name as a path to scan; when no such path exists, the name is moved
/// first and the line read again, so the options go to the subcommand.
fn parse_arguments() -> Cli {
    let cli = Cli::parse();
    let Some(first) = cli.scan.paths.first().and_then(|p| p.to_str()) else {
        return cli;
    };
    // A path that exists is scanned: the whole command (built again to
    // list its subcommands) is needed only for one that does not.
    if cli.command.is_some() || Path::new(first).exists() {
        return cli;
    }
    let names_a_subcommand = Cli::command()
        .get_subcommands()
        .any(|sub| sub.get_name() == first);
    if !names_a_subcommand {
        return cli;
    }
    let mut words: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(at) = words.iter().skip(1).position(|w| w == first) {
        let name = words.remove(at + 1);
        words.insert(1, name);
    }
    Cli::parse_from(words)
}

/// The longest line of an error message, in characters.
const ERROR_LINE_CHARS: usize = 400;

fn usage_error(message: &str) -> ExitStatus {
    // Messages quote paths and config text from the scanned tree; their own
    // line breaks (a TOML error's excerpt) are kept, and each line is cut
    // (a 100 KB line of a hostile config was echoed three times).
    let lines: Vec<_> = message
        .lines()
        .map(|line| escape::text(&escape::shorten(line, ERROR_LINE_CHARS)).into_owned())
        .collect();
    eprintln!("muslcheck: error: {}", lines.join("\n"));
    ExitStatus::Failure
}

/// Runs `work` on one of rayon's threads while this one waits. Each
/// parallel step the scan starts from outside the pool is handed to it and
/// this thread woken after: started from inside, none is (0.5-1.6 ms of
/// the venv benchmark's 16-17 in interleaved runs), and the work allocates
/// from a pool thread's heap, which takes huge pages (`heap.rs`).
fn on_pool<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    // A scope entered from outside the pool runs its closure on a pool thread.
    rayon::scope(|_| work())
}

fn run_scan(args: ScanArgs, matrix: bool) -> ExitStatus {
    let (file, options, fail_on) = match settings(&args) {
        Ok(settings) => settings,
        Err(message) => return usage_error(&message),
    };
    if matrix || args.target.len() > 1 {
        let from_file = file.as_ref().map(|loaded| &loaded.config.targets);
        let targets = match from_file {
            _ if !args.target.is_empty() => args.target.clone(),
            Some(targets) if !targets.is_empty() => targets.clone(),
            _ => default_matrix(&options, args.quiet),
        };
        if let Some(loaded) = &file
            && !args.quiet
        {
            eprintln!(
                "muslcheck: using {}",
                escape::text(&path_text(&loaded.path))
            );
        }
        return run_matrix(&args, &targets, &options, fail_on);
    }
    let progress = ProgressBar::for_stderr(!args.quiet);
    let scanned = on_pool(|| scan_with_progress(&args.paths, &options, &progress));
    progress.finish();
    let mut report = match scanned {
        Ok(report) => report,
        Err(err) => return usage_error(&err.to_string()),
    };
    if let Some(loaded) = &file {
        announce_config(&args, loaded, &report);
    }
    // With --quiet, only a lookup that went wrong is worth a line.
    let index_went_wrong = report.index.failed > 0 || report.index.reason.is_some();
    if (!args.quiet || index_went_wrong)
        && let Some(line) = report::index_line(&report.index)
    {
        eprintln!("{}", escape::text(&line));
    }
    if let Err(message) = apply_baselines(&args, &mut report) {
        return usage_error(&message);
    }
    if let Err(message) = on_pool(|| print_report(&args, &report)) {
        return usage_error(&message);
    }
    let status = report::exit_status(&report, fail_on);
    // The process ends next: freeing the report's many small allocations
    // one by one is work nobody waits for.
    std::mem::forget(report);
    status
}

/// The default matrix's images that have facts for the scan's architecture
/// (the others are named on stderr, not an error: nobody asked for them).
fn default_matrix(options: &Options, quiet: bool) -> Vec<Target> {
    let (known, unknown): (Vec<Target>, Vec<Target>) =
        Target::default_matrix().into_iter().partition(|target| {
            Platform::new(target.clone(), options.platform.arch, false)
                .validate()
                .is_ok()
        });
    if !unknown.is_empty() && !quiet {
        let names: Vec<String> = unknown.iter().map(ToString::to_string).collect();
        eprintln!(
            "muslcheck: no {} facts for {}: left out of the matrix",
            options.platform.arch,
            names.join(", ")
        );
    }
    known
}

/// `--target` more than once: the matrix in text or JSON; SARIF, annotations
/// and the exit status from the first target's report.
fn run_matrix(
    args: &ScanArgs,
    targets: &[Target],
    options: &Options,
    fail_on: FailOn,
) -> ExitStatus {
    let platforms: Vec<Platform> = targets
        .iter()
        .map(|target| {
            Platform::new(
                target.clone(),
                options.platform.arch,
                options.platform.gcompat,
            )
        })
        .collect();
    if let Some(message) = platforms.iter().find_map(|p| p.validate().err()) {
        return usage_error(&message);
    }
    let progress = ProgressBar::for_stderr(!args.quiet);
    let scanned = on_pool(|| scan_matrix(&args.paths, options, &platforms, &progress));
    progress.finish();
    let mut matrix = match scanned {
        Ok(matrix) => matrix,
        Err(err) => return usage_error(&err.to_string()),
    };
    for report in &mut matrix.reports {
        if let Err(message) = apply_baselines(args, report) {
            return usage_error(&message);
        }
    }
    let Some(first) = matrix.reports.first() else {
        return ExitStatus::Clean;
    };
    let rendered = match args.format {
        Format::Json => serde_json::to_string_pretty(&matrix)
            .unwrap_or_else(|err| format!("{{\"error\": \"{err}\"}}")),
        Format::Text if args.quiet => report::summary_line(first),
        Format::Text => report::render_matrix_text(&matrix),
        Format::Sarif | Format::Github => match print_report(args, first) {
            Ok(()) => return report::exit_status(first, fail_on),
            Err(message) => return usage_error(&message),
        },
    };
    if let Err(message) = emit(args, &rendered, first) {
        return usage_error(&message);
    }
    report::exit_status(first, fail_on)
}

/// Says on stderr which config file the scan used and what it changed. With
/// `--quiet`, one line, and only when a file found in the scanned tree (in
/// CI: part of the change being checked) relaxed the scan.
fn announce_config(args: &ScanArgs, loaded: &Loaded, report: &Report) {
    let effects = loaded.effects(&args.config(), &report.summary.ignored_by_rule);
    let path = escape::text(&path_text(&loaded.path)).into_owned();
    if args.quiet {
        if loaded.discovered && !effects.relaxed.is_empty() {
            eprintln!(
                "muslcheck: {path} (from the scanned tree) {}; pass --no-config or --config FILE to decide that yourself",
                escape::text(&effects.relaxed.join(", "))
            );
        }
        return;
    }
    if loaded.discovered {
        eprintln!(
            "muslcheck: using {path}, found in the scanned directory (in CI, pass --no-config or --config FILE you trust)"
        );
    } else {
        eprintln!("muslcheck: using {path}");
    }
    for setting in &effects.settings {
        eprintln!("muslcheck: {path}: {}", escape::text(setting));
    }
}

/// The config file (if any) and the settings it and the command line give.
fn settings(args: &ScanArgs) -> Result<(Option<Loaded>, Options, FailOn), String> {
    let file = if args.no_config {
        None
    } else {
        Config::find(&args.paths, args.config.as_deref()).map_err(|e| e.to_string())?
    };
    let config = match &file {
        Some(loaded) => args.config().over(loaded.config.clone()),
        None => args.config(),
    };
    let (mut options, fail_on) = config.settings()?;
    // The scanned project's `.npmrc` names the registry only while the
    // scanned tree may configure the scan at all.
    options.index.project_npmrc = !args.no_config && args.config.is_none();
    Ok((file, options, fail_on))
}

/// `--write-baseline` records today's findings; `--baseline` removes the accepted ones.
fn apply_baselines(args: &ScanArgs, report: &mut Report) -> Result<(), String> {
    if let Some(path) = &args.write_baseline {
        let written = baseline::create(report);
        baseline::write(path, &written)?;
        eprintln!(
            "muslcheck: wrote {} finding fingerprint(s) to {}",
            written.fingerprints.len(),
            path.display()
        );
    }
    if let Some(path) = &args.baseline {
        let accepted = baseline::read(path)?;
        let stale = baseline::apply(report, &accepted);
        if stale > 0 {
            eprintln!(
                "muslcheck: {stale} baseline entr(ies) no longer occur; refresh with --write-baseline"
            );
        }
    }
    Ok(())
}

/// Writes `rendered` to stdout, or to `--output` with `report`'s summary on stderr.
fn emit(args: &ScanArgs, rendered: &str, report: &Report) -> Result<(), String> {
    if let Some(path) = &args.output {
        return write_output(path, report, |out| {
            out.write_all(rendered.trim_end().as_bytes())?;
            out.write_all(b"\n")
        });
    }
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{}", rendered.trim_end()) {
        // A closed pipe (`| head`) is not a scan failure.
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("writing the report: {err}"))
        }
        _ => Ok(()),
    }
}

/// Writes the report to `path` by `write`, with `report`'s summary on stderr.
fn write_output(
    path: &Path,
    report: &Report,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), String> {
    write_atomically_with(path, write).map_err(|err| {
        format!(
            "could not write the report to {}: {err}; the previous file (if any) is \
             unchanged; check the directory exists, is writable and has space",
            path.display()
        )
    })?;
    eprintln!("{}", report::summary_line(report));
    Ok(())
}

/// Renders the report to stdout, or to `--output` with the summary on stderr.
fn print_report(args: &ScanArgs, report: &Report) -> Result<(), String> {
    let rendered = match args.format {
        // A large report (100 MB for thousands of crafted findings) is
        // written as it is rendered, never held whole.
        Format::Json => {
            return match &args.output {
                Some(path) => write_output(path, report, |mut out| {
                    report::write_json(report, &mut out)?;
                    out.write_all(b"\n")
                }),
                None => stream_json(report),
            };
        }
        Format::Sarif => report::render_sarif(report),
        Format::Github => report::render_github(report),
        Format::Text if args.quiet => report::summary_line(report),
        Format::Text => report::render_text(
            report,
            TextOptions {
                color: args.output.is_none()
                    && std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none(),
                verbose: args.verbose,
                details: args.details,
            },
        ),
    };
    emit(args, &rendered, report)
}

/// `--format json` to stdout, written as it is rendered.
fn stream_json(report: &Report) -> Result<(), String> {
    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = report::write_json(report, &mut stdout)
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush());
    match written {
        // A closed pipe (`| head`) is not a scan failure.
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("writing the report: {err}"))
        }
        _ => Ok(()),
    }
}

/// A progress bar on stderr, drawn only on a terminal, outside CI, and once
/// the scan has run long enough to need one.
struct ProgressBar {
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
    visible: AtomicBool,
    walked: AtomicU64,
}

impl ProgressBar {
    const DELAY: Duration = Duration::from_millis(400);

    fn for_stderr(wanted: bool) -> ProgressBar {
        let show = wanted && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        let bar = show.then(|| {
            let bar =
                indicatif::ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {bar:30} {pos}/{len} files read, {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        ProgressBar {
            bar,
            started: Instant::now(),
            visible: AtomicBool::new(false),
            walked: AtomicU64::new(0),
        }
    }

    fn with_bar(&self, update: impl FnOnce(&indicatif::ProgressBar)) {
        let Some(bar) = &self.bar else { return };
        if self.started.elapsed() >= Self::DELAY && !self.visible.swap(true, Ordering::Relaxed) {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(Duration::from_millis(120));
        }
        update(bar);
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Progress for ProgressBar {
    fn walked(&self, files: u64) {
        let walked = self.walked.fetch_add(files, Ordering::Relaxed) + files;
        self.with_bar(|bar| bar.set_message(format!("{walked} files walked")));
    }

    fn found_candidate(&self) {
        self.with_bar(|bar| bar.inc_length(1));
    }

    fn read_one(&self) {
        self.with_bar(|bar| bar.inc(1));
    }
}

fn audit_wheels(wheels: &[PathBuf], format: Format) -> ExitStatus {
    let report = match on_pool(|| scan(wheels, &Options::default())) {
        Ok(report) => report,
        Err(err) => return usage_error(&err.to_string()),
    };
    let is_wheel = |a: &muslcheck::Artifact| matches!(a.kind, ArtifactKind::Wheel { .. });
    if !report.artifacts.iter().any(is_wheel) {
        let given: Vec<String> = wheels.iter().map(|p| p.display().to_string()).collect();
        return usage_error(&format!(
            "audit-wheel expects wheel files (NAME-VERSION-TAGS.whl) or directories holding them; found no wheel in {}",
            given.join(", ")
        ));
    }
    let rendered = on_pool(|| match format {
        Format::Json => report::render_json(&report),
        Format::Sarif => report::render_sarif(&report),
        Format::Github => report::render_github(&report),
        Format::Text => report::render_wheel_audit(&report),
    });
    println!("{}", rendered.trim_end());
    let tag_findings = report
        .artifacts
        .iter()
        .filter(|a| a.wheel().is_some())
        .any(|a| !a.findings().is_empty());
    if tag_findings {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    }
}

fn targets(format: Format) -> ExitStatus {
    let rows = muslcheck::platform::target_summaries();
    match format {
        Format::Text => print!("{}", report::render_targets(&rows)),
        Format::Json => println!("{}", report::render_targets_json(&rows)),
        other => {
            let name = format!("{other:?}").to_lowercase();
            return usage_error(&format!("`targets` prints text or json, not {name}"));
        }
    }
    ExitStatus::Clean
}

fn explain(code: Option<&str>, list: bool) -> ExitStatus {
    let Some(code) = code.filter(|_| !list) else {
        print!("{}", report::explain_list());
        return ExitStatus::Clean;
    };
    match code.parse::<Code>() {
        Ok(code) => {
            print!("{}", report::explain(code));
            ExitStatus::Clean
        }
        Err(err) => usage_error(&err),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn work_handed_to_the_pool_runs_on_a_pool_thread() {
        assert_eq!(rayon::current_thread_index(), None, "a test's own thread");
        assert!(super::on_pool(rayon::current_thread_index).is_some());
    }
}
