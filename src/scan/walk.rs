//! The walk and the reads beside it: what the walk finds is read as soon as
//! it is found, on whichever core takes it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

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

/// Walks the paths, reading what the walk finds as soon as it is found:
/// candidate files, and manifests and package metadata (through
/// `side_reads`).
pub(super) fn walk_and_read(
    paths: &[PathBuf],
    options: &Options,
    progress: &dyn Progress,
    side_reads: &SideReads,
) -> Walked {
    /// One thing read: a candidate, a manifest or package metadata, by its
    /// location.
    enum Reading {
        Candidate(CandidateRead),
        Manifest(PathBuf, ReadOutcome),
        Metadata(PathBuf, ReadOutcome),
    }
    let cache = FactsCache::default();
    let early_metadata = AtomicUsize::new(0);
    let archived_items = AtomicUsize::new(0);
    let readings = Mutex::new(Vec::new());
    let read_found = |found: Found| {
        let reading = match found {
            Found::Candidate(candidate) => {
                let mut read = read::read_candidate(&candidate, &cache);
                if read.items.len() > 1 {
                    let held = archived_items.fetch_add(read.items.len(), Ordering::Relaxed);
                    let room = read::MAX_ARCHIVED_ITEMS.saturating_sub(held);
                    read.keep_members_within(room, &candidate);
                }
                progress.read_one();
                read.holds_anything().then_some(Reading::Candidate(read))
            }
            Found::Manifest(location) => {
                let outcome = side_reads.read_walked(&location);
                Some(Reading::Manifest(location, outcome))
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
        };
        if let Some(reading) = reading {
            readings
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(reading);
        }
    };
    let inventory = discover::walk(paths, &options.walk, progress, &read_found);
    let readings = readings
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    // Each manifest's reading goes with its place in the inventory.
    let manifest_index: HashMap<&Path, usize> = inventory
        .manifests
        .iter()
        .enumerate()
        .map(|(index, manifest)| (manifest.location.as_path(), index))
        .collect();
    let mut reads = Vec::new();
    let mut manifests = Vec::new();
    let mut metadata = Vec::new();
    for reading in readings {
        match reading {
            Reading::Candidate(read) => reads.push(read),
            Reading::Manifest(location, outcome) => {
                if let Some(&index) = manifest_index.get(location.as_path()) {
                    manifests.push((index, outcome));
                }
            }
            Reading::Metadata(location, outcome) => metadata.push((location, outcome)),
        }
    }
    // Jobs end in any order; what follows sees one.
    reads.sort_by(|a, b| a.sort_key().cmp(b.sort_key()));
    Walked {
        inventory,
        reads,
        manifests,
        metadata,
    }
}
