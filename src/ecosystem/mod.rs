//! Package ecosystems: which package owns a file, and what its metadata says.

pub mod npm;
pub mod python;
pub mod python_lock;

use serde::Serialize;

/// The package that owns an artifact.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Package {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    Pypi,
    Npm,
}

/// Manifest and lockfile names muslcheck reads (they are text, so the walk
/// would otherwise skip them by name).
pub fn is_manifest(file_name: &str) -> bool {
    python_lock::is_python_manifest(file_name)
        || matches!(
            file_name,
            "package-lock.json" | "npm-shrinkwrap.json" | "yarn.lock" | "pnpm-lock.yaml"
        )
}
