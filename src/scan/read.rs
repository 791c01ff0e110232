//! Reading one candidate: a file on disk, a wheel or an npm tarball, each
//! turned into items (files and archive members) with their ELF facts.

use std::path::{Path, PathBuf};

use super::cache::{FactsCache, Read};
use crate::check::NotElfKind;
use crate::check::wheel::{self, WheelMember};
use crate::discover::archive::MemberProblemKind;
use crate::discover::{self, Candidate, Sniffed};
use crate::ecosystem::maven;
use crate::ecosystem::npm::yarn_pnp;
use crate::ecosystem::python::WheelName;
use crate::model::{
    Artifact, ArtifactKind, Assessment, Code, Ecosystem, Package, ReportPath, Verdict,
    member_location, on_disk,
};

/// One file to judge: a file on disk or a member of an archive.
pub(super) struct Item {
    pub shown: ReportPath,
    /// The file's other names (hard links), as shown and where they are.
    pub also_at: Vec<ReportPath>,
    pub also_located: Vec<PathBuf>,
    /// Where the file is (for a member: inside its archive's location, see
    /// [`member_location`]).
    pub location: PathBuf,
    pub size: u64,
    pub read: Read,
    pub package: Option<Package>,
    /// A file of a container image: its package is found below the image's
    /// root, as on disk (a wheel's or tarball's members have their archive's).
    pub in_image: bool,
}

impl Item {
    /// The candidate itself as one item, no package known (an archive that
    /// could not be read, or that is read as something else).
    fn whole_file(candidate: &Candidate, shown: ReportPath, read: Read) -> Item {
        Item {
            shown,
            also_at: Vec::new(),
            also_located: Vec::new(),
            location: candidate.location.clone(),
            size: size_on_disk(&candidate.location),
            read,
            package: None,
            in_image: false,
        }
    }

    /// Where the file's package metadata is looked for: a member's own
    /// location inside an image, else the file on disk.
    pub fn owner_location(&self) -> &Path {
        if self.in_image {
            &self.location
        } else {
            on_disk(&self.location)
        }
    }
}

/// A wheel and the range of its members in the item list.
pub(super) struct WheelRead {
    pub shown: ReportPath,
    pub size: u64,
    pub name: Option<WheelName>,
    pub member_names: Vec<String>,
    pub first_item: usize,
    pub item_count: usize,
}

/// What one candidate gave: its items, and the wheel they belong to.
pub(super) struct CandidateRead {
    pub items: Vec<Item>,
    pub wheel: Option<WheelRead>,
    /// The candidate, when it is a file on disk that is not an ELF file.
    pub not_elf: Option<Box<NotElfFile>>,
    /// The package manifest read from inside it (a Yarn cache archive's).
    pub manifest: Option<Box<ArchivedManifest>>,
}

/// A manifest read from inside an archive, with where it is in it.
pub(super) struct ArchivedManifest {
    pub shown: String,
    pub location: PathBuf,
    pub bytes: Vec<u8>,
}

/// A file read for ELF that is not one. A loader's library search that
/// opens it by a needed name stops there and fails: it is kept for that.
pub(super) struct NotElfFile {
    pub shown: String,
    pub location: PathBuf,
    pub kind: NotElfKind,
}

impl CandidateRead {
    pub fn sort_key(&self) -> &str {
        match (&self.wheel, self.items.first(), &self.not_elf) {
            (Some(wheel), _, _) => wheel.shown.as_str(),
            (None, Some(item), _) => item.shown.as_str(),
            (None, None, Some(file)) => file.shown.as_str(),
            (None, None, None) => "",
        }
    }

    /// Whether the candidate gave anything to keep.
    pub fn holds_anything(&self) -> bool {
        self.wheel.is_some()
            || !self.items.is_empty()
            || self.not_elf.is_some()
            || self.manifest.is_some()
    }

    fn nothing() -> CandidateRead {
        CandidateRead::of_items(Vec::new())
    }

    fn of_items(items: Vec<Item>) -> CandidateRead {
        CandidateRead {
            items,
            wheel: None,
            not_elf: None,
            manifest: None,
        }
    }
}

/// Most members of archives kept as items in one scan (each archive keeps
/// at most [`discover::archive`]'s own cap): a hundred 70 KB tarballs of
/// 10,000 four-byte ELF members each were a million items, 2.6 GB and a
/// 537 MB report, passing. A wheelhouse of 500 wheels holds about 10,000.
pub(super) const MAX_ARCHIVED_ITEMS: usize = 100_000;

impl CandidateRead {
    /// Keeps the items of an archive's members (more than one item: a file
    /// on disk makes at most one) within `room`, the rest of the scan's
    /// [`MAX_ARCHIVED_ITEMS`]; past it, one finding on the archive says how
    /// many were not kept.
    pub fn keep_members_within(&mut self, room: usize, candidate: &Candidate) {
        let count = self.items.len();
        if count <= 1 || count <= room {
            return;
        }
        self.items.truncate(room);
        let reason = format!(
            "{} of its ELF or unreadable members were not kept: the scan already holds {MAX_ARCHIVED_ITEMS} members of archives, far more than any project's, so the archives are likely built to exhaust the scan",
            count - room
        );
        let read = Read::Failed(Code::Unreadable, reason);
        let shown = ReportPath::file(&candidate.shown);
        self.items.push(Item::whole_file(candidate, shown, read));
    }
}

pub(super) fn read_candidate(candidate: &Candidate, cache: &FactsCache) -> CandidateRead {
    let shown = ReportPath::file(&candidate.shown);
    let is_wheel = candidate
        .location
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("whl"));
    if is_wheel {
        return read_wheel(candidate, shown, cache);
    }
    let file_name = candidate
        .location
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if file_name.ends_with(".tgz") || file_name.ends_with(".tar.gz") {
        return read_tarball(candidate, shown, cache);
    }
    if [".jar", ".war", ".ear"]
        .iter()
        .any(|ext| file_name.ends_with(ext))
    {
        return read_jar(candidate, shown, cache);
    }
    if yarn_pnp::is_cache_archive(&candidate.location) {
        return read_yarn_archive(candidate, shown);
    }
    let (mut read, size) = read_file(&candidate.location, cache);
    if let Read::NotElf { head_len } = read {
        let Some(kind) = discover::archive::unread_archive(&file_name) else {
            return CandidateRead {
                not_elf: Some(Box::new(NotElfFile {
                    shown: candidate.shown.clone(),
                    location: candidate.location.clone(),
                    kind: NotElfKind::File { head_len },
                })),
                ..CandidateRead::nothing()
            };
        };
        let reason = format!(
            "{kind}: not read (muslcheck reads wheels, gzip tarballs and container images), so \
             ELF files inside it were not judged"
        );
        read = Read::Failed(Code::SkippedArchive, reason);
    }
    let item = Item {
        shown,
        also_at: Vec::new(),
        also_located: Vec::new(),
        location: candidate.location.clone(),
        size: size.unwrap_or_else(|| size_on_disk(&candidate.location)),
        read,
        package: None,
        in_image: false,
    };
    CandidateRead::of_items(vec![item])
}

/// What `location` holds, and its size when it was read.
fn read_file(location: &Path, cache: &FactsCache) -> (Read, Option<u64>) {
    match discover::read_if_elf(location) {
        Ok(Sniffed::Elf(contents, stamp)) => {
            let size = Some(contents.len() as u64);
            let read = cache.analyse(&contents, Some((location, stamp)));
            if contents.changed() {
                let reason = "the file shrank or failed while it was read".to_string();
                return (Read::Failed(Code::Unreadable, reason), size);
            }
            (read, size)
        }
        Ok(Sniffed::NotElf { head_len }) => (Read::NotElf { head_len }, None),
        Err(err) => (Read::Failed(Code::Unreadable, err.to_string()), None),
    }
}

/// The size of a candidate not read as an ELF file (an archive, or a file
/// that could not be read), through a followed link: 0 when it cannot be
/// told either.
fn size_on_disk(location: &Path) -> u64 {
    std::fs::metadata(location).map_or(0, |metadata| metadata.len())
}

/// Items for the ELF members of an archive (and for members that could not be read).
fn archive_items(
    archive: &Path,
    shown: &ReportPath,
    contents: discover::archive::ArchiveContents<Read>,
    package: Option<Package>,
    in_image: bool,
) -> Vec<Item> {
    let item = |name: &str, path: &str, size: u64, read: Read| Item {
        shown: shown.member(name),
        also_at: Vec::new(),
        also_located: Vec::new(),
        location: member_location(archive, path),
        size,
        read,
        package: package.clone(),
        in_image,
    };
    let members = contents
        .members
        .into_iter()
        .map(|m| item(&m.name, &m.path, m.size, m.analysed));
    // Members not analysed are not looked up: located at the archive's root.
    let problems = contents.problems.iter().map(|p| {
        let code = match p.kind {
            MemberProblemKind::Unreadable => Code::Unreadable,
            MemberProblemKind::HostileName => Code::HostileMemberName,
        };
        item(&p.name, "", 0, Read::Failed(code, p.reason.clone()))
    });
    members.chain(problems).collect()
}

fn read_wheel(candidate: &Candidate, shown: ReportPath, cache: &FactsCache) -> CandidateRead {
    let file_name = candidate
        .location
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = WheelName::parse(&file_name);
    let size = size_on_disk(&candidate.location);
    let package = name.as_ref().map(wheel_package);
    let read = std::fs::File::open(&candidate.location)
        .map_err(|e| e.to_string())
        .and_then(|file| discover::archive::read_zip(file, |bytes| cache.analyse(bytes, None)));
    let (items, member_names) = match read {
        Ok(mut contents) => {
            let names = std::mem::take(&mut contents.names);
            (
                archive_items(&candidate.location, &shown, contents, package, false),
                names,
            )
        }
        Err(reason) => (
            vec![Item {
                shown: shown.clone(),
                also_at: Vec::new(),
                also_located: Vec::new(),
                location: candidate.location.clone(),
                size,
                read: Read::Failed(Code::Unreadable, reason),
                package,
                in_image: false,
            }],
            Vec::new(),
        ),
    };
    CandidateRead {
        items,
        wheel: Some(WheelRead {
            shown,
            size,
            name,
            member_names,
            first_item: 0,
            item_count: 0,
        }),
        not_elf: None,
        manifest: None,
    }
}

/// An npm tarball (`npm pack`): members analysed like an installed package.
fn read_tarball(candidate: &Candidate, shown: ReportPath, cache: &FactsCache) -> CandidateRead {
    // Not every .tgz is an npm package; one that is not a tarball is not ELF either.
    let read = std::fs::File::open(&candidate.location)
        .map_err(|e| e.to_string())
        .and_then(|file| discover::archive::read_tar_gz(file, |bytes| cache.analyse(bytes, None)));
    let Ok(contents) = read else {
        return CandidateRead::nothing();
    };
    // `docker save | gzip`: read as an image when the scan finds it skipped here.
    let names = |name: &str| contents.names.iter().any(|n| n == name);
    if contents.package_json.is_none()
        && (names("manifest.json") || (names("oci-layout") && names("index.json")))
    {
        let reason = "a gzip-compressed container image (`docker save | gzip`)".to_string();
        let read = Read::Failed(Code::SkippedArchive, reason);
        return CandidateRead::of_items(vec![Item::whole_file(candidate, shown, read)]);
    }
    let package = contents
        .package_json
        .as_deref()
        .and_then(crate::ecosystem::npm::PackageJson::parse)
        .map(|manifest| manifest.package());
    CandidateRead::of_items(archive_items(
        &candidate.location,
        &shown,
        contents,
        package,
        false,
    ))
}

/// A package archive of Yarn's cache: its `package.json`, an installed
/// package's manifest. Nothing in it is loaded from the archive, and an
/// unplugged package is read where Node loads it (`.yarn/unplugged`).
fn read_yarn_archive(candidate: &Candidate, shown: ReportPath) -> CandidateRead {
    if yarn_pnp::unplugged_copies(&candidate.location)
        .iter()
        .any(|dir| dir.is_dir())
    {
        return CandidateRead::nothing();
    }
    let read = std::fs::File::open(&candidate.location)
        .map_err(|e| e.to_string())
        .and_then(|file| discover::archive::read_package_manifest(std::io::BufReader::new(file)));
    match read {
        Ok(Some((path, bytes))) => CandidateRead {
            manifest: Some(Box::new(ArchivedManifest {
                shown: shown.member(&path).to_string(),
                location: member_location(&candidate.location, &path),
                bytes,
            })),
            ..CandidateRead::nothing()
        },
        Ok(None) => CandidateRead::nothing(),
        Err(reason) => {
            let reason = format!(
                "a package archive of Yarn's cache that could not be read ({reason}): \
                 the platform packages of its package are not checked"
            );
            let read = Read::Failed(Code::Unreadable, reason);
            CandidateRead::of_items(vec![Item::whole_file(candidate, shown, read)])
        }
    }
}

/// A jar, war or ear: its members and those of the jars nested in it, each
/// attributed to its own jar's Maven coordinates.
fn read_jar(candidate: &Candidate, shown: ReportPath, cache: &FactsCache) -> CandidateRead {
    let read = std::fs::File::open(&candidate.location)
        .map_err(|e| e.to_string())
        .and_then(|file| {
            discover::archive::read_jar(std::io::BufReader::new(file), |bytes| {
                cache.analyse(bytes, None)
            })
        });
    let parts = match read {
        Ok(parts) => parts,
        Err(reason) => {
            let read = Read::Failed(Code::Unreadable, reason);
            return CandidateRead::of_items(vec![Item::whole_file(candidate, shown, read)]);
        }
    };
    let outer_name = candidate
        .location
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let items = jar_items(parts, &shown, &candidate.location, &outer_name, false);
    CandidateRead::of_items(items)
}

/// The items of a jar's parts (the jar and the jars nested in it), each
/// attributed to its own jar's Maven coordinates; `location` is the jar's.
pub(super) fn jar_items(
    parts: Vec<discover::archive::JarPart<Read>>,
    shown: &ReportPath,
    location: &Path,
    outer_name: &str,
    in_image: bool,
) -> Vec<Item> {
    let mut items = Vec::new();
    for part in parts {
        let (jar_shown, jar_path, jar_name) = match &part.nested_at {
            Some(path) => (shown.member(path), format!("{path}/"), path.as_str()),
            None => (shown.clone(), String::new(), outer_name),
        };
        let package = maven::jar_package(&part.pom_properties, part.manifest.as_deref(), jar_name);
        // A nested jar's members are located below its path in the outer one.
        let mut located = part.contents;
        for member in &mut located.members {
            member.path = format!("{jar_path}{}", member.path);
        }
        located.names = Vec::new();
        located.package_json = None;
        items.extend(archive_items(
            location, &jar_shown, located, package, in_image,
        ));
    }
    items
}

fn wheel_package(name: &WheelName) -> Package {
    Package {
        ecosystem: Ecosystem::Pypi,
        name: name.distribution.clone(),
        version: name.version.clone(),
    }
}

pub(super) fn wheel_artifact(
    wheel: &WheelRead,
    items: &[Item],
    assessments: &[Option<Assessment>],
) -> Artifact {
    let range = wheel.first_item..wheel.first_item + wheel.item_count;
    let members: Vec<WheelMember> = items
        .get(range.clone())
        .unwrap_or_default()
        .iter()
        .filter_map(|item| match &item.read {
            Read::Elf(facts) => Some(WheelMember {
                name: item.shown.innermost(),
                facts,
            }),
            _ => None,
        })
        .collect();
    let worst_member = assessments
        .get(range)
        .unwrap_or_default()
        .iter()
        .flatten()
        .map(|a| a.verdict)
        .max()
        .unwrap_or(Verdict::NotApplicable);
    let (audit, findings) = match &wheel.name {
        Some(name) => {
            let (audit, findings) = wheel::audit(name, &members, &wheel.member_names);
            (Some(audit), findings)
        }
        None => (None, Vec::new()),
    };
    Artifact {
        path: wheel.shown.clone(),
        also_at: Vec::new(),
        size: wheel.size,
        package: wheel.name.as_ref().map(wheel_package),
        kind: ArtifactKind::Wheel { wheel: audit },
        assessment: Assessment::of(worst_member, findings),
    }
}
