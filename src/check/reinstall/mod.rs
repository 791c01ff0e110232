//! The second question: if the same pinned versions are installed *on* the
//! target, is there a musl build, will the installer compile it, or fail?
//! Every answer says where it comes from (the lockfile, the installed
//! package's files, the known-problem table); its findings are the evidence.

use crate::ecosystem::known::{FirstMusl, KnownPackage, WithoutMuslBuild, known_package_in};
use crate::ecosystem::python_lock::{LockedPackage, has_native_wheels, musllinux_wheel};
use crate::model::{
    AnswerSource, Arch, Code, Ecosystem, Evidence, Finding, Package, Reinstall, ReinstallAnswer,
    Version,
};

mod npm;

use crate::platform::Platform;

pub use npm::{
    assess_installed_variants, assess_npm_install, assess_npm_variants, glibc_variant_answer,
    glibc_variant_missing, install_script_answer, installed_again, made_at_install_on_glibc,
    untagged_prebuild, untagged_prebuild_on_glibc,
};

/// A reinstall answer and the findings behind it.
pub type Answered = (ReinstallAnswer, Vec<Finding>);

/// What node-gyp needs on Alpine to compile an addon.
const NODE_GYP_BUILD: [&str; 3] = ["python3", "make", "g++"];
/// What pip needs on Alpine to compile an sdist with C extensions.
const PIP_BUILD: [&str; 2] = ["build-base", "python3-dev"];

fn answer(reinstall: Reinstall, detail: String, source: AnswerSource) -> ReinstallAnswer {
    ReinstallAnswer::new(reinstall, detail, source)
}

/// The build tools of `ecosystem` plus the packages the table names.
fn build_packages(ecosystem: Ecosystem, known: Option<&KnownPackage>) -> Vec<String> {
    let base: &[&str] = match ecosystem {
        Ecosystem::Npm => &NODE_GYP_BUILD,
        _ => &PIP_BUILD,
    };
    let mut packages: Vec<String> = base.iter().map(|p| p.to_string()).collect();
    for extra in known.map(KnownPackage::build_packages).unwrap_or_default() {
        if !packages.contains(&extra) {
            packages.push(extra);
        }
    }
    packages
}

/// What building from source needs on `platform`: its toolchain (with
/// Python's headers when `python`) and `alpine`'s packages (Alpine's names:
/// the known-problem table's, a musl answer's) by the target's names; and,
/// for a detail, those the target has no name for.
pub fn build_packages_on(
    platform: &Platform,
    python: bool,
    alpine: &[String],
) -> (Vec<String>, Option<String>) {
    let mut packages: Vec<String> = platform
        .build_packages(python)
        .iter()
        .map(ToString::to_string)
        .collect();
    let (named, unnamed) = platform.build_packages_for_alpine(alpine);
    for package in named {
        if !packages.contains(&package) {
            packages.push(package);
        }
    }
    let note = (!unnamed.is_empty()).then(|| {
        let (verb, names) = match unnamed.len() {
            1 => ("installs", "name"),
            _ => ("install", "names"),
        };
        format!(
            "the build also needs what Alpine's {} {verb} (the known-problem table's {names}), \
             under this image's own package {names}",
            unnamed.join(" ")
        )
    });
    (packages, note)
}

/// pip's name for an architecture in platform tags.
pub fn pip_arch(arch: Arch) -> &'static str {
    match arch {
        Arch::Armv7 => "armv7l",
        other => other.as_str(),
    }
}

/// The answer for a pinned PyPI package: from the wheel files the lock
/// lists, else from the known-problem table.
pub fn assess_locked(package: &LockedPackage, arch: Arch, source: &str) -> Answered {
    // Pins without files, and sdist-only entries (native or not: the lock
    // cannot tell), are left to the table, then to the package index
    // (`scan::answer_pins`).
    if !package.lists_files || package.wheels.is_empty() {
        return known_answer(Ecosystem::Pypi, &package.name, &package.version).unwrap_or_else(
            || {
                let detail = format!(
                    "{source} pins the version only, and the known-problem table does not list {}",
                    package.name
                );
                let lockfile = AnswerSource::Lockfile {
                    path: source.to_string(),
                };
                (answer(Reinstall::Unknown, detail, lockfile), Vec::new())
            },
        );
    }
    let lockfile = AnswerSource::Lockfile {
        path: source.to_string(),
    };
    let arch_name = pip_arch(arch);
    if !has_native_wheels(package) {
        let detail = format!("{source} lists only pure-Python wheels");
        return (answer(Reinstall::NotNative, detail, lockfile), Vec::new());
    }
    if let Some(wheel) = musllinux_wheel(package, arch_name) {
        let mut musl = answer(
            Reinstall::MuslBuild,
            format!("{source} lists a wheel pip installs on musl"),
            lockfile,
        );
        musl.build = Some(wheel.file_name());
        return (musl, Vec::new());
    }
    let known = known_package_in(Ecosystem::Pypi, &package.name);
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
    let evidence = |detail: String| Evidence::LockedWheels {
        lockfile: source.to_string(),
        wanted: format!("musllinux_*_{arch_name}"),
        detail,
    };
    let no_wheel = Finding::new(
        Code::NoMusllinuxWheel,
        format!(
            "{} {} has no musllinux wheel for {arch_name} in {source}",
            package.name, package.version
        ),
        evidence(listed.clone()),
    );
    // The lock lists every file of the release: whether one is an sdist
    // answers before the table does.
    let no_sdist = WithoutMuslBuild::CannotInstall { until: None };
    let without = if package.lists_sdist {
        &WithoutMuslBuild::SourceBuild
    } else {
        &no_sdist
    };
    let (mut locked, finding) = without_musl_build(
        Ecosystem::Pypi,
        &package.name,
        &package.version,
        known,
        without,
        lockfile,
        evidence(listed),
    );
    locked.first_musl_version = known
        .and_then(|k| k.upgrade_for(&package.version))
        .map(str::to_string);
    (locked, vec![no_wheel, finding])
}

/// What the package index said of a version a lockfile only pins
/// (requirements.txt), when pip on musl gets no wheel for it: MC201, as the
/// known-problem table would say it.
pub fn pinned_without_musl_wheel(
    package: &Package,
    lockfile: &str,
    answer: &ReinstallAnswer,
    arch: Arch,
) -> Option<Finding> {
    if package.ecosystem != Ecosystem::Pypi
        || answer.only_an_sdist
        || !matches!(answer.source, AnswerSource::Index { .. })
        || !matches!(
            answer.reinstall,
            Reinstall::SourceBuild | Reinstall::CannotInstall | Reinstall::NoMuslBuild
        )
    {
        return None;
    }
    let remedy = match answer.reinstall {
        Reinstall::SourceBuild => {
            "pip will compile it from the sdist: `apk add build-base python3-dev` plus the -dev packages of the libraries it links; or upgrade to a version with musllinux wheels"
        }
        _ => "upgrade to a version with musllinux wheels, or keep a glibc base image for it",
    };
    let finding = Finding::new(
        install_code(answer.reinstall),
        format!("{} {}: {}", package.name, package.version, answer.detail),
        Evidence::LockedWheels {
            lockfile: lockfile.to_string(),
            wanted: format!("musllinux_*_{}", pip_arch(arch)),
            detail: format!("the package index: {}", answer.detail),
        },
    );
    Some(finding.with_remedy(remedy.to_string()))
}

/// What the package index said of a version a lockfile only pins, on a
/// glibc image, when pip there finds neither a wheel it accepts nor an
/// sdist: MC207, as on musl (the image's build stops at that pin).
pub fn pinned_cannot_install_on_glibc(
    package: &Package,
    lockfile: &str,
    answer: &ReinstallAnswer,
    platform: &Platform,
) -> Option<Finding> {
    if package.ecosystem != Ecosystem::Pypi
        || answer.reinstall != Reinstall::CannotInstall
        || !matches!(answer.source, AnswerSource::Index { .. })
    {
        return None;
    }
    let finding = Finding::new(
        Code::CannotInstall,
        format!("{} {}: {}", package.name, package.version, answer.detail),
        Evidence::LockedWheels {
            lockfile: lockfile.to_string(),
            wanted: format!("manylinux_*_{}", pip_arch(platform.arch)),
            detail: format!("the package index: {}", answer.detail),
        },
    );
    Some(finding.with_remedy(format!(
        "pin a version with a wheel {} accepts, or keep a base image it has wheels for",
        platform.target
    )))
}

/// The code of a finding that a reinstall gets no build: MC207 when it
/// cannot install at all (the image's build stops there), else MC201.
fn install_code(reinstall: Reinstall) -> Code {
    if reinstall == Reinstall::CannotInstall {
        Code::CannotInstall
    } else {
        Code::NoMuslBuild
    }
}

/// What the known-problem table says of `name` `version`; `None` when it
/// does not list the package or cannot tell for this version.
pub fn known_answer(ecosystem: Ecosystem, name: &str, version: &str) -> Option<Answered> {
    let known = known_package_in(ecosystem, name)?;
    let table = AnswerSource::KnownTable {
        sources: known.sources.clone(),
    };
    let about = match &known.first_musl {
        FirstMusl::Version {
            approximate: true, ..
        } => " (the table's version is approximate)",
        _ => "",
    };
    match known.lacks_musl_build(version)? {
        false => {
            let detail = match &known.first_musl {
                FirstMusl::Version { first, .. } => match &known.musl_until {
                    Some(until) => format!(
                        "musl builds from {first} until before {until}{about} (known-problem table)"
                    ),
                    None => format!("musl builds since {first}{about} (known-problem table)"),
                },
                FirstMusl::AtMost(bound) => {
                    format!("musl builds by {bound} at the latest (known-problem table)")
                }
                _ => "every version works on musl: pure code or one static build (known-problem table)"
                    .to_string(),
            };
            let mut musl = answer(Reinstall::MuslBuild, detail, table);
            if ecosystem == Ecosystem::Npm
                && known.without_musl_build_of(version) == &WithoutMuslBuild::SourceBuild
            {
                // Downloads and node-gyp-build fall back to compiling.
                musl.build_packages = build_packages(ecosystem, Some(known));
            }
            Some((musl, Vec::new()))
        }
        true => {
            let evidence = Evidence::KnownProblem {
                first_musl: known.first_version().map(str::to_string),
                sources: known.sources.clone(),
            };
            let (mut lacking, finding) = without_musl_build(
                ecosystem,
                name,
                version,
                Some(known),
                known.without_musl_build_of(version),
                table,
                evidence,
            );
            lacking.first_musl_version = known.upgrade_for(version).map(str::to_string);
            Some((lacking, vec![finding]))
        }
    }
}

/// The answer and its MC201 finding for a version without a musl build.
fn without_musl_build(
    ecosystem: Ecosystem,
    name: &str,
    version: &str,
    known: Option<&KnownPackage>,
    without: &WithoutMuslBuild,
    source: AnswerSource,
    evidence: Evidence,
) -> (ReinstallAnswer, Finding) {
    let first_builds = match ecosystem {
        Ecosystem::Npm => "musl builds",
        _ => "musllinux wheels",
    };
    let since = match known.map(|k| (&k.first_musl, k.musl_until.as_deref())) {
        Some((FirstMusl::Version { first, .. }, Some(until))) => {
            format!("; {first_builds} from {first} until before {until}")
        }
        Some((FirstMusl::Version { first, .. }, None)) => format!("; {first_builds} from {first}"),
        Some((FirstMusl::Never, _)) => "; no version has one".to_string(),
        _ => String::new(),
    };
    let (reinstall, what) = match without {
        WithoutMuslBuild::SourceBuild => (
            Reinstall::SourceBuild,
            match ecosystem {
                Ecosystem::Npm => ", so npm on Alpine compiles it with node-gyp",
                _ => ", so pip on Alpine compiles it from source",
            },
        ),
        WithoutMuslBuild::CannotInstall { .. } => (
            Reinstall::CannotInstall,
            " and no sdist, so pip on Alpine fails (\"No matching distribution found\")",
        ),
        WithoutMuslBuild::NoMuslBuild => {
            (Reinstall::NoMuslBuild, " (only glibc builds are published)")
        }
        WithoutMuslBuild::Unknown => (Reinstall::NoMuslBuild, " for this version"),
    };
    let detail = format!("{name} {version}: no musl build{what}{since}");
    let mut reinstall_answer = answer(reinstall, detail.clone(), source);
    if reinstall == Reinstall::SourceBuild {
        reinstall_answer.build_packages = build_packages(ecosystem, known);
    }
    // Past the last version with musl builds, the way back is down.
    let pin_below = known
        .and_then(|k| k.musl_until.as_deref())
        .filter(|until| Version::release(version) >= Version::release(until))
        .map(|until| {
            let pin = match ecosystem {
                Ecosystem::Npm => format!("{name}@<{until}"),
                _ => format!("{name}<{until}"),
            };
            format!("pin `{pin}`: the versions before {until} have {first_builds}")
        });
    reinstall_answer.advice = pin_below.clone().or_else(|| {
        known
            .map(|k| k.remedy.clone())
            .filter(|remedy| !remedy.is_empty())
    });
    let remedy = match known {
        Some(k) if pin_below.is_some() => format!(
            "{}; or compile it on the target (sources: {})",
            pin_below.unwrap_or_default(),
            k.sources
        ),
        Some(k) if !k.remedy.is_empty() => format!("{} (sources: {})", k.remedy, k.sources),
        _ => "pip will compile it from the sdist: `apk add build-base python3-dev` plus the -dev packages of the libraries it links; or upgrade to a version with musllinux wheels".to_string(),
    };
    let finding = Finding::new(install_code(reinstall), detail, evidence).with_remedy(remedy);
    (reinstall_answer, finding)
}

/// What `bundle install` on the musl target gives for gem `name` `version`,
/// from the lockfile's `PLATFORMS` and specs: Bundler 2.5+ resolves a
/// `<arch>-linux-musl` platform gem on musl when the lock records that
/// platform, builds the `ruby` (source) gem there, and otherwise stops
/// (the lock lacks the platform it runs on).
pub fn assess_gem_lock(
    lock: &crate::ecosystem::ruby::GemLock,
    name: &str,
    version: &str,
    arch: Arch,
    lockfile: &str,
) -> Option<ReinstallAnswer> {
    let specs: Vec<Option<&str>> = lock
        .specs
        .iter()
        .filter(|(n, v, _)| n == name && v == version)
        .map(|(_, _, platform)| platform.as_deref())
        .collect();
    if specs.is_empty() {
        return None;
    }
    let musl_platform = format!("{}-linux-musl", pip_arch(arch));
    let source = AnswerSource::Lockfile {
        path: lockfile.to_string(),
    };
    let locks_musl = lock.platforms.contains(&musl_platform);
    // Only the source gem locked (bcrypt 3.1.18): relocked for musl or not,
    // Bundler installs it and compiles its extension on the target.
    let only_the_source_gem = specs.iter().all(Option::is_none);
    if !locks_musl && !only_the_source_gem {
        let mut relock = answer(
            Reinstall::MuslBuildNotLocked,
            format!(
                "{lockfile} PLATFORMS ({}) lacks {musl_platform}: `bundle lock --add-platform \
                 {musl_platform}`, then `bundle install` on the target",
                lock.platforms.join(", ")
            ),
            source,
        );
        relock.build = Some(format!(
            "bundle lock --add-platform {musl_platform} ({name} {version})"
        ));
        return Some(relock);
    }
    if specs.contains(&Some(musl_platform.as_str())) {
        let mut musl = answer(
            Reinstall::MuslBuild,
            format!("{lockfile} locks the {musl_platform} platform gem"),
            source,
        );
        musl.build = Some(format!("{name}-{version}-{musl_platform}"));
        return Some(musl);
    }
    if specs.contains(&None) {
        let detail = if locks_musl {
            format!(
                "{lockfile} locks {musl_platform} and the source gem: `bundle install` on the \
                 target compiles its extension"
            )
        } else {
            // Without `ruby` in PLATFORMS a frozen install wants the target's platform.
            let relock = if lock.platforms.iter().any(|p| p == "ruby") {
                String::new()
            } else {
                format!(" (after `bundle lock --add-platform {musl_platform}`)")
            };
            format!(
                "{lockfile} locks only the source gem: `bundle install` on the target compiles \
                 its extension{relock}"
            )
        };
        let mut build = answer(Reinstall::SourceBuild, detail, source);
        build.build_packages = vec!["build-base".to_string(), "ruby-dev".to_string()];
        return Some(build);
    }
    Some(answer(
        Reinstall::NoMuslBuild,
        format!("{lockfile} locks {musl_platform} but no gem of {name} {version} for it"),
        source,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relocking for musl matters where the lock has platform gems; a lock
    /// of only the source gem compiles it on the target either way.
    #[test]
    fn a_gem_lock_without_the_musl_platform_compiles_a_source_only_gem() {
        let lock = |specs: &str, platforms: &str| {
            crate::ecosystem::ruby::GemLock::parse(&format!(
                "GEM\n  remote: https://rubygems.org/\n  specs:\n{specs}\nPLATFORMS\n{platforms}\n"
            ))
        };
        let assess = |lock| assess_gem_lock(&lock, "ffi", "1.15.5", Arch::X86_64, "Gemfile.lock");
        let source = assess(lock("    ffi (1.15.5)\n", "  x86_64-linux\n")).unwrap();
        assert_eq!(source.reinstall, Reinstall::SourceBuild);
        assert!(source.build_packages.contains(&"build-base".to_string()));
        assert!(
            source.detail.contains("--add-platform x86_64-linux-musl"),
            "{}",
            source.detail
        );
        let with_ruby = assess(lock("    ffi (1.15.5)\n", "  ruby\n  x86_64-linux\n")).unwrap();
        assert!(
            !with_ruby.detail.contains("--add-platform"),
            "{}",
            with_ruby.detail
        );
        let platform_gems = lock(
            "    ffi (1.15.5)\n    ffi (1.15.5-x86_64-linux)\n",
            "  x86_64-linux\n",
        );
        assert_eq!(
            assess(platform_gems).unwrap().reinstall,
            Reinstall::MuslBuildNotLocked
        );
    }

    /// pymupdf has musllinux wheels from 1.24.6 until before 2.0.0: for 2.1
    /// the way to a musl build is down, never "upgrade".
    #[test]
    fn past_the_last_musl_build_the_advice_is_to_pin_below_it() {
        let (answer, findings) = known_answer(Ecosystem::Pypi, "pymupdf", "2.1").unwrap();
        assert_ne!(answer.reinstall, Reinstall::MuslBuild, "{answer:?}");
        let advice = answer.advice.unwrap();
        assert!(advice.starts_with("pin `pymupdf<2.0.0`"), "{advice}");
        let remedy = findings[0].remedy.clone().unwrap();
        assert!(remedy.starts_with("pin `pymupdf<2.0.0`"), "{remedy}");
        // Within the range it has a musl build; before it, the table's own advice.
        let (within, _) = known_answer(Ecosystem::Pypi, "pymupdf", "1.28.2").unwrap();
        assert_eq!(within.reinstall, Reinstall::MuslBuild);
        let (before, _) = known_answer(Ecosystem::Pypi, "pymupdf", "1.20.0").unwrap();
        assert!(!before.advice.unwrap_or_default().starts_with("pin"));
    }
}
