//! The known-problem table (`data/known-packages.tsv`): packages known to
//! break on musl, by name, and the first version with a musl build.

use std::sync::OnceLock;

use super::python::normalize_name;
use crate::model::{Ecosystem, Version};

const KNOWN_PACKAGES: &str = include_str!("../../data/known-packages.tsv");

/// When a package first had a musl build, per the known-problem table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirstMusl {
    Version(String),
    /// Every version works on musl (pure code or static binaries).
    Always,
    /// No version has a musl build.
    Never,
    /// The table does not know (`[unverified]`, `n/a`).
    Unknown,
}

/// A row of the known-problem table (`data/known-packages.tsv`).
#[derive(Debug, Clone)]
pub struct KnownPackage {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub first_musl: FirstMusl,
    pub remedy: String,
    pub sources: String,
}

impl KnownPackage {
    /// The first version with a musl build, when the table names one.
    pub fn first_version(&self) -> Option<&str> {
        match &self.first_musl {
            FirstMusl::Version(first) => Some(first),
            _ => None,
        }
    }

    /// Whether `version` has no musl build, per the table (`None`: the table cannot tell).
    pub fn lacks_musl_build(&self, version: &str) -> Option<bool> {
        match &self.first_musl {
            FirstMusl::Version(first) => Some(Version::release(version) < Version::release(first)),
            FirstMusl::Always => Some(false),
            FirstMusl::Never => Some(true),
            FirstMusl::Unknown => None,
        }
    }
}

/// Looks a package up in the known-problem table.
pub fn known_package_in(ecosystem: Ecosystem, name: &str) -> Option<&'static KnownPackage> {
    static TABLE: OnceLock<Vec<KnownPackage>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        KNOWN_PACKAGES
            .lines()
            .skip(1)
            .filter_map(|line| {
                let fields: Vec<&str> = line.split('\t').collect();
                let ecosystem = match *fields.first()? {
                    "pypi" => Ecosystem::Pypi,
                    "npm" => Ecosystem::Npm,
                    _ => return None,
                };
                // "bcrypt (PyPI)", "polars / polars-runtime-32": the first name.
                let name = fields.get(1)?.split([' ', '/']).find(|p| !p.is_empty())?;
                let name = if name.starts_with('@') {
                    // A scoped npm name keeps its slash: take it whole.
                    fields.get(1)?.split(' ').next()?.to_string()
                } else {
                    name.to_string()
                };
                let first = fields.get(5)?.split_whitespace().next().unwrap_or("");
                let first_musl = match first {
                    "none" => FirstMusl::Never,
                    "all" => FirstMusl::Always,
                    v if v.starts_with(|c: char| c.is_ascii_digit()) => {
                        FirstMusl::Version(v.trim_end_matches(';').to_string())
                    }
                    _ => FirstMusl::Unknown,
                };
                Some(KnownPackage {
                    ecosystem,
                    name: if ecosystem == Ecosystem::Pypi {
                        normalize_name(&name)
                    } else {
                        name
                    },
                    first_musl,
                    remedy: fields.get(7).unwrap_or(&"").to_string(),
                    sources: fields.get(8).unwrap_or(&"").to_string(),
                })
            })
            .collect()
    });
    let wanted = if ecosystem == Ecosystem::Pypi {
        normalize_name(name)
    } else {
        name.to_string()
    };
    table
        .iter()
        .find(|k| k.ecosystem == ecosystem && k.name == wanted)
}

/// The PyPI part of the known-problem table.
pub fn known_package(name: &str) -> Option<&'static KnownPackage> {
    known_package_in(Ecosystem::Pypi, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_table_has_numpy() {
        let numpy = known_package("NumPy").unwrap();
        assert_eq!(numpy.first_musl, FirstMusl::Version("1.25.0".to_string()));
        assert_eq!(numpy.lacks_musl_build("1.24.4"), Some(true));
        assert_eq!(numpy.lacks_musl_build("2.0.0"), Some(false));
        assert_eq!(
            known_package("psycopg2").unwrap().first_musl,
            FirstMusl::Never
        );
        let bcrypt = known_package_in(Ecosystem::Npm, "bcrypt").unwrap();
        assert_eq!(bcrypt.lacks_musl_build("5.1.1"), Some(true));
        assert_eq!(bcrypt.lacks_musl_build("6.0.0"), Some(false));
        assert!(known_package_in(Ecosystem::Npm, "@swc/core").is_some());
        assert_eq!(
            known_package_in(Ecosystem::Npm, "kerberos")
                .unwrap()
                .first_musl,
            FirstMusl::Unknown
        );
    }
}
