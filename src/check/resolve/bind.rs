//! The symbols of one process: where musl binds each name an object needs
//! (musl itself, the loaded objects in load order, tabulated packages, the
//! host, gcompat), and which names nothing provides.

use rustc_hash::{FxHashMap, FxHashSet};

use super::super::needs::{LibcFacts, Lookup};
use super::super::provider::{self, LibraryProvider, PackageTable};
use super::super::tree::TreeIndex;
use super::{LoadGraph, LoadedLibrary, ObjectSymbols, ResolveContext, Resolver};
use crate::model::{ElfFacts, MissingSymbol, Reference, RequiredSymbol};
use crate::platform::musl::is_gcompat_loader_stub;
use crate::platform::{BaseLibrary, Platform};

/// A process of at most this many objects asks each of them for a symbol
/// name; a larger one (a chain of hundreds) looks the name up in the index
/// of every tree file's exports, which only such a process needs built.
pub(super) const PROBED_OBJECTS: usize = 16;

/// Where the process looks symbols up: musl, the loaded objects of the
/// tree, tabulated packages, the host, gcompat.
pub(super) struct Scope<'g, 't> {
    resolver: &'g Resolver<'t>,
    ctx: &'g ResolveContext<'g>,
    pub(super) gcompat_active: bool,
    objects: &'g [usize],
    /// The other objects loaded with the root's loader (its module's
    /// dlopen group), asked only for what the root's own load lacks.
    loaded_with: &'g [usize],
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
    /// The loaded objects with undefined names at an address (a non-PIE
    /// program's canonical PLT entries; few).
    plt_address_objects: Vec<usize>,
    package_tables: Vec<PackageTable>,
    unchecked_libraries: Vec<&'g LoadedLibrary>,
}

impl<'g, 't> Scope<'g, 't> {
    pub(super) fn new(
        resolver: &'g Resolver<'t>,
        ctx: &'g ResolveContext<'g>,
        graph: &'g LoadGraph,
    ) -> Self {
        // libgcompat loaded by name (`libresolv.so.2`) supplies its names;
        // the loader stub loaded by name supplies none.
        let gcompat_active = ctx.gcompat_installed
            && (ctx.gcompat_reaches_root
                || graph.loaded.iter().any(|lib| {
                    lib.provider == LibraryProvider::Gcompat && !is_gcompat_loader_stub(&lib.name)
                }));
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
            loaded_with: ctx.loaded_with,
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
            ifunc_objects: objects_with(resolver, graph, |facts| {
                !facts.ifunc_only_exports.is_empty()
            }),
            plt_address_objects: objects_with(resolver, graph, |facts| {
                !facts.plt_addresses.is_empty()
            }),
            package_tables,
            unchecked_libraries,
        }
    }

    /// Every symbol `object` binds at load time, and the relocations the
    /// loader refuses; each missing symbol in full when `listed`, else counted.
    pub(super) fn resolve_object(&self, object: usize, listed: bool) -> Option<ObjectSymbols> {
        let needs = self.resolver.needs(object)?;
        let mut result = ObjectSymbols {
            redirected: needs.redirected.clone(),
            unsupported_relocations: needs.unsupported_relocations.clone(),
            ..ObjectSymbols::default()
        };
        let mut missing = Vec::new();
        for lookup in &needs.lookups {
            self.resolve_symbol((object, listed), lookup, &mut result, &mut missing);
        }
        result.missing = self.resolver.missing_lists.share(missing);
        Some(result)
    }

    /// Whether another loaded object of the tree exports `name`: of the
    /// root's own load, else of those loaded with it.
    fn in_tree(&self, object: usize, name: &str) -> bool {
        self.in_own_load(object, name)
            || self.loaded_with.iter().any(|&other| {
                other != object
                    && !self.in_scope.contains(&other)
                    && self
                        .resolver
                        .index
                        .file(other)
                        .is_some_and(|f| f.facts.exports_symbol(name))
            })
    }

    fn in_own_load(&self, object: usize, name: &str) -> bool {
        let loaded_export = || {
            self.objects.iter().any(|&other| {
                other != object
                    && self
                        .resolver
                        .index
                        .file(other)
                        .is_some_and(|f| f.facts.exports_symbol(name))
            })
        };
        match self.objects.len() {
            0 | 1 => false,
            2..=PROBED_OBJECTS => loaded_export(),
            loaded => {
                let exporters = self.resolver.exporters(name);
                if exporters.len() <= loaded {
                    exporters
                        .iter()
                        .any(|other| *other != object && self.in_scope.contains(other))
                } else {
                    // A name many files export: ask the (fewer) loaded objects.
                    loaded_export()
                }
            }
        }
    }

    /// The missing library `object` expects `required` from: the one its
    /// version need names, or the one whose file (in the tree, off the search
    /// path) exports it, or for a name without a version (what musl builds
    /// and unversioned libraries ask for) the one library missing.
    fn expected_from_missing(&self, object: usize, required: &RequiredSymbol) -> Option<&'g str> {
        let index = self.resolver.index;
        let missing = self.missing_for.get(&object)?;
        missing
            .iter()
            .find(|(library, file)| {
                required.library.as_deref() == Some(*library)
                    || file
                        .and_then(|f| index.file(f))
                        .is_some_and(|f| f.facts.exports_symbol(&required.name))
            })
            .or_else(|| match missing.as_slice() {
                [only] if required.library.is_none() => Some(only),
                _ => None,
            })
            .map(|(library, _)| *library)
    }

    /// Whether a GOT or data reference to `required` binds to another loaded
    /// object's PLT address: musl's `find_sym2` skips an undefined entry
    /// only for a PLT slot's lookup (`need_def`), which `plt_slot` says the
    /// object also makes.
    fn at_plt_address(&self, object: usize, required: &RequiredSymbol) -> bool {
        !required.plt_slot
            && self.plt_address_objects.iter().any(|&other| {
                other != object
                    && self
                        .resolver
                        .index
                        .file(other)
                        .is_some_and(|f| f.facts.plt_addresses.contains(&required.name))
            })
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

    pub(super) fn describe(&self) -> Vec<String> {
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
        missing: &mut Vec<MissingSymbol>,
    ) {
        let (platform, ctx, required) = (self.resolver.platform, self.ctx, lookup.required);
        let name = required.name.as_str();
        if self.in_tree(object, name) || self.at_plt_address(object, required) {
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
            .is_some_and(|host| super::super::host::provides(host, name))
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
        missing.push(MissingSymbol {
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

/// The loaded objects whose facts `has` says yes to (the few a rule of the
/// scope concerns).
fn objects_with(
    resolver: &Resolver,
    graph: &LoadGraph,
    has: impl Fn(&ElfFacts) -> bool,
) -> Vec<usize> {
    graph
        .objects
        .iter()
        .copied()
        .filter(|&o| resolver.index.file(o).is_some_and(|f| has(f.facts)))
        .collect()
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
