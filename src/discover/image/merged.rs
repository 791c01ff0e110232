//! The merged view of an image's filesystem: the layers applied so far,
//! one path each (a directory, a file or a symlink), with each layer's
//! whiteouts removing what is below it, through the symlinks it holds.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

use super::{
    HostileNames, ImageConfig, ImageContents, ImageFile, ImageFormat, ImageProblem, ImageRead,
    resolve_links, symlink_target,
};

/// A path of the merged view.
#[derive(Clone)]
pub(super) enum Node<T> {
    Directory,
    File {
        size: u64,
        read: Option<ImageRead<T>>,
        kept: Option<Rc<Vec<u8>>>,
        hard_link_of: Option<String>,
    },
    Symlink(String),
}

/// The view the layers applied so far make.
pub struct Merged<T> {
    pub(super) view: BTreeMap<String, Node<T>>,
    /// Paths whose first bytes are kept when not ELF (the command's candidates).
    pub heads_wanted: HashSet<String>,
    /// Bytes of metadata kept so far, and the most that may be.
    pub(super) metadata_total: u64,
    pub(super) metadata_room: u64,
    /// Of the image's [bomb floor](super::blob_stream::BOMB_FLOOR), what
    /// the layers read so far used: their bytes inflated past the ratio.
    pub(super) floor_used: u64,
    pub(super) skipped_by_name: u64,
    /// Members named outside the image, of every layer.
    pub(super) hostile: HostileNames,
}

impl<T> Default for Merged<T> {
    fn default() -> Self {
        Merged {
            view: BTreeMap::new(),
            heads_wanted: HashSet::new(),
            metadata_total: 0,
            metadata_room: super::METADATA_KEPT_CAP,
            floor_used: 0,
            skipped_by_name: 0,
            hostile: HostileNames::default(),
        }
    }
}

impl<T: Clone> Merged<T> {
    /// Removes `path` and everything below it (`""`: everything).
    fn remove_tree(&mut self, path: &str) {
        if path.is_empty() {
            self.view.clear();
            return;
        }
        self.view.remove(path);
        self.remove_below(path);
    }

    /// Removes everything below the directory `path` (`""`: everything).
    fn remove_below(&mut self, path: &str) {
        if path.is_empty() {
            self.view.clear();
            return;
        }
        let start = format!("{path}/");
        // '0' follows '/' in byte order: the range is exactly `path/…`.
        let end = format!("{path}0");
        let below: Vec<String> = self
            .view
            .range(start..end)
            .map(|(key, _)| key.clone())
            .collect();
        for key in below {
            self.view.remove(&key);
        }
    }

    /// `path` with every directory on the way that is a symlink in the view
    /// replaced by where it leads inside the root, as a runtime applying the
    /// layer follows it (`lib/x` lands in `usr/lib/x` when `lib -> usr/lib`).
    /// The last component is followed only when `follow_last`.
    pub(super) fn through_links(&self, path: &str, follow_last: bool) -> String {
        resolve_links(path, follow_last, |candidate| {
            match self.view.get(candidate) {
                Some(Node::Symlink(target)) => Some(target.clone()),
                _ => None,
            }
        })
    }

    /// Applies one layer's changes: its whiteouts, then what it adds.
    pub fn apply(&mut self, changes: Changes<T>) {
        for path in &changes.removed {
            let path = self.through_links(path, false);
            self.remove_tree(&path);
        }
        for dir in &changes.opaque {
            let dir = self.through_links(dir, true);
            self.remove_below(&dir);
        }
        for (path, node) in changes.added {
            self.insert(path, node);
        }
    }

    fn insert(&mut self, path: String, node: Node<T>) {
        let path = self.through_links(&path, false);
        if path.is_empty() {
            return;
        }
        match (&node, self.view.get(&path)) {
            (Node::Directory, Some(Node::Directory)) => return,
            (Node::Directory, _) => {}
            _ => self.remove_below(&path),
        }
        self.view.insert(path, node);
    }

    pub fn into_contents(
        mut self,
        format: ImageFormat,
        reference: Option<String>,
        config: ImageConfig,
        layers: usize,
        problems: Vec<ImageProblem>,
    ) -> ImageContents<T> {
        let mut files = Vec::new();
        let mut symlinks = Vec::new();
        let mut kept_at = Vec::new();
        let mut regular_files = 0;
        let mut directories: Vec<String> = Vec::new();
        for (path, node) in &self.view {
            match node {
                Node::Directory => directories.push(path.clone()),
                Node::Symlink(target) => {
                    symlinks.push((path.clone(), symlink_target(path, target)))
                }
                Node::File {
                    size,
                    read,
                    kept,
                    hard_link_of,
                } => {
                    regular_files += 1;
                    if kept.is_some() {
                        kept_at.push(path.clone());
                    }
                    // A link whose first name a later layer removed is a file of its own.
                    let hard_link_of = hard_link_of
                        .clone()
                        .filter(|first| matches!(self.view.get(first), Some(Node::File { .. })));
                    if let Some(read) = read {
                        files.push(ImageFile {
                            path: path.clone(),
                            size: *size,
                            read: read.clone(),
                            hard_link_of,
                        });
                    }
                }
            }
        }
        // The directory of each path; their ancestors are implied
        // (ImageContents::every_directory).
        // The view is sorted: most paths share the previous one's directory.
        let mut parents: Vec<&str> = self
            .view
            .keys()
            .filter_map(|path| Some(path.rsplit_once('/')?.0))
            .collect();
        parents.dedup();
        directories.extend(parents.into_iter().map(str::to_string));
        directories.sort();
        directories.dedup();
        // Handed over, not copied (a copy held each twice at once).
        let mut metadata = BTreeMap::new();
        for path in kept_at {
            if let Some(Node::File {
                kept: Some(kept), ..
            }) = self.view.remove(&path)
            {
                metadata.insert(
                    path,
                    Rc::try_unwrap(kept).unwrap_or_else(|kept| (*kept).clone()),
                );
            }
        }
        ImageContents {
            format,
            reference,
            config,
            layers,
            files,
            symlinks,
            directories,
            metadata,
            regular_files,
            skipped_by_name: self.skipped_by_name,
            problems,
        }
    }
}
/// What one layer's tar stream asks of the view.
#[derive(Clone)]
pub struct Changes<T> {
    /// Whited-out paths, and directories made opaque.
    pub(super) removed: Vec<String>,
    pub(super) opaque: Vec<String>,
    pub(super) added: Vec<(String, Node<T>)>,
    /// Path → its last position in `added` (hard links look their target up).
    pub(super) added_at: HashMap<String, usize>,
}

impl<T> Default for Changes<T> {
    fn default() -> Self {
        Changes {
            removed: Vec::new(),
            opaque: Vec::new(),
            added: Vec::new(),
            added_at: HashMap::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> Node<u8> {
        Node::File {
            size: 1,
            read: Some(ImageRead::Elf(1)),
            kept: None,
            hard_link_of: None,
        }
    }

    fn paths(merged: &Merged<u8>) -> Vec<&str> {
        merged.view.keys().map(String::as_str).collect()
    }

    #[test]
    fn whiteouts_remove_trees_and_opaque_directories_their_contents() {
        let mut merged = Merged::default();
        for path in ["a", "a/x.so", "a/b/y.so", "ab/z.so", "c/w.so"] {
            merged.insert(path.to_string(), file());
        }
        merged.remove_tree("a");
        assert_eq!(paths(&merged), ["ab/z.so", "c/w.so"], "a's tree, not ab's");
        merged.insert("c".to_string(), Node::Directory);
        merged.remove_below("c");
        assert_eq!(paths(&merged), ["ab/z.so", "c"]);
        // A file over a directory replaces the directory and what it held.
        merged.insert("ab".to_string(), file());
        assert_eq!(paths(&merged), ["ab", "c"]);
        merged.remove_tree("");
        assert!(paths(&merged).is_empty());
    }

    #[test]
    fn paths_through_symlinked_directories_land_where_the_link_leads() {
        let mut merged = Merged::default();
        merged.insert("usr/lib".to_string(), Node::Directory);
        merged.insert("lib".to_string(), Node::Symlink("usr/lib".to_string()));
        merged.insert("loop".to_string(), Node::Symlink("/loop".to_string()));
        merged.insert("up".to_string(), Node::Symlink("../../..".to_string()));
        merged.insert("lib/libx.so".to_string(), file());
        merged.insert("up/usr/lib/liby.so".to_string(), file());
        merged.insert("loop/z".to_string(), file());
        let mut all = paths(&merged);
        all.sort();
        assert_eq!(
            all,
            [
                "lib",
                "loop",
                "loop/z",
                "up",
                "usr/lib",
                "usr/lib/libx.so",
                "usr/lib/liby.so"
            ]
        );
        assert_eq!(merged.through_links("lib", true), "usr/lib");
        assert_eq!(merged.through_links("lib", false), "lib");
    }
}
