//! The second question: if the same pinned versions are installed *on* the
//! target, is there a musl build, will the installer compile it, or fail?
//! Every answer says where it comes from (the lockfile, the installed
//! package's files, the known-problem table); its findings are the evidence.

use crate::ecosystem::known::{FirstMusl, KnownPackage, WithoutMuslBuild, known_package_in};
use crate::ecosystem::npm::{NativeSource, PackageJson};
use crate::ecosystem::npm_lock::LockVariant;
use crate::ecosystem::python_lock::{LockedPackage, has_native_wheels, musllinux_wheel};
use crate::model::{
    AnswerSource, Arch, Code, Ecosystem, Evidence, Finding, Reinstall, ReinstallAnswer,
};

/// A reinstall answer and the findings behind it.
pub type Answered = (ReinstallAnswer, Vec<Finding>);

/// What node-gyp needs on Alpine to compile an addon.
const NODE_GYP_BUILD: [&str; 3] = ["python3", "make", "g++"];
/// What pip needs on Alpine to compile an sdist with C extensions.
const PIP_BUILD: [&str; 2] = ["build-base", "python3-dev"];

fn answer(reinstall: Reinstall, detail: String, source: AnswerSource) -> ReinstallAnswer {
    ReinstallAnswer {
        reinstall,
        detail,
        source,
        build: None,
        first_musl_version: None,
        build_packages: Vec::new(),
    }
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

/// The reinstall answer for an npm package with platform-variant packages,
/// as the lockfile `source` records them.
pub fn assess_npm_variants(variant: &LockVariant, source: &str) -> Answered {
    let lockfile = AnswerSource::Lockfile {
        path: source.to_string(),
    };
    let evidence = || Evidence::PlatformPackages {
        lockfile: source.to_string(),
        declared: variant.declared.clone(),
        musl_declared: variant.musl_declared.clone(),
        musl_locked: variant.musl_locked.clone(),
    };
    if !variant.split_by_libc {
        // One Linux build for both libcs (often static, like esbuild's Go binary):
        // the installed files' own verdicts answer.
        return (
            ReinstallAnswer::unknown("one Linux build serves both libcs: its files answer"),
            Vec::new(),
        );
    }
    let package = format!("{} {}", variant.parent, variant.version);
    if variant.musl_declared.is_empty() {
        let detail = format!(
            "{package} declares Linux platform packages ({}) but none for musl",
            variant.declared.join(", ")
        );
        let finding = Finding::new(Code::NoMuslBuild, detail.clone(), evidence())
            .with_remedy("upgrade to a version that publishes a -musl platform package, or stay on a glibc base image");
        return (
            answer(Reinstall::NoMuslBuild, detail, lockfile),
            vec![finding],
        );
    }
    let Some(first_build) = main_package(&variant.musl_builds) else {
        let it = if variant.musl_declared.len() == 1 {
            "it"
        } else {
            "them"
        };
        let detail = format!(
            "{package} declares {} but {source} does not record {it}: `npm ci` on Alpine will not install {it}",
            variant.musl_declared.join(", "),
        );
        let finding = Finding::new(Code::MuslVariantNotLocked, detail.clone(), evidence());
        let mut not_locked = answer(Reinstall::MuslBuildNotLocked, detail, lockfile);
        not_locked.build = main_package(&variant.musl_declared);
        return (not_locked, vec![finding]);
    };
    let mut locked = answer(
        Reinstall::MuslBuild,
        format!(
            "npm ci on Alpine installs {}",
            variant.musl_builds.join(", ")
        ),
        lockfile,
    );
    locked.build = Some(first_build);
    (locked, Vec::new())
}

/// The platform package holding the binary itself: the shortest name
/// (`@img/sharp-linuxmusl-x64`, not `@img/sharp-libvips-linuxmusl-x64`).
fn main_package(packages: &[String]) -> Option<String> {
    packages.iter().min_by_key(|p| p.len()).cloned()
}

/// The answer for an installed package whose loader picks one of its
/// platform packages (`variant.musl_locked`: the musl ones installed here).
/// The lockfile beside the tree, when there is one, answers for `npm ci`.
pub fn assess_installed_variants(variant: &LockVariant, manifest_path: &str) -> Answered {
    let files = AnswerSource::PackageFiles {
        path: manifest_path.to_string(),
    };
    let package = format!("{} {}", variant.parent, variant.version);
    if variant.musl_declared.is_empty() {
        let detail = format!(
            "{package} declares Linux platform packages ({}) but none for musl: its loader finds no binary on Alpine",
            variant.declared.join(", ")
        );
        let finding = Finding::new(
            Code::NoMuslBuild,
            detail.clone(),
            Evidence::PlatformPackages {
                lockfile: manifest_path.to_string(),
                declared: variant.declared.clone(),
                musl_declared: Vec::new(),
                musl_locked: Vec::new(),
            },
        )
        .with_remedy("upgrade to a version that publishes a -musl platform package, or stay on a glibc base image");
        return (answer(Reinstall::NoMuslBuild, detail, files), vec![finding]);
    }
    if let Some(installed) = main_package(&variant.musl_builds) {
        let mut here = answer(
            Reinstall::MuslBuild,
            format!(
                "its musl platform package is installed here: {}",
                variant.musl_builds.join(", ")
            ),
            files,
        );
        here.build = Some(installed);
        return (here, Vec::new());
    }
    let musl = variant.musl_declared.join(", ");
    let it = if variant.musl_declared.len() == 1 {
        "it"
    } else {
        "them"
    };
    let finding = Finding::new(
        Code::MuslVariantNotInstalled,
        format!(
            "{package}: only the glibc platform package is installed here; on Alpine its loader requires {musl}, so these files fail to load as they are"
        ),
        Evidence::PlatformPackages {
            lockfile: manifest_path.to_string(),
            declared: variant.declared.clone(),
            musl_declared: variant.musl_declared.clone(),
            musl_locked: Vec::new(),
        },
    );
    let mut declared = answer(
        Reinstall::MuslBuild,
        format!(
            "{package} declares {musl} in optionalDependencies: npm on Alpine installs {it} when the lockfile records {it}"
        ),
        files,
    );
    declared.build = main_package(&variant.musl_declared);
    (declared, vec![finding])
}

/// For a glibc target: the installed package's loader requires a glibc
/// platform package, and only musl ones are installed (a node_modules
/// installed on Alpine). `None` when a glibc one is installed, or the
/// variants are not split by libc.
pub fn glibc_variant_missing(variant: &LockVariant, manifest_path: &str) -> Option<Finding> {
    if variant.glibc_declared.is_empty()
        || !variant.glibc_builds.is_empty()
        || variant.musl_builds.is_empty()
    {
        return None;
    }
    let glibc = variant.glibc_declared.join(", ");
    Some(Finding::new(
        Code::GlibcVariantNotInstalled,
        format!(
            "{} {}: only the musl platform package is installed here ({}); on glibc its loader requires {glibc}, so npm on the target must install it",
            variant.parent,
            variant.version,
            variant.musl_builds.join(", ")
        ),
        Evidence::PlatformPackages {
            lockfile: manifest_path.to_string(),
            declared: variant.declared.clone(),
            musl_declared: variant.musl_declared.clone(),
            musl_locked: variant.musl_locked.clone(),
        },
    ))
}

/// The answer on a glibc target for a package of [`glibc_variant_missing`]:
/// npm there installs the glibc platform package its loader requires.
pub fn glibc_variant_answer(finding: &Finding) -> Option<ReinstallAnswer> {
    let Evidence::PlatformPackages {
        lockfile,
        declared,
        musl_declared,
        ..
    } = &finding.evidence
    else {
        return None;
    };
    let glibc: Vec<String> = declared
        .iter()
        .filter(|name| !musl_declared.contains(name))
        .cloned()
        .collect();
    let mut reinstalled = answer(
        Reinstall::GlibcBuild,
        format!(
            "npm on the target installs the glibc platform package ({})",
            glibc.join(", ")
        ),
        AnswerSource::PackageFiles {
            path: lockfile.clone(),
        },
    );
    reinstalled.build = main_package(&glibc);
    Some(reinstalled)
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
    // cannot tell), are left to the table.
    if !package.lists_files || package.wheels.is_empty() {
        return known_answer(Ecosystem::Pypi, &package.name, &package.version).unwrap_or_else(
            || {
                (
                    ReinstallAnswer::unknown(format!(
                        "{source} pins the version only, and the known-problem table does not list {}",
                        package.name
                    )),
                    Vec::new(),
                )
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
    let remedy = match known {
        Some(k) if !k.remedy.is_empty() => format!("{} (sources: {})", k.remedy, k.sources),
        _ => "pip will compile it from the sdist: `apk add build-base python3-dev` plus the -dev packages of the libraries it links; or upgrade to a version with musllinux wheels".to_string(),
    };
    let finding = Finding::new(Code::NoMuslBuild, detail, evidence).with_remedy(remedy);
    (reinstall_answer, finding)
}

/// The answer for an installed npm package with native code, from its
/// files (`manifest_path`: its package.json) and the known-problem table.
pub fn assess_npm_install(
    manifest: &PackageJson,
    source: &NativeSource,
    manifest_path: &str,
) -> Answered {
    let package = format!("{} {}", manifest.name, manifest.version);
    let files = AnswerSource::PackageFiles {
        path: manifest_path.to_string(),
    };
    let known = known_package_in(Ecosystem::Npm, &manifest.name);
    match source {
        NativeSource::MuslPrebuild(prebuild) => {
            let mut musl = answer(
                Reinstall::MuslBuild,
                format!(
                    "it bundles a musl prebuild ({prebuild}) that node-gyp-build loads on Alpine"
                ),
                files,
            );
            musl.build = Some(prebuild.clone());
            (musl, Vec::new())
        }
        NativeSource::UntaggedPrebuild { name, compiles } => {
            let mut any = answer(
                Reinstall::MuslBuild,
                format!(
                    "it bundles a prebuild without a libc tag ({name}) that node-gyp-build loads on any libc: its own verdict tells whether it loads on musl"
                ),
                files,
            );
            any.build = Some(name.clone());
            // What a reinstall takes should that prebuild not load here.
            if *compiles {
                any.build_packages = build_packages(Ecosystem::Npm, known);
                any.detail.push_str(
                    "; where it does not, node-gyp-build's install compiles the addon with node-gyp",
                );
            }
            (any, Vec::new())
        }
        NativeSource::Downloaded {
            how,
            falls_back_to_compiling,
        } => {
            let fallback = if *falls_back_to_compiling {
                " and compiles from source if there is none"
            } else {
                ""
            };
            let downloads = Finding::new(
                Code::DownloadedAtInstall,
                format!(
                    "{package} downloads its binary at install time ({how}); on Alpine it asks for a musl build{fallback}"
                ),
                Evidence::InstallScript {
                    script: how.clone(),
                },
            );
            let mut findings = vec![downloads];
            if let Some((mut table, table_findings)) =
                known_answer(Ecosystem::Npm, &manifest.name, &manifest.version)
            {
                table.detail = match table.reinstall {
                    Reinstall::MuslBuild => format!(
                        "{how} downloads the musl build at install: {}{}",
                        table.detail,
                        if *falls_back_to_compiling {
                            "; if the download fails it compiles with node-gyp"
                        } else {
                            ""
                        }
                    ),
                    _ => table.detail,
                };
                if *falls_back_to_compiling {
                    table.build_packages = build_packages(Ecosystem::Npm, known);
                    if table.reinstall == Reinstall::SourceBuild {
                        findings.push(needs_build_tools(&package));
                    }
                }
                findings.extend(table_findings);
                return (table, findings);
            }
            let mut unknown = answer(
                Reinstall::Unknown,
                format!(
                    "{how} downloads a build for musl at install if the release publishes one{fallback}"
                ),
                files,
            );
            if *falls_back_to_compiling {
                unknown.build_packages = build_packages(Ecosystem::Npm, known);
                findings.push(needs_build_tools(&package));
            }
            (unknown, findings)
        }
        NativeSource::Compiled => {
            let mut compiled = answer(
                Reinstall::SourceBuild,
                "npm on Alpine compiles it with node-gyp (binding.gyp)".to_string(),
                files,
            );
            compiled.build_packages = build_packages(Ecosystem::Npm, known);
            let mut findings = vec![needs_build_tools(&package)];
            // The table may know that this version has no musl build, and which has.
            if let Some((table, table_findings)) =
                known_answer(Ecosystem::Npm, &manifest.name, &manifest.version)
            {
                compiled.first_musl_version = table.first_musl_version;
                findings.extend(table_findings);
            }
            (compiled, findings)
        }
    }
}

/// The answer for a locked npm package that runs an install script and
/// that nothing else answers for.
pub fn install_script_answer(name: &str, version: &str, lockfile: &str) -> Answered {
    let detail = format!(
        "{name} {version} runs an install script on Alpine: downloads a build for musl or compiles"
    );
    let finding = Finding::new(
        Code::DownloadedAtInstall,
        detail.clone(),
        Evidence::InstallScript {
            script: format!("hasInstallScript in {lockfile}"),
        },
    );
    let mut scripted = answer(
        Reinstall::Unknown,
        detail,
        AnswerSource::Lockfile {
            path: lockfile.to_string(),
        },
    );
    scripted.build_packages = build_packages(Ecosystem::Npm, None);
    (scripted, vec![finding])
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
    if !locks_musl {
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
        let mut build = answer(
            Reinstall::SourceBuild,
            format!(
                "{lockfile} locks {musl_platform} and the source gem: `bundle install` on the \
                 target compiles its extension"
            ),
            source,
        );
        build.build_packages = vec!["build-base".to_string(), "ruby-dev".to_string()];
        return Some(build);
    }
    Some(answer(
        Reinstall::NoMuslBuild,
        format!("{lockfile} locks {musl_platform} but no gem of {name} {version} for it"),
        source,
    ))
}
