//! What an object's RPATH or RUNPATH names, by each loader's rules: the
//! directories, `$ORIGIN` expanded (in an image, below its `/`), and the
//! default directories searched after them.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use rustc_hash::{FxHashMap, FxHashSet};

use super::tree::{TreeFile, normalize};

/// The longest path the kernel opens: nothing is found in a longer
/// directory. (Not modelled: musl's 512-byte buffer for `dir/name`, and
/// glibc dropping the rest of a list after ENAMETOOLONG in a directory
/// that exists.)
const PATH_MAX: usize = 4096;

/// `file`'s RUNPATH or RPATH directories as `rules` search them: normalised,
/// each once, none too long to open.
pub(super) fn own_dirs(file: &TreeFile, rules: SearchRules) -> DirList {
    // In an image, the loader opens the path below the image's `/`.
    let root_len = file
        .filesystem_root
        .map_or(0, |root| root.as_os_str().len());
    let dirs: Vec<PathBuf> = rpath_dirs(file, rules)
        .iter()
        .map(|dir| normalize(dir))
        .collect();
    // Normalised paths are equal as bytes when equal as paths, and hashed
    // much faster so.
    let mut seen = FxHashSet::default();
    let mut list = DirList::default();
    for dir in &dirs {
        let path = dir.as_os_str();
        if path.len().saturating_sub(root_len) < PATH_MAX && seen.insert(path) {
            list.push(dir);
        }
    }
    list
}

/// Directories in one allocation: a crafted RUNPATH names thousands, and
/// thousands of objects can each have their own.
#[derive(Debug, Default)]
pub(super) struct DirList {
    bytes: Vec<u8>,
    /// Where each directory ends in `bytes`.
    ends: Vec<usize>,
}

impl DirList {
    fn push(&mut self, dir: &Path) {
        self.bytes.extend_from_slice(dir.as_os_str().as_bytes());
        self.ends.push(self.bytes.len());
    }

    /// The directories, in list order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Path> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(&self.ends).map(|(start, &end)| {
            Path::new(OsStr::from_bytes(
                self.bytes.get(start..end).unwrap_or_default(),
            ))
        })
    }
}

/// A directory in [`DirNames`].
pub(super) type DirName = u32;

/// The directories of the shown lists, each kept once: a crafted tree gives
/// thousands of objects each a list of its own of the same thousand
/// directories (548 MiB for 5,000 lists kept as paths).
#[derive(Debug, Default)]
pub(super) struct DirNames(RwLock<KeptDirs>);

#[derive(Debug, Default)]
struct KeptDirs {
    names: FxHashMap<Arc<[u8]>, DirName>,
    paths: Vec<Arc<[u8]>>,
}

impl DirNames {
    /// The name of each of `dirs`, in order; a directory past the last
    /// name there can be is left out.
    pub(super) fn keep<'d>(&self, dirs: impl Iterator<Item = &'d Path>) -> Vec<DirName> {
        let mut kept = self.0.write().unwrap_or_else(PoisonError::into_inner);
        let KeptDirs { names, paths } = &mut *kept;
        dirs.filter_map(|dir| {
            let bytes = dir.as_os_str().as_bytes();
            if let Some(&name) = names.get(bytes) {
                return Some(name);
            }
            let name = DirName::try_from(paths.len()).ok()?;
            let path: Arc<[u8]> = Arc::from(bytes);
            paths.push(Arc::clone(&path));
            names.insert(path, name);
            Some(name)
        })
        .collect()
    }

    /// The directories `names` name, in order.
    pub(super) fn paths(&self, names: &[DirName]) -> Vec<PathBuf> {
        let kept = self.0.read().unwrap_or_else(PoisonError::into_inner);
        names
            .iter()
            .filter_map(|&name| kept.paths.get(name as usize))
            .map(|path| PathBuf::from(OsStr::from_bytes(path)))
            .collect()
    }
}

/// Whose rules read an object's RPATH or RUNPATH.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchRules {
    /// musl's `fixup_rpath` and `path_open` (ldso/dynlink.c).
    Musl,
    /// glibc's `fillin_rpath` and `_dl_dst_substitute` (elf/dl-load.c).
    Glibc,
}

/// The directories a loader searches last, with no RPATH, RUNPATH or
/// `LD_LIBRARY_PATH` naming the library: musl's built-in path (with no
/// `/etc/ld-musl-ARCH.path`); glibc's built-in directories, multiarch
/// (Debian, Ubuntu) and lib64 (Red Hat's family) both, and `/usr/local/lib`,
/// which Debian's and Ubuntu's `ld.so.cache` hold (`libc.conf`) once
/// `ldconfig` has run, as every package install runs it.
pub(super) fn default_dirs(rules: SearchRules) -> &'static [&'static str] {
    match rules {
        SearchRules::Musl => &["lib", "usr/local/lib", "usr/lib"],
        SearchRules::Glibc => &[
            "usr/local/lib",
            "lib/x86_64-linux-gnu",
            "usr/lib/x86_64-linux-gnu",
            "lib/aarch64-linux-gnu",
            "usr/lib/aarch64-linux-gnu",
            "lib64",
            "usr/lib64",
            "lib",
            "usr/lib",
        ],
    }
}

/// A file's RUNPATH directories, else its RPATH ones, `$ORIGIN` expanded
/// as `rules` say. Both loaders read the last DT_RUNPATH tag, else the
/// last DT_RPATH (a later tag overwrites an earlier one), never DT_RPATH
/// beside DT_RUNPATH. In a container image, paths are the image's: `$ORIGIN`
/// is the file's directory there, and an absolute directory (or a `..`
/// past `/`) stays below the image's root.
pub(super) fn rpath_dirs(file: &TreeFile, rules: SearchRules) -> Vec<PathBuf> {
    let Some(entry) = file.facts.runpath.last().or(file.facts.rpath.last()) else {
        return Vec::new();
    };
    let in_image = file
        .filesystem_root
        .and_then(|root| Some((root, file.location.strip_prefix(root).ok()?)));
    let origin = match in_image {
        Some((_, inside)) => Path::new("/").join(inside.parent().unwrap_or(Path::new(""))),
        None => file
            .location
            .parent()
            .unwrap_or(Path::new(""))
            .to_path_buf(),
    };
    let origin = origin.to_string_lossy();
    let dirs = match rules {
        SearchRules::Musl => musl_rpath(entry, &origin),
        SearchRules::Glibc => entry
            .split(':')
            .filter(|dir| !dir.is_empty())
            .map(|dir| PathBuf::from(glibc_expand(dir, &origin)))
            .collect(),
    };
    match in_image {
        Some((root, _)) => dirs
            .into_iter()
            .map(|dir| match normalize(&dir).strip_prefix("/") {
                Ok(inside) => root.join(inside),
                // Relative to the process's working directory: unknown.
                Err(_) => dir,
            })
            .collect(),
        None => dirs,
    }
}

/// musl: a path with any `$` but `$ORIGIN` or `${ORIGIN}` (`$LIB`,
/// `$PLATFORM`) is dropped whole, not a directory of it searched; `$ORIGIN`
/// is matched as a prefix (`$ORIGINAL` is the origin and `AL`); directories
/// are split at `:` and at line breaks.
fn musl_rpath(entry: &str, origin: &str) -> Vec<PathBuf> {
    let mut expanded = String::with_capacity(entry.len());
    let mut rest = entry;
    while let Some(at) = rest.find('$') {
        let (before, token) = rest.split_at(at);
        expanded.push_str(before);
        let len = if token.starts_with("$ORIGIN") {
            "$ORIGIN".len()
        } else if token.starts_with("${ORIGIN}") {
            "${ORIGIN}".len()
        } else {
            return Vec::new();
        };
        expanded.push_str(origin);
        rest = token.get(len..).unwrap_or_default();
    }
    expanded.push_str(rest);
    expanded
        .split([':', '\n'])
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .collect()
}

/// glibc: `$ORIGIN` or `${ORIGIN}` ends where an identifier would
/// (`$ORIGINAL` is no token, kept as it is). `$LIB` and `$PLATFORM` depend
/// on how the image's glibc was built and on the CPU: kept as written, so
/// the directory is shown, not guessed.
fn glibc_expand(dir: &str, origin: &str) -> String {
    let mut expanded = String::with_capacity(dir.len());
    let mut rest = dir;
    while let Some(at) = rest.find('$') {
        let (before, token) = rest.split_at(at);
        expanded.push_str(before);
        let after = token.get(1..).unwrap_or_default();
        match glibc_token_len(after, "ORIGIN") {
            Some(len) => {
                expanded.push_str(origin);
                rest = after.get(len..).unwrap_or_default();
            }
            None => {
                expanded.push('$');
                rest = after;
            }
        }
    }
    expanded.push_str(rest);
    expanded
}

/// The length of the token `name` (or `{name}`) at the start of `text`, as
/// glibc's `is_dst` matches it: not followed by a letter, digit or `_`.
fn glibc_token_len(text: &str, name: &str) -> Option<usize> {
    if let Some(braced) = text.strip_prefix('{') {
        return braced
            .strip_prefix(name)
            .filter(|after| after.starts_with('}'))
            .map(|_| name.len() + 2);
    }
    let after = text.strip_prefix(name)?;
    let continues = after
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
    (!continues).then_some(name.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dirs(paths: Vec<PathBuf>) -> Vec<String> {
        paths.iter().map(|p| p.display().to_string()).collect()
    }

    #[test]
    fn each_directory_is_kept_once_and_read_back_in_the_order_asked() {
        let names = DirNames::default();
        let first = names.keep([Path::new("/a"), Path::new("/b"), Path::new("/a")].into_iter());
        let second = names.keep([Path::new("/b"), Path::new("/c")].into_iter());
        assert_eq!(first, [0, 1, 0]);
        assert_eq!(second, [1, 2]);
        assert_eq!(dirs(names.paths(&[2, 0, 1])), ["/c", "/a", "/b"]);
        // A number nothing was kept under names nothing.
        assert_eq!(dirs(names.paths(&[7, 1])), ["/b"]);
    }

    #[test]
    fn musl_drops_a_path_with_another_token_and_splits_at_line_breaks() {
        assert_eq!(
            dirs(musl_rpath("$ORIGIN/../lib:${ORIGIN}/x", "/o")),
            ["/o/../lib", "/o/x"]
        );
        assert!(musl_rpath("$ORIGIN/lib:/opt/$LIB", "/o").is_empty());
        assert!(musl_rpath("${PLATFORM}:$ORIGIN", "/o").is_empty());
        assert_eq!(dirs(musl_rpath("/a\n/b::", "/o")), ["/a", "/b"]);
        assert_eq!(dirs(musl_rpath("$ORIGINAL", "/o")), ["/oAL"]);
        assert_eq!(dirs(musl_rpath("/plain", "/o")), ["/plain"]);
    }

    #[test]
    fn glibc_expands_origin_only_as_a_whole_token() {
        assert_eq!(glibc_expand("$ORIGIN/../lib", "/o"), "/o/../lib");
        assert_eq!(glibc_expand("${ORIGIN}x", "/o"), "/ox");
        assert_eq!(glibc_expand("$ORIGINAL", "/o"), "$ORIGINAL");
        assert_eq!(glibc_expand("$ORIGIN_1/$ORIGIN", "/o"), "$ORIGIN_1//o");
        assert_eq!(glibc_expand("/opt/$LIB/$", "/o"), "/opt/$LIB/$");
        assert_eq!(glibc_expand("${ORIGIN", "/o"), "${ORIGIN");
    }
}
