//! The per-package roll-up: each package's files as they are, its reinstall
//! answer (the most trusted source that answered), its actions, and the
//! actions of all packages merged into one plan.

use std::collections::{BTreeMap, BTreeSet};

use crate::ecosystem::maven::jni_library;
use crate::model::{
    Action, ActionPlan, AnswerSource, Artifact, ArtifactKind, AsIs, Code, Ecosystem, Evidence,
    LibcKind, Package, PackageDecision, Reinstall, ReinstallAnswer, Severity, Verdict, Version,
};
use crate::platform::{LoaderKind, Platform, SonameProvider, alpine_provider};

/// What one package is made of: its files (by archive, for a directory of
/// wheels, so a manylinux and a musllinux wheel of one version stay apart)
/// and the answers found for it.
#[derive(Default)]
struct Group<'a> {
    files: Vec<&'a Artifact>,
    answers: Vec<ReinstallAnswer>,
    /// What the package's entries say of the installed tree as it is (the
    /// musl platform package is not installed, so the JS loader fails).
    as_is_notes: Vec<String>,
}

/// Packages are told apart by the archive their files came from, if any.
type GroupKey = (Option<Package>, Option<String>);

/// Decides every package of the report. `answers` are reinstall answers
/// from outside the tree (the package index), by package.
pub fn decide(
    artifacts: &[Artifact],
    answers: &[(Package, ReinstallAnswer)],
    platform: &Platform,
) -> (Vec<PackageDecision>, ActionPlan) {
    let musl = platform.loader_kind() == LoaderKind::Musl;
    let mut groups: BTreeMap<GroupKey, Group> = BTreeMap::new();
    for artifact in artifacts {
        match &artifact.kind {
            ArtifactKind::Elf { .. } | ArtifactKind::Unreadable => {
                let origin = artifact
                    .path
                    .is_member()
                    .then(|| artifact.path.outer_file().to_string());
                let key = (artifact.package.clone(), origin);
                groups.entry(key).or_default().files.push(artifact);
            }
            // Lockfile and table answers are about musl builds.
            ArtifactKind::Package { .. } if musl => {
                if let Some(answer) = artifact.reinstall_answer().cloned() {
                    let key = (artifact.package.clone(), None);
                    let group = groups.entry(key).or_default();
                    group.answers.push(answer);
                    group.as_is_notes.extend(
                        artifact
                            .findings()
                            .iter()
                            .filter(|f| f.code == Code::MuslVariantNotInstalled)
                            .map(|f| f.message.clone()),
                    );
                }
            }
            ArtifactKind::Package { .. } | ArtifactKind::Wheel { .. } => {}
        }
    }
    // An answer about a package (a lockfile's, the index's) holds for each
    // archive of it too.
    let mut by_package: BTreeMap<&Package, Vec<ReinstallAnswer>> = BTreeMap::new();
    for (package, answer) in answers {
        by_package.entry(package).or_default().push(answer.clone());
    }
    let loose: Vec<(Package, Vec<ReinstallAnswer>)> = groups
        .iter()
        .filter(|((_, origin), group)| origin.is_none() && group.files.is_empty())
        .filter_map(|((package, _), group)| Some((package.clone()?, group.answers.clone())))
        .collect();
    for (package, entry_answers) in loose {
        let archives: Vec<GroupKey> = groups
            .keys()
            .filter(|(p, origin)| p.as_ref() == Some(&package) && origin.is_some())
            .cloned()
            .collect();
        if archives.is_empty() {
            continue;
        }
        groups.remove(&(Some(package), None));
        for key in archives {
            if let Some(group) = groups.get_mut(&key) {
                group.answers.extend(entry_answers.iter().cloned());
            }
        }
    }

    // Libraries a distribution package of the scanned root (an image's base)
    // holds: on another base that base's packages provide them, which the
    // image's plan step works out.
    let distro_sonames: BTreeSet<String> = artifacts
        .iter()
        .filter(|a| {
            a.package
                .as_ref()
                .is_some_and(|p| matches!(p.ecosystem, Ecosystem::Debian | Ecosystem::Alpine))
        })
        .filter_map(|a| a.facts()?.soname.clone())
        .collect();
    let decisions: Vec<PackageDecision> = groups
        .into_iter()
        .map(|((package, origin), mut group)| {
            if let Some(package) = &package
                && let Some(found) = by_package.get(package)
            {
                group.answers.extend(found.iter().cloned());
            }
            decide_one(package, origin, &group, platform, &distro_sonames)
        })
        .collect();
    let plan = super::plan::plan(
        &decisions,
        &super::plan::lockfile_names(artifacts),
        platform,
    );
    (decisions, plan)
}

fn decide_one(
    package: Option<Package>,
    origin: Option<String>,
    group: &Group,
    platform: &Platform,
    distro_sonames: &BTreeSet<String>,
) -> PackageDecision {
    let mut as_is = as_is(&group.files);
    if let Some(note) = group.as_is_notes.first() {
        // Its files may all load; the package does not, as installed.
        as_is.verdict = Some(Verdict::Breaks);
        as_is.note = Some(note.clone());
    }
    let reinstalled = best_answer(&group.answers)
        .cloned()
        .or_else(|| distribution_answer(package.as_ref(), &group.files, platform))
        .unwrap_or_else(|| answer_from_files(package.as_ref(), &group.files, &as_is, platform));
    let actions = actions(
        package.as_ref(),
        &group.files,
        &as_is,
        &reinstalled,
        platform,
        distro_sonames,
    );
    PackageDecision {
        package,
        origin,
        as_is,
        reinstalled,
        actions,
    }
}

/// The most trusted answer; among equals, the first.
fn best_answer(answers: &[ReinstallAnswer]) -> Option<&ReinstallAnswer> {
    answers
        .iter()
        .rev()
        .filter(|a| a.reinstall != Reinstall::Unknown)
        .max_by_key(|a| a.source.rank())
        .or_else(|| answers.first())
}

fn as_is(files: &[&Artifact]) -> AsIs {
    let mut verdicts: BTreeMap<Verdict, usize> = BTreeMap::new();
    for file in files {
        *verdicts.entry(file.verdict()).or_default() += 1;
    }
    // A file the target never loads does not make a package fail or pass,
    // unless it is all there is.
    let verdict = verdicts
        .keys()
        .copied()
        .filter(|v| *v != Verdict::NotApplicable)
        .max()
        .or_else(|| verdicts.keys().copied().max());
    AsIs {
        verdict,
        files: files.len(),
        verdicts,
        note: None,
    }
}

/// With no answer from outside: files built for the target's C library
/// that load there are its build; on an image without one, nothing installs.
fn answer_from_files(
    package: Option<&Package>,
    files: &[&Artifact],
    as_is: &AsIs,
    platform: &Platform,
) -> ReinstallAnswer {
    let files_source = || AnswerSource::PackageFiles {
        path: files
            .first()
            .map(|f| f.path.as_str().to_string())
            .unwrap_or_default(),
    };
    match platform.loader_kind() {
        LoaderKind::Musl => {}
        LoaderKind::Glibc if as_is.verdict == Some(Verdict::Ok) => {
            return ReinstallAnswer {
                reinstall: Reinstall::GlibcBuild,
                detail: "the installed files load on the target as they are".to_string(),
                source: files_source(),
                build: None,
                first_musl_version: None,
                build_packages: Vec::new(),
            };
        }
        LoaderKind::Glibc => {}
        LoaderKind::None if as_is.verdict == Some(Verdict::Breaks) => {
            return ReinstallAnswer {
                reinstall: Reinstall::CannotInstall,
                detail: format!(
                    "{} has no C library, no loader and no package manager: only static \
                     files run there; build them static, or choose an image with glibc",
                    platform.target
                ),
                source: files_source(),
                build: None,
                first_musl_version: None,
                build_packages: Vec::new(),
            };
        }
        LoaderKind::None => {}
    }
    if let Some(answer) = package
        .filter(|p| p.ecosystem == Ecosystem::Maven)
        .and_then(|p| jni_answer(p, files))
    {
        return answer;
    }
    let mut libcs = files
        .iter()
        .filter_map(|f| f.facts())
        .filter(|facts| facts.is_loadable())
        .map(|facts| facts.libc.kind)
        .peekable();
    let has_files = libcs.peek().is_some();
    let none_glibc = libcs.all(|libc| matches!(libc, LibcKind::Musl | LibcKind::None));
    if has_files && none_glibc && as_is.verdict == Some(Verdict::Ok) {
        return ReinstallAnswer {
            reinstall: Reinstall::MuslBuild,
            detail: "the installed files are built for musl or need no C library".to_string(),
            source: AnswerSource::PackageFiles {
                path: files
                    .first()
                    .map(|f| f.path.as_str().to_string())
                    .unwrap_or_default(),
            },
            build: None,
            first_musl_version: None,
            build_packages: Vec::new(),
        };
    }
    if package.is_none() {
        return ReinstallAnswer::unknown(
            "no package manager installs these files: build them on the target or get musl builds from where they came from",
        );
    }
    ReinstallAnswer::unknown("no lockfile, table or package index answered for this version")
}

/// A jar's JNI code on musl: the member its library's loader extracts is
/// the musl variant when the jar ships one; else the table of JNI libraries
/// says which version ships one (`data/jni/jni-libraries.tsv`).
fn jni_answer(package: &Package, files: &[&Artifact]) -> Option<ReinstallAnswer> {
    let loaded: Vec<&&Artifact> = files
        .iter()
        .filter(|f| f.verdict() != Verdict::NotApplicable)
        .filter(|f| f.facts().is_some_and(|facts| facts.is_loadable()))
        .collect();
    let answer = |reinstall, detail: String, source, first_musl_version| ReinstallAnswer {
        reinstall,
        detail,
        source,
        build: None,
        first_musl_version,
        build_packages: Vec::new(),
    };
    if let Some(musl) = loaded.iter().find(|f| {
        f.facts()
            .is_some_and(|facts| facts.libc.kind == LibcKind::Musl)
    }) {
        return Some(answer(
            Reinstall::MuslBuild,
            format!(
                "the jar ships a musl variant its loader extracts on musl: {}",
                musl.path
            ),
            AnswerSource::PackageFiles {
                path: musl.path.as_str().to_string(),
            },
            None,
        ));
    }
    // Glibc builds that load on musl as they are need no answer.
    if !loaded.iter().any(|f| f.verdict() == Verdict::Breaks) {
        return None;
    }
    let library = jni_library(&package.name)?;
    let table = AnswerSource::KnownTable {
        sources: library.source.clone(),
    };
    let Some(musl_in) = &library.musl_in else {
        let detail = "no version is known to ship a musl variant: its loader extracts the glibc \
                      build on musl (data/jni table)"
            .to_string();
        return Some(answer(Reinstall::NoMuslBuild, detail, table, None));
    };
    if Version::release(&package.version) >= Version::release(musl_in) {
        let detail = format!(
            "{} {musl_in} ships a musl variant, but this jar has none: a repackaged jar?",
            library.coordinates
        );
        return Some(answer(Reinstall::NoMuslBuild, detail, table, None));
    }
    let member = library.musl_member.as_deref().unwrap_or("its musl member");
    let detail = format!(
        "only glibc JNI code in this version; upgrade to {musl_in}, which ships a musl variant \
         ({member}) its loader extracts on musl"
    );
    Some(answer(
        Reinstall::NoMuslBuild,
        detail,
        table,
        Some(musl_in.clone()),
    ))
}

/// A distribution package's files: on the target, its own package manager
/// installs its build of the same library or program.
fn distribution_answer(
    package: Option<&Package>,
    files: &[&Artifact],
    platform: &Platform,
) -> Option<ReinstallAnswer> {
    let package = package?;
    let source = AnswerSource::PackageFiles {
        path: files
            .first()
            .map(|f| f.path.as_str().to_string())
            .unwrap_or_default(),
    };
    let answer = |reinstall, detail: String, build| ReinstallAnswer {
        reinstall,
        detail,
        source: source.clone(),
        build,
        first_musl_version: None,
        build_packages: Vec::new(),
    };
    match package.ecosystem {
        Ecosystem::Alpine if platform.loader_kind() == LoaderKind::Musl => Some(answer(
            Reinstall::MuslBuild,
            format!("Alpine's own package {}", package.name),
            None,
        )),
        Ecosystem::Debian if platform.has_packages() => {
            // The libraries' sonames say which Alpine package has them.
            let sonames: Vec<&str> = files
                .iter()
                .filter_map(|f| f.facts()?.soname.as_deref())
                .collect();
            let providers: Vec<SonameProvider> =
                sonames.iter().filter_map(|s| alpine_provider(s)).collect();
            if let Some(SonameProvider::Nothing(why)) = providers
                .iter()
                .find(|p| matches!(p, SonameProvider::Nothing(_)))
            {
                return Some(answer(
                    Reinstall::NoMuslBuild,
                    format!("Debian package {}: {why}", package.name),
                    None,
                ));
            }
            let names: BTreeSet<&str> = providers
                .iter()
                .filter_map(|p| match p {
                    SonameProvider::Package(name) => Some(*name),
                    SonameProvider::Nothing(_) => None,
                })
                .collect();
            if !names.is_empty() && providers.len() == sonames.len() && sonames.len() == files.len()
            {
                let names: Vec<&str> = names.into_iter().collect();
                return Some(answer(
                    Reinstall::MuslBuild,
                    format!(
                        "Debian package {}: Alpine's {} provides the same libraries",
                        package.name,
                        names.join(", ")
                    ),
                    Some(format!("apk add {}", names.join(" "))),
                ));
            }
            if !sonames.is_empty() && sonames.len() == files.len() {
                // A library package: Alpine names its libraries' packages
                // differently, and installs them with the programs needing them.
                return Some(answer(
                    Reinstall::Unknown,
                    format!(
                        "Debian library package {} ({}): Alpine's package of a program that needs it \
                         brings Alpine's build; else find the package with {} on pkgs.alpinelinux.org",
                        package.name,
                        sonames.join(", "),
                        sonames.first().copied().unwrap_or_default()
                    ),
                    None,
                ));
            }
            Some(answer(
                Reinstall::Unknown,
                format!(
                    "Debian package {}, built for glibc: install Alpine's build instead \
                     (`apk add {}` if Alpine names it alike: check pkgs.alpinelinux.org)",
                    package.name, package.name
                ),
                Some(format!("apk add {}", package.name)),
            ))
        }
        _ => None,
    }
}

/// What to change for one package.
fn actions(
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
    let runtime = runtime_packages(files);
    if !runtime.is_empty() {
        actions.push(Action::ApkAdd { packages: runtime });
    }
    let fails_as_is = matches!(
        as_is.verdict,
        Some(Verdict::Breaks | Verdict::NeedsGcompat | Verdict::Unknown)
    );
    if let Some(action) = newer_release(files) {
        // The files load as they are on a newer release: the simplest fix.
        actions.push(action);
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
    match reinstalled.reinstall {
        Reinstall::MuslBuild if fails_as_is => {
            actions.push(reinstall_action(ecosystem));
        }
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
                actions.push(Action::BuildDependencies {
                    packages: build_packages(ecosystem, reinstalled, platform),
                });
            }
            actions.push(reinstall_action(ecosystem));
        }
        Reinstall::NoMuslBuild | Reinstall::CannotInstall => {
            if let Some(to) = &reinstalled.first_musl_version {
                actions.push(Action::Upgrade { to: to.clone() });
                // A jar is upgraded in the build, not installed on the target.
                if ecosystem != Some(Ecosystem::Maven) {
                    actions.push(reinstall_action(ecosystem));
                }
            } else if fails_as_is && loads_with_gcompat(files) && platform.has_packages() {
                actions.push(Action::Gcompat);
            } else {
                actions.push(Action::NoFix {
                    why: reinstalled.detail.clone(),
                });
            }
        }
        Reinstall::Unknown | Reinstall::MuslBuild | Reinstall::NotNative if fails_as_is => {
            if as_is.verdict == Some(Verdict::NeedsGcompat)
                || loads_with_gcompat(files) && platform.has_packages()
            {
                actions.push(Action::Gcompat);
            } else if as_is.verdict == Some(Verdict::Breaks) {
                actions.push(Action::NoFix {
                    why: reinstalled.detail.clone(),
                });
            }
        }
        _ => {}
    }
    actions
}

/// What to change for one package on a glibc or no-libc image: install the
/// libraries the image lacks; reinstall where the index has a build the
/// image's glibc accepts and the files need a newer glibc than it has;
/// else say what nothing on this image fixes.
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
    let mut unprovided = false;
    let mut from_distro = false;
    for finding in files.iter().flat_map(|f| f.findings()) {
        if let Evidence::Libraries { libraries } = &finding.evidence {
            for library in libraries {
                match platform.package_providing(&library.name) {
                    Some(package) => {
                        runtime.insert(package.to_string());
                    }
                    // The image's plan step names the target's package for
                    // it (or says that none is known): not said twice.
                    None if distro_sonames.contains(&library.name) => from_distro = true,
                    None => unprovided = true,
                }
            }
        }
    }
    let adds_libraries =
        (!runtime.is_empty() || from_distro) && !unprovided && platform.install_command().is_some();
    if adds_libraries && !runtime.is_empty() {
        actions.push(Action::ApkAdd {
            packages: runtime.into_iter().collect(),
        });
    }
    if as_is.verdict != Some(Verdict::Breaks) {
        return actions;
    }
    let ecosystem = package.map(|p| p.ecosystem);
    let too_new = files.iter().any(|f| {
        f.findings()
            .iter()
            .any(|finding| finding.code == Code::VersionNodeMissing)
    });
    let from_index = matches!(reinstalled.source, AnswerSource::Index { .. });
    match reinstalled.reinstall {
        Reinstall::GlibcBuild if too_new && from_index => {
            actions.push(reinstall_action(ecosystem));
        }
        Reinstall::SourceBuild if too_new && platform.install_command().is_some() => {
            actions.push(Action::BuildDependencies {
                packages: build_packages(ecosystem, reinstalled, platform),
            });
            actions.push(reinstall_action(ecosystem));
        }
        _ if adds_libraries && !too_new => {}
        Reinstall::CannotInstall | Reinstall::NoGlibcBuild => actions.push(Action::NoFix {
            why: reinstalled.detail.clone(),
        }),
        _ => actions.push(Action::NoFix {
            why: first_error(files).unwrap_or_else(|| reinstalled.detail.clone()),
        }),
    }
    actions
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
    platform: &Platform,
) -> Vec<String> {
    if !answer.build_packages.is_empty() {
        return answer.build_packages.clone();
    }
    platform
        .build_packages(ecosystem == Some(Ecosystem::Pypi))
        .iter()
        .map(|s| s.to_string())
        .collect()
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

/// Alpine packages the files need at run time (MC107).
fn runtime_packages(files: &[&Artifact]) -> Vec<String> {
    let mut packages = BTreeSet::new();
    for finding in files.iter().flat_map(|f| f.findings()) {
        if let Evidence::Packages {
            packages: needs, ..
        } = &finding.evidence
        {
            packages.extend(needs.iter().map(|n| n.package.clone()));
        }
    }
    packages.into_iter().collect()
}

/// Whether every failing file would load with gcompat.
fn loads_with_gcompat(files: &[&Artifact]) -> bool {
    let failing: Vec<&&Artifact> = files
        .iter()
        .filter(|f| matches!(f.verdict(), Verdict::Breaks))
        .collect();
    !failing.is_empty()
        && failing.iter().all(|f| {
            f.assessment
                .load
                .as_ref()
                .is_some_and(|load| load.loads_with_gcompat)
        })
}
