//! The pipeline: discover → elf → check → [`Report`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::check::{
    self, Assessment, CheckOptions, Code, Evidence, Finding, Severity, TreeFile, TreeIndex, Verdict,
};
use crate::discover::{self, Candidate, DiscoverError, ProblemKind, WalkOptions};
use crate::elf::{self, Arch, ELF_MAGIC, ElfError, ElfFacts};
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
}

impl Default for Options {
    fn default() -> Self {
        Options {
            target: Target::newest_alpine(),
            arch: Arch::host(),
            gcompat: false,
            walk: WalkOptions::default(),
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
    pub facts: Option<ElfFacts>,
    #[serde(flatten)]
    pub assessment: Assessment,
}

impl Artifact {
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
    pub duration_ms: u128,
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
    /// The most severe finding of the whole scan.
    pub fn worst_severity(&self) -> Option<Severity> {
        self.artifacts
            .iter()
            .filter_map(Artifact::worst_severity)
            .max()
    }
}

/// The result of reading one candidate file.
enum Read {
    NotElf,
    Elf(Box<ElfFacts>),
    Failed(Code, String),
}

/// Scans `paths` and judges every ELF file in them against the target.
pub fn scan(paths: &[PathBuf], options: &Options) -> Result<Report, ScanError> {
    let started = Instant::now();
    if let Some(missing) = paths.iter().find(|p| std::fs::symlink_metadata(p).is_err()) {
        return Err(ScanError::PathNotFound {
            path: missing.display().to_string(),
        });
    }
    let inventory = discover::walk(paths, &options.walk)?;
    let reads: Vec<Read> = inventory
        .candidates
        .par_iter()
        .map(read_candidate)
        .collect();

    let candidates: Vec<(&Candidate, &Read)> = inventory
        .candidates
        .iter()
        .zip(&reads)
        .filter(|(_, read)| !matches!(read, Read::NotElf))
        .collect();
    let tree_files: Vec<Option<TreeFile>> = candidates
        .iter()
        .map(|(candidate, read)| match read {
            Read::Elf(facts) => Some(TreeFile {
                location: &candidate.location,
                shown: candidate.paths.first().map(String::as_str).unwrap_or(""),
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
    for ((candidate, read), assessment) in candidates.iter().zip(assessments) {
        let mut paths = candidate.paths.clone();
        paths.sort();
        let path = paths.first().cloned().unwrap_or_default();
        let also_at = paths.into_iter().skip(1).collect();
        let (facts, assessment) = match (read, assessment) {
            (Read::Elf(facts), Some(assessment)) => (Some(facts.as_ref().clone()), assessment),
            (Read::Failed(code, reason), _) => (None, failure(*code, reason.clone())),
            _ => continue,
        };
        artifacts.push(Artifact {
            path,
            also_at,
            size: candidate.size,
            facts,
            assessment,
        });
    }
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
        artifacts.push(Artifact {
            path: problem.path.clone(),
            also_at: Vec::new(),
            size: 0,
            facts: None,
            assessment: Assessment::of(verdict, vec![finding]),
        });
    }
    artifacts.sort_by(|a, b| a.path.cmp(&b.path));

    let mut summary = Summary {
        files_walked: inventory.files_walked,
        skipped_by_name: inventory.skipped_by_name,
        elf_files: artifacts.iter().filter(|a| a.facts.is_some()).count(),
        ..Summary::default()
    };
    for artifact in &artifacts {
        *summary.verdicts.entry(artifact.verdict()).or_default() += 1;
        for finding in artifact.findings() {
            *summary.findings.entry(finding.severity).or_default() += 1;
        }
    }
    summary.duration_ms = started.elapsed().as_millis();

    Ok(Report {
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
    })
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

fn read_candidate(candidate: &Candidate) -> Read {
    match discover::sniff(&candidate.location) {
        Ok(magic) if magic == ELF_MAGIC => {}
        Ok(_) => return Read::NotElf,
        Err(err) => return Read::Failed(Code::Unreadable, err.to_string()),
    }
    let contents = match discover::read_contents(&candidate.location) {
        Ok(contents) => contents,
        Err(err) => return Read::Failed(Code::Unreadable, err.to_string()),
    };
    match elf::analyse(&contents) {
        Ok(facts) => Read::Elf(Box::new(facts)),
        Err(ElfError::NotElf) => Read::NotElf,
        Err(ElfError::Malformed(reason)) => Read::Failed(Code::MalformedElf, reason),
    }
}
