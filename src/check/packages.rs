//! The per-package roll-up: each package's files as they are, its reinstall
//! answer (the most trusted source that answered), its actions (`actions`),
//! and the actions of all packages merged into one plan.

use std::collections::{BTreeMap, BTreeSet};

use super::actions::actions;
use super::file_answers::{answer_from_files, distribution_answer};
use super::npm_prebuilds::untagged_prebuild_fallback;
use super::reinstall::untagged_prebuild;
use crate::ecosystem::known::{WithoutMuslBuild, known_package_in};
use crate::model::{
    ActionPlan, AnswerSource, Artifact, ArtifactKind, AsIs, Code, Ecosystem, Evidence, LibcKind,
    Package, PackageDecision, Reinstall, ReinstallAnswer, Severity, Verdict,
};
use crate::platform::{IN_ALPINE_BUILD_BASE, LoaderKind, Platform};

/// What one package is made of: its files (by archive, for a directory of
/// wheels, so a manylinux and a musllinux wheel of one version stay apart)
/// and the answers found for it.
#[derive(Default)]
struct Group<'a> {
    files: Vec<&'a Artifact>,
    answers: Vec<ReinstallAnswer>,
    /// What the package's entries say of the installed tree as it is (the
    /// platform package for the target's libc is not installed, so the JS
    /// loader fails).
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
            // On glibc, only a package whose glibc platform package is not
            // installed (MC206), or whose untagged prebuild answers, has
            // something to say; its entry already holds the glibc answer (the
            // scan sets each entry's answer for the target).
            ArtifactKind::Package { answer } => {
                for finding in artifact
                    .findings()
                    .iter()
                    .filter(|f| f.code == Code::GlibcVariantNotInstalled)
                {
                    let key = (artifact.package.clone(), None);
                    let group = groups.entry(key).or_default();
                    group.answers.push(answer.clone());
                    group.as_is_notes.push(finding.message.clone());
                }
                // A requirements.txt pin the index answered for this image:
                // pip on it compiles the sdist, or installs nothing.
                let pin_without_build = matches!(answer.source, AnswerSource::Index { .. })
                    && matches!(
                        answer.reinstall,
                        Reinstall::SourceBuild | Reinstall::CannotInstall | Reinstall::NoGlibcBuild
                    );
                // A bundled prebuild without a libc tag answers on any libc.
                // So does a package that makes its native code at install, none here.
                if pin_without_build
                    || untagged_prebuild(answer).is_some()
                    || answer.made_at_install.is_some()
                {
                    let key = (artifact.package.clone(), None);
                    groups.entry(key).or_default().answers.push(answer.clone());
                }
            }
            ArtifactKind::Wheel { .. } => {}
        }
    }
    // An installed package whose answer its files give (npm installs the same
    // platform package again) has nothing to say when it holds none: a
    // launcher whose binary is its platform package's, or a hard link to it.
    groups.retain(|_, group| {
        !group.files.is_empty() || !group.answers.iter().any(|a| a.same_build_as_installed)
    });
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
    if let Some(note) = group.as_is_notes.first().cloned() {
        // Its files may all load; the package does not, as installed.
        as_is.verdict = Some(Verdict::Breaks);
        as_is.note = Some(note);
    }
    let reinstalled = best_answer(&group.answers)
        .map(|best| built_without_a_musl_build(best, package.as_ref(), platform))
        .map(|best| with_every_build_package(&best, &group.answers))
        .map(|best| with_table_advice(best, &group.answers))
        .or_else(|| distribution_answer(package.as_ref(), &group.files, platform))
        .unwrap_or_else(|| answer_from_files(package.as_ref(), &group.files, &as_is, platform));
    let reinstalled = untagged_prebuild_fallback(reinstalled, &group.files, platform);
    let reinstalled = same_build_again(
        reinstalled,
        package.as_ref().map(|p| p.ecosystem),
        &group.files,
        platform,
    );
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

/// `best`, unless it is a build from source (an sdist the index lists, an
/// install script) that the known-problem table knows gets no musl build:
/// the build downloads a binary published for glibc only (ibm_db's setup.py
/// fetches IBM's CLI driver). The index sees the sdist, not what it fetches.
fn built_without_a_musl_build(
    best: &ReinstallAnswer,
    package: Option<&Package>,
    platform: &Platform,
) -> ReinstallAnswer {
    let musl = platform.loader_kind() == LoaderKind::Musl;
    let known = package.filter(|_| musl).and_then(|package| {
        let known = known_package_in(package.ecosystem, &package.name)?;
        let explicit =
            known.without_musl_build_of(&package.version) == &WithoutMuslBuild::NoMuslBuild;
        (explicit && known.lacks_musl_build(&package.version) == Some(true))
            .then_some((package, known))
    });
    match known {
        Some((package, known)) if best.reinstall == Reinstall::SourceBuild => {
            let detail = format!(
                "{}; but building {} {} gets no musl build: {} (known-problem table)",
                best.detail, package.name, package.version, known.without_musl_build_why
            );
            ReinstallAnswer {
                advice: Some(known.remedy.clone()).filter(|remedy| !remedy.is_empty()),
                ..ReinstallAnswer::new(
                    Reinstall::NoMuslBuild,
                    detail,
                    AnswerSource::KnownTable {
                        sources: known.sources.clone(),
                    },
                )
            }
        }
        _ => best.clone(),
    }
}

/// `best`, which a build from source answers, with the build packages of
/// every answer that says so too: the index knows the build tools, the
/// known-problem table the `-dev` packages of the libraries it links.
fn with_every_build_package(
    best: &ReinstallAnswer,
    answers: &[ReinstallAnswer],
) -> ReinstallAnswer {
    let mut best = best.clone();
    if best.reinstall != Reinstall::SourceBuild {
        return best;
    }
    let named = answers
        .iter()
        .filter(|answer| answer.reinstall == Reinstall::SourceBuild)
        .flat_map(|answer| &answer.build_packages);
    for package in named {
        if !best.build_packages.contains(package) {
            best.build_packages.push(package.clone());
        }
    }
    if best.build_packages.iter().any(|p| p == "build-base") {
        best.build_packages
            .retain(|p| !IN_ALPINE_BUILD_BASE.contains(&p.as_str()));
    }
    best
}

/// `best`, when it has no musl build to install, with the known-problem
/// table's advice from whichever answer carries it (the index may answer
/// "compiles from source" where the table says which route works).
fn with_table_advice(mut best: ReinstallAnswer, answers: &[ReinstallAnswer]) -> ReinstallAnswer {
    let lacks_musl_build = matches!(
        best.reinstall,
        Reinstall::SourceBuild | Reinstall::NoMuslBuild | Reinstall::CannotInstall
    );
    if lacks_musl_build && best.advice.is_none() {
        best.advice = answers.iter().find_map(|answer| answer.advice.clone());
    }
    best
}

/// An answer whose build is the one installed here (the installed wheel's
/// tags name the index's choice; an npm platform package that names no
/// libc installs itself again) gets the same files again: where some of
/// them break for what they are, not for a library the target lacks, it is
/// no build for the target (mini_racer 0.14.1's musllinux wheel holds a
/// `libmini_racer.so` built for glibc).
fn same_build_again(
    answer: ReinstallAnswer,
    ecosystem: Option<Ecosystem>,
    files: &[&Artifact],
    platform: &Platform,
) -> ReinstallAnswer {
    let (target_libc, none_for_the_target) = match platform.loader_kind() {
        LoaderKind::Musl => (LibcKind::Musl, Reinstall::NoMuslBuild),
        LoaderKind::Glibc => (LibcKind::Glibc, Reinstall::NoGlibcBuild),
        LoaderKind::None => return answer,
    };
    // A pure wheel (`py3-none-any`) may hold ELF files too (debugpy's
    // attach helper, mip's solver library): the index calls it nothing native.
    let installs_a_build =
        answer.reinstall.has_target_build() || answer.reinstall == Reinstall::NotNative;
    if !answer.same_build_as_installed || !installs_a_build {
        return answer;
    }
    let Some(build) = answer.build.as_deref() else {
        return answer;
    };
    // One that loads only with gcompat is no build for the target either.
    let broken: Vec<&Artifact> = files
        .iter()
        .copied()
        .filter(|file| breaks_in_itself(file) || file.verdict() == Verdict::NeedsGcompat)
        .collect();
    if broken.is_empty() {
        return answer;
    }
    let names: Vec<String> = broken
        .iter()
        .filter_map(|file| file.path.as_str().rsplit('/').next().map(str::to_string))
        .collect();
    let other_libc = broken
        .iter()
        .filter_map(|file| Some(file.facts()?.libc.kind))
        .find(|kind| matches!(kind, LibcKind::Glibc | LibcKind::Musl) && *kind != target_libc);
    let files = super::describe_list(&names, 3);
    let first_error = broken
        .iter()
        .flat_map(|file| file.findings())
        .find(|finding| finding.severity == Severity::Error)
        .map(|finding| finding.message.as_str());
    let why = match (other_libc, first_error) {
        (Some(kind), _) => format!("{files}, built for {kind}"),
        (None, Some(error)) => format!("{files}, which {error}"),
        (None, None) => files,
    };
    let installs = match ecosystem {
        Some(Ecosystem::Npm) => format!("npm installs {build}, the package installed here"),
        _ => format!("pip installs {build}, the wheel installed here"),
    };
    ReinstallAnswer {
        reinstall: none_for_the_target,
        detail: format!("{installs}: a reinstall gets the same {why}"),
        build: None,
        same_build_as_installed: false,
        ..answer
    }
}

/// Whether `file` fails to load for what it is (its symbols, its
/// interpreter, its relocations), not for a library or file the target
/// lacks, which a system package adds, nor for names no C library defines,
/// which what the process loaded first supplies (usearch's module takes
/// numkong's, which usearch's Python code loads with RTLD_GLOBAL).
fn breaks_in_itself(file: &Artifact) -> bool {
    file.verdict() == Verdict::Breaks
        && file.findings().iter().any(|finding| {
            finding.severity == Severity::Error
                && !matches!(
                    finding.code,
                    Code::MissingLibrary
                        | Code::DependencyBreaks
                        | Code::NeedsAlpinePackage
                        | Code::RuntimeFileMissing
                        | Code::InterpreterNotOnImage
                )
                && !only_names_no_c_library_defines(&finding.evidence)
        })
}

/// Symbols without a version and unknown to the C libraries' tables.
fn only_names_no_c_library_defines(evidence: &Evidence) -> bool {
    match evidence {
        Evidence::Symbols { symbols, .. } => symbols.iter().all(|symbol| {
            symbol.version.is_none()
                && symbol.expected_library.is_none()
                && symbol.glibc_since.is_none()
                && !symbol.gcompat_provides
        }),
        _ => false,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(reinstall: Reinstall, source: AnswerSource, advice: Option<&str>) -> ReinstallAnswer {
        ReinstallAnswer {
            advice: advice.map(str::to_string),
            ..ReinstallAnswer::new(reinstall, "detail".to_string(), source)
        }
    }

    #[test]
    fn the_tables_advice_joins_an_index_answer_without_a_musl_build() {
        let index = AnswerSource::Index {
            url: "https://pypi.org/simple/opencv-python-headless/".to_string(),
        };
        let table = AnswerSource::KnownTable {
            sources: "issues".to_string(),
        };
        let advice = "apk add py3-opencv (full build, no headless); or glibc image";
        let answers = [
            answer(Reinstall::SourceBuild, index.clone(), None),
            answer(Reinstall::NoMuslBuild, table, Some(advice)),
        ];
        let best = best_answer(&answers).unwrap().clone();
        assert_eq!(best.source, index);
        assert_eq!(
            with_table_advice(best, &answers).advice.as_deref(),
            Some(advice)
        );
        // A musl build to install needs no advice.
        let musl = answer(Reinstall::MuslBuild, index, None);
        assert_eq!(with_table_advice(musl, &answers).advice, None);
    }

    #[test]
    fn a_source_build_the_table_knows_downloads_a_glibc_binary_is_no_musl_build() {
        let on = |target: &str| {
            Platform::new(target.parse().unwrap(), crate::model::Arch::X86_64, false)
        };
        let package = |name: &str| Package {
            ecosystem: Ecosystem::Pypi,
            name: name.to_string(),
            version: "3.2.9".to_string(),
        };
        let index = AnswerSource::Index {
            url: "https://pypi.org/simple/ibm-db/".to_string(),
        };
        let sdist = answer(Reinstall::SourceBuild, index.clone(), None);
        let on_alpine =
            built_without_a_musl_build(&sdist, Some(&package("ibm_db")), &on("alpine:3.20"));
        assert_eq!(on_alpine.reinstall, Reinstall::NoMuslBuild);
        assert!(matches!(on_alpine.source, AnswerSource::KnownTable { .. }));
        assert!(
            on_alpine.detail.contains("built for glibc"),
            "{}",
            on_alpine.detail
        );
        assert!(on_alpine.advice.is_some());
        // A glibc image builds it as it is; a row that says the build works
        // (numpy: source-build) leaves the index's answer alone.
        let on_debian =
            built_without_a_musl_build(&sdist, Some(&package("ibm_db")), &on("debian:12-slim"));
        assert_eq!(on_debian, sdist);
        let numpy = Package {
            version: "1.24.4".to_string(),
            ..package("numpy")
        };
        assert_eq!(
            built_without_a_musl_build(&sdist, Some(&numpy), &on("alpine:3.20")),
            sdist
        );
        // A musl build the index found is not overruled.
        let wheel = answer(Reinstall::MuslBuild, index, None);
        assert_eq!(
            built_without_a_musl_build(&wheel, Some(&package("ibm_db")), &on("alpine:3.20")),
            wheel
        );
    }
}
