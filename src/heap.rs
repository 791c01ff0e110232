//! How the command line's heap grows (glibc on Linux): in large steps, and
//! in transparent huge pages where the system gives them only to memory
//! that asks (`/sys/kernel/mm/transparent_hugepage/enabled` is `madvise`,
//! Ubuntu's default).
//!
//! Each first touch of a page is a page fault: 1,850 of them on the venv
//! benchmark, 17% of its CPU samples (`perf`), two thirds of them on
//! anonymous memory, the threads' heaps. glibc asks for huge pages only
//! when told by `GLIBC_TUNABLES`, read before `main`; so each pool thread
//! advises its own heap when it starts (530 faults left, 2-3 ms less CPU).

/// Builds rayon's global pool, each thread advising its heap (first, before
/// anything else uses the pool), and makes the heaps grow in large steps.
pub fn configure() {
    grow_heaps_in_large_steps();
    let huge_pages_on_advice = huge_pages_on_advice();
    // Fails only when the pool already exists: then it runs as it is.
    let _ = rayon::ThreadPoolBuilder::new()
        .start_handler(move |_| {
            if huge_pages_on_advice {
                advise_huge_pages_for_this_thread();
            }
        })
        .build_global();
}

/// glibc grows a thread's heap a few pages at a time, one mprotect(2) each:
/// 400 calls on the venv benchmark, 20 with 8 MiB of headroom per step
/// (its CPU 3-6 ms less in interleaved runs). Headroom never touched is not
/// memory used: peak RSS is unchanged.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn grow_heaps_in_large_steps() {
    // SAFETY: sets one malloc parameter; called first, before any thread starts.
    unsafe {
        libc::mallopt(libc::M_TOP_PAD, 8 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn grow_heaps_in_large_steps() {}

/// Whether the kernel gives huge pages to memory advised to take them and
/// only to it (with `always` every heap has them already; with `never`, or
/// no such file, none can).
fn huge_pages_on_advice() -> bool {
    cfg!(all(target_os = "linux", target_env = "gnu"))
        && muslcheck::discover::read_text_file(
            std::path::Path::new("/sys/kernel/mm/transparent_hugepage/enabled"),
            4096,
        )
        .is_ok_and(|modes| modes.contains("[madvise]"))
}

/// glibc gives each thread an arena: a heap reserved as 64 MiB aligned to
/// 64 MiB (`HEAP_MAX_SIZE` on 64-bit; its `heap_for_ptr` rests on that),
/// made readable as it grows.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const THREAD_HEAP_SPAN: usize = 64 << 20;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const HUGE_PAGE: usize = 2 << 20;
/// Below glibc's default threshold for serving a block with its own mmap.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const SKIP_BLOCK: usize = 120 << 10;

/// Advises this thread's new heap to take huge pages, then takes the rest
/// of its first 2 MiB, which already has small pages (the arena's header
/// was written before any advice could be given): the thread's later
/// blocks come from ranges a huge page can fill. The skipped blocks are
/// address space, not memory: never touched but for their headers.
/// Whether it did (not when this thread's heap is not a new thread heap).
/// The advice holds for the part of the heap readable when it is given
/// (its first 8 MiB step, `grow_heaps_in_large_steps`): this kernel does
/// not keep it on the reserved rest, which glibc makes readable later.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn advise_huge_pages_for_this_thread() -> bool {
    let first_block: Vec<u8> = std::hint::black_box(Vec::with_capacity(64));
    let heap = new_thread_heap_of(first_block.as_ptr() as usize);
    drop(first_block);
    let Some(heap) = heap.filter(|&heap| advise_huge_pages(heap, THREAD_HEAP_SPAN)) else {
        return false;
    };
    for _ in 0..HUGE_PAGE / SKIP_BLOCK + 2 {
        let skipped: Vec<u8> = std::hint::black_box(Vec::with_capacity(SKIP_BLOCK));
        let end = (skipped.as_ptr() as usize).saturating_add(SKIP_BLOCK);
        // Kept for the life of the process, as the pool's threads are.
        std::mem::forget(skipped);
        if end.saturating_sub(heap) >= HUGE_PAGE {
            break;
        }
    }
    true
}

/// The thread heap a block near its start lies in; none for a block further
/// in (the main arena's, or a heap already in use).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn new_thread_heap_of(block: usize) -> Option<usize> {
    let heap = block & !(THREAD_HEAP_SPAN - 1);
    (block - heap <= HUGE_PAGE / 2).then_some(heap)
}

/// Asks for huge pages over `len` bytes at `start`; false when the range
/// is not wholly mapped (then not a thread heap).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn advise_huge_pages(start: usize, len: usize) -> bool {
    // SAFETY: advice about a range changes no memory's contents.
    unsafe { libc::madvise(start as *mut libc::c_void, len, libc::MADV_HUGEPAGE) == 0 }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn advise_huge_pages_for_this_thread() -> bool {
    false
}

// Linux and glibc only, as what they test.
#[cfg(test)]
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// The `VmFlags` of the mapping holding `address` (/proc/self/smaps).
    fn vm_flags_of(address: usize) -> String {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut inside = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ')
                && let Some((start, end)) = range.split_once('-')
                && let (Ok(start), Ok(end)) = (
                    usize::from_str_radix(start, 16),
                    usize::from_str_radix(end, 16),
                )
            {
                inside = (start..end).contains(&address);
            } else if inside && let Some(flags) = line.strip_prefix("VmFlags:") {
                return flags.to_string();
            }
        }
        panic!("no mapping holds {address:#x}")
    }

    #[test]
    fn a_block_near_the_start_of_a_64_mib_span_names_that_span_as_its_heap() {
        assert_eq!(new_thread_heap_of(0x7f7f_3800_1ff0), Some(0x7f7f_3800_0000));
        assert_eq!(new_thread_heap_of(0x7f7f_3800_0000), Some(0x7f7f_3800_0000));
        // The main arena's blocks, or a block 51 MiB into a heap in use.
        assert_eq!(new_thread_heap_of(0x5588_3164_ed60), None);
    }

    #[test]
    #[allow(unsafe_code)]
    fn a_heap_laid_out_as_glibc_lays_one_out_takes_the_advice() {
        if !huge_pages_on_advice() {
            eprintln!("skipped: transparent huge pages are not given on advice here");
            return;
        }
        // glibc's new_heap: twice the span reserved, an aligned span kept,
        // its first 8 MiB made readable.
        let len = 2 * THREAD_HEAP_SPAN;
        // SAFETY: a fresh private mapping, unmapped below; no other memory.
        let reserved = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        assert_ne!(reserved, libc::MAP_FAILED);
        let heap = (reserved as usize + THREAD_HEAP_SPAN - 1) & !(THREAD_HEAP_SPAN - 1);
        // SAFETY: inside the mapping made above.
        let readable =
            unsafe { libc::mprotect(heap as *mut _, 8 << 20, libc::PROT_READ | libc::PROT_WRITE) };
        assert_eq!(readable, 0);
        assert_eq!(new_thread_heap_of(heap + 0x8a0), Some(heap));
        let advised = advise_huge_pages(heap, THREAD_HEAP_SPAN);
        let flags = vm_flags_of(heap + HUGE_PAGE);
        // SAFETY: the mapping made above, no longer used.
        unsafe { libc::munmap(reserved, len) };
        assert!(advised);
        assert!(
            flags.split_whitespace().any(|flag| flag == "hg"),
            "advised to take huge pages: {flags}"
        );
        // A range not wholly mapped is no thread heap: refused.
        assert!(!advise_huge_pages(heap, THREAD_HEAP_SPAN));
    }
}
