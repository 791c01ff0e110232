//! Archives read, never extracted: only members that can be ELF are
//! inflated, each is analysed as soon as it is inflated and then dropped, and
//! what is inflated is capped. Inflated members hold bytes of the memory
//! budget all readers share ([`super::budget`]), so peak memory is bounded by
//! that budget whatever the number of threads; large ones are held in a
//! temporary file instead ([`super::held`]).

use std::io::{Read, Seek};

use crate::elf::ELF_MAGIC;
use crate::model::ReportPath;

use super::bounded_tar::{BoundedTar, holds_file_data, pax_sparse};
use super::held::{self, Held, HoldError};
use super::name_proves_text;

mod jar;

pub use jar::{JarPart, is_nested_jar, read_jar};

/// Largest member inflated; a bigger one is reported, not read.
pub const MAX_MEMBER_BYTES: u64 = 512 * 1024 * 1024;
/// Largest total inflated per archive.
pub const MAX_ARCHIVE_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// Most members read of one archive: past it, or past [`MAX_NAME_BYTES`]
/// of names kept, or [`MAX_ITEMS`] members reported, the rest is not read
/// and the archive says so. A gzip tarball of 17 MB held 8 million
/// members (headers repeat, deflate shrinks them a thousandfold) and took
/// 19 s and 2.2 GB for their names alone.
pub const MAX_MEMBERS: usize = 1_000_000;
/// Most bytes of member names kept for one archive, each name counted
/// with 32 bytes more (an empty name is not free).
const MAX_NAME_BYTES: usize = 128 * 1024 * 1024;
/// Most members of one archive reported one by one (ELF members and the
/// members that could not be read): half a million tiny ELF members, a 2
/// MB tarball, made 1.3 GB of report. No wheel or package comes near.
const MAX_ITEMS: usize = 10_000;
/// Members named outside the archive listed one by one; the rest are counted.
pub const MAX_HOSTILE_NAMES_LISTED: usize = 100;
/// Largest package `package.json` read from an archive (an npm tarball's,
/// a Yarn cache archive's).
const PACKAGE_JSON_CAP: u64 = 1024 * 1024;

/// An ELF member of an archive, and what the caller's analysis made of it.
#[derive(Clone)]
pub struct Member<T> {
    /// The name as the archive gives it (shown in the report).
    pub name: String,
    /// Where it is inside the archive: relative, `.` and `..` folded.
    pub path: String,
    pub size: u64,
    pub analysed: T,
}

/// Why a member was not analysed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberProblemKind {
    /// It could not be read (or was over a cap).
    Unreadable,
    /// Its name points outside the archive; it was not read.
    HostileName,
}

/// A member that was not analysed, and why.
#[derive(Clone)]
pub struct MemberProblem {
    pub name: String,
    pub kind: MemberProblemKind,
    pub reason: String,
}

impl MemberProblem {
    fn unreadable(name: String, reason: String) -> MemberProblem {
        MemberProblem {
            name,
            kind: MemberProblemKind::Unreadable,
            reason,
        }
    }
}

/// Where a member named `name` is inside its archive: `.` and empty parts
/// dropped, `..` folded. `Err` (the reason) when the name points outside the
/// archive: absolute, climbing above its root, or holding a NUL byte.
/// Installers refuse or skip such members; they are never looked up.
pub fn member_path(name: &str) -> Result<String, String> {
    if name.starts_with('/') {
        return Err("absolute member name: it points outside the archive".to_string());
    }
    if name.contains('\0') {
        return Err("member name holds a NUL byte".to_string());
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("member name climbs outside the archive with `..`".to_string());
                }
            }
            part => parts.push(part),
        }
    }
    Ok(parts.join("/"))
}

#[derive(Clone)]
pub struct ArchiveContents<T> {
    pub members: Vec<Member<T>>,
    pub problems: Vec<MemberProblem>,
    /// Every member's path inside the archive, hostile names left out (for
    /// bundled-library and metadata lookups).
    pub names: Vec<String>,
    /// The package's own `package.json` (npm tarballs), within `PACKAGE_JSON_CAP`.
    pub package_json: Option<String>,
    /// Members met so far.
    seen: usize,
    /// Bytes of `names`, each counted with 32 more.
    name_bytes: usize,
    /// ELF members named outside the archive: listed, and past those.
    hostile_listed: usize,
    hostile_unlisted: usize,
}

impl<T> ArchiveContents<T> {
    /// Counts one more member; `true` when it and the rest must not be
    /// read (over [`MAX_MEMBERS`], [`MAX_NAME_BYTES`] or [`MAX_ITEMS`]),
    /// which is then a problem of the archive: its other members are not
    /// judged, so it cannot pass.
    fn over_limits(&mut self) -> bool {
        self.seen += 1;
        let over = if self.seen > MAX_MEMBERS {
            format!("more than {MAX_MEMBERS} members")
        } else if self.name_bytes > MAX_NAME_BYTES {
            format!(
                "more than {} MiB of member names",
                MAX_NAME_BYTES / (1024 * 1024)
            )
        } else if self.reported() >= MAX_ITEMS {
            format!("more than {MAX_ITEMS} ELF or unreadable members")
        } else {
            return false;
        };
        self.problems.push(MemberProblem::unreadable(
            "(the rest of the archive)".to_string(),
            format!(
                "{over}: the members after the first {} were not read; no package holds that many, so the archive is likely built to exhaust the scan",
                self.seen - 1
            ),
        ));
        true
    }

    /// Members reported one by one: the ELF ones and those that could not be read.
    fn reported(&self) -> usize {
        self.members.len() + self.problems.len()
    }

    /// Records a member's name; its path inside the archive, or why the
    /// name points outside it.
    fn place(&mut self, name: &str) -> Result<String, String> {
        let placed = member_path(name);
        if let Ok(path) = &placed {
            self.name_bytes = self.name_bytes.saturating_add(path.len() + 32);
            self.names.push(path.clone());
        }
        placed
    }

    /// The contents once every member was met: the ELF members named
    /// outside the archive past the first [`MAX_HOSTILE_NAMES_LISTED`] are
    /// one problem that counts them.
    fn finish(mut self) -> ArchiveContents<T> {
        if self.hostile_unlisted > 0 {
            self.problems.push(MemberProblem {
                name: "(more members)".to_string(),
                kind: MemberProblemKind::HostileName,
                reason: format!(
                    "{} more ELF members named outside the archive (past the first {MAX_HOSTILE_NAMES_LISTED}, not listed one by one): not read",
                    self.hostile_unlisted
                ),
            });
        }
        self
    }

    /// Reads a member whose name was placed: analysed if it is ELF. A member
    /// whose name points outside the archive is never analysed; it is
    /// reported only when it is ELF (it could stand for a library), since
    /// data archives with absolute names (database seeds) are harmless.
    fn take(
        &mut self,
        inflated: &mut u64,
        name: String,
        placed: Result<String, String>,
        declared: u64,
        reader: &mut impl Read,
        analyse: &mut impl FnMut(&[u8]) -> T,
    ) {
        match placed {
            Ok(path) => take_if_elf(self, inflated, (name, path), declared, reader, analyse),
            Err(reason) if starts_like_elf(reader) => {
                if self.hostile_listed < MAX_HOSTILE_NAMES_LISTED {
                    self.hostile_listed += 1;
                    self.problems.push(MemberProblem {
                        name,
                        kind: MemberProblemKind::HostileName,
                        reason,
                    });
                } else {
                    self.hostile_unlisted += 1;
                }
            }
            Err(_) => {}
        }
    }
}

fn starts_like_elf(reader: &mut impl Read) -> bool {
    let mut magic = [0u8; 4];
    reader.read_exact(&mut magic).is_ok() && magic == ELF_MAGIC
}

impl<T> Default for ArchiveContents<T> {
    fn default() -> Self {
        ArchiveContents {
            members: Vec::new(),
            problems: Vec::new(),
            names: Vec::new(),
            package_json: None,
            seen: 0,
            name_bytes: 0,
            hostile_listed: 0,
            hostile_unlisted: 0,
        }
    }
}

/// A zip archive's central directory, read by the zip crate, which holds
/// every entry in memory (about 240 bytes each) before a member is read:
/// one declaring more than [`MAX_MEMBERS`] is refused first (a jar listing
/// four million took 1.3 GB).
pub fn open_zip<R: Read + Seek>(mut archive: R) -> Result<zip::ZipArchive<R>, String> {
    if let Some(declared) = declared_zip_entries(&mut archive)
        && declared > MAX_MEMBERS as u64
    {
        return Err(format!(
            "its central directory declares {declared} members, more than the {MAX_MEMBERS} read from one archive; not read"
        ));
    }
    zip::ZipArchive::new(archive).map_err(|e| format!("not a readable zip: {e}"))
}

const END_OF_CENTRAL_DIRECTORY: [u8; 4] = [0x50, 0x4b, 0x05, 0x06];
const ZIP64_END_LOCATOR: [u8; 4] = [0x50, 0x4b, 0x06, 0x07];
const ZIP64_END_OF_CENTRAL_DIRECTORY: [u8; 4] = [0x50, 0x4b, 0x06, 0x06];

/// The entries a zip's end of central directory record declares (its zip64
/// record's, when it has one); `None` when none is found (the zip crate
/// then says what is wrong).
fn declared_zip_entries(archive: &mut (impl Read + Seek)) -> Option<u64> {
    use std::io::SeekFrom;
    let length = archive.seek(SeekFrom::End(0)).ok()?;
    // The record is 22 bytes and a comment of up to 65,535; the zip64
    // locator, 20 bytes, comes right before it.
    let tail_length = length.min(22 + 65_535 + 20);
    archive.seek(SeekFrom::Start(length - tail_length)).ok()?;
    let mut tail = Vec::new();
    archive
        .by_ref()
        .take(tail_length)
        .read_to_end(&mut tail)
        .ok()?;
    let at = tail
        .windows(4)
        .rposition(|window| window == END_OF_CENTRAL_DIRECTORY)?;
    let field = |bytes: &[u8], at: usize, len: usize| -> Option<u64> {
        let bytes = bytes.get(at..at.checked_add(len)?)?;
        Some(
            bytes
                .iter()
                .rev()
                .fold(0, |value, &b| value << 8 | u64::from(b)),
        )
    };
    let entries = field(&tail, at + 10, 2)?;
    let zip64 = at
        .checked_sub(20)
        .filter(|&locator| tail.get(locator..locator + 4) == Some(&ZIP64_END_LOCATOR[..]))
        .and_then(|locator| field(&tail, locator + 8, 8))
        .filter(|&record| record < length)
        .and_then(|record| {
            archive.seek(SeekFrom::Start(record)).ok()?;
            let mut bytes = [0u8; 56];
            archive.read_exact(&mut bytes).ok()?;
            (bytes.starts_with(&ZIP64_END_OF_CENTRAL_DIRECTORY))
                .then(|| field(&bytes, 32, 8))
                .flatten()
        });
    let _ = archive.seek(SeekFrom::Start(0));
    Some(entries.max(zip64.unwrap_or(0)))
}

/// Reads the ELF members of a zip archive (a wheel), handing each to `analyse`.
pub fn read_zip<T>(
    archive: impl Read + Seek,
    mut analyse: impl FnMut(&[u8]) -> T,
) -> Result<ArchiveContents<T>, String> {
    let mut zip = open_zip(archive)?;
    let mut contents = ArchiveContents::default();
    let mut inflated: u64 = 0;
    for index in 0..zip.len() {
        if contents.over_limits() {
            break;
        }
        let Some((mut entry, name)) = zip_member(&mut zip, index, &mut contents.problems) else {
            continue;
        };
        let placed = contents.place(&name);
        if entry.is_dir() || name_proves_text(std::ffi::OsStr::new(base_name(&name))) {
            continue;
        }
        let declared = entry.size();
        contents.take(
            &mut inflated,
            name,
            placed,
            declared,
            &mut entry,
            &mut analyse,
        );
    }
    Ok(contents.finish())
}

/// Sniffs a member's first 4 bytes and, if they are ELF's, reads the rest
/// within the per-member and per-archive caps and the memory budget every
/// reader shares, and analyses it.
fn take_if_elf<T>(
    contents: &mut ArchiveContents<T>,
    inflated: &mut u64,
    (name, path): (String, String),
    declared: u64,
    reader: &mut impl Read,
    analyse: &mut impl FnMut(&[u8]) -> T,
) {
    match read_elf_member(inflated, declared, reader, analyse) {
        ElfMember::NotElf => {}
        ElfMember::Analysed { size, analysed } => contents.members.push(Member {
            name,
            path,
            size,
            analysed,
        }),
        ElfMember::Unreadable(reason) => contents
            .problems
            .push(MemberProblem::unreadable(name, reason)),
    }
}

/// What reading a member that may be ELF gave.
pub enum ElfMember<T> {
    NotElf,
    Analysed {
        size: u64,
        analysed: T,
    },
    /// It starts like ELF but was not read: over a cap, or failed.
    Unreadable(String),
}

/// Sniffs a member's first 4 bytes and, if they are ELF's, reads the rest
/// (see [`inflate_member`]) and analyses it.
pub fn read_elf_member<T>(
    inflated: &mut u64,
    declared: u64,
    reader: &mut impl Read,
    analyse: &mut impl FnMut(&[u8]) -> T,
) -> ElfMember<T> {
    if !starts_like_elf(reader) {
        return ElfMember::NotElf;
    }
    match inflate_member(inflated, declared, &ELF_MAGIC, reader) {
        Ok(bytes) => ElfMember::Analysed {
            size: bytes.len() as u64,
            analysed: analyse(&bytes),
        },
        Err(reason) => ElfMember::Unreadable(reason),
    }
}

/// A member declaring `declared` bytes, `head` of them read already, read
/// whole within the per-member cap, the per-archive total (`inflated`,
/// updated) and the memory budget every reader shares (waiting, if need
/// be, until it fits beside what other threads hold), or in a temporary
/// file when large ([`held::hold`]). Never reads past the declared size: a
/// member that inflates further (a zip bomb) is refused after one byte more.
fn inflate_member(
    inflated: &mut u64,
    declared: u64,
    head: &[u8],
    reader: &mut impl Read,
) -> Result<Held, String> {
    if declared > MAX_MEMBER_BYTES || inflated.saturating_add(declared) > MAX_ARCHIVE_BYTES {
        return Err(format!(
            "declares {declared} bytes, over the {} MiB inflate cap",
            MAX_MEMBER_BYTES / (1024 * 1024)
        ));
    }
    let bytes = held::hold(declared, head, reader).map_err(|err| match err {
        HoldError::PastDeclared => {
            format!("inflates past its declared {declared} bytes (a zip bomb?); not read further")
        }
        HoldError::Refused(reason) => reason,
    })?;
    *inflated += bytes.len() as u64;
    Ok(bytes)
}

/// The kind of archive a file name says this is, when muslcheck does not read
/// that kind (it reads wheels and gzip tarballs); `file_name` is lowercase.
pub fn unread_archive(file_name: &str) -> Option<&'static str> {
    const UNREAD: &[(&str, &str)] = &[
        (
            ".tar",
            "an uncompressed tar archive that is not a container image (no manifest.json or OCI layout)",
        ),
        (".tar.xz", "an xz-compressed tar archive"),
        (".txz", "an xz-compressed tar archive"),
        (".tar.bz2", "a bzip2-compressed tar archive"),
        (".tbz2", "a bzip2-compressed tar archive"),
        (".tar.zst", "a zstd-compressed tar archive"),
        (".tzst", "a zstd-compressed tar archive"),
    ];
    UNREAD
        .iter()
        .find(|(extension, _)| file_name.ends_with(extension))
        .map(|&(_, kind)| kind)
}

/// Whether `name` is an archive's: one muslcheck opens (wheels and gzip
/// tarballs) or one it reports as not read.
pub fn is_archive_name(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy().to_ascii_lowercase();
    [".whl", ".tgz", ".tar.gz"]
        .iter()
        .any(|ext| name.ends_with(ext))
        || unread_archive(&name).is_some()
}

fn base_name(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// Reads the ELF members of a gzip-compressed tarball (an `npm pack` .tgz),
/// handing each to `analyse`. Member names are data, never written to:
/// absolute names and `..` above the root are reported, not read.
pub fn read_tar_gz<T>(
    archive: impl Read,
    mut analyse: impl FnMut(&[u8]) -> T,
) -> Result<ArchiveContents<T>, String> {
    let gz = flate2::read::GzDecoder::new(std::io::BufReader::new(archive));
    let mut archive = BoundedTar::new(gz);
    let entries = archive
        .entries()
        .map_err(|e| format!("not a readable tarball: {e}"))?;
    let mut contents = ArchiveContents::default();
    let mut inflated: u64 = 0;
    for entry in entries {
        if contents.over_limits() {
            break;
        }
        let mut entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                contents.problems.push(MemberProblem::unreadable(
                    "(tar entry)".to_string(),
                    format!("{err}; the members after this point were not read"),
                ));
                // A corrupt stream cannot be resynchronised.
                break;
            }
        };
        let sparse = pax_sparse(&mut entry);
        let name = match sparse.as_ref().and_then(|sparse| sparse.name.as_deref()) {
            Some(real_name) => ReportPath::text_of(real_name),
            None => ReportPath::text_of(&entry.path_bytes()),
        };
        let placed = contents.place(&name);
        if let Some(sparse) = sparse {
            if !name_proves_text(std::ffi::OsStr::new(base_name(&name))) {
                match sparse.expand(&mut entry) {
                    Ok(mut file) => {
                        let declared = sparse.real_size.unwrap_or(0);
                        contents.take(
                            &mut inflated,
                            name,
                            placed,
                            declared,
                            &mut file,
                            &mut analyse,
                        );
                    }
                    Err(why) => contents
                        .problems
                        .push(MemberProblem::unreadable(name, sparse.reason(&why))),
                }
            }
            continue;
        }
        if placed.as_deref() == Ok("package/package.json") && entry.header().entry_type().is_file()
        {
            let mut text = String::new();
            if (&mut entry)
                .take(PACKAGE_JSON_CAP)
                .read_to_string(&mut text)
                .is_ok()
            {
                contents.package_json = Some(text);
            }
            continue;
        }
        // Symlinks, hard links and devices are names only; never followed.
        if !holds_file_data(entry.header().entry_type())
            || name_proves_text(std::ffi::OsStr::new(base_name(&name)))
        {
            continue;
        }
        // What the tar crate gives: PAX `size`, a sparse file's real size.
        let declared = entry.size();
        contents.take(
            &mut inflated,
            name,
            placed,
            declared,
            &mut entry,
            &mut analyse,
        );
    }
    Ok(contents.finish())
}

/// The package manifest of a Yarn cache archive (`.yarn/cache/*.zip`): its
/// first member at `node_modules/<name>/package.json` (or
/// `node_modules/@scope/<name>/package.json`), as (path inside the archive,
/// bytes, decoded by the manifests' reader like any other). Yarn's cache
/// holds one package per archive; its native code is loaded from
/// `.yarn/unplugged`, never from the archive, so nothing else is read (only
/// the central directory and that member, within a cap).
pub fn read_package_manifest(
    archive: impl Read + Seek,
) -> Result<Option<(String, Vec<u8>)>, String> {
    let mut zip = open_zip(archive)?;
    let found = (0..zip.len()).find_map(|index| {
        let name = zip.name_for_index(index)?.ok()?;
        let path = member_path(&name).ok()?;
        is_package_root_manifest(&path).then_some((index, path))
    });
    let Some((index, path)) = found else {
        return Ok(None);
    };
    let mut entry = zip
        .by_index(index)
        .map_err(|e| format!("{path}: unreadable member: {e}"))?;
    let mut bytes = Vec::new();
    (&mut entry)
        .take(PACKAGE_JSON_CAP)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{path}: {e}"))?;
    Ok(Some((path, bytes)))
}

/// Whether `path` (inside an archive) is `node_modules/<name>/package.json`
/// or `node_modules/@scope/<name>/package.json`.
fn is_package_root_manifest(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["node_modules", name, "package.json"] => !name.starts_with('@'),
        ["node_modules", scope, _, "package.json"] => scope.starts_with('@'),
        _ => false,
    }
}

/// The zip member at `index` and its name as report text (names are data,
/// never paths to write to); a member or name that cannot be read is a
/// problem of the archive, and `None`.
fn zip_member<'z, R: Read + Seek>(
    zip: &'z mut zip::ZipArchive<R>,
    index: usize,
    problems: &mut Vec<MemberProblem>,
) -> Option<(zip::read::ZipFile<'z, R>, String)> {
    let entry = match zip.by_index(index) {
        Ok(entry) => entry,
        Err(err) => {
            problems.push(MemberProblem::unreadable(
                format!("#{index}"),
                err.to_string(),
            ));
            return None;
        }
    };
    let name = match entry.name() {
        Ok(name) => ReportPath::text_of(name.as_bytes()),
        Err(err) => {
            problems.push(MemberProblem::unreadable(
                format!("#{index}"),
                format!("unreadable member name: {err}"),
            ));
            return None;
        }
    };
    Some((entry, name))
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use super::*;

    pub(super) fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, bytes) in members {
            writer.start_file(*name, stored).unwrap();
            writer.write_all(bytes).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn a_central_directory_declaring_too_many_members_is_not_read() {
        let small = zip_of(&[("a.so", b"x"), ("b/c.txt", b"y"), ("d", b"")]);
        assert_eq!(declared_zip_entries(&mut Cursor::new(&small)), Some(3));
        assert!(open_zip(Cursor::new(&small)).is_ok());
        assert_eq!(declared_zip_entries(&mut Cursor::new(b"not a zip")), None);
        // A zip64 end record declaring two million entries, its locator,
        // and the end record pointing at it (entries 0xffff).
        let mut crafted = ZIP64_END_OF_CENTRAL_DIRECTORY.to_vec();
        crafted.extend_from_slice(&44u64.to_le_bytes());
        crafted.extend_from_slice(&[45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        crafted.extend_from_slice(&2_000_000u64.to_le_bytes());
        crafted.extend_from_slice(&2_000_000u64.to_le_bytes());
        crafted.extend_from_slice(&[0; 16]);
        crafted.extend_from_slice(&ZIP64_END_LOCATOR);
        crafted.extend_from_slice(&[0; 4]);
        crafted.extend_from_slice(&0u64.to_le_bytes());
        crafted.extend_from_slice(&1u32.to_le_bytes());
        crafted.extend_from_slice(&END_OF_CENTRAL_DIRECTORY);
        crafted.extend_from_slice(&[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
        crafted.extend_from_slice(&[0xff; 8]);
        crafted.extend_from_slice(&[0, 0]);
        assert_eq!(
            declared_zip_entries(&mut Cursor::new(&crafted)),
            Some(2_000_000)
        );
        let Err(reason) = open_zip(Cursor::new(&crafted)) else {
            panic!("read");
        };
        assert!(reason.contains("declares 2000000 members"), "{reason}");
    }

    #[test]
    fn a_yarn_cache_archive_gives_its_packages_root_manifest_only() {
        let scoped = zip_of(&[
            ("node_modules/@node-rs/argon2/README.md", b"# argon2"),
            (
                "node_modules/@node-rs/argon2/lib/package.json",
                b"{\"type\":\"module\"}",
            ),
            (
                "node_modules/@node-rs/argon2/package.json",
                b"{\"name\":\"@node-rs/argon2\"}",
            ),
        ]);
        let read = read_package_manifest(Cursor::new(scoped)).unwrap();
        assert_eq!(
            read,
            Some((
                "node_modules/@node-rs/argon2/package.json".to_string(),
                b"{\"name\":\"@node-rs/argon2\"}".to_vec()
            ))
        );
        // Not a package root: a scope's own file, a deeper manifest, a name
        // climbing out of the archive.
        let none = zip_of(&[
            ("node_modules/@scope/package.json", b"{}"),
            ("node_modules/a/b/package.json", b"{}"),
            ("x/../../node_modules/a/package.json", b"{}"),
        ]);
        assert_eq!(read_package_manifest(Cursor::new(none)).unwrap(), None);
        assert!(read_package_manifest(Cursor::new(b"PK not a zip".to_vec())).is_err());
    }
}
