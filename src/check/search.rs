//! Where the scanned tree has a library an object needs: in its own RPATH
//! and RUNPATH directories (worked out once per file), then in those of the
//! objects that loaded it (which depend on the process).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::tree::{TreeFile, TreeIndex, normalize};
use crate::model::display_location;

/// How many objects up the chain that loaded an object its library search
/// goes before the root's directories: the loaders walk the whole chain, but real
/// ones are a few objects deep, and a crafted one must not make every search
/// of every process walk hundreds.
const CHAIN_SEARCHED: usize = 16;

/// The objects up the chain that loaded `object` in one process (`loaded_by`:
/// each object's loader), nearest first, at most [`CHAIN_SEARCHED`].
pub(super) fn loaders(
    loaded_by: &HashMap<usize, usize>,
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
    (loaded_by, object): (&'p HashMap<usize, usize>, usize),
    (root, loaded_through): (usize, &'p [usize]),
) -> impl Iterator<Item = &'s Search> + use<'s, 'p> {
    loaders(loaded_by, object)
        .chain(std::iter::once(root))
        .chain(loaded_through.iter().copied())
        .filter_map(|loader| searches.get(loader))
}

/// Where the tree has the libraries one object needs, as far as the object
/// alone says.
#[derive(Debug, Default)]
pub(super) struct Search {
    /// The object's RUNPATH directories, else its RPATH ones, normalised,
    /// each once.
    own: Vec<PathBuf>,
    /// `own` is its DT_RUNPATH: glibc searches it for the object's own needs
    /// only, and then none of the RPATHs of the objects that loaded it.
    own_is_runpath: bool,
    /// What the search finds of each needed name, in DT_NEEDED order.
    names: Vec<Found>,
}

/// What a search finds of one needed name, whoever the root is.
#[derive(Debug)]
enum Found {
    /// A name with a slash: a path from the object's directory.
    Path(Option<usize>),
    /// A plain name: found in the object's own RPATH/RUNPATH directories.
    InOwn(Option<usize>),
}

/// Where a search looked without finding the library: shown only when a
/// finding needs it (most names are musl's or the image's).
pub(super) struct NotFound<'s> {
    /// Looked for at this path (a name with a slash), when not in `dirs`.
    path: Option<&'s str>,
    dirs: Vec<&'s PathBuf>,
}

impl NotFound<'_> {
    /// The search of a name nothing says how to look for.
    pub(super) fn nowhere() -> NotFound<'static> {
        NotFound {
            path: None,
            dirs: Vec::new(),
        }
    }

    /// Looked for in `dirs`: each said once, where the search first came to it.
    fn in_dirs(mut dirs: Vec<&PathBuf>) -> NotFound<'_> {
        let mut seen = HashSet::new();
        dirs.retain(|dir| seen.insert(*dir));
        NotFound { path: None, dirs }
    }

    /// The places looked in, as the report shows them.
    pub(super) fn looked_in(&self) -> Vec<String> {
        self.path
            .map(str::to_string)
            .into_iter()
            .chain(self.dirs.iter().map(|dir| display_location(dir)))
            .collect()
    }
}

impl Search {
    /// Whether the object's own searches find any library in the tree.
    pub(super) fn finds_any(&self) -> bool {
        self.names
            .iter()
            .any(|found| matches!(found, Found::Path(Some(_)) | Found::InOwn(Some(_))))
    }

    /// The searches for every library `file` needs.
    pub(super) fn of(index: &TreeIndex, file: &TreeFile) -> Search {
        let own = unique(rpath_dirs(file).iter().map(|dir| normalize(dir)), &[]);
        let first = |dirs: &[PathBuf], name: &str| {
            dirs.iter().find_map(|dir| index.lookup(&dir.join(name)))
        };
        let names = file
            .facts
            .needed
            .iter()
            .map(|name| {
                if name.contains('/') {
                    let found = file
                        .location
                        .parent()
                        .and_then(|base| index.lookup(&base.join(name)));
                    return Found::Path(found);
                }
                // Most names (the C library's, the image's) are nowhere in the tree.
                match index.named(name) {
                    Some(_) => Found::InOwn(first(&own, name)),
                    None => Found::InOwn(None),
                }
            })
            .collect();
        Search {
            own,
            own_is_runpath: !file.facts.runpath.is_empty(),
            names,
        }
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

    /// The object's own directories, then those of `chain` in order.
    fn search<'s>(
        &'s self,
        index: &TreeIndex,
        (position, name): (usize, &'s str),
        chain: impl Iterator<Item = &'s Search>,
    ) -> Result<usize, NotFound<'s>> {
        let found_in_own = match self.names.get(position) {
            Some(Found::InOwn(found)) => *found,
            Some(Found::Path(found)) => return found.ok_or(looked_at(name)),
            None => return Err(NotFound::nowhere()),
        };
        if let Some(found) = found_in_own {
            return Ok(found);
        }
        let mut dirs: Vec<&PathBuf> = self.own.iter().collect();
        // Most names (the C library's, the image's) are nowhere in the tree.
        let in_tree = index.named(name).is_some();
        for dir in chain.flat_map(|search| &search.own) {
            if in_tree && let Some(found) = index.lookup(&dir.join(name)) {
                return Ok(found);
            }
            dirs.push(dir);
        }
        Err(NotFound::in_dirs(dirs))
    }
}

/// A name with a slash, looked for at that path only.
fn looked_at(name: &str) -> NotFound<'_> {
    NotFound {
        path: Some(name),
        dirs: Vec::new(),
    }
}

/// `dirs` without repeats and without those in `already`, in order.
pub(super) fn unique(dirs: impl Iterator<Item = PathBuf>, already: &[PathBuf]) -> Vec<PathBuf> {
    let mut seen: HashSet<PathBuf> = already.iter().cloned().collect();
    dirs.filter(|dir| seen.insert(dir.clone())).collect()
}

/// A file's RUNPATH directories, else its RPATH ones (both loaders ignore
/// DT_RPATH beside DT_RUNPATH), `$ORIGIN` expanded.
pub(super) fn rpath_dirs(file: &TreeFile) -> Vec<PathBuf> {
    let origin = file.location.parent().unwrap_or(Path::new(""));
    let mut dirs = Vec::new();
    let entries = match file.facts.runpath.is_empty() {
        true => &file.facts.rpath,
        false => &file.facts.runpath,
    };
    for entry in entries {
        for dir in entry.split(':').filter(|d| !d.is_empty()) {
            let expanded = dir
                .replace("${ORIGIN}", &origin.to_string_lossy())
                .replace("$ORIGIN", &origin.to_string_lossy());
            dirs.push(PathBuf::from(expanded));
        }
    }
    dirs
}
