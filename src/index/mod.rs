//! The package index: for every package of the report with native files or
//! a lockfile entry, what installing its pinned version on the target gives,
//! asked of PyPI's simple API and the npm registry.
//!
//! Only package names are sent (one document per project holds every
//! version). Documents are cached on disk for a day; offline, or once the
//! network has failed, the cache answers whatever its age, and a package the
//! cache cannot answer has no index answer (the local answers decide).

mod dns;
mod fetch;
pub mod npm;
pub mod pypi;
pub mod sources;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::check::reinstall::pip_arch;
use crate::config::{IndexLookups, IndexOptions};
use crate::ecosystem::npm::npm_cpu;
use crate::model::{
    AnswerSource, Artifact, ArtifactKind, Ecosystem, IndexMode, IndexSummary, Package, Reinstall,
    ReinstallAnswer,
};
use crate::platform::Platform;

pub use fetch::{Fetched, RESPONSE_CAP, shown_url};

/// Alpine packages every build from an sdist needs: a C toolchain and the
/// Python headers.
const SDIST_BUILD_PACKAGES: [&str; 2] = ["build-base", "python3-dev"];

/// At most this many packages are asked about in one scan, and at most this
/// many platform package documents fetched: a generated lockfile of
/// thousands of native packages must not mean thousands of requests.
const MAX_PACKAGES: usize = 1000;

/// What the index is asked about.
pub struct Asked<'a> {
    /// The report's artifacts: ELF files and lockfile entries name their packages.
    pub artifacts: &'a [Artifact],
    /// The CPython minor version installed distributions were built for
    /// (their `WHEEL` files' tags).
    pub installed_python: &'a BTreeMap<Package, u32>,
    /// The scanned paths (a project's `.npmrc` names its registry).
    pub roots: &'a [PathBuf],
}

/// The index's answer for every package it can answer, and what the lookups did.
pub fn answers(
    asked_about: &Asked,
    platform: &Platform,
    options: &IndexOptions,
) -> (Vec<(Package, ReinstallAnswer)>, IndexSummary) {
    let roots = asked_about.roots;
    let online = match options.lookups {
        IndexLookups::Off => return (Vec::new(), IndexSummary::default()),
        IndexLookups::CacheOnly => false,
        IndexLookups::Online => true,
    };
    let mut asked = packages_to_ask(asked_about.artifacts, asked_about.installed_python);
    let found = asked.len();
    while asked.len() > MAX_PACKAGES {
        asked.pop_last();
    }
    let mut summary = IndexSummary {
        mode: if online {
            IndexMode::Online
        } else {
            IndexMode::Offline
        },
        asked: asked.len(),
        ..IndexSummary::default()
    };
    if asked.is_empty() {
        return (Vec::new(), summary);
    }
    let timeout = options
        .timeout
        .or_else(timeout_from_environment)
        .unwrap_or(fetch::DEFAULT_TIMEOUT);
    let cache_dir = options.cache_dir.clone().or_else(sources::cache_dir);
    let fetcher = fetch::Fetcher::new(online, cache_dir, timeout);
    let pypi_index = options.pypi_url.clone().unwrap_or_else(sources::pypi_index);
    let npm_registry = options
        .npm_url
        .clone()
        .unwrap_or_else(|| sources::npm_registry(roots));

    let mut answers = Vec::new();
    let python: Vec<(&Package, Option<u32>)> = asked
        .iter()
        .filter(|(package, _)| package.ecosystem == Ecosystem::Pypi)
        .map(|(package, minor)| (package, *minor))
        .collect();
    let npm: Vec<&Package> = asked
        .keys()
        .filter(|package| package.ecosystem == Ecosystem::Npm)
        .collect();
    let mut first_round: Vec<(String, &'static str)> = python
        .iter()
        .map(|(package, _)| (pypi::project_url(&pypi_index, &package.name), pypi::ACCEPT))
        .chain(
            npm.iter()
                .map(|package| (npm::document_url(&npm_registry, &package.name), npm::ACCEPT)),
        )
        .collect();
    first_round.sort();
    first_round.dedup();
    let documents = fetcher.get_all(&first_round);

    let accepts = |python_minor| pypi::Accepts {
        arch: pip_arch(platform.arch).to_string(),
        musl_minor: musl_minor(platform),
        python_minor: options.python_minor.or(python_minor),
    };
    for (package, python_minor) in python {
        let url = pypi::project_url(&pypi_index, &package.name);
        let Some(project) = parse::<pypi::Project>(documents.get(&url)) else {
            continue;
        };
        if let Some(verdict) = pypi::decide(&project, &package.version, &accepts(python_minor)) {
            let build_packages = if verdict.reinstall == Reinstall::SourceBuild {
                SDIST_BUILD_PACKAGES
                    .iter()
                    .map(ToString::to_string)
                    .collect()
            } else {
                Vec::new()
            };
            answers.push((
                package.clone(),
                ReinstallAnswer {
                    reinstall: verdict.reinstall,
                    detail: verdict.detail,
                    source: AnswerSource::Index {
                        url: shown_url(&url),
                    },
                    build: verdict.build,
                    first_musl_version: verdict.first_musl_version,
                    build_packages,
                },
            ));
        }
    }

    let cpu = npm_cpu(platform.arch);
    let parsed: Vec<(&Package, String, npm::Document)> = npm
        .iter()
        .filter_map(|package| {
            let url = npm::document_url(&npm_registry, &package.name);
            let document = parse::<npm::Document>(documents.get(&url))?;
            Some((*package, url, document))
        })
        .collect();
    let wanted: BTreeSet<String> = parsed
        .iter()
        .flat_map(|(package, _, document)| npm::optional_dependencies(document, &package.version))
        .collect();
    let second_round: Vec<(String, &'static str)> = wanted
        .iter()
        .take(MAX_PACKAGES)
        .map(|name| (npm::document_url(&npm_registry, name), npm::ACCEPT))
        .collect();
    let platform_fetched = fetcher.get_all(&second_round);
    let platform_documents: BTreeMap<String, npm::Document> = wanted
        .into_iter()
        .filter_map(|name| {
            let url = npm::document_url(&npm_registry, &name);
            parse::<npm::Document>(platform_fetched.get(&url)).map(|document| (name, document))
        })
        .collect();
    for (package, url, document) in &parsed {
        if let Some(verdict) = npm::decide(document, &package.version, &platform_documents, cpu) {
            answers.push((
                (*package).clone(),
                ReinstallAnswer {
                    reinstall: verdict.reinstall,
                    detail: verdict.detail,
                    source: AnswerSource::Index {
                        url: shown_url(url),
                    },
                    build: verdict.build,
                    first_musl_version: verdict.first_musl_version,
                    build_packages: Vec::new(),
                },
            ));
        }
    }

    summary.answered = answers.len();
    summary.fetched = fetcher.fetched.load(Ordering::Relaxed);
    summary.from_cache = fetcher.from_cache.load(Ordering::Relaxed);
    summary.failed = fetcher.failed.load(Ordering::Relaxed);
    if fetcher.degraded() {
        summary.mode = IndexMode::Degraded;
    }
    summary.reason = fetcher.reason();
    if found > MAX_PACKAGES {
        let limit = format!("asked about the first {MAX_PACKAGES} of {found} packages");
        summary.reason = Some(match summary.reason {
            Some(reason) => format!("{limit}; {reason}"),
            None => limit,
        });
    }
    (answers, summary)
}

/// `MUSLCHECK_INDEX_TIMEOUT`: seconds for one whole request.
fn timeout_from_environment() -> Option<Duration> {
    let seconds: f64 = std::env::var("MUSLCHECK_INDEX_TIMEOUT")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (seconds.is_finite() && seconds > 0.0).then(|| Duration::from_secs_f64(seconds.min(3600.0)))
}

fn parse<T: serde::de::DeserializeOwned>(fetched: Option<&Fetched>) -> Option<T> {
    match fetched? {
        Fetched::Document(bytes) => serde_json::from_slice(bytes).ok(),
        Fetched::NotFound | Fetched::Failed => None,
    }
}

/// musl 1.x's minor version on the target: musllinux_1_X wheels up to it install.
fn musl_minor(platform: &Platform) -> u32 {
    platform
        .musl_version()
        .map_or("1.2", |v| v.as_str())
        .split('.')
        .nth(1)
        .and_then(|minor| minor.parse().ok())
        .unwrap_or(2)
}

/// The packages worth asking about: owners of ELF files and lockfile or
/// manifest entries, of PyPI and npm; with, for PyPI, the CPython minor
/// version its `WHEEL` file or its extension modules say it was built for
/// (else the one most of the report's modules were built for).
fn packages_to_ask(
    artifacts: &[Artifact],
    installed_python: &BTreeMap<Package, u32>,
) -> BTreeMap<Package, Option<u32>> {
    let mut packages: BTreeMap<Package, BTreeMap<u32, usize>> = BTreeMap::new();
    let mut everywhere: BTreeMap<u32, usize> = BTreeMap::new();
    for minor in installed_python.values() {
        *everywhere.entry(*minor).or_default() += 1;
    }
    for artifact in artifacts {
        let Some(package) = &artifact.package else {
            continue;
        };
        if !matches!(package.ecosystem, Ecosystem::Pypi | Ecosystem::Npm)
            || package.version.is_empty()
        {
            continue;
        }
        let minors = match &artifact.kind {
            ArtifactKind::Elf { .. } => packages.entry(package.clone()).or_default(),
            ArtifactKind::Package { .. } => packages.entry(package.clone()).or_default(),
            _ => continue,
        };
        if let Some(minor) = cpython_minor(artifact.path.as_str()) {
            *minors.entry(minor).or_default() += 1;
            *everywhere.entry(minor).or_default() += 1;
        }
    }
    let most = |counts: &BTreeMap<u32, usize>| {
        counts
            .iter()
            .max_by_key(|(minor, count)| (**count, **minor))
            .map(|(minor, _)| *minor)
    };
    let fallback = most(&everywhere);
    packages
        .into_iter()
        .map(|(package, minors)| {
            let minor = match package.ecosystem {
                Ecosystem::Pypi => installed_python
                    .get(&package)
                    .copied()
                    .or_else(|| most(&minors))
                    .or(fallback),
                _ => None,
            };
            (package, minor)
        })
        .collect()
}

/// `11` for an extension module named `x.cpython-311-x86_64-linux-gnu.so`,
/// or for any file under `lib/python3.11/site-packages/`.
fn cpython_minor(path: &str) -> Option<u32> {
    let name = path.rsplit('/').next()?;
    let digits = |tag: &str| -> Option<u32> {
        let digits: String = tag.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    if let Some((_, tag)) = name.split_once(".cpython-3") {
        return digits(tag);
    }
    path.split('/')
        .find_map(|component| component.strip_prefix("python3."))
        .and_then(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_suffixes_give_the_python_minor() {
        assert_eq!(
            cpython_minor("venv/lib/numpy/core/_multiarray.cpython-311-x86_64-linux-gnu.so"),
            Some(11)
        );
        assert_eq!(
            cpython_minor("a/_x.cpython-39-x86_64-linux-gnu.so"),
            Some(9)
        );
        assert_eq!(cpython_minor("a/_x.abi3.so"), None);
        assert_eq!(
            cpython_minor("venv/lib/python3.12/site-packages/bcrypt/_bcrypt.abi3.so"),
            Some(12)
        );
    }
}
