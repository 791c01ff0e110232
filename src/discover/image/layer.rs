//! One layer read once, streaming: its blob hashed as it passes, inflated
//! (gzip, zstd or none, told by its first bytes), its tar members turned into
//! the [`Changes`] it makes to the [`Merged`] view.

use std::cell::Cell;
use std::io::{BufReader, Read};
use std::rc::Rc;

use sha2::Digest as _;

use super::blob_stream::{BOMB_FLOOR, Bounded, Hashing, open_inflated, past_the_ratio};
use super::manifest::{Digest, LayerRef, digest_mismatch, hex};
use super::merged::{Changes, Merged, Node};
use super::source::Blobs;
use super::{ImageProblem, ImageProblemKind, ImageRead, is_metadata};
use crate::discover::archive::{
    ElfMember, MAX_MEMBER_BYTES, member_path, read_elf_member, read_jar,
};
use crate::discover::bounded_tar::{BoundedTar, holds_file_data, pax_sparse};
use crate::discover::files::METADATA_CAP;
use crate::discover::held::{self, HoldError};
use crate::discover::name_proves_text;
use crate::model::ReportPath;

/// Reads one layer: what it changes in `merged` (nothing when its blob
/// cannot be opened, which is a problem).
pub fn read<T: Clone>(
    blobs: &Blobs,
    layer: &LayerRef,
    merged: &mut Merged<T>,
    problems: &mut Vec<ImageProblem>,
    analyse: &mut impl FnMut(&[u8]) -> T,
) -> Changes<T> {
    match blobs.open_blob(&layer.path) {
        Ok((reader, _size)) => read_changes(reader, layer, merged, problems, analyse),
        Err(reason) => {
            problems.push(layer_not_read(layer, &reason));
            Changes::default()
        }
    }
}

pub fn layer_not_read(layer: &LayerRef, reason: &str) -> ImageProblem {
    ImageProblem {
        path: layer.path.clone(),
        kind: ImageProblemKind::Unreadable,
        reason: format!("layer not read ({reason}); the files it adds are not judged"),
    }
}

/// Reads one layer's blob from `reader` (hashed, inflated, its members
/// analysed): what it changes in the layers below. `merged` is the view
/// so far (hard links may name a lower layer's file).
pub fn read_changes<T: Clone>(
    reader: Box<dyn Read + '_>,
    layer: &LayerRef,
    merged: &mut Merged<T>,
    problems: &mut Vec<ImageProblem>,
    analyse: &mut impl FnMut(&[u8]) -> T,
) -> Changes<T> {
    let problem = |kind, reason| ImageProblem {
        path: layer.path.clone(),
        kind,
        reason,
    };
    let mut changes = Changes::default();
    let raw_read = Rc::new(Cell::new(0));
    let raw = BufReader::with_capacity(
        256 * 1024,
        Hashing {
            inner: reader,
            hasher: sha2::Sha256::new(),
            read: Rc::clone(&raw_read),
        },
    );
    let inflate = match open_inflated(raw) {
        Ok(inflate) => inflate,
        Err(reason) => {
            problems.push(problem(
                ImageProblemKind::Unreadable,
                format!("layer not read: {reason}"),
            ));
            return changes;
        }
    };
    let mut archive = BoundedTar::new(Bounded {
        inner: inflate,
        inflated: 0,
        raw: Rc::clone(&raw_read),
        floor_left: BOMB_FLOOR.saturating_sub(merged.floor_used),
    });
    match archive.entries() {
        Ok(entries) => {
            let mut read = LayerReader {
                merged,
                changes: &mut changes,
                problems,
                inflated: 0,
            };
            for entry in entries {
                match entry {
                    Ok(mut entry) => read.entry(&mut entry, analyse),
                    Err(err) => {
                        read.problems.push(problem(
                            ImageProblemKind::Unreadable,
                            format!(
                                "corrupt layer: {err}; the members after this point were not read"
                            ),
                        ));
                        break;
                    }
                }
            }
        }
        Err(err) => problems.push(problem(
            ImageProblemKind::Unreadable,
            format!("layer not read: {err}"),
        )),
    }
    // The rest of the blob (tar padding, the compressor's trailer) is hashed too.
    let bounded = archive.into_inner();
    let inflated = bounded.inflated;
    let mut raw = bounded.inner.into_raw();
    let drained = std::io::copy(&mut raw, &mut std::io::sink());
    merged.floor_used = merged
        .floor_used
        .saturating_add(past_the_ratio(inflated, raw_read.get()));
    let hashing = raw.into_inner();
    // A stream lost to a failed zstd frame cannot be hashed whole (its
    // corruption is the finding).
    let whole = Rc::ptr_eq(&hashing.read, &raw_read);
    if let (Some(expected), Ok(_), true) = (&layer.expected, drained, whole) {
        check_layer_digest(&layer.path, expected, hashing.hasher, problems);
    }
    changes
}

fn check_layer_digest(
    path: &str,
    expected: &Digest,
    hasher: sha2::Sha256,
    problems: &mut Vec<ImageProblem>,
) {
    if expected.algorithm != "sha256" {
        return;
    }
    let actual = hex(&hasher.finalize());
    if actual != expected.hex {
        problems.push(digest_mismatch(path, expected, &actual));
    }
}

/// Largest file read whole to tell a script's first line from ELF.
const MAX_HEAD_FILE: u64 = 1024 * 1024;
/// Bytes of a script kept: its `#!` line.
const HEAD_BYTES: usize = 256;

struct LayerReader<'a, T> {
    merged: &'a mut Merged<T>,
    changes: &'a mut Changes<T>,
    problems: &'a mut Vec<ImageProblem>,
    /// ELF bytes inflated from this layer (capped as an archive's are).
    inflated: u64,
}

impl<T: Clone> LayerReader<'_, T> {
    /// A member named outside the image (listed or counted, see [`super::HostileNames`]).
    fn hostile(&mut self, name: String, reason: String) {
        self.merged.hostile.note(self.problems, name, reason);
    }

    fn unreadable(&mut self, name: String, reason: String) {
        self.problems.push(ImageProblem {
            path: name,
            kind: ImageProblemKind::Unreadable,
            reason,
        });
    }

    /// The node at `path` as this layer left it so far, or as the layers below did.
    fn existing(&self, path: &str) -> Option<Node<T>> {
        self.changes
            .added_at
            .get(path)
            .and_then(|&at| self.changes.added.get(at))
            .map(|(_, node)| node.clone())
            .or_else(|| self.merged.view.get(path).cloned())
    }

    fn entry<R: Read>(&mut self, entry: &mut tar::Entry<R>, analyse: &mut impl FnMut(&[u8]) -> T) {
        let sparse = pax_sparse(entry);
        let name = match sparse.as_ref().and_then(|sparse| sparse.name.as_deref()) {
            Some(real_name) => ReportPath::text_of(real_name),
            None => ReportPath::text_of(&entry.path_bytes()),
        };
        let path = match member_path(&name) {
            Ok(path) => path,
            Err(reason) => return self.hostile(name, reason),
        };
        if path.is_empty() {
            return;
        }
        let (dir, base) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
        if base == ".wh..wh..opq" {
            self.changes.opaque.push(dir.to_string());
            return;
        }
        if let Some(hidden) = base.strip_prefix(".wh.") {
            if hidden.is_empty() || hidden == "." || hidden == ".." {
                return self.hostile(
                    name,
                    "a whiteout of `.` or `..`: it would delete outside its directory".to_string(),
                );
            }
            let removed = if dir.is_empty() {
                hidden.to_string()
            } else {
                format!("{dir}/{hidden}")
            };
            self.changes.removed.push(removed);
            return;
        }
        let kind = entry.header().entry_type();
        let node = if kind.is_dir() {
            Node::Directory
        } else if kind.is_symlink() {
            let target = entry
                .link_name_bytes()
                .map(|t| ReportPath::text_of(&t))
                .unwrap_or_default();
            Node::Symlink(target)
        } else if kind.is_hard_link() {
            let target = entry
                .link_name_bytes()
                .map(|t| ReportPath::text_of(&t))
                .unwrap_or_default();
            let first = match member_path(&target) {
                Ok(first) => first,
                Err(reason) => {
                    return self.hostile(name, format!("a hard link whose target: {reason}"));
                }
            };
            match self.existing(&first) {
                Some(Node::File {
                    size, read, kept, ..
                }) => Node::File {
                    size,
                    read,
                    kept,
                    hard_link_of: Some(first),
                },
                _ => {
                    return self.unreadable(
                        name,
                        format!("a hard link to {first}, which no earlier member is"),
                    );
                }
            }
        } else if let Some(sparse) = sparse {
            match sparse.expand(entry) {
                Ok(mut file) => {
                    let declared = sparse.real_size.unwrap_or(0);
                    self.file(&name, &path, base, (declared, &mut file), analyse)
                }
                // Reported unless an upper layer removes it.
                Err(why) => Node::File {
                    size: sparse.real_size.unwrap_or(0),
                    read: (!name_proves_text(std::ffi::OsStr::new(base)))
                        .then(|| ImageRead::Unreadable(sparse.reason(&why))),
                    kept: None,
                    hard_link_of: None,
                },
            }
        } else if holds_file_data(kind) {
            // What the tar crate gives: PAX `size`, a sparse file's real size.
            let declared = entry.size();
            self.file(&name, &path, base, (declared, entry), analyse)
        } else {
            // Devices and FIFOs: nothing a loader maps.
            return;
        };
        self.changes
            .added_at
            .insert(path.clone(), self.changes.added.len());
        self.changes.added.push((path, node));
    }

    /// A small file the command may be: ELF analysed, else its first bytes kept.
    fn head(
        &mut self,
        name: &str,
        declared: u64,
        data: &mut impl Read,
        analyse: &mut impl FnMut(&[u8]) -> T,
    ) -> Node<T> {
        let mut bytes = Vec::new();
        if let Err(err) = data.take(MAX_HEAD_FILE).read_to_end(&mut bytes) {
            self.unreadable(name.to_string(), err.to_string());
        }
        let mut cursor = std::io::Cursor::new(bytes.as_slice());
        let (read, kept) = match read_elf_member(&mut self.inflated, declared, &mut cursor, analyse)
        {
            ElfMember::NotElf => (
                None,
                Some(Rc::new(bytes.iter().take(HEAD_BYTES).copied().collect())),
            ),
            ElfMember::Analysed { analysed, .. } => (Some(ImageRead::Elf(analysed)), None),
            ElfMember::Unreadable(reason) => (Some(ImageRead::Unreadable(reason)), None),
        };
        Node::File {
            size: declared,
            read,
            kept,
            hard_link_of: None,
        }
    }

    /// A file's node, its `declared` bytes read from `data`.
    fn file(
        &mut self,
        name: &str,
        path: &str,
        base: &str,
        (declared, data): (u64, &mut impl Read),
        analyse: &mut impl FnMut(&[u8]) -> T,
    ) -> Node<T> {
        let mut node = Node::File {
            size: declared,
            read: None,
            kept: None,
            hard_link_of: None,
        };
        if is_metadata(path) {
            if declared > METADATA_CAP
                || self.merged.metadata_total.saturating_add(declared) > self.merged.metadata_room
            {
                self.unreadable(
                    name.to_string(),
                    format!("{declared} bytes, over the metadata cap: not read, so what it says is not used"),
                );
                return node;
            }
            // Sized as declared: grown by doubling, a 64 MiB file took 128 at once.
            let mut bytes = Vec::new();
            if bytes.try_reserve_exact(declared as usize).is_err() {
                self.unreadable(
                    name.to_string(),
                    format!("{declared} bytes could not be allocated: not read"),
                );
                return node;
            }
            match data.take(declared).read_to_end(&mut bytes) {
                Ok(_) => {
                    self.merged.metadata_total += bytes.len() as u64;
                    if let Node::File { kept, .. } = &mut node {
                        *kept = Some(Rc::new(bytes));
                    }
                }
                Err(err) => self.unreadable(name.to_string(), err.to_string()),
            }
            return node;
        }
        if self.merged.heads_wanted.contains(path) && declared <= MAX_HEAD_FILE {
            return self.head(name, declared, data, analyse);
        }
        if name_proves_text(std::ffi::OsStr::new(base)) {
            self.merged.skipped_by_name += 1;
            return node;
        }
        if is_jar_name(base) {
            if let Node::File { read: slot, .. } = &mut node {
                *slot = Some(read_jar_entry(declared, data, analyse));
            }
            return node;
        }
        let read = match read_elf_member(&mut self.inflated, declared, data, analyse) {
            ElfMember::NotElf => None,
            ElfMember::Analysed { analysed, .. } => Some(ImageRead::Elf(analysed)),
            ElfMember::Unreadable(reason) => Some(ImageRead::Unreadable(reason)),
        };
        if let Node::File { read: slot, .. } = &mut node {
            *slot = read;
        }
        node
    }
}

/// `.jar`, `.war` or `.ear`: read whole, like a wheel, for its JNI members.
fn is_jar_name(base: &str) -> bool {
    let lower = base.to_ascii_lowercase();
    [".jar", ".war", ".ear"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// A jar in a layer: held as an archive's members are ([`held::hold`]:
/// in the shared memory budget, or a temporary file when large) and read
/// as a jar on disk is.
fn read_jar_entry<T>(
    declared: u64,
    data: &mut impl Read,
    analyse: &mut impl FnMut(&[u8]) -> T,
) -> ImageRead<T> {
    if declared > MAX_MEMBER_BYTES {
        return ImageRead::Unreadable(format!(
            "a jar of {declared} bytes, over the {} MiB cap: not read",
            MAX_MEMBER_BYTES / (1024 * 1024)
        ));
    }
    let bytes = match held::hold(declared, &[], data) {
        Ok(bytes) => bytes,
        Err(HoldError::PastDeclared) => {
            return ImageRead::Unreadable(format!(
                "longer than its declared {declared} bytes; not read further"
            ));
        }
        Err(HoldError::Refused(reason)) => return ImageRead::Unreadable(reason),
    };
    match read_jar(std::io::Cursor::new(&*bytes), &mut *analyse) {
        Ok(parts) => ImageRead::Jar(parts),
        Err(reason) => ImageRead::Unreadable(format!("a jar that cannot be read: {reason}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An uncompressed layer holding `files`.
    fn layer_of(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, bytes) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, path, &bytes[..]).unwrap();
        }
        builder.into_inner().unwrap()
    }

    #[test]
    fn metadata_is_kept_within_the_room_given_and_handed_over_whole() {
        let manifest = |n: usize| {
            (
                format!("app/node_modules/p{n}/package.json"),
                vec![b' '; 1000],
            )
        };
        let files: Vec<(String, Vec<u8>)> = (0..3).map(manifest).collect();
        let files: Vec<(&str, Vec<u8>)> =
            files.iter().map(|(p, b)| (p.as_str(), b.clone())).collect();
        let blob = layer_of(&files);
        let layer = LayerRef {
            path: "layer.tar".to_string(),
            expected: None,
        };
        let mut merged: Merged<u8> = Merged {
            metadata_room: 2500,
            ..Merged::default()
        };
        let mut problems = Vec::new();
        let changes = read_changes(
            Box::new(&blob[..]),
            &layer,
            &mut merged,
            &mut problems,
            &mut |_| 0u8,
        );
        merged.apply(changes);
        assert_eq!(merged.metadata_total, 2000, "two of three kept");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].reason.contains("over the metadata cap"),
            "{problems:?}"
        );
        let contents = merged.into_contents(
            super::super::ImageFormat::DockerSave,
            None,
            super::super::ImageConfig::default(),
            1,
            Vec::new(),
        );
        assert_eq!(contents.metadata.len(), 2);
        assert!(contents.metadata.values().all(|bytes| bytes.len() == 1000));
    }
}
