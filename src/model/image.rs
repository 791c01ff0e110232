//! What a base image provides, in the words every stage shares: how exact its
//! facts are, whether it holds a file, which version nodes a library defines,
//! and the row `muslcheck targets` lists. The facts themselves live in `platform`.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;

/// How a profile's facts were obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Exactness {
    /// Read from the image's own packages (or root filesystem).
    Verified,
    /// Inferred from the image's package list, not from package contents.
    Derived,
    /// Only the versions of the C library and a few runtimes are known.
    VersionsOnly,
}

impl Exactness {
    pub fn as_str(self) -> &'static str {
        match self {
            Exactness::Verified => "verified",
            Exactness::Derived => "derived",
            Exactness::VersionsOnly => "versions-only",
        }
    }

    pub fn parse(text: &str) -> Option<Exactness> {
        [
            Exactness::Verified,
            Exactness::Derived,
            Exactness::VersionsOnly,
        ]
        .into_iter()
        .find(|e| e.as_str() == text)
    }
}

impl fmt::Display for Exactness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether an image holds something (a shell, CA certificates …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Presence {
    Yes,
    No,
    Unknown,
}

/// A yes/no/unknown fact with what the source says about it
/// (`/bin/sh -> dash`, `apk add tzdata`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageFact {
    pub presence: Presence,
    pub detail: String,
}

impl ImageFact {
    /// `yes: detail`, `no`, `unknown: likely …` as the data tables write it.
    pub fn parse(text: &str) -> Option<ImageFact> {
        let (state, detail) = text.split_once(':').unwrap_or((text, ""));
        let presence = match state.trim() {
            "yes" => Presence::Yes,
            "no" => Presence::No,
            "unknown" => Presence::Unknown,
            _ => return None,
        };
        Some(ImageFact {
            presence,
            detail: detail.trim().to_string(),
        })
    }
}

/// The version nodes a shared library defines (`readelf -V`): a set, never a
/// maximum — glibc 2.31's libc.so.6 defines GLIBC_2.30 but no GLIBC_2.31.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefinedVersions {
    Known(BTreeSet<String>),
    /// The library is known to be present, its definitions are not.
    Unknown,
}

impl DefinedVersions {
    /// Whether the library defines `node`; `None` when that is not known.
    pub fn defines(&self, node: &str) -> Option<bool> {
        match self {
            DefinedVersions::Known(nodes) => Some(nodes.contains(node)),
            DefinedVersions::Unknown => None,
        }
    }

    /// The newest node of a family (`GLIBC_`, `GLIBCXX_`), for messages only.
    pub fn newest(&self, prefix: &str) -> Option<&str> {
        let DefinedVersions::Known(nodes) = self else {
            return None;
        };
        nodes
            .iter()
            .filter(|n| crate::model::Version::node(n).is_some_and(|(p, _)| p == prefix))
            .max_by(|a, b| crate::model::Version::cmp_nodes(a, b))
            .map(String::as_str)
    }
}

/// One definition of an exported dynamic symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SymbolDefinition<'a> {
    /// The version node (`GLIBC_2.34`); `None` for an unversioned export (musl).
    pub version: Option<&'a str>,
    /// A default (`@@`) definition; a compat one (`@`) binds only a reference
    /// that names its version.
    pub default: bool,
}

/// One row of `muslcheck targets`: a profile with every architecture it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetSummary {
    pub name: String,
    pub aliases: Vec<String>,
    pub libc: String,
    pub libc_version: Option<String>,
    pub arches: Vec<String>,
    pub exactness: Exactness,
    pub package_manager: Option<String>,
    pub note: String,
}
