//! Reading one candidate file: sniff its magic, then map it (guarded
//! against truncation) or read it within the caps and the memory budget.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::elf::ELF_MAGIC;

use super::budget;
#[cfg(target_os = "linux")]
use super::mapped;

/// Largest file mapped; a bigger one is reported, not read. Mapping costs no
/// memory of the scan's own (the parser touches the pages it needs), but no
/// ELF file anyone ships comes near this.
pub const MAX_MAPPED_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// Largest file read into memory (when it is small, or cannot be mapped).
pub const MAX_READ_BYTES: u64 = 512 * 1024 * 1024;
/// Files from this size are mapped rather than read.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
const MAP_THRESHOLD: u64 = 64 * 1024;

/// One version of a file: a file replaced, or rewritten in place even to
/// the same length, has another (its inode, or its modification and change
/// times, differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    device: u64,
    inode: u64,
    len: u64,
    modified: (i64, i64),
    changed: (i64, i64),
}

impl FileStamp {
    /// The file's size in bytes.
    pub fn size(&self) -> u64 {
        self.len
    }

    #[cfg(unix)]
    pub fn of(metadata: &std::fs::Metadata) -> FileStamp {
        use std::os::unix::fs::MetadataExt;
        FileStamp {
            device: metadata.dev(),
            inode: metadata.ino(),
            len: metadata.len(),
            modified: (metadata.mtime(), metadata.mtime_nsec()),
            changed: (metadata.ctime(), metadata.ctime_nsec()),
        }
    }

    #[cfg(not(unix))]
    pub fn of(metadata: &std::fs::Metadata) -> FileStamp {
        let since_epoch = |time: std::io::Result<std::time::SystemTime>| {
            time.ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or((0, 0), |d| {
                    (d.as_secs() as i64, i64::from(d.subsec_nanos()))
                })
        };
        FileStamp {
            device: 0,
            inode: 0,
            len: metadata.len(),
            modified: since_epoch(metadata.modified()),
            changed: since_epoch(metadata.created()),
        }
    }
}

/// File contents: mapped when large, read when small.
pub enum Contents {
    #[cfg(target_os = "linux")]
    Mapped(mapped::GuardedMap),
    Read(budget::Buffer<'static>),
}

impl Contents {
    /// Whether the file changed under the reader (a mapped page was lost to
    /// truncation or an I/O error): what was read is not the file.
    pub fn changed(&self) -> bool {
        match self {
            #[cfg(target_os = "linux")]
            Contents::Mapped(map) => map.changed(),
            Contents::Read(_) => false,
        }
    }
}

impl std::ops::Deref for Contents {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            #[cfg(target_os = "linux")]
            Contents::Mapped(map) => map,
            Contents::Read(bytes) => bytes,
        }
    }
}

/// What a file opened for ELF turned out to hold.
pub enum Sniffed {
    /// An ELF file: its contents, and its stamp as it was opened.
    Elf(Contents, FileStamp),
    /// Not an ELF file; `head_len`: how many of the first [`HEAD_BYTES`] it
    /// has (a loader tells a file shorter than a header from any other).
    NotElf { head_len: usize },
}

/// The bytes read to tell an ELF file: an ELF64 header's.
pub const HEAD_BYTES: usize = 64;

/// Opens a file once: [`Sniffed::NotElf`] when its first bytes are not ELF's
/// magic, else its contents and its stamp as it was opened: mapped when large
/// (guarded against truncation), read when small or when it cannot be mapped.
/// Never allocates what the file claims before reading it: files over the
/// caps are errors (the reason), and what is read holds bytes of the shared
/// memory budget.
pub fn read_if_elf(path: &Path) -> std::io::Result<Sniffed> {
    use std::io::{Seek, SeekFrom};
    let mut file = File::open(path)?;
    let mut head = [0u8; HEAD_BYTES];
    let mut filled = 0;
    while let Some(rest) = head.get_mut(filled..).filter(|r| !r.is_empty()) {
        match file.read(rest)? {
            0 => break,
            n => filled += n,
        }
    }
    if head.get(..ELF_MAGIC.len()) != Some(&ELF_MAGIC[..]) {
        return Ok(Sniffed::NotElf { head_len: filled });
    }
    let stamp = FileStamp::of(&file.metadata()?);
    let len = stamp.len;
    if len > MAX_MAPPED_BYTES {
        return Err(over_cap(len, MAX_MAPPED_BYTES, ""));
    }
    #[cfg(target_os = "linux")]
    if len >= MAP_THRESHOLD {
        // A file that cannot be mapped (address space, file system) is read.
        let mapped = usize::try_from(len).map(|len| mapped::GuardedMap::map(&file, len));
        if let Ok(Ok(Some(map))) = mapped {
            return Ok(Sniffed::Elf(Contents::Mapped(map), stamp));
        }
    }
    if len > MAX_READ_BYTES {
        return Err(over_cap(
            len,
            MAX_READ_BYTES,
            " read into memory (it could not be mapped)",
        ));
    }
    let mut buffer = budget::shared()
        .buffer(len.max(ELF_MAGIC.len() as u64))
        .map_err(std::io::Error::other)?;
    file.seek(SeekFrom::Start(0))?;
    // A file that shrank since is read short, which the parser judges.
    if buffer.fill_from(&mut file)? {
        return Err(std::io::Error::other(format!(
            "grew past its {len} bytes while it was read"
        )));
    }
    Ok(Sniffed::Elf(Contents::Read(buffer), stamp))
}

fn over_cap(len: u64, cap: u64, how: &str) -> std::io::Error {
    std::io::Error::other(format!(
        "{len} bytes, larger than the {} MiB cap for a file{how}",
        cap / (1024 * 1024)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_truncated_while_mapped_reads_as_changed_not_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shrinks.so");
        let mut bytes = vec![7u8; 1 << 20];
        bytes[..4].copy_from_slice(&ELF_MAGIC);
        std::fs::write(&path, &bytes).unwrap();
        let Sniffed::Elf(contents, _) = read_if_elf(&path).unwrap() else {
            panic!("an ELF file")
        };
        assert!(matches!(contents, Contents::Mapped(_)), "1 MiB is mapped");
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(4096)
            .unwrap();
        // Past the new end: a SIGBUS without the guard.
        let past_end = std::hint::black_box(&contents[512 * 1024..512 * 1024 + 8]).to_vec();
        assert_eq!(past_end, [0; 8], "the lost page reads as zeros");
        assert_eq!(contents[100], 7, "pages still in the file are intact");
        assert!(contents.changed(), "and the reader is told");
    }
}
