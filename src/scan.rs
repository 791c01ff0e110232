//! The pipeline: discover → elf → check → [`Report`].

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::check::reinstall::{Reinstall, assess_locked};
use crate::check::wheel::{self, WheelAudit, WheelMember};
use crate::check::{
    self, Assessment, CheckOptions, Code, Evidence, Finding, Severity, TreeFile, TreeIndex, Verdict,
};
use crate::config::IgnoreRule;
use crate::discover::{self, Candidate, DiscoverError, ProblemKind, WalkOptions};
use crate::ecosystem::python::{WheelName, dist_info_name};
use crate::ecosystem::python_lock::parse_manifest;
use crate::ecosystem::{Ecosystem, Package};
use crate::elf::{self, Arch, ElfError, ElfFacts};
use crate::progress::{Progress, Silent};
use crate::target::Target;

/// The JSON schema version of [`Report`]; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// What to scan against.
#[derive(Debug, Clone)]
pub struct Options {
    pub target: Target,
    pub arch: Arch,
    /// Assume `apk add gcompat` on the target.
    pub gcompat: bool,
    pub walk: WalkOptions,
    /// Accepted findings (`[[ignore]]` in the config), left out of the report.
    pub ignore: Vec<IgnoreRule>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            target: Target::newest_alpine(),
            arch: Arch::host(),
            gcompat: false,
            walk: WalkOptions::default(),
            ignore: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{path}: no such file or directory; check the path and run again")]
    PathNotFound { path: String },
    #[error(transparent)]
    Discover(#[from] DiscoverError),
}

/// One file in the report: an ELF file, or a file that could not be handled.
#[derive(Debug, Clone, Serialize)]
pub struct Artifact {
    /// Path relative to the scanned root (or as given, for several roots).
    pub path: String,
    /// Other paths of the same file (hard links).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_at: Vec<String>,
    pub size: u64,
    /// The npm or PyPI package that owns the file, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<Package>,
    pub facts: Option<ElfFacts>,
    /// For a wheel: its claimed tags against what its content supports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wheel: Option<WheelAudit>,
    /// For a pinned package in a lockfile: what installing it on the target gives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reinstall: Option<Reinstall>,
    #[serde(flatten)]
    pub assessment: Assessment,
}

impl Artifact {
    /// An entry that is not an analysed file: a lockfile package, or a path
    /// that could not be read.
    fn entry(
        path: &str,
        package: Option<Package>,
        reinstall: Option<Reinstall>,
        assessment: Assessment,
    ) -> Artifact {
        Artifact {
            path: path.to_string(),
            also_at: Vec::new(),
            size: 0,
            package,
            facts: None,
            wheel: None,
            reinstall,
            assessment,
        }
    }

    /// A pinned package's reinstall answer; `unknown` when it has findings.
    fn reinstall_entry(
        path: &str,
        package: Package,
        reinstall: Reinstall,
        findings: Vec<Finding>,
    ) -> Artifact {
        let verdict = if findings.is_empty() {
            Verdict::Ok
        } else {
            Verdict::Unknown
        };
        Artifact::entry(
            path,
            Some(package),
            Some(reinstall),
            Assessment::of(verdict, findings),
        )
    }

    pub fn verdict(&self) -> Verdict {
        self.assessment.verdict
    }

    pub fn findings(&self) -> &[Finding] {
        &self.assessment.findings
    }

    pub fn worst_severity(&self) -> Option<Severity> {
        self.assessment.findings.iter().map(|f| f.severity).max()
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub files_walked: u64,
    /// Files not opened because their name proves they are text.
    pub skipped_by_name: u64,
    pub elf_files: usize,
    pub verdicts: BTreeMap<Verdict, usize>,
    pub findings: BTreeMap<Severity, usize>,
    /// Findings left out because an `[[ignore]]` rule accepts them.
    pub ignored: usize,
    pub duration_ms: u128,
}

impl Summary {
    /// Recounts verdicts and findings from the artifacts.
    fn count(&mut self, artifacts: &[Artifact]) {
        self.elf_files = artifacts.iter().filter(|a| a.facts.is_some()).count();
        self.verdicts.clear();
        self.findings.clear();
        for artifact in artifacts {
            // A wheel's verdict repeats its members', and a lock entry is not a file.
            if artifact.wheel.is_none() && artifact.reinstall.is_none() {
                *self.verdicts.entry(artifact.verdict()).or_default() += 1;
            }
            for finding in artifact.findings() {
                *self.findings.entry(finding.severity).or_default() += 1;
            }
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ToolInfo {
    pub name: &'static str,
    pub version: &'static str,
}

/// Everything a scan found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: ToolInfo,
    pub target: Target,
    pub arch: Arch,
    pub gcompat: bool,
    pub roots: Vec<String>,
    pub artifacts: Vec<Artifact>,
    pub summary: Summary,
}

impl Report {
    /// Removes the findings `accept` says yes to; a file whose findings are
    /// all accepted leaves the report. Returns how many were removed.
    pub fn remove_findings(
        &mut self,
        mut accept: impl FnMut(&Artifact, &Finding) -> bool,
    ) -> usize {
        let mut removed = 0;
        self.artifacts.retain_mut(|artifact| {
            let had_findings = !artifact.assessment.findings.is_empty();
            let findings = std::mem::take(&mut artifact.assessment.findings);
            let (accepted, kept): (Vec<Finding>, Vec<Finding>) =
                findings.into_iter().partition(|f| accept(artifact, f));
            removed += accepted.len();
            artifact.assessment.findings = kept;
            !(had_findings && artifact.assessment.findings.is_empty())
        });
        self.summary.count(&self.artifacts);
        removed
    }

    /// The most severe finding of the whole scan.
    pub fn worst_severity(&self) -> Option<Severity> {
        self.artifacts
            .iter()
            .filter_map(Artifact::worst_severity)
            .max()
    }
}

/// The result of reading one candidate file.
#[derive(Clone)]
enum Read {
    NotElf,
    Elf(Arc<ElfFacts>),
    Failed(Code, String),
}

/// Scans `paths` and judges every ELF file in them against the target.
pub fn scan(paths: &[PathBuf], options: &Options) -> Result<Report, ScanError> {
    scan_with_progress(paths, options, &Silent)
}

/// [`scan`], telling `progress` how far it got.
pub fn scan_with_progress(
    paths: &[PathBuf],
    options: &Options,
    progress: &dyn Progress,
) -> Result<Report, ScanError> {
    let started = Instant::now();
    if let Some(missing) = paths.iter().find(|p| std::fs::symlink_metadata(p).is_err()) {
        return Err(ScanError::PathNotFound {
            path: missing.display().to_string(),
        });
    }
    discover::check_options(&options.walk)?;
    // The walk feeds the readers as it goes: reading starts with the first file.
    let cache = FactsCache::default();
    let (walked, reads) = std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Candidate>(4096);
        let walker = scope.spawn(move || {
            discover::walk(paths, &options.walk, progress, &mut |candidate| {
                // The receiver lives until the walk ends; a send cannot fail.
                let _ = sender.send(candidate);
            })
        });
        let mut reads: Vec<CandidateRead> = receiver
            .into_iter()
            .par_bridge()
            .map(|candidate| {
                let read = read_candidate(&candidate, &cache);
                progress.read_one();
                read
            })
            .filter(|read| read.wheel.is_some() || !read.items.is_empty())
            .collect();
        // Readers finish in any order; what follows sees the walk's order.
        reads.sort_by(|a, b| a.sort_key().cmp(b.sort_key()));
        (walker.join(), reads)
    });
    let inventory = match walked {
        Ok(walked) => walked?,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    let mut items: Vec<Item> = Vec::new();
    let mut wheels: Vec<WheelRead> = Vec::new();
    for read in reads {
        if let Some(mut wheel) = read.wheel {
            wheel.first_item = items.len();
            wheel.item_count = read.items.len();
            wheels.push(wheel);
        }
        items.extend(read.items);
    }
    attribute_packages(&mut items, &inventory);

    let tree_files: Vec<Option<TreeFile>> = items
        .iter()
        .map(|item| match &item.read {
            Read::Elf(facts) => Some(TreeFile {
                location: &item.location,
                shown: &item.shown,
                facts,
            }),
            _ => None,
        })
        .collect();
    let index = TreeIndex::new(&tree_files, &inventory.symlinks);
    let check_options = CheckOptions {
        target: options.target.clone(),
        arch: options.arch,
        gcompat: options.gcompat,
    };
    let assessments = check::assess_all(&index, tree_files.len(), &check_options);

    let mut artifacts: Vec<Artifact> = Vec::new();
    for wheel in &wheels {
        artifacts.push(wheel_artifact(wheel, &items, &assessments));
    }
    for (item, assessment) in items.iter().zip(assessments) {
        let assessment = match (&item.read, assessment) {
            (Read::Elf(_), Some(assessment)) => assessment,
            (Read::Failed(code, reason), _) => failure(*code, reason.clone()),
            _ => continue,
        };
        artifacts.push(Artifact {
            path: item.shown.clone(),
            also_at: item.also_at.clone(),
            size: item.size,
            package: item.package.clone(),
            facts: match &item.read {
                Read::Elf(facts) => Some(facts.as_ref().clone()),
                _ => None,
            },
            wheel: None,
            reinstall: None,
            assessment,
        });
    }
    artifacts.extend(manifest_artifacts(&inventory.manifests, options.arch));
    for problem in &inventory.problems {
        let (code, verdict) = match problem.kind {
            ProblemKind::SpecialFile => (Code::SpecialFile, Verdict::NotApplicable),
            ProblemKind::SymlinkLoop => (Code::SymlinkLoop, Verdict::Unknown),
            ProblemKind::Unreadable | ProblemKind::Missing => (Code::Unreadable, Verdict::Unknown),
        };
        let finding = Finding::new(
            code,
            problem.reason.clone(),
            Evidence::Read {
                reason: problem.reason.clone(),
            },
        );
        artifacts.push(Artifact::entry(
            &problem.path,
            None,
            None,
            Assessment::of(verdict, vec![finding]),
        ));
    }
    artifacts.sort_by(|a, b| a.path.cmp(&b.path));

    let summary = Summary {
        files_walked: inventory.files_walked,
        skipped_by_name: inventory.skipped_by_name,
        ..Summary::default()
    };
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        target: options.target.clone(),
        arch: options.arch,
        gcompat: options.gcompat,
        roots: paths.iter().map(|p| p.display().to_string()).collect(),
        artifacts,
        summary,
    };
    let ignored = report.remove_findings(|artifact, finding| {
        options
            .ignore
            .iter()
            .any(|rule| rule.matches(artifact, finding))
    });
    report.summary.ignored = ignored;
    report.summary.duration_ms = started.elapsed().as_millis();
    Ok(report)
}

fn failure(code: Code, reason: String) -> Assessment {
    let message = match code {
        Code::MalformedElf => format!("starts like ELF but cannot be read: {reason}"),
        _ => format!("cannot be read: {reason}"),
    };
    Assessment::of(
        Verdict::Unknown,
        vec![Finding::new(code, message, Evidence::Read { reason })],
    )
}

/// One file to judge: a file on disk or a member of an archive.
struct Item {
    shown: String,
    also_at: Vec<String>,
    location: PathBuf,
    size: u64,
    read: Read,
    package: Option<Package>,
}

/// A wheel and the range of its members in the item list.
struct WheelRead {
    shown: String,
    size: u64,
    name: Option<WheelName>,
    member_names: Vec<String>,
    first_item: usize,
    item_count: usize,
}

struct CandidateRead {
    items: Vec<Item>,
    wheel: Option<WheelRead>,
}

impl CandidateRead {
    fn sort_key(&self) -> &str {
        match (&self.wheel, self.items.first()) {
            (Some(wheel), _) => &wheel.shown,
            (None, Some(item)) => &item.shown,
            (None, None) => "",
        }
    }
}

fn read_candidate(candidate: &Candidate, cache: &FactsCache) -> CandidateRead {
    let shown = candidate.shown.clone();
    let is_wheel = candidate
        .location
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("whl"));
    if is_wheel {
        return read_wheel(candidate, shown, cache);
    }
    let file_name = candidate
        .location
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if file_name.ends_with(".tgz") || file_name.ends_with(".tar.gz") {
        return read_tarball(candidate, shown, cache);
    }
    let read = read_file(&candidate.location, cache);
    if matches!(read, Read::NotElf) {
        return CandidateRead {
            items: Vec::new(),
            wheel: None,
        };
    }
    let item = Item {
        shown,
        also_at: Vec::new(),
        location: candidate.location.clone(),
        size: candidate.size,
        read,
        package: None,
    };
    CandidateRead {
        items: vec![item],
        wheel: None,
    }
}

/// Gives each file its other names (hard links) and its owning package
/// (a wheel's or tarball's members already have theirs).
fn attribute_packages(items: &mut [Item], inventory: &discover::Inventory) {
    let mut packages = python_packages(&inventory.dist_infos);
    let npm = npm_packages(
        items
            .iter()
            .filter(|item| item.package.is_none())
            .map(|item| item.location.as_path()),
    );
    for (location, package) in npm {
        packages.entry(location).or_insert(package);
    }
    for item in items.iter_mut() {
        if item.package.is_none() {
            item.package = packages.get(&item.location).cloned();
        }
        if let Some(others) = inventory.hard_links.get(&item.location) {
            // The smallest path names the file, whatever the walk met first.
            let mut paths = others.clone();
            paths.push(std::mem::take(&mut item.shown));
            paths.sort();
            item.shown = paths.remove(0);
            item.also_at = paths;
        }
    }
}

/// Facts by content: copies of one file (vendored twice, several venvs or
/// node_modules side by side) are parsed once. Content is hashed (xxh3-128
/// of the whole file) only once a second ELF file of the same length shows up,
/// so a tree without copies never pays for reading whole files.
#[derive(Default)]
struct FactsCache(Mutex<HashMap<usize, SameLength>>);

/// The ELF files of one length met so far.
enum SameLength {
    /// One file on disk, not hashed yet: read again if a second one comes.
    One { location: PathBuf, read: Read },
    /// Files hashed by content.
    Hashed(HashMap<u128, Read>),
}

impl FactsCache {
    /// The facts of `bytes`; `location` is where they can be read again
    /// (`None` for an archive member, which is hashed at once).
    fn analyse(&self, bytes: &[u8], location: Option<&Path>) -> Read {
        let length = bytes.len();
        let earlier = {
            let Ok(mut map) = self.0.lock() else {
                return analyse_bytes(bytes);
            };
            match (map.get(&length), location) {
                (None, Some(location)) => {
                    drop(map);
                    let read = analyse_bytes(bytes);
                    if let Ok(mut map) = self.0.lock() {
                        map.entry(length).or_insert_with(|| SameLength::One {
                            location: location.to_path_buf(),
                            read: read.clone(),
                        });
                    }
                    return read;
                }
                (Some(SameLength::One { .. }), _) => map.remove(&length),
                _ => None,
            }
        };
        let mut hashed = HashMap::new();
        if let Some(SameLength::One { location, read }) = earlier {
            if let Some(key) = hash_file(&location, length) {
                hashed.insert(key, read);
            }
        }
        // A file on disk is hashed through a small buffer, not through its
        // mapping, so that hashing does not make the whole file resident.
        let key = location
            .and_then(|location| hash_file(location, length))
            .unwrap_or_else(|| xxhash_rust::xxh3::xxh3_128(bytes));
        let known = hashed.get(&key).cloned().or_else(|| {
            let map = self.0.lock().ok()?;
            match map.get(&length)? {
                SameLength::Hashed(by_hash) => by_hash.get(&key).cloned(),
                SameLength::One { .. } => None,
            }
        });
        let read = known.unwrap_or_else(|| analyse_bytes(bytes));
        hashed.insert(key, read.clone());
        if let Ok(mut map) = self.0.lock() {
            match map.get_mut(&length) {
                Some(SameLength::Hashed(by_hash)) => by_hash.extend(hashed),
                // A racing first file is forgotten: a missed copy, never a wrong one.
                _ => {
                    map.insert(length, SameLength::Hashed(hashed));
                }
            }
        }
        read
    }
}

/// The xxh3-128 of a file's content, if it still has `length` bytes.
fn hash_file(location: &Path, length: usize) -> Option<u128> {
    use std::io::Read as _;
    let mut file = std::fs::File::open(location).ok()?;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut buffer = vec![0u8; 256 * 1024];
    let mut total = 0;
    loop {
        let n = file.read(&mut buffer).ok()?;
        if n == 0 {
            break;
        }
        hasher.update(buffer.get(..n)?);
        total += n;
    }
    (total == length).then(|| hasher.digest128())
}

fn read_file(location: &Path, cache: &FactsCache) -> Read {
    match discover::read_if_elf(location) {
        Ok(Some(contents)) => cache.analyse(&contents, Some(location)),
        Ok(None) => Read::NotElf,
        Err(err) => Read::Failed(Code::Unreadable, err.to_string()),
    }
}

fn analyse_bytes(bytes: &[u8]) -> Read {
    match elf::analyse(bytes) {
        Ok(facts) => Read::Elf(Arc::new(facts)),
        Err(ElfError::NotElf) => Read::NotElf,
        Err(ElfError::Malformed(reason)) => Read::Failed(Code::MalformedElf, reason),
    }
}

/// Items for the ELF members of an archive (and for members that could not be read).
fn archive_items(
    candidate: &Candidate,
    shown: &str,
    contents: discover::archive::ArchiveContents<Read>,
    package: Option<Package>,
) -> Vec<Item> {
    let item = |member: &str, size: u64, read: Read| Item {
        shown: format!("{shown}!/{member}"),
        also_at: Vec::new(),
        location: PathBuf::from(format!("{}!/{member}", candidate.location.display())),
        size,
        read,
        package: package.clone(),
    };
    let members = contents
        .members
        .into_iter()
        .map(|m| item(&m.name, m.size, m.analysed));
    let problems = contents
        .problems
        .iter()
        .map(|p| item(&p.name, 0, Read::Failed(Code::Unreadable, p.reason.clone())));
    members.chain(problems).collect()
}

fn read_wheel(candidate: &Candidate, shown: String, cache: &FactsCache) -> CandidateRead {
    let file_name = candidate
        .location
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = WheelName::parse(&file_name);
    let package = name.as_ref().map(wheel_package);
    let read = std::fs::File::open(&candidate.location)
        .map_err(|e| e.to_string())
        .and_then(|file| discover::archive::read_zip(file, |bytes| cache.analyse(bytes, None)));
    let (items, member_names) = match read {
        Ok(mut contents) => {
            let names = std::mem::take(&mut contents.names);
            (archive_items(candidate, &shown, contents, package), names)
        }
        Err(reason) => (
            vec![Item {
                shown: shown.clone(),
                also_at: Vec::new(),
                location: candidate.location.clone(),
                size: candidate.size,
                read: Read::Failed(Code::Unreadable, reason),
                package,
            }],
            Vec::new(),
        ),
    };
    CandidateRead {
        items,
        wheel: Some(WheelRead {
            shown,
            size: candidate.size,
            name,
            member_names,
            first_item: 0,
            item_count: 0,
        }),
    }
}

/// An npm tarball (`npm pack`): members analysed like an installed package.
fn read_tarball(candidate: &Candidate, shown: String, cache: &FactsCache) -> CandidateRead {
    // Not every .tgz is an npm package; one that is not a tarball is not ELF either.
    let read = std::fs::File::open(&candidate.location)
        .map_err(|e| e.to_string())
        .and_then(|file| discover::archive::read_tar_gz(file, |bytes| cache.analyse(bytes, None)));
    let Ok(contents) = read else {
        return CandidateRead {
            items: Vec::new(),
            wheel: None,
        };
    };
    let package = contents
        .package_json
        .as_deref()
        .and_then(crate::ecosystem::npm::PackageJson::parse)
        .map(|manifest| manifest.package());
    CandidateRead {
        items: archive_items(candidate, &shown, contents, package),
        wheel: None,
    }
}

fn wheel_package(name: &WheelName) -> Package {
    Package {
        ecosystem: Ecosystem::Pypi,
        name: name.distribution.clone(),
        version: name.version.clone(),
    }
}

fn wheel_artifact(
    wheel: &WheelRead,
    items: &[Item],
    assessments: &[Option<Assessment>],
) -> Artifact {
    let range = wheel.first_item..wheel.first_item + wheel.item_count;
    let members: Vec<WheelMember> = items
        .get(range.clone())
        .unwrap_or_default()
        .iter()
        .filter_map(|item| match &item.read {
            Read::Elf(facts) => Some(WheelMember {
                name: item.shown.rsplit("!/").next().unwrap_or(&item.shown),
                facts,
            }),
            _ => None,
        })
        .collect();
    let worst_member = assessments
        .get(range)
        .unwrap_or_default()
        .iter()
        .flatten()
        .map(|a| a.verdict)
        .max()
        .unwrap_or(Verdict::NotApplicable);
    let (audit, findings) = match &wheel.name {
        Some(name) => {
            let (audit, findings) = wheel::audit(name, &members, &wheel.member_names);
            (Some(audit), findings)
        }
        None => (None, Vec::new()),
    };
    Artifact {
        path: wheel.shown.clone(),
        also_at: Vec::new(),
        size: wheel.size,
        package: wheel.name.as_ref().map(wheel_package),
        facts: None,
        wheel: audit,
        reinstall: None,
        assessment: Assessment::of(worst_member, findings),
    }
}

/// Owner of every file listed in a `*.dist-info/RECORD`, by location.
fn python_packages(dist_infos: &[PathBuf]) -> HashMap<PathBuf, Package> {
    let mut owners = HashMap::new();
    for dist_info in dist_infos {
        let Some((name, version)) = dist_info
            .file_name()
            .and_then(|n| dist_info_name(&n.to_string_lossy()))
        else {
            continue;
        };
        let Some(site_packages) = dist_info.parent() else {
            continue;
        };
        // RECORD is small text written by the installer; unreadable means unattributed.
        let Ok(record) = std::fs::read_to_string(dist_info.join("RECORD")) else {
            continue;
        };
        let package = Package {
            ecosystem: Ecosystem::Pypi,
            name,
            version,
        };
        for line in record.lines() {
            let path = line.split(',').next().unwrap_or("").trim_matches('"');
            if !path.is_empty() {
                owners.insert(site_packages.join(path), package.clone());
            }
        }
    }
    owners
}

/// One artifact per pinned package with native code whose reinstall is answered.
fn manifest_artifacts(manifests: &[(String, PathBuf)], arch: Arch) -> Vec<Artifact> {
    let mut artifacts = Vec::new();
    for (shown, location) in manifests {
        let file_name = location
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if file_name == "package.json" {
            artifacts.extend(npm_install_artifact(shown, location, arch));
            continue;
        }
        if matches!(
            file_name.as_str(),
            "package-lock.json" | "npm-shrinkwrap.json" | "yarn.lock" | "pnpm-lock.yaml"
        ) {
            artifacts.extend(npm_lock_artifacts(shown, location, &file_name, arch));
            continue;
        }
        let parsed = std::fs::read_to_string(location)
            .map_err(|e| e.to_string())
            .and_then(|text| parse_manifest(&file_name, &text));
        let packages = match parsed {
            Ok(packages) => packages,
            Err(reason) => {
                artifacts.push(Artifact::entry(
                    shown,
                    None,
                    None,
                    failure(
                        Code::Unreadable,
                        format!("{file_name} could not be parsed: {reason}"),
                    ),
                ));
                continue;
            }
        };
        for package in packages {
            let (reinstall, findings) = assess_locked(&package, arch, &file_name);
            if matches!(reinstall, Reinstall::Unknown | Reinstall::NotNative) {
                continue;
            }
            artifacts.push(Artifact::reinstall_entry(
                shown,
                Package {
                    ecosystem: Ecosystem::Pypi,
                    name: package.name,
                    version: package.version,
                },
                reinstall,
                findings,
            ));
        }
    }
    artifacts
}

fn npm_lock_artifacts(shown: &str, location: &Path, file_name: &str, arch: Arch) -> Vec<Artifact> {
    let cpu = crate::ecosystem::npm::npm_cpu(arch);
    let variants = std::fs::read_to_string(location)
        .map_err(|e| e.to_string())
        .and_then(|text| match file_name {
            "yarn.lock" | "pnpm-lock.yaml" => {
                Ok(crate::ecosystem::npm::indented_lock_entries(&text))
            }
            _ => crate::ecosystem::npm::package_lock_entries(&text),
        })
        .map(|entries| crate::ecosystem::npm::lock_variants_of(&entries, cpu));
    match variants {
        Err(reason) => vec![Artifact::entry(
            shown,
            None,
            None,
            failure(
                Code::Unreadable,
                format!("{file_name} could not be read: {reason}"),
            ),
        )],
        Ok(variants) => variants
            .iter()
            .filter_map(|variant| {
                let (reinstall, findings) =
                    crate::check::reinstall::assess_npm_variants(variant, file_name);
                let package = Package {
                    ecosystem: Ecosystem::Npm,
                    name: variant.parent.clone(),
                    version: variant.version.clone(),
                };
                (reinstall != Reinstall::Unknown)
                    .then(|| Artifact::reinstall_entry(shown, package, reinstall, findings))
            })
            .collect(),
    }
}

/// Owner of every scanned file under `node_modules`, by location, from the
/// nearest package's `package.json` (read once per package).
fn npm_packages<'a>(locations: impl Iterator<Item = &'a Path>) -> HashMap<PathBuf, Package> {
    let mut manifests: HashMap<PathBuf, Option<Package>> = HashMap::new();
    let mut owners = HashMap::new();
    for location in locations {
        let Some(dir) = crate::ecosystem::npm::package_dir(location) else {
            continue;
        };
        let package = manifests.entry(dir).or_insert_with_key(|dir| {
            std::fs::read_to_string(dir.join("package.json"))
                .ok()
                .as_deref()
                .and_then(crate::ecosystem::npm::PackageJson::parse)
                .map(|manifest| manifest.package())
        });
        if let Some(package) = package {
            owners.insert(location.to_path_buf(), package.clone());
        }
    }
    owners
}

/// How an installed npm package would get its native code on the target.
fn npm_install_artifact(shown: &str, location: &Path, arch: Arch) -> Option<Artifact> {
    use crate::ecosystem::npm::{NativeSource, PackageJson, native_source, npm_cpu};
    let manifest = PackageJson::parse(&std::fs::read_to_string(location).ok()?)?;
    let dir = location.parent()?;
    let known = crate::check::reinstall::npm_known_problem(&manifest);
    let (reinstall, mut findings) = match native_source(dir, &manifest, npm_cpu(arch)) {
        Some(source @ (NativeSource::Downloaded { .. } | NativeSource::Compiled)) => {
            crate::check::reinstall::assess_npm_install(&manifest, &source)
        }
        _ if known.is_some() => (Reinstall::NoMuslBuild, Vec::new()),
        _ => return None,
    };
    findings.extend(known);
    // Install-time findings are warnings about the reinstall, never `ok`.
    Some(Artifact::entry(
        shown,
        Some(manifest.package()),
        Some(reinstall),
        Assessment::of(Verdict::Unknown, findings),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("corpus")
                .join(name),
        )
        .unwrap()
    }

    #[test]
    fn identical_content_is_parsed_once() {
        let dir = tempfile::tempdir().unwrap();
        let plain = fixture("lib/libplain.so");
        let (first_path, copy_path) = (dir.path().join("a.so"), dir.path().join("b.so"));
        std::fs::write(&first_path, &plain).unwrap();
        std::fs::write(&copy_path, &plain).unwrap();
        let mut changed = plain.clone();
        if let Some(last) = changed.last_mut() {
            *last ^= 1;
        }
        let cache = FactsCache::default();
        let facts = |read: Read| match read {
            Read::Elf(facts) => facts,
            _ => panic!("libplain.so is ELF"),
        };
        let first = facts(cache.analyse(&plain, Some(&first_path)));
        let copy = facts(cache.analyse(&plain, Some(&copy_path)));
        assert!(Arc::ptr_eq(&first, &copy), "the copy came from the cache");
        let member = facts(cache.analyse(&plain, None));
        assert!(Arc::ptr_eq(&first, &member), "so did an archive member");
        let other = facts(cache.analyse(&changed, None));
        assert!(
            !Arc::ptr_eq(&first, &other),
            "one byte differs: parsed again"
        );
        let unique = facts(cache.analyse(&fixture("lib/libplain-musl.so"), Some(&copy_path)));
        assert!(!Arc::ptr_eq(&first, &unique));
    }
}
