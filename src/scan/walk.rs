//! The walk and the reads beside it: one thread walks, the others (and
//! the walker once it is done) read what it finds, in batches.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};

use crate::config::Options;
use crate::discover::{self, Found, Inventory};
use crate::progress::Progress;

use super::cache::FactsCache;
use super::read::{self, CandidateRead};
use super::side_reads::{ReadOutcome, SideReads};

/// What [`walk_and_read`] met and read.
pub(super) struct Walked {
    pub inventory: Inventory,
    /// In the walk's order.
    pub reads: Vec<CandidateRead>,
    /// By the manifest's index in the inventory.
    pub manifests: Vec<(usize, ReadOutcome)>,
    /// Package metadata, by location.
    pub metadata: Vec<(PathBuf, ReadOutcome)>,
}

/// At most this many bytes of package metadata read during the walk are
/// kept for the attribution (the benchmark venv's RECORDs and WHEELs: 0.4 MB); the rest is read
/// when it is asked for.
const EARLY_METADATA_BYTES: usize = 32 * 1024 * 1024;

/// What the walk finds, handed to the readers this many at once: sent one at
/// a time, each could wake a sleeping reader for one file (3–9 ms of CPU on
/// the benchmark trees).
const FOUND_BATCH: usize = 16;

/// Walks on one thread while readers (this thread and one more per core
/// beyond the walker's and this one; the walker too once it is done) read
/// what it finds, in batches: candidate files, and manifests and package
/// metadata (through `side_reads`).
pub(super) fn walk_and_read(
    paths: &[PathBuf],
    options: &Options,
    progress: &dyn Progress,
    side_reads: &SideReads,
) -> Walked {
    /// What the walker sends, shared by the readers.
    type Batches = Arc<Mutex<Receiver<Vec<Found>>>>;
    /// One thing read: a candidate, a manifest by its index, or package
    /// metadata by its location.
    enum Reading {
        Candidate(CandidateRead),
        Manifest(usize, ReadOutcome),
        Metadata(PathBuf, ReadOutcome),
    }
    let cache = FactsCache::default();
    let early_metadata = AtomicUsize::new(0);
    let (walked, readings) = std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<Found>>(256);
        // Each reader holds the receiver: should one panic, the others
        // still drain the channel, and when none is left the walker's sends
        // fail, so the walker ends and the panic reaches the caller.
        let receiver: Batches = Arc::new(Mutex::new(receiver));
        // The walker is a thread of its own: the readers take the other
        // cores, this thread one of them (on two cores, a third thread only
        // took turns with the walker, whose pace bounds the phase).
        let read_batches = |receiver: Batches| {
            let mut readings = Vec::new();
            loop {
                let batch = match receiver.lock() {
                    Ok(receiver) => receiver.recv(),
                    Err(_) => break,
                };
                let Ok(batch) = batch else { break };
                readings.extend(batch.into_iter().filter_map(|found| match found {
                    Found::Candidate(candidate) => {
                        let read = read::read_candidate(&candidate, &cache);
                        progress.read_one();
                        (read.wheel.is_some() || !read.items.is_empty())
                            .then_some(Reading::Candidate(read))
                    }
                    Found::Manifest { index, location } => {
                        Some(Reading::Manifest(index, side_reads.read_walked(&location)))
                    }
                    Found::Metadata(location) => {
                        let outcome = side_reads.read_walked(&location);
                        // Kept within a budget; past it, read again when asked
                        // (held until then: 16 hostile 60 MiB WHEELs were 1 GB).
                        let size = match &outcome {
                            Ok(Some(bytes)) => bytes.len(),
                            _ => 0,
                        };
                        let held = early_metadata.fetch_add(size, Ordering::Relaxed);
                        (held.saturating_add(size) <= EARLY_METADATA_BYTES)
                            .then_some(Reading::Metadata(location, outcome))
                    }
                }));
            }
            readings
        };
        // Weak while walking: a receiver the walker held would keep its
        // sends from failing should every reader be gone.
        let walker_receiver = Arc::downgrade(&receiver);
        let walker = scope.spawn(move || {
            let mut batch = Vec::with_capacity(FOUND_BATCH);
            let inventory = discover::walk(paths, &options.walk, progress, &mut |found| {
                batch.push(found);
                if batch.len() == FOUND_BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(FOUND_BATCH));
                    // Fails only when every reader is gone (a panic): nothing to feed.
                    let _ = sender.send(full);
                }
            });
            let _ = sender.send(batch);
            // Done walking: a reader like the others until the backlog is
            // read (the readers were behind by 1-2 ms on the venv).
            drop(sender);
            let more = walker_receiver.upgrade().map(read_batches);
            (inventory, more.unwrap_or_default())
        });
        let others: Vec<_> = (1..rayon::current_num_threads().saturating_sub(1))
            .map(|_| {
                let receiver = Arc::clone(&receiver);
                scope.spawn(move || read_batches(receiver))
            })
            .collect();
        let mut readings = read_batches(receiver);
        for reader in others {
            match reader.join() {
                Ok(more) => readings.extend(more),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        let walked = walker.join().map(|(inventory, more)| {
            readings.extend(more);
            inventory
        });
        (walked, readings)
    });
    let inventory = match walked {
        Ok(inventory) => inventory,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    let mut walked = Walked {
        inventory,
        reads: Vec::new(),
        manifests: Vec::new(),
        metadata: Vec::new(),
    };
    for reading in readings {
        match reading {
            Reading::Candidate(read) => walked.reads.push(read),
            Reading::Manifest(index, outcome) => walked.manifests.push((index, outcome)),
            Reading::Metadata(location, outcome) => walked.metadata.push((location, outcome)),
        }
    }
    // Readers finish in any order; what follows sees the walk's order.
    walked.reads.sort_by(|a, b| a.sort_key().cmp(b.sort_key()));
    walked
}
