//! Packages: who owns an artifact.

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
    /// A Debian or Ubuntu package (dpkg's database of a root filesystem).
    Debian,
    /// An Alpine package (apk's database of a root filesystem).
    Alpine,
    /// A jar (Maven coordinates `group:artifact`).
    Maven,
    /// A Ruby gem.
    Rubygems,
}

impl Ecosystem {
    /// A distribution's package: answered by the distribution's own builds,
    /// never by a package index.
    pub fn is_distribution(self) -> bool {
        matches!(self, Ecosystem::Debian | Ecosystem::Alpine)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Pypi => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::Debian => "debian",
            Ecosystem::Alpine => "alpine",
            Ecosystem::Maven => "maven",
            Ecosystem::Rubygems => "rubygems",
        }
    }
}
