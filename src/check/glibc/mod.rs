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

use rustc_hash::FxHashMap;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

mod findings;

use findings::{
    executable_stack_note, executable_stack_refused, glibc_private, interpreter_missing,
    missing_libraries, missing_symbols, runtime_files_missing, unchecked_needs,
    version_nodes_missing,
};

use super::provider::off_search_path;
use super::rpath::SearchRules;
use super::search::{NotFound, Search, chain, jdk_vm, loaded_before};
use super::symbol_lists::SymbolLists;
use super::tree::{TreeFile, TreeIndex};
use super::verdict;
use crate::model::{
    Assessment, Class, Finding, Linkage, LoadSummary, MissingLibrary, MissingNode, MissingSymbol,
    RequiredSymbol, StackNeed, Verdict, Version,
};
use crate::model::{Host, HostKind};
use crate::platform::{Library, Platform};

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
    /// The image's glibc release when it refuses executable stacks to dlopen.
    refusing_executable_stacks: Option<String>,
    /// Per file: what it loads when it is the module or program that loads
    /// others (worked out when first asked).
    groups: Vec<OnceLock<Group>>,
    /// The files' missing symbols, one copy of each long list.
    missing_lists: SymbolLists,
}

/// What a module's dlopen (or a program's start) loads: the scope in which
/// ld.so relocates each of those objects holds them all (the dlopened
/// object's local search list, or the global scope), so a library's names
/// bind in objects it does not itself need (libgsl's `cblas_*` in the
/// OpenBLAS that cvxopt's module needs).
struct Group {
    objects: Vec<usize>,
    image_libraries: Vec<&'static Library>,
}

/// The file's need of an executable stack, as glibc reads its `PT_GNU_STACK`.
fn stack_need(file: &TreeFile) -> Option<StackNeed> {
    let facts = file.facts;
    facts
        .stack
        .executable_for_glibc(facts.arch)?
        .then(|| StackNeed {
            path: file.shown.to_string(),
            stack: facts.stack,
        })
}

/// One process: the tree objects loaded, in load order, and every needed name's provider.
struct Load {
    objects: Vec<usize>,
    providers: HashMap<String, Provider>,
    loaded: Vec<(String, String)>,
    missing: Vec<(usize, MissingLibrary)>,
}

impl Load {
    /// The first needed name `object` was loaded under (ld.so names a
    /// dependency by it in its messages).
    fn needed_name(&self, object: usize) -> Option<String> {
        self.loaded
            .iter()
            .map(|(name, _)| name)
            .find(
                |name| matches!(self.providers.get(*name), Some(Provider::Tree(o)) if *o == object),
            )
            .cloned()
    }
}

impl<'t> GlibcResolver<'t> {
    pub fn new(index: &'t TreeIndex<'t>, platform: &'t Platform) -> Self {
        GlibcResolver {
            index,
            platform,
            searches: index.searches(SearchRules::Glibc),
            refusing_executable_stacks: platform
                .refuses_executable_stack_in_dlopen()
                .then(|| platform.glibc_version().map(|v| v.to_string()))
                .flatten(),
            groups: (0..index.file_count()).map(|_| OnceLock::new()).collect(),
            missing_lists: SymbolLists::default(),
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
        let group = loaded_through
            .last()
            .and_then(|&outermost| self.group(outermost));
        let symbols = self.symbols(file, (&load, group), &nodes.failed_nodes, host);
        if !symbols.missing.is_empty() {
            findings.push(missing_symbols(
                (file, host),
                self.missing_lists.share(symbols.missing),
                &load.loaded,
            ));
        }
        let unchecked = symbols.unchecked.len() + nodes.unknown.len();
        if unchecked > 0 {
            findings.push(unchecked_needs(&symbols.unchecked, &nodes.unknown));
        }
        findings.extend(self.executable_stack(file, &load, host));
        let verdict = verdict(&findings, false, unchecked > 0);
        let mut assessment = Assessment::of(verdict, findings);
        assessment.load = Some(LoadSummary {
            libraries: load.loaded,
            from_host: symbols.from_host,
            ..LoadSummary::default()
        });
        assessment
    }

    /// MC113 when the file's host loads it with dlopen and an object that
    /// maps needs an executable stack the image's glibc refuses to grant;
    /// MC402 for such a library itself when no host is known.
    fn executable_stack(
        &self,
        file: &TreeFile,
        load: &Load,
        host: Option<&Host>,
    ) -> Option<Finding> {
        let platform = self.platform;
        let glibc = self.refusing_executable_stacks.as_deref()?;
        let Some(host) = host else {
            // A program makes its stack executable when it starts; a library
            // nothing in the tree loads may still be dlopened.
            let needs = stack_need(file)?;
            return (!file.facts.is_executable())
                .then(|| executable_stack_note(needs, glibc, platform));
        };
        let needs: Vec<(StackNeed, String)> = load
            .objects
            .iter()
            .filter_map(|&object| {
                let loaded = self.index.file(object)?;
                let need = stack_need(loaded)?;
                let name = load
                    .needed_name(object)
                    .unwrap_or_else(|| loaded.file_name().to_string());
                Some((need, name))
            })
            .collect();
        executable_stack_refused(file, needs, host, glibc, platform)
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
        let mut preloaded = loaded_before(
            self.index,
            self.searches,
            loaded_through,
            SearchRules::Glibc,
        );
        if let Some(vm) = jdk_vm(self.index, root) {
            preloaded.entry("libjvm.so").or_insert(vm);
        }
        let mut in_graph: HashSet<usize> = HashSet::from([root]);
        // Object → the object whose needs loaded it (ld.so's `l_loader`).
        let mut loaded_by: FxHashMap<usize, usize> = FxHashMap::default();
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
                let in_tree = match (preloaded.get(name.as_str()), self.searches.get(object)) {
                    (Some(&found), _) => Ok(found),
                    (None, Some(search)) => {
                        let chain =
                            chain(self.searches, (&loaded_by, object), (root, loaded_through));
                        search.run_glibc(self.index, position, name, chain)
                    }
                    (None, None) => Err(NotFound::nowhere()),
                };
                let provider = match in_tree {
                    Ok(found) => {
                        if in_graph.insert(found) {
                            load.objects.push(found);
                            loaded_by.insert(found, object);
                        }
                        Some(Provider::Tree(found))
                    }
                    // The search stopped at a file by the name that does
                    // not load: ld.so looks nowhere else.
                    Err(not_found) if not_found.unloadable_at().is_some() => {
                        load.missing.push((
                            object,
                            MissingLibrary {
                                name: name.clone(),
                                needed_by: file.shown.to_string(),
                                looked_in: not_found.looked_in(self.index),
                                gcompat_provides: false,
                                note: None,
                                in_tree_at: None,
                                symbols_expected: Vec::new(),
                                unloadable_at: not_found.unloadable_at().cloned(),
                            },
                        ));
                        None
                    }
                    Err(not_found) => match self.platform.image_library(name) {
                        Some(library) => Some(Provider::Image(library)),
                        None if !self.platform.image_libraries_known() => Some(Provider::Unknown),
                        None => {
                            let mut looked_in = not_found.looked_in(self.index);
                            let passed_over = not_found
                                .passed_over(self.index)
                                .and_then(|f| self.index.file(f));
                            looked_in.push(format!("{} (its libraries)", self.platform.target));
                            load.missing.push((
                                object,
                                MissingLibrary {
                                    name: name.clone(),
                                    needed_by: file.shown.to_string(),
                                    looked_in,
                                    gcompat_provides: false,
                                    note: passed_over.and_then(|other| built_for(file, other)),
                                    in_tree_at: match passed_over {
                                        Some(other) => Some(other.shown.to_string()),
                                        None => off_search_path(self.index, name),
                                    },
                                    symbols_expected: Vec::new(),
                                    unloadable_at: None,
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
                let library = match load.providers.get(&need.library) {
                    Some(Provider::Image(library)) => Some(*library),
                    // An image whose library list is not known still has
                    // its glibc's libraries, of a known version.
                    Some(Provider::Unknown) => None,
                    // A tree library's definitions are not read; a missing one is MC103.
                    _ => continue,
                };
                for node in &need.versions {
                    let defined = library
                        .and_then(|library| library.defines(node))
                        .or_else(|| self.newer_than_glibc(&need.library, node).then_some(false));
                    match defined {
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
                            let newest_defined = match library {
                                Some(library) => Version::node(node).and_then(|(family, _)| {
                                    library.versions.newest(family).map(str::to_string)
                                }),
                                None => None,
                            };
                            check.missing.push(MissingNode {
                                library: need.library.clone(),
                                path: library.and_then(|l| l.path).map(str::to_string),
                                node: node.clone(),
                                newest_defined: newest_defined.or_else(|| {
                                    let version = self.platform.glibc_version()?;
                                    self.newer_than_glibc(&need.library, node)
                                        .then(|| format!("glibc {version}"))
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

    /// Whether `node` (`GLIBC_2.34`) of `library`, one of glibc's own, is
    /// newer than the image's glibc: no glibc defines a node after its own
    /// version, so the image's build lacks it whatever else is unknown of it
    /// (a versions-only profile, a library not tabulated).
    fn newer_than_glibc(&self, library: &str, node: &str) -> bool {
        let Some(glibc) = self.platform.glibc_version() else {
            return false;
        };
        is_glibc_library(library)
            && node.strip_prefix("GLIBC_").is_some_and(|version| {
                version.starts_with(|c: char| c.is_ascii_digit())
                    && Version::release(version) > glibc
            })
    }

    /// What `outermost` loads in a process of its own.
    fn group(&self, outermost: usize) -> Option<&Group> {
        let cell = self.groups.get(outermost)?;
        Some(cell.get_or_init(|| {
            let load = self.load(outermost, &[]);
            Group {
                image_libraries: image_libraries(&load),
                objects: load.objects,
            }
        }))
    }

    /// The root's needed symbols against the exports of the image's
    /// libraries and the tree objects in the process: its own load's, and
    /// those loaded with it (`group`).
    fn symbols(
        &self,
        file: &TreeFile,
        (load, group): (&Load, Option<&Group>),
        failed_nodes: &HashSet<(String, String)>,
        host: Option<&Host>,
    ) -> SymbolCheck {
        let mut check = SymbolCheck::default();
        let root = load.objects.first().copied();
        let loaded_with = group.map_or(&[][..], |g| g.objects.as_slice());
        let mut seen: HashSet<usize> = HashSet::new();
        let tree_objects: Vec<&TreeFile> = load
            .objects
            .iter()
            .chain(loaded_with)
            .filter(|&&o| Some(o) != root && seen.insert(o))
            .filter_map(|&o| self.index.file(o))
            .collect();
        let mut image_libraries = image_libraries(load);
        image_libraries.extend(group.into_iter().flat_map(|g| g.image_libraries.iter()));
        // Every process has ld.so in its global scope, whatever loads
        // first: __tls_get_addr and _dl_* resolve there even for a library
        // that needs nothing (libddwaf.so links its runtime statically).
        image_libraries.extend(
            self.platform
                .interpreter()
                .and_then(|path| path.rsplit('/').next())
                .and_then(|name| self.platform.image_library(name)),
        );
        // A module is loaded into the interpreter's process, whose global
        // scope already holds what the interpreter links: their names
        // resolve there.
        if let Some(host) = host {
            image_libraries.extend(
                host_process_libraries(host.kind)
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
            if tree_objects.iter().any(|o| o.facts.binds_for_glibc(name)) {
                continue;
            }
            // The interpreter's own names (`Py*`, `napi_*`): the process has them.
            if host.is_some_and(|host| super::host::provides(host, name)) {
                check.from_host += 1;
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

/// The image's libraries a load maps.
fn image_libraries(load: &Load) -> Vec<&'static Library> {
    load.providers
        .values()
        .filter_map(|p| match p {
            Provider::Image(library) => Some(*library),
            _ => None,
        })
        .collect()
}

/// What an interpreter process has loaded before any module: the image's
/// libraries its program links (DT_NEEDED of Debian 11's python3.9,
/// libnode72, OpenJDK 17's libjvm and libruby2.7; from glibc 2.34 libdl,
/// libpthread and librt are stubs, their names in libc). Only the JVM and
/// Ruby link librt: a module calling shm_open without it loads there, not
/// under CPython or Node.
fn host_process_libraries(kind: HostKind) -> &'static [&'static str] {
    match kind {
        HostKind::Cpython => &[
            "libc.so.6",
            "libm.so.6",
            "libdl.so.2",
            "libpthread.so.0",
            "libutil.so.1",
        ],
        HostKind::Node => &[
            "libc.so.6",
            "libm.so.6",
            "libdl.so.2",
            "libpthread.so.0",
            "libstdc++.so.6",
            "libgcc_s.so.1",
        ],
        HostKind::Jvm => &[
            "libc.so.6",
            "libm.so.6",
            "libdl.so.2",
            "libpthread.so.0",
            "librt.so.1",
        ],
        HostKind::Ruby => &[
            "libc.so.6",
            "libm.so.6",
            "libdl.so.2",
            "libpthread.so.0",
            "librt.so.1",
            "libcrypt.so.1",
        ],
        // Debian's perl links libperl, which links these.
        HostKind::Perl => &[
            "libc.so.6",
            "libm.so.6",
            "libdl.so.2",
            "libpthread.so.0",
            "libcrypt.so.1",
        ],
        // The server links many more (libssl, libxml2, ICU …) depending on
        // its build: only those every build has.
        HostKind::Postgres => &["libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0"],
    }
}

/// What `other`, passed over on `file`'s search path, is built for, when
/// that is another machine or ELF class than `file`.
fn built_for(file: &TreeFile, other: &TreeFile) -> Option<String> {
    if other.facts.arch != file.facts.arch {
        return Some(format!("built for {}", other.facts.arch));
    }
    (other.facts.class != file.facts.class).then(|| match other.facts.class {
        Class::Elf32 => "built as 32-bit ELF".to_string(),
        Class::Elf64 => "built as 64-bit ELF".to_string(),
    })
}

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
        reference: required.reference,
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
    /// Names the host process provides (`Py*`, `napi_*`).
    from_host: usize,
}

/// The libraries glibc itself ships (its version nodes are glibc's own):
/// libc, the loader, and the libraries built from its tree.
fn is_glibc_library(soname: &str) -> bool {
    soname.starts_with("ld-linux")
        || matches!(
            soname,
            "libc.so.6"
                | "libm.so.6"
                | "libmvec.so.1"
                | "libpthread.so.0"
                | "libdl.so.2"
                | "librt.so.1"
                | "libresolv.so.2"
                | "libutil.so.1"
                | "libanl.so.1"
                | "libnsl.so.1"
                | "libBrokenLocale.so.1"
                | "libthread_db.so.1"
                | "libc_malloc_debug.so.0"
        )
}
