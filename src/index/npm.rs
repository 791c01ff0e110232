//! The npm registry: a package's document, its versions' optional
//! dependencies, and which of those are platform packages for musl.
//!
//! The abbreviated document (`application/vnd.npm.install-v1+json`) is asked
//! for; a registry may answer with the full document instead (a superset),
//! and both are read the same way.

use super::Verdict;
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use crate::ecosystem::npm::{is_linux_variant_name, is_musl_variant_name, own_platform_packages};
use crate::ecosystem::npm_lock::is_platform_package;
use crate::model::{Reinstall, Version};

pub const ACCEPT: &str = "application/vnd.npm.install-v1+json";

/// At most this many platform packages are looked up for one package.
pub const PLATFORM_PACKAGES_CAP: usize = 64;

/// The URL of a package's document: scoped names keep their `@` and escape
/// the `/` (`@swc%2fcore`), as npm itself asks.
pub fn document_url(registry: &str, name: &str) -> String {
    format!(
        "{}/{}",
        registry.trim_end_matches('/'),
        name.replace('/', "%2f")
    )
}

/// A document as served (abbreviated or full), read once to be kept.
#[derive(Debug, Default, Deserialize)]
struct Served {
    #[serde(default, deserialize_with = "versions")]
    versions: BTreeMap<String, Manifest>,
    /// The version tagged `latest` (the other tags are not kept).
    #[serde(default, rename = "dist-tags", deserialize_with = "latest_tag")]
    latest: Option<String>,
}

/// Most that [`compact`] keeps of one document while reading it: the
/// bytes of its versions, optional dependencies and platform lists, each
/// counted with [`ENTRY_COST`] more. next's 21 MB document keeps under
/// 1 MB; a registry's 60 MB answer of one version with five million
/// optional dependencies held 4 GB across eight lookups at once.
const MAX_KEPT: u64 = 16 * 1024 * 1024;
/// What one kept entry costs besides its text: its `String`s and map slot.
const ENTRY_COST: u64 = 64;

thread_local! {
    /// What the document being read by [`compact`] on this thread may
    /// still keep; unbounded elsewhere (a kept document's manifests were
    /// bounded when it was kept).
    static KEPT_LEFT: Cell<u64> = const { Cell::new(u64::MAX) };
}

/// Counts `bytes` of text kept against [`MAX_KEPT`]: an error once over.
fn keep<E: serde::de::Error>(bytes: usize) -> Result<(), E> {
    KEPT_LEFT.with(|left| {
        let cost = (bytes as u64).saturating_add(ENTRY_COST);
        match left.get().checked_sub(cost) {
            Some(rest) => {
                left.set(rest);
                Ok(())
            }
            None => Err(E::custom(format!(
                "keeps more than {} MiB of versions and platform fields",
                MAX_KEPT / (1024 * 1024)
            ))),
        }
    })
}

/// The `versions` map, each version counted by [`keep`].
fn versions<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, Manifest>, D::Error> {
    struct Versions;
    impl<'de> serde::de::Visitor<'de> for Versions {
        type Value = BTreeMap<String, Manifest>;

        fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
            formatter.write_str("a map of versions")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut versions = BTreeMap::new();
            while let Some(version) = map.next_key::<String>()? {
                keep::<A::Error>(version.len())?;
                versions.insert(version, map.next_value()?);
            }
            Ok(versions)
        }
    }
    deserializer.deserialize_map(Versions)
}

/// `optionalDependencies`, each entry counted by [`keep`].
fn dependencies<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    struct Dependencies;
    impl<'de> serde::de::Visitor<'de> for Dependencies {
        type Value = BTreeMap<String, String>;

        fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
            formatter.write_str("a map of package names to version specs")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut dependencies = BTreeMap::new();
            while let Some((name, spec)) = map.next_entry::<String, String>()? {
                keep::<A::Error>(name.len() + spec.len())?;
                dependencies.insert(name, spec);
            }
            Ok(dependencies)
        }
    }
    deserializer.deserialize_map(Dependencies)
}

/// The `latest` tag of `dist-tags`; the other tags are skipped unread.
fn latest_tag<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    struct Latest;
    impl<'de> serde::de::Visitor<'de> for Latest {
        type Value = Option<String>;

        fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
            formatter.write_str("a map of tags to versions")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut latest = None;
            while let Some(tag) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if tag == "latest" {
                    latest = Some(map.next_value::<String>()?);
                } else {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            Ok(latest)
        }
    }
    deserializer.deserialize_map(Latest)
}

/// One version's manifest, as far as muslcheck reads it.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct Manifest {
    #[serde(
        default,
        rename = "optionalDependencies",
        deserialize_with = "dependencies",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub optional_dependencies: BTreeMap<String, String>,
    #[serde(
        default,
        deserialize_with = "strings",
        skip_serializing_if = "Option::is_none"
    )]
    pub os: Option<Vec<String>>,
    #[serde(
        default,
        deserialize_with = "strings",
        skip_serializing_if = "Option::is_none"
    )]
    pub cpu: Option<Vec<String>>,
    #[serde(
        default,
        deserialize_with = "strings",
        skip_serializing_if = "Option::is_none"
    )]
    pub libc: Option<Vec<String>>,
}

/// The first line of a kept document; the version tagged `latest` follows.
const LATEST: &str = "latest\t";

/// The document as muslcheck keeps it (in its cache), as lines: the version
/// tagged `latest`, then each version and its manifest as JSON (optional
/// dependencies and platform fields), in version-string order. A reader
/// parses the few manifests it needs: next's 21 MB abbreviated document
/// keeps 0.95 MB: 2,600 versions, of which a scan parses the installed one
/// and the later final releases (417 finals in all).
/// `None` when `document` is not a package document.
/// A document that would keep more than [`MAX_KEPT`] is none.
pub fn compact(document: &[u8]) -> Option<Vec<u8>> {
    KEPT_LEFT.with(|left| left.set(MAX_KEPT));
    let served = serde_json::from_slice::<Served>(document);
    KEPT_LEFT.with(|left| left.set(u64::MAX));
    let served = served.ok()?;
    let mut kept = Vec::with_capacity(document.len().min(MAX_KEPT as usize) / 8);
    kept.extend_from_slice(LATEST.as_bytes());
    if let Some(latest) = served.latest.as_deref().filter(|v| fits_a_line(v)) {
        kept.extend_from_slice(latest.as_bytes());
    }
    kept.push(b'\n');
    // A version with a line break or tab is no version npm installs: not kept.
    for (version, manifest) in served.versions.iter().filter(|(v, _)| fits_a_line(v)) {
        kept.extend_from_slice(version.as_bytes());
        kept.push(b'\t');
        // Compact JSON: line breaks inside strings are escaped.
        serde_json::to_writer(&mut kept, manifest).ok()?;
        kept.push(b'\n');
    }
    Some(kept)
}

fn fits_a_line(text: &str) -> bool {
    !text.is_empty() && !text.contains(['\n', '\r', '\t'])
}

/// A document as [`compact`] keeps it: versions borrowed, each manifest
/// parsed only when asked for.
#[derive(Debug)]
pub struct Kept<'a> {
    latest: Option<&'a str>,
    /// (version, manifest as JSON), sorted by version string.
    versions: Vec<(&'a str, &'a str)>,
}

impl<'a> Kept<'a> {
    /// `None` when `kept` is not a kept document.
    pub fn read(kept: &'a [u8]) -> Option<Kept<'a>> {
        let mut lines = std::str::from_utf8(kept).ok()?.lines();
        let latest = lines.next()?.strip_prefix(LATEST)?;
        let mut versions: Vec<(&str, &str)> =
            lines.filter_map(|line| line.split_once('\t')).collect();
        // Written sorted; a file edited by hand is sorted here, first line
        // of a version kept, so that lookups can bisect.
        if !versions.is_sorted_by(|a, b| a.0 < b.0) {
            versions.sort_by(|a, b| a.0.cmp(b.0));
            versions.dedup_by(|later, first| later.0 == first.0);
        }
        Some(Kept {
            latest: (!latest.is_empty()).then_some(latest),
            versions,
        })
    }

    /// `version`'s manifest; `None` when the document has no such version
    /// (or its line is not a manifest).
    fn manifest(&self, version: &str) -> Option<Manifest> {
        let at = self
            .versions
            .binary_search_by(|(other, _)| (*other).cmp(version))
            .ok()?;
        let (_, json) = self.versions.get(at)?;
        serde_json::from_str(json).ok()
    }
}

/// What muslcheck reads of an installed package's document: the installed
/// version's manifest and every later final version's (to name the first
/// with a musl build).
#[derive(Debug, Default)]
pub struct Releases {
    installed: Option<Manifest>,
    /// Final versions after the installed one, in version-string order.
    later: Vec<(String, Manifest)>,
}

impl Releases {
    pub fn of(document: &Kept, installed: &str) -> Releases {
        let later = document
            .versions
            .iter()
            .filter(|(other, _)| {
                is_final(other) && Version::compare_releases(other, installed).is_gt()
            })
            .filter_map(|(other, json)| Some((other.to_string(), serde_json::from_str(json).ok()?)))
            .collect();
        Releases {
            installed: document.manifest(installed),
            later,
        }
    }

    /// Whether the document has the installed version: one without it was
    /// cached before that release.
    pub fn lists_installed(&self) -> bool {
        self.installed.is_some()
    }

    fn manifests(&self) -> impl Iterator<Item = &Manifest> {
        self.installed
            .iter()
            .chain(self.later.iter().map(|(_, manifest)| manifest))
    }

    /// The optional dependencies worth looking up: the installed version's,
    /// then later versions' (to find the first with a musl build), at most
    /// [`PLATFORM_PACKAGES_CAP`].
    /// The installed version's Linux platform packages for `cpu` that are
    /// its glibc ones: the others, when it also declares a musl one
    /// (opencode-ai's `opencode-linux-x64` beside `opencode-linux-x64-musl`).
    pub fn glibc_variants(&self, cpu: &str) -> Vec<&str> {
        let Some(manifest) = &self.installed else {
            return Vec::new();
        };
        let linux: Vec<&str> = manifest
            .optional_dependencies
            .keys()
            .map(String::as_str)
            .filter(|name| is_linux_variant_name(name, cpu))
            .collect();
        if !linux.iter().any(|name| is_musl_variant_name(name, cpu)) {
            return Vec::new();
        }
        linux
            .into_iter()
            .filter(|name| !is_musl_variant_name(name, cpu))
            .collect()
    }

    pub fn optional_dependencies(&self) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        for name in self
            .manifests()
            .flat_map(|manifest| manifest.optional_dependencies.keys())
        {
            if names.len() < PLATFORM_PACKAGES_CAP {
                names.insert(name.clone());
            }
        }
        names
    }

    /// Every (optional dependency, version spec) these releases name.
    pub fn specs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.manifests().flat_map(|manifest| {
            manifest
                .optional_dependencies
                .iter()
                .map(|(name, spec)| (name.as_str(), spec.as_str()))
        })
    }
}

/// What muslcheck reads of a platform package's document: the versions
/// the scan's packages ask for, and the one tagged `latest`.
#[derive(Debug, Default)]
pub struct PlatformVersions {
    named: BTreeMap<String, Manifest>,
    latest: Option<(String, Manifest)>,
}

impl PlatformVersions {
    pub fn of<'s>(document: &Kept, specs: impl IntoIterator<Item = &'s str>) -> PlatformVersions {
        let named = specs
            .into_iter()
            .filter_map(|spec| {
                let version = exact_version(spec);
                Some((version.to_string(), document.manifest(version)?))
            })
            .collect();
        let latest = document
            .latest
            .and_then(|version| Some((version.to_string(), document.manifest(version)?)));
        PlatformVersions { named, latest }
    }

    /// The version an optional dependency's spec names: the exact version
    /// when the spec is one (`1.7.0`, `=1.7.0`), and none when the registry
    /// does not have it (npm then installs nothing for it); for a range,
    /// the version it names if published, else the one tagged `latest`.
    pub fn resolve(&self, spec: &str) -> Option<(&str, &Manifest)> {
        let named = self.named.get_key_value(exact_version(spec));
        let found = if is_exact(spec) {
            named
        } else {
            named.or(self
                .latest
                .as_ref()
                .map(|(version, manifest)| (version, manifest)))
        };
        found.map(|(version, manifest)| (version.as_str(), manifest))
    }
}

/// Whether `spec` names one version (`0.158.0`, `=1.2.3-rc.1`), not a range.
fn is_exact(spec: &str) -> bool {
    let version = spec.trim().trim_start_matches('=').trim_start_matches('v');
    let release = version.split(['-', '+']).next().unwrap_or(version);
    version.starts_with(|c: char| c.is_ascii_digit())
        && release.split('.').count() == 3
        && release
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
        && !version.contains(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '|'))
}

fn exact_version(spec: &str) -> &str {
    spec.trim().trim_start_matches(['=', 'v', '^', '~'])
}

/// A list of strings, or one string (as some manifests write `"os": "linux"`);
/// anything else is no list. A visitor, not an untagged enum: serde buffers
/// every value of an untagged enum first, and a busy package's document has
/// thousands of versions, each with these three fields.
fn strings<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<String>>, D::Error> {
    struct Strings;
    impl<'de> serde::de::Visitor<'de> for Strings {
        type Value = Option<Vec<String>>;

        fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
            formatter.write_str("a string or a list of strings")
        }

        fn visit_str<E: serde::de::Error>(self, one: &str) -> Result<Self::Value, E> {
            keep::<E>(one.len())?;
            Ok(Some(vec![one.to_string()]))
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut many = Vec::new();
            let mut all_strings = true;
            while let Some(entry) = seq.next_element::<serde_json::Value>()? {
                keep::<A::Error>(entry.as_str().map_or(0, str::len))?;
                match entry {
                    serde_json::Value::String(text) => many.push(text),
                    _ => all_strings = false,
                }
            }
            Ok(all_strings.then_some(many))
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            while map
                .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                .is_some()
            {}
            Ok(None)
        }

        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    deserializer.deserialize_any(Strings)
}

/// Whether a list field (`os`, `cpu`, `libc`) admits `value`: absent admits
/// everything; `!value` excludes it.
fn admits(list: Option<&Vec<String>>, value: &str) -> bool {
    let Some(list) = list else { return true };
    if list
        .iter()
        .any(|entry| entry.strip_prefix('!') == Some(value))
    {
        return false;
    }
    let positive: Vec<&String> = list.iter().filter(|e| !e.starts_with('!')).collect();
    positive.is_empty() || positive.iter().any(|entry| *entry == value)
}

/// What a platform package is built for, as far as the target cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Linux, the target's cpu, musl (its `libc`, or its name when it has none).
    Musl,
    /// Linux and the target's cpu, glibc only.
    Glibc,
    /// Linux and the target's cpu, no libc said either way: npm installs it
    /// on musl too; whether it loads is for the files to tell.
    AnyLibc,
    /// Another system or cpu.
    Elsewhere,
}

/// How a platform package's version fits the target; `None` when it is not a
/// platform package (no `os`, `cpu` or `libc`).
pub fn fit(name: &str, manifest: &Manifest, cpu: &str) -> Option<Fit> {
    if manifest.os.is_none() && manifest.cpu.is_none() && manifest.libc.is_none() {
        return None;
    }
    if !admits(manifest.os.as_ref(), "linux") || !admits(manifest.cpu.as_ref(), cpu) {
        return Some(Fit::Elsewhere);
    }
    Some(match &manifest.libc {
        Some(_) if admits(manifest.libc.as_ref(), "musl") => Fit::Musl,
        Some(_) => Fit::Glibc,
        None if is_musl_variant_name(name, cpu) => Fit::Musl,
        None if is_linux_variant_name(name, cpu)
            && (name.contains("gnu") || name.contains("glibc")) =>
        {
            Fit::Glibc
        }
        None => Fit::AnyLibc,
    })
}

fn is_final(version: &str) -> bool {
    !version.is_empty() && version.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// What `npm install` on the target does with the installed version: install
/// a musl platform package, or none fits. `None` when the version declares
/// no platform package (or one for any libc): the files decide.
/// `platform_documents` holds what was read of its optional dependencies'
/// documents that could be had.
pub fn decide(
    name: &str,
    releases: &Releases,
    platform_documents: &BTreeMap<String, PlatformVersions>,
    cpu: &str,
) -> Option<Verdict> {
    let manifest = releases.installed.as_ref()?;
    fn own<'m>(name: &str, manifest: &'m Manifest) -> HashSet<&'m str> {
        own_platform_packages(
            name,
            manifest.optional_dependencies.keys().map(String::as_str),
        )
    }
    let own_installed = own(name, manifest);
    // The musl platform package pinned to a version the registry lacks
    // (oxc-transform 0.158.0's binding stops at 0.152.0): npm skips it.
    let unpublished_musl: Vec<String> = manifest
        .optional_dependencies
        .iter()
        .filter(|(dependency, _)| own_installed.contains(dependency.as_str()))
        .filter(|(name, spec)| {
            is_musl_variant_name(name, cpu)
                && is_exact(spec)
                && platform_documents
                    .get(*name)
                    .is_some_and(|versions| versions.resolve(spec).is_none())
        })
        .map(|(name, spec)| format!("{name}@{}", exact_version(spec)))
        .collect();
    let fits = |manifest: &Manifest| -> Vec<(String, Fit)> {
        let own = own(name, manifest);
        manifest
            .optional_dependencies
            .iter()
            .filter(|(dependency, _)| own.contains(dependency.as_str()))
            .filter_map(|(name, spec)| {
                let (resolved, dependency) = platform_documents.get(name)?.resolve(spec)?;
                fit(name, dependency, cpu).map(|fit| (format!("{name}@{resolved}"), fit))
            })
            .collect()
    };
    let pinned = fits(manifest);
    if pinned.is_empty() && unpublished_musl.is_empty() {
        return None;
    }
    if let Some((build, _)) = pinned.iter().find(|(_, fit)| *fit == Fit::Musl) {
        return Some(Verdict {
            reinstall: Reinstall::MuslBuild,
            build: Some(build.clone()),
            first_musl_version: None,
            detail: format!("npm installs the platform package {build} (linux, {cpu}, musl)"),
        });
    }
    if pinned.iter().any(|(_, fit)| *fit == Fit::AnyLibc) {
        return None;
    }
    let glibc: Vec<&str> = pinned
        .iter()
        .filter(|(_, fit)| *fit == Fit::Glibc)
        .map(|(name, _)| name.as_str())
        .collect();
    let first_musl_version = releases
        .later
        .iter()
        .filter(|(_, later)| fits(later).iter().any(|(_, fit)| *fit == Fit::Musl))
        .map(|(other, _)| other)
        .min_by(|a, b| Version::compare_releases(a, b))
        .cloned();
    let declared = if !unpublished_musl.is_empty() {
        format!(
            "{}, which the registry does not have",
            unpublished_musl.join(", ")
        )
    } else if glibc.is_empty() {
        format!("{} platform package(s), none for linux {cpu}", pinned.len())
    } else {
        format!("for linux {cpu} only glibc builds ({})", glibc.join(", "))
    };
    Some(Verdict {
        reinstall: Reinstall::NoMuslBuild,
        build: None,
        first_musl_version,
        detail: format!("declares {declared}: npm on musl installs no native build"),
    })
}

/// What `npm install` on musl does with an installed platform package that
/// names no libc (its `os` and `cpu` say linux and the target's cpu): it
/// installs the same package again, whose files then decide
/// (sqlite-vec-linux-x64 0.1.9 holds a glibc `vec0.so`; lefthook-linux-x64's
/// static Go program loads anywhere). `None` for any other package: one
/// that names only its systems (`os`) may compile at install.
pub fn installs_itself(
    name: &str,
    version: &str,
    releases: &Releases,
    cpu: &str,
) -> Option<Verdict> {
    let manifest = releases.installed.as_ref()?;
    // One platform's build, not a parent naming the systems it supports
    // (opencode-ai: darwin, linux, win32; arm64, x64).
    let platform_package = match (&manifest.os, &manifest.cpu) {
        (Some(os), Some(cpu)) => is_platform_package(os, cpu),
        _ => false,
    };
    (platform_package && fit(name, manifest, cpu)? == Fit::AnyLibc).then(|| Verdict {
        reinstall: Reinstall::MuslBuild,
        build: Some(format!("{name}@{version}")),
        first_musl_version: None,
        detail: format!(
            "npm on musl installs {name}@{version} again: a platform package for linux {cpu} that names no libc"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A registry's answer of one version with a million optional
    /// dependencies (25 MB) is no document: 60 MB of them held 500 MB
    /// each while read. A busy package's document is kept whole.
    #[test]
    fn a_document_keeping_more_than_the_cap_is_none() {
        let dependencies: Vec<String> = (0..1_000_000).map(|i| format!("\"{i:x}\":\"\"")).collect();
        let hostile = format!(
            "{{\"versions\":{{\"1.0.0\":{{\"optionalDependencies\":{{{}}}}}}}}}",
            dependencies.join(",")
        );
        assert!(compact(hostile.as_bytes()).is_none());
        let tags: Vec<String> = (0..100_000).map(|i| format!("\"t{i}\":\"1\"")).collect();
        let versions: Vec<String> = (0..3_000)
            .map(|i| {
                format!(
                    "\"1.{i}.0\":{{\"optionalDependencies\":{{\"@a/linux-x64\":\"1.{i}.0\",\"@a/linux-x64-musl\":\"1.{i}.0\"}},\"os\":[\"linux\"]}}"
                )
            })
            .collect();
        let busy = format!(
            "{{\"dist-tags\":{{{},\"latest\":\"1.2.0\"}},\"versions\":{{{}}}}}",
            tags.join(","),
            versions.join(",")
        );
        let kept = compact(busy.as_bytes()).unwrap();
        let document = Kept::read(&kept).unwrap();
        assert_eq!(document.latest, Some("1.2.0"));
        assert_eq!(document.versions.len(), 3_000);
        assert_eq!(
            document
                .manifest("1.7.0")
                .unwrap()
                .optional_dependencies
                .len(),
            2
        );
    }

    fn manifest(json: &str) -> Manifest {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn platform_packages_fit_by_libc_then_by_name() {
        let musl = manifest(r#"{"os":["linux"],"cpu":["x64"],"libc":["musl"]}"#);
        assert_eq!(fit("@x/y-linux-x64-musl", &musl, "x64"), Some(Fit::Musl));
        assert_eq!(
            fit("@x/y-linux-x64-musl", &musl, "arm64"),
            Some(Fit::Elsewhere)
        );
        let glibc = manifest(r#"{"os":["linux"],"cpu":["x64"],"libc":["glibc"]}"#);
        assert_eq!(fit("@x/y-linux-x64-gnu", &glibc, "x64"), Some(Fit::Glibc));
        let unsaid = manifest(r#"{"os":["linux"],"cpu":["x64"]}"#);
        assert_eq!(fit("@x/y-linux-x64-musl", &unsaid, "x64"), Some(Fit::Musl));
        assert_eq!(fit("@x/y-linux-x64-gnu", &unsaid, "x64"), Some(Fit::Glibc));
        assert_eq!(
            fit("@esbuild/linux-x64", &unsaid, "x64"),
            Some(Fit::AnyLibc)
        );
        let darwin = manifest(r#"{"os":"darwin","cpu":["x64"]}"#);
        assert_eq!(fit("@x/y-darwin-x64", &darwin, "x64"), Some(Fit::Elsewhere));
        assert_eq!(fit("lodash", &manifest("{}"), "x64"), None);
        let not_windows = manifest(r#"{"os":["!win32"]}"#);
        assert_eq!(fit("a", &not_windows, "x64"), Some(Fit::AnyLibc));
    }

    /// A served document, kept as the cache keeps it.
    fn kept(served: &str) -> Vec<u8> {
        compact(served.as_bytes()).unwrap()
    }

    #[test]
    fn a_version_without_a_musl_package_names_the_first_later_one_with_one() {
        let parent = kept(
            r#"{"dist-tags":{"latest":"2.0.0"},"versions":{
                "1.0.0":{"optionalDependencies":{"x-linux-x64-gnu":"1.0.0"}},
                "1.1.0-rc.1":{"optionalDependencies":{"x-linux-x64-gnu":"1.1.0-rc.1","x-linux-x64-musl":"1.1.0-rc.1"}},
                "1.2.0":{"optionalDependencies":{"x-linux-x64-gnu":"1.2.0","x-linux-x64-musl":"1.2.0"}},
                "2.0.0":{"optionalDependencies":{"x-linux-x64-gnu":"2.0.0","x-linux-x64-musl":"2.0.0"}}}}"#,
        );
        let parent = Kept::read(&parent).unwrap();
        let platform = |libc: &str, versions: &[&str], releases: &Releases| {
            let entries: Vec<String> = versions
                .iter()
                .map(|v| format!(r#""{v}":{{"os":["linux"],"cpu":["x64"],"libc":["{libc}"]}}"#))
                .collect();
            let document = kept(&format!(r#"{{"versions":{{{}}}}}"#, entries.join(",")));
            let specs: Vec<&str> = releases.specs().map(|(_, spec)| spec).collect();
            PlatformVersions::of(&Kept::read(&document).unwrap(), specs)
        };
        let documents = |releases: &Releases| {
            BTreeMap::from([
                (
                    "x-linux-x64-gnu".to_string(),
                    platform(
                        "glibc",
                        &["1.0.0", "1.1.0-rc.1", "1.2.0", "2.0.0"],
                        releases,
                    ),
                ),
                (
                    "x-linux-x64-musl".to_string(),
                    platform("musl", &["1.1.0-rc.1", "1.2.0", "2.0.0"], releases),
                ),
            ])
        };
        let old = Releases::of(&parent, "1.0.0");
        assert_eq!(
            old.optional_dependencies().len(),
            2,
            "later versions' platform packages are looked up too"
        );
        let verdict = decide("x", &old, &documents(&old), "x64").unwrap();
        assert_eq!(verdict.reinstall, Reinstall::NoMuslBuild);
        assert_eq!(verdict.first_musl_version.as_deref(), Some("1.2.0"));
        assert!(
            verdict.detail.contains("x-linux-x64-gnu@1.0.0"),
            "{}",
            verdict.detail
        );
        let newer = Releases::of(&parent, "1.2.0");
        let newer = decide("x", &newer, &documents(&newer), "x64").unwrap();
        assert_eq!(newer.build.as_deref(), Some("x-linux-x64-musl@1.2.0"));
        // A version the document does not have is not judged.
        let unknown = Releases::of(&parent, "9.9.9");
        assert!(decide("x", &unknown, &documents(&unknown), "x64").is_none());
    }

    /// oxc-transform 0.158.0 pins `@oxc-transform/binding-linux-x64-musl`
    /// to 0.158.0, which the registry does not have (its latest is 0.152.0):
    /// npm installs no binding, not the latest one.
    #[test]
    fn a_musl_package_pinned_to_an_unpublished_version_is_no_musl_build() {
        let parent = kept(
            r#"{"dist-tags":{"latest":"0.158.0"},"versions":{
                "0.152.0":{"optionalDependencies":{"b-linux-x64-gnu":"0.152.0","b-linux-x64-musl":"0.152.0"}},
                "0.158.0":{"optionalDependencies":{"b-linux-x64-gnu":"0.158.0","b-linux-x64-musl":"0.158.0"}}}}"#,
        );
        let parent = Kept::read(&parent).unwrap();
        let document = |libc: &str, versions: &[&str], latest: &str, specs: &[&str]| {
            let entries: Vec<String> = versions
                .iter()
                .map(|v| format!(r#""{v}":{{"os":["linux"],"cpu":["x64"],"libc":["{libc}"]}}"#))
                .collect();
            let served = format!(
                r#"{{"dist-tags":{{"latest":"{latest}"}},"versions":{{{}}}}}"#,
                entries.join(",")
            );
            PlatformVersions::of(&Kept::read(&kept(&served)).unwrap(), specs.iter().copied())
        };
        let releases = Releases::of(&parent, "0.158.0");
        let specs: Vec<&str> = releases.specs().map(|(_, spec)| spec).collect();
        let documents = BTreeMap::from([
            (
                "b-linux-x64-gnu".to_string(),
                document("glibc", &["0.152.0", "0.158.0"], "0.158.0", &specs),
            ),
            (
                "b-linux-x64-musl".to_string(),
                document("musl", &["0.152.0"], "0.152.0", &specs),
            ),
        ]);
        let verdict = decide("b", &releases, &documents, "x64").unwrap();
        assert_eq!(verdict.reinstall, Reinstall::NoMuslBuild, "{verdict:?}");
        assert!(
            verdict
                .detail
                .contains("b-linux-x64-musl@0.158.0, which the registry does not have"),
            "{}",
            verdict.detail
        );
        // A range still takes the latest the registry has.
        let musl = &documents["b-linux-x64-musl"];
        assert_eq!(musl.resolve("^0.150.0").map(|(v, _)| v), Some("0.152.0"));
        assert_eq!(musl.resolve("0.158.0").map(|(v, _)| v), None);
        assert_eq!(musl.resolve("=0.158.0").map(|(v, _)| v), None);
    }

    #[test]
    fn a_kept_document_is_one_line_per_version_and_read_back_whatever_its_order() {
        let document = kept(
            r#"{"dist-tags":{"latest":"1.2.0","next":"2.0.0-rc.1"},"versions":{
                "1.2.0":{"os":"linux","cpu":["x64"],"description":"dropped"},
                "1.0.0":{},
                "bad\tversion":{"os":["linux"]},
                "2.0.0-rc.1":{"optionalDependencies":{"a\nb":"1"}}}}"#,
        );
        let text = String::from_utf8(document.clone()).unwrap();
        assert_eq!(
            text,
            "latest\t1.2.0\n1.0.0\t{}\n1.2.0\t{\"os\":[\"linux\"],\"cpu\":[\"x64\"]}\n\
             2.0.0-rc.1\t{\"optionalDependencies\":{\"a\\nb\":\"1\"}}\n"
        );
        // Lines out of order (a file edited by hand) are sorted; the first of
        // a repeated version counts.
        let shuffled = "latest\t\n2.0.0\t{\"os\":[\"linux\"]}\n1.0.0\t{\"cpu\":[\"x64\"]}\n\
                        2.0.0\t{\"os\":[\"darwin\"]}\nno tab here\n";
        let read = Kept::read(shuffled.as_bytes()).unwrap();
        assert_eq!(read.latest, None);
        assert_eq!(
            read.manifest("2.0.0").unwrap().os,
            Some(vec!["linux".to_string()])
        );
        assert_eq!(
            read.manifest("1.0.0").unwrap().cpu,
            Some(vec!["x64".to_string()])
        );
        assert!(read.manifest("3.0.0").is_none());
        // Not a kept document: a served one, or bytes that are not text.
        assert!(Kept::read(br#"{"versions":{}}"#).is_none());
        assert!(Kept::read(b"latest\t1.0\n\xff\n").is_none());
        assert!(compact(b"latest\t1.0\n").is_none());
    }

    #[test]
    fn a_platform_package_range_resolves_to_latest_and_an_exact_version_to_itself() {
        let document = kept(
            r#"{"dist-tags":{"latest":"1.3.0"},"versions":{
                "1.2.0":{"libc":["glibc"]},"1.3.0":{"libc":["musl"]}}}"#,
        );
        let document = Kept::read(&document).unwrap();
        let versions = PlatformVersions::of(&document, ["=1.2.0", "^1.0.0", "9.0.0"]);
        assert_eq!(versions.resolve("=1.2.0").unwrap().0, "1.2.0");
        assert_eq!(versions.resolve(" v1.2.0 ").unwrap().0, "1.2.0");
        assert_eq!(versions.resolve("^1.0.0").unwrap().0, "1.3.0");
        // An exact version the registry lacks: npm installs nothing for it.
        assert!(versions.resolve("9.0.0").is_none());
        let no_latest = kept(r#"{"versions":{"1.2.0":{}}}"#);
        let no_latest = PlatformVersions::of(&Kept::read(&no_latest).unwrap(), ["^1"]);
        assert!(no_latest.resolve("^1").is_none());
    }

    #[test]
    fn platform_fields_are_a_list_or_one_string_and_anything_else_is_none() {
        let cases = [
            (
                r#"{"os":["linux","!win32"]}"#,
                Some(vec!["linux", "!win32"]),
            ),
            (r#"{"os":"linux"}"#, Some(vec!["linux"])),
            (r#"{"os":[]}"#, Some(vec![])),
            (r#"{"os":["linux",3]}"#, None),
            (r#"{"os":{"linux":true}}"#, None),
            (r#"{"os":7}"#, None),
            (r#"{"os":null}"#, None),
            (r#"{"os":true}"#, None),
            (r#"{}"#, None),
        ];
        for (json, expected) in cases {
            let parsed = manifest(json);
            let expected: Option<Vec<String>> =
                expected.map(|list| list.into_iter().map(String::from).collect());
            assert_eq!(parsed.os, expected, "{json}");
        }
        // The fields after a skipped value are still read.
        let after = manifest(r#"{"os":{"a":[1,{"b":2}]},"cpu":"x64","libc":["musl"]}"#);
        assert_eq!(after.cpu, Some(vec!["x64".to_string()]));
        assert_eq!(after.libc, Some(vec!["musl".to_string()]));
    }

    #[test]
    fn only_a_platform_package_naming_no_libc_installs_itself_again() {
        let releases = |json: &str| Releases {
            installed: Some(manifest(json)),
            later: Vec::new(),
        };
        let any_libc = releases(r#"{"os":["linux"],"cpu":["x64"]}"#);
        let verdict = installs_itself("vec-linux-x64", "1.0.0", &any_libc, "x64").unwrap();
        assert_eq!(verdict.reinstall, Reinstall::MuslBuild);
        assert_eq!(verdict.build.as_deref(), Some("vec-linux-x64@1.0.0"));
        assert_eq!(
            installs_itself("vec-linux-x64", "1.0.0", &any_libc, "arm64"),
            None
        );
        for json in [
            r#"{"os":["linux"],"cpu":["x64"],"libc":["glibc"]}"#,
            r#"{"os":["linux"],"cpu":["x64"],"libc":["musl"]}"#,
            r#"{"os":["darwin"],"cpu":["x64"]}"#,
            r#"{"os":["linux","darwin","win32"]}"#,
            // A parent naming the systems it supports (opencode-ai 1.18).
            r#"{"os":["darwin","linux","win32"],"cpu":["arm64","x64"]}"#,
            r#"{"optionalDependencies":{"vec-linux-x64":"1.0.0"}}"#,
        ] {
            assert_eq!(
                installs_itself("vec", "1.0.0", &releases(json), "x64"),
                None,
                "{json}"
            );
        }
    }

    #[test]
    fn beside_a_musl_variant_the_others_are_glibc_variants() {
        let releases = |json: &str| Releases {
            installed: Some(manifest(json)),
            later: Vec::new(),
        };
        let both = releases(
            r#"{"optionalDependencies":{"oc-linux-x64":"1.0.0","oc-linux-x64-musl":"1.0.0",
                "oc-linux-x64-baseline":"1.0.0","oc-linux-arm64":"1.0.0","oc-darwin-x64":"1.0.0"}}"#,
        );
        assert_eq!(
            both.glibc_variants("x64"),
            ["oc-linux-x64", "oc-linux-x64-baseline"]
        );
        assert!(
            both.glibc_variants("arm64").is_empty(),
            "no musl one for arm64"
        );
        let one = releases(r#"{"optionalDependencies":{"esb-linux-x64":"1.0.0"}}"#);
        assert!(one.glibc_variants("x64").is_empty());
    }

    #[test]
    fn scoped_names_escape_their_slash() {
        assert_eq!(
            document_url("https://registry.npmjs.org/", "@swc/core"),
            "https://registry.npmjs.org/@swc%2fcore"
        );
    }
}
