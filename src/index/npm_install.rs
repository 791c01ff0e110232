//! What `npm install` on the target does with a package the registry's
//! documents describe: which of its platform packages fits (linux, the
//! target's cpu, musl), and so whether a reinstall gets a musl build.

use std::collections::{BTreeMap, HashSet};

use super::Verdict;
use super::npm::{Manifest, PlatformVersions, Releases, exact_version, is_exact};
use crate::ecosystem::npm::{is_linux_variant_name, is_musl_variant_name, own_platform_packages};
use crate::ecosystem::npm_lock::is_platform_package;
use crate::model::{Reinstall, Version};

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
    use super::super::npm::Kept;
    use super::super::npm::tests::{kept, manifest};
    use super::*;

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
}
