//! What a package's own files answer for a reinstall when no lockfile,
//! table or package index did: files built for the target's C library that
//! load there, a jar's musl JNI member (or the JNI table), a distribution
//! package's counterpart on the target.

use std::collections::BTreeSet;

use crate::ecosystem::maven::jni_library;
use crate::model::{
    AnswerSource, Artifact, AsIs, Ecosystem, LibcKind, Package, Reinstall, ReinstallAnswer,
    Verdict, Version,
};
use crate::platform::{LoaderKind, Platform, SonameProvider, alpine_provider};

/// With no answer from outside: files built for the target's C library
/// that load there are its build; on an image without one, nothing installs.
pub(super) fn answer_from_files(
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
            return ReinstallAnswer::new(
                Reinstall::GlibcBuild,
                "the installed files load on the target as they are".to_string(),
                files_source(),
            );
        }
        LoaderKind::Glibc => {}
        LoaderKind::None if as_is.verdict == Some(Verdict::Breaks) => {
            return ReinstallAnswer::new(
                Reinstall::CannotInstall,
                format!(
                    "{} has no C library, no loader and no package manager: only static \
                     files run there; build them static, or choose an image with glibc",
                    platform.target
                ),
                files_source(),
            );
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
        return ReinstallAnswer::new(
            Reinstall::MuslBuild,
            "the installed files are built for musl or need no C library".to_string(),
            files_source(),
        );
    }
    if package.is_none() {
        let builds = match platform.loader_kind() {
            LoaderKind::Musl => "musl builds",
            LoaderKind::Glibc | LoaderKind::None => "builds made for it",
        };
        return ReinstallAnswer::unknown(format!(
            "no package manager installs these files: build them on the target or get {builds} from where they came from"
        ));
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
        first_musl_version,
        ..ReinstallAnswer::new(reinstall, detail, source)
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
pub(super) fn distribution_answer(
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
        build,
        ..ReinstallAnswer::new(reinstall, detail, source.clone())
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
