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

mod bind;

use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use super::needs::{MuslAnswers, ObjectNeeds};
use super::provider::{self, LibraryAnswer, LibraryProvider};
use super::rpath::SearchRules;
use super::search::{NotFound, Search, chain, loaded_before, loaders};
use super::symbol_lists::SymbolLists;
use super::tree::TreeIndex;
use crate::model::{ElfFacts, Host, MissingLibrary, MissingSymbol, Reference};
use crate::platform::Platform;
use bind::Scope;

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
    pub missing: Arc<[MissingSymbol]>,
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
    /// The tree objects the outermost of `loaded_through` loads with it
    /// (empty when that is nothing): their names bind the root's symbols.
    /// musl's dlopen makes the module and all it needs global while it
    /// relocates them, as a program's are from its start (libgsl's `cblas_*`
    /// come from the OpenBLAS that cvxopt's module needs, not libgsl).
    pub loaded_with: &'t [usize],
}

/// What each distinct object of the tree asks of the loader, and which of
/// them each file's is (files sharing their facts share it).
fn distinct_needs<'t>(
    index: &'t TreeIndex<'t>,
    count: usize,
    platform: &Platform,
) -> (Vec<ObjectNeeds<'t>>, Vec<Option<usize>>) {
    let mut first_with: FxHashMap<*const ElfFacts, usize> = FxHashMap::default();
    let mut distinct: Vec<&'t ElfFacts> = Vec::new();
    let needs_of = (0..count)
        .map(|i| {
            let facts = index.file(i)?.facts;
            Some(
                *first_with
                    .entry(std::ptr::from_ref(facts))
                    .or_insert_with(|| {
                        distinct.push(facts);
                        distinct.len() - 1
                    }),
            )
        })
        .collect();
    let needs = distinct
        .into_par_iter()
        .map_init(MuslAnswers::default, |answers, facts| {
            ObjectNeeds::of(facts, platform, answers)
        })
        .collect();
    (needs, needs_of)
}

/// The objects of one process in load order, each with the objects that
/// loaded it, nearest first.
pub type LoadChains = Vec<(usize, Vec<usize>)>;

/// Resolves the files of one tree on one platform, reusing what does not
/// depend on the process (see the module documentation).
pub struct Resolver<'t> {
    index: &'t TreeIndex<'t>,
    platform: &'t Platform,
    /// What each distinct object asks of the loader; `needs_of` says which
    /// is each file's (by index). Copies of a file share one: their content,
    /// so their facts, are one, and one object's lookups can be 100,000.
    needs: Vec<ObjectNeeds<'t>>,
    needs_of: Vec<Option<usize>>,
    /// Per file: where the tree has each library it needs (by DT_NEEDED position).
    searches: &'t [Search],
    /// Symbol name → tree files exporting it; built when a process of more
    /// than [`bind::PROBED_OBJECTS`] objects first asks (the others wait).
    exporters: OnceLock<FxHashMap<&'t str, Vec<usize>>>,
    /// The roots' missing symbols, one copy of each long list.
    missing_lists: SymbolLists,
}

impl<'t> Resolver<'t> {
    pub fn new(index: &'t TreeIndex<'t>, count: usize, platform: &'t Platform) -> Self {
        // Independent: worked out side by side.
        let ((needs, needs_of), searches) = rayon::join(
            || distinct_needs(index, count, platform),
            || index.searches(SearchRules::Musl),
        );
        Resolver {
            index,
            platform,
            needs,
            needs_of,
            searches,
            exporters: OnceLock::new(),
            missing_lists: SymbolLists::default(),
        }
    }

    /// What file `object` asks of the loader.
    fn needs(&self, object: usize) -> Option<&ObjectNeeds<'t>> {
        self.needs.get((*self.needs_of.get(object)?)?)
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
