//! The npm registry: a package's document, its versions' optional
//! dependencies, and which of those are platform packages for musl.
//!
//! The abbreviated document (`application/vnd.npm.install-v1+json`) is asked
//! for; a registry may answer with the full document instead (a superset),
//! and both are read the same way.

use super::Verdict;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ecosystem::npm::{is_linux_variant_name, is_musl_variant_name};
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

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct Document {
    #[serde(default)]
    pub versions: BTreeMap<String, Manifest>,
    #[serde(default, rename = "dist-tags")]
    pub dist_tags: BTreeMap<String, String>,
}

/// One version's manifest, as far as muslcheck reads it.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct Manifest {
    #[serde(
        default,
        rename = "optionalDependencies",
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

/// The document as muslcheck keeps it (in its cache): each version's
/// optional dependencies and platform fields, and the dist-tags (next's
/// 21 MB abbreviated document keeps 0.95 MB).
/// `None` when `document` is not a package document.
pub fn compact(document: &[u8]) -> Option<Vec<u8>> {
    let document: Document = serde_json::from_slice(document).ok()?;
    serde_json::to_vec(&document).ok()
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
            Ok(Some(vec![one.to_string()]))
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut many = Vec::new();
            let mut all_strings = true;
            while let Some(entry) = seq.next_element::<serde_json::Value>()? {
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

/// The version of a platform package an optional dependency names: the exact
/// version when the spec is one (`1.7.0`, `=1.7.0`), else the newest the
/// document tags `latest`.
pub fn resolve<'d>(document: &'d Document, spec: &str) -> Option<(&'d str, &'d Manifest)> {
    let exact = spec.trim().trim_start_matches(['=', 'v', '^', '~']);
    if let Some((version, manifest)) = document.versions.get_key_value(exact) {
        return Some((version.as_str(), manifest));
    }
    let latest = document.dist_tags.get("latest")?;
    document
        .versions
        .get_key_value(latest)
        .map(|(v, m)| (v.as_str(), m))
}

/// The optional dependencies worth looking up for `version` and every later
/// version (to find the first with a musl build), at most
/// [`PLATFORM_PACKAGES_CAP`].
pub fn optional_dependencies(document: &Document, version: &str) -> BTreeSet<String> {
    let pinned = Version::release(version);
    let mut names = BTreeSet::new();
    let mut add = |manifest: &Manifest| {
        for name in manifest.optional_dependencies.keys() {
            if names.len() < PLATFORM_PACKAGES_CAP {
                names.insert(name.clone());
            }
        }
    };
    if let Some(manifest) = document.versions.get(version) {
        add(manifest);
    }
    for (other, manifest) in &document.versions {
        if is_final(other) && Version::release(other) > pinned {
            add(manifest);
        }
    }
    names
}

fn is_final(version: &str) -> bool {
    !version.is_empty() && version.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// What `npm install` on the target does with `version`: install a musl
/// platform package, or none fits. `None` when the version declares no
/// platform package (or one for any libc): the files decide.
/// `platform_documents` holds the documents of its optional dependencies
/// that could be had.
pub fn decide(
    document: &Document,
    version: &str,
    platform_documents: &BTreeMap<String, Document>,
    cpu: &str,
) -> Option<Verdict> {
    let manifest = document.versions.get(version)?;
    let fits = |manifest: &Manifest| -> Vec<(String, Fit)> {
        manifest
            .optional_dependencies
            .iter()
            .filter_map(|(name, spec)| {
                let document = platform_documents.get(name)?;
                let (resolved, dependency) = resolve(document, spec)?;
                fit(name, dependency, cpu).map(|fit| (format!("{name}@{resolved}"), fit))
            })
            .collect()
    };
    let pinned = fits(manifest);
    if pinned.is_empty() {
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
    let pinned_release = Version::release(version);
    let first_musl_version = document
        .versions
        .iter()
        .filter(|(other, _)| is_final(other) && Version::release(other) > pinned_release)
        .filter(|(_, later)| fits(later).iter().any(|(_, fit)| *fit == Fit::Musl))
        .map(|(other, _)| other)
        .min_by(|a, b| Version::release(a).cmp(&Version::release(b)))
        .cloned();
    let declared = if glibc.is_empty() {
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_version_without_a_musl_package_names_the_first_later_one_with_one() {
        let parent: Document = serde_json::from_str(
            r#"{"dist-tags":{"latest":"2.0.0"},"versions":{
                "1.0.0":{"optionalDependencies":{"x-linux-x64-gnu":"1.0.0"}},
                "1.1.0-rc.1":{"optionalDependencies":{"x-linux-x64-gnu":"1.1.0-rc.1","x-linux-x64-musl":"1.1.0-rc.1"}},
                "1.2.0":{"optionalDependencies":{"x-linux-x64-gnu":"1.2.0","x-linux-x64-musl":"1.2.0"}},
                "2.0.0":{"optionalDependencies":{"x-linux-x64-gnu":"2.0.0","x-linux-x64-musl":"2.0.0"}}}}"#,
        )
        .unwrap();
        let platform = |libc: &str, versions: &[&str]| -> Document {
            let entries: Vec<String> = versions
                .iter()
                .map(|v| format!(r#""{v}":{{"os":["linux"],"cpu":["x64"],"libc":["{libc}"]}}"#))
                .collect();
            serde_json::from_str(&format!(r#"{{"versions":{{{}}}}}"#, entries.join(","))).unwrap()
        };
        let documents = BTreeMap::from([
            (
                "x-linux-x64-gnu".to_string(),
                platform("glibc", &["1.0.0", "1.1.0-rc.1", "1.2.0", "2.0.0"]),
            ),
            (
                "x-linux-x64-musl".to_string(),
                platform("musl", &["1.1.0-rc.1", "1.2.0", "2.0.0"]),
            ),
        ]);
        assert_eq!(
            optional_dependencies(&parent, "1.0.0").len(),
            2,
            "later versions' platform packages are looked up too"
        );
        let verdict = decide(&parent, "1.0.0", &documents, "x64").unwrap();
        assert_eq!(verdict.reinstall, Reinstall::NoMuslBuild);
        assert_eq!(verdict.first_musl_version.as_deref(), Some("1.2.0"));
        assert!(
            verdict.detail.contains("x-linux-x64-gnu@1.0.0"),
            "{}",
            verdict.detail
        );
        let newer = decide(&parent, "1.2.0", &documents, "x64").unwrap();
        assert_eq!(newer.build.as_deref(), Some("x-linux-x64-musl@1.2.0"));
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
    fn scoped_names_escape_their_slash() {
        assert_eq!(
            document_url("https://registry.npmjs.org/", "@swc/core"),
            "https://registry.npmjs.org/@swc%2fcore"
        );
    }
}
