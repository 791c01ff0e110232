//! What glibc's ld.so (or, on an image without a C library, the kernel alone)
//! would do with one file on a base-image target.
//!
//! Modelled on glibc's `elf/`: the program interpreter must exist (the
//! kernel opens PT_INTERP); each DT_NEEDED name is looked up in the DT_RPATHs
//! of the object and of each object up the chain that loaded it, or in the
//! object's own DT_RUNPATH alone, then in the image's libraries (`dl-load.c`,
//! `_dl_map_object`; the object's own directory is never searched); every
//! (library, version node) of `.gnu.version_r` must be
//! defined by the library that was loaded (`dl-version.c`, `match_symbol`:
//! membership, not a maximum); symbols are looked up by name and version in
//! the global scope (`dl-lookup.c`), at load time for data and under
//! BIND_NOW, else at their first call.

use std::collections::{HashMap, HashSet};

use super::provider::off_search_path;
use super::search::{NotFound, Search, chain};
use super::tree::{TreeFile, TreeIndex};
use super::{describe_list, verdict};
use crate::model::Host;
use crate::model::{
    Assessment, Code, Evidence, Finding, Linkage, LoadSummary, MissingLibrary, MissingNode,
    MissingSymbol, Presence, RequiredSymbol, RuntimeFile, Verdict, Version,
};
use crate::platform::{Library, LoaderKind, Platform};

/// Where a needed library came from in one process.
#[derive(Debug, Clone, Copy)]
enum Provider {
    Tree(usize),
    Image(&'static Library),
    /// The image's library list is not known (a versions-only profile).
    Unknown,
}

/// Resolves the files of one tree on a glibc or no-libc image; what does not
/// depend on the process (each file's tree searches) is worked out once.
pub struct GlibcResolver<'t> {
    index: &'t TreeIndex<'t>,
    platform: &'t Platform,
    searches: &'t [Search],
}

/// One process: the tree objects loaded, in load order, and every needed name's provider.
struct Load {
    objects: Vec<usize>,
    providers: HashMap<String, Provider>,
    loaded: Vec<(String, String)>,
    missing: Vec<(usize, MissingLibrary)>,
}

impl<'t> GlibcResolver<'t> {
    pub fn new(index: &'t TreeIndex<'t>, platform: &'t Platform) -> Self {
        GlibcResolver {
            index,
            platform,
            searches: index.searches(),
        }
    }

    pub fn platform(&self) -> &'t Platform {
        self.platform
    }

    /// Judges a loadable file of the target's architecture.
    /// `host`: the process that loads the file (its symbols come from there);
    /// `loaded_through`: the objects that load it there, nearest first
    /// ([`super::resolve::ResolveContext::loaded_through`]).
    pub fn judge(
        &self,
        (root, file): (usize, &TreeFile),
        (host, loaded_through): (Option<&Host>, &[usize]),
    ) -> Assessment {
        let platform = self.platform;
        let static_file = matches!(file.facts.linkage, Linkage::Static | Linkage::StaticPie);
        if static_file {
            let findings: Vec<Finding> =
                runtime_files_missing(file, platform).into_iter().collect();
            return Assessment::of(verdict(&findings, false, false), findings);
        }
        if let Some(finding) = interpreter_missing(file, platform) {
            return Assessment::of(Verdict::Breaks, vec![finding]);
        }
        let load = self.load(root, loaded_through);
        let mut findings = Vec::new();
        let own_missing: Vec<MissingLibrary> = load
            .missing
            .iter()
            .filter(|(by, _)| *by == root)
            .map(|(_, l)| l.clone())
            .collect();
        let dependency_missing: Vec<MissingLibrary> = load
            .missing
            .iter()
            .filter(|(by, _)| *by != root)
            .map(|(_, l)| l.clone())
            .collect();
        let all_missing: Vec<MissingLibrary> =
            own_missing.into_iter().chain(dependency_missing).collect();
        if !all_missing.is_empty() {
            findings.push(missing_libraries(file, all_missing, platform));
        }
        let nodes = self.version_nodes(&load);
        if !nodes.missing.is_empty() {
            findings.push(version_nodes_missing(file, nodes.missing));
        }
        if !nodes.private.is_empty() {
            findings.push(glibc_private(&nodes.private));
        }
        let symbols = self.symbols(file, &load, &nodes.failed_nodes, host);
        if !symbols.missing.is_empty() {
            findings.push(missing_symbols(file, &symbols.missing, &load));
        }
        let unchecked = symbols.unchecked.len() + nodes.unknown.len();
        if unchecked > 0 {
            findings.push(unchecked_needs(&symbols.unchecked, &nodes.unknown));
        }
        let verdict = verdict(&findings, false, unchecked > 0);
        let mut assessment = Assessment::of(verdict, findings);
        assessment.load = Some(LoadSummary {
            libraries: load.loaded,
            ..LoadSummary::default()
        });
        assessment
    }

    /// Loads `root` (loaded itself through `loaded_through`) and the tree
    /// libraries it needs, breadth first as `_dl_map_object_deps` does;
    /// image libraries are taken as loading.
    fn load(&self, root: usize, loaded_through: &[usize]) -> Load {
        let mut load = Load {
            objects: vec![root],
            providers: HashMap::new(),
            loaded: Vec::new(),
            missing: Vec::new(),
        };
        let mut in_graph: HashSet<usize> = HashSet::from([root]);
        // Object → the object whose needs loaded it (ld.so's `l_loader`).
        let mut loaded_by: HashMap<usize, usize> = HashMap::new();
        let mut position_in_queue = 0;
        while let Some(&object) = load.objects.get(position_in_queue) {
            position_in_queue += 1;
            let Some(file) = self.index.file(object) else {
                continue;
            };
            for (position, name) in file.facts.needed.iter().enumerate() {
                if load.providers.contains_key(name) {
                    continue;
                }
                let in_tree = match self.searches.get(object) {
                    Some(search) => {
                        let chain =
                            chain(self.searches, (&loaded_by, object), (root, loaded_through));
                        search.run_glibc(self.index, position, name, chain)
                    }
                    None => Err(NotFound::nowhere()),
                };
                let provider = match in_tree {
                    Ok(found) => {
                        if in_graph.insert(found) {
                            load.objects.push(found);
                            loaded_by.insert(found, object);
                        }
                        Some(Provider::Tree(found))
                    }
                    Err(looked_in) => match self.platform.image_library(name) {
                        Some(library) => Some(Provider::Image(library)),
                        None if !self.platform.image_libraries_known() => Some(Provider::Unknown),
                        None => {
                            let mut looked_in = looked_in.looked_in();
                            looked_in.push(format!("{} (its libraries)", self.platform.target));
                            load.missing.push((
                                object,
                                MissingLibrary {
                                    name: name.clone(),
                                    needed_by: file.shown.to_string(),
                                    looked_in,
                                    gcompat_provides: false,
                                    note: None,
                                    in_tree_at: off_search_path(self.index, name),
                                    symbols_expected: Vec::new(),
                                },
                            ));
                            None
                        }
                    },
                };
                if let Some(provider) = provider {
                    load.providers.insert(name.clone(), provider);
                    load.loaded.push((name.clone(), self.describe(provider)));
                    // ld.so also answers a later need from a loaded object
                    // whose SONAME it names (`_dl_name_match_p`).
                    if let Provider::Tree(found) = provider
                        && let Some(soname) =
                            self.index.file(found).and_then(|f| f.facts.soname.clone())
                    {
                        load.providers.entry(soname).or_insert(provider);
                    }
                }
            }
        }
        load
    }

    fn describe(&self, provider: Provider) -> String {
        match provider {
            Provider::Tree(found) => self
                .index
                .file(found)
                .map(|f| f.shown.to_string())
                .unwrap_or_default(),
            Provider::Image(library) => format!(
                "{} ({})",
                library.path.unwrap_or(library.soname),
                self.platform.target
            ),
            Provider::Unknown => format!("{} (not listed: unchecked)", self.platform.target),
        }
    }

    /// Every (library, node) the loaded tree objects need, against the
    /// nodes the image's library defines.
    fn version_nodes(&self, load: &Load) -> NodeCheck {
        let mut check = NodeCheck::default();
        for &object in &load.objects {
            let Some(file) = self.index.file(object) else {
                continue;
            };
            for need in &file.facts.version_needs {
                let Some(Provider::Image(library)) = load.providers.get(&need.library) else {
                    // A tree library's definitions are not read; a missing one is MC103.
                    continue;
                };
                for node in &need.versions {
                    match library.defines(node) {
                        Some(true) if node == "GLIBC_PRIVATE" => {
                            check
                                .private
                                .push(format!("{} ({})", file.shown, need.library));
                        }
                        Some(true) => {}
                        Some(false) => {
                            check
                                .failed_nodes
                                .insert((need.library.clone(), node.clone()));
                            check.missing.push(MissingNode {
                                library: need.library.clone(),
                                path: library.path.map(str::to_string),
                                node: node.clone(),
                                newest_defined: Version::node(node).and_then(|(family, _)| {
                                    library.versions.newest(family).map(str::to_string)
                                }),
                                needed_by: file.shown.to_string(),
                            });
                        }
                        None => check.unknown.push(format!("{}@{node}", need.library)),
                    }
                }
            }
        }
        check
    }

    /// The root's needed symbols against the exports of the image's
    /// libraries and the tree objects in the process.
    fn symbols(
        &self,
        file: &TreeFile,
        load: &Load,
        failed_nodes: &HashSet<(String, String)>,
        host: Option<&Host>,
    ) -> SymbolCheck {
        let mut check = SymbolCheck::default();
        let tree_objects: Vec<&TreeFile> = load
            .objects
            .iter()
            .skip(1)
            .filter_map(|&o| self.index.file(o))
            .collect();
        let mut image_libraries: Vec<&'static Library> = load
            .providers
            .values()
            .filter_map(|p| match p {
                Provider::Image(library) => Some(*library),
                _ => None,
            })
            .collect();
        // A module is loaded into the interpreter's process, whose global
        // scope already holds the C library's family (python and node link
        // libm, libdl, libpthread): their names resolve there.
        if host.is_some() {
            image_libraries.extend(
                HOST_PROCESS_LIBRARIES
                    .iter()
                    .filter_map(|soname| self.platform.image_library(soname)),
            );
        }
        let untabulated = load.providers.values().any(|p| match p {
            Provider::Image(library) => !library.has_exports(),
            Provider::Unknown => true,
            Provider::Tree(_) => false,
        });
        for required in file
            .facts
            .required_symbols
            .iter()
            .filter(|s| !s.weak && s.relocated)
        {
            let name = required.name.as_str();
            if tree_objects.iter().any(|o| o.facts.exports_symbol(name)) {
                continue;
            }
            // The interpreter's own names (`Py*`, `napi_*`): the process has them.
            if host.is_some_and(|host| super::host::provides(host, name)) {
                continue;
            }
            // A symbol from a missing library fails with it (MC103 says so).
            let from_missing = match &required.library {
                Some(library) => !load.providers.contains_key(library),
                None => !load.missing.is_empty(),
            };
            if from_missing {
                continue;
            }
            if let (Some(version), Some(library)) = (&required.version, &required.library) {
                if failed_nodes.contains(&(library.clone(), version.clone())) {
                    continue;
                }
                // Since glibc 2.30 a versioned reference binds in any loaded object (BZ 24741).
                let mut tabulated = false;
                let mut found = false;
                for candidate in &image_libraries {
                    if let Some(definitions) = candidate.exports(name) {
                        tabulated |= candidate.soname == library.as_str();
                        found |= definitions
                            .iter()
                            .any(|d| d.version == Some(version.as_str()));
                    }
                }
                if found {
                    continue;
                }
                if tabulated && !untabulated_named(load, library) {
                    check.missing.push(missing_symbol(required));
                } else {
                    check.unchecked.push(missing_symbol(required).label());
                }
                continue;
            }
            let found = image_libraries
                .iter()
                .any(|l| l.exports(name).is_some_and(|d| !d.is_empty()));
            if found {
                continue;
            }
            if untabulated {
                check.unchecked.push(missing_symbol(required).label());
            } else {
                check.missing.push(missing_symbol(required));
            }
        }
        check
    }
}

/// What an interpreter process (CPython, Node, a JVM) has loaded before any
/// module: glibc's libraries every such program links.
const HOST_PROCESS_LIBRARIES: [&str; 5] = [
    "libc.so.6",
    "libm.so.6",
    "libdl.so.2",
    "libpthread.so.0",
    "librt.so.1",
];

fn untabulated_named(load: &Load, library: &str) -> bool {
    match load.providers.get(library) {
        Some(Provider::Image(l)) => !l.has_exports(),
        Some(Provider::Unknown) => true,
        _ => false,
    }
}

fn missing_symbol(required: &RequiredSymbol) -> MissingSymbol {
    MissingSymbol {
        name: required.name.clone(),
        version: required.version.clone(),
        expected_library: required.library.clone(),
        glibc_since: None,
        gcompat_provides: false,
        copy_relocation: required.copy_relocation,
        ifunc_only_in: None,
    }
}

#[derive(Default)]
struct NodeCheck {
    missing: Vec<MissingNode>,
    failed_nodes: HashSet<(String, String)>,
    private: Vec<String>,
    unknown: Vec<String>,
}

#[derive(Default)]
struct SymbolCheck {
    missing: Vec<MissingSymbol>,
    unchecked: Vec<String>,
}

/// MC110: the kernel finds no PT_INTERP file on the image (or no loader at all).
fn interpreter_missing(file: &TreeFile, platform: &Platform) -> Option<Finding> {
    let no_loader = platform.loader_kind() == LoaderKind::None;
    let (message, loader_messages) = match &file.facts.interpreter {
        Some(interpreter) if !platform.is_own_interpreter(interpreter) => {
            let message = match platform.interpreter() {
                Some(own) => format!(
                    "its interpreter {interpreter} is not on {}, whose loader is {own}",
                    platform.target
                ),
                None => format!(
                    "its interpreter {interpreter} is not on {}, which has no C library and no dynamic loader",
                    platform.target
                ),
            };
            let messages = vec![
                format!("sh: {}: not found", file.shown),
                format!("exec {}: no such file or directory", file.shown),
            ];
            (message, messages)
        }
        // A shared library: nothing on a loader-less image could load it.
        None if no_loader => (
            format!(
                "a dynamically linked file, and {} has no dynamic loader to load it",
                platform.target
            ),
            Vec::new(),
        ),
        _ => return None,
    };
    Some(
        Finding::new(
            Code::InterpreterNotOnImage,
            message,
            Evidence::Interpreter {
                interpreter: file.facts.interpreter.clone().unwrap_or_default(),
                expected: platform.interpreter().map(str::to_string),
            },
        )
        .with_loader_messages(loader_messages)
        .with_remedy(if no_loader {
            "use a static build, or a base image with the C library the file was built for".to_string()
        } else {
            "use a build for the image's C library (or a static build), or an image with the loader the file names".to_string()
        }),
    )
}

/// MC103 in ld.so's words.
fn missing_libraries(
    file: &TreeFile,
    libraries: Vec<MissingLibrary>,
    platform: &Platform,
) -> Finding {
    let loader_messages = libraries
        .iter()
        .map(|l| {
            format!(
                "{}: error while loading shared libraries: {}: cannot open shared object file: No such file or directory",
                file.shown, l.name
            )
        })
        .collect();
    let (mut names, mut absent, mut off_path) = (Vec::new(), Vec::new(), Vec::new());
    for library in &libraries {
        // One name, however many of the loaded objects need it.
        if names.contains(&library.name) {
            continue;
        }
        names.push(library.name.clone());
        match &library.in_tree_at {
            Some(at) => off_path.push(format!(
                "{}, which is in the scanned tree at {at}",
                library.name
            )),
            None => absent.push(library.name.clone()),
        }
    }
    let mut parts = Vec::new();
    if !absent.is_empty() {
        parts.push(format!(
            "needs {} which neither the scanned tree (RPATH/RUNPATH) nor {} provides",
            describe_list(&absent, 6),
            platform.target
        ));
    }
    if !off_path.is_empty() {
        parts.push(format!(
            "needs {} but not on ld.so's search path (an object's DT_RUNPATH serves its own \
             needs only, not the libraries it loads; without one, the DT_RPATH of each object up \
             the chain that loaded it is searched)",
            describe_list(&off_path, 6)
        ));
    }
    let message = parts.join("; ");
    let mut remedies = Vec::new();
    let packages: Vec<&str> = names
        .iter()
        .filter_map(|n| platform.package_providing(n))
        .collect();
    if let (Some(install), false) = (platform.install_command(), packages.is_empty()) {
        let mut unique_packages: Vec<&str> = Vec::new();
        for package in packages {
            if !unique_packages.contains(&package) {
                unique_packages.push(package);
            }
        }
        remedies.push(format!("`RUN {install} {}`", unique_packages.join(" ")));
    }
    let images: Vec<&str> = names
        .iter()
        .filter_map(|n| platform.image_providing(n))
        .collect();
    if let Some(image) = images.first().filter(|_| images.len() == names.len()) {
        let has = if names.len() == 1 {
            "has it"
        } else {
            "has them"
        };
        remedies.push(format!("use `FROM {image}`, which {has}"));
    }
    if !off_path.is_empty() {
        remedies.push(
            "give the object that needs it a RUNPATH that reaches it (`patchelf --set-rpath`), \
             or link the program with DT_RPATH (`-Wl,--disable-new-dtags`), which the libraries \
             it loads inherit"
                .to_string(),
        );
    }
    if remedies.is_empty() {
        remedies.push("bundle the library with the artifact (and an RPATH that reaches it), or use a build that does not need it".to_string());
    }
    Finding::new(
        Code::MissingLibrary,
        message,
        Evidence::Libraries { libraries },
    )
    .with_loader_messages(loader_messages)
    .with_remedy(remedies.join(", or "))
}

/// MC109 in dl-version.c's words.
fn version_nodes_missing(file: &TreeFile, nodes: Vec<MissingNode>) -> Finding {
    let loader_messages = nodes
        .iter()
        .map(|n| {
            format!(
                "{}: {}: version `{}' not found (required by {})",
                file.shown,
                n.path.as_deref().unwrap_or(&n.library),
                n.node,
                n.needed_by
            )
        })
        .collect();
    let described: Vec<String> = nodes
        .iter()
        .map(|n| match &n.newest_defined {
            Some(newest) => format!(
                "{} from {} (the image's newest is {newest})",
                n.node, n.library
            ),
            None => format!("{} from {}", n.node, n.library),
        })
        .collect();
    Finding::new(
        Code::VersionNodeMissing,
        format!(
            "needs version node(s) the image's libraries do not define: {}",
            describe_list(&described, 6)
        ),
        Evidence::VersionNodes { nodes },
    )
    .with_loader_messages(loader_messages)
}

/// MC111: GLIBC_PRIVATE needs.
fn glibc_private(needed_by: &[String]) -> Finding {
    Finding::new(
        Code::GlibcPrivate,
        format!(
            "needs GLIBC_PRIVATE, glibc's internal interface, in {}: it loads only with the exact glibc it was built against",
            describe_list(needed_by, 6)
        ),
        Evidence::Unchecked {
            symbols: vec!["GLIBC_PRIVATE".to_string()],
            libraries: needed_by.to_vec(),
        },
    )
}

/// MC102 in dl-lookup.c's words, saying when the failure comes.
fn missing_symbols(file: &TreeFile, missing: &[MissingSymbol], load: &Load) -> Finding {
    let names: Vec<String> = missing.iter().map(MissingSymbol::label).collect();
    let at_load = file.facts.bind_now || missing.iter().all(|s| s.copy_relocation);
    let when = if at_load {
        "it fails at load time (it binds now, or the symbols are copy-relocated data)"
    } else {
        "it starts and fails at the first call of a missing function (bound lazily), at load time for data or under LD_BIND_NOW"
    };
    let loader_messages = missing
        .iter()
        .map(|s| {
            format!(
                "{0}: symbol lookup error: {0}: undefined symbol: {1}{2}",
                file.shown,
                s.name,
                s.version
                    .as_ref()
                    .map(|v| format!(", version {v}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    Finding::new(
        Code::MissingSymbols,
        format!(
            "{} symbol(s) that no loaded library (the image's or the scanned tree's) exports: {}; {when}",
            missing.len(),
            describe_list(&names, 6)
        ),
        Evidence::Symbols {
            symbols: missing.to_vec(),
            looked_in: load
                .loaded
                .iter()
                .map(|(name, from)| format!("{name}: {from}"))
                .collect(),
        },
    )
    .with_loader_messages(loader_messages)
    .with_remedy(
        "build the file against the image's libraries, or use an image whose libraries export them",
    )
}

/// MC108: needs whose library's exports or definitions are not tabulated.
fn unchecked_needs(symbols: &[String], nodes: &[String]) -> Finding {
    let mut all: Vec<String> = symbols.to_vec();
    all.extend(nodes.iter().cloned());
    Finding::new(
        Code::UncheckedSymbols,
        format!(
            "{} symbol(s) or version node(s) expected from image libraries whose exports muslcheck has no table for: {}",
            all.len(),
            describe_list(&all, 6)
        ),
        Evidence::Unchecked {
            symbols: all,
            libraries: Vec::new(),
        },
    )
}

/// MC112: a static program's run-time files the image lacks, with the COPY line.
fn runtime_files_missing(file: &TreeFile, platform: &Platform) -> Option<Finding> {
    let profile = platform.profile()?;
    let fact = |needed: RuntimeFile| match needed {
        RuntimeFile::CaCertificates => &profile.ca_certificates,
        RuntimeFile::Tzdata => &profile.tzdata,
        RuntimeFile::Passwd => &profile.etc_passwd,
    };
    let lacking: Vec<RuntimeFile> = file
        .facts
        .runtime_files
        .iter()
        .filter(|f| fact(*f).presence == Presence::No)
        .collect();
    let files: Vec<String> = lacking.iter().map(|f| f.path().to_string()).collect();
    if files.is_empty() {
        return None;
    }
    // The image's own package where it has a package manager, else a COPY line.
    let copies: Vec<String> = lacking
        .iter()
        .map(|needed| {
            let detail = fact(*needed).detail.as_str();
            if let Some(install) = profile.install_command
                && detail.starts_with(install)
            {
                return format!("RUN {detail}");
            }
            let path = needed.path();
            match needed {
                RuntimeFile::Tzdata => format!("COPY --from=build {path} {path}"),
                _ => {
                    let directory = path.rsplit_once('/').map_or("", |(dir, _)| dir);
                    format!("COPY --from=build {path} {directory}/")
                }
            }
        })
        .collect();
    Some(
        Finding::new(
            Code::RuntimeFileMissing,
            format!(
                "a static program that names {}, which {} lacks: it runs, and fails when it first needs them",
                describe_list(&files, 4),
                platform.target
            ),
            Evidence::RuntimeFiles { files },
        )
        .with_remedy(format!(
            "add them to the image: {}",
            copies
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    )
}
