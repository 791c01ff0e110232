//! Archives read in memory, never extracted: only members that can be ELF are
//! inflated, and what is inflated is capped.

use std::io::Read;
use std::path::Path;

use crate::elf::ELF_MAGIC;

use super::name_proves_text;

/// Largest member inflated; a bigger one is reported, not read.
pub const MAX_MEMBER_BYTES: u64 = 512 * 1024 * 1024;
/// Largest total inflated per archive.
pub const MAX_ARCHIVE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// An ELF member of an archive, inflated.
pub struct Member {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A member that could not be read, and why.
pub struct MemberProblem {
    pub name: String,
    pub reason: String,
}

#[derive(Default)]
pub struct ArchiveContents {
    pub members: Vec<Member>,
    pub problems: Vec<MemberProblem>,
    /// Every member name (for bundled-library and metadata lookups).
    pub names: Vec<String>,
}

/// Reads the ELF members of a zip archive (a wheel).
pub fn read_zip(path: &Path) -> Result<ArchiveContents, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| format!("not a readable zip: {e}"))?;
    let mut contents = ArchiveContents::default();
    let mut inflated: u64 = 0;
    for index in 0..zip.len() {
        let mut entry = match zip.by_index(index) {
            Ok(entry) => entry,
            Err(err) => {
                contents.problems.push(MemberProblem {
                    name: format!("#{index}"),
                    reason: err.to_string(),
                });
                continue;
            }
        };
        // Names are data, never paths to write to; `../` is harmless here.
        let name = match entry.name() {
            Ok(name) => name.to_string(),
            Err(err) => {
                contents.problems.push(MemberProblem {
                    name: format!("#{index}"),
                    reason: format!("unreadable member name: {err}"),
                });
                continue;
            }
        };
        contents.names.push(name.clone());
        if entry.is_dir() || name_proves_text(std::ffi::OsStr::new(base_name(&name))) {
            continue;
        }
        let mut magic = [0u8; 4];
        if entry.read_exact(&mut magic).is_err() || magic != ELF_MAGIC {
            continue;
        }
        if entry.size() > MAX_MEMBER_BYTES || inflated + entry.size() > MAX_ARCHIVE_BYTES {
            contents.problems.push(MemberProblem {
                name,
                reason: format!(
                    "declares {} bytes, over the {} MiB inflate cap",
                    entry.size(),
                    MAX_MEMBER_BYTES / (1024 * 1024)
                ),
            });
            continue;
        }
        let mut bytes = magic.to_vec();
        // The declared size can lie: read at most the cap, then check.
        let limit = MAX_MEMBER_BYTES.min(MAX_ARCHIVE_BYTES - inflated);
        match (&mut entry).take(limit).read_to_end(&mut bytes) {
            Ok(_) if (bytes.len() as u64) >= limit => contents.problems.push(MemberProblem {
                name,
                reason: "inflates past the cap (a zip bomb?)".to_string(),
            }),
            Ok(_) => {
                inflated += bytes.len() as u64;
                contents.members.push(Member { name, bytes });
            }
            Err(err) => contents.problems.push(MemberProblem {
                name,
                reason: err.to_string(),
            }),
        }
    }
    Ok(contents)
}

fn base_name(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}
