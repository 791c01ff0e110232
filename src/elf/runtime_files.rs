//! The run-time files a static program needs (CA certificates, tzdata,
//! the user database), judged by the strings in its data.

use goblin::elf::program_header::PT_LOAD;
use goblin::elf::section_header::{SHF_ALLOC, SHF_EXECINSTR, SHT_NOBITS};

use super::read::Parsed;
use crate::model::{RuntimeFile, RuntimeFiles};

/// Strings that show a static program opens a run-time file: CA
/// certificates, the time-zone database, the user database.
const RUNTIME_MARKERS: [(&str, RuntimeFile); 5] = [
    ("/etc/ssl/certs", RuntimeFile::CaCertificates),
    ("ca-certificates.crt", RuntimeFile::CaCertificates),
    ("/usr/share/zoneinfo", RuntimeFile::Tzdata),
    ("getpwnam", RuntimeFile::Passwd),
    ("/etc/passwd", RuntimeFile::Passwd),
];

/// The run-time files a static program needs, judged by the strings it holds
/// (Go's crypto/x509 and time packages, a hard-coded path, static glibc's NSS).
/// Strings are data: machine code is not searched when the section headers
/// say where it is (it is most of a large static program).
pub(super) fn runtime_files(parsed: &Parsed, bytes: &[u8]) -> RuntimeFiles {
    static MARKERS: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::OnceLock::new();
    let Some(markers) = MARKERS.get_or_init(|| {
        aho_corasick::AhoCorasick::new(RUNTIME_MARKERS.iter().map(|(marker, _)| marker)).ok()
    }) else {
        return RuntimeFiles::default();
    };
    let (mut files, every_kind) = (RuntimeFiles::default(), RuntimeFiles::all());
    for region in data_regions(parsed, bytes) {
        for found in markers.find_iter(region) {
            if let Some((_, file)) = RUNTIME_MARKERS.get(found.pattern().as_usize()) {
                files.insert(*file);
            }
            if files == every_kind {
                return files;
            }
        }
    }
    files
}

/// The parts of the file that hold data the program can read: every section
/// loaded at run time (`SHF_ALLOC`) with contents but machine code, or, when
/// there are no section headers (`sstrip`), every segment the loader maps
/// (`PT_LOAD`). Symbol tables and debug information are never loaded: a name
/// there is no string the program uses; nor is Go's `.gopclntab` (function
/// and source file names, for tracebacks: a third of a Go program). Nor is
/// what lies outside every segment (a header-only file padded to 500 MiB
/// was read whole).
fn data_regions<'a>(parsed: &Parsed, bytes: &'a [u8]) -> Vec<&'a [u8]> {
    let sections = &parsed.elf.section_headers;
    if sections.is_empty() {
        return parsed
            .elf
            .program_headers
            .iter()
            .filter(|segment| segment.p_type == PT_LOAD)
            .filter_map(|segment| {
                let start = usize::try_from(segment.p_offset).ok()?;
                let end = start.checked_add(usize::try_from(segment.p_filesz).ok()?)?;
                bytes.get(start..end.min(bytes.len()))
            })
            .collect();
    }
    sections
        .iter()
        .filter(|section| {
            let flags = section.sh_flags;
            section.sh_type != SHT_NOBITS
                && flags & u64::from(SHF_ALLOC) != 0
                && flags & u64::from(SHF_EXECINSTR) == 0
                && parsed.shstr.get(section.sh_name) != Some(".gopclntab")
        })
        .filter_map(|section| {
            let start = usize::try_from(section.sh_offset).ok()?;
            let end = start.checked_add(usize::try_from(section.sh_size).ok()?)?;
            bytes.get(start..end.min(bytes.len()))
        })
        .collect()
}
