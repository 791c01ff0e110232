//! Files mapped read-only into memory, guarded against SIGBUS.
//!
//! Mapping lets the ELF parser touch only the pages it needs (headers, symbol
//! and string tables), with no copy and no memory the scan must hold: reading
//! whole files instead made the fetched node_modules trees 5× slower and their
//! peak RSS 9× larger. But a mapped file that another process truncates
//! faults with SIGBUS on the pages past its new end, and SIGBUS kills the
//! process. So every mapping is registered while it lives, and a SIGBUS
//! handler, for a fault inside a registered mapping, maps a page of zeros
//! over the faulting page and returns: the access is retried, reads zeros, and
//! the mapping is marked [`changed`](GuardedMap::changed) so that the reader
//! reports the file instead of judging what it read. A fault anywhere else
//! goes to the handler that was there before (Rust's stack-overflow handler)
//! or to the default action, as if this handler did not exist.
//!
//! A mapping read to the end is not unmapped at once but retired, and the
//! retired ones are unmapped together by [`release_retired`] once the
//! readers are done: each munmap(2) while the walker runs on another core
//! interrupts it to flush its TLB (about 1.8 ms of the venv benchmark's 26
//! ms of CPU). What retired mappings cost is the pages read from them,
//! resident (and counted in the process's RSS) until they are unmapped; a
//! parser reads a few percent of a large library (the venv benchmark's
//! 115 MiB of mapped libraries, all kept, added 5 MiB to its peak RSS). So
//! the process's resident file pages are looked at as mappings are
//! retired, and past a limit the retired ones are unmapped there and then:
//! a tree of large libraries, or of files read whole, unmaps as it goes. A
//! process that ends after its scan (the command line) can
//! [`leave_retired_to_exit`]: exit tears the whole address space down at
//! once, interrupting no other core.
//!
//! The handler only reads atomics and calls mmap(2); it allocates nothing,
//! takes no lock and never unwinds. Mappings are recorded in a fixed table of
//! slots; when every slot is taken (or the handler cannot be installed) the
//! caller reads the file instead of mapping it.
#![allow(unsafe_code)]

use std::fs::File;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

/// More than there are reader threads.
const SLOTS: usize = 256;

/// One live mapping: where it is, and whether a page of it was lost.
struct Slot {
    claimed: AtomicBool,
    start: AtomicUsize,
    /// Written last when registering, cleared first when unregistering: the
    /// handler reads it first, so a non-zero length comes with its start.
    len: AtomicUsize,
    faulted: AtomicBool,
}

impl Slot {
    const fn free() -> Slot {
        Slot {
            claimed: AtomicBool::new(false),
            start: AtomicUsize::new(0),
            len: AtomicUsize::new(0),
            faulted: AtomicBool::new(false),
        }
    }
}

static TABLE: [Slot; SLOTS] = [const { Slot::free() }; SLOTS];

/// The system's page size, read once before the handler is installed.
static PAGE_SIZE: AtomicUsize = AtomicUsize::new(0);

/// The SIGBUS action found when installing ours, for faults that are not ours.
static PREVIOUS: OnceLock<libc::sigaction> = OnceLock::new();

/// A read-only private mapping of a whole file, registered with the handler.
pub struct GuardedMap {
    slot: &'static Slot,
    /// Always `Some` until dropped (then retired).
    map: Option<memmap2::Mmap>,
}

impl GuardedMap {
    /// Maps `file` (not empty), `len` bytes long. `Ok(None)` when it cannot
    /// be guarded (no handler, no free slot): the caller reads it instead.
    pub fn map(file: &File, len: usize) -> std::io::Result<Option<GuardedMap>> {
        if !handler_installed() {
            return Ok(None);
        }
        let Some(slot) = claim_slot() else {
            return Ok(None);
        };
        // SAFETY: a read-only private mapping. Another process may change the
        // file while it is mapped: changed bytes are bytes like any other to
        // the parser, which trusts none of them; pages lost to truncation are
        // replaced with zeros by the SIGBUS handler and the map is marked
        // changed. Registered below before any access.
        // The length given: memmap2 would `stat` the file again for it.
        let map = match unsafe { memmap2::MmapOptions::new().len(len).map(file) } {
            Ok(map) => map,
            Err(err) => {
                slot.claimed.store(false, Ordering::Release);
                return Err(err);
            }
        };
        slot.faulted.store(false, Ordering::Release);
        slot.start.store(map.as_ptr() as usize, Ordering::Release);
        slot.len.store(map.len(), Ordering::Release);
        Ok(Some(GuardedMap {
            slot,
            map: Some(map),
        }))
    }

    /// Whether a page was lost while mapped (the file shrank, or could not be
    /// read): what was read is not the file.
    pub fn changed(&self) -> bool {
        self.slot.faulted.load(Ordering::Acquire)
    }
}

impl std::ops::Deref for GuardedMap {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.map.as_deref().unwrap_or_default()
    }
}

impl Drop for GuardedMap {
    fn drop(&mut self) {
        // Unregistered before the map is unmapped: no page of a retired map
        // is read again, so none can fault.
        self.slot.len.store(0, Ordering::Release);
        self.slot.start.store(0, Ordering::Release);
        self.slot.claimed.store(false, Ordering::Release);
        if let Some(map) = self.map.take() {
            retire(map);
        }
    }
}

/// Retired mappings are kept while the process's resident file pages (its
/// own code's among them) stay below this.
const RESIDENT_FILE_LIMIT: u64 = 32 * 1024 * 1024;
/// The resident pages are looked at each time this many more bytes of
/// mappings are retired: at most this much more can have been read from
/// them since the last look, so at most the limit and this stay resident.
const LOOK_EVERY: usize = 32 * 1024 * 1024;

struct Retired {
    maps: Vec<memmap2::Mmap>,
    /// The retired mappings' length in all.
    bytes: usize,
    /// At what `bytes` the resident pages are looked at next.
    next_look: usize,
}

impl Retired {
    const fn new() -> Retired {
        Retired {
            maps: Vec::new(),
            bytes: 0,
            next_look: LOOK_EVERY,
        }
    }

    /// Keeps `map`; when it is time to look and `resident_file_bytes` says
    /// the limit is reached (or cannot say), hands every retired mapping
    /// back to be unmapped.
    fn add(
        &mut self,
        map: memmap2::Mmap,
        resident_file_bytes: impl FnOnce() -> Option<u64>,
    ) -> Vec<memmap2::Mmap> {
        self.bytes = self.bytes.saturating_add(map.len());
        self.maps.push(map);
        if self.bytes < self.next_look {
            return Vec::new();
        }
        match resident_file_bytes() {
            Some(resident) if resident < RESIDENT_FILE_LIMIT => {
                self.next_look = self.bytes.saturating_add(LOOK_EVERY);
                Vec::new()
            }
            _ => self.take(),
        }
    }

    fn take(&mut self) -> Vec<memmap2::Mmap> {
        self.bytes = 0;
        self.next_look = LOOK_EVERY;
        std::mem::take(&mut self.maps)
    }
}

static RETIRED: Mutex<Retired> = Mutex::new(Retired::new());

fn retired() -> std::sync::MutexGuard<'static, Retired> {
    // A list and its sum, consistent after every update.
    RETIRED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Keeps `map` for [`release_retired`], or unmaps the retired ones now
/// when the process's resident file pages reach [`RESIDENT_FILE_LIMIT`].
fn retire(map: memmap2::Mmap) {
    let unmap_now = retired().add(map, resident_file_bytes);
    drop(unmap_now);
}

/// The process's resident file-backed (and shared) pages, in bytes: the
/// third field of `/proc/self/statm`, in pages.
fn resident_file_bytes() -> Option<u64> {
    let statm =
        super::files::read_text_file(std::path::Path::new("/proc/self/statm"), 4096).ok()?;
    let pages: u64 = statm.split_whitespace().nth(2)?.parse().ok()?;
    let page = u64::try_from(PAGE_SIZE.load(Ordering::Acquire)).ok()?;
    pages.checked_mul(page)
}

/// Set once the process has said it ends after its scan.
static LEFT_TO_EXIT: AtomicBool = AtomicBool::new(false);

/// From now on [`release_retired`] leaves the retired mappings to the
/// process's exit (as many as [`RESIDENT_FILE_LIMIT`] lets stay).
pub fn leave_retired_to_exit() {
    LEFT_TO_EXIT.store(true, Ordering::Relaxed);
}

/// Unmaps every retired mapping: call when the readers are done (or
/// idle), so that no other core is interrupted.
pub fn release_retired() {
    if LEFT_TO_EXIT.load(Ordering::Relaxed) {
        return;
    }
    let maps = retired().take();
    drop(maps);
}

fn claim_slot() -> Option<&'static Slot> {
    TABLE.iter().find(|slot| {
        slot.claimed
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    })
}

fn handler_installed() -> bool {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    *INSTALLED.get_or_init(install)
}

fn install() -> bool {
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    let Some(page) = usize::try_from(page).ok().filter(|p| p.is_power_of_two()) else {
        return false;
    };
    PAGE_SIZE.store(page, Ordering::Release);
    // SAFETY: sigaction is plain data; all-zero is a valid (empty) value.
    let mut previous: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: reads the current action into a valid sigaction.
    if unsafe { libc::sigaction(libc::SIGBUS, std::ptr::null(), &mut previous) } != 0 {
        return false;
    }
    if PREVIOUS.set(previous).is_err() {
        return false;
    }
    // SAFETY: as above.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = on_sigbus as *const () as libc::sighandler_t;
    action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
    // SAFETY: sa_mask is a valid sigset_t to empty.
    unsafe { libc::sigemptyset(&mut action.sa_mask) };
    // SAFETY: installs a handler that is async-signal-safe (see the module).
    unsafe { libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut()) == 0 }
}

extern "C" fn on_sigbus(
    signal: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    // SAFETY: with SA_SIGINFO the kernel passes a valid siginfo_t; for SIGBUS
    // its address field is the faulting address.
    let address = unsafe { (*info).si_addr() } as usize;
    let page = PAGE_SIZE.load(Ordering::Acquire);
    for slot in &TABLE {
        let len = slot.len.load(Ordering::Acquire);
        if len == 0 {
            continue;
        }
        let start = slot.start.load(Ordering::Acquire);
        if address < start || address - start >= len || page == 0 {
            continue;
        }
        let at = address & !(page - 1);
        // SAFETY: replaces one page of a live read-only mapping of ours (its
        // owner unregisters it before unmapping) with a private page of zeros.
        let zeros = unsafe {
            libc::mmap(
                at as *mut libc::c_void,
                page,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if zeros != libc::MAP_FAILED {
            slot.faulted.store(true, Ordering::Release);
            // The faulting access is retried and reads zeros.
            return;
        }
    }
    forward(signal, info, context);
}

/// A SIGBUS that is not ours: to the previous handler, or to the default
/// action (restored, so that the retried access kills the process as it
/// would have without this handler).
fn forward(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    if let Some(previous) = PREVIOUS.get() {
        let handler = previous.sa_sigaction;
        if handler != libc::SIG_DFL && handler != libc::SIG_IGN {
            if previous.sa_flags & libc::SA_SIGINFO != 0 {
                // SAFETY: an SA_SIGINFO handler has this signature.
                let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    unsafe { std::mem::transmute(handler) };
                handler(signal, info, context);
            } else {
                // SAFETY: a plain handler has this signature.
                let handler: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(handler) };
                handler(signal);
            }
            return;
        }
    }
    // SAFETY: as in `install`; restoring the default action is async-signal-safe.
    unsafe {
        let mut default: libc::sigaction = std::mem::zeroed();
        default.sa_sigaction = libc::SIG_DFL;
        libc::sigaction(libc::SIGBUS, &default, std::ptr::null_mut());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// A mapping `len` bytes long of a sparse file: no page of it is read.
    fn sparse_map(dir: &std::path::Path, name: &str, len: u64) -> memmap2::Mmap {
        let path = dir.join(name);
        let file = File::create(&path).unwrap();
        file.set_len(len).unwrap();
        // SAFETY: a read-only map of a file only this test writes.
        unsafe { memmap2::Mmap::map(&File::open(&path).unwrap()).unwrap() }
    }

    #[test]
    fn retired_maps_are_kept_while_the_resident_pages_stay_under_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let step = LOOK_EVERY as u64;
        let mut retired = Retired::new();
        let looked = Cell::new(0);
        let looks = &looked;
        let look = |resident: Option<u64>| {
            move || {
                looks.set(looks.get() + 1);
                resident
            }
        };
        // Under the first look's length: not looked at, kept.
        let small = sparse_map(dir.path(), "small", 4096);
        assert!(retired.add(small, look(None)).is_empty());
        assert_eq!(looks.get(), 0);
        // Past it: looked at once; few pages resident, so kept.
        let large = sparse_map(dir.path(), "large", step);
        assert!(retired.add(large, look(Some(1 << 20))).is_empty());
        assert_eq!((looks.get(), retired.maps.len()), (1, 2));
        // Not looked at again until as many bytes more are retired.
        let more = sparse_map(dir.path(), "more", step - 8192);
        assert!(retired.add(more, look(None)).is_empty());
        assert_eq!(looks.get(), 1);
        // At the limit, every retired map is handed back to be unmapped.
        let last = sparse_map(dir.path(), "last", 8192);
        let released = retired.add(last, look(Some(RESIDENT_FILE_LIMIT)));
        assert_eq!((looks.get(), released.len()), (2, 4));
        assert_eq!((retired.maps.len(), retired.bytes), (0, 0));
        // A look that cannot read the resident pages releases too.
        let again = sparse_map(dir.path(), "again", step);
        assert_eq!(retired.add(again, look(None)).len(), 1);
    }

    #[test]
    fn resident_file_bytes_count_the_pages_read_from_a_mapping() {
        assert!(handler_installed(), "the page size is read on installing");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("read-whole");
        let len = 16 << 20;
        std::fs::write(&path, vec![1u8; len]).unwrap();
        let file = File::open(&path).unwrap();
        let before = resident_file_bytes().unwrap();
        let map = GuardedMap::map(&file, len).unwrap().unwrap();
        let sum: u64 = map.iter().step_by(4096).map(|&b| u64::from(b)).sum();
        assert_eq!(sum, len as u64 / 4096);
        let after = resident_file_bytes().unwrap();
        assert!(
            after >= before + (len as u64) / 2,
            "{before} bytes resident before reading 16 MiB, {after} after"
        );
    }
}
