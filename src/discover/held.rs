//! An archive member's bytes, held whole while it is analysed: in memory
//! under the shared budget ([`super::budget`]), or, when large, in an
//! unlinked temporary file mapped read-only.
//!
//! A member held in memory is resident whole, though the ELF parser reads a
//! few percent of it (headers, symbol and string tables, relocations): the
//! 495 MiB `libtorch_cuda.so` of PyPI's torch 2.15.0 wheel, or a hostile
//! 511 MiB member, made the process over 512 MiB. Written to a file with
//! write(2), its pages are the page cache's, which the kernel writes back
//! and reclaims under pressure; mapped read-only, only the pages the parser
//! touches are the process's (all of a static program's loaded segments,
//! searched for the paths it opens: a file's clean pages, not memory of
//! its own). Where no temporary file can be made (a read-only root) the
//! member is held in memory as before; a spill that fills the disk is
//! finished in memory. A temporary directory on tmpfs (`/tmp` on Fedora
//! and Arch) holds its files in memory: spills there count against the
//! memory budget, not the disk's.

use std::borrow::Cow;
use std::io::{Read, Seek, Write};

use super::budget::{self, Budget, Buffer, Lease};

/// Members from this size go to a temporary file.
pub const SPILL_FROM: u64 = 64 * 1024 * 1024;
/// The temporary files' bytes at once, all readers together: disk, not
/// memory, but not unbounded (64 threads each with a 512 MiB member).
const SPILL_BUDGET_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// Why a member could not be held.
#[derive(Debug)]
pub enum HoldError {
    /// It has more bytes than it declared (one more was read to tell).
    PastDeclared,
    /// The budget, or reading, refused it: the reason.
    Refused(String),
}

/// A member's bytes.
pub enum Held {
    Memory(Buffer<'static>),
    Spilled(Spilled),
}

/// A member in an unlinked temporary file (gone when the mapping and the
/// file are dropped), mapped read-only.
pub struct Spilled {
    map: Option<memmap2::Mmap>,
    // Dropped after the map (fields drop in declaration order).
    _lease: Lease<'static>,
}

impl std::ops::Deref for Held {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Held::Memory(buffer) => buffer,
            Held::Spilled(spilled) => spilled.map.as_deref().unwrap_or_default(),
        }
    }
}

/// A member declaring `declared` bytes, `head` of them read already: what
/// the reader holds up to that size, or an error when it has more.
pub fn hold(declared: u64, head: &[u8], reader: &mut impl Read) -> Result<Held, HoldError> {
    hold_in(&std::env::temp_dir(), declared, head, reader)
}

/// [`hold`], spilling into `temporary_dir`.
pub fn hold_in(
    temporary_dir: &std::path::Path,
    declared: u64,
    head: &[u8],
    reader: &mut impl Read,
) -> Result<Held, HoldError> {
    let size = declared.max(head.len() as u64).max(1);
    // What a spill that could not finish had read: its file's first bytes,
    // then bytes read but not written.
    let mut spilled_part = None;
    let mut pending = Cow::Borrowed(head);
    if size >= SPILL_FROM {
        match spill(temporary_dir, size, head, reader) {
            Ok(spilled) => return Ok(Held::Spilled(spilled)),
            Err(Unspilled::Failed(err)) => return Err(err),
            Err(Unspilled::NothingRead) => {}
            Err(Unspilled::WriteFailed {
                file,
                written,
                unwritten,
            }) => {
                spilled_part = Some((file, written));
                pending = Cow::Owned(unwritten);
            }
        }
    }
    let mut bytes = budget::shared().buffer(size).map_err(HoldError::Refused)?;
    if let Some((file, written)) = &mut spilled_part {
        let refused = |err: std::io::Error| HoldError::Refused(err.to_string());
        file.seek(std::io::SeekFrom::Start(0)).map_err(refused)?;
        bytes.fill_from(&mut file.take(*written)).map_err(refused)?;
    }
    bytes.extend(&pending);
    match bytes.fill_from(reader) {
        Ok(false) => Ok(Held::Memory(bytes)),
        Ok(true) => Err(HoldError::PastDeclared),
        Err(err) => Err(HoldError::Refused(err.to_string())),
    }
}

/// The budget a spill into `file` counts against: the disk budget every
/// spill shares, or the memory budget when the file's bytes are memory.
fn spill_budget(file: &std::fs::File) -> &'static Budget {
    static SPILLED: std::sync::OnceLock<Budget> = std::sync::OnceLock::new();
    if held_in_memory(file) {
        return budget::shared();
    }
    SPILLED.get_or_init(|| Budget::new(SPILL_BUDGET_BYTES))
}

/// Whether `file` lies on a file system kept in memory (tmpfs, ramfs),
/// whose pages the kernel cannot write back: memory, counted against the
/// process's cgroup like its own.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn held_in_memory(file: &std::fs::File) -> bool {
    use std::os::fd::AsRawFd;
    const TMPFS_MAGIC: u64 = 0x0102_1994;
    const RAMFS_MAGIC: u64 = 0x8584_58f6;
    // SAFETY: an all-zero statfs is a valid value for fstatfs to fill.
    let mut stats: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: a descriptor this process holds open, and a statfs to write.
    if unsafe { libc::fstatfs(file.as_raw_fd(), &mut stats) } != 0 {
        return false;
    }
    // `f_type`'s width differs between C libraries; the magic numbers are 32-bit.
    let kind = (stats.f_type as u64) & 0xffff_ffff;
    kind == TMPFS_MAGIC || kind == RAMFS_MAGIC
}

#[cfg(not(target_os = "linux"))]
fn held_in_memory(_: &std::fs::File) -> bool {
    false
}

/// Why a member is not in a temporary file.
enum Unspilled {
    /// No temporary file (or no room for one): the reader is untouched.
    NothingRead,
    /// Writing failed (a full disk): `file` holds the member's first
    /// `written` bytes, `unwritten` were read after them, and the rest is
    /// still in the reader.
    WriteFailed {
        file: std::fs::File,
        written: u64,
        unwritten: Vec<u8>,
    },
    /// The member itself cannot be held (too long, unreadable).
    Failed(HoldError),
}

/// What is copied from the reader to the file at a time.
const CHUNK: usize = 256 * 1024;

/// Copies the member into a new unlinked file in `dir` with write(2) and
/// maps it read-only; at most `size` bytes.
#[allow(unsafe_code)]
fn spill(
    dir: &std::path::Path,
    size: u64,
    head: &[u8],
    reader: &mut impl Read,
) -> Result<Spilled, Unspilled> {
    let refused = |err: std::io::Error| Unspilled::Failed(HoldError::Refused(err.to_string()));
    let mut file = tempfile::tempfile_in(dir).map_err(|_| Unspilled::NothingRead)?;
    let lease = spill_budget(&file)
        .lease(size)
        .map_err(|_| Unspilled::NothingRead)?;
    let mut written = 0u64;
    let mut chunk = vec![0u8; CHUNK];
    let mut part = head;
    loop {
        if file.write_all(part).is_err() {
            let unwritten = part.to_vec();
            return Err(Unspilled::WriteFailed {
                file,
                written,
                unwritten,
            });
        }
        written += part.len() as u64;
        let want =
            usize::try_from(size.saturating_sub(written)).map_or(CHUNK, |left| left.min(CHUNK));
        if want == 0 {
            break;
        }
        let read = match reader.read(chunk.get_mut(..want).unwrap_or_default()) {
            Ok(0) => break,
            Ok(read) => read,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => 0,
            Err(err) => return Err(refused(err)),
        };
        part = chunk.get(..read).unwrap_or_default();
    }
    if budget::has_more(reader).map_err(refused)? {
        return Err(Unspilled::Failed(HoldError::PastDeclared));
    }
    // An empty map cannot be made; an empty member needs none.
    let map = match written {
        0 => None,
        // SAFETY: a read-only map of a file this process made and unlinked:
        // no other process can reach it to change or truncate it.
        _ => Some(unsafe { memmap2::Mmap::map(&file) }.map_err(refused)?),
    };
    Ok(Spilled { map, _lease: lease })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `len` bytes of a pattern that deflate-like readers cannot shorten.
    fn member(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 4096) as u8).collect()
    }

    #[test]
    fn a_large_member_is_spilled_and_reads_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = member(SPILL_FROM as usize + 5);
        let held = hold_in(
            dir.path(),
            bytes.len() as u64,
            &bytes[..4],
            &mut &bytes[4..],
        )
        .unwrap();
        assert!(matches!(held, Held::Spilled(_)));
        assert!(*held == bytes[..], "the same bytes");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "the file is unlinked"
        );
    }

    #[test]
    fn a_small_member_is_held_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = member(1000);
        let held = hold_in(dir.path(), 1000, &[], &mut &bytes[..]).unwrap();
        assert!(matches!(held, Held::Memory(_)));
        assert!(*held == bytes[..]);
    }

    #[test]
    fn a_spilled_member_longer_than_declared_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = member(SPILL_FROM as usize + 1);
        let held = hold_in(dir.path(), SPILL_FROM, &[], &mut &bytes[..]);
        assert!(matches!(held, Err(HoldError::PastDeclared)));
        let shorter = hold_in(dir.path(), SPILL_FROM + 10, &[], &mut &bytes[..]).unwrap();
        assert_eq!(shorter.len(), bytes.len(), "a shorter one is what it holds");
    }

    /// A new directory with a 1 MiB tmpfs mounted on it; `None` (the test
    /// says it skips) where mounting needs the root this is not.
    fn small_tmpfs() -> Option<tempfile::TempDir> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|status| status.success());
        if !mounted {
            eprintln!("skipped: mounting a small tmpfs needs root (CI is root)");
        }
        mounted.then_some(dir)
    }

    #[test]
    fn a_member_that_fills_the_temporary_disk_is_read_whole_in_memory() {
        // A 1 MiB tmpfs fills a megabyte into the member: the bytes written,
        // the ones read but not written and the rest all end up in memory.
        let Some(dir) = small_tmpfs() else { return };
        let bytes = member(SPILL_FROM as usize + 3);
        let held = hold_in(
            dir.path(),
            bytes.len() as u64,
            &bytes[..4],
            &mut &bytes[4..],
        );
        let unmounted = std::process::Command::new("umount")
            .arg(dir.path())
            .status();
        let held = held.unwrap();
        assert!(matches!(held, Held::Memory(_)));
        assert!(*held == bytes[..], "every byte, in order");
        assert!(unmounted.is_ok_and(|status| status.success()));
    }

    /// What `stat -f` (coreutils) names the file system `dir` is on.
    fn file_system_type(dir: &std::path::Path) -> String {
        let output = std::process::Command::new("stat")
            .args(["-f", "-c", "%T"])
            .arg(dir)
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap().trim().to_string()
    }

    #[test]
    fn spills_into_tmpfs_count_against_the_memory_budget() {
        let on_disk_or_not = tempfile::tempdir().unwrap();
        let in_memory = file_system_type(on_disk_or_not.path()) == "tmpfs";
        let file = tempfile::tempfile_in(on_disk_or_not.path()).unwrap();
        assert_eq!(held_in_memory(&file), in_memory);
        assert_eq!(
            std::ptr::eq(spill_budget(&file), budget::shared()),
            in_memory
        );
        // A tmpfs mounted for the test, whatever the temporary directory is.
        let Some(dir) = small_tmpfs() else { return };
        let file = tempfile::tempfile_in(dir.path()).unwrap();
        let (memory, budget) = (held_in_memory(&file), spill_budget(&file));
        drop(file);
        let unmounted = std::process::Command::new("umount")
            .arg(dir.path())
            .status();
        assert!(memory);
        assert!(std::ptr::eq(budget, budget::shared()));
        assert!(unmounted.is_ok_and(|status| status.success()));
    }

    #[test]
    fn without_a_temporary_directory_a_large_member_is_held_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("not-there");
        let bytes = member(SPILL_FROM as usize);
        let held = hold_in(&gone, bytes.len() as u64, &[], &mut &bytes[..]).unwrap();
        assert!(matches!(held, Held::Memory(_)));
        assert!(*held == bytes[..]);
    }
}
