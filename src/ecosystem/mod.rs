//! Package ecosystems: which package owns a file, what its metadata and
//! lockfiles say, and the known-problem table.

pub mod attribution;
pub mod known;
mod manifest;
pub mod npm;
pub mod python;
pub mod python_lock;

pub use manifest::{ManifestKind, NpmLock, PythonLock};
