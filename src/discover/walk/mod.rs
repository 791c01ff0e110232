//! The walk: every root's directories as jobs on rayon's pool, each job
//! handing on what it meets (candidates, manifests, package metadata: read
//! at once, as jobs of their own while few wait) and collecting the rest
//! into an [`Inventory`] of its own, merged at the end.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

mod follow;

use super::hard_links::HardLinks;
use super::{
    Candidate, Inventory, Manifest, OtherName, Problem, ProblemKind, WalkOptions, archive, below,
    dir_name_proves_no_elf, display_path, files, io_error_reason, name_proves_text, path_text,
};
use crate::ecosystem::distro::PackageDatabase;
use crate::ecosystem::npm::is_native_file;
use crate::ecosystem::{ManifestKind, is_archive_inside_installed_packages};
use crate::progress::Progress;

/// What the walk hands on as soon as it meets it.
#[derive(Debug)]
pub enum Found {
    /// A file to read (once per inode).
    Candidate(Candidate),
    /// A manifest, also kept in [`Inventory::manifests`]: its reader need
    /// not wait for the walk to end.
    Manifest(PathBuf),
    /// Package metadata the attribution reads (a `*.dist-info`'s `RECORD`
    /// and `WHEEL`): read while the walk goes on.
    Metadata(PathBuf),
}

/// A directory (or a file to hand on) met while fewer than this many jobs
/// per thread wait is a job of its own, on whichever core is free;
/// otherwise the job that met it walks (or hands on) it. Enough waiting jobs keep every core busy; more cost a
/// `stat` each (walkdir's of its root) and balanced nothing.
const WAITING_JOBS_PER_THREAD: usize = 8;

/// Walks every root, handing each candidate file, manifest and package
/// metadata to `found` as soon as it is met (on any thread), and collects
/// everything else. Directories, and what `found` is handed, are jobs on
/// rayon's pool (see [`WAITING_JOBS_PER_THREAD`]): the listing (most of a
/// walk's time, in the kernel) and the reads go on on every core.
pub fn walk(
    roots: &[PathBuf],
    options: &WalkOptions,
    progress: &dyn Progress,
    found: &(dyn Fn(Found) + Sync),
) -> Inventory {
    let roots = &outermost(roots);
    let shared = Shared {
        options,
        progress,
        found,
        hard_links: Mutex::new(HardLinks::new(options.follow_symlinks)),
        // Only needed to keep followed links inside the roots.
        canonical_roots: if options.follow_symlinks {
            roots
                .iter()
                .filter_map(|root| std::fs::canonicalize(root).ok())
                .collect()
        } else {
            Vec::new()
        },
        walked: Mutex::new(Inventory::default()),
        waiting_jobs: AtomicUsize::new(0),
        enough_waiting: rayon::current_num_threads().saturating_mul(WAITING_JOBS_PER_THREAD),
    };
    let single_dir_root = roots.len() == 1 && roots.first().is_some_and(|r| r.is_dir());
    let mut inventory = Inventory {
        single_dir_root,
        ..Inventory::default()
    };
    for given in roots {
        if std::fs::symlink_metadata(given).is_err() {
            inventory.problems.push(Problem {
                path: path_text(given),
                kind: ProblemKind::Missing,
                reason: "no such file or directory".to_string(),
            });
            continue;
        }
        let root = Root {
            given,
            absolute: std::path::absolute(given).unwrap_or_else(|_| given.to_path_buf()),
            single_dir_root,
        };
        inventory
            .roots
            .push((given.to_path_buf(), root.absolute.clone()));
        if options.follow_symlinks {
            // On one thread: a followed link is checked for a loop against
            // every directory above it, which a job of its own would not know.
            let mut walker = Walker::new(&shared, None);
            walker.walk_following_links(&root);
            shared.keep(walker);
        } else {
            let (shared, root) = (&shared, &root);
            rayon::scope(|scope| walk_root(scope, shared, root));
        }
    }
    let walked = shared
        .walked
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    inventory.absorb(walked);
    inventory.sort();
    inventory
}

/// `roots` without those another one holds: a path given twice, or a
/// directory inside another given one, is walked once, as part of the
/// outer one (in the order given).
fn outermost(roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut resolved: Vec<(PathBuf, usize)> = roots
        .iter()
        .enumerate()
        .filter_map(|(i, root)| Some((std::fs::canonicalize(root).ok()?, i)))
        .collect();
    // By components: a directory sorts right before what is below it.
    resolved.sort();
    let mut held = vec![false; roots.len()];
    let mut outer: Option<&Path> = None;
    for (path, i) in &resolved {
        match outer {
            Some(outer) if path.starts_with(outer) => {
                if let Some(held) = held.get_mut(*i) {
                    *held = true;
                }
            }
            _ => outer = Some(path),
        }
    }
    roots
        .iter()
        .zip(held)
        .filter(|(_, held)| !held)
        .map(|(root, _)| root.clone())
        .collect()
}

/// What every job of one walk shares.
struct Shared<'w> {
    options: &'w WalkOptions,
    progress: &'w dyn Progress,
    found: &'w (dyn Fn(Found) + Sync),
    hard_links: Mutex<HardLinks>,
    /// Where the roots really are; a followed link must stay below one.
    canonical_roots: Vec<PathBuf>,
    /// What the jobs collected.
    walked: Mutex<Inventory>,
    /// Jobs spawned and not yet started.
    waiting_jobs: AtomicUsize,
    enough_waiting: usize,
}

impl Shared<'_> {
    /// Keeps what a job collected.
    fn keep(&self, walker: Walker) {
        self.progress
            .walked(walker.inventory.files_walked % PROGRESS_STEP);
        self.walked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .absorb(walker.inventory);
    }
}

/// The progress hears of walked files this many at a time.
const PROGRESS_STEP: u64 = 1024;

/// The root itself (followed when it is a link), then what is below it.
fn walk_root<'s>(scope: &rayon::Scope<'s>, shared: &'s Shared<'s>, root: &'s Root<'s>) {
    let mut walker = Walker::new(shared, Some(scope));
    let path = root.absolute.clone();
    match std::fs::metadata(&path) {
        Ok(metadata) => {
            let met = Met {
                file_type: metadata.file_type(),
                depth: 0,
                ino: inode_number(&metadata),
                path,
            };
            walker.visit(root, &met);
            if met.file_type.is_dir() {
                walker.walk_below(root, met.path, 0);
            }
        }
        Err(err) => walker.unreadable(root, &path, &err),
    }
    shared.keep(walker);
}

/// Walks what is below `dir` (`depth` below `root`, met by the job above),
/// but for the directories met while few jobs wait: those are jobs of their own.
fn walk_job<'s>(
    scope: &rayon::Scope<'s>,
    shared: &'s Shared<'s>,
    root: &'s Root<'s>,
    dir: PathBuf,
    depth: usize,
) {
    shared.waiting_jobs.fetch_sub(1, Ordering::Relaxed);
    let mut walker = Walker::new(shared, Some(scope));
    walker.walk_below(root, dir, depth);
    shared.keep(walker);
}

/// An entry the walk met, as its directory's listing gave it (a root, as
/// `stat` gives it).
struct Met {
    path: PathBuf,
    /// The entry's own type; a root's is its target's.
    file_type: std::fs::FileType,
    /// How deep below its root it is.
    depth: usize,
    /// The inode number the listing gave.
    ino: u64,
}

#[cfg(unix)]
fn inode_number(metadata: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(metadata)
}

#[cfg(not(unix))]
fn inode_number(_metadata: &std::fs::Metadata) -> u64 {
    0
}

/// One root being walked: how its paths are shown and made relative.
struct Root<'r> {
    given: &'r Path,
    /// Absolute, so RUNPATHs and symlink targets meet scanned paths.
    absolute: PathBuf,
    single_dir_root: bool,
}

impl Root<'_> {
    fn shown(&self, path: &Path) -> String {
        display_path(self.given, &self.absolute, path, self.single_dir_root)
    }

    fn relative<'p>(&self, path: &'p Path) -> &'p Path {
        below(path, &self.absolute).unwrap_or(path)
    }
}

/// One job of a walk: a directory and what is below it.
struct Walker<'a, 's> {
    shared: &'s Shared<'s>,
    /// Where what the job meets is handed on as a job of its own while few
    /// wait (a directory of 20,000 addons is one job: its reads are not).
    scope: Option<&'a rayon::Scope<'s>>,
    /// What the job collected.
    inventory: Inventory,
    /// The directory of the last file met: its files share it.
    last_dir: Option<Arc<Path>>,
}

impl<'a, 's> Walker<'a, 's> {
    fn new(shared: &'s Shared<'s>, scope: Option<&'a rayon::Scope<'s>>) -> Self {
        Walker {
            shared,
            scope,
            inventory: Inventory::default(),
            last_dir: None,
        }
    }

    /// What is below `dir` (`depth` below the root), each directory as a
    /// job of its own while few jobs wait, else walked here. Listed whole
    /// before anything below is: one directory open at a time, however deep.
    fn walk_below(&mut self, root: &'s Root<'s>, dir: PathBuf, depth: usize) {
        let shared = self.shared;
        let mut pending = vec![(dir, depth)];
        while let Some((dir, depth)) = pending.pop() {
            for below in self.list(root, &dir, depth) {
                match self.scope {
                    Some(scope)
                        if shared.waiting_jobs.load(Ordering::Relaxed) < shared.enough_waiting =>
                    {
                        shared.waiting_jobs.fetch_add(1, Ordering::Relaxed);
                        scope.spawn(move |scope| walk_job(scope, shared, root, below, depth + 1));
                    }
                    _ => pending.push((below, depth + 1)),
                }
            }
        }
    }

    /// Visits what `dir` (`depth` below the root) holds; returns the
    /// directories in it to walk.
    fn list(&mut self, root: &Root, dir: &Path, depth: usize) -> Vec<PathBuf> {
        let listing = match std::fs::read_dir(dir) {
            Ok(listing) => listing,
            Err(err) => {
                self.unreadable(root, dir, &err);
                return Vec::new();
            }
        };
        let mut entries = Vec::new();
        for entry in listing {
            let read = entry.and_then(|entry| {
                #[cfg(unix)]
                let ino = std::os::unix::fs::DirEntryExt::ino(&entry);
                #[cfg(not(unix))]
                let ino = 0;
                Ok((entry.file_name(), entry.file_type()?, ino))
            });
            match read {
                Ok(entry) => entries.push(entry),
                Err(err) => self.unreadable(root, dir, &err),
            }
        }
        let mut dirs = Vec::new();
        for (name, file_type, ino) in entries {
            let met = Met {
                path: dir.join(name),
                file_type,
                depth: depth + 1,
                ino,
            };
            if file_type.is_dir() && skipped_dir(&met, root, self.shared.options) {
                continue;
            }
            self.visit(root, &met);
            if file_type.is_dir() {
                dirs.push(met.path);
            }
        }
        dirs
    }

    fn unreadable(&mut self, root: &Root, path: &Path, err: &std::io::Error) {
        self.problem(
            root.shown(path),
            ProblemKind::Unreadable,
            io_error_reason(err),
        );
    }

    /// The directory `met` is in, shared with the files met before it there.
    fn directory_of(&mut self, met: &Met) -> Arc<Path> {
        let parent = met.path.parent().unwrap_or(Path::new(""));
        match &self.last_dir {
            Some(dir) if **dir == *parent => Arc::clone(dir),
            _ => {
                let dir: Arc<Path> = Arc::from(parent);
                self.last_dir = Some(Arc::clone(&dir));
                dir
            }
        }
    }

    /// Hands `found` on: as a job of its own while few jobs wait, so that
    /// another core reads it, else on this thread now.
    fn hand_on(&self, found: Found) {
        let shared = self.shared;
        match self.scope {
            Some(scope) if shared.waiting_jobs.load(Ordering::Relaxed) < shared.enough_waiting => {
                shared.waiting_jobs.fetch_add(1, Ordering::Relaxed);
                scope.spawn(move |_| {
                    shared.waiting_jobs.fetch_sub(1, Ordering::Relaxed);
                    (shared.found)(found);
                });
            }
            _ => (shared.found)(found),
        }
    }

    fn problem(&mut self, path: String, kind: ProblemKind, reason: String) {
        self.inventory.problems.push(Problem { path, kind, reason });
    }

    fn visit(&mut self, root: &Root, entry: &Met) {
        let depth = entry.depth;
        if depth > 0
            && self
                .shared
                .options
                .exclude
                .matches_itself(root.relative(&entry.path))
        {
            return;
        }
        let file_type = entry.file_type;
        if file_type.is_dir() {
            let name = walked_name(&entry.path).as_encoded_bytes();
            if name.ends_with(b".dist-info") {
                self.inventory.dist_infos.push(entry.path.clone());
            }
            if depth > 0 && may_name_a_library(name) {
                self.inventory
                    .library_named_dirs
                    .push((entry.path.clone(), root.shown(&entry.path)));
            }
            self.inventory
                .package_databases
                .extend(PackageDatabase::recognise(&entry.path, true));
            return;
        }
        if file_type.is_symlink() {
            // Not followed: remember where it points, for library resolution.
            if let Ok(target) = std::fs::read_link(&entry.path) {
                let parent = entry.path.parent().unwrap_or(Path::new(""));
                let location = entry.path.clone();
                self.inventory
                    .symlinks
                    .insert(location, parent.join(target));
            }
            return;
        }
        self.inventory.files_walked += 1;
        if self.inventory.files_walked % PROGRESS_STEP == 0 {
            self.shared.progress.walked(PROGRESS_STEP);
        }
        if !file_type.is_file() {
            let reason = format!("{}: not opened", files::kind_of(&file_type));
            self.problem(root.shown(&entry.path), ProblemKind::SpecialFile, reason);
            return;
        }
        self.visit_file(root, entry);
    }

    fn visit_file(&mut self, root: &Root, entry: &Met) {
        let name = walked_name(&entry.path);
        let depth = entry.depth;
        if name == "oci-layout"
            && depth > 0
            && let Some(dir) = entry.path.parent()
        {
            self.inventory
                .oci_layouts
                .push((dir.to_path_buf(), root.shown(dir)));
        }
        // A wheel's `.dist-info` holds its metadata, never a file anything loads.
        if depth > 0 && in_dist_info(entry) {
            if matches!(name.to_str(), Some("RECORD" | "WHEEL")) {
                self.hand_on(Found::Metadata(entry.path.clone()));
            }
            if !self.shared.options.all_files {
                self.inventory.skipped_by_name += 1;
                return;
            }
        }
        // The whole path: a scan of `node_modules` itself (or of one
        // installed package) reads installed packages too.
        let manifest = ManifestKind::at(&entry.path);
        self.inventory
            .package_databases
            .extend(PackageDatabase::recognise(&entry.path, false));
        if let Some(kind) = manifest {
            self.inventory.manifests.push(Manifest {
                shown: root.shown(&entry.path),
                location: entry.path.clone(),
                kind,
            });
            self.hand_on(Found::Manifest(entry.path.clone()));
        }
        if is_native_file(&entry.path) {
            self.inventory.npm_native_files.push(entry.path.clone());
        }
        if !self.shared.options.all_files && name_proves_text(name) {
            self.inventory.skipped_by_name += 1;
            return;
        }
        if archive::is_archive_name(name) && is_archive_inside_installed_packages(&entry.path) {
            self.inventory.archives_in_packages += 1;
            return;
        }
        let shown = root.shown(&entry.path);
        let dir = self.directory_of(entry);
        let first_link = self
            .shared
            .hard_links
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .first_link((&entry.path, entry.ino), &dir);
        match first_link {
            Ok(Some(first)) => {
                self.inventory
                    .hard_links
                    .entry(first)
                    .or_default()
                    .push(OtherName {
                        shown,
                        location: entry.path.clone(),
                    });
                return;
            }
            Ok(None) => {}
            Err(err) => return self.problem(shown, ProblemKind::Unreadable, io_error_reason(&err)),
        }
        self.shared.progress.found_candidate();
        self.hand_on(Found::Candidate(Candidate {
            shown,
            location: entry.path.clone(),
        }));
    }
}

/// Whether a directory's name could be a needed library's (`libfoo.so`,
/// `libfoo.so.1`): a loader searching for that name opens the directory
/// and fails. Needed names are `*.so*` in practice; keeping only those
/// keeps a tree's thousands of other directories out of the index.
fn may_name_a_library(name: &[u8]) -> bool {
    name.ends_with(b".so") || name.windows(4).any(|part| part == b".so.")
}

/// Whether `entry`, below its root, is directly in a `*.dist-info` directory.
fn in_dist_info(entry: &Met) -> bool {
    entry
        .path
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|dir| dir.as_encoded_bytes().ends_with(b".dist-info"))
}

/// A directory below a root the walk does not enter: `.git`, an excluded
/// one, or one whose name proves nothing in it is loaded (unless `--all-files`).
fn skipped_dir(entry: &Met, root: &Root, options: &WalkOptions) -> bool {
    skipped_dir_named(walked_name(&entry.path), &entry.path, root, options)
}

fn skipped_dir_named(name: &OsStr, path: &Path, root: &Root, options: &WalkOptions) -> bool {
    name == ".git"
        || (!options.all_files && dir_name_proves_no_elf(name))
        || options.exclude.excludes_below(root.relative(path))
}

/// The name of an entry the walk met: the bytes after the last `/` of its
/// path (`Path::file_name` parses components: a percent of the walk), or for
/// a root, what `file_name` says.
fn walked_name(path: &Path) -> &OsStr {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bytes = path.as_os_str().as_bytes();
        if let Some(slash) = bytes.iter().rposition(|&b| b == b'/')
            && let Some(name) = bytes.get(slash + 1..)
            && !name.is_empty()
        {
            return OsStr::from_bytes(name);
        }
    }
    path.file_name().unwrap_or(path.as_os_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_walked_entrys_name_is_what_file_name_says() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a.dist-info");
        std::fs::create_dir(&nested).unwrap();
        std::fs::write(nested.join("RECORD"), "").unwrap();
        std::fs::write(dir.path().join("caf\u{e9}.so"), "").unwrap();
        // A root with a trailing slash, and one without.
        let with_slash = format!("{}/", dir.path().display());
        for root in [PathBuf::from(with_slash), dir.path().to_path_buf()] {
            let entries: Vec<_> = walkdir::WalkDir::new(&root)
                .into_iter()
                .map(Result::unwrap)
                .collect();
            assert_eq!(entries.len(), 4, "{entries:?}");
            for entry in &entries {
                assert_eq!(walked_name(entry.path()), entry.file_name(), "{entry:?}");
            }
        }
    }
}
