//! Where an image's blobs are: members of a tar file (`docker save`, an OCI
//! archive) found by one pass over its headers, or files of an OCI layout
//! directory. Blob paths are names inside the image, placed like archive
//! members: nothing outside the archive or the layout can be named.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::discover::archive::member_path;
use crate::discover::bounded_tar::BoundedTar;
use crate::model::ReportPath;

use super::{HostileNames, ImageProblem, ImageProblemKind};

/// The bytes of a tar member: where its data starts and how long it is.
#[derive(Debug, Clone)]
pub enum TarMember {
    Data {
        offset: u64,
        size: u64,
    },
    /// A symlink or hard link to another member (placed path).
    Link(String),
}

/// Where the blobs of an image are.
pub enum Blobs {
    Tar {
        file: PathBuf,
        members: HashMap<String, TarMember>,
    },
    Directory {
        root: PathBuf,
        canonical_root: PathBuf,
    },
    /// A gzip-compressed tar (`docker save | gzip`): no seeking, so its
    /// small members were kept in a first pass and layers are read in a
    /// second, in the archive's order.
    GzipTar {
        file: PathBuf,
        members: HashMap<String, TarMember>,
        small: HashMap<String, Vec<u8>>,
    },
}

impl std::fmt::Debug for Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Blobs::Tar { file, members } => {
                write!(f, "Tar({}, {} members)", file.display(), members.len())
            }
            Blobs::Directory { root, .. } => write!(f, "Directory({})", root.display()),
            Blobs::GzipTar { file, .. } => write!(f, "GzipTar({})", file.display()),
        }
    }
}

/// Largest tar file header pass: members listed in an image archive.
const MAX_ARCHIVE_MEMBERS: usize = 1_000_000;

impl Blobs {
    /// The blobs of the image at `path`, if it is one: a directory holding
    /// `oci-layout`, or a tar file holding `manifest.json` (`docker save`)
    /// or `oci-layout` and `index.json` (an OCI archive). Recognised by
    /// content, whatever the name. Problems met while listing the archive
    /// (hostile member names) are added to `problems`.
    pub fn open(path: &Path, problems: &mut Vec<ImageProblem>) -> Option<Blobs> {
        let metadata = std::fs::metadata(path).ok()?;
        if metadata.is_dir() {
            let layout = std::fs::symlink_metadata(path.join("oci-layout")).ok()?;
            if !layout.is_file() {
                return None;
            }
            let canonical_root = std::fs::canonicalize(path).ok()?;
            return Some(Blobs::Directory {
                root: path.to_path_buf(),
                canonical_root,
            });
        }
        if !metadata.is_file() {
            return None;
        }
        let is_image = |members: &HashMap<String, TarMember>| {
            members.contains_key("manifest.json")
                || (members.contains_key("oci-layout") && members.contains_key("index.json"))
        };
        if starts_like_gzip(path) {
            let mut listing_problems = Vec::new();
            let (members, small) = list_gzip_tar(path, &mut listing_problems).ok()?;
            if !is_image(&members) {
                return None;
            }
            problems.extend(listing_problems);
            return Some(Blobs::GzipTar {
                file: path.to_path_buf(),
                members,
                small,
            });
        }
        if !starts_like_tar(path) {
            return None;
        }
        let members = list_tar(path, problems).ok()?;
        is_image(&members).then(|| Blobs::Tar {
            file: path.to_path_buf(),
            members,
        })
    }

    /// Whether layers must be read in the archive's order ([`Blobs::stream`]).
    pub fn is_streamed(&self) -> bool {
        matches!(self, Blobs::GzipTar { .. })
    }

    /// The member a path names, through links (a streamed archive's layers
    /// are found by it).
    pub fn data_member(&self, path: &str) -> Option<String> {
        let Blobs::GzipTar { members, .. } = self else {
            return Some(path.to_string());
        };
        let mut current = path.to_string();
        for _ in 0..8 {
            match members.get(&current)? {
                TarMember::Data { .. } => return Some(current),
                TarMember::Link(target) => current = target.clone(),
            }
        }
        None
    }

    /// A streamed archive read once more, in order: `take` gets each
    /// regular member's placed path and data. Whether it could be opened.
    pub fn stream(&self, take: &mut dyn FnMut(&str, &mut dyn Read)) -> Result<(), String> {
        let Blobs::GzipTar { file, .. } = self else {
            return Ok(());
        };
        let opened = crate::discover::files::open_nonblocking(file).map_err(|e| e.to_string())?;
        let gzip = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(opened));
        let mut archive = BoundedTar::new(gzip);
        let entries = archive.entries().map_err(|e| e.to_string())?;
        for entry in entries {
            let Ok(mut entry) = entry else {
                // Said by the first pass.
                break;
            };
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name = ReportPath::text_of(&entry.path_bytes());
            if let Ok(placed) = member_path(&name) {
                take(&placed, &mut entry);
            }
        }
        Ok(())
    }

    pub fn is_directory(&self) -> bool {
        matches!(self, Blobs::Directory { .. })
    }

    pub fn has(&self, path: &str) -> bool {
        match self {
            Blobs::Tar { members, .. } => members.contains_key(path),
            Blobs::Directory { root, .. } => root.join(path).is_file(),
            Blobs::GzipTar { members, .. } => members.contains_key(path),
        }
    }

    /// A reader of the blob at `path` (a placed path) and its size.
    pub fn open_blob(&self, path: &str) -> Result<(Box<dyn Read>, u64), String> {
        let placed = member_path(path)?;
        match self {
            Blobs::GzipTar { small, .. } => {
                let member = self
                    .data_member(&placed)
                    .ok_or_else(|| format!("{placed}: not in the archive"))?;
                let bytes = small.get(&member).ok_or_else(|| {
                    format!("{placed}: not a small member of the gzip-compressed archive")
                })?;
                let size = bytes.len() as u64;
                Ok((Box::new(std::io::Cursor::new(bytes.clone())), size))
            }
            Blobs::Tar { file, members } => {
                let (offset, size) = tar_data(members, &placed)?;
                let mut opened = File::open(file).map_err(|e| e.to_string())?;
                opened
                    .seek(SeekFrom::Start(offset))
                    .map_err(|e| e.to_string())?;
                Ok((Box::new(opened.take(size)), size))
            }
            Blobs::Directory {
                root,
                canonical_root,
            } => {
                let location = root.join(&placed);
                // Through symlinks only to files inside the layout.
                let real =
                    std::fs::canonicalize(&location).map_err(|e| format!("{placed}: {e}"))?;
                if !real.starts_with(canonical_root) {
                    return Err(format!(
                        "{placed} is a link to {}, outside the image layout: not read",
                        real.display()
                    ));
                }
                let metadata = std::fs::metadata(&real).map_err(|e| e.to_string())?;
                if !metadata.is_file() {
                    return Err(format!("{placed} is not a regular file: not read"));
                }
                let opened = crate::discover::files::open_nonblocking(&real)
                    .map_err(|e| format!("{placed}: {e}"))?;
                Ok((Box::new(opened), metadata.len()))
            }
        }
    }

    /// The whole blob at `path`, if it holds at most `cap` bytes.
    pub fn read_small(&self, path: &str, cap: u64) -> Result<Vec<u8>, String> {
        let (reader, size) = self.open_blob(path)?;
        if size > cap {
            return Err(format!(
                "{path} holds {size} bytes, over the {cap}-byte cap for image metadata"
            ));
        }
        let mut bytes = Vec::new();
        reader
            .take(cap)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{path}: {e}"))?;
        Ok(bytes)
    }
}

/// The data of a tar member, through at most a few links.
fn tar_data(members: &HashMap<String, TarMember>, path: &str) -> Result<(u64, u64), String> {
    let mut current = path.to_string();
    for _ in 0..8 {
        match members.get(&current) {
            Some(TarMember::Data { offset, size }) => return Ok((*offset, *size)),
            Some(TarMember::Link(target)) => current = target.clone(),
            None => return Err(format!("{path}: not in the archive")),
        }
    }
    Err(format!("{path}: too many links"))
}

/// An archive's members by placed path.
type Members = HashMap<String, TarMember>;
/// The bytes of an archive's small members, by placed path.
type SmallMembers = HashMap<String, Vec<u8>>;

/// Most bytes of small members kept from a gzip-compressed archive.
const MAX_SMALL_TOTAL: u64 = 64 * 1024 * 1024;

fn starts_like_gzip(path: &Path) -> bool {
    let mut magic = [0u8; 2];
    crate::discover::files::open_nonblocking(path)
        .and_then(|mut file| file.read_exact(&mut magic))
        .is_ok()
        && magic == [0x1f, 0x8b]
}

/// Every member of a gzip-compressed tar, by placed path, and the small
/// ones' bytes (manifests, configs): one pass, inflating it all.
fn list_gzip_tar(
    path: &Path,
    problems: &mut Vec<ImageProblem>,
) -> Result<(Members, SmallMembers), String> {
    let opened = crate::discover::files::open_nonblocking(path).map_err(|e| e.to_string())?;
    let gzip = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(opened));
    let mut archive = BoundedTar::new(gzip);
    let entries = archive.entries().map_err(|e| e.to_string())?;
    let mut members = HashMap::new();
    let mut small = HashMap::new();
    let mut kept: u64 = 0;
    let mut hostile = HostileNames::default();
    for entry in entries {
        let mut entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                if members.is_empty() {
                    return Err(err.to_string());
                }
                problems.push(corrupt_after(members.len(), &err));
                break;
            }
        };
        if members.len() >= MAX_ARCHIVE_MEMBERS {
            break;
        }
        let name = ReportPath::text_of(&entry.path_bytes());
        let Ok(placed) = member_path(&name) else {
            hostile.note(
                problems,
                name,
                "a member named outside the archive: not read".to_string(),
            );
            continue;
        };
        let kind = entry.header().entry_type();
        if kind.is_symlink() || kind.is_hard_link() {
            let Some(target) = entry.link_name_bytes() else {
                continue;
            };
            let target = ReportPath::text_of(&target);
            let joined = match (kind.is_symlink(), placed.rsplit_once('/')) {
                (true, Some((dir, _))) => format!("{dir}/{target}"),
                _ => target,
            };
            if let Ok(target) = member_path(&joined) {
                members.insert(placed, TarMember::Link(target));
            }
            continue;
        }
        if !kind.is_file() {
            continue;
        }
        let size = entry.header().size().unwrap_or(0);
        // What `locate` may read: manifests, indexes, configs.
        let may_be_read =
            placed.ends_with(".json") || placed == "oci-layout" || placed.starts_with("blobs/");
        if may_be_read
            && size <= super::manifest::MAX_MANIFEST_BYTES
            && kept.saturating_add(size) <= MAX_SMALL_TOTAL
        {
            let mut bytes = Vec::new();
            if (&mut entry)
                .take(super::manifest::MAX_MANIFEST_BYTES)
                .read_to_end(&mut bytes)
                .is_ok()
            {
                kept += bytes.len() as u64;
                small.insert(placed.clone(), bytes);
            }
        }
        members.insert(placed, TarMember::Data { offset: 0, size });
    }
    hostile.finish(problems);
    Ok((members, small))
}

/// Whether the file starts with a tar header (`ustar` magic at 257).
fn starts_like_tar(path: &Path) -> bool {
    let mut header = [0u8; 512];
    let Ok(mut file) = crate::discover::files::open_nonblocking(path) else {
        return false;
    };
    file.read_exact(&mut header).is_ok() && header.get(257..262) == Some(b"ustar".as_slice())
}

/// Every member of a tar file, by placed path: one pass over the headers,
/// seeking over the data.
fn list_tar(
    path: &Path,
    problems: &mut Vec<ImageProblem>,
) -> Result<HashMap<String, TarMember>, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let mut archive = BoundedTar::new(file);
    let entries = archive.entries_with_seek().map_err(|e| e.to_string())?;
    let mut members = HashMap::new();
    let mut hostile = HostileNames::default();
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                problems.push(corrupt_after(members.len(), &err));
                break;
            }
        };
        if members.len() >= MAX_ARCHIVE_MEMBERS {
            problems.push(ImageProblem {
                path: String::new(),
                kind: ImageProblemKind::Unreadable,
                reason: format!(
                    "more than {MAX_ARCHIVE_MEMBERS} members: the rest were not listed"
                ),
            });
            break;
        }
        let name = ReportPath::text_of(&entry.path_bytes());
        let placed = match member_path(&name) {
            Ok(placed) => placed,
            Err(reason) => {
                hostile.note(problems, name, reason);
                continue;
            }
        };
        let kind = entry.header().entry_type();
        let member = if kind.is_symlink() || kind.is_hard_link() {
            let Some(target) = entry.link_name_bytes() else {
                continue;
            };
            let target = ReportPath::text_of(&target);
            let joined = if kind.is_symlink() {
                match placed.rsplit_once('/') {
                    Some((dir, _)) => format!("{dir}/{target}"),
                    None => target,
                }
            } else {
                target
            };
            match member_path(&joined) {
                Ok(target) => TarMember::Link(target),
                Err(reason) => {
                    hostile.note(problems, name, format!("a link that {reason}"));
                    continue;
                }
            }
        } else if kind.is_file() {
            TarMember::Data {
                offset: entry.raw_file_position(),
                size: entry.header().size().unwrap_or(0),
            }
        } else {
            continue;
        };
        members.insert(placed, member);
    }
    hostile.finish(problems);
    Ok(members)
}

/// The archive stopped reading after `members` good ones: the rest is lost.
fn corrupt_after(members: usize, err: &std::io::Error) -> ImageProblem {
    ImageProblem {
        path: String::new(),
        kind: ImageProblemKind::Unreadable,
        reason: format!("the archive is corrupt after {members} members: {err}"),
    }
}
