//! npm's prebuild answers, made once the files' verdicts are known: a
//! reinstall that would get the same untagged prebuild again (compiled by
//! node-gyp when it does not load, kept when it loads under Node's lazy
//! binding and fails at its first call).

use super::reinstall::untagged_prebuild;
use crate::ecosystem::npm::{npm_cpu, prebuild};
use crate::model::{
    Artifact, Assessment, Code, ElfFacts, Evidence, Reference, Reinstall, ReinstallAnswer,
    Severity, Verdict,
};
use crate::platform::{LoaderKind, Platform};

/// A reinstall answered by a bundled prebuild without a libc tag installs
/// that very file again: where it breaks here, node-gyp-build's install
/// compiles the addon with node-gyp when it can (the answer's build
/// packages, set by `assess_npm_install` for that case, say so), else
/// nothing installs a build that loads.
pub(super) fn untagged_prebuild_fallback(
    answer: ReinstallAnswer,
    files: &[&Artifact],
    platform: &Platform,
) -> ReinstallAnswer {
    let Some(name) = untagged_prebuild(&answer) else {
        return answer;
    };
    let (libc, none_for_the_target) = match platform.loader_kind() {
        LoaderKind::Musl => ("musl", Reinstall::NoMuslBuild),
        LoaderKind::Glibc => ("glibc", Reinstall::NoGlibcBuild),
        LoaderKind::None => return answer,
    };
    // That file in a directory for Linux and this CPU (`linux-x64`, or one
    // of several: `linux-x64+arm64`), as node-gyp-build's paths are parsed.
    let cpu = npm_cpu(platform.arch);
    // A reinstall gets the prebuild as a fresh install does: without an
    // addon built at install in front of it.
    let breaking = files.iter().find_map(|f| {
        let path = f.path.as_str();
        let fresh = on_fresh_install(f);
        (fresh.verdict == Verdict::Breaks
            && path.rsplit('/').next() == Some(name)
            && prebuild(path).is_some_and(|p| {
                p.platform == "linux" && p.libc.is_none() && p.cpus.iter().any(|c| c == cpu)
            }))
        .then_some((fresh, f.facts()))
    });
    let Some((breaking, facts)) = breaking else {
        // The prebuild loads: nothing is compiled (the build packages only
        // carried what a compile would take).
        return ReinstallAnswer {
            build_packages: Vec::new(),
            ..answer
        };
    };
    let name = name.to_string();
    let compiles = !answer.build_packages.is_empty();
    // node-gyp-build's install tests the prebuild by loading it: one that
    // loads lazily passes, and is kept.
    if fails_only_at_first_call(breaking, facts, platform.loader_kind()) {
        let kept = format!(
            "its prebuild without a libc tag ({name}) loads here under Node's lazy binding and \
             fails at its first call to a name {libc} lacks; node-gyp-build's install test \
             loads it, so npm keeps it"
        );
        return ReinstallAnswer {
            reinstall: if compiles {
                Reinstall::SourceBuild
            } else {
                none_for_the_target
            },
            detail: if compiles {
                format!("{kept} and compiles only when asked (`npm rebuild --build-from-source`)")
            } else {
                format!("{kept}: nothing compiles it at install")
            },
            build: None,
            build_from_source_forced: compiles,
            ..answer
        };
    }
    ReinstallAnswer {
        reinstall: if compiles {
            Reinstall::SourceBuild
        } else {
            none_for_the_target
        },
        detail: if compiles {
            format!(
                "its prebuild without a libc tag ({name}) does not load here, so \
                 node-gyp-build's install compiles the addon with node-gyp"
            )
        } else {
            format!(
                "its prebuild without a libc tag ({name}) does not load here, and a reinstall \
                 gets the same file: nothing compiles it at install"
            )
        },
        build: None,
        ..answer
    }
}

/// How `file` fares on a fresh install on the target: as it is, unless it
/// was set aside only for an addon built at install.
fn on_fresh_install(file: &Artifact) -> &Assessment {
    file.assessment
        .load
        .as_ref()
        .and_then(|load| load.on_fresh_install.as_deref())
        .unwrap_or(&file.assessment)
}

/// Whether a file (its assessment and facts) loads and fails only at its first call to a missing name:
/// its host binds lazily (Node's RTLD_LAZY) and every name it lacks only a
/// PLT entry names, or (musl's lazy dlopen leaves those unbound too) a GOT
/// entry. glibc binds GOT entries at load, and checks version nodes there.
fn fails_only_at_first_call(
    assessment: &Assessment,
    facts: Option<&ElfFacts>,
    loader: LoaderKind,
) -> bool {
    let lazy = assessment
        .host
        .as_ref()
        .is_some_and(|host| !host.dlopens_now())
        && facts.is_some_and(|facts| !facts.bind_now);
    let bound_lazily = |reference: Reference| match loader {
        LoaderKind::Musl => reference != Reference::Load,
        LoaderKind::Glibc | LoaderKind::None => reference == Reference::Plt,
    };
    let mut errors = assessment
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .peekable();
    lazy && errors.peek().is_some()
        && errors.all(|finding| {
            finding.code == Code::MissingSymbols
                && matches!(&finding.evidence, Evidence::Symbols { symbols, .. }
                    if symbols.iter().all(|s| bound_lazily(s.reference)))
        })
}
