//! One budget for the file and member contents held in memory at once, by
//! all reader threads together: memory is bounded by the budget, not by the
//! number of cores. A reader leases the bytes it is about to hold and gives
//! them back when it drops them; a lease that does not fit waits its turn.
//!
//! The bytes live in a [`Buffer`]: from 1 MiB an anonymous mapping, which
//! goes back to the system when dropped (the allocator would keep a freed
//! block per thread arena, so that memory would again grow with the number of
//! threads), and is committed only as it is filled.
//!
//! Never deadlocks: leases are granted in the order they are asked for, each
//! is given back after a bounded amount of work, and a thread that already
//! holds a lease is never made to wait for another one (it gets the second
//! only if it fits at once). A single thread always makes progress: with
//! nothing leased, any request within the budget is granted.

use std::cell::Cell;
use std::io::Read;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};

/// The budget when `MUSLCHECK_MEMORY_BUDGET_MIB` does not say otherwise.
pub const DEFAULT_BUDGET_BYTES: u64 = 512 * 1024 * 1024;

/// The budget every reader shares.
pub fn shared() -> &'static Budget {
    static SHARED: OnceLock<Budget> = OnceLock::new();
    SHARED.get_or_init(|| {
        let mib = std::env::var("MUSLCHECK_MEMORY_BUDGET_MIB")
            .ok()
            .and_then(|value| value.trim().parse::<u64>().ok())
            .filter(|&mib| mib > 0);
        Budget::new(mib.map_or(DEFAULT_BUDGET_BYTES, |mib| mib.saturating_mul(1024 * 1024)))
    })
}

pub struct Budget {
    total: u64,
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    in_use: u64,
    /// The next request's turn, and the turn being served.
    next_turn: u64,
    serving: u64,
}

/// Bytes leased from a [`Budget`], given back on drop (on the thread that
/// leased them: not `Send`).
pub struct Lease<'b> {
    budget: &'b Budget,
    bytes: u64,
    _same_thread: std::marker::PhantomData<*const ()>,
}

thread_local! {
    /// Leases this thread holds.
    static HELD: Cell<u32> = const { Cell::new(0) };
}

impl Budget {
    pub fn new(total: u64) -> Budget {
        Budget {
            total,
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        }
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is three counters, consistent after every update.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Leases `bytes`, waiting until they fit. `Err` (the reason) when they
    /// can never fit, or when this thread holds a lease and they do not fit now.
    pub fn lease(&self, bytes: u64) -> Result<Lease<'_>, String> {
        if bytes > self.total {
            return Err(self.refusal(bytes));
        }
        let mut state = self.lock();
        if HELD.get() > 0 {
            if state.in_use.saturating_add(bytes) > self.total {
                return Err(self.refusal(bytes));
            }
            state.in_use += bytes;
            return Ok(self.granted(bytes));
        }
        let turn = state.next_turn;
        state.next_turn = state.next_turn.wrapping_add(1);
        while state.serving != turn || state.in_use.saturating_add(bytes) > self.total {
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.in_use += bytes;
        state.serving = state.serving.wrapping_add(1);
        drop(state);
        // The next turn may fit too.
        self.changed.notify_all();
        Ok(self.granted(bytes))
    }

    fn granted(&self, bytes: u64) -> Lease<'_> {
        HELD.set(HELD.get().saturating_add(1));
        Lease {
            budget: self,
            bytes,
            _same_thread: std::marker::PhantomData,
        }
    }

    /// An empty buffer for up to `capacity` bytes, leased from this budget.
    pub fn buffer(&self, capacity: u64) -> Result<Buffer<'_>, String> {
        let lease = self.lease(capacity)?;
        let size = usize::try_from(capacity).map_err(|_| self.refusal(capacity))?;
        let storage = if size >= MAP_FROM {
            memmap2::MmapMut::map_anon(size)
                .map(Storage::Mapped)
                .map_err(|err| format!("{capacity} bytes could not be mapped: {err}"))?
        } else {
            let mut bytes = Vec::new();
            bytes
                .try_reserve_exact(size)
                .map_err(|_| format!("{capacity} bytes could not be allocated"))?;
            Storage::Small(bytes)
        };
        Ok(Buffer {
            storage,
            len: 0,
            capacity: size,
            _lease: lease,
        })
    }

    fn refusal(&self, bytes: u64) -> String {
        format!(
            "{bytes} bytes do not fit the {} MiB memory budget (MUSLCHECK_MEMORY_BUDGET_MIB)",
            self.total / (1024 * 1024)
        )
    }
}

/// Buffers from this size are anonymous mappings.
const MAP_FROM: usize = 1024 * 1024;

/// Bytes held in memory under a lease, up to a fixed capacity.
pub struct Buffer<'b> {
    storage: Storage,
    len: usize,
    capacity: usize,
    // Dropped after the storage (fields drop in declaration order).
    _lease: Lease<'b>,
}

enum Storage {
    Small(Vec<u8>),
    Mapped(memmap2::MmapMut),
}

impl Buffer<'_> {
    /// Appends `bytes`, as far as the capacity allows.
    pub fn extend(&mut self, bytes: &[u8]) {
        let room = self.capacity.saturating_sub(self.len);
        let bytes = bytes.get(..room).unwrap_or(bytes);
        match &mut self.storage {
            Storage::Small(vec) => vec.extend_from_slice(bytes),
            Storage::Mapped(map) => {
                if let Some(dest) = map.get_mut(self.len..self.len + bytes.len()) {
                    dest.copy_from_slice(bytes);
                }
            }
        }
        self.len += bytes.len();
    }

    /// Reads from `reader` until the buffer is full or the reader ends;
    /// `true` when the reader had more (one byte more is read to tell).
    pub fn fill_from(&mut self, reader: &mut impl Read) -> std::io::Result<bool> {
        let room = self.capacity.saturating_sub(self.len);
        match &mut self.storage {
            Storage::Small(vec) => {
                reader.take(room as u64).read_to_end(vec)?;
                self.len = vec.len();
            }
            Storage::Mapped(map) => {
                while let Some(rest) = map.get_mut(self.len..).filter(|rest| !rest.is_empty()) {
                    match reader.read(rest) {
                        Ok(0) => break,
                        Ok(n) => self.len += n,
                        Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(err) => return Err(err),
                    }
                }
            }
        }
        has_more(reader)
    }
}

/// Whether `reader` has another byte (read, to tell): a member that does
/// is longer than it declared.
pub fn has_more(reader: &mut impl Read) -> std::io::Result<bool> {
    let mut probe = [0u8; 1];
    loop {
        match reader.read(&mut probe) {
            Ok(n) => return Ok(n > 0),
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
}

impl std::ops::Deref for Buffer<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        let held: &[u8] = match &self.storage {
            Storage::Small(vec) => vec,
            Storage::Mapped(map) => map,
        };
        held.get(..self.len).unwrap_or(held)
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let mut state = self.budget.lock();
        state.in_use = state.in_use.saturating_sub(self.bytes);
        drop(state);
        HELD.set(HELD.get().saturating_sub(1));
        self.budget.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn leases_never_exceed_the_budget_and_all_are_granted() {
        let budget = Arc::new(Budget::new(100));
        let in_use = Arc::new(AtomicU64::new(0));
        let peak = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = (0..8u64)
            .map(|i| {
                let (budget, in_use, peak) = (budget.clone(), in_use.clone(), peak.clone());
                std::thread::spawn(move || {
                    for round in 0..50u64 {
                        let bytes = 10 + (i * 7 + round * 13) % 91;
                        let lease = budget.lease(bytes).unwrap();
                        let now = in_use.fetch_add(bytes, Ordering::SeqCst) + bytes;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        in_use.fetch_sub(bytes, Ordering::SeqCst);
                        drop(lease);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let peak = peak.load(Ordering::SeqCst);
        assert!(peak <= 100 && peak > 0, "peak {peak}");
        assert_eq!(budget.lock().in_use, 0);
    }

    #[test]
    fn buffers_fill_to_their_capacity_and_tell_when_there_was_more() {
        let budget = Budget::new(8 << 20);
        for capacity in [10usize, 3 << 20] {
            let data: Vec<u8> = (0..capacity + 5).map(|i| i as u8).collect();
            let mut buffer = budget.buffer(capacity as u64).unwrap();
            buffer.extend(&data[..4]);
            let more = buffer.fill_from(&mut &data[4..]).unwrap();
            assert!(more, "{capacity}");
            assert_eq!(&buffer[..], &data[..capacity]);
            let mut exact = budget.buffer(capacity as u64).unwrap();
            assert!(!exact.fill_from(&mut &data[..capacity - 1]).unwrap());
            assert_eq!(exact.len(), capacity - 1);
            exact.extend(&data);
            assert_eq!(exact.len(), capacity, "extend stops at the capacity");
        }
        assert!(budget.buffer(9 << 20).is_err(), "over the budget");
        assert_eq!(
            budget.lock().in_use,
            0,
            "dropped buffers give their bytes back"
        );
    }

    #[test]
    fn a_request_over_the_whole_budget_is_refused_at_once() {
        let budget = Budget::new(100);
        let reason = budget.lease(101).err().unwrap();
        assert!(reason.contains("budget"), "{reason}");
        assert!(budget.lease(100).is_ok(), "alone, the whole budget fits");
    }

    #[test]
    fn a_thread_holding_a_lease_never_waits_for_another() {
        let budget = Budget::new(100);
        let first = budget.lease(60).unwrap();
        assert!(budget.lease(50).is_err(), "would wait for itself");
        let second = budget.lease(40).unwrap();
        drop((first, second));
        assert!(budget.lease(100).is_ok());
    }

    #[test]
    fn a_waiting_lease_is_granted_when_bytes_come_back() {
        let budget = Arc::new(Budget::new(100));
        let held = budget.lease(80).unwrap();
        let waiter = {
            let budget = budget.clone();
            std::thread::spawn(move || budget.lease(50).map(|lease| lease.bytes).ok())
        };
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!waiter.is_finished(), "80 + 50 > 100: it waits");
        drop(held);
        assert_eq!(waiter.join().unwrap(), Some(50));
    }
}
