//! muslcheck: which native artifacts of a project break on Alpine Linux (musl
//! libc), why, and what to do about it.
//!
//! The pipeline runs one way: [`discover`] walks the paths, [`elf`] reads each
//! ELF file's linking facts, [`ecosystem`] attributes files to packages,
//! [`check`] judges them against a [`platform`], and [`report`] renders the
//! [`model::Report`]. [`scan()`] runs it all; [`config`] holds the settings.
//! `docs/ARCHITECTURE.md` draws the layers and what each may import.

#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod check;
pub mod config;
pub mod discover;
pub mod ecosystem;
pub mod elf;
#[doc(hidden)]
pub mod fuzz_entry;
pub mod index;
pub mod model;
pub mod platform;
pub mod progress;
pub mod report;
mod scan;

pub use config::Options;
pub use model::{Artifact, Report, SCHEMA_VERSION, Summary};
pub use scan::{ScanError, scan, scan_matrix, scan_with_progress};
