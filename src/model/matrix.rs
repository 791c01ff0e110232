//! One project judged against several targets: per package (or file, for a
//! tree of binaries) and target, how it fares and what it needs.

use serde::Serialize;

use super::{Action, Arch, Package, Reinstall, Report, TargetInfo, ToolInfo, Verdict};

/// The JSON schema version of [`Matrix`].
pub const MATRIX_SCHEMA_VERSION: u32 = 1;

/// A column of the matrix.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixTarget {
    pub target: TargetInfo,
    pub arch: Arch,
    pub gcompat: bool,
    /// Every package's files load as they are.
    pub runs_as_is: bool,
    /// Nothing is left without a fix once the plan is applied, and nothing
    /// left undecided.
    pub runs_after_plan: bool,
    /// Some package's files cannot be judged here (the image's library
    /// list is not known), or break with no answer on whether a reinstall
    /// gets a build; and nothing else is without a fix.
    pub undecided: bool,
    /// The one reason that matters most when it does not run as it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub main_reason: Option<String>,
    /// The merged `apk add` (run time) of the plan for this target.
    pub apk_add: Vec<String>,
    /// The image's command that installs them (`apt-get install -y`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub install_command: Option<String>,
    /// How many shared libraries the image holds, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub libraries: Option<usize>,
}

/// The leanest target that runs everything.
#[derive(Debug, Clone, Serialize)]
pub struct Leanest {
    /// Its index in `targets`.
    pub column: usize,
    pub target: String,
    /// The command to run first (`apt-get install -y libssl3`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// How one package fares on one target.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixCell {
    /// `None` when the package has no file here (a lockfile entry).
    pub verdict: Option<Verdict>,
    pub reinstall: Reinstall,
    pub actions: Vec<Action>,
}

/// A package (or the files no package owns) across the targets.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixRow {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<Package>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// One cell per target, in the order of `targets`.
    pub cells: Vec<Option<MatrixCell>>,
}

/// The whole matrix, and each target's own report.
#[derive(Debug, Clone, Serialize)]
pub struct Matrix {
    pub schema_version: u32,
    pub tool: ToolInfo,
    pub roots: Vec<String>,
    /// The container images scanned, as the first target's report says
    /// (absent when none was).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<super::ContainerImage>,
    pub targets: Vec<MatrixTarget>,
    /// Of the targets that run everything (as they are, else after their
    /// plan), the one with the fewest libraries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leanest: Option<Leanest>,
    pub rows: Vec<MatrixRow>,
    /// Each target's full report, in the order of `targets` (JSON leaves
    /// them out: `--target X` gives one).
    #[serde(skip)]
    pub reports: Vec<Report>,
}
