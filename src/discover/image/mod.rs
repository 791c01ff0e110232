//! Container images read in memory, never extracted: `docker save` archives
//! (legacy `manifest.json` + `<id>/layer.tar`, and Docker ≥ 25's OCI layout
//! inside the tar), OCI image layout directories and OCI archives.
//!
//! Each layer is read once, streaming, in order (uncompressed, gzip or
//! zstd); whiteouts (`.wh.<name>`) and opaque directories (`.wh..wh..opq`)
//! are applied so the merged view is what the container sees. ELF files are
//! analysed as they stream past (bytes leased from [`super::budget`], as for
//! wheels), the small metadata files later steps read (package manifests,
//! `RECORD`, package databases, `os-release`) are kept within
//! [`METADATA_CAP`], links are resolved inside the image's root. Every blob
//! is hashed as it is read and checked against its manifest; a mismatch, a
//! hostile name or a corrupt layer is a problem, and the rest is still read.

mod blob_stream;
mod layer;
mod manifest;
mod merged;
mod source;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use rustc_hash::FxHashSet;

use serde::Serialize;

use crate::discover::archive::MAX_HOSTILE_NAMES_LISTED;
use crate::model::{Arch, prefix_hashes};

pub use manifest::oci_arch;
use source::Blobs;

/// Most layers an image may list. Docker mounts at most 127 (overlay2) and
/// the kernel's overlayfs stacks at most 500 (`OVL_MAX_STACK`): more is no
/// image a runtime runs, only work (a manifest listing one layer 24,000
/// times would inflate it 24,000 times).
const MAX_LAYERS: usize = 1000;
/// Most bytes of metadata files kept from the images of one scan, together:
/// they are held until the scan ends (eight images keeping 256 MiB each
/// made 2.4 GB).
pub const METADATA_KEPT_CAP: u64 = 128 * 1024 * 1024;

/// Members named outside the image (of its layers, or of its archive's
/// listing): the first [`MAX_HOSTILE_NAMES_LISTED`] listed, the rest
/// counted. A header alone makes one, and compression shrinks headers a
/// thousandfold: 4 million, a 9 MB layer, were 1.4 GB of report.
#[derive(Debug, Default)]
pub(super) struct HostileNames {
    listed: usize,
    unlisted: usize,
}

impl HostileNames {
    pub(super) fn note(&mut self, problems: &mut Vec<ImageProblem>, path: String, reason: String) {
        if self.listed >= MAX_HOSTILE_NAMES_LISTED {
            self.unlisted += 1;
            return;
        }
        self.listed += 1;
        problems.push(ImageProblem {
            path,
            kind: ImageProblemKind::HostileName,
            reason,
        });
    }

    /// The ones past those listed, as one problem that counts them.
    pub(super) fn finish(&mut self, problems: &mut Vec<ImageProblem>) {
        if self.unlisted > 0 {
            problems.push(ImageProblem {
                path: String::new(),
                kind: ImageProblemKind::HostileName,
                reason: format!(
                    "{} more members named outside the image (past the first {MAX_HOSTILE_NAMES_LISTED}, not listed one by one): not read",
                    self.unlisted
                ),
            });
            self.unlisted = 0;
        }
    }
}

/// How the image was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImageFormat {
    /// `docker save` (or `podman save`): `manifest.json` in a tar.
    DockerSave,
    /// An OCI image layout directory.
    OciLayout,
    /// A tar of an OCI image layout.
    OciArchive,
}

impl ImageFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ImageFormat::DockerSave => "docker-save",
            ImageFormat::OciLayout => "oci-layout",
            ImageFormat::OciArchive => "oci-archive",
        }
    }
}

/// Why part of an image was not read, or not as the manifest says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageProblemKind {
    /// A blob, layer or member could not be read (corrupt, over a cap).
    Unreadable,
    /// A name pointing outside the image (absolute, `..`, a whiteout of the root).
    HostileName,
    /// A blob whose content does not hash to the digest its manifest names.
    DigestMismatch,
}

/// A problem at `path`, a name inside the image (a blob, or a member of a
/// layer; empty for the image itself).
#[derive(Debug, Clone)]
pub struct ImageProblem {
    pub path: String,
    pub kind: ImageProblemKind,
    pub reason: String,
}

/// What the image's config says of how it runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageConfig {
    pub architecture: Option<String>,
    pub os: Option<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
}

/// A regular file of the merged view that is ELF (or looked like it and
/// could not be read).
pub struct ImageFile<T> {
    /// Where it is below the image's root: relative, `/`-separated.
    pub path: String,
    pub size: u64,
    pub read: ImageRead<T>,
    /// Another path of the merged view naming the same file (a hard link).
    pub hard_link_of: Option<String>,
}

/// What was made of a file of the image.
#[derive(Clone)]
pub enum ImageRead<T> {
    Elf(T),
    /// A jar, war or ear: its ELF members and those of its nested jars.
    Jar(Vec<crate::discover::archive::JarPart<T>>),
    Unreadable(String),
}

/// The merged filesystem of an image, as far as muslcheck needs it.
pub struct ImageContents<T> {
    pub format: ImageFormat,
    /// The first tag `docker save` recorded.
    pub reference: Option<String>,
    pub config: ImageConfig,
    /// Layers read (whether whole or not).
    pub layers: usize,
    /// ELF files of the merged view, by path.
    pub files: Vec<ImageFile<T>>,
    /// Symlinks of the merged view: link path → target, resolved inside the root.
    pub symlinks: Vec<(String, String)>,
    /// Directories of the merged view: those it holds, and the directory of
    /// each path (see [`ImageContents::every_directory`] for all).
    pub directories: Vec<String>,
    /// The metadata files kept (package manifests, databases, os-release), by path.
    pub metadata: BTreeMap<String, Vec<u8>>,
    /// Regular files in the merged view, and those skipped by a name that proves text.
    pub regular_files: u64,
    pub skipped_by_name: u64,
    pub problems: Vec<ImageProblem>,
}

/// An image found at a path, not read yet.
pub struct Image {
    blobs: Blobs,
    /// Problems met while listing it.
    problems: Vec<ImageProblem>,
}

impl Image {
    /// The image at `path`, if it is one (by content: an OCI layout
    /// directory, a tar holding `manifest.json` or an OCI layout).
    pub fn at(path: &Path) -> Option<Image> {
        let mut problems = Vec::new();
        Blobs::open(path, &mut problems).map(|blobs| Image { blobs, problems })
    }

    /// Reads the image for `arch`, handing each ELF file's bytes to `analyse`,
    /// keeping at most `metadata_room` bytes of metadata files.
    /// `Err` (the reason) when no image can be found in it at all.
    pub fn read<T: Clone>(
        self,
        arch: Arch,
        metadata_room: u64,
        analyse: impl FnMut(&[u8]) -> T,
    ) -> Result<ImageContents<T>, String> {
        let mut problems = self.problems;
        let located = manifest::locate(&self.blobs, arch, &mut problems)?;
        if located.layers.len() > MAX_LAYERS {
            return Err(format!(
                "its manifest lists {} layers, more than the {MAX_LAYERS} any runtime mounts: not read",
                located.layers.len()
            ));
        }
        let mut merged = merged::Merged {
            metadata_room,
            ..merged::Merged::default()
        };
        let command_config = located
            .config
            .as_ref()
            .and_then(|file| file.config.as_ref());
        if let Some(config) = command_config {
            merged.heads_wanted = command_candidates(
                config.entrypoint.as_deref().unwrap_or_default(),
                config.cmd.as_deref().unwrap_or_default(),
                config.env.as_deref().unwrap_or_default(),
            )
            .into_iter()
            .collect();
        }
        let mut analyse = analyse;
        if self.blobs.is_streamed() {
            // Each layer read as the archive's order brings it, applied in the image's.
            let wanted: HashMap<String, &manifest::LayerRef> = located
                .layers
                .iter()
                .filter_map(|layer| Some((self.blobs.data_member(&layer.path)?, layer)))
                .collect();
            let mut read: HashMap<String, merged::Changes<T>> = HashMap::new();
            let streamed = self.blobs.stream(&mut |path, reader| {
                if let Some(layer) = wanted.get(path) {
                    let changes = layer::read_changes(
                        Box::new(reader),
                        layer,
                        &mut merged,
                        &mut problems,
                        &mut analyse,
                    );
                    read.insert(path.to_string(), changes);
                }
            });
            if let Err(reason) = streamed {
                return Err(format!("the archive cannot be read again: {reason}"));
            }
            for layer in &located.layers {
                match self
                    .blobs
                    .data_member(&layer.path)
                    .and_then(|m| read.get(&m))
                {
                    Some(changes) => merged.apply(changes.clone()),
                    None => problems.push(layer::layer_not_read(layer, "not in the archive")),
                }
            }
        } else {
            // A layer listed again is read once: its changes are kept until
            // its last use (as the streamed archive's are).
            let mut uses_left: HashMap<&str, usize> = HashMap::new();
            for layer in &located.layers {
                *uses_left.entry(layer.path.as_str()).or_default() += 1;
            }
            let mut kept: HashMap<&str, merged::Changes<T>> = HashMap::new();
            for layer in &located.layers {
                let path = layer.path.as_str();
                let left = uses_left.get_mut(path).map_or(0, |left| {
                    *left = left.saturating_sub(1);
                    *left
                });
                let changes = match kept.remove(path) {
                    Some(changes) => changes,
                    None => {
                        layer::read(&self.blobs, layer, &mut merged, &mut problems, &mut analyse)
                    }
                };
                if left > 0 {
                    kept.insert(path, changes.clone());
                }
                merged.apply(changes);
            }
        }
        let config = located
            .config
            .map(|file| {
                let inner = file.config.unwrap_or_default();
                ImageConfig {
                    architecture: file.architecture,
                    os: file.os,
                    entrypoint: inner.entrypoint.unwrap_or_default(),
                    cmd: inner.cmd.unwrap_or_default(),
                    env: inner.env.unwrap_or_default(),
                    user: inner.user.filter(|u| !u.is_empty()),
                    working_dir: inner.working_dir.filter(|w| !w.is_empty()),
                }
            })
            .unwrap_or_default();
        merged.hostile.finish(&mut problems);
        Ok(merged.into_contents(
            located.format,
            located.reference,
            config,
            located.layers.len(),
            problems,
        ))
    }
}

/// Whether a file at `path` (inside an image) is metadata a later step reads:
/// package manifests and lockfiles, `*.dist-info` files, the dpkg and apk
/// databases, the release files.
pub fn is_metadata(path: &str) -> bool {
    const EXACT: [&str; 6] = [
        "var/lib/dpkg/status",
        "lib/apk/db/installed",
        "etc/os-release",
        "usr/lib/os-release",
        "etc/alpine-release",
        "etc/debian_version",
    ];
    if EXACT.contains(&path) {
        return true;
    }
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    if dir == "var/lib/dpkg/info" {
        return name.ends_with(".list");
    }
    if dir.ends_with(".dist-info") {
        return matches!(name, "RECORD" | "METADATA" | "WHEEL");
    }
    // binding.gyp: whether an installed npm package compiles at install.
    name == "package.json"
        || name == "binding.gyp"
        || crate::ecosystem::ManifestKind::recognise(name, false).is_some()
        || crate::ecosystem::ManifestKind::at(Path::new(path)).is_some()
}

/// Where the container's command may be: its first word as an absolute
/// path, or joined to each directory of the config's `PATH` (paths below the
/// root, in search order).
pub fn command_candidates(entrypoint: &[String], cmd: &[String], env: &[String]) -> Vec<String> {
    let Some(program) = entrypoint.first().or(cmd.first()) else {
        return Vec::new();
    };
    if program.contains('/') {
        return vec![resolve_in_root(program)];
    }
    let path = env
        .iter()
        .find_map(|var| var.strip_prefix("PATH="))
        .unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    path.split(':')
        .filter(|dir| !dir.is_empty())
        .map(|dir| resolve_in_root(&format!("{dir}/{program}")))
        .collect()
}

/// Folds `.` and `..` in `path` below the image's root, as a process whose
/// root is the image's would: `..` at the root stays at the root.
pub fn resolve_in_root(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

/// Symlinks followed at most while resolving one path (loops end there).
const MAX_LINK_HOPS: usize = 32;

/// `path` with every directory on the way that is a symlink (`link_of`
/// gives a link's target as written) replaced by where it leads inside the
/// root, as a runtime applying a layer or the kernel opening the path
/// follows it (`lib/x` is `usr/lib/x` when `lib -> usr/lib`). The last
/// component is followed only when `follow_last`.
pub fn resolve_links(
    path: &str,
    follow_last: bool,
    link_of: impl Fn(&str) -> Option<String>,
) -> String {
    let mut pending: std::collections::VecDeque<String> = path
        .split('/')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    let mut resolved = String::new();
    let mut hops = 0;
    while let Some(part) = pending.pop_front() {
        // Extended in place: a path thousands of directories deep is not
        // copied once per directory.
        if !resolved.is_empty() {
            resolved.push('/');
        }
        resolved.push_str(&part);
        let may_follow = hops < MAX_LINK_HOPS && (follow_last || !pending.is_empty());
        if let Some(target) = link_of(&resolved).filter(|_| may_follow) {
            hops += 1;
            let target = symlink_target(&resolved, &target);
            for part in target.rsplit('/').filter(|p| !p.is_empty()) {
                pending.push_front(part.to_string());
            }
            resolved.clear();
        }
    }
    resolved
}

/// Where a symlink at `link` pointing to `target` leads, inside the root.
pub fn symlink_target(link: &str, target: &str) -> String {
    if target.starts_with('/') {
        return resolve_in_root(target);
    }
    let dir = link.rsplit_once('/').map_or("", |(dir, _)| dir);
    resolve_in_root(&format!("{dir}/{target}"))
}

impl<T> ImageContents<T> {
    /// Every directory of the merged view, explicit or implied by a path
    /// below it, once each: [`ImageContents::directories`] and all their
    /// ancestors, borrowed. Linear in the bytes of `directories`: a crafted
    /// image of deep paths implies millions of directories, and copying (or
    /// hashing) each whole took gigabytes.
    pub fn every_directory(&self, visit: impl FnMut(&str)) {
        every_directory_of(&self.directories, visit);
    }
}

/// `directories` (sorted, each once) and their ancestors, each once.
fn every_directory_of(directories: &[String], mut visit: impl FnMut(&str)) {
    let listed: FxHashSet<&str> = directories.iter().map(String::as_str).collect();
    let listed_hashes: FxHashSet<u64> = directories
        .iter()
        .filter_map(|dir| prefix_hashes(dir.as_bytes()).last().map(|(_, hash)| hash))
        .collect();
    let mut previous = "";
    for dir in directories {
        visit(dir);
        // `directories` is sorted, so the paths below a directory are
        // together: an ancestor `dir` shares with the previous one was
        // shown with it, and one it does not share was not shown
        // before, unless it is listed itself (and so shown as itself).
        let shared = shared_ancestor_len(previous, dir);
        for (len, hash) in prefix_hashes(dir.as_bytes()) {
            let Some(ancestor) = dir.get(..len) else {
                continue;
            };
            let listed_itself = listed_hashes.contains(&hash) && listed.contains(ancestor);
            if len > shared && !listed_itself {
                visit(ancestor);
            }
        }
        previous = dir;
    }
}

/// The length of the longest directory (or whole path) that `earlier` and
/// `path` both are or are below; 0 when none.
fn shared_ancestor_len(earlier: &str, path: &str) -> usize {
    let common = earlier
        .bytes()
        .zip(path.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let ends_a_component =
        |text: &str, at: usize| at == text.len() || text.as_bytes().get(at) == Some(&b'/');
    if ends_a_component(earlier, common) && ends_a_component(path, common) {
        return common;
    }
    path.get(..common)
        .and_then(|prefix| prefix.rfind('/'))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_directory_names_each_directory_and_ancestor_once() {
        // Names that sort between `a` and `a/…` (`a-b`, `a.b`) break up the
        // paths below `a`.
        let names = ["a", "a-b", "a.b", "ab", "b"];
        let mut state = 0x5eed_u64;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize % n
        };
        for _ in 0..300 {
            let mut directories: Vec<String> = (0..next(12))
                .map(|_| {
                    let depth = 1 + next(5);
                    (0..depth)
                        .map(|_| names[next(names.len())])
                        .collect::<Vec<_>>()
                        .join("/")
                })
                .collect();
            directories.sort();
            directories.dedup();
            let mut expected = std::collections::BTreeSet::new();
            for dir in &directories {
                let mut rest = dir.as_str();
                expected.insert(rest.to_string());
                while let Some((parent, _)) = rest.rsplit_once('/') {
                    expected.insert(parent.to_string());
                    rest = parent;
                }
            }
            let mut visited = Vec::new();
            every_directory_of(&directories, |dir| visited.push(dir.to_string()));
            let count = visited.len();
            let visited: std::collections::BTreeSet<String> = visited.into_iter().collect();
            assert_eq!(visited, expected, "{directories:?}");
            assert_eq!(count, expected.len(), "each once: {directories:?}");
        }
    }

    #[test]
    fn links_and_dot_dot_stay_below_the_root() {
        assert_eq!(resolve_in_root("/../../etc/passwd"), "etc/passwd");
        assert_eq!(
            symlink_target("usr/lib/libz.so", "libz.so.1"),
            "usr/lib/libz.so.1"
        );
        assert_eq!(symlink_target("lib", "usr/lib"), "usr/lib");
        assert_eq!(symlink_target("usr/bin/x", "/../../../bin/sh"), "bin/sh");
        assert_eq!(symlink_target("a/b/c", "../../../../../etc"), "etc");
    }

    #[test]
    fn metadata_is_what_attribution_and_the_base_read() {
        for kept in [
            "var/lib/dpkg/status",
            "var/lib/dpkg/info/libjq1:amd64.list",
            "lib/apk/db/installed",
            "etc/os-release",
            "app/node_modules/x/package.json",
            "app/node_modules/x/binding.gyp",
            "app/package-lock.json",
            "venv/lib/python3.12/site-packages/a-1.0.dist-info/RECORD",
        ] {
            assert!(is_metadata(kept), "{kept}");
        }
        for other in [
            "var/lib/dpkg/info/libjq1.md5sums",
            "usr/lib/libz.so.1",
            "venv/a-1.0.dist-info/LICENSE",
        ] {
            assert!(!is_metadata(other), "{other}");
        }
    }

    #[test]
    fn the_command_is_looked_for_on_the_configs_path() {
        let env = ["PATH=/usr/local/bin:/bin".to_string()];
        assert_eq!(
            command_candidates(&["node".to_string()], &[], &env),
            ["usr/local/bin/node", "bin/node"]
        );
        assert_eq!(
            command_candidates(&[], &["/app/../srv/run".to_string()], &env),
            ["srv/run"]
        );
        assert!(command_candidates(&[], &[], &env).is_empty());
    }
}
