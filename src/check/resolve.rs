//! What musl's loader would do with one file: which libraries it loads from
//! where, and which symbols nothing provides. Modelled on `ldso/dynlink.c`:
//! reserved libc names resolve to musl itself, every non-weak symbol is bound at
//! load time by name alone, one global scope per process.
//!
//! Every file of the tree is resolved as the root of its own process (a
//! library an extension module loads, as loaded through that module), and the
//! same libraries appear in many processes. What does not depend on the
//! process is worked out once, in [`Resolver`]: which of an object's symbols
//! musl itself provides, which tree files export a name, and where the tree
//! has each library an object needs in the object's own RPATH/RUNPATH. What
//! does depend on it (the global scope: which objects are loaded, the RPATHs
//! of the chain that loaded each object, the host, gcompat) is decided per
//! process. As in musl, a library is never looked for beside the object that
//! needs it: only `LD_LIBRARY_PATH` would do that.

use std::sync::OnceLock;

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use super::needs::{LibcFacts, Lookup, ObjectNeeds};
use super::provider::{self, LibraryAnswer, LibraryProvider, PackageTable};
use super::rpath::SearchRules;
use super::search::{NotFound, Search, chain, loaded_before, loaders};
use super::tree::TreeIndex;
use crate::model::{Host, MissingLibrary, MissingSymbol, Reference, RequiredSymbol};
use crate::platform::{BaseLibrary, Platform};

#[derive(Debug, Clone)]
pub struct LoadedLibrary {
    pub name: String,
    pub needed_by: usize,
    pub provider: LibraryProvider,
}

/// How the symbols of one object in the load graph were resolved.
#[derive(Debug, Clone, Default)]
pub struct ObjectSymbols {
    /// The symbols nothing provides, each in full: for the process's root
    /// only, whose findings name them (see [`ObjectSymbols::missing_count`]).
    pub missing: Vec<MissingSymbol>,
    /// For the other objects, only how many, and how many of those only a
    /// PLT or GOT entry names: their own findings name them, and a process
    /// of N objects would otherwise build N objects' worth of symbols.
    missing_tally: MissingTally,
    /// Supplied by gcompat (only when gcompat is active for the process).
    pub from_gcompat: Vec<String>,
    /// `stat64` → `stat`: found through musl 1.2.4+'s LFS64 redirect.
    pub redirected: Vec<(String, String)>,
    pub from_host: usize,
    /// Expected from a system library whose exports are not tabulated.
    pub unchecked: Vec<String>,
    /// Relocation types musl refuses, with counts.
    pub unsupported_relocations: Vec<(u32, usize)>,
    /// Symbols expected from a library that is missing, as (library,
    /// symbol): MC103 says it, MC102 does not repeat it.
    pub from_missing_libraries: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, Default)]
struct MissingTally {
    total: usize,
    deferrable: usize,
}

impl ObjectSymbols {
    /// How many symbols nothing provides.
    pub fn missing_count(&self) -> usize {
        self.missing.len() + self.missing_tally.total
    }

    /// Of those, how many only a PLT or GOT entry names (a lazy dlopen
    /// leaves them unbound).
    pub fn deferrable_count(&self) -> usize {
        let listed = self
            .missing
            .iter()
            .filter(|m| m.reference <= Reference::Got)
            .count();
        listed + self.missing_tally.deferrable
    }
}

/// The outcome of loading one file and its dependencies.
#[derive(Debug, Clone)]
pub struct Resolution {
    /// Tree objects in load order; the first is the file itself.
    pub objects: Vec<usize>,
    pub symbols: FxHashMap<usize, ObjectSymbols>,
    pub loaded: Vec<LoadedLibrary>,
    pub missing_libraries: Vec<(usize, MissingLibrary)>,
    /// Where symbols were looked for, in order.
    pub scope: Vec<String>,
    /// gcompat's symbols were in scope.
    pub gcompat_active: bool,
    /// Object → the tree objects its needed libraries are (each needed name
    /// once, also when another object loaded it first).
    pub tree_needs: FxHashMap<usize, Vec<usize>>,
}

impl Resolution {
    /// The symbol results of each object, in load order.
    pub fn in_load_order(&self) -> impl Iterator<Item = &ObjectSymbols> {
        self.objects
            .iter()
            .filter_map(|object| self.symbols.get(object))
    }

    /// Names expected from system libraries whose exports are not tabulated.
    pub fn unchecked_symbols(&self) -> Vec<String> {
        self.in_load_order()
            .flat_map(|s| s.unchecked.iter().cloned())
            .collect()
    }

    /// The libraries `object` needs that nothing provides.
    pub fn missing_libraries_of(&self, object: usize) -> Vec<MissingLibrary> {
        self.missing_libraries
            .iter()
            .filter(|(by, _)| *by == object)
            .map(|(_, lib)| lib.clone())
            .collect()
    }
}

/// What the resolver assumes about the process.
pub struct ResolveContext<'t> {
    /// gcompat's sonames and loader stub are installed (`apk add gcompat`).
    pub gcompat_installed: bool,
    /// gcompat is preloaded into the process that loads this file (a glibc
    /// executable started through gcompat's loader stub).
    pub gcompat_reaches_root: bool,
    pub host: Option<&'t Host>,
    /// The objects that load the root in its host module's process, nearest
    /// first, the module last (empty for a file the host loads itself):
    /// their RPATH/RUNPATH end every library search of the process.
    pub loaded_through: &'t [usize],
}

/// The objects of one process in load order, each with the objects that
/// loaded it, nearest first.
pub type LoadChains = Vec<(usize, Vec<usize>)>;

/// Resolves the files of one tree on one platform, reusing what does not
/// depend on the process (see the module documentation).
pub struct Resolver<'t> {
    index: &'t TreeIndex<'t>,
    platform: &'t Platform,
    /// Per file (by index): what it asks of the loader.
    needs: Vec<Option<ObjectNeeds<'t>>>,
    /// Per file: where the tree has each library it needs (by DT_NEEDED position).
    searches: &'t [Search],
    /// Symbol name → tree files exporting it; built up front when the
    /// tree's files find one another, else when a process first loads two.
    exporters: OnceLock<FxHashMap<&'t str, Vec<usize>>>,
}

impl<'t> Resolver<'t> {
    pub fn new(index: &'t TreeIndex<'t>, count: usize, platform: &'t Platform) -> Self {
        // Independent: worked out side by side. A tree whose files find
        // one another needs the exporters: built here rather than by the
        // first process that loads two (the others waiting on it).
        let (needs, (searches, exporters)) = rayon::join(
            || {
                (0..count)
                    .into_par_iter()
                    .map(|i| index.file(i).map(|file| ObjectNeeds::of(file, platform)))
                    .collect()
            },
            || {
                let searches = index.searches(SearchRules::Musl);
                let exporters = OnceLock::new();
                if searches.iter().any(Search::finds_any) {
                    let _ = exporters.set(index.exporters());
                }
                (searches, exporters)
            },
        );
        Resolver {
            index,
            platform,
            needs,
            searches,
            exporters,
        }
    }

    /// The tree files that export `name`, in scan order.
    fn exporters(&self, name: &str) -> &[usize] {
        self.exporters
            .get_or_init(|| self.index.exporters())
            .get(name)
            .map_or(&[], Vec::as_slice)
    }

    pub fn index(&self) -> &'t TreeIndex<'t> {
        self.index
    }

    pub fn platform(&self) -> &'t Platform {
        self.platform
    }

    /// Loads `root` and everything it needs, and binds their symbols.
    pub fn resolve(&self, root: usize, ctx: &ResolveContext) -> Resolution {
        let graph = LoadGraph::build(self, root, ctx);
        let scope = Scope::new(self, ctx, &graph);
        let symbols: FxHashMap<usize, ObjectSymbols> = graph
            .objects
            .iter()
            .filter_map(|&object| Some((object, scope.resolve_object(object, object == root)?)))
            .collect();
        let (described, gcompat_active) = (scope.describe(), scope.gcompat_active);
        let mut missing_libraries = graph.missing_libraries;
        for (object, library) in &mut missing_libraries {
            library.symbols_expected = symbols
                .get(object)
                .map(|s| {
                    s.from_missing_libraries
                        .iter()
                        .filter(|(from, _)| *from == library.name)
                        .map(|(_, symbol)| symbol.clone())
                        .collect()
                })
                .unwrap_or_default();
        }
        Resolution {
            objects: graph.objects,
            symbols,
            loaded: graph.loaded,
            missing_libraries,
            scope: described,
            gcompat_active,
            tree_needs: graph.tree_needs,
        }
    }

    /// The tree objects a process of `root` loads, in load order (`root`
    /// first), each after it the objects that loaded it, nearest first
    /// (`root` last; none for `root`).
    pub fn load_chains(&self, root: usize, ctx: &ResolveContext) -> LoadChains {
        let graph = LoadGraph::build(self, root, ctx);
        graph
            .objects
            .iter()
            .map(|&object| (object, loaders(&graph.needed_by, object).collect()))
            .collect()
    }

    /// Who provides the `position`th library `object` needs, in the process
    /// of `root` in which `needed_by` says which object loaded each other one.
    fn find_library(
        &self,
        (object, position, name): (usize, usize, &str),
        (root, needed_by): (usize, &FxHashMap<usize, usize>),
        ctx: &ResolveContext,
    ) -> LibraryAnswer {
        let chain = chain(
            self.searches,
            (needed_by, object),
            (root, ctx.loaded_through),
        );
        let in_tree = match self.searches.get(object) {
            Some(search) => search.run(self.index, position, name, chain),
            None => Err(NotFound::nowhere()),
        };
        provider::find_library(self.index, self.platform, object, name, in_tree, ctx)
    }
}

/// The objects a load pulls in, breadth first as musl's `load_deps` does,
/// and every needed library's provider (or why there is none).
struct LoadGraph {
    objects: Vec<usize>,
    loaded: Vec<LoadedLibrary>,
    missing_libraries: Vec<(usize, MissingLibrary)>,
    tree_needs: FxHashMap<usize, Vec<usize>>,
    /// Object → the object whose needs loaded it (musl's `needed_by`).
    needed_by: FxHashMap<usize, usize>,
}

impl LoadGraph {
    fn build(resolver: &Resolver, root: usize, ctx: &ResolveContext) -> LoadGraph {
        let mut graph = LoadGraph {
            objects: vec![root],
            loaded: Vec::new(),
            missing_libraries: Vec::new(),
            tree_needs: FxHashMap::default(),
            needed_by: FxHashMap::default(),
        };
        let mut in_graph: FxHashSet<usize> = FxHashSet::from_iter([root]);
        let preloaded = loaded_before(
            resolver.index,
            resolver.searches,
            ctx.loaded_through,
            SearchRules::Musl,
        );
        // Needed name → the tree object the first lookup found, if any.
        let mut loaded_names: FxHashMap<&str, Option<usize>> = FxHashMap::default();
        let mut queue_position = 0;
        while let Some(&object) = graph.objects.get(queue_position) {
            queue_position += 1;
            let Some(file) = resolver.index.file(object) else {
                continue;
            };
            let mut needs = Vec::new();
            for (position, name) in file.facts.needed.iter().enumerate() {
                if let Some(found) = loaded_names.get(name.as_str()) {
                    needs.extend(*found);
                    continue;
                }
                let answer = match preloaded.get(name.as_str()) {
                    Some(&found) => provider::find_library(
                        resolver.index,
                        resolver.platform,
                        object,
                        name,
                        Ok(found),
                        ctx,
                    ),
                    None => resolver.find_library(
                        (object, position, name),
                        (root, &graph.needed_by),
                        ctx,
                    ),
                };
                match answer {
                    Ok(provider) => {
                        let found = match provider {
                            LibraryProvider::Tree(found) => Some(found),
                            _ => None,
                        };
                        loaded_names.insert(name, found);
                        if let Some(found) = found {
                            needs.push(found);
                            if in_graph.insert(found) {
                                graph.objects.push(found);
                                graph.needed_by.insert(found, object);
                            }
                        }
                        graph.loaded.push(LoadedLibrary {
                            name: name.clone(),
                            needed_by: object,
                            provider,
                        });
                    }
                    Err(missing) => {
                        loaded_names.insert(name, None);
                        graph.missing_libraries.push((object, *missing));
                    }
                }
            }
            if !needs.is_empty() {
                graph.tree_needs.insert(object, needs);
            }
        }
        graph
    }
}

/// Where the process looks symbols up: musl, the loaded objects of the
/// tree, tabulated packages, the host, gcompat.
struct Scope<'g, 't> {
    resolver: &'g Resolver<'t>,
    ctx: &'g ResolveContext<'g>,
    gcompat_active: bool,
    objects: &'g [usize],
    in_scope: FxHashSet<usize>,
    /// Object → the libraries it needs that are missing, each with the
    /// scanned file by that name the search did not reach, if any.
    missing_for: FxHashMap<usize, Vec<(&'g str, Option<usize>)>>,
    /// Export tables of the libraries the host program links (its package brings them).
    host_tables: Vec<PackageTable>,
    /// Libraries of the base image in the process.
    base_libraries: Vec<&'g BaseLibrary>,
    /// The loaded objects that define some name only as an IFUNC (few).
    ifunc_objects: Vec<usize>,
    package_tables: Vec<PackageTable>,
    unchecked_libraries: Vec<&'g LoadedLibrary>,
}

impl<'g, 't> Scope<'g, 't> {
    fn new(resolver: &'g Resolver<'t>, ctx: &'g ResolveContext<'g>, graph: &'g LoadGraph) -> Self {
        let gcompat_active = ctx.gcompat_installed
            && (ctx.gcompat_reaches_root
                || graph
                    .loaded
                    .iter()
                    .any(|lib| lib.provider == LibraryProvider::Gcompat));
        let package_tables = graph
            .loaded
            .iter()
            .filter_map(|lib| match lib.provider {
                LibraryProvider::AlpinePackage { table, .. }
                | LibraryProvider::BroughtByHost { table, .. } => table,
                _ => None,
            })
            .collect();
        let unchecked_libraries = graph
            .loaded
            .iter()
            .filter(|lib| {
                matches!(
                    lib.provider,
                    LibraryProvider::AlpinePackage { table: None, .. }
                        | LibraryProvider::BroughtByHost { table: None, .. }
                )
            })
            .collect();
        Scope {
            resolver,
            ctx,
            gcompat_active,
            objects: &graph.objects,
            in_scope: graph.objects.iter().copied().collect(),
            missing_for: {
                let mut missing_for: FxHashMap<usize, Vec<(&'g str, Option<usize>)>> =
                    FxHashMap::default();
                for (object, library) in &graph.missing_libraries {
                    let file = resolver.index.named(&library.name).map(|(_, file)| file);
                    missing_for
                        .entry(*object)
                        .or_default()
                        .push((library.name.as_str(), file));
                }
                missing_for
            },
            host_tables: ctx
                .host
                .map(|host| resolver.platform.brought_by_host(host.kind))
                .unwrap_or_default()
                .iter()
                .filter_map(|brought| provider::package_table(brought.soname))
                .collect(),
            base_libraries: graph
                .loaded
                .iter()
                .filter_map(|lib| match &lib.provider {
                    LibraryProvider::BaseImage(base) => Some(base),
                    _ => None,
                })
                .collect(),
            ifunc_objects: graph
                .objects
                .iter()
                .copied()
                .filter(|&o| {
                    resolver
                        .index
                        .file(o)
                        .is_some_and(|f| !f.facts.ifunc_only_exports.is_empty())
                })
                .collect(),
            package_tables,
            unchecked_libraries,
        }
    }

    /// Every symbol `object` binds at load time, and the relocations the
    /// loader refuses; each missing symbol in full when `listed`, else counted.
    fn resolve_object(&self, object: usize, listed: bool) -> Option<ObjectSymbols> {
        let needs = self.resolver.needs.get(object)?.as_ref()?;
        let mut result = ObjectSymbols {
            redirected: needs.redirected.clone(),
            unsupported_relocations: needs.unsupported_relocations.clone(),
            ..ObjectSymbols::default()
        };
        for lookup in &needs.lookups {
            self.resolve_symbol((object, listed), lookup, &mut result);
        }
        Some(result)
    }

    /// Whether another loaded object of the tree exports `name`.
    fn in_tree(&self, object: usize, name: &str) -> bool {
        if self.objects.len() < 2 {
            return false;
        }
        let exporters = self.resolver.exporters(name);
        if exporters.len() <= self.objects.len() {
            exporters
                .iter()
                .any(|other| *other != object && self.in_scope.contains(other))
        } else {
            // A name many files export: ask the (fewer) loaded objects.
            self.objects.iter().any(|&other| {
                other != object
                    && self
                        .resolver
                        .index
                        .file(other)
                        .is_some_and(|f| f.facts.exports_symbol(name))
            })
        }
    }

    /// The missing library `object` expects `required` from: the one its
    /// version need names, or the one whose file (in the tree, off the search
    /// path) exports it.
    fn expected_from_missing(&self, object: usize, required: &RequiredSymbol) -> Option<&'g str> {
        let index = self.resolver.index;
        self.missing_for
            .get(&object)?
            .iter()
            .find(|(library, file)| {
                required.library.as_deref() == Some(*library)
                    || file
                        .and_then(|f| index.file(f))
                        .is_some_and(|f| f.facts.exports_symbol(&required.name))
            })
            .map(|(library, _)| *library)
    }

    /// The first loaded object that defines `name`, but only as an IFUNC:
    /// another one for an undefined name, `object` itself for one of its
    /// own IFUNCs a relocation names.
    fn ifunc_definer(&self, name: &str) -> Option<String> {
        let index = self.resolver.index;
        self.ifunc_objects
            .iter()
            .filter_map(|&other| index.file(other))
            .find(|file| file.facts.defines_only_as_ifunc(name))
            .map(|file| file.shown.to_string())
    }

    fn describe(&self) -> Vec<String> {
        let tree_libraries: Vec<usize> = self.objects.iter().skip(1).copied().collect();
        describe_scope(
            self.resolver.index,
            self.resolver.platform,
            self.ctx,
            self.gcompat_active,
            &tree_libraries,
            &self.package_tables,
            &self.unchecked_libraries,
        )
        .into_iter()
        .chain(
            self.base_libraries
                .iter()
                .map(|library| format!("{} ({})", library.name, library.describe())),
        )
        .collect()
    }

    /// Binds one symbol musl itself does not provide the way musl does: the
    /// global scope in load order; records where it came from or that nothing
    /// has it.
    fn resolve_symbol(
        &self,
        (object, listed): (usize, bool),
        lookup: &Lookup,
        result: &mut ObjectSymbols,
    ) {
        let (platform, ctx, required) = (self.resolver.platform, self.ctx, lookup.required);
        let name = required.name.as_str();
        if self.in_tree(object, name) {
            return;
        }
        if !self.package_tables.is_empty() && lookup.packages(platform).in_any(&self.package_tables)
        {
            return;
        }
        if self
            .base_libraries
            .iter()
            .any(|library| platform.base_exports(library, name))
        {
            return;
        }
        if ctx
            .host
            .is_some_and(|host| super::host::provides(host, name))
        {
            result.from_host += 1;
            return;
        }
        // The host program links the libraries its package brings (Alpine's
        // node links libstdc++ and libgcc_s): their names are in every
        // module's global scope.
        if !self.host_tables.is_empty() && lookup.packages(platform).in_any(&self.host_tables) {
            result.from_host += 1;
            return;
        }
        let LibcFacts {
            gcompat_provides,
            glibc,
        } = lookup.libc(platform);
        if self.gcompat_active && gcompat_provides {
            result.from_gcompat.push(name.to_string());
            return;
        }
        // A system library with no export table may supply it; a glibc name it
        // does not (nothing but glibc exports glibc's own symbols).
        let maybe_unchecked = !self.unchecked_libraries.is_empty()
            && glibc.is_none()
            && match &required.library {
                Some(library) => self
                    .unchecked_libraries
                    .iter()
                    .any(|lib| &lib.name == library),
                None => true,
            };
        if maybe_unchecked {
            result.unchecked.push(name.to_string());
            return;
        }
        if let Some(library) = self.expected_from_missing(object, required) {
            result
                .from_missing_libraries
                .push((library.to_string(), name.to_string()));
            return;
        }
        if !listed {
            result.missing_tally.total += 1;
            if required.reference <= Reference::Got {
                result.missing_tally.deferrable += 1;
            }
            return;
        }
        let expected_library = required
            .library
            .clone()
            .or_else(|| glibc.map(|g| g.soname.to_string()))
            .or_else(|| name.starts_with("_Z").then(|| "libstdc++.so.6".to_string()));
        result.missing.push(MissingSymbol {
            name: name.to_string(),
            version: required.version.clone(),
            expected_library,
            glibc_since: glibc.map(|g| g.first_version.to_string()),
            gcompat_provides,
            copy_relocation: required.copy_relocation,
            ifunc_only_in: self.ifunc_definer(name),
            reference: required.reference,
        });
    }
}

fn describe_scope(
    index: &TreeIndex,
    platform: &Platform,
    ctx: &ResolveContext,
    gcompat_active: bool,
    tree_libraries: &[usize],
    package_tables: &[PackageTable],
    unchecked: &[&LoadedLibrary],
) -> Vec<String> {
    let musl = platform.target.musl();
    let mut scope = vec![format!(
        "musl {}{}",
        musl.map_or("?", |t| t.musl.as_str()),
        if musl.is_some_and(|t| t.is_debian_build()) {
            " (Debian build)"
        } else {
            ""
        }
    )];
    for &lib in tree_libraries {
        if let Some(file) = index.file(lib) {
            scope.push(format!("{} (scanned)", file.shown));
        }
    }
    let gcc = platform.gcc_runtime().gcc;
    for table in package_tables {
        scope.push(match table {
            PackageTable::Libstdcxx => {
                format!("libstdc++.so.6 (Alpine libstdc++, GCC {gcc} exports)")
            }
            PackageTable::LibgccS => format!("libgcc_s.so.1 (Alpine libgcc, GCC {gcc} exports)"),
        });
    }
    for lib in unchecked {
        scope.push(format!(
            "{} (Alpine package, exports not tabulated)",
            lib.name
        ));
    }
    if let Some(host) = ctx.host {
        scope.push(format!("host process {} ({})", host.name(), host.evidence));
        for brought in platform.brought_by_host(host.kind) {
            scope.push(format!(
                "{} (apk {}, linked by the host: brought by Alpine's {} package)",
                brought.soname, brought.package, brought.host_package
            ));
        }
    }
    if gcompat_active {
        scope.push("gcompat 1.1.0".to_string());
    }
    scope
}
