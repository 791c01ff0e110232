//! Walking the scanned paths: which files to read, which to skip, and why.
//!
//! Judges nothing about compatibility. Produces an [`Inventory`] of candidate
//! files (one per inode), the symlinks met on the way (the resolver follows
//! them by name), and the files it could not handle.

pub mod archive;
pub mod bounded_tar;
pub mod budget;
mod contents;
pub mod files;
mod hard_links;
pub mod held;
pub mod image;
#[cfg(target_os = "linux")]
mod mapped;
mod text_names;
mod walk;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Serialize;

use crate::ecosystem::ManifestKind;
use crate::ecosystem::distro::PackageDatabase;
use crate::model::{ReportPath, display_location, on_disk};

pub use contents::{
    Contents, FileStamp, HEAD_BYTES, MAX_MAPPED_BYTES, MAX_READ_BYTES, Sniffed, read_if_elf,
};
pub use files::{
    LossyText, METADATA_CAP, ReadError, ScannedPaths, read_bounded, read_found, read_found_text,
    read_prefix, read_text_file, read_walked, write_atomically, write_atomically_with,
};
pub use text_names::{TEXT_EXTENSIONS, dir_name_proves_no_elf, name_proves_text};
pub use walk::{Found, walk};

/// Unmaps the files read and retired while the readers ran (see `mapped`).
pub fn release_retired_maps() {
    #[cfg(target_os = "linux")]
    mapped::release_retired();
}

/// For a process that exits once its scan is written: the files its scans
/// mapped are left mapped until the exit unmaps them all at once (leaving
/// every one to exit took 1.9 ms of CPU and 0.7 ms of wall time off the
/// venv benchmark's 30 and 19). A library user that goes on after a
/// scan does not call this, and nothing a scan mapped outlives it.
pub fn leave_mapped_files_to_exit() {
    #[cfg(target_os = "linux")]
    mapped::leave_retired_to_exit();
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
/// its root and against the file name. An excluded directory is excluded
/// whole, and so is `dir` for a glob `dir/**`: nothing below it is walked.
#[derive(Debug, Clone, Default)]
pub struct Excludes {
    paths: GlobSet,
    /// The globs ending in `/**`, without it: the directories they empty.
    emptied: GlobSet,
}

impl Excludes {
    pub fn new(patterns: &[String]) -> Result<Excludes, DiscoverError> {
        let compile = |patterns: &[&str]| {
            let mut builder = GlobSetBuilder::new();
            for pattern in patterns {
                let glob = Glob::new(pattern).map_err(|source| DiscoverError::BadGlob {
                    glob: pattern.to_string(),
                    source,
                })?;
                builder.add(glob);
            }
            builder.build().map_err(|source| DiscoverError::BadGlob {
                glob: patterns.join(", "),
                source,
            })
        };
        let all: Vec<&str> = patterns.iter().map(String::as_str).collect();
        let emptied: Vec<&str> = all
            .iter()
            .filter_map(|pattern| pattern.strip_suffix("/**"))
            .filter(|dir| !dir.is_empty())
            .collect();
        Ok(Excludes {
            paths: compile(&all)?,
            emptied: compile(&emptied)?,
        })
    }

    /// Whether `relative` (a path below a root, or inside an image) is
    /// excluded, by itself or by a directory above it.
    pub fn matches(&self, relative: &Path) -> bool {
        !self.paths.is_empty()
            && (self.matches_itself(relative)
                || relative
                    .ancestors()
                    .skip(1)
                    .any(|dir| self.excludes_below(dir)))
    }

    /// Whether nothing below the directory `relative` is scanned (the walk
    /// does not go in).
    pub fn excludes_below(&self, relative: &Path) -> bool {
        !self.paths.is_empty()
            && !relative.as_os_str().is_empty()
            && (self.matches_itself(relative) || self.emptied.is_match(relative))
    }

    /// Whether `relative` itself is excluded, its directories aside (the
    /// walk never goes below an excluded one).
    pub fn matches_itself(&self, relative: &Path) -> bool {
        !self.paths.is_empty()
            && (self.paths.is_match(relative)
                || relative
                    .file_name()
                    .is_some_and(|name| self.paths.is_match(Path::new(name))))
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

/// Another name of a file met before (a hard link): as shown, and where.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OtherName {
    pub shown: String,
    pub location: PathBuf,
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
    /// Files met again under another name (hard links): first location →
    /// the other names.
    pub hard_links: HashMap<PathBuf, Vec<OtherName>>,
    pub problems: Vec<Problem>,
    /// Symlinks met while walking (not followed): link location → target location.
    pub symlinks: HashMap<PathBuf, PathBuf>,
    /// `*.dist-info` directories met while walking (Python package metadata).
    pub dist_infos: Vec<PathBuf>,
    /// Directories by a library's name (`libfoo.so/`), with how each is
    /// shown: a library search that meets one stops there.
    pub library_named_dirs: Vec<(PathBuf, String)>,
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
    /// Bytes of metadata files kept from the container images read so far
    /// (all of them within [`image::METADATA_KEPT_CAP`]).
    pub image_metadata_kept: u64,
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
        self.library_named_dirs.extend(other.library_named_dirs);
        self.manifests.extend(other.manifests);
        self.npm_native_files.extend(other.npm_native_files);
        self.package_databases.extend(other.package_databases);
        self.oci_layouts.extend(other.oci_layouts);
        self.image_metadata_kept += other.image_metadata_kept;
    }

    /// In one order whatever order the jobs of the walk ended in.
    fn sort(&mut self) {
        self.problems
            .sort_by(|a, b| (&a.path, &a.reason).cmp(&(&b.path, &b.reason)));
        self.dist_infos.sort();
        self.library_named_dirs.sort();
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
    fn an_excluded_directory_excludes_what_is_below_it() {
        let excludes = |globs: &[&str]| {
            Excludes::new(&globs.iter().map(|g| g.to_string()).collect::<Vec<_>>()).unwrap()
        };
        let vendor = excludes(&["vendor"]);
        assert!(vendor.matches(Path::new("vendor/lib/x.so")));
        assert!(vendor.excludes_below(Path::new("vendor")));
        assert!(vendor.matches(Path::new("a/vendor/x.so")), "by its name");
        assert!(!vendor.matches(Path::new("vendored/x.so")));
        let below = excludes(&["third_party/**"]);
        assert!(below.excludes_below(Path::new("third_party")));
        assert!(below.matches(Path::new("third_party/a/b.so")));
        assert!(!below.matches(Path::new("third_party_b/x.so")));
        assert!(!below.matches_itself(Path::new("third_party")));
        let some = excludes(&["docs/*.so"]);
        assert!(some.matches(Path::new("docs/x.so")));
        assert!(
            !some.excludes_below(Path::new("docs")),
            "docs/*.txt is scanned"
        );
        assert!(!excludes(&[]).matches(Path::new("x.so")));
        assert!(
            !excludes(&["**"]).excludes_below(Path::new("")),
            "never the root"
        );
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
