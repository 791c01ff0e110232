//! What musl's loader would do with one file: which libraries it loads from
//! where, and which symbols nothing provides. Modelled on `ldso/dynlink.c`:
//! reserved libc names resolve to musl itself, every non-weak symbol is bound at
//! load time by name alone, one global scope per process.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::tree::{TreeFile, TreeIndex, normalize};
use crate::model::{
    Host, HostKind, MissingLibrary, MissingSymbol, RequiredSymbol, display_location,
};
use crate::platform::musl::{is_gcompat_soname, is_reserved_name};
use crate::platform::{MuslProvides, Platform, SonameProvider, alpine_provider};

/// Who provides a needed library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LibraryProvider {
    Musl,
    /// A file in the scanned tree (index into the analysed files).
    Tree(usize),
    Gcompat,
    /// An Alpine package; `checked` when muslcheck has its export table.
    AlpinePackage {
        package: &'static str,
        table: Option<PackageTable>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageTable {
    Libstdcxx,
    LibgccS,
}

#[derive(Debug, Clone)]
pub struct LoadedLibrary {
    pub name: String,
    pub needed_by: usize,
    pub provider: LibraryProvider,
}

/// How the symbols of one object in the load graph were resolved.
#[derive(Debug, Clone, Default)]
pub struct ObjectSymbols {
    pub missing: Vec<MissingSymbol>,
    /// Supplied by gcompat (only when gcompat is active for the process).
    pub from_gcompat: Vec<String>,
    /// `stat64` → `stat`: found through musl 1.2.4+'s LFS64 redirect.
    pub redirected: Vec<(String, String)>,
    pub from_host: usize,
    /// Expected from a system library whose exports are not tabulated.
    pub unchecked: Vec<String>,
    /// Relocation types musl refuses, with counts.
    pub unsupported_relocations: Vec<(u32, usize)>,
}

/// The outcome of loading one file and its dependencies.
#[derive(Debug, Clone)]
pub struct Resolution {
    /// Tree objects in load order; the first is the file itself.
    pub objects: Vec<usize>,
    pub symbols: HashMap<usize, ObjectSymbols>,
    pub loaded: Vec<LoadedLibrary>,
    pub missing_libraries: Vec<(usize, MissingLibrary)>,
    /// Where symbols were looked for, in order.
    pub scope: Vec<String>,
    /// gcompat's symbols were in scope.
    pub gcompat_active: bool,
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

/// Who provided a library, for the load summary.
pub fn describe_provider(index: &TreeIndex, provider: &LibraryProvider) -> String {
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

/// What the resolver assumes about the process.
pub struct ResolveContext<'t> {
    pub platform: &'t Platform,
    /// gcompat's sonames and loader stub are installed (`apk add gcompat`).
    pub gcompat_installed: bool,
    /// gcompat is preloaded into the process that loads this file (a glibc
    /// executable started through gcompat's loader stub).
    pub gcompat_reaches_root: bool,
    pub host: Option<&'t Host>,
}

pub fn resolve(index: &TreeIndex, root: usize, ctx: &ResolveContext) -> Resolution {
    let graph = LoadGraph::build(index, root, ctx);
    let scope = Scope::new(index, ctx, &graph);
    let symbols = graph
        .objects
        .iter()
        .filter_map(|&object| Some((object, scope.resolve_object(object, index.file(object)?))))
        .collect();
    let (described, gcompat_active) = (scope.describe(), scope.gcompat_active);
    Resolution {
        objects: graph.objects,
        symbols,
        loaded: graph.loaded,
        missing_libraries: graph.missing_libraries,
        scope: described,
        gcompat_active,
    }
}

/// The objects a load pulls in, breadth first as musl's `load_deps` does,
/// and every needed library's provider (or why there is none).
struct LoadGraph {
    objects: Vec<usize>,
    loaded: Vec<LoadedLibrary>,
    missing_libraries: Vec<(usize, MissingLibrary)>,
}

impl LoadGraph {
    fn build(index: &TreeIndex, root: usize, ctx: &ResolveContext) -> LoadGraph {
        let mut graph = LoadGraph {
            objects: vec![root],
            loaded: Vec::new(),
            missing_libraries: Vec::new(),
        };
        let mut loaded_names: HashSet<&str> = HashSet::new();
        let mut queue_position = 0;
        while let Some(&object) = graph.objects.get(queue_position) {
            queue_position += 1;
            let Some(file) = index.file(object) else {
                continue;
            };
            for name in &file.facts.needed {
                if !loaded_names.insert(name) {
                    continue;
                }
                match find_library(index, object, root, name, ctx) {
                    Ok(provider) => {
                        if let LibraryProvider::Tree(found) = provider
                            && !graph.objects.contains(&found)
                        {
                            graph.objects.push(found);
                        }
                        graph.loaded.push(LoadedLibrary {
                            name: name.clone(),
                            needed_by: object,
                            provider,
                        });
                    }
                    Err(missing) => graph.missing_libraries.push((object, missing)),
                }
            }
        }
        graph
    }
}

/// Where the process looks symbols up: musl, the loaded objects of the
/// tree, tabulated packages, the host, gcompat.
struct Scope<'g> {
    index: &'g TreeIndex<'g>,
    ctx: &'g ResolveContext<'g>,
    gcompat_active: bool,
    objects: &'g [usize],
    package_tables: Vec<PackageTable>,
    unchecked_libraries: Vec<&'g LoadedLibrary>,
}

impl<'g> Scope<'g> {
    fn new(index: &'g TreeIndex<'g>, ctx: &'g ResolveContext<'g>, graph: &'g LoadGraph) -> Self {
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
                LibraryProvider::AlpinePackage { table, .. } => table,
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
                )
            })
            .collect();
        Scope {
            index,
            ctx,
            gcompat_active,
            objects: &graph.objects,
            package_tables,
            unchecked_libraries,
        }
    }

    /// Every symbol `file` binds at load time, and the relocations the loader refuses.
    fn resolve_object(&self, object: usize, file: &TreeFile) -> ObjectSymbols {
        let mut result = ObjectSymbols::default();
        for required in file
            .facts
            .required_symbols
            .iter()
            .filter(|s| !s.weak && s.relocated)
        {
            self.resolve_symbol(object, required, &mut result);
        }
        if let Some(handled) = crate::platform::musl::handled_relocation_types(file.facts.arch) {
            result.unsupported_relocations = file
                .facts
                .relocation_types
                .iter()
                .filter(|r| !handled.contains(&r.r_type))
                .map(|r| (r.r_type, r.count))
                .collect();
        }
        result
    }

    fn describe(&self) -> Vec<String> {
        let tree_libraries: Vec<usize> = self.objects.iter().skip(1).copied().collect();
        describe_scope(
            self.index,
            self.ctx,
            self.gcompat_active,
            &tree_libraries,
            &self.package_tables,
            &self.unchecked_libraries,
        )
    }

    /// Binds one symbol the way musl does: libc first, then the global scope
    /// in load order; records where it came from or that nothing has it.
    fn resolve_symbol(&self, object: usize, required: &RequiredSymbol, result: &mut ObjectSymbols) {
        let (index, ctx) = (self.index, self.ctx);
        let name = required.name.as_str();
        match ctx.platform.libc_provides(name) {
            Some(MuslProvides::Exported) => return,
            Some(MuslProvides::Lfs64Redirect(target)) => {
                result
                    .redirected
                    .push((name.to_string(), target.to_string()));
                return;
            }
            None => {}
        }
        let in_tree = self.objects.iter().any(|&other| {
            other != object
                && index
                    .file(other)
                    .is_some_and(|f| f.facts.exports_symbol(name))
        });
        if in_tree {
            return;
        }
        let in_package = self.package_tables.iter().any(|table| match table {
            PackageTable::Libstdcxx => ctx.platform.tables().libstdcxx_exports(name),
            PackageTable::LibgccS => ctx.platform.tables().libgcc_s_exports(name),
        });
        if in_package {
            return;
        }
        if ctx
            .host
            .is_some_and(|host| super::host::provides(host, name))
        {
            result.from_host += 1;
            return;
        }
        // Alpine's node (apk nodejs, the node:alpine images) links libstdc++ and
        // libgcc_s, so their names are in every addon's global scope.
        let node_on_alpine =
            ctx.platform.has_packages() && ctx.host.is_some_and(|host| host.kind == HostKind::Node);
        if node_on_alpine
            && (ctx.platform.tables().libstdcxx_exports(name)
                || ctx.platform.tables().libgcc_s_exports(name))
        {
            result.from_host += 1;
            return;
        }
        let gcompat_provides = ctx.platform.tables().gcompat_provides(name);
        if self.gcompat_active && gcompat_provides {
            result.from_gcompat.push(name.to_string());
            return;
        }
        let glibc = ctx.platform.tables().glibc_symbol(name);
        let expected_library = required
            .library
            .clone()
            .or_else(|| glibc.map(|g| g.soname.to_string()))
            .or_else(|| name.starts_with("_Z").then(|| "libstdc++.so.6".to_string()));
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
        result.missing.push(MissingSymbol {
            name: name.to_string(),
            version: required.version.clone(),
            expected_library,
            glibc_since: glibc.map(|g| g.first_version.to_string()),
            gcompat_provides,
            copy_relocation: required.copy_relocation,
        });
    }
}

fn describe_scope(
    index: &TreeIndex,
    ctx: &ResolveContext,
    gcompat_active: bool,
    tree_libraries: &[usize],
    package_tables: &[PackageTable],
    unchecked: &[&LoadedLibrary],
) -> Vec<String> {
    let mut scope = vec![format!(
        "musl {}{}",
        ctx.platform.target.musl,
        if ctx.platform.target.is_debian_build() {
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
    for table in package_tables {
        scope.push(
            match table {
                PackageTable::Libstdcxx => "libstdc++.so.6 (Alpine libstdc++, GCC 14.2 exports)",
                PackageTable::LibgccS => "libgcc_s.so.1 (Alpine libgcc, GCC 14.2 exports)",
            }
            .to_string(),
        );
    }
    for lib in unchecked {
        scope.push(format!(
            "{} (Alpine package, exports not tabulated)",
            lib.name
        ));
    }
    if let Some(host) = ctx.host {
        scope.push(format!("host process {} ({})", host.name(), host.evidence));
        if host.kind == HostKind::Node && ctx.platform.has_packages() {
            scope.push("libstdc++/libgcc_s linked by Alpine's node".to_string());
        }
    }
    if gcompat_active {
        scope.push("gcompat 1.1.0".to_string());
    }
    scope
}

fn find_library(
    index: &TreeIndex,
    object: usize,
    root: usize,
    name: &str,
    ctx: &ResolveContext,
) -> Result<LibraryProvider, MissingLibrary> {
    let needed_by = index
        .file(object)
        .map(|f| f.shown.to_string())
        .unwrap_or_default();
    if is_reserved_name(name) {
        return Ok(LibraryProvider::Musl);
    }
    let mut looked_in = Vec::new();
    if let Some(found) = find_in_tree(index, object, root, name, &mut looked_in) {
        let is_another_libc = index.file(found).is_some_and(|f| {
            f.facts.exports_symbol("__libc_start_main") && f.facts.exports_symbol("stdin")
        });
        // musl drops a second libc found on disk and uses itself instead.
        return Ok(if is_another_libc {
            LibraryProvider::Musl
        } else {
            LibraryProvider::Tree(found)
        });
    }
    if is_gcompat_soname(name) && ctx.gcompat_installed {
        return Ok(LibraryProvider::Gcompat);
    }
    let mut note = None;
    if ctx.platform.has_packages() {
        looked_in.push("Alpine packages".to_string());
        match alpine_provider(name) {
            Some(SonameProvider::Package(package)) if !is_gcompat_soname(name) => {
                let table = match name {
                    "libstdc++.so.6" => Some(PackageTable::Libstdcxx),
                    "libgcc_s.so.1" => Some(PackageTable::LibgccS),
                    _ => None,
                };
                return Ok(LibraryProvider::AlpinePackage { package, table });
            }
            Some(SonameProvider::Nothing(why)) => note = Some(why.to_string()),
            _ => {}
        }
    } else {
        looked_in.push(format!("{} system paths (musl only)", ctx.platform.target));
    }
    Err(MissingLibrary {
        name: name.to_string(),
        needed_by,
        looked_in,
        gcompat_provides: is_gcompat_soname(name) && ctx.platform.has_packages(),
        note,
    })
}

/// Searches the scanned tree the way the loader searches the file system:
/// RPATH/RUNPATH of the needing object and of the root (with `$ORIGIN`), the
/// directory of the needing object (what `LD_LIBRARY_PATH=.` gives), and
/// auditwheel's `<pkg>.libs/`.
fn find_in_tree(
    index: &TreeIndex,
    object: usize,
    root: usize,
    name: &str,
    looked_in: &mut Vec<String>,
) -> Option<usize> {
    if name.contains('/') {
        let base = index.file(object)?.location.parent()?.to_path_buf();
        looked_in.push(name.to_string());
        return index.lookup(&base.join(name));
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    for owner in [object, root] {
        let Some(file) = index.file(owner) else {
            continue;
        };
        let origin = file.location.parent().unwrap_or(Path::new(""));
        for entry in file.facts.rpath.iter().chain(&file.facts.runpath) {
            for dir in entry.split(':').filter(|d| !d.is_empty()) {
                let expanded = dir
                    .replace("${ORIGIN}", &origin.to_string_lossy())
                    .replace("$ORIGIN", &origin.to_string_lossy());
                dirs.push(PathBuf::from(expanded));
            }
        }
    }
    if let Some(dir) = index.file(object).and_then(|f| f.location.parent()) {
        dirs.push(dir.to_path_buf());
        dirs.extend(index.bundled_dirs(dir));
    }
    let mut seen = HashSet::new();
    for dir in dirs {
        let dir = normalize(&dir);
        if !seen.insert(dir.clone()) {
            continue;
        }
        if let Some(found) = index.lookup(&dir.join(name)) {
            return Some(found);
        }
        looked_in.push(display_location(&dir));
    }
    None
}
