//! Helpers shared by the integration tests: run the binary and read its JSON,
//! or scan in process and read the typed report.
#![allow(dead_code)] // Each test crate uses its own subset.

pub mod archives;
pub mod synthetic_elf;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use muslcheck::model::{Arch, Code};
use muslcheck::platform::Platform;
use muslcheck::{Artifact, Options, Report};
use serde_json::Value;

/// A committed fixture under corpus/.
pub fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(name)
}

/// Copies the fixture `name` to `to`, creating the parent directories.
pub fn copy_fixture(name: &str, to: &Path) {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::copy(corpus(name), to)
        .unwrap_or_else(|e| panic!("copying {name} to {}: {e}", to.display()));
}

/// An installed distribution in `site` (`site-packages`): the fixture
/// `fixture` at `module`, and a `*.dist-info` naming `name` `version` whose
/// RECORD lists it.
pub fn install_distribution(site: &Path, name: &str, version: &str, fixture: &str, module: &str) {
    copy_fixture(fixture, &site.join(module));
    write_dist_info(site, name, version, &[module]);
}

/// canvas 2.11.2 installed in `project`'s node_modules without running its
/// install script (`node-gyp rebuild`): its binding.gyp, no addon.
pub fn write_canvas_not_built(project: &Path) {
    let canvas = project.join("node_modules/canvas");
    std::fs::create_dir_all(&canvas).unwrap();
    std::fs::write(
        canvas.join("package.json"),
        br#"{"name":"canvas","version":"2.11.2","scripts":{"install":"node-gyp rebuild"}}"#,
    )
    .unwrap();
    std::fs::write(canvas.join("binding.gyp"), b"{'targets':[]}").unwrap();
}

/// The `*.dist-info` of `name` `version` in `site`: its METADATA, and a
/// RECORD listing `files` (paths below `site`).
pub fn write_dist_info(site: &Path, name: &str, version: &str, files: &[&str]) {
    let info = site.join(format!("{name}-{version}.dist-info"));
    std::fs::create_dir_all(&info).unwrap();
    std::fs::write(
        info.join("METADATA"),
        format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
    )
    .unwrap();
    let record: String = files.iter().map(|file| format!("{file},,\n")).collect();
    std::fs::write(info.join("RECORD"), record).unwrap();
}

/// A tree that corpus/thirdparty/make-*.sh builds from the package
/// registries (not committed), when it was built; says so when it was not.
/// The directories listed in `MUSLCHECK_DIFFERENTIAL_ROOTS` (`:`-separated):
/// installed packages of one's own for the loader differential tests.
pub fn differential_roots() -> Vec<PathBuf> {
    std::env::var_os("MUSLCHECK_DIFFERENTIAL_ROOTS")
        .map(|listed| {
            std::env::split_paths(&listed)
                .filter(|root| root.is_dir())
                .collect()
        })
        .unwrap_or_default()
}

/// A venv holding `madeup_native 0.4.2`, a PyPI package no table knows,
/// whose CPython 3.12 module needs a library nothing on Alpine provides
/// (gcompat does not help either).
pub fn venv_with_an_unanswered_package() -> tempfile::TempDir {
    let venv = tempfile::tempdir().unwrap();
    let site = venv.path().join("lib/python3.12/site-packages");
    let module = "madeup_native/_core.cpython-312-x86_64-linux-gnu.so";
    std::fs::create_dir_all(site.join("madeup_native")).unwrap();
    std::fs::copy(corpus("lib/libmissing-dep.so"), site.join(module)).unwrap();
    write_dist_info(&site, "madeup_native", "0.4.2", &[module]);
    venv
}

pub fn fetched(name: &str) -> Option<PathBuf> {
    let dir = corpus(&format!("thirdparty/fetched/{name}"));
    if dir.is_dir() {
        return Some(dir);
    }
    eprintln!(
        "note: {} absent (corpus/thirdparty/make-*.sh builds it from the registries)",
        dir.display()
    );
    None
}

// --- The binary ---------------------------------------------------------------

/// The binary, asking no package index: offline, with a cache directory
/// nothing is ever written to (tests/index.rs runs its own index server).
pub fn command() -> Command {
    let mut command = Command::cargo_bin("muslcheck").unwrap();
    command.env("MUSLCHECK_OFFLINE", "1").env(
        "XDG_CACHE_HOME",
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-index-cache"),
    );
    command
}

/// `muslcheck ARGS`, nothing added.
pub fn cli(args: &[&str]) -> Output {
    command()
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap()
}

/// `muslcheck --arch x86_64 ARGS DIR`.
pub fn muslcheck(dir: &Path, args: &[&str]) -> Output {
    command()
        .args(["--arch", "x86_64"])
        .args(args)
        .arg(dir)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap()
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Standard output parsed as JSON; the panic shows standard error.
pub fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// The JSON report of a scan of `dir` (`--format json --arch x86_64 ARGS DIR`),
/// and the exit code.
pub fn json_scan(dir: &Path, args: &[&str]) -> (Value, i32) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let output = muslcheck(dir, &all);
    (json_of(&output), output.status.code().unwrap_or(-1))
}

/// The artifacts of a JSON report.
pub fn artifacts(report: &Value) -> &[Value] {
    report["artifacts"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_else(|| panic!("no artifacts in {report:#}"))
}

/// The paths of a JSON report's artifacts, in report order.
pub fn paths(report: &Value) -> Vec<&str> {
    artifacts(report)
        .iter()
        .filter_map(|a| a["path"].as_str())
        .collect()
}

/// The first artifact `pick` says yes to.
pub fn artifact_where(report: &Value, pick: impl Fn(&Value) -> bool) -> Option<&Value> {
    artifacts(report).iter().find(|a| pick(a))
}

/// The artifact reported at `path`.
pub fn artifact<'a>(report: &'a Value, path: &str) -> &'a Value {
    artifact_where(report, |a| a["path"] == path)
        .unwrap_or_else(|| panic!("{path} not in the report: {report:#}"))
}

/// The artifact whose path ends with `suffix`.
pub fn by_suffix<'a>(report: &'a Value, suffix: &str) -> &'a Value {
    artifact_where(report, |a| {
        a["path"].as_str().is_some_and(|p| p.ends_with(suffix))
    })
    .unwrap_or_else(|| panic!("no path ending with {suffix} in the report"))
}

/// The artifact's first finding with `code`.
pub fn finding<'a>(artifact: &'a Value, code: &str) -> &'a Value {
    artifact["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {:?}", codes(artifact)))
}

/// The finding codes of an artifact.
pub fn codes(artifact: &Value) -> Vec<String> {
    artifact["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str().map(String::from))
        .collect()
}

/// The finding codes of the artifact at `path`; none when it is not reported.
pub fn codes_at(report: &Value, path: &str) -> Vec<String> {
    artifacts(report)
        .iter()
        .filter(|a| a["path"] == path)
        .flat_map(codes)
        .collect()
}

/// The finding codes of every artifact of the package `name`.
/// The package table's decision for the package `name`.
pub fn decision<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["packages"]
        .as_array()
        .and_then(|all| all.iter().find(|d| d["package"]["name"] == name))
        .unwrap_or_else(|| panic!("no decision for {name}: {report:#}"))
}

pub fn package_codes(report: &Value, name: &str) -> Vec<String> {
    artifacts(report)
        .iter()
        .filter(|a| a["package"]["name"] == name)
        .flat_map(codes)
        .collect()
}

/// Whether the process runs as root (which reads files whatever their mode).
pub fn running_as_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

// --- Alpine's root filesystems -------------------------------------------------

/// Where the tarballs are: MUSLCHECK_ALPINE_MINIROOTFS, else the copies
/// committed in corpus/alpine-minirootfs (with their provenance).
fn tarball_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = std::env::var_os("MUSLCHECK_ALPINE_MINIROOTFS") {
        dirs.push(PathBuf::from(dir));
    }
    dirs.push(corpus("alpine-minirootfs"));
    dirs
}

/// Alpine releases with a minirootfs here, and the tarball's full version.
pub const ALPINE_MINIROOTFS: &[(&str, &str)] =
    &[("3.17", "3.17.10"), ("3.19", "3.19.4"), ("3.20", "3.20.3")];

fn skip_without_root(reason: &str) {
    if std::env::var_os("MUSLCHECK_REQUIRE_TOOLS").is_some() {
        panic!("{reason} (MUSLCHECK_REQUIRE_TOOLS is set)");
    }
    eprintln!("SKIPPED: {reason}");
}

/// The x86_64 minirootfs of `release`, extracted once (and kept) in the
/// temporary directory.
pub fn alpine_root(release: &str) -> Option<PathBuf> {
    alpine_root_for(release, "x86_64")
}

/// The minirootfs of `release` for `arch` (`x86_64`, `aarch64`), extracted
/// once (and kept) in the temporary directory.
pub fn alpine_root_for(release: &str, arch: &str) -> Option<PathBuf> {
    let full = ALPINE_MINIROOTFS.iter().find(|(r, _)| *r == release)?.1;
    let name = format!("alpine-minirootfs-{full}-{arch}.tar.gz");
    let Some(tarball) = tarball_dirs()
        .into_iter()
        .map(|dir| dir.join(&name))
        .find(|path| path.exists())
    else {
        skip_without_root(&format!(
            "{name} not found in MUSLCHECK_ALPINE_MINIROOTFS or corpus/alpine-minirootfs"
        ));
        return None;
    };
    if !running_as_root() {
        skip_without_root("chroot needs root");
        return None;
    }
    let root = std::env::temp_dir().join(format!("muslcheck-alpine-{full}-{arch}"));
    if !root.join("lib").is_dir() {
        // Extracted beside it, then renamed: tests running at once never see half a root.
        // Named per process and per call: tests in one binary share a process id.
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let partial = PathBuf::from(format!(
            "{}.partial-{}-{call}",
            root.display(),
            std::process::id()
        ));
        std::fs::create_dir_all(&partial).unwrap();
        let status = std::process::Command::new("tar")
            .arg("xzf")
            .arg(&tarball)
            .arg("-C")
            .arg(&partial)
            .status()
            .unwrap();
        assert!(status.success(), "extracting {}", tarball.display());
        if std::fs::rename(&partial, &root).is_err() {
            std::fs::remove_dir_all(&partial).unwrap();
        }
    }
    Some(root)
}

// --- In process ---------------------------------------------------------------

/// alpine:3.20 on x86_64, with or without gcompat.
pub fn platform(gcompat: bool) -> Platform {
    Platform::new("alpine:3.20".parse().unwrap(), Arch::X86_64, gcompat)
}

/// Options for `platform(gcompat)`, nothing else set.
pub fn options(gcompat: bool) -> Options {
    Options {
        platform: platform(gcompat),
        ..Default::default()
    }
}

/// `muslcheck::scan` of `paths` with `options`.
pub fn scan_with(paths: &[PathBuf], options: &Options) -> Report {
    muslcheck::scan(paths, options).unwrap_or_else(|e| panic!("{paths:?}: {e}"))
}

/// `muslcheck::scan` of corpus fixtures on alpine:3.20 x86_64.
pub fn scan_corpus(names: &[&str], gcompat: bool) -> Report {
    let paths: Vec<PathBuf> = names.iter().map(|name| corpus(name)).collect();
    scan_with(&paths, &options(gcompat))
}

/// The one artifact of a scan of the single fixture `name`.
pub fn scan_one(name: &str, gcompat: bool) -> Artifact {
    let mut report = scan_corpus(&[name], gcompat);
    assert_eq!(report.artifacts.len(), 1, "{name}: {:#?}", report.artifacts);
    report.artifacts.remove(0)
}

/// The artifact of a typed report whose path ends with `suffix`.
pub fn found<'a>(report: &'a Report, suffix: &str) -> &'a Artifact {
    report
        .artifacts
        .iter()
        .find(|a| a.path.as_str().ends_with(suffix))
        .unwrap_or_else(|| {
            let paths: Vec<&str> = report.artifacts.iter().map(|a| a.path.as_str()).collect();
            panic!("no path ending with {suffix} in {paths:#?}")
        })
}

/// The finding codes of a typed artifact.
pub fn codes_of(artifact: &Artifact) -> Vec<Code> {
    artifact.findings().iter().map(|f| f.code).collect()
}

/// What musl's loader wrote on stderr for `ld-musl-*.so.1 --list FILE`.
#[derive(Debug, Default)]
pub struct MuslLoaderErrors {
    /// "Error loading shared library NAME: …"
    pub libraries: std::collections::BTreeSet<String>,
    /// "Error relocating OBJECT: SYMBOL: symbol not found", in order.
    pub symbols: Vec<(String, String)>,
    /// "Error relocating OBJECT: unsupported relocation type N"
    pub relocations: Vec<(String, u32)>,
}

/// Reads musl's loader errors; any other non-empty line is a test failure
/// (a message the parser does not know must not pass unseen).
pub fn musl_loader_errors(stderr: &str) -> MuslLoaderErrors {
    let mut errors = MuslLoaderErrors::default();
    for line in stderr.lines() {
        if let Some(rest) = line.strip_prefix("Error relocating ") {
            if let Some(rest) = rest.strip_suffix(": symbol not found")
                && let Some((object, symbol)) = rest.rsplit_once(": ")
            {
                errors
                    .symbols
                    .push((object.to_string(), symbol.to_string()));
            } else if let Some((object, kind)) = rest.rsplit_once(": unsupported relocation type ")
            {
                let kind = kind.trim().parse().expect("a relocation type number");
                errors.relocations.push((object.to_string(), kind));
            } else {
                panic!("unexpected loader line: {line}");
            }
        } else if let Some(rest) = line.strip_prefix("Error loading shared library ") {
            let name = rest.split(':').next().unwrap_or(rest);
            errors.libraries.insert(name.to_string());
        } else if !line.trim().is_empty() {
            panic!("unexpected loader line: {line}");
        }
    }
    errors
}

/// Debian's musl loader, the ground truth of the differential tests.
pub const MUSL_LOADER: &str = "/lib/ld-musl-x86_64.so.1";

/// Whether the musl loader is absent: then `what` is skipped, saying so
/// (a failure when MUSLCHECK_REQUIRE_TOOLS is set).
pub fn musl_loader_missing(what: &str) -> bool {
    if Path::new(MUSL_LOADER).exists() {
        return false;
    }
    let reason = format!("{MUSL_LOADER} not found: apt-get install musl");
    assert!(
        std::env::var_os("MUSLCHECK_REQUIRE_TOOLS").is_none(),
        "{reason} (MUSLCHECK_REQUIRE_TOOLS is set)"
    );
    eprintln!("SKIPPED {what}: {reason}");
    true
}
