//! Hard links: one file met under several paths is read once and reported
//! with every path. The inode number each directory listing gives (free,
//! unlike a `stat` per file) tells which entries may be one file; only
//! those are `stat`ed for their (device, inode).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::ffi::OsString;
use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(super) struct HardLinks {
    /// `stat` the first location through a link, as its entry was met.
    follow_symlinks: bool,
    /// First location of every inode number the listings gave, as its
    /// directory (shared by its files: a deep tree's paths are long) and
    /// name; `true` once that location was `stat`ed into `by_inode`.
    by_listed_inode: HashMap<u64, (Arc<Path>, OsString, bool)>,
    /// First location of every (device, inode) a `stat` confirmed, for the
    /// entries whose listed inode number another shares.
    by_inode: HashMap<(u64, u64), PathBuf>,
}

impl HardLinks {
    pub(super) fn new(follow_symlinks: bool) -> Self {
        HardLinks {
            follow_symlinks,
            by_listed_inode: HashMap::new(),
            by_inode: HashMap::new(),
        }
    }

    /// The first location met of the file at `path` (in the directory
    /// `dir`, listed with the inode number `ino`) is a hard link to, if any.
    /// Two entries are one file when their (device, inode) are; the inode
    /// number the listing gave tells which may be, so only those are
    /// `stat`ed (the first one met too, when it is first needed).
    pub(super) fn first_link(
        &mut self,
        (path, ino): (&Path, u64),
        dir: &Arc<Path>,
    ) -> std::io::Result<Option<PathBuf>> {
        let (first, stated) = match self.by_listed_inode.entry(ino) {
            Entry::Vacant(vacant) => {
                let name = path.file_name().unwrap_or(path.as_os_str());
                vacant.insert((Arc::clone(dir), name.to_os_string(), false));
                return Ok(None);
            }
            Entry::Occupied(mut first) => {
                let (dir, name, stated) = first.get_mut();
                (dir.join(&*name), std::mem::replace(stated, true))
            }
        };
        // Stated once, as its entry was (through a followed link); gone
        // or unreadable since: then it joins nothing.
        if !stated && let Some(key) = self.stat(&first).ok().and_then(|m| inode_key(&m)) {
            self.by_inode.entry(key).or_insert(first);
        }
        let Some(key) = inode_key(&self.stat(path)?) else {
            return Ok(None);
        };
        match self.by_inode.get(&key) {
            Some(first) => Ok(Some(first.clone())),
            None => {
                self.by_inode.insert(key, path.to_path_buf());
                Ok(None)
            }
        }
    }

    /// `path`'s metadata, through a link when links are followed.
    fn stat(&self, path: &Path) -> std::io::Result<Metadata> {
        if self.follow_symlinks {
            std::fs::metadata(path)
        } else {
            std::fs::symlink_metadata(path)
        }
    }
}

#[cfg(unix)]
fn inode_key(metadata: &Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    (metadata.nlink() > 1).then(|| (metadata.dev(), metadata.ino()))
}

#[cfg(not(unix))]
fn inode_key(_metadata: &Metadata) -> Option<(u64, u64)> {
    None
}
