//! What to change for each package: on musl, the `apk add`, the reinstall
//! or upgrade, the build packages; on a glibc or no-libc image, the image's
//! own packages for the libraries it lacks, a reinstall where the index has
//! a build for its glibc (of files built for musl, or for a newer glibc), or
//! what nothing on the image fixes. `plan` merges them.

use std::collections::BTreeSet;

use crate::ecosystem::python::{
    WheelName, auditwheel_bundled, bundled_library_soname, cpython_minor,
};
use crate::model::{
    Action, AnswerSource, Artifact, AsIs, Code, Ecosystem, Evidence, LibcKind, Package,
    PlatformTag, Reinstall, ReinstallAnswer, Severity, Verdict, Version,
};
use crate::platform::{LoaderKind, Platform};

use super::describe_list;
use super::library_packages::{
    absent_system_libraries, libraries_in_place_of_bundled, runtime_file_fixes, runtime_packages,
    unknown_library_packages,
};
use super::reinstall::pip_arch;

/// What to change for one package.
pub(super) fn actions(
    package: Option<&Package>,
    files: &[&Artifact],
    as_is: &AsIs,
    reinstalled: &ReinstallAnswer,
    platform: &Platform,
    distro_sonames: &BTreeSet<String>,
) -> Vec<Action> {
    // Another platform's build (a glibc platform package on musl): the
    // target never loads it, so nothing is to be done about it.
    if as_is.verdict == Some(Verdict::NotApplicable) {
        return Vec::new();
    }
    if platform.loader_kind() != LoaderKind::Musl {
        return image_actions(package, files, as_is, reinstalled, platform, distro_sonames);
    }
    let mut actions = Vec::new();
    let fails_as_is = matches!(
        as_is.verdict,
        Some(Verdict::Breaks | Verdict::NeedsGcompat | Verdict::Unknown)
    );
    let newer = newer_release(files);
    // A musllinux wheel bundles every library but libc and libz (auditwheel's
    // policy): when one replaces the files built for glibc, what they need
    // from the system goes with them.
    let pure_wheel = fails_as_is && reinstalls_a_pure_wheel(reinstalled);
    // An upgrade to the first version with a musllinux wheel replaces them too.
    let upgraded_to_wheel = reinstalled.first_musl_version.is_some()
        && matches!(
            reinstalled.reinstall,
            Reinstall::SourceBuild | Reinstall::NoMuslBuild | Reinstall::CannotInstall
        );
    let replaced_by_wheel = newer.is_none()
        && fails_as_is
        && package.is_some_and(|p| p.ecosystem == Ecosystem::Pypi)
        && (reinstalled.reinstall == Reinstall::MuslBuild || pure_wheel || upgraded_to_wheel);
    let kept: Vec<&Artifact> = files
        .iter()
        .copied()
        .filter(|file| {
            !replaced_by_wheel
                || file
                    .facts()
                    .is_some_and(|facts| facts.libc.kind == LibcKind::Musl)
        })
        .collect();
    let runtime = runtime_packages(&kept);
    if !runtime.is_empty() {
        actions.push(Action::ApkAdd { packages: runtime });
    }
    if let Some(action) = newer {
        // The files load as they are on a newer release: the simplest fix.
        actions.push(action);
        return actions;
    }
    // musl builds that lack only system libraries: another build of them
    // would lack them too; apk installs what provides each soname.
    if let Some(sonames) = absent_system_libraries(files) {
        actions.push(Action::ApkAdd { packages: sonames });
        return actions;
    }
    // Installed files that load as they are need nothing more, whatever a
    // reinstall on the target would take (a compile, or no build at all).
    if as_is.verdict == Some(Verdict::Ok) {
        return actions;
    }
    let ecosystem = package.map(|p| p.ecosystem);
    if ecosystem == Some(Ecosystem::Debian) && fails_as_is {
        // Alpine's package in place of the copied Debian files.
        match (&reinstalled.reinstall, &reinstalled.build) {
            (Reinstall::MuslBuild, Some(build)) => actions.push(Action::ApkAdd {
                packages: build
                    .trim_start_matches("apk add ")
                    .split(' ')
                    .map(str::to_string)
                    .collect(),
            }),
            (Reinstall::NoMuslBuild, _) => actions.push(Action::NoFix {
                why: reinstalled.detail.clone(),
            }),
            (Reinstall::Unknown, Some(_)) => actions.push(reinstall_action(ecosystem)),
            _ => {}
        }
        return actions;
    }
    // Nothing was made here (its install script did not run): only an
    // install on the target makes its native code, whatever that gets.
    let not_made_here = files.is_empty() && reinstalled.made_at_install.is_some();
    match reinstalled.reinstall {
        Reinstall::MuslBuild if fails_as_is || not_made_here => {
            actions.push(reinstall_action(ecosystem));
        }
        Reinstall::Unknown if not_made_here => actions.push(reinstall_action(ecosystem)),
        Reinstall::MuslBuildNotLocked => {
            actions.push(Action::RelockForMusl {
                packages: reinstalled.build.iter().cloned().collect(),
            });
            actions.push(reinstall_action(ecosystem));
        }
        Reinstall::SourceBuild => {
            if let Some(to) = &reinstalled.first_musl_version {
                actions.push(Action::Upgrade { to: to.clone() });
            } else {
                let packages = build_packages(ecosystem, reinstalled, files, platform);
                let unplanned = libraries_the_source_links(files, &packages);
                actions.push(Action::BuildDependencies { packages });
                if !unplanned.is_empty() {
                    actions.push(unplanned_development_packages(&unplanned, platform));
                }
            }
            actions.push(reinstall_action(ecosystem));
            if reinstalled.build_from_source_forced {
                actions.push(Action::ReinstallOnTarget {
                    command: REBUILD_FROM_SOURCE.to_string(),
                });
            }
        }
        Reinstall::NoMuslBuild | Reinstall::CannotInstall => {
            if let Some(to) = &reinstalled.first_musl_version {
                actions.push(Action::Upgrade { to: to.clone() });
                // A jar is upgraded in the build, not installed on the target.
                if ecosystem != Some(Ecosystem::Maven) {
                    actions.push(reinstall_action(ecosystem));
                }
            } else if fails_as_is && loads_with_gcompat(files) && platform.has_packages() {
                actions.push(Action::Gcompat { files: Vec::new() });
            } else {
                actions.push(Action::NoFix {
                    why: reinstalled.detail.clone(),
                });
            }
        }
        // The project's pure-Python wheel replaces the files (its fallback:
        // slower, but it installs and imports).
        Reinstall::NotNative if pure_wheel => {
            let system = libraries_in_place_of_bundled(files);
            if !system.is_empty() {
                actions.push(Action::ApkAdd { packages: system });
            }
            actions.push(reinstall_action(ecosystem));
        }
        Reinstall::Unknown | Reinstall::NotNative if fails_as_is => {
            if as_is.verdict == Some(Verdict::NeedsGcompat)
                || loads_with_gcompat(files) && platform.has_packages()
            {
                actions.push(Action::Gcompat { files: Vec::new() });
            } else if let Some((with, without)) = package
                .is_none()
                .then(|| split_by_gcompat(files))
                .filter(|(with, _)| !with.is_empty() && platform.has_packages())
            {
                // Files no package owns are separate programs: those that
                // load with gcompat get it, the others are named.
                actions.push(Action::Gcompat { files: with });
                actions.push(Action::NoFix {
                    why: format!(
                        "{} ({}; the others load with gcompat)",
                        reinstalled.detail,
                        describe_list(&without, 5)
                    ),
                });
            } else if as_is.verdict == Some(Verdict::Breaks) {
                actions.push(no_fix_or_unanswered(package, files, reinstalled, platform));
            }
        }
        _ => {}
    }
    actions
}

/// What to change for one package on a glibc or no-libc image: install the
/// libraries the image lacks; reinstall where the index has a build the
/// image's glibc accepts and the files were built for musl or need a newer
/// glibc than it has; else say what nothing on this image fixes.
fn image_actions(
    package: Option<&Package>,
    files: &[&Artifact],
    as_is: &AsIs,
    reinstalled: &ReinstallAnswer,
    platform: &Platform,
    distro_sonames: &BTreeSet<String>,
) -> Vec<Action> {
    let mut actions = Vec::new();
    // The image's own packages of the libraries it lacks.
    let mut runtime: BTreeSet<String> = runtime_packages(files).into_iter().collect();
    // The libraries no package muslcheck knows of provides, with a file needing each.
    let mut unprovided: Vec<(&str, &Artifact)> = Vec::new();
    let mut placed = false;
    let mut from_distro = false;
    for file in files {
        for finding in file.findings() {
            let Evidence::Libraries { libraries } = &finding.evidence else {
                continue;
            };
            for library in libraries {
                match platform.package_providing(&library.name) {
                    Some(package) => {
                        runtime.insert(package.to_string());
                    }
                    // The image's plan step names the target's package for
                    // it (or says that none is known): not said twice.
                    None if distro_sonames.contains(&library.name) => from_distro = true,
                    None => {
                        unprovided.push((&library.name, file));
                        // In the tree but not found, or a relative path: its own fix.
                        placed |= library.in_tree_at.is_some()
                            || library.unloadable_at.is_some()
                            || library.name.contains('/');
                    }
                }
            }
        }
    }
    let installs = platform.install_command().is_some();
    let adds_libraries = (!runtime.is_empty() || from_distro) && unprovided.is_empty() && installs;
    // Run-time files its static programs open (MC112): the image's
    // package, else copied from the build stage.
    let (file_packages, copies) = runtime_file_fixes(files, platform);
    // The packages known are installed also when another library has none.
    if installs {
        runtime.extend(file_packages);
    } else {
        runtime = file_packages;
    }
    if !runtime.is_empty() {
        actions.push(Action::ApkAdd {
            packages: runtime.into_iter().collect(),
        });
    }
    if !copies.is_empty() {
        actions.push(Action::CopyFromBuild { lines: copies });
    }
    let ecosystem = package.map(|p| p.ecosystem);
    // A pin nothing is installed for (requirements.txt): what pip on the
    // image does with it, as the index said. Or a package whose install
    // script did not run here: what npm on the image makes at install.
    let made_at_install = reinstalled.made_at_install.is_some();
    if files.is_empty()
        && (matches!(reinstalled.source, AnswerSource::Index { .. }) || made_at_install)
    {
        match reinstalled.reinstall {
            Reinstall::SourceBuild if platform.install_command().is_some() => {
                actions.push(Action::BuildDependencies {
                    packages: build_packages(ecosystem, reinstalled, files, platform),
                });
                actions.push(reinstall_action(ecosystem));
            }
            Reinstall::GlibcBuild if made_at_install => actions.push(reinstall_action(ecosystem)),
            Reinstall::SourceBuild | Reinstall::CannotInstall | Reinstall::NoGlibcBuild => actions
                .push(Action::NoFix {
                    why: reinstalled.detail.clone(),
                }),
            _ => {}
        }
        return actions;
    }
    if as_is.verdict != Some(Verdict::Breaks) {
        return actions;
    }
    let too_new = files.iter().any(|f| {
        f.findings()
            .iter()
            .any(|finding| finding.code == Code::VersionNodeMissing)
    });
    // Files built for musl (a tree installed on Alpine): reinstalling on the
    // target fetches the glibc build, as for files too new for its glibc.
    let built_for_musl = files.iter().any(|f| {
        f.verdict() == Verdict::Breaks
            && f.facts()
                .is_some_and(|facts| facts.libc.kind == LibcKind::Musl)
    });
    let from_index = matches!(reinstalled.source, AnswerSource::Index { .. });
    // Only the musl platform package is installed (MC206): npm on the
    // target installs the glibc one.
    let variant_missing = as_is.note.is_some();
    match reinstalled.reinstall {
        Reinstall::GlibcBuild if ((too_new || built_for_musl) && from_index) || variant_missing => {
            actions.push(reinstall_action(ecosystem));
        }
        Reinstall::SourceBuild
            if (too_new || built_for_musl) && platform.install_command().is_some() =>
        {
            actions.push(Action::BuildDependencies {
                packages: build_packages(ecosystem, reinstalled, files, platform),
            });
            actions.push(reinstall_action(ecosystem));
        }
        _ if adds_libraries && !too_new => {}
        // Another build (glibc's, or one for an older glibc) may exist;
        // a reinstall of the same glibc build changes nothing.
        Reinstall::Unknown
            if (too_new || built_for_musl)
                && package.is_some_and(|p| !p.ecosystem.is_distribution()) =>
        {
            actions.push(no_fix_or_unanswered(package, files, reinstalled, platform));
        }
        Reinstall::CannotInstall | Reinstall::NoGlibcBuild => actions.push(Action::NoFix {
            why: reinstalled.detail.clone(),
        }),
        // A library the image may well have a package of, under a name
        // muslcheck does not know: which one is for apt-file to say.
        _ if !too_new && !built_for_musl && !placed && !unprovided.is_empty() => {
            if let Some(action) = unknown_library_packages(&unprovided, platform) {
                actions.push(action);
            }
        }
        _ => actions.push(Action::NoFix {
            why: first_error(files).unwrap_or_else(|| reinstalled.detail.clone()),
        }),
    }
    actions
}

/// What to say of a package whose files break when nothing fixes them as
/// they are: when no source answered whether the target has a build of it,
/// that is unknown (a musllinux wheel may exist), not "no fix"; files no
/// package owns have nothing to reinstall.
fn no_fix_or_unanswered(
    package: Option<&Package>,
    files: &[&Artifact],
    reinstalled: &ReinstallAnswer,
    platform: &Platform,
) -> Action {
    match package {
        // A distribution's package is answered by the distribution (its
        // own builds or none), never by an index.
        Some(package)
            if reinstalled.reinstall == Reinstall::Unknown
                && !package.ecosystem.is_distribution() =>
        {
            Action::Unanswered {
                why: reinstalled.detail.clone(),
                check: check_command(package, files, platform),
            }
        }
        _ => Action::NoFix {
            why: reinstalled.detail.clone(),
        },
    }
}

/// A command that asks the user's own package index whether the target
/// gets a build of this version: pip with the target's wheel tags, for the
/// CPython the files were built for. pip does not widen a `--platform` to
/// older tags (but for manylinux2014's to 2010 and 1), so every tag pip on
/// the target accepts is listed: each musllinux minor up to the target's
/// musl, or each manylinux_2_X from the image's glibc down to 2_17.
fn check_command(package: &Package, files: &[&Artifact], platform: &Platform) -> Option<String> {
    if package.ecosystem != Ecosystem::Pypi || package.version.is_empty() {
        return None;
    }
    let arch = pip_arch(platform.arch);
    let (tags, into) = match platform.musl_version() {
        Some(musl) => (
            (1..=musl.musllinux_minor())
                .rev()
                .map(|minor| format!("musllinux_1_{minor}_{arch}"))
                .collect::<Vec<_>>(),
            "/tmp/musl-wheels",
        ),
        None => {
            let glibc_minor = platform.manylinux_minor()?;
            let mut tags: Vec<String> = (17..=glibc_minor)
                .rev()
                .map(|minor| format!("manylinux_2_{minor}_{arch}"))
                .collect();
            tags.push(format!("manylinux2014_{arch}"));
            (tags, "/tmp/glibc-wheels")
        }
    };
    let platforms: String = tags
        .iter()
        .map(|tag| format!(" --platform {tag}"))
        .collect();
    let python = files
        .iter()
        .find_map(|file| cpython_minor(file.path.innermost()))
        .map(|minor| format!(" --python-version 3.{minor}"))
        .unwrap_or_default();
    Some(format!(
        "pip download --no-deps --only-binary=:all:{platforms}{python} -d {into} {}=={}",
        package.name, package.version
    ))
}

/// The first error any of the files has, as the report words it.
fn first_error(files: &[&Artifact]) -> Option<String> {
    files.iter().find_map(|file| {
        let finding = file
            .findings()
            .iter()
            .find(|f| f.severity == Severity::Error)?;
        Some(format!("{}: {}", file.path.as_str(), finding.message))
    })
}

/// npm's rebuild of named packages with `npm_config_build_from_source`
/// set, which node-gyp-build's install obeys (it compiles with node-gyp
/// instead of testing the prebuild); its loader then finds `build/Release`
/// before any prebuild.
pub(super) const REBUILD_FROM_SOURCE: &str = "npm rebuild --build-from-source";

fn reinstall_action(ecosystem: Option<Ecosystem>) -> Action {
    let command = match ecosystem {
        Some(Ecosystem::Npm) => "npm ci",
        Some(Ecosystem::Pypi) => "pip install",
        // The target's own package of a distribution's program.
        Some(Ecosystem::Alpine | Ecosystem::Debian) => "distribution package",
        // The application is built with the jar its build tool resolves.
        Some(Ecosystem::Maven) => "mvn package (or gradle build)",
        Some(Ecosystem::Rubygems) => "bundle install",
        None => "rebuild on the target",
    };
    Action::ReinstallOnTarget {
        command: command.to_string(),
    }
}

fn build_packages(
    ecosystem: Option<Ecosystem>,
    answer: &ReinstallAnswer,
    files: &[&Artifact],
    platform: &Platform,
) -> Vec<String> {
    let mut packages: Vec<String> = if answer.build_packages.is_empty() {
        platform
            .build_packages(ecosystem == Some(Ecosystem::Pypi))
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        answer.build_packages.clone()
    };
    // Rust code (maturin, setuptools-rust) compiles with cargo: its package
    // has that name under apk, apt and dnf alike.
    let rust = files
        .iter()
        .filter_map(|file| file.facts())
        .any(|facts| facts.built_by_rustc);
    if rust && !packages.is_empty() && !packages.iter().any(|p| p == "cargo" || p == "rust") {
        packages.push("cargo".to_string());
    }
    packages
}

/// The libraries auditwheel bundled into the installed wheel
/// (`pycurl.libs/libcurl-d2d8e4a5.so.4.8.0`, as `libcurl.so.4`) that a build
/// from the sdist links from the system instead, when the build packages
/// name no library's development package (the known-problem table names
/// them where it knows the package). Compilers' runtimes come with the
/// compilers.
fn libraries_the_source_links(files: &[&Artifact], build_packages: &[String]) -> Vec<String> {
    const TOOLCHAIN: [&str; 7] = [
        "python3-dev",
        "musl-dev",
        "linux-headers",
        "libc-dev",
        "libffi-dev",
        "openssl-dev",
        "zlib-dev",
    ];
    let names_a_library = build_packages
        .iter()
        .any(|p| p.ends_with("-dev") && !TOOLCHAIN.contains(&p.as_str()));
    if names_a_library {
        return Vec::new();
    }
    const COMPILER_RUNTIMES: [&str; 6] = [
        "libgcc_s",
        "libstdc++",
        "libgfortran",
        "libquadmath",
        "libgomp",
        "libatomic",
    ];
    // What the package's own modules link; the bundled libraries' own
    // needs come with the system's libraries.
    let linked: BTreeSet<&str> = files
        .iter()
        .filter(|file| auditwheel_bundled(file.path.as_str()).is_none())
        .filter_map(|file| file.facts())
        .flat_map(|facts| facts.needed.iter().map(String::as_str))
        .collect();
    let mut libraries: Vec<String> = files
        .iter()
        .filter_map(|file| {
            let (dist, name) = auditwheel_bundled(file.path.as_str())?;
            if !linked.contains(name) {
                return None;
            }
            let soname = bundled_library_soname(name, dist)?;
            let stem = soname.split(".so").next()?;
            (!COMPILER_RUNTIMES.contains(&stem)).then_some(soname)
        })
        .collect();
    libraries.sort();
    libraries.dedup();
    libraries
}

/// The build from source also needs the development packages of
/// `libraries`, which nothing here names: unanswered until the user adds
/// them (pycurl's sdist fails without curl-config, fiona's without
/// gdal-config).
fn unplanned_development_packages(libraries: &[String], platform: &Platform) -> Action {
    let providers: Vec<String> = libraries
        .iter()
        .map(|soname| match platform.package_providing(soname) {
            Some(package) => format!("{soname} (the package {package})"),
            None => soname.clone(),
        })
        .collect();
    Action::Unanswered {
        why: format!(
            "the build from its sdist links the system's {} (bundled in the glibc wheel), \
             and the plan installs no development package (headers, -config script) for it",
            describe_list(libraries, 6)
        ),
        check: Some(match platform.install_command() {
            Some(install) if install.starts_with("apk ") => format!(
                "add the -dev packages of {} to the build step (`apk search -x so:NAME` names \
                 a library's package; its headers are in the origin's -dev package)",
                describe_list(&providers, 6)
            ),
            _ => format!(
                "add the development packages of {} to the build step",
                describe_list(&providers, 6)
            ),
        }),
    }
}

/// The newest release any failing file needs, when every failing file
/// loads there as it is (each of its errors names a release that fixes it).
fn newer_release(files: &[&Artifact]) -> Option<Action> {
    let failing: Vec<&&Artifact> = files
        .iter()
        .filter(|f| f.verdict() == Verdict::Breaks)
        .collect();
    let mut newest: Option<(Version, String, String)> = None;
    for file in &failing {
        for finding in file
            .findings()
            .iter()
            .filter(|f| f.severity == Severity::Error)
        {
            let release = finding.min_alpine.as_ref()?;
            let version = Version::release(release);
            if newest.as_ref().is_none_or(|(v, _, _)| version > *v) {
                newest = Some((version, release.clone(), finding.message.clone()));
            }
        }
    }
    newest.map(|(_, release, why)| Action::NewerAlpine { release, why })
}

/// Whether reinstalling takes a pure-Python wheel (`py3-none-any`) in
/// place of the platform wheels the target has none of.
fn reinstalls_a_pure_wheel(reinstalled: &ReinstallAnswer) -> bool {
    reinstalled.reinstall == Reinstall::NotNative
        && reinstalled
            .build
            .as_deref()
            .and_then(WheelName::parse)
            .is_some_and(|wheel| wheel.platform_tags.contains(&PlatformTag::Any))
}

/// Whether every failing file would load with gcompat.
fn loads_with_gcompat(files: &[&Artifact]) -> bool {
    let failing: Vec<&&Artifact> = files
        .iter()
        .filter(|f| matches!(f.verdict(), Verdict::Breaks))
        .collect();
    !failing.is_empty() && failing.iter().all(|f| file_loads_with_gcompat(f))
}

/// The paths of the failing files: those gcompat makes load, and the others.
fn split_by_gcompat(files: &[&Artifact]) -> (Vec<String>, Vec<String>) {
    let (with, without): (Vec<&&Artifact>, Vec<&&Artifact>) = files
        .iter()
        .filter(|f| f.verdict() == Verdict::Breaks)
        .partition(|f| file_loads_with_gcompat(f));
    let paths =
        |files: Vec<&&Artifact>| files.iter().map(|f| f.path.as_str().to_string()).collect();
    (paths(with), paths(without))
}

fn file_loads_with_gcompat(file: &Artifact) -> bool {
    file.assessment
        .load
        .as_ref()
        .is_some_and(|load| load.loads_with_gcompat)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Arch, ArtifactKind, Assessment, ElfFacts, Finding, ReportPath};
    use std::collections::BTreeMap;

    #[test]
    fn a_pure_wheel_is_a_reinstall_and_only_a_pure_wheel() {
        let answer = |reinstall, build: &str| {
            let source = AnswerSource::Index {
                url: "https://pypi.org/simple/protobuf/".to_string(),
            };
            ReinstallAnswer {
                build: Some(build.to_string()),
                ..ReinstallAnswer::new(reinstall, String::new(), source)
            }
        };
        // protobuf 7.36.2: no musllinux wheel; pip takes the pure wheel.
        let pure = answer(Reinstall::NotNative, "protobuf-7.36.2-py3-none-any.whl");
        assert!(reinstalls_a_pure_wheel(&pure));
        let sdist = answer(Reinstall::NotNative, "protobuf-7.36.2.tar.gz");
        assert!(!reinstalls_a_pure_wheel(&sdist));
        let musl = answer(
            Reinstall::MuslBuild,
            "protobuf-7.36.2-cp39-abi3-musllinux_1_2_x86_64.whl",
        );
        assert!(!reinstalls_a_pure_wheel(&musl));
    }

    /// tokenizers 0.13.3 has no musllinux wheel and 0.14.0 has: the upgrade
    /// replaces the glibc files, and what they need from Alpine goes with them.
    #[test]
    fn an_upgrade_to_a_musllinux_wheel_takes_the_glibc_files_needs_away() {
        let plain = crate::elf::analyse(include_bytes!("../../corpus/lib/libplain.so")).unwrap();
        let needs_libstdcxx = Finding::new(
            Code::NeedsAlpinePackage,
            "needs libstdc++.so.6".to_string(),
            Evidence::Packages {
                packages: vec![crate::model::PackageNeed {
                    library: "libstdc++.so.6".to_string(),
                    package: "libstdc++".to_string(),
                    checked: true,
                }],
                apk_add: "apk add libstdc++".to_string(),
            },
        );
        let module = Artifact {
            path: ReportPath::file("tokenizers/tokenizers.cpython-311-x86_64-linux-gnu.so"),
            also_at: Vec::new(),
            size: 0,
            package: None,
            kind: ArtifactKind::Elf {
                facts: std::sync::Arc::new(plain),
            },
            assessment: Assessment::of(Verdict::Breaks, vec![needs_libstdcxx]),
        };
        let package = Package {
            ecosystem: Ecosystem::Pypi,
            name: "tokenizers".to_string(),
            version: "0.13.3".to_string(),
        };
        let as_is = AsIs {
            verdict: Some(Verdict::Breaks),
            files: 1,
            verdicts: BTreeMap::new(),
            note: None,
        };
        let source = AnswerSource::Index {
            url: "https://pypi.org/simple/tokenizers/".to_string(),
        };
        let platform = Platform::new("alpine:3.20".parse().unwrap(), Arch::X86_64, false);
        let plan = |reinstall, first_musl_version: Option<&str>| {
            let answer = ReinstallAnswer {
                first_musl_version: first_musl_version.map(str::to_string),
                ..ReinstallAnswer::new(reinstall, String::new(), source.clone())
            };
            actions(
                Some(&package),
                &[&module],
                &as_is,
                &answer,
                &platform,
                &BTreeSet::new(),
            )
        };
        let apk_add = |actions: &[Action]| {
            actions
                .iter()
                .any(|a| matches!(a, Action::ApkAdd { packages } if packages == &["libstdc++"]))
        };
        for reinstall in [Reinstall::SourceBuild, Reinstall::NoMuslBuild] {
            let upgraded = plan(reinstall, Some("0.14.0"));
            assert!(!apk_add(&upgraded), "{reinstall:?}: {upgraded:?}");
            assert!(
                upgraded
                    .iter()
                    .any(|a| matches!(a, Action::Upgrade { to } if to == "0.14.0"))
            );
        }
        // Compiled from source, the module still links libstdc++.
        assert!(apk_add(&plan(Reinstall::SourceBuild, None)));
    }

    /// pycurl's module links `libcurl-d2d8e4a5.so.4.8.0` from `pycurl.libs/`,
    /// fiona's `libgdal-fiona-e8f6bdb0.so.35.3.9.2`: their sdists link the
    /// system's libcurl and libgdal, which the generic build packages lack.
    #[test]
    fn a_source_build_links_the_system_copies_of_what_the_wheel_bundled() {
        let plain = crate::elf::analyse(include_bytes!("../../corpus/lib/libplain.so")).unwrap();
        let file = |path: &str, needed: &[&str]| Artifact {
            path: ReportPath::file(path.to_string()),
            also_at: Vec::new(),
            size: 0,
            package: None,
            kind: ArtifactKind::Elf {
                facts: std::sync::Arc::new(ElfFacts {
                    needed: needed.iter().map(|n| n.to_string()).collect(),
                    ..plain.clone()
                }),
            },
            assessment: Assessment::of(Verdict::Breaks, Vec::new()),
        };
        let module = file(
            "pycurl/pycurl.cpython-311-x86_64-linux-gnu.so",
            &[
                "libcurl-d2d8e4a5.so.4.8.0",
                "libgcc_s-1e2c3d4f.so.1",
                "libc.so.6",
            ],
        );
        let curl = file(
            "pycurl.libs/libcurl-d2d8e4a5.so.4.8.0",
            &["libbrotlidec-8a9f8e0c.so.1.2.1"],
        );
        let gcc = file("pycurl.libs/libgcc_s-1e2c3d4f.so.1", &[]);
        let brotli = file("pycurl.libs/libbrotlidec-8a9f8e0c.so.1.2.1", &[]);
        let files = [&module, &curl, &gcc, &brotli];
        let generic = ["build-base".to_string(), "python3-dev".to_string()];
        assert_eq!(
            libraries_the_source_links(&files, &generic),
            ["libcurl.so.4"]
        );
        let named = ["build-base".to_string(), "curl-dev".to_string()];
        assert!(libraries_the_source_links(&files, &named).is_empty());
        let fiona = file(
            "fiona/ogrext.cpython-311-x86_64-linux-gnu.so",
            &["libgdal-fiona-e8f6bdb0.so.35.3.9.2"],
        );
        let gdal = file("fiona.libs/libgdal-fiona-e8f6bdb0.so.35.3.9.2", &[]);
        assert_eq!(
            libraries_the_source_links(&[&fiona, &gdal], &generic),
            ["libgdal.so.35"]
        );
    }
}
