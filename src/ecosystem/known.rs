//! The known-problem table (`data/known-packages.tsv`): packages known to
//! break on musl, by name, the first version with a musl build, and what
//! installing a version without one does on the target.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::python::normalize_name;
use crate::model::{Ecosystem, Version};

const KNOWN_PACKAGES: &str = include_str!("../../data/known-packages.tsv");

/// Column numbers of the table (its header names them).
const PACKAGE: usize = 1;
const FIRST_MUSL: usize = 5;
const REMEDY: usize = 7;
const SOURCES: usize = 8;
const WITHOUT_MUSL_BUILD: usize = 10;
const WITHOUT_MUSL_BUILD_SOURCES: usize = 11;

/// When a package first had a musl build, per the known-problem table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirstMusl {
    /// This version and later have one; `approximate` when the table marks
    /// the number `~`, `.x` or `[unverified]`.
    Version { first: String, approximate: bool },
    /// Versions from this one on have one; earlier ones are not known
    /// (`<=6.0.6 [first unverified]`).
    AtMost(String),
    /// Every version works on musl (pure code or static binaries).
    Always,
    /// No version has a musl build.
    Never,
    /// The table does not know (`[unverified]`, `n/a`).
    Unknown,
}

/// What installing a version without a musl build does on the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WithoutMuslBuild {
    /// The installer compiles it (an sdist, a node-gyp fallback).
    SourceBuild,
    /// Nothing to compile from: the install fails on the target. Versions
    /// from `until` on publish a source to compile.
    CannotInstall { until: Option<String> },
    /// Only platform builds or downloads, none for musl.
    NoMuslBuild,
    /// The table does not say.
    Unknown,
}

/// A row of the known-problem table (`data/known-packages.tsv`), for one
/// of the names in its package column.
#[derive(Debug, Clone)]
pub struct KnownPackage {
    pub ecosystem: Ecosystem,
    /// The name as lockfiles and installed packages spell it (PEP 503
    /// normalised for PyPI).
    pub name: String,
    /// The row's package column as written (`polars / polars-runtime-32`).
    pub row_names: String,
    pub first_musl: FirstMusl,
    /// Versions from this one on have no musl build again (the table's
    /// `<2.0.0` after the first version: pymupdf's musllinux wheels stop at 1.28).
    pub musl_until: Option<String>,
    pub without_musl_build: WithoutMuslBuild,
    /// Why a version without a musl build installs as it does (the
    /// `without_musl_build_sources` column): what its build downloads.
    pub without_musl_build_why: String,
    pub remedy: String,
    pub sources: String,
}

impl KnownPackage {
    /// The first version with a musl build when upgrading `version` to it
    /// gets one: `version` is older, and not past the table's last.
    pub fn upgrade_for(&self, version: &str) -> Option<&str> {
        let first = self.first_version()?;
        (Version::release(version) < Version::release(first)).then_some(first)
    }

    /// Whether `version` is past the versions with a musl build.
    pub fn past_musl_builds(&self, version: &str) -> bool {
        self.musl_until
            .as_deref()
            .is_some_and(|until| Version::release(version) >= Version::release(until))
    }

    /// The first version with a musl build, when the table names one.
    pub fn first_version(&self) -> Option<&str> {
        match &self.first_musl {
            FirstMusl::Version { first, .. } => Some(first),
            _ => None,
        }
    }

    /// Whether `version` has no musl build, per the table (`None`: the table cannot tell).
    pub fn lacks_musl_build(&self, version: &str) -> Option<bool> {
        // A lock that does not say which version: only an answer for every
        // version holds (never "upgrade to" one it may be past).
        if Version::release(version) == Version::release("") {
            return match self.first_musl {
                FirstMusl::Always => Some(false),
                FirstMusl::Never => Some(true),
                _ => None,
            };
        }
        if self.past_musl_builds(version) {
            return Some(true);
        }
        match &self.first_musl {
            FirstMusl::Version { first, .. } => {
                Some(Version::release(version) < Version::release(first))
            }
            FirstMusl::AtMost(bound) => {
                (Version::release(version) >= Version::release(bound)).then_some(false)
            }
            FirstMusl::Always => Some(false),
            FirstMusl::Never => Some(true),
            FirstMusl::Unknown => None,
        }
    }

    /// What installing `version` without a musl build does.
    pub fn without_musl_build_of(&self, version: &str) -> &WithoutMuslBuild {
        match &self.without_musl_build {
            WithoutMuslBuild::CannotInstall { until: Some(until) }
                if Version::release(version) >= Version::release(until) =>
            {
                &WithoutMuslBuild::SourceBuild
            }
            other => other,
        }
    }

    /// Alpine packages the remedy names for a build from source: the
    /// `-dev` packages and build tools after `apk add` (not the run-time
    /// libraries nor Alpine's own `py3-*` builds).
    pub fn build_packages(&self) -> Vec<String> {
        const BUILD_TOOLS: [&str; 10] = [
            "build-base",
            "gcc",
            "g++",
            "make",
            "gfortran",
            "cargo",
            "pkgconf",
            "linux-headers",
            "cmake",
            "python3",
        ];
        let mut packages: Vec<String> = Vec::new();
        for (at, _) in self.remedy.match_indices("apk add ") {
            let after = self.remedy.get(at + "apk add ".len()..).unwrap_or("");
            for token in after.split_whitespace() {
                let name = token.trim_end_matches([';', ',', ')']);
                let is_name = !name.is_empty()
                    && name.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || "+-._".contains(c)
                    });
                if !is_name {
                    break;
                }
                let wanted = name.ends_with("-dev") || BUILD_TOOLS.contains(&name);
                if wanted && !packages.iter().any(|p| p == name) {
                    packages.push(name.to_string());
                }
                if name.len() != token.len() {
                    break;
                }
            }
        }
        packages
    }
}

/// Every row of the table, once per name it lists.
pub fn known_packages() -> &'static [KnownPackage] {
    static TABLE: OnceLock<Vec<KnownPackage>> = OnceLock::new();
    TABLE.get_or_init(|| KNOWN_PACKAGES.lines().skip(1).flat_map(parse_row).collect())
}

fn parse_row(line: &str) -> Vec<KnownPackage> {
    let fields: Vec<&str> = line.split('\t').collect();
    let field = |i: usize| fields.get(i).copied().unwrap_or("");
    let ecosystem = match field(0) {
        "pypi" => Ecosystem::Pypi,
        "npm" => Ecosystem::Npm,
        _ => return Vec::new(),
    };
    let row_names = field(PACKAGE);
    let names = package_names(row_names);
    let without_musl_build = parse_without_musl_build(field(WITHOUT_MUSL_BUILD));
    names
        .iter()
        .map(|name| KnownPackage {
            ecosystem,
            name: if ecosystem == Ecosystem::Pypi {
                normalize_name(name)
            } else {
                name.clone()
            },
            row_names: row_names.to_string(),
            first_musl: parse_first_musl(field(FIRST_MUSL), name, &names),
            musl_until: parse_musl_until(field(FIRST_MUSL)),
            without_musl_build: without_musl_build.clone(),
            without_musl_build_why: field(WITHOUT_MUSL_BUILD_SOURCES).to_string(),
            remedy: field(REMEDY).to_string(),
            sources: field(SOURCES).to_string(),
        })
        .collect()
}

/// The names a package column lists: `opencv-python / opencv-python-headless`
/// is two, `bcrypt (PyPI)` and `next (@next/swc)` are one (the parenthesis
/// annotates), `psycopg[binary] (psycopg-binary)` is the distribution the
/// extra installs, `dd-trace natives` is no name.
fn package_names(column: &str) -> Vec<String> {
    column
        .split(" / ")
        .flat_map(|part| part.split(" + "))
        .filter_map(|part| {
            let (name, note) = match part.split_once(" (") {
                Some((name, note)) => (name.trim(), Some(note.trim_end_matches(')'))),
                None => (part.trim(), None),
            };
            if name.contains('[') {
                // An extra names no distribution of its own: the note does.
                return note.filter(|n| is_package_name(n)).map(str::to_string);
            }
            is_package_name(name).then(|| name.to_string())
        })
        .collect()
}

fn is_package_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@/-._".contains(c))
}

/// The first version with a musl build for `name`, from the table's
/// `first_musl_version` text: `1.25.0 (…)`, `~7.4.x (…) [unverified exact]`,
/// `none (cp310 checked)`, `<=6.0.6 [first unverified]`,
/// `polars-runtime-32 1.37.0 (…)` (for that name only).
fn parse_first_musl(text: &str, name: &str, row_names: &[String]) -> FirstMusl {
    let clause = text.split(';').next().unwrap_or("").trim();
    let mut tokens = clause.split_whitespace().peekable();
    if let Some(named) = tokens
        .peek()
        .copied()
        .filter(|t| row_names.iter().any(|n| n == t))
    {
        if named != name {
            return FirstMusl::Unknown;
        }
        tokens.next();
    }
    let approximate = clause.contains("unverified") || clause.contains('~');
    for (position, token) in tokens.enumerate() {
        match token {
            "none" if position == 0 => return FirstMusl::Never,
            "all" if position == 0 => return FirstMusl::Always,
            // `arm64: 1.21.4`: one architecture's answer; `(…)`, `[…]`: notes.
            _ if token.ends_with(':') || token.starts_with(['(', '[']) => break,
            bound if bound.starts_with("<=") => {
                return match version_text(bound.trim_start_matches("<=")) {
                    Some((version, _)) => FirstMusl::AtMost(version),
                    None => FirstMusl::Unknown,
                };
            }
            _ => {
                // `musl prebuild in 5.0.x`: the version may follow a few words.
                if let Some((first, wildcard)) = version_text(token.trim_start_matches('~')) {
                    return FirstMusl::Version {
                        first,
                        approximate: approximate || wildcard || position > 0,
                    };
                }
            }
        }
    }
    FirstMusl::Unknown
}

/// `1.24.6 <2.0.0 (…)`: the version from which musl builds stop, if any.
fn parse_musl_until(text: &str) -> Option<String> {
    let clause = text.split(';').next().unwrap_or("");
    clause
        .split_whitespace()
        .take_while(|t| !t.starts_with(['(', '[']))
        .find_map(|t| t.strip_prefix('<').filter(|v| !v.starts_with('=')))
        .and_then(version_text)
        .map(|(version, _)| version)
}

/// `1.25.0` → (`1.25.0`, false); `7.4.x` → (`7.4`, true); `musl` → `None`.
fn version_text(token: &str) -> Option<(String, bool)> {
    let token = token.trim_end_matches([';', ',']);
    if !token.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let wildcard = token.ends_with(".x");
    Some((token.trim_end_matches(".x").to_string(), wildcard))
}

fn parse_without_musl_build(text: &str) -> WithoutMuslBuild {
    let mut words = text.split_whitespace();
    match words.next() {
        Some("source-build") => WithoutMuslBuild::SourceBuild,
        Some("no-musl-build") => WithoutMuslBuild::NoMuslBuild,
        Some("cannot-install") => WithoutMuslBuild::CannotInstall {
            until: match (words.next(), words.next()) {
                (Some("before"), Some(version)) => Some(version.to_string()),
                _ => None,
            },
        },
        _ => WithoutMuslBuild::Unknown,
    }
}

/// Looks a package up in the known-problem table (by name, once per
/// lockfile entry: a map, not a walk over the rows).
pub fn known_package_in(ecosystem: Ecosystem, name: &str) -> Option<&'static KnownPackage> {
    static INDEX: OnceLock<HashMap<(Ecosystem, &'static str), &'static KnownPackage>> =
        OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut index = HashMap::new();
        for known in known_packages() {
            // The first row that names a package answers for it.
            index
                .entry((known.ecosystem, known.name.as_str()))
                .or_insert(known);
        }
        index
    });
    let wanted = if ecosystem == Ecosystem::Pypi {
        normalize_name(name)
    } else {
        name.to_string()
    };
    index.get(&(ecosystem, wanted.as_str())).copied()
}

/// The PyPI part of the known-problem table.
pub fn known_package(name: &str) -> Option<&'static KnownPackage> {
    known_package_in(Ecosystem::Pypi, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(first: &str) -> FirstMusl {
        FirstMusl::Version {
            first: first.to_string(),
            approximate: false,
        }
    }

    #[test]
    fn known_table_has_numpy() {
        let numpy = known_package("NumPy").unwrap();
        assert_eq!(numpy.first_musl, version("1.25.0"));
        assert_eq!(numpy.lacks_musl_build("1.24.4"), Some(true));
        assert_eq!(numpy.lacks_musl_build("2.0.0"), Some(false));
        assert_eq!(
            known_package("psycopg2").unwrap().first_musl,
            FirstMusl::Never
        );
        let bcrypt = known_package_in(Ecosystem::Npm, "bcrypt").unwrap();
        assert_eq!(bcrypt.lacks_musl_build("5.1.1"), Some(true));
        assert_eq!(bcrypt.lacks_musl_build("6.0.0"), Some(false));
        // A lock that gives no version: the table cannot tell.
        assert_eq!(bcrypt.lacks_musl_build(""), None);
        assert_eq!(
            known_package("psycopg2").unwrap().lacks_musl_build(""),
            Some(true)
        );
        assert!(known_package_in(Ecosystem::Npm, "@swc/core").is_some());
        assert_eq!(
            known_package_in(Ecosystem::Npm, "kerberos")
                .unwrap()
                .first_musl,
            FirstMusl::Unknown
        );
    }

    #[test]
    fn every_name_of_a_row_is_known() {
        for name in [
            "opencv-python",
            "opencv_python_headless",
            "polars",
            "polars-runtime-32",
            "psycopg-binary",
            "bcrypt",
            "av",
        ] {
            assert!(known_package(name).is_some(), "{name}");
        }
        for name in ["@prisma/engines", "playwright-core", "oxlint", "next"] {
            assert!(known_package_in(Ecosystem::Npm, name).is_some(), "{name}");
        }
        // psycopg itself is pure Python: the row is about the binary extra's distribution.
        assert!(known_package("psycopg").is_none());
        assert!(known_package("psycopg[binary]").is_none());
        assert!(known_package_in(Ecosystem::Npm, "dd-trace").is_none());
        assert!(known_package_in(Ecosystem::Npm, "@next/swc").is_none());
    }

    #[test]
    fn musl_builds_that_stop_at_a_version_are_lacking_from_it_on() {
        let pymupdf = known_package("pymupdf").unwrap();
        assert_eq!(pymupdf.musl_until.as_deref(), Some("2.0.0"));
        assert_eq!(pymupdf.lacks_musl_build("1.24.0"), Some(true));
        assert_eq!(pymupdf.lacks_musl_build("1.28.2"), Some(false));
        assert_eq!(pymupdf.lacks_musl_build("2.1"), Some(true));
        // Upgrading helps an older version, not a newer one.
        assert_eq!(pymupdf.upgrade_for("1.24.0"), Some("1.24.6"));
        assert_eq!(pymupdf.upgrade_for("2.1"), None);
        // `<=` is a first version's bound, not an end.
        assert_eq!(parse_musl_until("<=6.0.6 [first unverified]"), None);
        assert_eq!(known_package("numpy").unwrap().musl_until, None);
    }

    /// sharp 0.21.0 to 0.32.x download libvips for linuxmusl at install
    /// (batch 14: 0.32.6 was "no musl build; upgrade to 0.33.0").
    #[test]
    fn sharp_downloads_its_musl_build_from_0_21() {
        let sharp = known_package_in(Ecosystem::Npm, "sharp").unwrap();
        assert_eq!(sharp.lacks_musl_build("0.32.6"), Some(false));
        assert_eq!(sharp.lacks_musl_build("0.21.0"), Some(false));
        assert_eq!(sharp.lacks_musl_build("0.20.8"), Some(true));
        assert_eq!(sharp.upgrade_for("0.20.8"), Some("0.21.0"));
    }

    #[test]
    fn first_versions_as_the_table_writes_them() {
        assert_eq!(
            known_package("polars-runtime-32").unwrap().first_musl,
            version("1.37.0")
        );
        assert_eq!(
            known_package("polars").unwrap().first_musl,
            FirstMusl::Unknown
        );
        assert_eq!(
            known_package_in(Ecosystem::Npm, "better-sqlite3")
                .unwrap()
                .first_musl,
            FirstMusl::Version {
                first: "7.4".to_string(),
                approximate: true
            }
        );
        let utf8 = known_package_in(Ecosystem::Npm, "utf-8-validate").unwrap();
        assert_eq!(utf8.first_musl, FirstMusl::AtMost("6.0.6".to_string()));
        assert_eq!(utf8.lacks_musl_build("6.0.6"), Some(false));
        assert_eq!(utf8.lacks_musl_build("5.0.0"), None);
        assert_eq!(
            known_package_in(Ecosystem::Npm, "canvas")
                .unwrap()
                .first_musl,
            FirstMusl::Never
        );
    }

    #[test]
    fn without_a_musl_build() {
        let onnx = known_package("onnxruntime").unwrap();
        assert_eq!(
            onnx.without_musl_build,
            WithoutMuslBuild::CannotInstall { until: None }
        );
        let playwright = known_package("playwright").unwrap();
        assert!(matches!(
            playwright.without_musl_build_of("1.40.0"),
            WithoutMuslBuild::CannotInstall { .. }
        ));
        assert_eq!(
            playwright.without_musl_build_of("1.65.0"),
            &WithoutMuslBuild::SourceBuild
        );
        let canvas = known_package_in(Ecosystem::Npm, "canvas").unwrap();
        assert_eq!(canvas.without_musl_build, WithoutMuslBuild::SourceBuild);
        assert_eq!(
            canvas.build_packages(),
            [
                "build-base",
                "g++",
                "python3",
                "pkgconf",
                "cairo-dev",
                "pango-dev",
                "jpeg-dev",
                "giflib-dev"
            ]
        );
        let psycopg2 = known_package("psycopg2").unwrap();
        assert_eq!(
            psycopg2.build_packages(),
            ["postgresql-dev", "gcc", "musl-dev", "python3-dev"]
        );
        // Alpine's own build and run-time libraries are no build dependencies.
        assert!(known_package("numpy").unwrap().build_packages().is_empty());
    }
}
