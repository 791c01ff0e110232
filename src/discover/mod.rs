//! Walking the scanned paths: which files to read, which to skip, and why.
//!
//! Judges nothing about compatibility. Produces an [`Inventory`] of candidate
//! files (one per inode), the symlinks met on the way (the resolver follows
//! them by name), and the files it could not handle.

pub mod archive;
pub mod budget;
mod contents;
pub mod files;
mod hard_links;
pub mod image;
#[cfg(target_os = "linux")]
mod mapped;
mod text_names;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Serialize;
use walkdir::WalkDir;

use hard_links::HardLinks;

use crate::ecosystem::distro::PackageDatabase;
use crate::ecosystem::npm::is_native_file;
use crate::ecosystem::{ManifestKind, is_archive_inside_installed_packages};
use crate::model::{ReportPath, display_location, on_disk};
use crate::progress::Progress;

pub use contents::{Contents, MAX_MAPPED_BYTES, MAX_READ_BYTES, read_if_elf};
pub use files::{
    LossyText, METADATA_CAP, ReadError, ScannedPaths, read_bounded, read_found, read_found_text,
    read_prefix, read_text_file, read_walked, write_atomically,
};
pub use text_names::{TEXT_EXTENSIONS, name_proves_text};

/// Unmaps the files read and retired while the readers ran (see `mapped`).
pub fn release_retired_maps() {
    #[cfg(target_os = "linux")]
    mapped::release_retired();
}

/// How to walk.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    pub follow_symlinks: bool,
    /// Read every regular file, even those whose name proves they are text.
    pub all_files: bool,
    pub exclude: Excludes,
}

/// `--exclude` globs, compiled once: matched against the path relative to
/// its root and against the file name.
#[derive(Debug, Clone, Default)]
pub struct Excludes(GlobSet);

impl Excludes {
    pub fn new(patterns: &[String]) -> Result<Excludes, DiscoverError> {
        let mut builder = GlobSetBuilder::new();
        for pattern in patterns {
            let glob = Glob::new(pattern).map_err(|source| DiscoverError::BadGlob {
                glob: pattern.clone(),
                source,
            })?;
            builder.add(glob);
        }
        let set = builder.build().map_err(|source| DiscoverError::BadGlob {
            glob: patterns.join(", "),
            source,
        })?;
        Ok(Excludes(set))
    }

    /// Whether `relative` (a path below a root, or inside an image) is excluded.
    pub fn matches(&self, relative: &Path) -> bool {
        !self.0.is_empty()
            && (self.0.is_match(relative)
                || relative
                    .file_name()
                    .is_some_and(|name| self.0.is_match(Path::new(name))))
    }
}

/// A regular file worth sniffing, at the first path it was met under.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The path as shown in reports.
    pub shown: String,
    /// Where to open it (its reader learns its size: the walk does not
    /// `stat` it).
    pub location: PathBuf,
}

/// Why a path could not be scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    Unreadable,
    SpecialFile,
    SymlinkLoop,
    /// A link that following would have left every scanned root by.
    SymlinkOutside,
    Missing,
}

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub path: String,
    pub kind: ProblemKind,
    pub reason: String,
}

/// The result of walking.
#[derive(Debug, Default)]
pub struct Inventory {
    pub files_walked: u64,
    pub skipped_by_name: u64,
    /// Tarballs and wheels inside installed packages, not opened (data).
    pub archives_in_packages: u64,
    /// Files met again under another name (hard links): first location → paths shown.
    pub hard_links: HashMap<PathBuf, Vec<String>>,
    pub problems: Vec<Problem>,
    /// Symlinks met while walking (not followed): link location → target location.
    pub symlinks: HashMap<PathBuf, PathBuf>,
    /// `*.dist-info` directories met while walking (Python package metadata).
    pub dist_infos: Vec<PathBuf>,
    /// Lockfiles, requirements files and installed npm manifests.
    pub manifests: Vec<Manifest>,
    /// Files that say how an installed npm package gets its native code
    /// (`binding.gyp`, prebuilds): see [`crate::ecosystem::npm::NativeFiles`].
    pub npm_native_files: Vec<PathBuf>,
    /// dpkg and apk databases of root filesystems in the tree.
    pub package_databases: Vec<PackageDatabase>,
    /// Directories holding an `oci-layout` file (OCI image layouts met in
    /// the tree), with how each is shown: read as container images.
    pub oci_layouts: Vec<(PathBuf, String)>,
    /// Each root as given and as walked, to show other paths below it.
    roots: Vec<(PathBuf, PathBuf)>,
    single_dir_root: bool,
}

impl Inventory {
    /// How a path below the scanned roots is shown in reports (as the
    /// files the walk met are shown).
    pub fn shown(&self, location: &Path) -> String {
        // A member (of an image, a wheel): its archive as shown, then `!/member`.
        let disk = on_disk(location);
        if let Ok(member) = location.strip_prefix(disk)
            && !member.as_os_str().is_empty()
        {
            return format!("{}{}", self.shown(disk), display_location(member));
        }
        let root = self
            .roots
            .iter()
            .filter(|(_, absolute)| location.starts_with(absolute))
            .max_by_key(|(_, absolute)| absolute.as_os_str().len());
        match root {
            Some((given, absolute)) => {
                display_path(given, absolute, location, self.single_dir_root)
            }
            None => location.to_string_lossy().into_owned(),
        }
    }
}

impl Inventory {
    /// Takes in what a job of the walk collected.
    fn absorb(&mut self, other: Inventory) {
        self.files_walked += other.files_walked;
        self.skipped_by_name += other.skipped_by_name;
        self.archives_in_packages += other.archives_in_packages;
        for (first, mut others) in other.hard_links {
            self.hard_links
                .entry(first)
                .or_default()
                .append(&mut others);
        }
        self.problems.extend(other.problems);
        self.symlinks.extend(other.symlinks);
        self.dist_infos.extend(other.dist_infos);
        self.manifests.extend(other.manifests);
        self.npm_native_files.extend(other.npm_native_files);
        self.package_databases.extend(other.package_databases);
        self.oci_layouts.extend(other.oci_layouts);
    }

    /// In one order whatever order the jobs of the walk ended in.
    fn sort(&mut self) {
        self.problems
            .sort_by(|a, b| (&a.path, &a.reason).cmp(&(&b.path, &b.reason)));
        self.dist_infos.sort();
        self.manifests.sort_by(|a, b| a.location.cmp(&b.location));
        self.npm_native_files.sort();
        self.package_databases.sort();
        self.oci_layouts.sort();
        for others in self.hard_links.values_mut() {
            others.sort();
        }
    }
}

impl Inventory {
    /// Registers a root read other than by walking (a container image), so
    /// that paths below it are shown as the user named it.
    pub fn add_root(&mut self, given: &Path, absolute: &Path) {
        self.roots
            .push((given.to_path_buf(), absolute.to_path_buf()));
    }
}

/// A manifest or lockfile met while walking.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub shown: String,
    pub location: PathBuf,
    pub kind: ManifestKind,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("invalid --exclude glob `{glob}`: {source}")]
    BadGlob {
        glob: String,
        source: globset::Error,
    },
}

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

/// A directory met while fewer than this many jobs per thread wait is
/// walked as a job of its own, on whichever core is free; otherwise by the
/// job that met it. Enough waiting jobs keep every core busy; more cost a
/// `stat` each (walkdir's of its root) and balanced nothing.
const WAITING_JOBS_PER_THREAD: usize = 8;

/// Walks every root, handing each candidate file, manifest and package
/// metadata to `found` as soon as it is met, on the thread that met it, and
/// collects everything else. Directories are jobs on rayon's pool (see
/// [`WAITING_JOBS_PER_THREAD`]): the listing (most of a walk's time, in the
/// kernel) and the reads `found` does go on on every core.
pub fn walk(
    roots: &[PathBuf],
    options: &WalkOptions,
    progress: &dyn Progress,
    found: &(dyn Fn(Found) + Sync),
) -> Inventory {
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
            let mut walker = Walker::new(&shared, 0);
            walker.walk_following_links(&root);
            shared.keep(walker);
        } else {
            let (shared, root) = (&shared, &root);
            rayon::scope(|scope| walk_job(scope, shared, root, root.absolute.clone(), 0));
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

/// Walks `dir` (`depth` below `root`, met by the job above, or the root
/// itself) with everything below it, but for the directories met while
/// few jobs wait: those are jobs of their own.
fn walk_job<'s>(
    scope: &rayon::Scope<'s>,
    shared: &'s Shared<'s>,
    root: &'s Root<'s>,
    dir: PathBuf,
    depth: usize,
) {
    if depth > 0 {
        shared.waiting_jobs.fetch_sub(1, Ordering::Relaxed);
    }
    let mut walker = Walker::new(shared, depth);
    let entries = WalkDir::new(&dir)
        .follow_root_links(depth == 0)
        .into_iter()
        .filter_entry(|entry| {
            if entry.depth() == 0 || !entry.file_type().is_dir() {
                return true;
            }
            if walked_name(entry) == ".git" {
                return false;
            }
            if shared.waiting_jobs.load(Ordering::Relaxed) >= shared.enough_waiting {
                return true;
            }
            shared.waiting_jobs.fetch_add(1, Ordering::Relaxed);
            let below_root = depth + entry.depth();
            // Met (and shown) by the job that walks it.
            let dir = entry.path().to_path_buf();
            scope.spawn(move |scope| walk_job(scope, shared, root, dir, below_root));
            false
        });
    for entry in entries {
        match entry {
            Ok(entry) => walker.visit(root, &entry),
            Err(err) => walker.walk_error(root, &err),
        }
    }
    shared.keep(walker);
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
struct Walker<'w> {
    shared: &'w Shared<'w>,
    /// How deep below its root the job's directory is.
    depth: usize,
    /// What the job collected.
    inventory: Inventory,
}

impl<'w> Walker<'w> {
    fn new(shared: &'w Shared<'w>, depth: usize) -> Self {
        Walker {
            shared,
            depth,
            inventory: Inventory::default(),
        }
    }

    /// How deep below its root `entry` is.
    fn depth_of(&self, entry: &walkdir::DirEntry) -> usize {
        self.depth + entry.depth()
    }

    fn problem(&mut self, path: String, kind: ProblemKind, reason: String) {
        self.inventory.problems.push(Problem { path, kind, reason });
    }

    fn walk_error(&mut self, root: &Root, err: &walkdir::Error) {
        let path = err
            .path()
            .map(|p| root.shown(p))
            .unwrap_or_else(|| path_text(root.given));
        let (kind, reason) = match err.loop_ancestor() {
            Some(ancestor) => (
                ProblemKind::SymlinkLoop,
                format!("symlink loop back to {}", ancestor.display()),
            ),
            None => (ProblemKind::Unreadable, io_reason(err)),
        };
        self.problem(path, kind, reason);
    }

    /// The whole root on this thread, following links that stay inside the roots.
    fn walk_following_links(&mut self, root: &Root) {
        // Unsorted: the report is sorted at the end, and sorting every
        // directory by name was most of the walk's CPU time.
        let mut entries = WalkDir::new(&root.absolute)
            .follow_links(true)
            .follow_root_links(true)
            .into_iter()
            .filter_entry(|entry| {
                !(entry.depth() > 0 && entry.file_type().is_dir() && walked_name(entry) == ".git")
            });
        while let Some(entry) = entries.next() {
            match entry {
                Ok(entry) if self.leaves_the_roots(root, &entry) => {
                    if entry.file_type().is_dir() {
                        entries.skip_current_dir();
                    }
                }
                Ok(entry) => self.visit(root, &entry),
                Err(err) => self.walk_error(root, &err),
            }
        }
    }

    /// Whether `entry` is a link the walk followed (with `--follow-symlinks`)
    /// to a place outside every root; if so it is recorded as a problem (unless
    /// excluded) and as an unfollowed link, and must not be visited or
    /// descended into.
    fn leaves_the_roots(&mut self, root: &Root, entry: &walkdir::DirEntry) -> bool {
        if self.depth_of(entry) == 0 || !entry.path_is_symlink() {
            return false;
        }
        let excluded = self
            .shared
            .options
            .exclude
            .matches(root.relative(entry.path()));
        // Not followed unless shown to stay inside.
        let reason = match std::fs::canonicalize(entry.path()) {
            Ok(target)
                if self
                    .shared
                    .canonical_roots
                    .iter()
                    .any(|r| target.starts_with(r)) =>
            {
                return false;
            }
            Ok(target) => format!(
                "a symlink to {}, outside the scanned paths: not followed (scan that path too to include it)",
                path_text(&target)
            ),
            Err(err) => format!("a symlink whose target cannot be resolved ({err}): not followed"),
        };
        if let Ok(link) = std::fs::read_link(entry.path()) {
            let parent = entry.path().parent().unwrap_or(Path::new(""));
            self.inventory
                .symlinks
                .insert(entry.path().to_path_buf(), parent.join(link));
        }
        if !excluded {
            let shown = root.shown(entry.path());
            self.problem(shown, ProblemKind::SymlinkOutside, reason);
        }
        true
    }

    fn visit(&mut self, root: &Root, entry: &walkdir::DirEntry) {
        let depth = self.depth_of(entry);
        if depth > 0
            && self
                .shared
                .options
                .exclude
                .matches(root.relative(entry.path()))
        {
            return;
        }
        let file_type = if depth == 0 && entry.path_is_symlink() {
            // A root the user named is followed even when it is a link.
            std::fs::metadata(entry.path()).map_or(entry.file_type(), |m| m.file_type())
        } else {
            entry.file_type()
        };
        if file_type.is_dir() {
            if walked_name(entry)
                .as_encoded_bytes()
                .ends_with(b".dist-info")
            {
                self.inventory.dist_infos.push(entry.path().to_path_buf());
            }
            self.inventory
                .package_databases
                .extend(PackageDatabase::recognise(entry.path(), true));
            return;
        }
        if file_type.is_symlink() {
            // Not followed: remember where it points, for library resolution.
            if let Ok(target) = std::fs::read_link(entry.path()) {
                let parent = entry.path().parent().unwrap_or(Path::new(""));
                let location = entry.path().to_path_buf();
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
            self.problem(root.shown(entry.path()), ProblemKind::SpecialFile, reason);
            return;
        }
        self.visit_file(root, entry);
    }

    fn visit_file(&mut self, root: &Root, entry: &walkdir::DirEntry) {
        let name = walked_name(entry);
        let depth = self.depth_of(entry);
        if name == "oci-layout"
            && depth > 0
            && let Some(dir) = entry.path().parent()
        {
            self.inventory
                .oci_layouts
                .push((dir.to_path_buf(), root.shown(dir)));
        }
        // A wheel's `.dist-info` holds its metadata, never a file anything loads.
        if depth > 0 && in_dist_info(entry) {
            if matches!(name.to_str(), Some("RECORD" | "WHEEL")) {
                (self.shared.found)(Found::Metadata(entry.path().to_path_buf()));
            }
            if !self.shared.options.all_files {
                self.inventory.skipped_by_name += 1;
                return;
            }
        }
        let manifest = name.to_str().and_then(|name| {
            let in_node_modules = || {
                root.relative(entry.path())
                    .components()
                    .any(|c| c.as_os_str() == "node_modules")
            };
            // Only these names mean something else under node_modules.
            let depends = matches!(
                name,
                "package.json" | "package-lock.json" | "yarn.lock" | "pnpm-lock.yaml"
            );
            ManifestKind::recognise(name, depends && in_node_modules())
        });
        self.inventory
            .package_databases
            .extend(PackageDatabase::recognise(entry.path(), false));
        if let Some(kind) = manifest {
            self.inventory.manifests.push(Manifest {
                shown: root.shown(entry.path()),
                location: entry.path().to_path_buf(),
                kind,
            });
            (self.shared.found)(Found::Manifest(entry.path().to_path_buf()));
        }
        if is_native_file(entry.path()) {
            self.inventory
                .npm_native_files
                .push(entry.path().to_path_buf());
        }
        if !self.shared.options.all_files && name_proves_text(name) {
            self.inventory.skipped_by_name += 1;
            return;
        }
        if archive::is_archive_name(name) && is_archive_inside_installed_packages(entry.path()) {
            self.inventory.archives_in_packages += 1;
            return;
        }
        let shown = root.shown(entry.path());
        let first_link = self
            .shared
            .hard_links
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .first_link(entry);
        match first_link {
            Ok(Some(first)) => {
                self.inventory
                    .hard_links
                    .entry(first)
                    .or_default()
                    .push(shown);
                return;
            }
            Ok(None) => {}
            Err(err) => return self.problem(shown, ProblemKind::Unreadable, io_reason(&err)),
        }
        self.shared.progress.found_candidate();
        (self.shared.found)(Found::Candidate(Candidate {
            shown,
            location: entry.path().to_path_buf(),
        }));
    }
}

/// Whether `entry`, below its root, is directly in a `*.dist-info` directory.
fn in_dist_info(entry: &walkdir::DirEntry) -> bool {
    entry
        .path()
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|dir| dir.as_encoded_bytes().ends_with(b".dist-info"))
}

/// The name of an entry the walk met: below the root its path is a
/// directory's joined with the name, so the bytes after the last `/` are it
/// (`DirEntry::file_name` parses components: a percent of the walk).
fn walked_name(entry: &walkdir::DirEntry) -> &std::ffi::OsStr {
    #[cfg(unix)]
    if entry.depth() > 0 {
        use std::os::unix::ffi::OsStrExt;
        let bytes = entry.path().as_os_str().as_bytes();
        if let Some(slash) = bytes.iter().rposition(|&b| b == b'/')
            && let Some(name) = bytes.get(slash + 1..)
            && !name.is_empty()
        {
            return std::ffi::OsStr::from_bytes(name);
        }
    }
    entry.file_name()
}

/// The path shown in reports: relative to the root when one directory is
/// scanned, else the root as the user wrote it joined with the relative path.
fn display_path(root: &Path, walk_root: &Path, path: &Path, single_dir_root: bool) -> String {
    let Some(relative) = below(path, walk_root) else {
        return path_text(path);
    };
    if relative.as_os_str().is_empty() {
        return path_text(root);
    }
    if single_dir_root {
        return path_text(relative);
    }
    path_text(&root.join(relative))
}

/// `path` relative to `root`. The walk's paths are `root` joined with names,
/// so a byte prefix decides, without `Path::strip_prefix`'s component by
/// component comparison (a quarter of the walk's CPU on the native-heavy
/// benchmark tree).
fn below<'p>(path: &'p Path, root: &Path) -> Option<&'p Path> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let root_bytes = root.as_os_str().as_bytes();
        let rest = path.as_os_str().as_bytes().strip_prefix(root_bytes);
        let rest = match rest {
            Some(rest) if rest.is_empty() || root_bytes.ends_with(b"/") => Some(rest),
            Some(rest) => rest.strip_prefix(b"/"),
            None => None,
        };
        if let Some(rest) = rest.filter(|rest| !rest.starts_with(b"/")) {
            return Some(Path::new(std::ffi::OsStr::from_bytes(rest)));
        }
    }
    path.strip_prefix(root).ok()
}

/// A path as report text, losslessly (invalid UTF-8 as `\xNN`).
pub fn path_text(path: &Path) -> String {
    ReportPath::text_of(path.as_os_str().as_encoded_bytes())
}

fn io_reason(err: &walkdir::Error) -> String {
    match err.io_error() {
        Some(io) => io_error_reason(io),
        None => err.to_string(),
    }
}

/// An I/O error as a reason; one that needs explaining says what to do.
fn io_error_reason(err: &std::io::Error) -> String {
    #[cfg(unix)]
    if err.raw_os_error() == Some(libc::ENAMETOOLONG) {
        return "longer than the system's path limit (ENAMETOOLONG), so nothing at or below it \
                was read; move the tree to a shorter path"
            .to_string();
    }
    err.to_string()
}

/// Why a root the user named cannot be read, if it cannot: a directory that
/// cannot be listed or a regular file that cannot be opened. (FIFOs and
/// devices are reported by the walk, never opened.)
pub fn unreadable_root(root: &Path) -> Option<String> {
    let result = std::fs::metadata(root).and_then(|metadata| {
        if metadata.is_dir() {
            std::fs::read_dir(root).map(drop)
        } else if metadata.is_file() {
            files::open_nonblocking(root).map(drop)
        } else {
            Ok(())
        }
    });
    result.err().map(|err| io_error_reason(&err))
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
            let entries: Vec<_> = WalkDir::new(&root)
                .into_iter()
                .map(Result::unwrap)
                .collect();
            assert_eq!(entries.len(), 4, "{entries:?}");
            for entry in &entries {
                assert_eq!(walked_name(entry), entry.file_name(), "{entry:?}");
            }
        }
    }

    #[test]
    fn a_path_below_a_root_is_cut_at_a_name_boundary() {
        let cut = |path: &str, root: &str| {
            below(Path::new(path), Path::new(root)).map(|p| p.to_string_lossy().into_owned())
        };
        assert_eq!(cut("/a/b/c.so", "/a/b").as_deref(), Some("c.so"));
        assert_eq!(cut("/a/b/c.so", "/a/b/").as_deref(), Some("c.so"));
        assert_eq!(cut("/a/b/c/d.so", "/").as_deref(), Some("a/b/c/d.so"));
        assert_eq!(cut("/a/b", "/a/b").as_deref(), Some(""));
        // A sibling whose name merely starts like the root is not below it.
        assert_eq!(cut("/a/bc/d.so", "/a/b"), None);
        assert_eq!(cut("/x/y", "/a"), None);
        // Not as the walk makes paths: components decide.
        assert_eq!(cut("/a/b//c.so", "/a/b").as_deref(), Some("c.so"));
    }
}
