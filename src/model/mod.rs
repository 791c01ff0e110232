//! The vocabulary every stage shares: ELF facts, findings, verdicts, codes,
//! artifacts and the report. Plain data with the little logic that belongs to
//! the data itself; imports nothing else of the crate, so every module may
//! import it.

mod arch;
mod code;
mod container;
mod decision;
mod elf_facts;
mod finding;
mod image;
mod matrix;
mod package;
mod path;
mod report;
mod shell;
mod version;
mod wheel;

pub use arch::Arch;
pub use code::{Code, Rule, Severity};
pub use container::{ContainerImage, DistroPackages, ImageCommand, ImageRuntime};
pub use decision::{
    Action, ActionPlan, AnswerSource, AsIs, IndexMode, IndexSummary, KeepBuiltLibraries,
    MadeAtInstall, PackageDecision, ReinstallAnswer, Reinstallation, Unanswered, brings_a_library,
    install_shell_command, keep_built_libraries_command,
};
pub use elf_facts::{
    Class, ElfFacts, ElfType, Endian, InitialExecTls, Libc, LibcKind, Linkage, Reference,
    RelocationCount, RequiredSymbol, RuntimeFile, RuntimeFiles, Stack, SymbolNames, VersionNeed,
};
pub use finding::{
    Assessment, Evidence, Finding, Host, HostKind, LoadSummary, MissingLibrary, MissingNode,
    MissingSymbol, PackageNeed, RelocationEvidence, StackNeed, TlsUse, Unloadable,
    UnloadableLibrary, Verdict,
};
pub use image::{DefinedVersions, Exactness, ImageFact, Presence, SymbolDefinition, TargetSummary};
pub use matrix::{Leanest, MATRIX_SCHEMA_VERSION, Matrix, MatrixCell, MatrixRow, MatrixTarget};
pub use package::{Ecosystem, Package};
pub use path::{
    ARCHIVE_ROOT, ReportPath, display_location, is_archive_root, member_location, on_disk,
    outermost_archive_root, prefix_hashes,
};
pub use report::{Artifact, ArtifactKind, Report, SCHEMA_VERSION, Summary, TargetInfo, ToolInfo};
pub use shell::{shell_word, shell_words};
pub use version::Version;
pub use wheel::{PlatformTag, Reinstall, WheelAudit};
