//! The per-package answer a migrating team needs: how a package's files fare
//! on the target as they are, what reinstalling it on the target gives, and
//! what to change — merged into one plan for the Dockerfile.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Package, Reinstall, Verdict};

/// Where a reinstall answer comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "from", rename_all = "kebab-case")]
pub enum AnswerSource {
    /// The package index (PyPI's simple API, the npm registry), asked about
    /// this version.
    Index { url: String },
    /// The lockfile's own records (its wheel list, its platform packages).
    Lockfile { path: String },
    /// The installed package's files (bundled prebuilds, install scripts,
    /// platform packages beside it).
    PackageFiles { path: String },
    /// muslcheck's table of known packages.
    KnownTable { sources: String },
    /// Nothing answered (offline, not in any table).
    Nothing,
}

impl AnswerSource {
    /// How far the answer is trusted when several sources answer: the index
    /// asked about this very version first, muslcheck's own table last.
    pub fn rank(&self) -> u8 {
        match self {
            AnswerSource::Index { .. } => 4,
            AnswerSource::Lockfile { .. } => 3,
            AnswerSource::PackageFiles { .. } => 2,
            AnswerSource::KnownTable { .. } => 1,
            AnswerSource::Nothing => 0,
        }
    }
}

/// What installing a package's pinned version on the target gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReinstallAnswer {
    pub reinstall: Reinstall,
    /// What was found or missed, in a sentence.
    pub detail: String,
    pub source: AnswerSource,
    /// The musl build: a wheel's file name, a platform package
    /// (`@swc/core-linux-x64-musl@1.7.0`) or a prebuild's path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
    /// The first version with a musl build, when this one has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_musl_version: Option<String>,
    /// Alpine packages a build from source needs (`build-base`, `python3-dev`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub build_packages: Vec<String>,
    /// What muslcheck's known-problem table advises for a version without a
    /// musl build (`apk add py3-opencv …; or a glibc image`), whichever
    /// source answered: a compile from source may need more than the
    /// build packages, or be the wrong route.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice: Option<String>,
    /// The build from source happens only when asked for: node-gyp-build's
    /// install keeps an untagged prebuild that loads (under Node's lazy
    /// binding) though it fails at its first call, unless told to build.
    #[serde(skip)]
    pub build_from_source_forced: bool,
    /// `build` is the very build installed here (the installed wheel's
    /// tags name it): a reinstall gets the same files.
    #[serde(skip)]
    pub same_build_as_installed: bool,
    /// The release is one sdist and no wheel: whether it builds native code
    /// at all only installed files tell (a pin alone says nothing).
    #[serde(skip)]
    pub only_an_sdist: bool,
    /// An installed package that makes its native code at install, none of
    /// which was made here (its install script did not run: `npm ci
    /// --ignore-scripts`): every libc's reinstall makes it, not only musl's.
    #[serde(skip)]
    pub made_at_install: Option<MadeAtInstall>,
}

/// How an installed package makes its native code at install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MadeAtInstall {
    /// node-gyp compiles its binding.gyp.
    Compiled,
    /// A tool downloads it (`how`: node-pre-gyp, prebuild-install …), and
    /// compiles it where there is none to download when `compiles`.
    Downloaded { how: String, compiles: bool },
}

impl ReinstallAnswer {
    /// `reinstall`, said by `source`, with nothing more to name.
    pub fn new(reinstall: Reinstall, detail: String, source: AnswerSource) -> ReinstallAnswer {
        ReinstallAnswer {
            reinstall,
            detail,
            source,
            build: None,
            first_musl_version: None,
            build_packages: Vec::new(),
            advice: None,
            build_from_source_forced: false,
            same_build_as_installed: false,
            only_an_sdist: false,
            made_at_install: None,
        }
    }

    /// No source had anything to say.
    pub fn unknown(detail: impl Into<String>) -> ReinstallAnswer {
        ReinstallAnswer::new(Reinstall::Unknown, detail.into(), AnswerSource::Nothing)
    }
}

/// How a package's files load on the target as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AsIs {
    /// The worst verdict of its files (`ok` when it has no ELF file).
    pub verdict: Option<Verdict>,
    /// ELF files (and unreadable ones) the package owns.
    pub files: usize,
    pub verdicts: BTreeMap<Verdict, usize>,
    /// Why the package fails as installed beyond its files' verdicts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One thing to change for one package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Action {
    /// Install it on the target (`npm ci`, `pip install` in the Alpine
    /// stage) instead of copying files built for glibc.
    ReinstallOnTarget { command: String },
    /// Upgrade to the first version with a musl build.
    Upgrade { to: String },
    /// Alpine packages the files need at run time.
    ApkAdd { packages: Vec<String> },
    /// Packages to compile it from source on the target, at build time.
    BuildDependencies { packages: Vec<String> },
    /// A newer Alpine release has what the files need.
    NewerAlpine { release: String, why: String },
    /// gcompat makes the files load as they are: all of them, or only
    /// `files` (of the files no package owns, separate programs).
    Gcompat {
        #[serde(skip_serializing_if = "Vec::is_empty")]
        files: Vec<String>,
    },
    /// Record the musl variant in the lockfile (`npm install` on the target).
    RelockForMusl { packages: Vec<String> },
    /// Files a static program opens at run time that the image lacks and
    /// has no package manager to install (`COPY --from=build` lines).
    CopyFromBuild { lines: Vec<String> },
    /// Nothing on this target fixes it.
    NoFix { why: String },
    /// The files break as they are and no source said whether installing
    /// it on the target gets a build for it: `check` is a command that asks
    /// the user's own index (it honours their pip configuration).
    Unanswered {
        why: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        check: Option<String>,
    },
}

/// One package's line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct PackageDecision {
    /// `None` for files no package owns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<Package>,
    /// The archive (wheel, tarball) its files came from, when they came from
    /// one: two wheels of one version are two decisions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    pub as_is: AsIs,
    pub reinstalled: ReinstallAnswer,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Action>,
}

/// One install command of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reinstallation {
    /// `npm ci`, `pip install`.
    pub command: String,
    /// `name version` of the packages it is for.
    pub packages: Vec<String>,
    /// For a pnpm install: the names of the packages whose install script
    /// must run (a compile with node-gyp, a download of the build); pnpm 10
    /// runs a dependency's scripts only where `pnpm.onlyBuiltDependencies`
    /// lists it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub only_built_dependencies: Vec<String>,
}

/// The actions of all packages, merged into what goes into the Dockerfile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ActionPlan {
    /// How the target installs packages (`apk add --no-cache`); `None` when
    /// it has no package manager.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub install_command: Option<String>,
    /// `alpine:3.20`, when a newer release is a fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The target image, when it has no shell (distroless): a `RUN` line
    /// cannot run there, so installs are made in a build stage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_shell: Option<String>,
    /// Run-time Alpine packages, merged and sorted.
    pub apk_add: Vec<String>,
    /// Build-time Alpine packages, merged and sorted.
    pub build_dependencies: Vec<String>,
    /// Install commands to run on the target, with the packages each brings
    /// a musl build (or a source build) of.
    pub reinstall: Vec<Reinstallation>,
    /// `name → version` upgrades.
    pub upgrades: Vec<(String, String)>,
    /// Lockfile changes.
    pub relock: Vec<String>,
    /// `COPY --from=build` lines of run-time files the image lacks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub copy_from_build: Vec<String>,
    /// Packages nothing fixes, and why.
    pub no_fix: Vec<(String, String)>,
    /// Packages that break as they are and that no source answered for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unanswered: Vec<Unanswered>,
    /// Whether the plan relies on gcompat.
    pub gcompat: bool,
    /// The packages whose glibc files the plan runs with gcompat.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gcompat_for: Vec<String>,
    /// After source builds against `-dev` packages installed as `apk`'s
    /// `.build-deps`: the command that keeps the libraries the built files
    /// load, which `apk del .build-deps` would take away with them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_built_libraries: Option<KeepBuiltLibraries>,
}

/// Keeping the libraries that files built from source load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeepBuiltLibraries {
    /// Where the built packages are installed, as shell words
    /// (`node_modules`, `"$(gem env gemdir)"`).
    pub dirs: Vec<String>,
    /// The command: [`keep_built_libraries_command`] on one line.
    pub command: String,
}

/// Whether a build package brings a library the files built against it
/// load (`librdkafka-dev` brings `librdkafka`); Python's headers bring none.
pub fn brings_a_library(build_package: &str) -> bool {
    build_package.ends_with("-dev") && build_package != "python3-dev"
}

/// The shell command, in parts to be joined by spaces (or line
/// continuations), that adds every library the musl-linked ELF files under
/// `dirs` load, by soname (`so:libpq.so.5`, which apk resolves to its
/// package), to the virtual package `.run-deps` with `install` (`apk add
/// --no-cache`): what Alpine's own images run before `apk del .build-deps`.
/// Left out: files not linked against musl (glibc prebuilds beside the musl
/// ones: apk has no `so:libc.so.6`), and names a file under `dirs` has
/// (libraries bundled in wheels, which no package provides).
pub fn keep_built_libraries_command(install: &str, dirs: &[String]) -> Vec<String> {
    vec![
        format!("set -- {};", dirs.join(" ")),
        "scanelf --needed --nobanner --format '%n#p' --recursive \"$@\" | grep 'libc\\.musl-' | tr ',' '\\n' | sort -u"
            .to_string(),
        "| while read -r so; do [ -z \"$so\" ] || [ -n \"$(find \"$@\" -name \"$so\" -print -quit)\" ] || echo \"so:$so\"; done"
            .to_string(),
        format!("| xargs -rt {install} --virtual .run-deps"),
    ]
}

/// A package that breaks as it is, with no answer on a reinstall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unanswered {
    /// `faiss_cpu 1.15.1`: the name and version as installed.
    pub package: String,
    pub why: String,
    /// A command that answers it (`pip download … --platform musllinux_1_2_x86_64`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
}

/// The shell command of a Dockerfile `RUN` line that installs `packages`
/// with `install` (`apk add --no-cache`, `apt-get install -y`). Debian and
/// Ubuntu images ship without package lists: apt needs `apt-get update`
/// first ("Unable to locate package" otherwise), and the lists are removed
/// after, as the images themselves do.
pub fn install_shell_command(install: &str, packages: &str) -> String {
    if install.starts_with("apt-get ") {
        format!("apt-get update && {install} {packages} && rm -rf /var/lib/apt/lists/*")
    } else {
        format!("{install} {packages}")
    }
}

/// What the package index lookups of one scan did: the one line the command
/// line prints on stderr, and the report's `index` object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IndexSummary {
    /// `online`, `offline` (no network asked for: cached answers only),
    /// `degraded` (the network to an index host failed during the scan:
    /// that host's cached answers only from then on), or `off` (lookups not
    /// asked for; not serialised).
    pub mode: IndexMode,
    /// Packages asked about (those with native files or lockfile entries).
    pub asked: usize,
    /// Of those, how many the index answered.
    pub answered: usize,
    /// Index documents fetched over the network.
    pub fetched: usize,
    /// Index documents read from the cache.
    pub from_cache: usize,
    /// Index documents that could be had neither way.
    pub failed: usize,
    /// Why lookups failed or were not made, in one line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IndexMode {
    /// Lookups were not asked for (the library's default).
    #[default]
    Off,
    Online,
    Offline,
    Degraded,
}

impl IndexSummary {
    /// Whether lookups were not asked for: the report leaves the summary out.
    pub fn is_off(&self) -> bool {
        self.mode == IndexMode::Off
    }
}
