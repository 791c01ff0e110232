//! Side reads: `RECORD`, `package.json` and lockfiles, opened the one safe
//! way ([`discover::read_found`]: regular files only, through symlinks only
//! inside the scanned paths, never blocking, within [`METADATA_CAP`]). A file
//! that cannot be read is kept, once per path, and reported as an unreadable
//! artifact at that path.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::discover::{self, LossyText, METADATA_CAP, ReadError, ScannedPaths};
use crate::model::on_disk;

pub(super) struct SideReads {
    scanned: ScannedPaths,
    /// Location → why it could not be read.
    failures: BTreeMap<PathBuf, String>,
    /// Files kept in memory while a container image was read, by location.
    kept: HashMap<PathBuf, Vec<u8>>,
    /// Manifests read while the walk went on, by their index in the
    /// inventory's manifests.
    early: Vec<Option<ReadOutcome>>,
    /// Package metadata read while the walk went on, by location, until
    /// asked for once.
    walked: HashMap<PathBuf, ReadOutcome>,
}

/// A side read's outcome: the bytes, nothing there, or why not.
pub(super) type ReadOutcome = Result<Option<Vec<u8>>, ReadError>;

impl SideReads {
    pub fn new(scanned: ScannedPaths) -> SideReads {
        SideReads {
            scanned,
            failures: BTreeMap::new(),
            kept: HashMap::new(),
            early: Vec::new(),
            walked: HashMap::new(),
        }
    }

    /// Keeps the manifests read during the walk (manifest index, outcome).
    pub fn read_early(&mut self, reads: impl IntoIterator<Item = (usize, ReadOutcome)>) {
        for (index, outcome) in reads {
            if self.early.len() <= index {
                self.early.resize_with(index + 1, || None);
            }
            if let Some(slot) = self.early.get_mut(index) {
                *slot = Some(outcome);
            }
        }
    }

    /// Keeps what was read of a file the walk met ([`SideReads::bytes`]
    /// answers with it once).
    pub fn read_during_walk(&mut self, location: PathBuf, outcome: ReadOutcome) {
        self.walked.insert(location, outcome);
    }

    /// The manifests read during the walk, `count` long (`None`: not read).
    pub fn take_early(&mut self, count: usize) -> Vec<Option<ReadOutcome>> {
        let mut early = std::mem::take(&mut self.early);
        early.resize_with(count, || None);
        early
    }

    /// Answers reads of `location` with `bytes` (a container image's file,
    /// kept while its layers were read).
    pub fn keep(&mut self, location: PathBuf, bytes: Vec<u8>) {
        self.kept.insert(location, bytes);
    }

    /// The bytes of `location`; `None` when it does not exist or could not
    /// be read (the failure is kept, with what it costs: `consequence`).
    pub fn bytes(&mut self, location: &Path, consequence: &str) -> Option<Vec<u8>> {
        let outcome = match self.walked.remove(location) {
            Some(outcome) => outcome,
            None => self.read(location),
        };
        outcome.unwrap_or_else(|failure| self.fail(location, failure, consequence))
    }

    /// [`SideReads::bytes`] without keeping the failure (so that many reads
    /// can run at once): `Err` with the reason, for [`SideReads::fail`].
    pub fn read(&self, location: &Path) -> ReadOutcome {
        if let Some(kept) = self.kept.get(location) {
            return Ok(Some(kept.clone()));
        }
        // Inside an archive nothing is on disk: only what was kept is there.
        if on_disk(location) != location {
            return Ok(None);
        }
        absent_as_none(discover::read_found(location, METADATA_CAP, &self.scanned))
    }

    /// [`SideReads::read`] of a file the walk met as a regular file
    /// ([`discover::read_walked`]: no `stat` of its path before the open).
    pub fn read_walked(&self, location: &Path) -> ReadOutcome {
        absent_as_none(discover::read_walked(location, METADATA_CAP, &self.scanned))
    }

    /// Keeps why `location` could not be read (the first reason, once per
    /// path), with what it costs: `consequence`.
    pub fn fail<T>(&mut self, location: &Path, failure: ReadError, consequence: &str) -> Option<T> {
        self.failures
            .entry(location.to_path_buf())
            .or_insert_with(|| format!("{failure}; {consequence}"));
        None
    }

    /// The text of package metadata (`RECORD`, `package.json`) read to
    /// attribute files: decoded lossily, as stray bytes cannot matter there.
    pub fn package_metadata(&mut self, location: &Path) -> Option<String> {
        self.bytes(
            location,
            "the files of its package are reported without their package",
        )
        .map(|bytes| LossyText::decode(bytes).text)
    }

    /// Every file that could not be read, by location, with the reason.
    pub fn into_failures(self) -> BTreeMap<PathBuf, String> {
        self.failures
    }
}

/// A read's outcome, with a file that does not exist as nothing there.
fn absent_as_none(read: Result<Vec<u8>, ReadError>) -> ReadOutcome {
    match read {
        Ok(bytes) => Ok(Some(bytes)),
        Err(err) if err.is_not_found() => Ok(None),
        Err(err) => Err(err),
    }
}
