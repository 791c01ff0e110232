//! A lockfile's or an installed package's entry made for one target: what
//! it says of the other libc set aside (`for_target_libc`), and pins the
//! package index answers (`answer_pins`).

use std::collections::HashMap;

use crate::check;
use crate::model::{
    AnswerSource, Artifact, ArtifactKind, Code, Ecosystem, Package, Reinstall, ReinstallAnswer,
    Verdict,
};
use crate::platform::{LoaderKind, Platform};

/// A lockfile or manifest entry judged for the target: its findings about
/// installing on another libc (or on one, for an image without any) do not
/// apply there, nor does a reinstall answer about musl builds.
pub(super) fn for_target_libc(mut entry: Artifact, platform: &Platform) -> Artifact {
    let loader = platform.loader_kind();
    // A Python pin the index answers for any target is not about musl.
    let python_pin = |answer: &ReinstallAnswer| {
        entry
            .package
            .as_ref()
            .is_some_and(|p| p.ecosystem == Ecosystem::Pypi)
            && is_a_pin(answer)
    };
    if let ArtifactKind::Package { answer } = &mut entry.kind
        && loader != LoaderKind::Musl
        && !python_pin(answer)
    {
        let glibc_variant = entry
            .assessment
            .findings
            .iter()
            .find(|f| f.code.is_about_glibc_installs());
        let glibc_answer = glibc_variant
            .and_then(check::reinstall::glibc_variant_answer)
            .or_else(|| check::reinstall::untagged_prebuild_on_glibc(answer, platform))
            .or_else(|| check::reinstall::made_at_install_on_glibc(answer, platform));
        *answer = match (loader, glibc_answer) {
            (LoaderKind::Glibc, Some(glibc_answer)) => glibc_answer,
            _ => ReinstallAnswer::unknown(not_for_musl(entry.package.as_ref(), loader)),
        };
    }
    if matches!(entry.kind, ArtifactKind::Package { .. }) {
        let assessment = &mut entry.assessment;
        // A lockfile's or the table's "cannot install" (MC207) is musl's; on
        // other images the package index answers pins (`answer_pins`).
        assessment.findings.retain(|f| match loader {
            LoaderKind::Musl => !f.code.is_about_glibc_installs(),
            LoaderKind::Glibc => !f.code.is_about_musl_installs() && f.code != Code::CannotInstall,
            LoaderKind::None => {
                !f.code.is_about_musl_installs()
                    && !f.code.is_about_glibc_installs()
                    && f.code != Code::CannotInstall
            }
        });
        if assessment.findings.is_empty() && assessment.verdict == Verdict::Unknown {
            assessment.verdict = Verdict::Ok;
        }
    }
    entry
}

/// Why a package entry has no reinstall answer on a glibc image or one
/// without a C library: the lockfile's variants and the known-problem table
/// speak of musl builds.
fn not_for_musl(package: Option<&Package>, loader: LoaderKind) -> String {
    let package = package.map_or_else(
        || "this package".to_string(),
        |p| format!("{} {}", p.name, p.version),
    );
    match loader {
        LoaderKind::None => format!(
            "{package}: an image without a C library has no package manager to reinstall it \
             with, and what is known here is about musl builds; its files are judged as they are"
        ),
        _ => format!(
            "{package}: what is known here is about its musl builds, which a glibc image does \
             not install; its files are judged as they are"
        ),
    }
}

/// A Python lockfile's pin that nothing but the index can answer.
fn is_a_pin(answer: &ReinstallAnswer) -> bool {
    answer.reinstall == Reinstall::Unknown && matches!(answer.source, AnswerSource::Lockfile { .. })
}

/// A version a lockfile only pins (requirements.txt) is kept for the index
/// to answer: with its answer where the index says the target gets a build
/// or none (MC201 where pip on musl gets no wheel, as a known-problem row
/// would say, before the ignore rules), dropped where nothing answered, the
/// version is pure Python or a release of one sdist (no file here tells
/// whether it is native). On a glibc image, an entry whose lockfile or table
/// answer was about musl builds takes the index's answer too, and is kept
/// as it is where the index has none.
pub(super) fn answer_pins(
    artifacts: &mut Vec<Artifact>,
    answers: &[(Package, ReinstallAnswer)],
    platform: &Platform,
) {
    let by_package: HashMap<&Package, &ReinstallAnswer> = answers
        .iter()
        .map(|(package, answer)| (package, answer))
        .collect();
    artifacts.retain_mut(|artifact| {
        let ArtifactKind::Package { answer } = &mut artifact.kind else {
            return true;
        };
        let Some(package) = artifact.package.as_ref() else {
            return true;
        };
        if package.ecosystem != Ecosystem::Pypi {
            return true;
        }
        let pin = is_a_pin(answer);
        // Lockfile and table answers speak of musl builds, and a glibc image
        // has none of them (`for_target_libc`): there the index answers
        // (mysqlclient, psycopg2: the table's, and no manylinux wheel).
        let table_on_glibc = platform.loader_kind() != LoaderKind::Musl
            && matches!(answer.source, AnswerSource::Nothing);
        if !pin && !table_on_glibc {
            return true;
        }
        let Some(&said) = by_package.get(package) else {
            return !pin;
        };
        if matches!(said.reinstall, Reinstall::Unknown | Reinstall::NotNative) || said.only_an_sdist
        {
            return !pin;
        }
        *answer = said.clone();
        let lockfile = artifact
            .path
            .as_str()
            .rsplit('/')
            .next()
            .unwrap_or_default();
        let finding = match platform.loader_kind() {
            LoaderKind::Musl => {
                check::reinstall::pinned_without_musl_wheel(package, lockfile, said, platform.arch)
            }
            LoaderKind::Glibc => {
                check::reinstall::pinned_cannot_install_on_glibc(package, lockfile, said, platform)
            }
            LoaderKind::None => None,
        };
        if let Some(finding) = finding {
            artifact.assessment.findings.push(finding);
            artifact.assessment.verdict = Verdict::Unknown;
        }
        true
    });
}
