//! Rules: ELF facts + the scanned tree + the target → verdicts and findings.

pub mod codes;
pub mod host;
pub mod reinstall;
pub mod resolve;
pub mod wheel;

use rayon::prelude::*;
use serde::Serialize;

use crate::elf::{Arch, ElfFacts, ElfType, LibcKind, Linkage};
use crate::target::{SymbolTables, Target};

pub use codes::{Code, RULES, Rule, Severity};
pub use host::{Host, HostKind};
pub use resolve::{MissingLibrary, MissingSymbol, TreeFile, TreeIndex};

use resolve::{LibraryProvider, Resolution, ResolveContext};

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

/// A relocation type musl refuses.
#[derive(Debug, Clone, Serialize)]
pub struct RelocationEvidence {
    pub r_type: u32,
    pub name: String,
    pub count: usize,
}

/// A needed library that an Alpine package provides.
#[derive(Debug, Clone, Serialize)]
pub struct PackageNeed {
    pub library: String,
    pub package: String,
    /// muslcheck checked the needed names against the package's export table.
    pub checked: bool,
}

/// The facts behind a finding, for a person (and a program) to check.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Evidence {
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
        symbols: Vec<MissingSymbol>,
        looked_in: Vec<String>,
    },
    Libraries {
        libraries: Vec<MissingLibrary>,
    },
    Dependency {
        path: String,
        symbols: Vec<MissingSymbol>,
        libraries: Vec<MissingLibrary>,
        relocations: Vec<RelocationEvidence>,
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
    Gcompat {
        symbols: Vec<String>,
        libraries: Vec<String>,
        reach: String,
    },
    WheelTag {
        tag: String,
        detail: String,
    },
}

/// One thing wrong (or worth knowing) about a file.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// What the user would see on the target, line by line.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub loader_messages: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
    pub evidence: Evidence,
}

impl Finding {
    pub fn new(code: Code, message: String, evidence: Evidence) -> Finding {
        Finding {
            code,
            severity: code.severity(),
            message,
            loader_messages: Vec::new(),
            remedy: None,
            evidence,
        }
    }

    pub(crate) fn with_loader_messages(mut self, lines: Vec<String>) -> Finding {
        self.loader_messages = lines;
        self
    }

    pub(crate) fn with_remedy(mut self, remedy: impl Into<String>) -> Finding {
        self.remedy = Some(remedy.into());
        self
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
}

/// What the check assumes about the target system.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub target: Target,
    pub arch: Arch,
    /// Assume `apk add gcompat`.
    pub gcompat: bool,
}

/// Assesses every analysed file (`None` entries are skipped).
pub fn assess_all(
    index: &TreeIndex,
    count: usize,
    options: &CheckOptions,
) -> Vec<Option<Assessment>> {
    (0..count)
        .into_par_iter()
        .map(|i| index.file(i).map(|file| assess(index, i, file, options)))
        .collect()
}

fn assess(index: &TreeIndex, root: usize, file: &TreeFile, options: &CheckOptions) -> Assessment {
    let facts = file.facts;
    if !facts.is_loadable() {
        return Assessment::of(Verdict::NotApplicable, Vec::new());
    }
    if let Some(reason) = never_loaded_on_target(index, file, options.arch) {
        let mut assessment = Assessment::of(Verdict::NotApplicable, Vec::new());
        assessment.load = Some(LoadSummary {
            not_loaded: Some(reason),
            ..LoadSummary::default()
        });
        return assessment;
    }
    if facts.arch != options.arch {
        let finding = Finding::new(
            Code::WrongArchitecture,
            format!(
                "built for {}, the target is {}",
                facts.arch, options.arch
            ),
            Evidence::Architecture {
                file: facts.arch,
                target: options.arch,
            },
        )
        .with_loader_messages(vec![format!("exec {}: exec format error", file.shown)])
        .with_remedy(format!(
            "install the {} build of this file, or pass --arch {} if that is the image's architecture",
            options.arch, facts.arch
        ));
        return Assessment::of(Verdict::Breaks, vec![finding]);
    }
    if matches!(facts.linkage, Linkage::Static | Linkage::StaticPie) {
        return Assessment::of(Verdict::Ok, Vec::new());
    }

    let file_name = file
        .location
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let host = host::detect(&file_name, facts);
    let tables = SymbolTables::for_arch(options.arch);
    let gcompat_possible = options.target.has_packages();
    let (reaches_root, reach_reason) = gcompat_reach(file, facts, host.as_ref());
    let resolve_with = |installed: bool| {
        resolve::resolve(
            index,
            root,
            &ResolveContext {
                target: &options.target,
                tables,
                gcompat_installed: installed,
                gcompat_reaches_root: reaches_root,
                host: host.as_ref(),
            },
        )
    };
    let resolution = resolve_with(options.gcompat && gcompat_possible);
    let mut findings = Vec::new();
    let glibc_interpreter = has_glibc_interpreter(facts, options.arch);

    if let (Some(interpreter), true) = (&facts.interpreter, glibc_interpreter) {
        if !(options.gcompat && gcompat_possible) {
            findings.push(
                Finding::new(
                    Code::GlibcInterpreter,
                    format!(
                        "its interpreter {interpreter} is glibc's loader; {} has none (musl's is {})",
                        options.target,
                        options.arch.musl_interpreter().unwrap_or("ld-musl")
                    ),
                    Evidence::Interpreter {
                        interpreter: interpreter.clone(),
                        expected: options.arch.musl_interpreter().map(str::to_string),
                    },
                )
                .with_loader_messages(vec![format!("sh: {}: not found", file.shown)]),
            );
        }
    }

    let own = resolution.symbols.get(&root).cloned().unwrap_or_default();
    if !own.missing.is_empty() {
        findings.push(missing_symbols_finding(
            file.shown,
            &own.missing,
            &resolution,
            &options.target,
        ));
    }
    let own_missing_libraries: Vec<MissingLibrary> = resolution
        .missing_libraries
        .iter()
        .filter(|(by, _)| *by == root)
        .map(|(_, lib)| lib.clone())
        .collect();
    if !own_missing_libraries.is_empty() {
        findings.push(missing_libraries_finding(own_missing_libraries));
    }
    if !own.unsupported_relocations.is_empty() {
        findings.push(relocations_finding(
            file.shown,
            facts.arch,
            &own.unsupported_relocations,
        ));
    }
    for &dependency in resolution.objects.iter().skip(1) {
        if let Some(finding) = dependency_finding(index, dependency, &resolution) {
            findings.push(finding);
        }
    }
    if let Some(finding) = packages_finding(&resolution) {
        findings.push(finding);
    }
    let unchecked: Vec<String> = resolution
        .symbols
        .values()
        .flat_map(|s| s.unchecked.iter().cloned())
        .collect();
    if !unchecked.is_empty() {
        let libraries: Vec<String> = resolution
            .loaded
            .iter()
            .filter(|l| {
                matches!(
                    l.provider,
                    LibraryProvider::AlpinePackage { table: None, .. }
                )
            })
            .map(|l| l.name.clone())
            .collect();
        findings.push(Finding::new(
            Code::UncheckedSymbols,
            format!(
                "{} symbol(s) not in musl, expected from {} whose exports muslcheck has no table for",
                unchecked.len(),
                libraries.join(", ")
            ),
            Evidence::Unchecked {
                symbols: unchecked.clone(),
                libraries,
            },
        ));
    }

    let from_gcompat: Vec<String> = resolution
        .symbols
        .values()
        .flat_map(|s| s.from_gcompat.iter().cloned())
        .collect();
    let gcompat_libraries: Vec<String> = resolution
        .loaded
        .iter()
        .filter(|l| l.provider == LibraryProvider::Gcompat)
        .map(|l| l.name.clone())
        .collect();
    let uses_gcompat = resolution.gcompat_active
        && (!from_gcompat.is_empty() || !gcompat_libraries.is_empty() || glibc_interpreter);
    if uses_gcompat {
        let mut supplied = gcompat_libraries.clone();
        if glibc_interpreter && let Some(interp) = &facts.interpreter {
            supplied.insert(0, format!("{interp} (loader stub)"));
        }
        findings.push(Finding::new(
            Code::OnlyWithGcompat,
            format!(
                "loads only with gcompat, which supplies {}",
                describe_list(
                    &supplied
                        .iter()
                        .chain(from_gcompat.iter())
                        .cloned()
                        .collect::<Vec<_>>(),
                    8
                )
            ),
            Evidence::Gcompat {
                symbols: from_gcompat.clone(),
                libraries: supplied,
                reach: reach_reason.clone(),
            },
        ));
    }

    let has_errors = findings.iter().any(|f| f.severity == Severity::Error);
    let verdict = if has_errors {
        Verdict::Breaks
    } else if uses_gcompat {
        Verdict::NeedsGcompat
    } else if !unchecked.is_empty() {
        Verdict::Unknown
    } else {
        Verdict::Ok
    };

    if verdict == Verdict::Breaks && !options.gcompat && gcompat_possible {
        let hint = gcompat_hint(
            &resolve_with(true),
            glibc_interpreter,
            host.as_ref(),
            &reach_reason,
        );
        if let Some(hint) = hint {
            for finding in findings.iter_mut().filter(|f| {
                matches!(
                    f.code,
                    Code::GlibcInterpreter | Code::MissingSymbols | Code::MissingLibrary
                )
            }) {
                finding.remedy = Some(match finding.remedy.take() {
                    Some(existing) if !existing.contains("gcompat") => {
                        format!("{hint}; or {existing}")
                    }
                    _ => hint.clone(),
                });
            }
        }
    }

    let load = LoadSummary {
        libraries: resolution
            .loaded
            .iter()
            .map(|lib| (lib.name.clone(), describe_provider(index, &lib.provider)))
            .collect(),
        lfs64_redirects: own.redirected.clone(),
        from_host: own.from_host,
        from_gcompat,
        gcompat_reach: Some(reach_reason),
        not_loaded: None,
    };
    Assessment {
        verdict,
        findings,
        host,
        load: Some(load),
    }
}

/// Multi-platform npm packages ship every platform's binary; the target loads
/// only its own. `None` when the target may load this file.
fn never_loaded_on_target(index: &TreeIndex, file: &TreeFile, arch: Arch) -> Option<String> {
    let target_cpu = crate::ecosystem::npm::npm_cpu(arch);
    let prebuild = crate::ecosystem::npm::prebuild(file.shown)?;
    if prebuild.platform != "linux" {
        return Some(format!(
            "a prebuild for {}; node-gyp-build loads prebuilds/linux-{target_cpu}/ here",
            prebuild.platform
        ));
    }
    if prebuild.cpu != target_cpu {
        return Some(format!(
            "a prebuild for linux-{}; node-gyp-build loads prebuilds/linux-{target_cpu}/ on {arch}",
            prebuild.cpu
        ));
    }
    if prebuild.libc.as_deref() == Some("glibc") {
        let musl_sibling = index.siblings(file.location).find(|other| {
            crate::ecosystem::npm::prebuild(other.shown)
                .is_some_and(|p| p.libc.as_deref() == Some("musl"))
        })?;
        return Some(format!(
            "the glibc prebuild; on musl node-gyp-build loads {} instead",
            musl_sibling.shown
        ));
    }
    None
}

/// Whether gcompat's preload reaches the process loading this file, and why.
fn gcompat_reach(file: &TreeFile, facts: &ElfFacts, host: Option<&Host>) -> (bool, String) {
    if facts.interpreter.is_some() && facts.libc.kind == LibcKind::Glibc {
        return (
            true,
            "a glibc executable: started through gcompat's loader stub, which preloads libgcompat"
                .to_string(),
        );
    }
    if let Some(host) = host {
        return (
            false,
            format!(
                "loaded by {} ({}); on Alpine that is a musl program, so gcompat is not preloaded unless LD_PRELOAD=/lib/libgcompat.so.0",
                host.name(),
                host.evidence
            ),
        );
    }
    let in_package_tree = ["site-packages", "dist-packages", "node_modules"]
        .iter()
        .any(|dir| file.shown.split('/').any(|part| part == *dir));
    if in_package_tree {
        return (
            false,
            "a library inside a Python or Node package: loaded by Alpine's musl python or node, so gcompat is not preloaded".to_string(),
        );
    }
    (
        true,
        "a shared library: assumed loaded by a glibc program started through gcompat's loader stub"
            .to_string(),
    )
}

fn has_glibc_interpreter(facts: &ElfFacts, arch: Arch) -> bool {
    match (&facts.interpreter, arch.musl_interpreter()) {
        (Some(interp), Some(musl)) => interp != musl && !interp.contains("ld-musl-"),
        (Some(interp), None) => !interp.contains("ld-musl-"),
        (None, _) => false,
    }
}

/// "would load with gcompat" — or why it would not.
fn gcompat_hint(
    with_gcompat: &Resolution,
    glibc_interpreter: bool,
    host: Option<&Host>,
    reach_reason: &str,
) -> Option<String> {
    let all_resolved = with_gcompat.missing_libraries.is_empty()
        && with_gcompat
            .symbols
            .values()
            .all(|s| s.missing.is_empty() && s.unsupported_relocations.is_empty());
    // A glibc executable needs gcompat's loader stub even when no symbol is missing.
    if all_resolved && (with_gcompat.gcompat_active || glibc_interpreter) {
        return Some(
            "would load with gcompat: `apk add gcompat` (check with --gcompat)".to_string(),
        );
    }
    if host.is_some() && !with_gcompat.gcompat_active {
        return Some(format!("gcompat does not help here: {reach_reason}"));
    }
    None
}

fn describe_list(items: &[String], cap: usize) -> String {
    let shown: Vec<&str> = items.iter().take(cap).map(String::as_str).collect();
    let mut text = shown.join(", ");
    if items.len() > cap {
        text.push_str(&format!(" and {} more", items.len() - cap));
    }
    text
}

fn describe_provider(index: &TreeIndex, provider: &LibraryProvider) -> String {
    match provider {
        LibraryProvider::Musl => "musl".to_string(),
        LibraryProvider::Tree(found) => index
            .file(*found)
            .map(|f| f.shown.to_string())
            .unwrap_or_default(),
        LibraryProvider::Gcompat => "gcompat".to_string(),
        LibraryProvider::AlpinePackage { package, .. } => format!("apk {package}"),
    }
}

fn symbol_label(symbol: &MissingSymbol) -> String {
    let mut label = symbol.name.clone();
    if let Some(version) = &symbol.version {
        label.push('@');
        label.push_str(version);
    }
    label
}

fn missing_symbols_finding(
    shown: &str,
    missing: &[MissingSymbol],
    resolution: &Resolution,
    target: &Target,
) -> Finding {
    let names: Vec<String> = missing.iter().map(symbol_label).collect();
    let message = format!(
        "{} symbol(s) that musl {} and every loaded library lack: {}",
        missing.len(),
        target.musl,
        describe_list(&names, 6)
    );
    let loader_messages = missing
        .iter()
        .map(|s| format!("Error relocating {shown}: {}: symbol not found", s.name))
        .collect();
    Finding::new(
        Code::MissingSymbols,
        message,
        Evidence::Symbols {
            symbols: missing.to_vec(),
            looked_in: resolution.scope.clone(),
        },
    )
    .with_loader_messages(loader_messages)
    .with_remedy("install a musl build of this file (musllinux wheel, musl prebuild or platform package) or build it on Alpine")
}

/// musl's message for a needed library it cannot open.
fn library_error(library: &MissingLibrary) -> String {
    format!(
        "Error loading shared library {}: No such file or directory (needed by {})",
        library.name, library.needed_by
    )
}

fn missing_libraries_finding(libraries: Vec<MissingLibrary>) -> Finding {
    let names: Vec<String> = libraries.iter().map(|l| l.name.clone()).collect();
    let loader_messages = libraries.iter().map(library_error).collect();
    let remedy = if libraries.iter().all(|l| l.gcompat_provides) {
        "gcompat provides it: `apk add gcompat`".to_string()
    } else {
        "bundle the library with the artifact, install the Alpine package that provides it, or use a build that does not need it".to_string()
    };
    Finding::new(
        Code::MissingLibrary,
        format!(
            "needs {} which neither the scanned tree nor the target provides",
            describe_list(&names, 6)
        ),
        Evidence::Libraries { libraries },
    )
    .with_loader_messages(loader_messages)
    .with_remedy(remedy)
}

fn relocation_evidence(arch: Arch, relocations: &[(u32, usize)]) -> Vec<RelocationEvidence> {
    relocations
        .iter()
        .map(|&(r_type, count)| RelocationEvidence {
            r_type,
            name: arch.relocation_name(r_type),
            count,
        })
        .collect()
}

fn relocations_finding(shown: &str, arch: Arch, relocations: &[(u32, usize)]) -> Finding {
    let evidence = relocation_evidence(arch, relocations);
    let loader_messages = relocations
        .iter()
        .map(|(r_type, _)| {
            format!("Error relocating {shown}: unsupported relocation type {r_type}")
        })
        .collect();
    let names: Vec<String> = evidence
        .iter()
        .map(|r| format!("{} ×{}", r.name, r.count))
        .collect();
    Finding::new(
        Code::UnsupportedRelocation,
        format!("relocations musl's loader refuses: {}", names.join(", ")),
        Evidence::Relocations {
            relocations: evidence,
        },
    )
    .with_loader_messages(loader_messages)
    .with_remedy("use a build without GNU indirect functions (a musl build)")
}

fn dependency_finding(
    index: &TreeIndex,
    dependency: usize,
    resolution: &Resolution,
) -> Option<Finding> {
    let file = index.file(dependency)?;
    let symbols = resolution
        .symbols
        .get(&dependency)
        .cloned()
        .unwrap_or_default();
    let libraries: Vec<MissingLibrary> = resolution
        .missing_libraries
        .iter()
        .filter(|(by, _)| *by == dependency)
        .map(|(_, lib)| lib.clone())
        .collect();
    if symbols.missing.is_empty()
        && libraries.is_empty()
        && symbols.unsupported_relocations.is_empty()
    {
        return None;
    }
    let mut loader_messages: Vec<String> = libraries.iter().map(library_error).collect();
    loader_messages.extend(symbols.missing.iter().map(|s| {
        format!(
            "Error relocating {}: {}: symbol not found",
            file.shown, s.name
        )
    }));
    loader_messages.extend(symbols.unsupported_relocations.iter().map(|(t, _)| {
        format!(
            "Error relocating {}: unsupported relocation type {t}",
            file.shown
        )
    }));
    let mut parts = Vec::new();
    if !symbols.missing.is_empty() {
        parts.push(format!("{} missing symbol(s)", symbols.missing.len()));
    }
    if !libraries.is_empty() {
        parts.push(format!("{} missing librar(ies)", libraries.len()));
    }
    if !symbols.unsupported_relocations.is_empty() {
        parts.push("unsupported relocations".to_string());
    }
    Some(
        Finding::new(
            Code::DependencyBreaks,
            format!(
                "loads {} from the scanned tree, which fails: {}",
                file.shown,
                parts.join(", ")
            ),
            Evidence::Dependency {
                path: file.shown.to_string(),
                symbols: symbols.missing,
                libraries,
                relocations: relocation_evidence(file.facts.arch, &symbols.unsupported_relocations),
            },
        )
        .with_loader_messages(loader_messages)
        .with_remedy(format!("fix {} first (see its own findings)", file.shown)),
    )
}

fn packages_finding(resolution: &Resolution) -> Option<Finding> {
    let mut packages: Vec<PackageNeed> = Vec::new();
    for lib in &resolution.loaded {
        if let LibraryProvider::AlpinePackage { package, table } = lib.provider
            && !packages.iter().any(|p| p.library == lib.name)
        {
            packages.push(PackageNeed {
                library: lib.name.clone(),
                package: package.to_string(),
                checked: table.is_some(),
            });
        }
    }
    if packages.is_empty() {
        return None;
    }
    let mut names: Vec<&str> = packages.iter().map(|p| p.package.as_str()).collect();
    names.dedup();
    let apk_add = format!("apk add {}", names.join(" "));
    let libraries: Vec<String> = packages.iter().map(|p| p.library.clone()).collect();
    Some(
        Finding::new(
            Code::NeedsAlpinePackage,
            format!(
                "needs {} from Alpine packages: `{apk_add}`",
                libraries.join(", ")
            ),
            Evidence::Packages {
                packages,
                apk_add: apk_add.clone(),
            },
        )
        .with_remedy(format!("add `RUN {apk_add}` to the Alpine stage")),
    )
}

/// `true` for files a loader never runs (object files, core dumps).
pub fn is_object_file(facts: &ElfFacts) -> bool {
    matches!(
        facts.elf_type,
        ElfType::Rel | ElfType::Core | ElfType::Other
    )
}
