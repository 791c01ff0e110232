//! muslcheck: which native artifacts of a project break on Alpine Linux (musl
//! libc), why, and what to do about it.
//!
//! The pipeline runs one way: [`discover`] walks the paths, [`elf`] reads each
//! ELF file's linking facts, [`check`] judges them against a [`target`], and
//! [`report`] renders the result. [`scan`] runs it all.

pub mod baseline;
pub mod check;
pub mod config;
pub mod discover;
pub mod ecosystem;
pub mod elf;
#[doc(hidden)]
pub mod fuzz_entry;
pub mod progress;
pub mod report;
mod scan;
pub mod target;

pub use scan::{
    Artifact, Options, Report, SCHEMA_VERSION, ScanError, Summary, scan, scan_with_progress,
};
