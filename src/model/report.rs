//! The report: every artifact with its verdict and findings, and a summary.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{
    ActionPlan, Arch, Assessment, ElfFacts, Finding, IndexSummary, Package, PackageDecision,
    Reinstall, ReinstallAnswer, ReportPath, Severity, Verdict, WheelAudit,
};

/// The JSON schema version of [`Report`]; bumped on any incompatible change.
/// 2: artifacts carry a `kind`; lockfile and npm evidence have kinds of their own.
pub const SCHEMA_VERSION: u32 = 2;

/// What an artifact is. Serialised as its `kind` with the kind's own fields.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ArtifactKind {
    /// An ELF file, on disk or inside an archive.
    Elf { facts: std::sync::Arc<ElfFacts> },
    /// A wheel judged as a whole (its members are artifacts of their own);
    /// no audit when its file name is not a wheel name.
    Wheel {
        #[serde(skip_serializing_if = "Option::is_none")]
        wheel: Option<WheelAudit>,
    },
    /// A package pinned in a lockfile, installed with a manifest or known
    /// to muslcheck's table, judged for a reinstall on the target; its
    /// findings are the evidence of this one entry.
    Package {
        #[serde(flatten)]
        answer: ReinstallAnswer,
    },
    /// A file, member or lockfile that could not be read.
    Unreadable,
}

/// One entry of the report.
#[derive(Debug, Clone, Serialize)]
pub struct Artifact {
    /// Path relative to the scanned root (or as given, for several roots).
    pub path: ReportPath,
    /// Other paths of the same file (hard links).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_at: Vec<ReportPath>,
    pub size: u64,
    /// The npm or PyPI package that owns the file, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<Package>,
    #[serde(flatten)]
    pub kind: ArtifactKind,
    #[serde(flatten)]
    pub assessment: Assessment,
}

impl Artifact {
    /// An entry that is not a file of its own: a lockfile package or an
    /// unreadable path.
    pub fn entry(
        path: ReportPath,
        package: Option<Package>,
        kind: ArtifactKind,
        assessment: Assessment,
    ) -> Artifact {
        Artifact {
            path,
            also_at: Vec::new(),
            size: 0,
            package,
            kind,
            assessment,
        }
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

    pub fn facts(&self) -> Option<&ElfFacts> {
        match &self.kind {
            ArtifactKind::Elf { facts } => Some(facts),
            _ => None,
        }
    }

    pub fn wheel(&self) -> Option<&WheelAudit> {
        match &self.kind {
            ArtifactKind::Wheel { wheel } => wheel.as_ref(),
            _ => None,
        }
    }

    pub fn reinstall(&self) -> Option<Reinstall> {
        self.reinstall_answer().map(|answer| answer.reinstall)
    }

    /// What reinstalling this entry's package on the target gives, and
    /// where the answer comes from.
    pub fn reinstall_answer(&self) -> Option<&ReinstallAnswer> {
        match &self.kind {
            ArtifactKind::Package { answer } => Some(answer),
            _ => None,
        }
    }

    /// Whether this is a file that a loader would meet (not a wheel as a
    /// whole, not a lockfile entry).
    pub fn is_file(&self) -> bool {
        matches!(
            self.kind,
            ArtifactKind::Elf { .. } | ArtifactKind::Unreadable
        )
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub files_walked: u64,
    /// Files not opened because their name proves they are not ELF (text
    /// and data formats, and a wheel's `*.dist-info` metadata).
    pub skipped_by_name: u64,
    /// Tarballs and wheels inside installed packages (`node_modules`,
    /// `site-packages`): data, not opened.
    pub archives_in_packages: u64,
    /// Paths that could not be read, or only in part (an MC001 finding),
    /// counted before `[[ignore]]` rules and baselines.
    pub unreadable: usize,
    pub elf_files: usize,
    pub verdicts: BTreeMap<Verdict, usize>,
    pub findings: BTreeMap<Severity, usize>,
    /// Findings left out because an `[[ignore]]` rule accepts them.
    pub ignored: usize,
    /// Of those, how many each rule took (the first rule that matched), in
    /// the order of `Options::ignore`.
    #[serde(skip)]
    pub ignored_by_rule: Vec<usize>,
    pub duration_ms: u128,
}

impl Summary {
    /// Recounts verdicts and findings from the artifacts.
    pub fn count(&mut self, artifacts: &[Artifact]) {
        self.elf_files = artifacts.iter().filter(|a| a.facts().is_some()).count();
        self.verdicts.clear();
        self.findings.clear();
        for artifact in artifacts {
            // A wheel's verdict repeats its members', and a lock entry is not a file.
            if artifact.is_file() {
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

/// The target as the report names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetInfo {
    /// `alpine:3.20 (musl 1.2.5)`.
    pub name: String,
    /// `alpine`, `musl`, `debian-musl`.
    pub distribution: String,
    pub release: Option<String>,
    /// The musl release of a musl target; `None` for a glibc or no-libc image.
    pub musl: Option<String>,
    /// `musl`, `glibc` or `none`.
    pub libc: String,
    pub libc_version: Option<String>,
}

/// Everything a scan found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: ToolInfo,
    pub target: TargetInfo,
    pub arch: Arch,
    pub gcompat: bool,
    pub roots: Vec<String>,
    pub artifacts: Vec<Artifact>,
    /// One decision per package (and one for files no package owns).
    pub packages: Vec<PackageDecision>,
    /// What to change in the Dockerfile, all packages merged.
    pub plan: ActionPlan,
    /// What the package index lookups did (absent when none were asked for).
    #[serde(skip_serializing_if = "IndexSummary::is_off")]
    pub index: IndexSummary,
    /// The container images scanned (absent when none was).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<super::ContainerImage>,
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
