//! Where the scanned tree has a library an object needs: in its own RPATH
//! and RUNPATH directories (worked out once per file), then in those of the
//! objects that loaded it (which depend on the process).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use super::rpath::{DirList, DirName, DirNames, SearchRules, default_dirs, own_dirs};
use super::tree::{DirId, Entry, NotElfKind, TreeFile, TreeIndex};
use crate::model::{Arch, Class, ElfType, Unloadable, UnloadableLibrary, display_location};

/// How many objects up the chain that loaded an object its library search
/// goes before the root's directories: the loaders walk the whole chain, but real
/// ones are a few objects deep, and a crafted one must not make every search
/// of every process walk hundreds.
const CHAIN_SEARCHED: usize = 16;

/// The objects up the chain that loaded `object` in one process (`loaded_by`:
/// each object's loader), nearest first, at most [`CHAIN_SEARCHED`].
pub(super) fn loaders(
    loaded_by: &FxHashMap<usize, usize>,
    object: usize,
) -> impl Iterator<Item = usize> + '_ {
    let parent = |object: &usize| loaded_by.get(object).copied();
    std::iter::successors(parent(&object), parent).take(CHAIN_SEARCHED)
}

/// The searches a library `object` needs goes through after its own: its
/// loaders', then the root's (last even when the chain is cut), then those
/// of the objects that load the root in its host's process.
pub(super) fn chain<'s, 'p>(
    searches: &'s [Search],
    (loaded_by, object): (&'p FxHashMap<usize, usize>, usize),
    (root, loaded_through): (usize, &'p [usize]),
) -> impl Iterator<Item = &'s Search> + use<'s, 'p> {
    loaders(loaded_by, object)
        .chain(std::iter::once(root))
        .chain(loaded_through.iter().copied())
        .filter_map(|loader| searches.get(loader))
}

/// The tree libraries the objects that load a root in its process
/// (`loaded_through`, nearest first) need themselves, by needed name: both
/// loaders load breadth first, so these are loaded before any need of the
/// root is searched for, and both answer a need by the name of a loaded
/// library without searching (musl's `shortname`, glibc's
/// `_dl_name_match_p`) — though the root's own search would not reach it
/// (glibc: a program's DT_RUNPATH, which its libraries do not inherit).
/// The VM of the JDK a library belongs to (`lib/server/libjvm.so` beside
/// `lib/libjava.so`, `libjdwp.so` …; `lib/amd64/server/` in JDK 8): only a
/// JVM loads them, and the java launcher has loaded the VM by its path
/// before any of them, which glibc's ld.so matches by SONAME. (musl matches
/// no name to a library loaded by path; its model keeps `ld-musl --list`'s
/// answer.)
pub(super) fn jdk_vm(index: &TreeIndex, root: usize) -> Option<usize> {
    let file = index.file(root)?;
    let dir = index.directory_of(file.location);
    ["server", "client", "minimal", "zero"]
        .iter()
        .find_map(|vm| index.lookup(&dir.join(vm).join("libjvm.so")))
}

pub(super) fn loaded_before<'a>(
    index: &TreeIndex<'a>,
    searches: &[Search],
    loaded_through: &[usize],
    rules: SearchRules,
) -> HashMap<&'a str, usize> {
    let mut loaded = HashMap::new();
    for (depth, &loader) in loaded_through.iter().enumerate() {
        let (Some(search), Some(file)) = (searches.get(loader), index.file(loader)) else {
            continue;
        };
        let its_loaders = || {
            loaded_through
                .get(depth + 1..)
                .unwrap_or_default()
                .iter()
                .filter_map(|l| searches.get(*l))
        };
        for (position, name) in file.facts.needed.iter().enumerate() {
            let Some(Found::InOwn { .. }) = search.names.get(position) else {
                continue;
            };
            let found = match rules {
                SearchRules::Musl => search.run(index, position, name, its_loaders()),
                SearchRules::Glibc => search.run_glibc(index, position, name, its_loaders()),
            };
            let Ok(found) = found else { continue };
            loaded.entry(name.as_str()).or_insert(found);
            // glibc matches a loaded library's SONAME too.
            if rules == SearchRules::Glibc
                && let Some(soname) = index.file(found).and_then(|f| f.facts.soname.as_deref())
            {
                loaded.entry(soname).or_insert(found);
            }
        }
    }
    loaded
}

/// Where the tree has the libraries one object needs, as far as the object
/// alone says.
#[derive(Debug, Default)]
pub(super) struct Search {
    /// Where its RUNPATH directories, else its RPATH ones, meet the tree.
    own: Arc<OwnDirs>,
    /// `own` is its DT_RUNPATH: glibc searches it for the object's own needs
    /// only, and then none of the RPATHs of the objects that loaded it.
    own_is_runpath: bool,
    /// What the search finds of each needed name, in DT_NEEDED order.
    names: Vec<Found>,
    /// How the loader judges the files it opens for this object.
    looker: Looker,
    /// For a file of a container image, the loader's default directories
    /// in that image, searched after every RPATH and RUNPATH.
    defaults: Vec<PathBuf>,
}

/// What a loader checks of a file it opens for an object's needed library.
#[derive(Debug, Clone, Copy)]
struct Looker {
    /// The object's ELF class and machine, which its process's are.
    machine: (Class, Arch),
    /// glibc's loader passes over a library of another ELF class or
    /// machine and searches on (`open_verify`, elf/dl-load.c); musl's takes
    /// the first file by the name, and fails on one of another machine.
    passes_over_other_machines: bool,
    /// The size of an ELF header of the object's class: a file shorter
    /// than that is "too short" to glibc's loader.
    header_len: usize,
}

/// The looker of a search of nothing (an index without the file): never consulted.
impl Default for Looker {
    fn default() -> Looker {
        Looker {
            machine: (Class::Elf64, Arch::X86_64),
            passes_over_other_machines: false,
            header_len: Class::Elf64.header_len(),
        }
    }
}

/// The directories of one RUNPATH (or RPATH) list where the tree has
/// something: shared by every object with the same list from the same
/// directory, and worked out on the first search for a name the tree has
/// (most lists only ever meet the C library's names). A crafted list of
/// thousands of directories costs one lookup per directory, not one per
/// directory and needed name and process.
#[derive(Debug, Default)]
struct OwnDirs {
    /// An object whose list it is, and whose rules read it.
    of: Option<(usize, SearchRules)>,
    in_tree: OnceLock<InTree>,
    /// The whole list, for a finding that shows where a search looked
    /// (worked out only then: most lists are never shown), as names in `names`.
    shown: OnceLock<Vec<DirName>>,
    /// Where the directories of every shown list of the scan are kept.
    names: Arc<DirNames>,
}

/// The directories of a list that the tree has.
#[derive(Debug, Default)]
struct InTree {
    /// (position in the list of [`own_dirs`], tree directory), in list order.
    dirs: Vec<(u32, DirId)>,
    /// Each tree directory's first position in the list, sorted by directory.
    first_position: Vec<(DirId, u32)>,
}

impl InTree {
    fn first_position(&self, dir: DirId) -> Option<usize> {
        let at = self
            .first_position
            .binary_search_by_key(&dir, |&(dir, _)| dir)
            .ok()?;
        let (_, position) = self.first_position.get(at)?;
        Some(*position as usize)
    }
}

impl OwnDirs {
    fn of(object: usize, rules: SearchRules, names: Arc<DirNames>) -> OwnDirs {
        OwnDirs {
            of: Some((object, rules)),
            names,
            ..OwnDirs::default()
        }
    }

    fn listed(&self, index: &TreeIndex) -> DirList {
        match self.of {
            Some((object, rules)) => index
                .file(object)
                .map_or_else(DirList::default, |file| own_dirs(file, rules)),
            None => DirList::default(),
        }
    }

    /// The whole list, as searched.
    fn shown(&self, index: &TreeIndex) -> &[DirName] {
        self.shown
            .get_or_init(|| self.names.keep(self.listed(index).iter()))
    }

    fn in_tree(&self, index: &TreeIndex) -> &InTree {
        self.in_tree.get_or_init(|| {
            // A list longer than u32 positions cannot come from a file the
            // scan reads whole; its tail is not searched.
            let dirs: Vec<(u32, DirId)> = self
                .listed(index)
                .iter()
                .zip(0..u32::MAX)
                .filter_map(|(dir, position)| Some((position, index.directory(dir)?)))
                .collect();
            let mut first_position: Vec<(DirId, u32)> = dirs
                .iter()
                .map(|&(position, dir)| (dir, position))
                .collect();
            // Stable: each directory's first position stays first.
            first_position.sort_by_key(|&(dir, _)| dir);
            first_position.dedup_by_key(|&mut (dir, _)| dir);
            InTree {
                dirs,
                first_position,
            }
        })
    }

    /// The list's directories that hold an entry named `name`: (position,
    /// directory), in list order. Walks the shorter of the list and the
    /// directories holding the name.
    fn holding(&self, index: &TreeIndex, name: &str) -> Vec<(usize, DirId)> {
        let holding = index.directories_holding(name);
        if holding.is_empty() || self.of.is_none() {
            return Vec::new();
        }
        let in_tree = self.in_tree(index);
        if holding.len() <= in_tree.dirs.len() {
            let mut found: Vec<(usize, DirId)> = holding
                .iter()
                .filter_map(|dir| Some((in_tree.first_position(*dir)?, *dir)))
                .collect();
            found.sort_unstable();
            found
        } else {
            in_tree
                .dirs
                .iter()
                .filter(|(_, dir)| holding.binary_search(dir).is_ok())
                .map(|&(position, dir)| (position as usize, dir))
                .collect()
        }
    }

    /// What the loader's open() meets in the first of the list's
    /// directories where it meets anything for `name`, and how many of the
    /// list's directories it looked in; nothing and `None` (all of them)
    /// when it meets nothing.
    fn first(&self, index: &TreeIndex, looker: Looker, name: &str) -> (Met, Option<usize>) {
        for (position, dir) in self.holding(index, name) {
            let met = meet(index, looker, &index.directory_path(dir).join(name));
            if !matches!(met, Met::Nothing) {
                return (met, Some(position + 1));
            }
        }
        (Met::Nothing, None)
    }
}

/// What a search finds of one needed name, whoever the root is.
#[derive(Debug)]
enum Found {
    /// A name with a slash: a path from the object's directory.
    Path(Met),
    /// A plain name: met in the object's own RPATH/RUNPATH directories,
    /// of which `dirs_searched` (the first ones; `None`: all) were looked in.
    InOwn {
        met: Met,
        dirs_searched: Option<usize>,
    },
}

/// What the loader's open() of one path meets.
#[derive(Debug, Clone)]
enum Met {
    /// Nothing it takes: no file, or (glibc) a library for another machine.
    Nothing,
    Library(usize),
    /// A file it cannot load: the search stops there and the load fails.
    Unloadable(UnloadableLibrary),
}

/// Where a search looked without finding the library: worked out only when
/// a finding shows it (most names are musl's or the image's).
pub(super) struct NotFound<'s> {
    /// Looked for at this path (a name with a slash), when not in `looked`.
    path: Option<&'s str>,
    /// The name looked for, and by whom (for what glibc passes over).
    name: &'s str,
    looker: Option<&'s Search>,
    /// The directories looked in, in order.
    looked: Vec<Looked<'s>>,
    /// The file by the name where the search stopped, unable to load it.
    unloadable_at: Option<UnloadableLibrary>,
}

/// Directories a search looked in.
#[derive(Clone, Copy)]
enum Looked<'s> {
    /// The first ones (`None`: all) of an object's own RUNPATH or RPATH.
    Own(&'s Search, Option<usize>),
    /// The loader's default directories in an image.
    Defaults(&'s Search),
}

/// How many directories a finding lists of where a search looked: a crafted
/// RUNPATH can name thousands.
const LOOKED_IN_SHOWN: usize = 64;

impl NotFound<'_> {
    /// The search of a name nothing says how to look for.
    pub(super) fn nowhere() -> NotFound<'static> {
        NotFound {
            path: None,
            name: "",
            looker: None,
            looked: Vec::new(),
            unloadable_at: None,
        }
    }

    /// The search stopped at `file`, which the loader cannot load.
    fn stopped_at(self, file: UnloadableLibrary) -> Self {
        NotFound {
            unloadable_at: Some(file),
            ..self
        }
    }

    /// The first file by the name on the search path that glibc passed
    /// over, built for another machine or ELF class, if any.
    pub(super) fn passed_over(&self, index: &TreeIndex) -> Option<usize> {
        let looker = self.looker?.looker;
        if !looker.passes_over_other_machines || self.path.is_some() || !index.has_name(self.name) {
            return None;
        }
        let passed_over = |path: &Path| match index.entry(path) {
            Some(Entry::Elf(found)) => (!same_machine(index, looker, found)).then_some(found),
            _ => None,
        };
        self.looked.iter().find_map(|looked| match *looked {
            Looked::Own(search, searched) => search
                .own
                .holding(index, self.name)
                .into_iter()
                .take_while(|(position, _)| searched.is_none_or(|n| *position < n))
                .find_map(|(_, dir)| passed_over(&index.directory_path(dir).join(self.name))),
            Looked::Defaults(search) => search
                .defaults
                .iter()
                .find_map(|dir| passed_over(&dir.join(self.name))),
        })
    }

    /// Where the search stopped at a file it cannot load, if it did: then
    /// no other place (the target's own libraries) is looked in.
    pub(super) fn unloadable_at(&self) -> Option<&UnloadableLibrary> {
        self.unloadable_at.as_ref()
    }

    /// The places looked in, as the report shows them: each directory once,
    /// where the search first came to it, at most [`LOOKED_IN_SHOWN`].
    pub(super) fn looked_in(&self, index: &TreeIndex) -> Vec<String> {
        // Normalised paths, kept once each: the same directory is the same
        // name (in the names of the first search; every search of a tree
        // keeps its lists in the same ones).
        let Some(names) = self.looked.first().map(|place| match *place {
            Looked::Own(search, _) | Looked::Defaults(search) => Arc::clone(&search.own.names),
        }) else {
            return self.path.map(str::to_string).into_iter().collect();
        };
        let mut seen = FxHashSet::default();
        let mut looked: Vec<DirName> = Vec::new();
        for place in &self.looked {
            let (search, these) = match *place {
                Looked::Own(search, searched) => {
                    let own = search.own_dirs(index);
                    let these = own.get(..searched.unwrap_or(own.len())).unwrap_or(own);
                    (search, these.to_vec())
                }
                Looked::Defaults(search) => (
                    search,
                    search
                        .own
                        .names
                        .keep(search.defaults.iter().map(PathBuf::as_path)),
                ),
            };
            let these = if Arc::ptr_eq(&search.own.names, &names) {
                these
            } else {
                let paths = search.own.names.paths(&these);
                names.keep(paths.iter().map(PathBuf::as_path))
            };
            looked.extend(these.into_iter().filter(|&dir| seen.insert(dir)));
        }
        let more = looked.len().saturating_sub(LOOKED_IN_SHOWN);
        looked.truncate(LOOKED_IN_SHOWN);
        let dirs = names.paths(&looked);
        self.path
            .map(str::to_string)
            .into_iter()
            .chain(dirs.iter().map(|dir| display_location(dir)))
            .chain((more > 0).then(|| format!("{more} more directories")))
            .collect()
    }
}

impl Search {
    /// Every file's library searches by `rules`. Files with the same list
    /// of RPATH or RUNPATH directories from the same directory share it.
    pub(super) fn all(index: &TreeIndex, rules: SearchRules) -> Vec<Search> {
        let mut lists: HashMap<(&str, Option<&Path>, Option<&Path>), usize> = HashMap::new();
        let mut first_with_list = Vec::new();
        let list_of: Vec<Option<usize>> = (0..index.file_count())
            .map(|i| {
                let file = index.file(i)?;
                let entry = file.facts.runpath.last().or(file.facts.rpath.last())?;
                let key = (entry.as_str(), file.location.parent(), file.filesystem_root);
                Some(*lists.entry(key).or_insert_with(|| {
                    first_with_list.push(i);
                    first_with_list.len() - 1
                }))
            })
            .collect();
        let names = Arc::new(DirNames::default());
        let own: Vec<Arc<OwnDirs>> = first_with_list
            .iter()
            .map(|&i| Arc::new(OwnDirs::of(i, rules, Arc::clone(&names))))
            .collect();
        list_of
            .into_par_iter()
            .enumerate()
            .map(|(i, list)| match index.file(i) {
                Some(file) => {
                    let own = list.and_then(|list| own.get(list)).cloned();
                    Search::of(index, file, rules, own.unwrap_or_default())
                }
                None => Search::default(),
            })
            .collect()
    }

    /// The searches for every library `file` needs, by `rules`, its own
    /// directories being `own`.
    fn of(index: &TreeIndex, file: &TreeFile, rules: SearchRules, own: Arc<OwnDirs>) -> Search {
        let looker = Looker {
            machine: (file.facts.class, file.facts.arch),
            passes_over_other_machines: rules == SearchRules::Glibc,
            header_len: file.facts.class.header_len(),
        };
        let names = file
            .facts
            .needed
            .iter()
            .map(|name| {
                if name.contains('/') {
                    // An absolute name in an image is below the image's `/`.
                    let path = match (name.strip_prefix('/'), file.filesystem_root) {
                        (Some(inside), Some(root)) => Some(root.join(inside)),
                        _ => file.location.parent().map(|base| base.join(name)),
                    };
                    let met = path.map_or(Met::Nothing, |path| meet(index, looker, &path));
                    return Found::Path(met);
                }
                // Most names (the C library's, the image's) are nowhere in the tree.
                let (met, dirs_searched) = if index.has_name(name) {
                    own.first(index, looker, name)
                } else {
                    (Met::Nothing, None)
                };
                Found::InOwn { met, dirs_searched }
            })
            .collect();
        let defaults = file.filesystem_root.map_or_else(Vec::new, |root| {
            default_dirs(rules)
                .iter()
                .map(|dir| root.join(dir))
                .collect()
        });
        Search {
            own,
            own_is_runpath: !file.facts.runpath.is_empty(),
            names,
            looker,
            defaults,
        }
    }

    /// The object's own RUNPATH or RPATH directories, as searched.
    fn own_dirs(&self, index: &TreeIndex) -> &[DirName] {
        self.own.shown(index)
    }

    /// The tree file musl's loader finds for the object's needed library at
    /// `position`, `name`, or where it looked. `load_library` in musl's
    /// ldso/dynlink.c searches the RPATH/RUNPATH of the object, then of each
    /// object up the chain that loaded it (`needed_by`), `chain` (nearest
    /// first, the process's root last) — never the object's own directory,
    /// which only `LD_LIBRARY_PATH` would add (unset here).
    pub(super) fn run<'s>(
        &'s self,
        index: &TreeIndex,
        position: usize,
        name: &'s str,
        chain: impl Iterator<Item = &'s Search>,
    ) -> Result<usize, NotFound<'s>> {
        self.search(index, (position, name), chain)
    }

    /// The tree file glibc's ld.so finds (elf/dl-load.c, `_dl_map_object`)
    /// for the object's needed library at `position`, `name`, or where it
    /// looked: without a DT_RUNPATH, the object's DT_RPATH and then that of
    /// each object up the chain that loaded it, `chain` (nearest first, the
    /// root last; one with a DT_RUNPATH has no DT_RPATH); with one, that
    /// DT_RUNPATH alone, which no object it loads inherits. Never the
    /// object's own directory.
    pub(super) fn run_glibc<'s>(
        &'s self,
        index: &TreeIndex,
        position: usize,
        name: &'s str,
        chain: impl Iterator<Item = &'s Search>,
    ) -> Result<usize, NotFound<'s>> {
        let inherits = !self.own_is_runpath;
        let rpaths = chain.filter(move |loader| inherits && !loader.own_is_runpath);
        self.search(index, (position, name), rpaths)
    }

    /// The object's own directories, then those of `chain` in order, then
    /// (in an image) the loader's default ones.
    fn search<'s>(
        &'s self,
        index: &TreeIndex,
        (position, name): (usize, &'s str),
        chain: impl Iterator<Item = &'s Search>,
    ) -> Result<usize, NotFound<'s>> {
        let mut not_found = NotFound {
            path: None,
            name,
            looker: Some(self),
            looked: Vec::new(),
            unloadable_at: None,
        };
        let (met_in_own, dirs_searched) = match self.names.get(position) {
            Some(Found::InOwn { met, dirs_searched }) => (met, *dirs_searched),
            Some(Found::Path(met)) => {
                not_found.path = Some(name);
                return match met {
                    Met::Library(found) => Ok(*found),
                    Met::Unloadable(file) => Err(not_found.stopped_at(file.clone())),
                    Met::Nothing => Err(not_found),
                };
            }
            None => return Err(NotFound::nowhere()),
        };
        not_found.looked.push(Looked::Own(self, dirs_searched));
        match met_in_own {
            Met::Library(found) => return Ok(*found),
            Met::Unloadable(file) => return Err(not_found.stopped_at(file.clone())),
            Met::Nothing => {}
        }
        // Most names (the C library's, the image's) are nowhere in the tree.
        let in_tree = index.has_name(name);
        let looker = self.looker;
        for search in chain {
            let (met, searched) = if in_tree {
                search.own.first(index, looker, name)
            } else {
                (Met::Nothing, None)
            };
            not_found.looked.push(Looked::Own(search, searched));
            match met {
                Met::Library(found) => return Ok(found),
                Met::Unloadable(file) => return Err(not_found.stopped_at(file)),
                Met::Nothing => {}
            }
        }
        not_found.looked.push(Looked::Defaults(self));
        if in_tree {
            for dir in &self.defaults {
                // The image's distribution's own files are replaced by the
                // target's packages (modelled apart), and so is what else
                // lies there by the name; only the image's own libraries move.
                if let Met::Library(found) = meet(index, looker, &dir.join(name))
                    && index.file(found).is_some_and(|file| !file.distro_owned)
                {
                    return Ok(found);
                }
            }
        }
        Err(not_found)
    }
}

/// What the loader's open() of `path` meets: a library it takes, nothing
/// (no file; for glibc, a file of another class or machine, passed over),
/// or a file it cannot load, which ends the search: a file that is not ELF
/// (the looker's `header_len`: an ELF header's size, for "too short"), an
/// ELF file that is neither ET_DYN nor ET_EXEC (musl's `map_library`,
/// glibc's `open_verify`), or, for musl, one of another class or machine.
fn meet(index: &TreeIndex, looker: Looker, path: &Path) -> Met {
    match index.entry(path) {
        None => Met::Nothing,
        Some(Entry::NotElf(entry)) => match index.not_elf(entry) {
            Some(entry) => Met::Unloadable(UnloadableLibrary {
                path: entry.shown.to_string(),
                reason: match entry.kind {
                    NotElfKind::Directory => Unloadable::Directory,
                    NotElfKind::File { head_len } if head_len < looker.header_len => {
                        Unloadable::TooShort
                    }
                    NotElfKind::File { .. } => Unloadable::NotElf,
                },
            }),
            None => Met::Nothing,
        },
        Some(Entry::Elf(found)) => {
            let same_machine = same_machine(index, looker, found);
            if !same_machine && looker.passes_over_other_machines {
                return Met::Nothing;
            }
            let Some(file) = index.file(found) else {
                return Met::Library(found);
            };
            let reason = if !same_machine {
                // musl maps it (or fails on its header) and cannot relocate it.
                Unloadable::OtherMachine
            } else if !matches!(file.facts.elf_type, ElfType::Dyn | ElfType::Exec) {
                Unloadable::NotLoadableType
            } else {
                return Met::Library(found);
            };
            Met::Unloadable(UnloadableLibrary {
                path: file.shown.to_string(),
                reason,
            })
        }
    }
}

/// Whether `found` is built for the machine and ELF class of the object
/// that `looker` looks for.
fn same_machine(index: &TreeIndex, looker: Looker, found: usize) -> bool {
    index
        .file(found)
        .is_none_or(|file| (file.facts.class, file.facts.arch) == looker.machine)
}
