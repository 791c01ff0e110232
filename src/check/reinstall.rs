//! The second question: if the same pinned versions are installed *on* the
//! target, is there a musl build, or will pip compile (or fail)?

use crate::ecosystem::known::{FirstMusl, KnownPackage, known_package, known_package_in};
use crate::ecosystem::npm::{LockVariant, NativeSource, PackageJson};
use crate::ecosystem::python_lock::{LockedPackage, has_musllinux_wheel, has_native_wheels};
use crate::model::{Arch, Code, Ecosystem, Evidence, Finding, Reinstall};

/// The reinstall answer for an npm package with platform-variant packages.
pub fn assess_npm_variants(variant: &LockVariant, source: &str) -> (Reinstall, Vec<Finding>) {
    let evidence = || Evidence::PlatformPackages {
        lockfile: source.to_string(),
        declared: variant.declared.clone(),
        musl_declared: variant.musl_declared.clone(),
        musl_locked: variant.musl_locked.clone(),
    };
    if !variant.split_by_libc {
        // One Linux build for both libcs (often static, like esbuild's Go binary):
        // the installed files' own verdicts answer.
        return (Reinstall::Unknown, Vec::new());
    }
    if variant.musl_declared.is_empty() {
        let finding = Finding::new(
            Code::NoMuslBuild,
            format!(
                "{} {} declares Linux platform packages ({}) but none for musl",
                variant.parent,
                variant.version,
                variant.declared.join(", ")
            ),
            evidence(),
        )
        .with_remedy("upgrade to a version that publishes a -musl platform package, or stay on a glibc base image");
        return (Reinstall::NoMuslBuild, vec![finding]);
    }
    if variant.musl_locked.is_empty() {
        let finding = Finding::new(
            Code::MuslVariantNotLocked,
            format!(
                "{} {} declares {} but {source} does not record {it}: `npm ci` on Alpine will not install {it}",
                variant.parent,
                variant.version,
                variant.musl_declared.join(", "),
                it = if variant.musl_declared.len() == 1 {
                    "it"
                } else {
                    "them"
                },
            ),
            evidence(),
        );
        return (Reinstall::MuslBuildNotLocked, vec![finding]);
    }
    (Reinstall::MuslBuild, Vec::new())
}

/// pip's name for an architecture in platform tags.
pub fn pip_arch(arch: Arch) -> &'static str {
    match arch {
        Arch::Armv7 => "armv7l",
        other => other.as_str(),
    }
}

pub fn assess_locked(
    package: &LockedPackage,
    arch: Arch,
    source: &str,
) -> (Reinstall, Vec<Finding>) {
    let known = known_package(&package.name);
    let arch_name = pip_arch(arch);
    let remedy = |fallback: &str| match known {
        Some(k) if !k.remedy.is_empty() => format!("{} (sources: {})", k.remedy, k.sources),
        _ => fallback.to_string(),
    };
    let generic = "pip will compile it from the sdist: `apk add build-base python3-dev` plus the -dev packages of the libraries it links; or upgrade to a version with musllinux wheels";
    let evidence = |detail: String| Evidence::LockedWheels {
        lockfile: source.to_string(),
        wanted: format!("musllinux_*_{arch_name}"),
        detail,
    };
    if package.lists_files {
        if !has_native_wheels(package) {
            return (Reinstall::NotNative, Vec::new());
        }
        if has_musllinux_wheel(package, arch_name) {
            return (Reinstall::MuslBuild, Vec::new());
        }
        let tags: Vec<String> = package
            .wheels
            .iter()
            .flat_map(|w| w.platform_tags.iter().map(ToString::to_string))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let listed = format!(
            "{source} lists {} wheel(s): {}",
            package.wheels.len(),
            tags.join(", ")
        );
        let no_wheel = Finding::new(
            Code::NoMusllinuxWheel,
            format!(
                "{} {} has no musllinux wheel for {arch_name} in {source}",
                package.name, package.version
            ),
            evidence(listed.clone()),
        );
        let build = source_build_finding(package, known, evidence(listed), remedy(generic));
        return (Reinstall::SourceBuild, vec![no_wheel, build]);
    }
    match known.map(|k| (k, k.lacks_musl_build(&package.version))) {
        Some((_, Some(false))) => (Reinstall::MuslBuild, Vec::new()),
        Some((k, Some(true))) => {
            let detail = match &k.first_musl {
                FirstMusl::Version(first) => {
                    format!("first version with a musl build: {first} (known-problem table)")
                }
                _ => "no musl build for any version (known-problem table)".to_string(),
            };
            let finding = source_build_finding(package, Some(k), evidence(detail), remedy(generic));
            (Reinstall::SourceBuild, vec![finding])
        }
        _ => (Reinstall::Unknown, Vec::new()),
    }
}

fn source_build_finding(
    package: &LockedPackage,
    known: Option<&KnownPackage>,
    evidence: Evidence,
    remedy: String,
) -> Finding {
    let upgrade = match known.map(|k| &k.first_musl) {
        Some(FirstMusl::Version(first)) => format!("; musllinux wheels from {first}"),
        _ => String::new(),
    };
    Finding::new(
        Code::NoMuslBuild,
        format!(
            "{} {}: no musl build, so pip on Alpine compiles it from source{upgrade}",
            package.name, package.version
        ),
        evidence,
    )
    .with_remedy(remedy)
}

/// The reinstall answer for an installed npm package with native code.
pub fn assess_npm_install(
    manifest: &PackageJson,
    source: &NativeSource,
) -> (Reinstall, Vec<Finding>) {
    let package = format!("{} {}", manifest.name, manifest.version);
    match source {
        NativeSource::MuslPrebuild(_) | NativeSource::UntaggedPrebuild(_) => {
            (Reinstall::MuslBuild, Vec::new())
        }
        NativeSource::Downloaded {
            how,
            falls_back_to_compiling,
        } => {
            let mut findings = vec![Finding::new(
                Code::DownloadedAtInstall,
                format!(
                    "{package} downloads its binary at install time ({how}); on Alpine it asks for a musl build{}",
                    if *falls_back_to_compiling {
                        " and compiles from source if there is none"
                    } else {
                        ""
                    }
                ),
                Evidence::InstallScript {
                    script: how.clone(),
                },
            )];
            if *falls_back_to_compiling {
                findings.push(needs_build_tools(&package));
            }
            (Reinstall::Unknown, findings)
        }
        NativeSource::Compiled => (Reinstall::SourceBuild, vec![needs_build_tools(&package)]),
    }
}

fn needs_build_tools(package: &str) -> Finding {
    Finding::new(
        Code::NeedsBuildTools,
        format!(
            "{package} compiles with node-gyp on Alpine when no musl binary is at hand: `apk add python3 make g++`"
        ),
        Evidence::BuildTools {
            builder: "node-gyp".to_string(),
            detail: "binding.gyp: node-gyp rebuild at install".to_string(),
        },
    )
}

/// What the known-problem table says of an installed npm package version.
pub fn npm_known_problem(manifest: &PackageJson) -> Option<Finding> {
    let known = known_package_in(Ecosystem::Npm, &manifest.name)?;
    if known.lacks_musl_build(&manifest.version) != Some(true) {
        return None;
    }
    let since = match &known.first_musl {
        FirstMusl::Version(first) => format!("; musl builds from {first}"),
        _ => "; no version has one".to_string(),
    };
    Some(
        Finding::new(
            Code::NoMuslBuild,
            format!(
                "{} {}: no musl build for this version{since} (known-problem table)",
                manifest.name, manifest.version
            ),
            Evidence::KnownProblem {
                first_musl: known.first_version().map(str::to_string),
                sources: known.sources.clone(),
            },
        )
        .with_remedy(known.remedy.clone()),
    )
}
