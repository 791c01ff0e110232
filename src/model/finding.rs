//! Findings and verdicts: what the checks conclude about one artifact, with
//! the evidence a person (or a program) can check.

use serde::Serialize;

use super::{Arch, Code, Reference, Severity, Stack};

/// Per-file answer to "will this load on the target as it is?".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Ok,
    NotApplicable,
    NeedsGcompat,
    Unknown,
    Breaks,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::NotApplicable => "not-applicable",
            Verdict::NeedsGcompat => "needs-gcompat",
            Verdict::Unknown => "unknown",
            Verdict::Breaks => "breaks",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A relocation type the target's loader refuses.
#[derive(Debug, Clone, Serialize)]
pub struct RelocationEvidence {
    pub r_type: u32,
    pub name: String,
    pub count: usize,
}

/// A needed library that a package of the target provides.
#[derive(Debug, Clone, Serialize)]
pub struct PackageNeed {
    pub library: String,
    pub package: String,
    /// muslcheck checked the needed names against the package's export table.
    pub checked: bool,
}

/// A needed library nothing provides.
#[derive(Debug, Clone, Serialize)]
pub struct MissingLibrary {
    pub name: String,
    pub needed_by: String,
    pub looked_in: Vec<String>,
    /// gcompat would provide it (`apk add gcompat`).
    pub gcompat_provides: bool,
    /// Why nothing on the target provides it, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// A file of the scanned tree by that name (its report path) that the
    /// loader's search does not reach.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_tree_at: Option<String>,
    /// The needing object's symbols expected from it (its version needs name
    /// the library, or the file off the search path exports them): left out
    /// of MC102, since they fail only because the library does.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub symbols_expected: Vec<String>,
    /// The first file by that name on the search path, where the loader
    /// stopped because it cannot load it (it searches no further).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unloadable_at: Option<UnloadableLibrary>,
}

/// A file the loader opened for a needed library and could not load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnloadableLibrary {
    /// Its report path.
    pub path: String,
    pub reason: Unloadable,
}

/// Why a loader cannot load a file it opened as a library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unloadable {
    /// Shorter than an ELF header (an empty file, a placeholder).
    TooShort,
    /// Not an ELF file (a text file, a linker script).
    NotElf,
    /// An ELF file of a type neither loader maps: an object file (ET_REL)
    /// or a core dump.
    NotLoadableType,
    /// An ELF file for another machine or ELF class, which musl's loader
    /// opens and fails on (glibc's passes over it and searches on).
    OtherMachine,
    /// A directory: both loaders open it and fail to read it (EISDIR).
    Directory,
}

impl Unloadable {
    /// What the file is, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Unloadable::TooShort => "shorter than an ELF header",
            Unloadable::NotElf => "not an ELF file",
            Unloadable::NotLoadableType => "an ELF object file (neither ET_DYN nor ET_EXEC)",
            Unloadable::OtherMachine => "built for another machine or ELF class",
            Unloadable::Directory => "a directory",
        }
    }

    /// The `%m` of musl's `Error loading shared library` line (map_library
    /// reads the header and fails with ENOEXEC). A library of another
    /// machine but the same class is mapped, and fails instead with `Error
    /// relocating …: unsupported relocation type N` lines.
    pub fn musl_error(self) -> &'static str {
        match self {
            // The open succeeds; map_library's read of the header fails.
            Unloadable::Directory => "Is a directory",
            _ => "Exec format error",
        }
    }

    /// The reason glibc's `open_verify` (elf/dl-load.c) gives.
    pub fn glibc_error(self) -> &'static str {
        match self {
            Unloadable::TooShort => "file too short",
            Unloadable::NotElf => "invalid ELF header",
            Unloadable::NotLoadableType => "only ET_DYN and ET_EXEC can be loaded",
            Unloadable::OtherMachine => "wrong ELF class",
            // ld.so's own strerror has words for a few errors only (2.31, 2.36, 2.41 alike).
            Unloadable::Directory => "cannot read file data: Error 21",
        }
    }
}

/// A version node a file needs that the image's library does not define.
#[derive(Debug, Clone, Serialize)]
pub struct MissingNode {
    /// The library by soname (`libc.so.6`).
    pub library: String,
    /// Where the image holds it, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub node: String,
    /// The newest node of the same family the library defines (`GLIBC_2.31`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newest_defined: Option<String>,
    /// The file that needs it (report path).
    pub needed_by: String,
}

/// A needed symbol nothing provides.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct MissingSymbol {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The library the file expects it from (by version need, or glibc's tables).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_library: Option<String>,
    /// The glibc release that introduced it, when it is a glibc symbol.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub glibc_since: Option<String>,
    pub gcompat_provides: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub copy_relocation: bool,
    /// A loaded object (report path) that defines it, but only as an
    /// STT_GNU_IFUNC, which musl's loader never binds to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ifunc_only_in: Option<String>,
    /// When a loader binds it (PLT slot, GOT entry or at load).
    #[serde(skip)]
    pub reference: Reference,
}

impl MissingSymbol {
    /// `name@VERSION`, or the bare name.
    pub fn label(&self) -> String {
        match &self.version {
            Some(version) => format!("{}@{version}", self.name),
            None => self.name.clone(),
        }
    }
}

/// An object's initial-exec TLS: its own block, and the symbols it reaches
/// with the object of the same load that defines each.
#[derive(Debug, Clone, Serialize)]
pub struct TlsUse {
    pub path: String,
    pub own_block: bool,
    /// `(symbol, defining object's report path)`.
    pub symbols: Vec<(String, String)>,
}

/// An object that needs an executable stack, and why glibc reads it so.
#[derive(Debug, Clone, Serialize)]
pub struct StackNeed {
    /// The report path of the object.
    pub path: String,
    /// `executable` (`PF_X` in `PT_GNU_STACK`) or `unmarked` (no
    /// `PT_GNU_STACK`: executable by the architecture's default).
    pub stack: Stack,
}

/// The facts behind a finding. The `kind` tag names what was looked at.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Evidence {
    /// A file or member that could not be read, and why.
    Read {
        reason: String,
    },
    Interpreter {
        interpreter: String,
        expected: Option<String>,
    },
    Architecture {
        file: Arch,
        target: Arch,
    },
    Symbols {
        /// Shared: copies of one file miss the same symbols, and one
        /// file can miss 100,000 (see `check::symbol_lists`).
        symbols: std::sync::Arc<[MissingSymbol]>,
        looked_in: Vec<String>,
    },
    Libraries {
        libraries: Vec<MissingLibrary>,
    },
    /// A library in the scanned tree that this file loads, and how much of it
    /// fails in this file's process. Counts only: the library's own artifact
    /// lists what (`path` names it in the same report).
    Dependency {
        path: String,
        missing_symbols: usize,
        missing_libraries: usize,
        /// Relocations of types the loader refuses (entries, not types).
        unsupported_relocations: usize,
    },
    Relocations {
        relocations: Vec<RelocationEvidence>,
    },
    Packages {
        packages: Vec<PackageNeed>,
        apk_add: String,
    },
    Unchecked {
        symbols: Vec<String>,
        libraries: Vec<String>,
    },
    /// Version nodes (`.gnu.version_r`) the image's library does not define.
    VersionNodes {
        nodes: Vec<MissingNode>,
    },
    /// Run-time files a static program names that the image lacks.
    RuntimeFiles {
        files: Vec<String>,
    },
    /// Objects of the file's load that use initial-exec TLS, which musl
    /// gives only to what the program loads at start.
    InitialExecTls {
        objects: Vec<TlsUse>,
    },
    /// What in the file creates threads with the default stack size, and
    /// the size they get on the target.
    Threads {
        creators: Vec<String>,
        default_stack: u64,
    },
    /// Objects a `dlopen` of the file maps that need an executable stack,
    /// and the image's glibc, which refuses them.
    ExecutableStack {
        objects: Vec<StackNeed>,
        glibc: String,
    },
    Gcompat {
        symbols: Vec<String>,
        libraries: Vec<String>,
        reach: String,
    },
    /// A wheel's platform tag against its content.
    WheelTag {
        tag: String,
        detail: String,
    },
    /// The wheel files a Python lockfile records for a pinned version.
    LockedWheels {
        lockfile: String,
        /// The tag an install on the target looks for (`musllinux_*_x86_64`).
        wanted: String,
        detail: String,
    },
    /// An npm package's Linux platform packages (`optionalDependencies`)
    /// against what the lockfile records.
    PlatformPackages {
        lockfile: String,
        declared: Vec<String>,
        musl_declared: Vec<String>,
        musl_locked: Vec<String>,
    },
    /// The directory of prebuilds an addon loader reads on the target,
    /// which the package lacks.
    AddonSearch {
        loader: String,
        reads: String,
    },
    /// An npm install script that fetches or compiles native code.
    InstallScript {
        script: String,
    },
    /// The tools a source build needs on the target.
    BuildTools {
        builder: String,
        detail: String,
    },
    /// A row of muslcheck's known-problem table.
    KnownProblem {
        first_musl: Option<String>,
        sources: String,
    },
}

/// The loader's lines a finding keeps. A file missing 100,000 symbols makes
/// musl print 100,000 lines alike; kept whole, a wheel of 16 such files held
/// 500 MB of them. The evidence still names every symbol.
pub const LOADER_MESSAGES_KEPT: usize = 1_000;

/// One thing wrong (or worth knowing) about a file.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// What the user would see on the target, line by line.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub loader_messages: Vec<String>,
    /// The loader's lines after the first [`LOADER_MESSAGES_KEPT`], counted.
    #[serde(skip_serializing_if = "is_zero")]
    pub loader_messages_omitted: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
    /// The oldest Alpine release (`3.20`) on which this finding goes away,
    /// when a newer base image is the fix (for `FROM alpine:3.20`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_alpine: Option<String>,
    pub evidence: Evidence,
}

impl Finding {
    /// A finding with the code's severity and generic remedy.
    pub fn new(code: Code, message: String, evidence: Evidence) -> Finding {
        let rule = code.rule();
        Finding {
            code,
            severity: rule.severity,
            message,
            loader_messages: Vec::new(),
            loader_messages_omitted: 0,
            remedy: rule.remedy.map(str::to_string),
            min_alpine: None,
            evidence,
        }
    }

    /// The loader's lines, the first [`LOADER_MESSAGES_KEPT`] of them made
    /// and kept, the rest counted.
    pub fn with_loader_messages<Lines>(mut self, lines: Lines) -> Finding
    where
        Lines: IntoIterator<Item = String>,
        Lines::IntoIter: ExactSizeIterator,
    {
        let lines = lines.into_iter();
        self.loader_messages_omitted = lines.len().saturating_sub(LOADER_MESSAGES_KEPT);
        self.loader_messages = lines.take(LOADER_MESSAGES_KEPT).collect();
        self
    }

    /// How many lines the loader prints for this finding.
    pub fn loader_message_count(&self) -> usize {
        self.loader_messages.len() + self.loader_messages_omitted
    }

    pub fn with_remedy(mut self, remedy: impl Into<String>) -> Finding {
        self.remedy = Some(remedy.into());
        self
    }
}

/// The process that loads a file and already provides some of its symbols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HostKind {
    /// A CPython extension module: `Py*` and `_Py*` come from the interpreter.
    Cpython,
    /// A Node.js addon: N-API, libuv, V8 and node symbols come from `node`.
    Node,
    /// A JNI library: `JNI_*`, `JVM_*` and `jio_*` come from the JVM.
    Jvm,
    /// A Ruby C extension: `rb_*` and `ruby_*` come from the interpreter.
    Ruby,
    /// A Perl XS module: `Perl_*`, `PL_*`, `PerlIO*` and `perl_*` come from
    /// the interpreter (libperl, which the module does not name).
    Perl,
    /// A PostgreSQL extension module: the server exports its whole backend
    /// (`palloc`, `errstart`, `SPI_*` …), unprefixed.
    Postgres,
}

#[derive(Debug, Clone, Serialize)]
pub struct Host {
    pub kind: HostKind,
    /// The fact that decided the host.
    pub evidence: String,
    /// Not a module itself: a library that this module (a report path) of
    /// the tree loads into the host process.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loaded_by: Option<String>,
    /// Not a module the host imports: a library it loads through a foreign
    /// function interface (ctypes, cffi), which its evidence names.
    #[serde(skip)]
    pub foreign_library: bool,
}

impl Host {
    pub fn name(&self) -> &'static str {
        match self.kind {
            HostKind::Cpython => "CPython",
            HostKind::Node => "Node.js",
            HostKind::Jvm => "the JVM",
            HostKind::Ruby => "Ruby",
            HostKind::Perl => "Perl",
            HostKind::Postgres => "PostgreSQL",
        }
    }

    /// Whether the host's dlopen binds every symbol at once (CPython;
    /// PostgreSQL's `internal_load_library`: RTLD_NOW | RTLD_GLOBAL) rather
    /// than leaving PLT entries for their first call (Node, the JVM, Ruby,
    /// Perl's DynaLoader unless PERL_DL_NONLAZY: RTLD_LAZY).
    /// A library the interpreter itself loads is taken as bound at once:
    /// ctypes, cffi and SQLite's `load_extension` dlopen with RTLD_NOW.
    pub fn dlopens_now(&self) -> bool {
        self.foreign_library || matches!(self.kind, HostKind::Cpython | HostKind::Postgres)
    }

    /// The host's program, as it names itself in ld.so's messages.
    pub fn program(&self) -> &'static str {
        match self.kind {
            HostKind::Cpython => "python3",
            HostKind::Node => "node",
            HostKind::Jvm => "java",
            HostKind::Ruby => "ruby",
            HostKind::Perl => "perl",
            HostKind::Postgres => "postgres",
        }
    }

    /// What a file the host loads directly is called.
    pub fn module_kind(&self) -> &'static str {
        if self.foreign_library {
            match self.kind {
                HostKind::Cpython => {
                    return "library loaded in CPython's process (ctypes, cffi, or a bundled library's plugin loader)";
                }
                HostKind::Node => {
                    return "library loaded in Node.js's process (an FFI, an addon's dlopen, SQLite's load_extension)";
                }
                _ => {}
            }
        }
        match self.kind {
            HostKind::Cpython => "CPython extension module",
            HostKind::Node => "Node.js addon",
            HostKind::Jvm => "JNI library",
            HostKind::Ruby => "Ruby C extension",
            HostKind::Perl => "Perl XS module",
            HostKind::Postgres => "PostgreSQL extension module",
        }
    }
}

/// How the loader would resolve a file that loads (or what it found on the way).
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadSummary {
    /// `libname → provider` for every needed library, in load order.
    pub libraries: Vec<(String, String)>,
    /// Names found through musl's LFS64 redirect (`stat64 → stat`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lfs64_redirects: Vec<(String, String)>,
    /// Symbols the host process provides.
    #[serde(skip_serializing_if = "is_zero")]
    pub from_host: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub from_gcompat: Vec<String>,
    /// Why gcompat does or does not reach this file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gcompat_reach: Option<String>,
    /// Why the target never loads this file (another platform's prebuild).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_loaded: Option<String>,
    /// For a file set aside only because what loads before it is a build
    /// made at install (node-gyp-build's `build/Release`), which a fresh
    /// install on the target lacks: how the target's loader judges it then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_fresh_install: Option<Box<Assessment>>,
    /// The file breaks, and would load once gcompat is installed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub loads_with_gcompat: bool,
    /// A library judged in the process of this program of the tree (a
    /// report path), the first that loads it: the RPATHs of the objects
    /// that load it there are searched for its needs too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loaded_by_program: Option<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The verdict of one file and the findings behind it.
#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<Host>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load: Option<LoadSummary>,
}

impl Assessment {
    pub fn of(verdict: Verdict, findings: Vec<Finding>) -> Assessment {
        Assessment {
            verdict,
            findings,
            host: None,
            load: None,
        }
    }

    /// A file that could not be read: `unknown`, with one finding saying why.
    pub fn unreadable(code: Code, message: String, reason: String) -> Assessment {
        Assessment::of(
            Verdict::Unknown,
            vec![Finding::new(code, message, Evidence::Read { reason })],
        )
    }
}
