//! The npm registry: a package's document and its versions' optional
//! dependencies, read, kept in the cache and read back (what `npm install`
//! on the target makes of them is [`super::npm_install`]'s).
//!
//! The abbreviated document (`application/vnd.npm.install-v1+json`) is asked
//! for; a registry may answer with the full document instead (a superset),
//! and both are read the same way.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ecosystem::npm::{is_linux_variant_name, is_musl_variant_name};
use crate::model::Version;

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
    pub(super) installed: Option<Manifest>,
    /// Final versions after the installed one, in version-string order.
    pub(super) later: Vec<(String, Manifest)>,
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
pub(super) fn is_exact(spec: &str) -> bool {
    let version = spec.trim().trim_start_matches('=').trim_start_matches('v');
    let release = version.split(['-', '+']).next().unwrap_or(version);
    version.starts_with(|c: char| c.is_ascii_digit())
        && release.split('.').count() == 3
        && release
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
        && !version.contains(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '|'))
}

pub(super) fn exact_version(spec: &str) -> &str {
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

fn is_final(version: &str) -> bool {
    !version.is_empty() && version.chars().all(|c| c.is_ascii_digit() || c == '.')
}
#[cfg(test)]
pub(super) mod tests {
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

    pub(in crate::index) fn manifest(json: &str) -> Manifest {
        serde_json::from_str(json).unwrap()
    }

    /// A served document, kept as the cache keeps it.
    pub(in crate::index) fn kept(served: &str) -> Vec<u8> {
        compact(served.as_bytes()).unwrap()
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
