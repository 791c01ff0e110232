//! The package index: for every package of the report with native files or
//! a lockfile entry, what installing its pinned version on the target gives,
//! asked of PyPI's simple API and the npm registry.
//!
//! Only package names are sent (one document per project holds every
//! version). Documents are cached on disk for a day; offline, or once the
//! network has failed, the cache answers whatever its age, and a package the
//! cache cannot answer has no index answer (the local answers decide).

mod cache;
mod dns;
mod fetch;
pub mod npm;
pub mod npm_install;
pub mod pypi;
pub mod sources;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rayon::prelude::*;

use crate::check::reinstall::{build_packages_on, pip_arch};
use crate::config::{IndexLookups, IndexOptions};
use crate::ecosystem::known::known_package;
use crate::ecosystem::npm::npm_cpu;
use crate::ecosystem::python::{InstalledWheel, cpython_minor};
use crate::model::{
    AnswerSource, Artifact, ArtifactKind, Ecosystem, IndexMode, IndexSummary, Package, Reinstall,
    ReinstallAnswer,
};
use crate::platform::{LoaderKind, Platform};
use pypi::WheelLibc;

pub use fetch::{Fetched, RESPONSE_CAP, shown_url};

/// At most this many packages are asked about in one scan, and at most this
/// many platform package documents fetched: a generated lockfile of
/// thousands of native packages must not mean thousands of requests.
const MAX_PACKAGES: usize = 1000;

/// What the index is asked about.
pub struct Asked<'a> {
    /// The packages of the report's ELF files and lockfile entries.
    pub subjects: &'a [Subject<'a>],
    /// The wheels installed distributions came from (their `WHEEL` files'
    /// tags): the CPython they were built for, and whether the index's
    /// choice is that very wheel.
    pub installed_wheels: &'a BTreeMap<Package, InstalledWheel>,
    /// The scanned paths (a project's `.npmrc` names its registry).
    pub roots: &'a [PathBuf],
}

/// A package the report names, at one of its paths: an ELF file of the
/// package, or its lockfile (or installed-distribution) entry.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub package: &'a Package,
    /// The file's path in the report: an extension module's name says
    /// which CPython it was built for.
    pub path: &'a str,
}

impl<'a> Subject<'a> {
    /// The subjects among a report's artifacts.
    pub fn of_artifacts(artifacts: &'a [Artifact]) -> Vec<Subject<'a>> {
        artifacts
            .iter()
            .filter(|artifact| {
                matches!(
                    artifact.kind,
                    ArtifactKind::Elf { .. } | ArtifactKind::Package { .. }
                )
            })
            .filter_map(|artifact| {
                Some(Subject {
                    package: artifact.package.as_ref()?,
                    path: artifact.path.as_str(),
                })
            })
            .collect()
    }
}

/// The index's answer for every package it can answer, and what the lookups did.
pub fn answers(
    asked_about: &Asked,
    platform: &Platform,
    options: &IndexOptions,
) -> (Vec<(Package, ReinstallAnswer)>, IndexSummary) {
    look_up(asked_about, options).answers(platform)
}

/// What the index said of a scan's packages: fetched and parsed once, then
/// judged for each target (a matrix asks nothing twice).
#[derive(Default)]
pub struct Lookup {
    python: Vec<PythonDocument>,
    npm: Vec<NpmDocument>,
    /// What was read of the npm platform packages the documents name, by
    /// package name.
    npm_platform_documents: BTreeMap<String, npm::PlatformVersions>,
    /// `python_minor` of the options, over what the installed files say.
    python_minor: Option<u32>,
    summary: IndexSummary,
}

struct PythonDocument {
    package: Package,
    python_minor: Option<u32>,
    /// The wheel the package is installed from, when it is.
    installed: Option<InstalledWheel>,
    url: String,
    page: pypi::Page,
}

struct NpmDocument {
    package: Package,
    url: String,
    releases: npm::Releases,
}

/// Asks the index (or its cache) about the packages of `asked_about`.
pub fn look_up(asked_about: &Asked, options: &IndexOptions) -> Lookup {
    let online = match options.lookups {
        IndexLookups::Off => return Lookup::default(),
        IndexLookups::CacheOnly => false,
        IndexLookups::Online => true,
    };
    let mut asked = packages_to_ask(asked_about.subjects, asked_about.installed_wheels);
    let found = asked.len();
    while asked.len() > MAX_PACKAGES {
        asked.pop_last();
    }
    let mut lookup = Lookup {
        python_minor: options.python_minor,
        summary: IndexSummary {
            mode: if online {
                IndexMode::Online
            } else {
                IndexMode::Offline
            },
            asked: asked.len(),
            ..IndexSummary::default()
        },
        ..Lookup::default()
    };
    if asked.is_empty() {
        return lookup;
    }
    let timeout = options
        .timeout
        .or_else(timeout_from_environment)
        .unwrap_or(fetch::DEFAULT_TIMEOUT);
    let cache_dir = options.cache_dir.clone().or_else(sources::cache_dir);
    let total = options
        .total_timeout
        .unwrap_or_else(|| fetch::DEFAULT_TOTAL_TIMEOUT.max(timeout));
    let fetcher = fetch::Fetcher::new(online, cache_dir, (timeout, total));
    let pypi_index = options.pypi_url.clone().unwrap_or_else(sources::pypi_index);
    let npm_registry = options
        .npm_url
        .clone()
        .unwrap_or_else(|| sources::npm_registry(asked_about.roots, options.project_npmrc));

    let pypi_request = |name: &str| fetch::Request {
        url: pypi::project_url(&pypi_index, name),
        accept: pypi::ACCEPT,
        compact: pypi::compact,
    };
    // A PyPI page's digest for the pinned version, when the cached page it
    // was made from is still the one to use: the page is then not read
    // (the venv's eight pages are 1.9 MB of file names).
    let mut digests: HashMap<Package, pypi::Page> = asked
        .keys()
        .filter(|package| package.ecosystem == Ecosystem::Pypi)
        .filter_map(|package| {
            let digest = fetcher.cached_digest(&pypi_request(&package.name), &package.version)?;
            Some((package.clone(), pypi::Page::from_digest(digest)?))
        })
        .collect();
    let mut first_round: Vec<fetch::Request> = asked
        .keys()
        .filter(|package| !digests.contains_key(package))
        .filter_map(|package| match package.ecosystem {
            Ecosystem::Pypi => Some(pypi_request(&package.name)),
            Ecosystem::Npm => Some(npm_request(&npm_registry, &package.name)),
            _ => None,
        })
        .collect();
    first_round.sort_by(|a, b| a.url.cmp(&b.url));
    first_round.dedup_by(|a, b| a.url == b.url);
    // A page answered by digests alone counts once, as its document would.
    let digested_pages: BTreeSet<String> = digests
        .keys()
        .map(|package| pypi_request(&package.name).url)
        .filter(|url| !first_round.iter().any(|request| &request.url == url))
        .collect();
    fetcher
        .from_cache
        .fetch_add(digested_pages.len(), Ordering::Relaxed);
    let documents = fetcher.get_all(&first_round);
    // Each document is read on its own (a busy project's page names
    // thousands of files): in parallel, in the order asked.
    let asked: Vec<(Package, Option<u32>, Option<pypi::Page>)> = asked
        .into_iter()
        .map(|(package, python_minor)| {
            let digested = digests.remove(&package);
            (package, python_minor, digested)
        })
        .collect();
    let read: Vec<Read> = asked
        .into_par_iter()
        .filter_map(
            |(package, python_minor, digested)| match package.ecosystem {
                Ecosystem::Pypi => {
                    let request = pypi_request(&package.name);
                    let page = match digested {
                        Some(page) => page,
                        None => {
                            let body = document(&documents, &request.url)?;
                            let page = pypi::Page::of(
                                pypi::Project::read(body)?,
                                &package.name,
                                &package.version,
                            );
                            fetcher.keep_digest(&request, &package.version, body, &page.digest());
                            page
                        }
                    };
                    let url = request.url;
                    let installed = asked_about.installed_wheels.get(&package).cloned();
                    Some(Read::Python(PythonDocument {
                        package,
                        python_minor,
                        installed,
                        url,
                        page,
                    }))
                }
                Ecosystem::Npm => {
                    let url = npm::document_url(&npm_registry, &package.name);
                    let document = document(&documents, &url).and_then(npm::Kept::read)?;
                    let releases = npm::Releases::of(&document, &package.version);
                    Some(Read::Npm(NpmDocument {
                        package,
                        url,
                        releases,
                    }))
                }
                _ => None,
            },
        )
        .collect();
    for document in read {
        match document {
            Read::Python(python) => lookup.python.push(python),
            Read::Npm(npm) => lookup.npm.push(npm),
        }
    }
    // A document the cache still counts fresh but that lacks the version
    // installed or pinned was cached before that release: asked again.
    let outdated: Vec<fetch::Request> = lookup
        .python
        .iter()
        .filter(|python| !pypi::lists_version(&python.page))
        .map(|python| pypi_request(&python.package.name))
        .chain(
            lookup
                .npm
                .iter()
                .filter(|npm| !npm.releases.lists_installed())
                .map(|npm| npm_request(&npm_registry, &npm.package.name)),
        )
        .collect();
    if !outdated.is_empty() {
        let refreshed = fetcher.refresh(&outdated);
        for python in lookup
            .python
            .iter_mut()
            .filter(|python| !pypi::lists_version(&python.page))
        {
            let request = pypi_request(&python.package.name);
            let Some(body) = document(&refreshed, &request.url) else {
                continue;
            };
            let Some(project) = pypi::Project::read(body) else {
                continue;
            };
            python.page = pypi::Page::of(project, &python.package.name, &python.package.version);
            fetcher.keep_digest(
                &request,
                &python.package.version,
                body,
                &python.page.digest(),
            );
        }
        for npm in lookup
            .npm
            .iter_mut()
            .filter(|npm| !npm.releases.lists_installed())
        {
            if let Some(document) = document(&refreshed, &npm.url).and_then(npm::Kept::read) {
                npm.releases = npm::Releases::of(&document, &npm.package.version);
            }
        }
    }
    // The platform packages to look up, each with the version specs that
    // any package's releases name for it.
    let mut wanted: BTreeMap<String, BTreeSet<&str>> = lookup
        .npm
        .iter()
        .flat_map(|npm| npm.releases.optional_dependencies())
        .map(|name| (name, BTreeSet::new()))
        .collect();
    for (name, spec) in lookup.npm.iter().flat_map(|npm| npm.releases.specs()) {
        if let Some(specs) = wanted.get_mut(name) {
            specs.insert(spec);
        }
    }
    let second_round: Vec<fetch::Request> = wanted
        .keys()
        .take(MAX_PACKAGES)
        .map(|name| npm_request(&npm_registry, name))
        .collect();
    let platform_fetched = fetcher.get_all(&second_round);
    let platform_documents: BTreeMap<String, npm::PlatformVersions> = wanted
        .into_par_iter()
        .filter_map(|(name, specs)| {
            let url = npm::document_url(&npm_registry, &name);
            let document = document(&platform_fetched, &url).and_then(npm::Kept::read)?;
            Some((name, npm::PlatformVersions::of(&document, specs)))
        })
        .collect();
    lookup.npm_platform_documents = platform_documents;

    let summary = &mut lookup.summary;
    summary.fetched = fetcher.fetched.load(Ordering::Relaxed);
    summary.from_cache = fetcher.from_cache.load(Ordering::Relaxed);
    summary.failed = fetcher.failed.load(Ordering::Relaxed);
    if fetcher.degraded() {
        summary.mode = IndexMode::Degraded;
    }
    summary.reason = fetcher.reason();
    if found > MAX_PACKAGES {
        let limit = format!("asked about the first {MAX_PACKAGES} of {found} packages");
        summary.reason = Some(match summary.reason.take() {
            Some(reason) => format!("{limit}; {reason}"),
            None => limit,
        });
    }
    lookup
}

impl Lookup {
    /// What reinstalling each package on `platform` gives, by the documents.
    pub fn answers(&self, platform: &Platform) -> (Vec<(Package, ReinstallAnswer)>, IndexSummary) {
        let mut answers = Vec::new();
        // An image without a C library runs no pip or npm; on glibc, npm
        // installs the same platform package as here: its files decide.
        let (wheel_libc, npm_answers) = match platform.loader_kind() {
            LoaderKind::Musl => (
                Some(WheelLibc::Musl {
                    minor: musl_minor(platform),
                }),
                true,
            ),
            LoaderKind::Glibc => (
                platform
                    .manylinux_minor()
                    .map(|minor| WheelLibc::Glibc { minor }),
                false,
            ),
            LoaderKind::None => (None, false),
        };
        let accepts = |python_minor: Option<u32>, libc| pypi::Accepts {
            arch: pip_arch(platform.arch).to_string(),
            libc,
            python_minor: self.python_minor.or(python_minor),
        };
        let python = self.python.iter().filter_map(|p| Some((p, wheel_libc?)));
        for (python, libc) in python {
            let package = &python.package;
            let Some(verdict) = pypi::decide(&python.page, &accepts(python.python_minor, libc))
            else {
                continue;
            };
            // What building the sdist needs, in the target's package names:
            // the toolchain, and the libraries the known-problem table names.
            let (build_packages, note) = if verdict.reinstall == Reinstall::SourceBuild {
                let alpine =
                    known_package(&package.name).map_or_else(Vec::new, |k| k.build_packages());
                build_packages_on(platform, true, &alpine)
            } else {
                (Vec::new(), None)
            };
            let mut answer = index_answer(verdict, &python.url, build_packages);
            if let Some(note) = note {
                answer.detail = format!("{}; {note}", answer.detail);
            }
            answer.only_an_sdist =
                answer.reinstall == Reinstall::SourceBuild && !pypi::publishes_wheels(&python.page);
            // A wheel whose WHEEL file calls it pure although it holds
            // platform files was retagged: the release's one Linux wheel.
            let arch = pip_arch(platform.arch);
            answer.same_build_as_installed = python
                .installed
                .as_ref()
                .zip(answer.build.as_deref())
                .is_some_and(|(installed, build)| {
                    installed.is(build)
                        || (installed.is_pure()
                            && pypi::only_linux_wheel(&python.page, arch) == Some(build))
                });
            answers.push((package.clone(), answer));
        }
        let cpu = npm_cpu(platform.arch);
        let npm = if npm_answers {
            self.npm.as_slice()
        } else {
            &[]
        };
        // A package another one declares as its glibc build is no answer of
        // its own: that one's loader never requires it on musl.
        let glibc_variants: BTreeSet<&str> = npm
            .iter()
            .flat_map(|npm| npm.releases.glibc_variants(cpu))
            .collect();
        for npm in npm {
            let package = &npm.package;
            let (decided, itself) = match npm_install::decide(
                &package.name,
                &npm.releases,
                &self.npm_platform_documents,
                cpu,
            ) {
                Some(verdict) => (Some(verdict), false),
                None if glibc_variants.contains(package.name.as_str()) => (None, true),
                None => (
                    npm_install::installs_itself(
                        &package.name,
                        &package.version,
                        &npm.releases,
                        cpu,
                    ),
                    true,
                ),
            };
            if let Some(verdict) = decided {
                let mut answer = index_answer(verdict, &npm.url, Vec::new());
                answer.same_build_as_installed = itself;
                answers.push((package.clone(), answer));
            }
        }
        let summary = IndexSummary {
            answered: answers.len(),
            ..self.summary.clone()
        };
        (answers, summary)
    }
}

/// What either index says installing one version on the target gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub reinstall: Reinstall,
    /// The wheel or platform package installed, or the sdist built.
    pub build: Option<String>,
    pub first_musl_version: Option<String>,
    pub detail: String,
}

fn index_answer(decided: Verdict, url: &str, build_packages: Vec<String>) -> ReinstallAnswer {
    let source = AnswerSource::Index {
        url: shown_url(url),
    };
    ReinstallAnswer {
        build: decided.build,
        first_musl_version: decided.first_musl_version,
        build_packages,
        ..ReinstallAnswer::new(decided.reinstall, decided.detail, source)
    }
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

fn npm_request(registry: &str, name: &str) -> fetch::Request {
    fetch::Request {
        url: npm::document_url(registry, name),
        accept: npm::ACCEPT,
        compact: npm::compact,
    }
}

/// One document as read, of either kind.
enum Read {
    Python(PythonDocument),
    Npm(NpmDocument),
}

/// The bytes of a document that was found.
fn document<'d>(documents: &'d HashMap<String, Fetched>, url: &str) -> Option<&'d [u8]> {
    match documents.get(url)? {
        Fetched::Document(bytes) => Some(bytes),
        Fetched::NotFound | Fetched::Failed => None,
    }
}

/// musl 1.x's minor version on the target: musllinux_1_X wheels up to it install.
fn musl_minor(platform: &Platform) -> u32 {
    platform
        .musl_version()
        .map_or(2, |musl| musl.musllinux_minor())
}

/// The packages worth asking about: owners of ELF files and lockfile or
/// manifest entries, of PyPI and npm; with, for PyPI, the CPython minor
/// version its `WHEEL` file or its extension modules say it was built for
/// (else the one most of the report's modules were built for).
fn packages_to_ask(
    subjects: &[Subject],
    installed_wheels: &BTreeMap<Package, InstalledWheel>,
) -> BTreeMap<Package, Option<u32>> {
    let mut packages: BTreeMap<Package, BTreeMap<u32, usize>> = BTreeMap::new();
    let mut everywhere: BTreeMap<u32, usize> = BTreeMap::new();
    for minor in installed_wheels
        .values()
        .filter_map(InstalledWheel::python_minor)
    {
        *everywhere.entry(minor).or_default() += 1;
    }
    for subject in subjects {
        let package = subject.package;
        if !matches!(package.ecosystem, Ecosystem::Pypi | Ecosystem::Npm)
            || package.version.is_empty()
        {
            continue;
        }
        let minors = packages.entry(package.clone()).or_default();
        if let Some(minor) = cpython_minor(subject.path) {
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
                Ecosystem::Pypi => installed_wheels
                    .get(&package)
                    .and_then(InstalledWheel::python_minor)
                    .or_else(|| most(&minors))
                    .or(fallback),
                _ => None,
            };
            (package, minor)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecosystem::known::known_packages;
    use crate::model::Arch;

    #[test]
    fn every_build_package_the_known_table_names_has_a_debian_name() {
        let debian = Platform::new("debian:12-slim".parse().unwrap(), Arch::X86_64, false);
        for known in known_packages() {
            let (_, unnamed) = debian.build_packages_for_alpine(&known.build_packages());
            assert!(unnamed.is_empty(), "{}: {unnamed:?}", known.name);
        }
        let psycopg2 = known_package("psycopg2").unwrap();
        let (packages, note) = build_packages_on(&debian, true, &psycopg2.build_packages());
        assert_eq!(packages, ["build-essential", "python3-dev", "libpq-dev"]);
        assert_eq!(note, None);
        let ubi = Platform::new("ubi9".parse().unwrap(), Arch::X86_64, false);
        let (packages, note) = build_packages_on(&ubi, true, &psycopg2.build_packages());
        assert_eq!(packages, ["gcc", "gcc-c++", "make", "python3-devel"]);
        assert!(note.unwrap().contains("Alpine's postgresql-dev installs"));
    }
}
