//! Archives read in memory, never extracted: only members that can be ELF are
//! inflated, each is analysed as soon as it is inflated and then dropped, and
//! what is inflated is capped. Inflated members hold bytes of the memory
//! budget all readers share ([`super::budget`]), so peak memory is bounded by
//! that budget whatever the number of threads.

use std::io::{Read, Seek};

use crate::elf::ELF_MAGIC;
use crate::model::ReportPath;

use super::bounded_tar::{BoundedTar, holds_file_data, pax_sparse};
use super::{budget, name_proves_text};

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
        } else if self.members.len() + self.problems.len() >= MAX_ITEMS {
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

/// Reads the ELF members of a zip archive (a wheel), handing each to `analyse`.
pub fn read_zip<T>(
    archive: impl Read + Seek,
    mut analyse: impl FnMut(&[u8]) -> T,
) -> Result<ArchiveContents<T>, String> {
    let mut zip = zip::ZipArchive::new(archive).map_err(|e| format!("not a readable zip: {e}"))?;
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
/// within the per-member cap, the per-archive total (`inflated`, updated) and
/// the memory budget every reader shares, and analyses it. Never reads past
/// the declared size: a member that inflates further (a zip bomb) is refused
/// after one byte more.
pub fn read_elf_member<T>(
    inflated: &mut u64,
    declared: u64,
    reader: &mut impl Read,
    analyse: &mut impl FnMut(&[u8]) -> T,
) -> ElfMember<T> {
    if !starts_like_elf(reader) {
        return ElfMember::NotElf;
    }
    if declared > MAX_MEMBER_BYTES || inflated.saturating_add(declared) > MAX_ARCHIVE_BYTES {
        return ElfMember::Unreadable(format!(
            "declares {declared} bytes, over the {} MiB inflate cap",
            MAX_MEMBER_BYTES / (1024 * 1024)
        ));
    }
    // Waits, if need be, until the bytes fit beside what other threads hold.
    let mut bytes = match budget::shared().buffer(declared.max(ELF_MAGIC.len() as u64)) {
        Ok(buffer) => buffer,
        Err(reason) => return ElfMember::Unreadable(reason),
    };
    bytes.extend(&ELF_MAGIC);
    match bytes.fill_from(reader) {
        Ok(true) => ElfMember::Unreadable(format!(
            "inflates past its declared {declared} bytes (a zip bomb?); not read further"
        )),
        Ok(false) => {
            *inflated += bytes.len() as u64;
            let analysed = analyse(&bytes);
            ElfMember::Analysed {
                size: bytes.len() as u64,
                analysed,
            }
        }
        Err(err) => ElfMember::Unreadable(err.to_string()),
    }
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
    let mut zip = zip::ZipArchive::new(archive).map_err(|e| format!("not a readable zip: {e}"))?;
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

/// Largest `pom.properties` or `MANIFEST.MF` read from a jar.
const JAR_METADATA_CAP: u64 = 64 * 1024;
/// Most `pom.properties` text kept for a jar and the jars nested in it,
/// each file counted with [`POM_OVERHEAD`] more: a shaded jar's few
/// thousand (a few hundred bytes each) fit; 40,000 of 64 KiB, a 9 MB jar
/// of deflated repeats, held 2.7 GB.
const MAX_POM_TEXT: u64 = 4 * 1024 * 1024;
/// What keeping one `pom.properties` costs besides its text (an empty one
/// is not free).
const POM_OVERHEAD: u64 = 64;

/// One jar read: the outer one, or a jar nested inside it.
#[derive(Clone)]
pub struct JarPart<T> {
    /// The nested jar's path inside the outer one; `None` for the outer jar.
    pub nested_at: Option<String>,
    pub contents: ArchiveContents<T>,
    /// Every `META-INF/maven/<group>/<artifact>/pom.properties`, as text.
    pub pom_properties: Vec<String>,
    /// `META-INF/MANIFEST.MF`, as text.
    pub manifest: Option<String>,
}

/// Whether a member of a jar is a jar the application's class loader reads
/// from inside it: Spring Boot's `BOOT-INF/lib/`, a war's `WEB-INF/lib/`,
/// an ear's modules and `lib/`.
pub fn is_nested_jar(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let (dir, file) = lower.rsplit_once('/').unwrap_or(("", lower.as_str()));
    let archive = [".jar", ".war"].iter().any(|ext| file.ends_with(ext));
    archive && matches!(dir, "boot-inf/lib" | "web-inf/lib" | "lib" | "")
}

/// Reads a jar (`.jar`, `.war`, `.ear`) in memory like a wheel: its ELF
/// members, its Maven metadata, and the jars nested one level inside it
/// (read from memory, within the shared budget, never extracted).
pub fn read_jar<T>(
    archive: impl Read + Seek,
    mut analyse: impl FnMut(&[u8]) -> T,
) -> Result<Vec<JarPart<T>>, String> {
    let mut parts = Vec::new();
    // One inflate total for the jar and every jar nested in it, and one
    // total of `pom.properties` text kept.
    let mut inflated: u64 = 0;
    let mut pom_text: u64 = 0;
    read_jar_level(
        archive,
        None,
        (&mut inflated, &mut pom_text),
        &mut analyse,
        &mut parts,
    )?;
    Ok(parts)
}

/// Reads one jar into `parts`; `(inflated, pom_text)` are the totals so
/// far of the jar and the jars nested in it, updated.
fn read_jar_level<T>(
    archive: impl Read + Seek,
    nested_at: Option<String>,
    (inflated, pom_text): (&mut u64, &mut u64),
    analyse: &mut impl FnMut(&[u8]) -> T,
    parts: &mut Vec<JarPart<T>>,
) -> Result<(), String> {
    let mut zip = zip::ZipArchive::new(archive).map_err(|e| format!("not a readable zip: {e}"))?;
    let mut part = JarPart {
        nested_at: nested_at.clone(),
        contents: ArchiveContents::default(),
        pom_properties: Vec::new(),
        manifest: None,
    };
    let mut nested: Vec<(String, String)> = Vec::new();
    for index in 0..zip.len() {
        if part.contents.over_limits() {
            break;
        }
        let Some((mut entry, name)) = zip_member(&mut zip, index, &mut part.contents.problems)
        else {
            continue;
        };
        let placed = part.contents.place(&name);
        if entry.is_dir() {
            continue;
        }
        if let Ok(path) = &placed {
            if path == "META-INF/MANIFEST.MF" {
                part.manifest = read_text(&mut entry);
                continue;
            }
            if path.starts_with("META-INF/maven/") && path.ends_with("/pom.properties") {
                // Past the total, the rest are not kept: the jar is then
                // named by its manifest or file name.
                if *pom_text < MAX_POM_TEXT
                    && let Some(text) = read_text(&mut entry)
                {
                    *pom_text += text.len() as u64 + POM_OVERHEAD;
                    part.pom_properties.push(text);
                }
                continue;
            }
            if nested_at.is_none() && is_nested_jar(path) {
                nested.push((name, path.clone()));
                continue;
            }
        }
        if name_proves_text(std::ffi::OsStr::new(base_name(&name))) {
            continue;
        }
        let declared = entry.size();
        part.contents
            .take(inflated, name, placed, declared, &mut entry, analyse);
    }
    part.contents = part.contents.finish();
    parts.push(part);
    // One level of nesting, each inner jar held in memory while it is read.
    let nested_count = nested.len();
    for (read, (name, path)) in nested.into_iter().enumerate() {
        // The jar and the jars nested in it report members up to one cap
        // together: each nested jar's own would let a thousand of them
        // hold ten million.
        let reported: usize = parts
            .iter()
            .map(|part| part.contents.members.len() + part.contents.problems.len())
            .sum();
        if reported >= MAX_ITEMS {
            if let Some(outer) = parts.first_mut() {
                outer.contents.problems.push(MemberProblem::unreadable(
                    "(the rest of the jar)".to_string(),
                    format!(
                        "more than {MAX_ITEMS} ELF or unreadable members in the jar and the jars nested in it: {} of its {nested_count} nested jars were not read",
                        nested_count - read
                    ),
                ));
            }
            break;
        }
        let outcome = read_nested(
            &mut zip,
            (&name, &path),
            (&mut *inflated, &mut *pom_text),
            analyse,
            parts,
        );
        if let (Err(reason), Some(outer)) = (outcome, parts.first_mut()) {
            outer
                .contents
                .problems
                .push(MemberProblem::unreadable(name, reason));
        }
    }
    Ok(())
}

fn read_nested<T, R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    (name, path): (&str, &str),
    (inflated, pom_text): (&mut u64, &mut u64),
    analyse: &mut impl FnMut(&[u8]) -> T,
    parts: &mut Vec<JarPart<T>>,
) -> Result<(), String> {
    let mut entry = zip.by_name(name).map_err(|e| e.to_string())?;
    let declared = entry.size();
    if declared > MAX_MEMBER_BYTES || inflated.saturating_add(declared) > MAX_ARCHIVE_BYTES {
        return Err(format!(
            "a nested jar declaring {declared} bytes, over the {} MiB inflate cap",
            MAX_MEMBER_BYTES / (1024 * 1024)
        ));
    }
    let mut bytes = budget::shared().buffer(declared.max(1))?;
    if bytes.fill_from(&mut entry).map_err(|e| e.to_string())? {
        return Err(format!(
            "inflates past its declared {declared} bytes (a zip bomb?); not read further"
        ));
    }
    *inflated += bytes.len() as u64;
    drop(entry);
    read_jar_level(
        std::io::Cursor::new(&*bytes),
        Some(path.to_string()),
        (inflated, pom_text),
        analyse,
        parts,
    )
}

fn read_text(reader: &mut impl Read) -> Option<String> {
    let mut text = String::new();
    reader
        .take(JAR_METADATA_CAP)
        .read_to_string(&mut text)
        .ok()
        .map(|_| text)
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
mod jar_tests {
    use std::io::{Cursor, Write};

    use super::*;

    fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
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

    #[test]
    fn nested_jars_are_read_one_level_deep() {
        let elf: &[u8] = b"\x7fELF-not-really";
        let deeper = zip_of(&[("lib.so", elf)]);
        let inner = zip_of(&[
            (
                "META-INF/maven/g/a/pom.properties",
                b"groupId=g\nartifactId=a\nversion=1\n",
            ),
            ("linux/amd64/liba.so", elf),
            ("BOOT-INF/lib/deeper.jar", &deeper),
        ]);
        let outer = zip_of(&[
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
            ("BOOT-INF/lib/a-1.jar", &inner),
            ("BOOT-INF/classes/own.so", elf),
        ]);
        let parts = read_jar(Cursor::new(outer), |bytes| bytes.len()).unwrap();
        let nested: Vec<Option<&str>> = parts.iter().map(|p| p.nested_at.as_deref()).collect();
        assert_eq!(nested, [None, Some("BOOT-INF/lib/a-1.jar")]);
        let members = |i: usize| -> Vec<&str> {
            parts[i]
                .contents
                .members
                .iter()
                .map(|m| m.path.as_str())
                .collect()
        };
        assert_eq!(members(0), ["BOOT-INF/classes/own.so"]);
        // deeper.jar, two levels down, is neither opened nor taken for ELF.
        assert_eq!(members(1), ["linux/amd64/liba.so"]);
        assert!(parts[0].manifest.is_some());
        assert_eq!(parts[1].pom_properties.len(), 1);
    }

    #[test]
    fn nested_jar_places() {
        assert!(is_nested_jar("BOOT-INF/lib/snappy-java-1.1.10.3.jar"));
        assert!(is_nested_jar("WEB-INF/lib/x.jar"));
        assert!(is_nested_jar("lib/x.jar"));
        assert!(is_nested_jar("module.war"));
        assert!(!is_nested_jar("org/example/resources/fixture.jar"));
        assert!(!is_nested_jar("BOOT-INF/lib/readme.txt"));
    }
}
