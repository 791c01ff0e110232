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
    /// A manifest, also kept in [`Inventory::manifests`] at `index`: its
    /// reader need not wait for the walk to end.
    Manifest { index: usize, location: PathBuf },
    /// Package metadata the attribution reads (a `*.dist-info`'s `RECORD`
    /// and `WHEEL`): the readers read it while the walk goes on.
    Metadata(PathBuf),
}

/// Walks every root, handing each candidate file and manifest to `found` as
/// soon as it is met, and collects everything else.
pub fn walk(
    roots: &[PathBuf],
    options: &WalkOptions,
    progress: &dyn Progress,
    found: &mut dyn FnMut(Found),
) -> Inventory {
    let mut walker = Walker {
        options,
        progress,
        found,
        inventory: Inventory::default(),
        hard_links: HardLinks::new(options.follow_symlinks),
        // Only needed to keep followed links inside the roots.
        canonical_roots: if options.follow_symlinks {
            roots
                .iter()
                .filter_map(|root| std::fs::canonicalize(root).ok())
                .collect()
        } else {
            Vec::new()
        },
    };
    let single_dir_root = roots.len() == 1 && roots.first().is_some_and(|r| r.is_dir());
    walker.inventory.single_dir_root = single_dir_root;
    for root in roots {
        walker.walk_root(root, single_dir_root);
    }
    walker.inventory
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

struct Walker<'w> {
    options: &'w WalkOptions,
    progress: &'w dyn Progress,
    found: &'w mut dyn FnMut(Found),
    inventory: Inventory,
    hard_links: HardLinks,
    /// Where the roots really are; a followed link must stay below one.
    canonical_roots: Vec<PathBuf>,
}

impl Walker<'_> {
    fn problem(&mut self, path: String, kind: ProblemKind, reason: String) {
        self.inventory.problems.push(Problem { path, kind, reason });
    }

    fn walk_root(&mut self, given: &Path, single_dir_root: bool) {
        if std::fs::symlink_metadata(given).is_err() {
            let reason = "no such file or directory".to_string();
            self.problem(path_text(given), ProblemKind::Missing, reason);
            return;
        }
        let root = Root {
            given,
            absolute: std::path::absolute(given).unwrap_or_else(|_| given.to_path_buf()),
            single_dir_root,
        };
        self.inventory
            .roots
            .push((given.to_path_buf(), root.absolute.clone()));
        // Unsorted: the report is sorted at the end, and sorting every
        // directory by name was most of the walk's CPU time.
        let mut entries = WalkDir::new(&root.absolute)
            .follow_links(self.options.follow_symlinks)
            .follow_root_links(true)
            .into_iter()
            .filter_entry(|entry| {
                !(entry.depth() > 0 && entry.file_type().is_dir() && walked_name(entry) == ".git")
            });
        while let Some(entry) = entries.next() {
            match entry {
                Ok(entry) if self.leaves_the_roots(&root, &entry) => {
                    if entry.file_type().is_dir() {
                        entries.skip_current_dir();
                    }
                }
                Ok(entry) => self.visit(&root, &entry),
                Err(err) => {
                    let path = err
                        .path()
                        .map(|p| root.shown(p))
                        .unwrap_or_else(|| path_text(given));
                    let (kind, reason) = match err.loop_ancestor() {
                        Some(ancestor) => (
                            ProblemKind::SymlinkLoop,
                            format!("symlink loop back to {}", ancestor.display()),
                        ),
                        None => (ProblemKind::Unreadable, io_reason(&err)),
                    };
                    self.problem(path, kind, reason);
                }
            }
        }
    }

    /// Whether `entry` is a link the walk followed (with `--follow-symlinks`)
    /// to a place outside every root; if so it is recorded as a problem (unless
    /// excluded) and as an unfollowed link, and must not be visited or
    /// descended into.
    fn leaves_the_roots(&mut self, root: &Root, entry: &walkdir::DirEntry) -> bool {
        if !self.options.follow_symlinks || entry.depth() == 0 || !entry.path_is_symlink() {
            return false;
        }
        let excluded = self.options.exclude.matches(root.relative(entry.path()));
        // Not followed unless shown to stay inside.
        let reason = match std::fs::canonicalize(entry.path()) {
            Ok(target) if self.canonical_roots.iter().any(|r| target.starts_with(r)) => {
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
        if entry.depth() > 0 && self.options.exclude.matches(root.relative(entry.path())) {
            return;
        }
        let file_type = if entry.depth() == 0 && entry.path_is_symlink() {
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
        if self.inventory.files_walked % 1024 == 0 {
            self.progress.walked(1024);
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
        if name == "oci-layout"
            && entry.depth() > 0
            && let Some(dir) = entry.path().parent()
        {
            self.inventory
                .oci_layouts
                .push((dir.to_path_buf(), root.shown(dir)));
        }
        // A wheel's `.dist-info` holds its metadata, never a file anything loads.
        if in_dist_info(entry) {
            if matches!(name.to_str(), Some("RECORD" | "WHEEL")) {
                (self.found)(Found::Metadata(entry.path().to_path_buf()));
            }
            if !self.options.all_files {
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
            let index = self.inventory.manifests.len();
            self.inventory.manifests.push(Manifest {
                shown: root.shown(entry.path()),
                location: entry.path().to_path_buf(),
                kind,
            });
            (self.found)(Found::Manifest {
                index,
                location: entry.path().to_path_buf(),
            });
        }
        if is_native_file(entry.path()) {
            self.inventory
                .npm_native_files
                .push(entry.path().to_path_buf());
        }
        if !self.options.all_files && name_proves_text(name) {
            self.inventory.skipped_by_name += 1;
            return;
        }
        if archive::is_archive_name(name) && is_archive_inside_installed_packages(entry.path()) {
            self.inventory.archives_in_packages += 1;
            return;
        }
        let shown = root.shown(entry.path());
        match self.hard_links.first_link(entry) {
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
        self.progress.found_candidate();
        (self.found)(Found::Candidate(Candidate {
            shown,
            location: entry.path().to_path_buf(),
        }));
    }
}

/// Whether the walk met `entry` directly in a `*.dist-info` directory.
fn in_dist_info(entry: &walkdir::DirEntry) -> bool {
    entry.depth() > 0
        && entry
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
