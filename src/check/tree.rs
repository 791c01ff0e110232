//! The scanned tree as the loader model sees it: every analysed file by
//! location, through the symlinks met while walking, with the directories
//! auditwheel bundles libraries into.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::rpath::SearchRules;
use super::search::Search;

use crate::ecosystem::npm::GlibcPlatformPackage;
use crate::ecosystem::npm::cmake_ts::CmakeTsManifest;
use crate::model::{Ecosystem, ElfFacts, Host, Package, is_archive_root, prefix_hashes};

/// One analysed file, as the resolver sees it.
pub struct TreeFile<'a> {
    pub location: &'a Path,
    /// Where its other names (hard links) are: found there too.
    pub other_locations: &'a [PathBuf],
    pub shown: &'a str,
    pub facts: &'a ElfFacts,
    /// The installed npm platform package for glibc that holds the file.
    pub glibc_platform_package: Option<&'a GlibcPlatformPackage>,
    /// The installed npm platform package for other CPUs than the target's
    /// that holds the file: `name (cpus)`.
    pub other_cpu_platform_package: Option<&'a str>,
    /// The cmake-ts manifest of the npm package that holds the file.
    pub cmake_ts: Option<&'a CmakeTsManifest>,
    /// The npm package that holds the file finds its addon with require-addon.
    pub require_addon: bool,
    /// For a file of a container image, the image's `/`: absolute RPATH
    /// directories and the loader's default ones are below it.
    pub filesystem_root: Option<&'a Path>,
    /// The target stands in for it, so no default-path search finds it: a
    /// file of an image's distribution packages (dpkg, apk), which the
    /// target's packages replace, or of a root filesystem's C library.
    pub distro_owned: bool,
    /// The ecosystem of the package the file belongs to, if known.
    pub ecosystem: Option<Ecosystem>,
    /// That package, when it is known by name and version.
    pub package: Option<&'a Package>,
}

/// A path of the tree that is not an ELF file (a text file, a placeholder,
/// a linker script, a directory). A loader that opens it for a needed
/// library stops there and fails: only ENOENT, ENOTDIR and EACCES let its
/// search go on, and a directory opens.
pub struct NotElfEntry<'a> {
    pub location: &'a Path,
    pub shown: &'a str,
    pub kind: NotElfKind,
}

/// What a [`NotElfEntry`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotElfKind {
    /// A file; `head_len`: how many of an ELF header's bytes it has.
    File {
        head_len: usize,
    },
    Directory,
}

/// What a loader's open() of a path in the tree meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Entry {
    /// An analysed ELF file (index into the files).
    Elf(usize),
    /// A file that is not ELF (index into the index's non-ELF entries).
    NotElf(usize),
}

impl TreeFile<'_> {
    /// The file's own name (for an archive member, the member's).
    pub fn file_name(&self) -> &str {
        self.shown.rsplit('/').next().unwrap_or(self.shown)
    }

    /// The path whose `node_modules/…` components say which npm package
    /// holds the file: the shown path, or its location on disk when the
    /// scan starts inside `node_modules` (`muslcheck node_modules`: shown
    /// paths begin below it). An archive member keeps its shown path.
    pub fn npm_path(&self) -> &str {
        if self.shown.contains("node_modules/") {
            return self.shown;
        }
        match self.location.to_str() {
            Some(location)
                if location.ends_with(self.shown) && location.contains("/node_modules/") =>
            {
                location
            }
            _ => self.shown,
        }
    }
}

/// Finds scanned files by location, through symlinks met while walking.
pub struct TreeIndex<'a> {
    files: &'a [Option<TreeFile<'a>>],
    /// Keys borrow the files' own locations unless `.` or `..` had to be
    /// folded: a file with 60,000 names (hard links) is not copied 60,000
    /// times more.
    by_location: HashMap<Cow<'a, Path>, usize>,
    symlinks: HashMap<PathBuf, PathBuf>,
    /// [`prefix_hashes`] of the symlinks' paths: which ancestors of a path
    /// may be symlinks, found in one pass over its bytes instead of hashing
    /// every ancestor (a path 2,000 directories deep has 2,000).
    symlink_hashes: rustc_hash::FxHashSet<u64>,
    /// Directory → scanned files directly inside it.
    children: HashMap<Cow<'a, Path>, Vec<usize>>,
    /// File name (of a scanned file or a symlink to one) → the first such
    /// location (in path order) and the file it is.
    by_name: HashMap<OsString, (PathBuf, usize)>,
    /// The non-ELF files that a needed name (or a symlink by one) reaches,
    /// by location: most of the tree's files are never looked up.
    not_elf: Vec<&'a NotElfEntry<'a>>,
    not_elf_by_location: HashMap<Cow<'a, Path>, usize>,
    /// Names by which a search can meet one of them.
    not_elf_names: HashSet<&'a OsStr>,
    /// Each file's library searches, by the loader's rules for RPATH and
    /// RUNPATH: they depend on nothing else of the target, so the targets
    /// of a matrix with one kind of loader share them.
    musl_searches: OnceLock<Vec<Search>>,
    glibc_searches: OnceLock<Vec<Search>>,
    /// The directories holding what a search can meet, by number (worked
    /// out on the first RPATH or RUNPATH search).
    directories: OnceLock<Directories>,
    /// Each file's own host program (from its exports and name), shared the
    /// same way.
    own_hosts: OnceLock<Vec<Option<Host>>>,
}

impl<'a> TreeIndex<'a> {
    /// Every file's own host program, by `detect` (worked out once, in
    /// parallel, on the first call: the matrix asks for each target).
    pub(super) fn own_hosts(
        &self,
        detect: impl Fn(&TreeFile) -> Option<Host> + Sync,
    ) -> &[Option<Host>] {
        self.own_hosts.get_or_init(|| {
            (0..self.files.len())
                .into_par_iter()
                .map(|i| detect(self.file(i)?))
                .collect()
        })
    }

    /// Every file's library searches by `rules` (worked out once, in
    /// parallel, on the first call).
    pub(super) fn searches(&self, rules: SearchRules) -> &[Search] {
        let searches = match rules {
            SearchRules::Musl => &self.musl_searches,
            SearchRules::Glibc => &self.glibc_searches,
        };
        searches.get_or_init(|| Search::all(self, rules))
    }

    /// How many files (ELF or not) the index was built over.
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    pub fn new(
        files: &'a [Option<TreeFile<'a>>],
        symlinks: &'a HashMap<PathBuf, PathBuf>,
        not_elf: &'a [NotElfEntry<'a>],
    ) -> Self {
        let mut by_location = HashMap::new();
        let mut children: HashMap<Cow<'a, Path>, Vec<usize>> = HashMap::new();
        for (index, file) in files.iter().enumerate() {
            let Some(file) = file else { continue };
            let locations = std::iter::once(file.location)
                .chain(file.other_locations.iter().map(PathBuf::as_path));
            for location in locations {
                let location = normalized(location);
                let dir = match &location {
                    Cow::Borrowed(location) => location.parent().map(Cow::Borrowed),
                    Cow::Owned(location) => location.parent().map(|d| Cow::Owned(d.to_path_buf())),
                };
                if let Some(dir) = dir {
                    match children.get_mut(&dir) {
                        Some(files) => files.push(index),
                        None => {
                            children.insert(dir, vec![index]);
                        }
                    }
                }
                by_location.insert(location, index);
            }
        }
        let normalized_symlinks: HashMap<PathBuf, PathBuf> = symlinks
            .iter()
            .map(|(link, target)| (normalize(link), normalize(target)))
            .collect();
        let symlink_hashes = normalized_symlinks
            .keys()
            .filter_map(|link| {
                prefix_hashes(link.as_os_str().as_encoded_bytes())
                    .last()
                    .map(|(_, hash)| hash)
            })
            .collect();
        let mut index = TreeIndex {
            files,
            by_location,
            symlinks: normalized_symlinks,
            symlink_hashes,
            children,
            by_name: HashMap::new(),
            not_elf: Vec::new(),
            not_elf_by_location: HashMap::new(),
            not_elf_names: HashSet::new(),
            musl_searches: OnceLock::new(),
            glibc_searches: OnceLock::new(),
            directories: OnceLock::new(),
            own_hosts: OnceLock::new(),
        };
        let mut by_name: HashMap<OsString, (PathBuf, usize)> = HashMap::new();
        let named = index
            .by_location
            .iter()
            .map(|(location, &file)| (location.as_ref(), Some(file)))
            .chain(
                index
                    .symlinks
                    .keys()
                    .map(|link| (link.as_path(), index.lookup(link))),
            );
        for (location, file) in named {
            let (Some(name), Some(file)) = (location.file_name(), file) else {
                continue;
            };
            match by_name.get_mut(name) {
                Some(first) if location < first.0.as_path() => {
                    *first = (location.to_path_buf(), file);
                }
                Some(_) => {}
                None => {
                    by_name.insert(name.to_os_string(), (location.to_path_buf(), file));
                }
            }
        }
        index.by_name = by_name;
        index.index_not_elf(not_elf, symlinks);
        index
    }

    /// Keeps the non-ELF files a search can meet: by a name some file
    /// needs (the last part of one with a slash), or at the end of a
    /// symlink by one.
    fn index_not_elf(
        &mut self,
        entries: &'a [NotElfEntry<'a>],
        symlinks: &'a HashMap<PathBuf, PathBuf>,
    ) {
        if entries.is_empty() {
            return;
        }
        let needed: HashSet<&OsStr> = self
            .files
            .iter()
            .flatten()
            .flat_map(|file| file.facts.needed.iter())
            .filter_map(|name| Path::new(name.as_str()).file_name())
            .collect();
        let is_needed = |path: &Path| path.file_name().is_some_and(|name| needed.contains(name));
        let linked_from_needed: HashMap<PathBuf, &'a OsStr> = symlinks
            .iter()
            .filter(|(link, _)| is_needed(link))
            .filter_map(|(link, target)| Some((normalize(target), link.file_name()?)))
            .collect();
        for entry in entries {
            let location = normalized(entry.location);
            let link_name = linked_from_needed.get(location.as_ref()).copied();
            let name = location.file_name().filter(|name| needed.contains(name));
            if name.is_none() && link_name.is_none() {
                continue;
            }
            self.not_elf_names
                .extend(entry.location.file_name().into_iter().chain(link_name));
            self.not_elf_by_location
                .insert(location, self.not_elf.len());
            self.not_elf.push(entry);
        }
    }

    /// A scanned file the tree has under the file name `name` (itself or
    /// through a symlink), wherever it sits: its location by that name and
    /// the file.
    pub(super) fn named(&self, name: &str) -> Option<(&Path, usize)> {
        self.by_name
            .get(OsStr::new(name))
            .map(|(location, file)| (location.as_path(), *file))
    }

    /// Symbol name → the scanned files exporting it (in scan order), for the
    /// names the scanned files look up (undefined, or their own IFUNCs): one
    /// pass over every file's exports instead of one per lookup.
    pub(super) fn exporters(&self) -> FxHashMap<&'a str, Vec<usize>> {
        let mut exporters: FxHashMap<&'a str, Vec<usize>> = FxHashMap::default();
        for file in self.files.iter().flatten() {
            let facts = file.facts;
            for symbol in facts
                .required_symbols
                .iter()
                .chain(&facts.own_ifunc_references)
            {
                exporters.entry(symbol.name.as_str()).or_default();
            }
        }
        for (index, file) in self.files.iter().enumerate() {
            let Some(file) = file else { continue };
            // Each file's exports are unique: one entry per file and name.
            for name in file.facts.exports.iter() {
                if let Some(list) = exporters.get_mut(name) {
                    list.push(index);
                }
            }
        }
        exporters
    }

    /// The scanned files in the same directory as `location` (itself included).
    pub fn siblings(&self, location: &Path) -> impl Iterator<Item = &TreeFile<'a>> {
        self.children
            .get(self.directory_of(location).as_path())
            .into_iter()
            .flatten()
            .filter_map(|&i| self.file(i))
    }

    /// The directory of `location`, as [`TreeIndex::siblings`] groups files.
    pub fn directory_of(&self, location: &Path) -> PathBuf {
        normalize(location.parent().unwrap_or(Path::new("")))
    }

    pub fn file(&self, index: usize) -> Option<&TreeFile<'a>> {
        self.files.get(index).and_then(Option::as_ref)
    }

    /// The scanned ELF file at `path`, following symlinks recorded during
    /// the walk (see [`TreeIndex::entry`]).
    pub(super) fn lookup(&self, path: &Path) -> Option<usize> {
        match self.entry(path)? {
            Entry::Elf(index) => Some(index),
            Entry::NotElf(_) => None,
        }
    }

    /// What is at `path`, following symlinks recorded during the walk: the
    /// file's own, and a directory's on the way (`lib -> real` makes `lib/x`
    /// `real/x`), as the kernel does for the loader's open().
    pub(super) fn entry(&self, path: &Path) -> Option<Entry> {
        self.follow(path, |current| {
            if let Some(&index) = self.by_location.get(current) {
                return Some(Entry::Elf(index));
            }
            self.not_elf_by_location
                .get(current)
                .map(|&index| Entry::NotElf(index))
        })
    }

    /// The first thing `found` finds at `path` or where the symlinks
    /// recorded during the walk lead from it: `path` itself, or its target
    /// when it is a symlink, or the path through a symlinked directory on
    /// the way; at most 16 links, as the kernel's ELOOP limit.
    fn follow<T>(&self, path: &Path, found: impl Fn(&Path) -> Option<T>) -> Option<T> {
        // Paths compare (and hash) by components: only `.` and `..` need
        // folding first, and most lookups join a normalised directory and a name.
        let mut current = normalized(path);
        for _ in 0..16 {
            if let Some(found) = found(current.as_ref()) {
                return Some(found);
            }
            if let Some(target) = self.symlinks.get(current.as_ref()) {
                current = Cow::Borrowed(target);
                continue;
            }
            if self.symlinks.is_empty() {
                return None;
            }
            let through_directory = self.symlinked_ancestor(&current)?;
            current = Cow::Owned(through_directory);
        }
        None
    }

    fn directories(&self) -> &Directories {
        self.directories.get_or_init(|| {
            let entries = self
                .by_location
                .keys()
                .chain(self.not_elf_by_location.keys())
                .map(Cow::as_ref)
                .chain(self.symlinks.keys().map(PathBuf::as_path));
            Directories::of(entries)
        })
    }

    /// The tree directory the loader's open() of `dir/NAME` looks in, `dir`
    /// followed through the tree's symlinks as [`TreeIndex::entry`] does; none
    /// when the tree has nothing there.
    pub(super) fn directory(&self, dir: &Path) -> Option<DirId> {
        let directories = self.directories();
        // A symlink is followed even when entries were recorded below its
        // name (an image's layers can file them there): the kernel follows it.
        self.follow(dir, |current| {
            if self.symlinks.contains_key(current) {
                return None;
            }
            directories.ids.get(current).copied()
        })
    }

    /// `path` through its deepest ancestor that is a symlink, if any.
    fn symlinked_ancestor(&self, path: &Path) -> Option<PathBuf> {
        let mut candidates: Vec<usize> = prefix_hashes(path.as_os_str().as_encoded_bytes())
            .filter(|(len, hash)| {
                *len < path.as_os_str().len() && self.symlink_hashes.contains(hash)
            })
            .map(|(len, _)| len)
            .collect();
        candidates.reverse();
        candidates.into_iter().find_map(|len| {
            let directory = path
                .ancestors()
                .find(|ancestor| ancestor.as_os_str().len() == len)?;
            let target = self.symlinks.get(directory)?;
            Some(normalize(&target.join(path.strip_prefix(directory).ok()?)))
        })
    }

    /// The path of a directory [`TreeIndex::directory`] found.
    pub(super) fn directory_path(&self, dir: DirId) -> &Path {
        self.directories()
            .paths
            .get(dir.0 as usize)
            .map_or(Path::new(""), |path| path)
    }

    /// The directories holding an entry named `name`, in [`DirId`] order.
    pub(super) fn directories_holding(&self, name: &str) -> &[DirId] {
        self.directories()
            .holding
            .get(OsStr::new(name))
            .map_or(&[], Vec::as_slice)
    }

    /// Whether a search for `name` can meet anything in the tree (most
    /// needed names, the C library's and the image's, are nowhere in it).
    pub(super) fn has_name(&self, name: &str) -> bool {
        self.by_name.contains_key(OsStr::new(name)) || self.not_elf_names.contains(OsStr::new(name))
    }

    /// The non-ELF file of [`Entry::NotElf`].
    pub(super) fn not_elf(&self, index: usize) -> Option<&NotElfEntry<'a>> {
        self.not_elf.get(index).copied()
    }
}

/// A directory of the tree that holds something a search can meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct DirId(u32);

/// The directories holding the tree's files and symlinks: a search of an
/// object's RUNPATH looks each of its directories up once, then each needed
/// name only where it is, however many directories the RUNPATH has.
#[derive(Default)]
struct Directories {
    /// Shared with `ids`: a tree of deep directories is not kept twice.
    paths: Vec<Arc<Path>>,
    ids: HashMap<Arc<Path>, DirId>,
    /// File name → the directories holding an entry by it, sorted.
    holding: HashMap<OsString, Vec<DirId>>,
}

impl Directories {
    fn of<'p>(entries: impl Iterator<Item = &'p Path>) -> Directories {
        let mut directories = Directories::default();
        for entry in entries {
            let (Some(dir), Some(name)) = (entry.parent(), entry.file_name()) else {
                continue;
            };
            let id = match directories.ids.get(dir) {
                Some(&id) => id,
                None => {
                    let Ok(number) = u32::try_from(directories.paths.len()) else {
                        continue;
                    };
                    let dir: Arc<Path> = Arc::from(dir);
                    directories.paths.push(Arc::clone(&dir));
                    directories.ids.insert(dir, DirId(number));
                    DirId(number)
                }
            };
            match directories.holding.get_mut(name) {
                Some(holding) => holding.push(id),
                None => {
                    directories.holding.insert(name.to_os_string(), vec![id]);
                }
            }
        }
        for holding in directories.holding.values_mut() {
            holding.sort_unstable();
            holding.dedup();
        }
        directories
    }
}

/// `path` [`normalize`]d, borrowed when there is nothing to fold.
fn normalized(path: &Path) -> Cow<'_, Path> {
    if path
        .components()
        .any(|c| matches!(c, Component::CurDir | Component::ParentDir))
    {
        Cow::Owned(normalize(path))
    } else {
        Cow::Borrowed(path)
    }
}

/// Lexical normalisation: removes `.` and folds `..` (RUNPATH `$ORIGIN/../lib`).
/// `/..` is `/`. A `..` at an archive's root climbs out of the archive, where
/// none of its members are: the path keeps that `..` and so names no file.
pub(super) fn normalize(path: &Path) -> PathBuf {
    let bytes = path.as_os_str().as_bytes();
    let absolute = bytes.first() == Some(&b'/');
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    if absolute {
        out.push(b'/');
    }
    // Where each kept component starts in `out` (its separator included),
    // and whether it can be folded by a following `..`.
    let mut kept: Vec<(usize, bool)> = Vec::new();
    for part in bytes.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => match kept.last() {
                None if absolute => {}
                Some(&(start, true)) => {
                    out.truncate(start);
                    kept.pop();
                }
                _ => push_component(&mut out, &mut kept, part, false),
            },
            name => {
                let foldable = !is_archive_root(OsStr::from_bytes(name));
                push_component(&mut out, &mut kept, name, foldable);
            }
        }
    }
    if absolute && out.is_empty() {
        out.push(b'/');
    }
    PathBuf::from(OsString::from_vec(out))
}

fn push_component(out: &mut Vec<u8>, kept: &mut Vec<(usize, bool)>, name: &[u8], foldable: bool) {
    let start = out.len();
    if !(out.is_empty() || out.ends_with(b"/")) {
        out.push(b'/');
    }
    out.extend_from_slice(name);
    kept.push((start, foldable));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_origin_paths() {
        assert_eq!(
            normalize(Path::new("/a/b/../../c/./d")),
            PathBuf::from("/c/d")
        );
        assert_eq!(normalize(Path::new("/a/b/../lib")), PathBuf::from("/a/lib"));
        assert_eq!(normalize(Path::new("/../../lib")), PathBuf::from("/lib"));
        assert_eq!(
            normalize(Path::new("../../lib")),
            PathBuf::from("../../lib")
        );
    }

    /// The definition `normalize` implements on bytes: by `Path::components`.
    fn normalize_by_components(path: &Path) -> PathBuf {
        let mut parts: Vec<Component> = Vec::new();
        for component in path.components() {
            match component {
                Component::CurDir => {}
                Component::ParentDir => match parts.last() {
                    Some(Component::RootDir) => {}
                    Some(Component::Normal(name)) if !is_archive_root(name) => {
                        parts.pop();
                    }
                    _ => parts.push(Component::ParentDir),
                },
                other => parts.push(other),
            }
        }
        parts.iter().collect()
    }

    #[test]
    fn normalize_agrees_with_path_components() {
        let archive_root = crate::model::member_location(Path::new("w.whl"), "x");
        let archive_root = archive_root.parent().unwrap().file_name().unwrap();
        let pieces: [&OsStr; 8] = [
            OsStr::new(""),
            OsStr::new("."),
            OsStr::new(".."),
            OsStr::new("a"),
            OsStr::new("bc"),
            OsStr::new("..."),
            OsStr::new(".x"),
            archive_root,
        ];
        // Every path of up to five pieces, absolute and relative.
        let mut checked = 0;
        for len in 0..=5u32 {
            for code in 0..pieces.len().pow(len) {
                let mut path = OsString::new();
                let mut rest = code;
                for _ in 0..len {
                    path.push("/");
                    path.push(pieces[rest % pieces.len()]);
                    rest /= pieces.len();
                }
                for path in [
                    Path::new(&path),
                    Path::new(&path)
                        .strip_prefix("/")
                        .unwrap_or(Path::new(&path)),
                ] {
                    assert_eq!(normalize(path), normalize_by_components(path), "{path:?}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 70_000);
    }

    #[test]
    fn dot_dot_never_leaves_an_archive() {
        let archive = Path::new("/p/a-1.0-py3-none-any.whl");
        let inside = crate::model::member_location(archive, "a/sub");
        assert_eq!(
            normalize(&inside.join("../lib/x.so")),
            crate::model::member_location(archive, "a/lib/x.so")
        );
        let out = normalize(&inside.join("../../../x.so"));
        assert!(out.starts_with(archive), "{out:?}");
        assert!(
            out.components().any(|c| c == Component::ParentDir),
            "climbed out, so names nothing: {out:?}"
        );
        assert_ne!(out, Path::new("/p/x.so"));
        assert_ne!(out, archive.join("x.so"));
        let further = normalize(&out.join("../../.."));
        assert!(further.components().any(|c| c == Component::ParentDir));
    }
}
