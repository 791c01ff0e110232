//! The `muslcheck` command line: parse arguments, call the library, print, exit.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use muslcheck::check::{Code, RULES};
use muslcheck::discover::WalkOptions;
use muslcheck::elf::Arch;
use muslcheck::report::{self, ExitStatus, FailOn, Format, TextOptions};
use muslcheck::target::Target;
use muslcheck::{Options, scan};

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
    /// Audit wheels: is each one's manylinux/musllinux tag true to the ELF inside?
    AuditWheel {
        /// Wheel files (or directories holding them).
        #[arg(required = true)]
        wheels: Vec<PathBuf>,
        /// Output format: text or json.
        #[arg(long, default_value = "text")]
        format: String,
    },
}

#[derive(Debug, Args)]
struct ScanArgs {
    /// Directories or files to scan.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// What the files must run on: alpine, alpine:3.18, musl:1.2.3, debian-musl.
    #[arg(long, default_value = "alpine")]
    target: String,
    /// Target CPU architecture (default: this machine's).
    #[arg(long)]
    arch: Option<String>,
    /// Assume `apk add gcompat` on the target.
    #[arg(long)]
    gcompat: bool,
    /// Output format: text, json, sarif (2.1.0) or github (workflow annotations).
    #[arg(long, default_value = "text")]
    format: String,
    /// Write the report to this file; the summary line still goes to stderr.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit 1 when a finding is at or above this level: error, warning, note, never.
    #[arg(long, default_value = "error")]
    fail_on: String,
    /// Follow symbolic links (loops are detected and reported).
    #[arg(long)]
    follow_symlinks: bool,
    /// Read every file, even those whose name proves they are text.
    #[arg(long)]
    all_files: bool,
    /// Skip paths matching this glob (relative to the scanned root); repeatable.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Report only findings not recorded in this baseline file (exit on those alone).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Record today's findings as the accepted baseline in FILE.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Also list files that are ok.
    #[arg(short, long)]
    verbose: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let status = match cli.command {
        Some(Command::Explain { code, list }) => explain(code.as_deref(), list),
        Some(Command::AuditWheel { wheels, format }) => audit_wheels(&wheels, &format),
        None => run_scan(cli.scan),
    };
    ExitCode::from(status as u8)
}

fn usage_error(message: &str) -> ExitStatus {
    eprintln!("muslcheck: error: {message}");
    ExitStatus::Failure
}

fn run_scan(args: ScanArgs) -> ExitStatus {
    let target: Target = match args.target.parse() {
        Ok(target) => target,
        Err(err) => return usage_error(&format!("--target: {err}")),
    };
    let arch = match args.arch.as_deref().map(str::parse::<Arch>).transpose() {
        Ok(arch) => arch.unwrap_or_else(Arch::host),
        Err(err) => return usage_error(&format!("--arch: {err}")),
    };
    let format: Format = match args.format.parse() {
        Ok(format) => format,
        Err(err) => return usage_error(&format!("--format: {err}")),
    };
    let fail_on: FailOn = match args.fail_on.parse() {
        Ok(fail_on) => fail_on,
        Err(err) => return usage_error(&err),
    };
    let options = Options {
        target,
        arch,
        gcompat: args.gcompat,
        walk: WalkOptions {
            follow_symlinks: args.follow_symlinks,
            all_files: args.all_files,
            exclude: args.exclude,
        },
    };
    let mut report = match scan(&args.paths, &options) {
        Ok(report) => report,
        Err(err) => return usage_error(&err.to_string()),
    };
    if let Some(path) = &args.write_baseline {
        let baseline = muslcheck::baseline::create(&report);
        if let Err(err) = muslcheck::baseline::write(path, &baseline) {
            return usage_error(&err);
        }
        eprintln!(
            "muslcheck: wrote {} finding fingerprint(s) to {}",
            baseline.fingerprints.len(),
            path.display()
        );
    }
    if let Some(path) = &args.baseline {
        let baseline = match muslcheck::baseline::read(path) {
            Ok(baseline) => baseline,
            Err(err) => return usage_error(&err),
        };
        let stale = muslcheck::baseline::apply(&mut report, &baseline);
        if stale > 0 {
            eprintln!(
                "muslcheck: {stale} baseline entr(ies) no longer occur; refresh with --write-baseline"
            );
        }
    }
    let rendered = match format {
        Format::Json => report::render_json(&report),
        Format::Sarif => report::render_sarif(&report),
        Format::Github => report::render_github(&report),
        Format::Text => report::render_text(
            &report,
            TextOptions {
                color: args.output.is_none()
                    && std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none(),
                verbose: args.verbose,
            },
        ),
    };
    if let Some(path) = &args.output {
        if let Err(err) = std::fs::write(path, format!("{}\n", rendered.trim_end())) {
            return usage_error(&format!(
                "could not write the report to {}: {err}; check the directory exists and is writable",
                path.display()
            ));
        }
        eprintln!("{}", report::summary_line(&report));
    } else {
        let mut stdout = std::io::stdout().lock();
        if let Err(err) = writeln!(stdout, "{}", rendered.trim_end()) {
            // A closed pipe (`| head`) is not a scan failure.
            if err.kind() != std::io::ErrorKind::BrokenPipe {
                return usage_error(&format!("writing the report: {err}"));
            }
        }
    }
    report::exit_status(&report, fail_on)
}

fn audit_wheels(wheels: &[PathBuf], format: &str) -> ExitStatus {
    let format: Format = match format.parse() {
        Ok(format) => format,
        Err(err) => return usage_error(&format!("--format: {err}")),
    };
    let report = match scan(wheels, &Options::default()) {
        Ok(report) => report,
        Err(err) => return usage_error(&err.to_string()),
    };
    let rendered = match format {
        Format::Json => report::render_json(&report),
        Format::Sarif => report::render_sarif(&report),
        Format::Github => report::render_github(&report),
        Format::Text => report::render_wheel_audit(&report),
    };
    println!("{}", rendered.trim_end());
    let tag_findings = report
        .artifacts
        .iter()
        .filter(|a| a.wheel.is_some())
        .any(|a| !a.findings().is_empty());
    if tag_findings {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    }
}

fn explain(code: Option<&str>, list: bool) -> ExitStatus {
    if list || code.is_none() {
        for rule in RULES {
            println!(
                "{}  {:<8} {:<24} {}",
                rule.id, rule.severity, rule.name, rule.summary
            );
        }
        return ExitStatus::Clean;
    }
    let code = code.unwrap_or_default();
    match code.parse::<Code>() {
        Ok(code) => {
            let rule = code.rule();
            println!(
                "{} {} ({})\n\n{}\n\n{}",
                rule.id, rule.name, rule.severity, rule.summary, rule.explanation
            );
            ExitStatus::Clean
        }
        Err(err) => usage_error(&err),
    }
}
