//! Progress reports from a running scan, for a caller that shows them.

/// Receives progress while a scan runs; every method may be called from
/// several threads.
pub trait Progress: Sync {
    /// Another `files` regular files were walked.
    fn walked(&self, _files: u64) {}
    /// The walk found one more file to read.
    fn found_candidate(&self) {}
    /// One candidate file has been read and analysed.
    fn read_one(&self) {}
}

/// Reports nothing.
pub struct Silent;

impl Progress for Silent {}
