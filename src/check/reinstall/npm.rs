//! npm's answers: what `npm ci` on the target gets for a package with
//! platform-variant packages (from the lockfile, or those installed beside
//! it), and for an installed package with native code (its prebuilds,
//! install script, or the known-problem table).

use crate::ecosystem::known::known_package_in;
use crate::ecosystem::npm::{NativeSource, PackageJson};
use crate::ecosystem::npm_lock::LockVariant;
use crate::model::{
    AnswerSource, Code, Ecosystem, Evidence, Finding, MadeAtInstall, Reinstall, ReinstallAnswer,
};
use crate::platform::Platform;

use super::{Answered, answer, build_packages, build_packages_on, known_answer};
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
        // One Linux build for both libcs (esbuild's static Go binary, or
        // workerd's glibc one): only its files tell whether it loads on musl.
        let builds = if variant.shared_builds.is_empty() {
            &variant.declared
        } else {
            &variant.shared_builds
        };
        let detail = format!(
            "npm ci on Alpine installs {} again, a Linux platform package that names no libc: whether it loads on musl only its files tell (scan the installed node_modules)",
            builds.join(", ")
        );
        return (answer(Reinstall::Unknown, detail, lockfile), Vec::new());
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
    if let Some(build) = main_package(&variant.shared_builds) {
        return (installed_again(build, files), Vec::new());
    }
    let package = format!("{} {}", variant.parent, variant.version);
    if variant.musl_declared.is_empty() {
        let detail = format!(
            "{package} declares Linux platform packages ({}) but none for musl: its loader finds no binary on Alpine",
            variant.declared.join(", ")
        );
        let evidence = Evidence::PlatformPackages {
            lockfile: manifest_path.to_string(),
            declared: variant.declared.clone(),
            musl_declared: Vec::new(),
            musl_locked: Vec::new(),
        };
        let mut findings = Vec::new();
        // As it is, the package fails too: what is installed is for glibc
        // (vectordb 0.21's loader throws on musl beside its -gnu package).
        // No reinstall on Alpine gets another build: `npm ci` there is no fix.
        let remedy = "upgrade to a version that publishes a -musl platform package, or stay on a glibc base image";
        if !variant.glibc_builds.is_empty() {
            // What runs is the glibc build, in its package or where an
            // install script copied it (@ast-grep/cli's postinstall).
            findings.push(
                Finding::new(
                    Code::MuslVariantNotInstalled,
                    format!(
                        "{package}: only the glibc platform package is installed here ({}), and it declares none for musl: on Alpine its glibc build fails to load as it is",
                        variant.glibc_builds.join(", ")
                    ),
                    evidence.clone(),
                )
                .with_remedy(remedy),
            );
        }
        findings
            .push(Finding::new(Code::NoMuslBuild, detail.clone(), evidence).with_remedy(remedy));
        return (answer(Reinstall::NoMuslBuild, detail, files), findings);
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
    // usb 3.1.0 with neither of its @node-usb packages installed.
    let installed = if variant.glibc_builds.is_empty() {
        "no platform package is installed here"
    } else {
        "only the glibc platform package is installed here"
    };
    let finding = Finding::new(
        Code::MuslVariantNotInstalled,
        format!(
            "{package}: {installed}; on Alpine its loader requires {musl}, so these files fail to load as they are"
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

/// The prebuild an answer from a package's own files names when it is one
/// without a libc tag (`tree-sitter.node`, a bare file name; a musl
/// prebuild's names its tag or its directory's, an addon named for musl
/// has the word), which node-gyp-build loads
/// on any libc: its own verdict answers on any target.
pub fn untagged_prebuild(answer: &ReinstallAnswer) -> Option<&str> {
    let from_files = matches!(answer.source, AnswerSource::PackageFiles { .. });
    answer
        .build
        .as_deref()
        .filter(|_| from_files && answer.reinstall.has_target_build())
        .filter(|name| {
            name.ends_with(".node")
                && !name.contains('/')
                && !name
                    .split(['.', '-', '_'])
                    .any(|word| matches!(word, "musl" | "glibc"))
        })
}

/// An installed package's answer on a glibc image: one naming an untagged
/// prebuild holds there too (a reinstall gets that file again, and
/// node-gyp-build's install compiles the addon where it does not load,
/// with the image's build packages); the others speak of musl builds.
pub fn untagged_prebuild_on_glibc(
    answer: &ReinstallAnswer,
    platform: &Platform,
) -> Option<ReinstallAnswer> {
    let name = untagged_prebuild(answer)?;
    let compiles = !answer.build_packages.is_empty();
    let mut detail = format!(
        "it bundles a prebuild without a libc tag ({name}) that node-gyp-build loads on any \
         libc: its own verdict tells whether it loads here"
    );
    let mut build_packages = Vec::new();
    if compiles {
        detail.push_str(
            "; where it does not, node-gyp-build's install compiles the addon with node-gyp",
        );
        let note;
        (build_packages, note) = build_packages_on(platform, false, &answer.build_packages);
        if let Some(note) = note {
            detail = format!("{detail}; {note}");
        }
    }
    Some(ReinstallAnswer {
        reinstall: Reinstall::GlibcBuild,
        detail,
        build_packages,
        ..answer.clone()
    })
}

/// An installed package's answer on a glibc image when it makes its native
/// code at install and none was made here (its install script did not run):
/// `npm ci` there compiles it with the image's build packages, or downloads
/// the release's glibc build. Its files cannot answer: there are none.
pub fn made_at_install_on_glibc(
    answer: &ReinstallAnswer,
    platform: &Platform,
) -> Option<ReinstallAnswer> {
    // The musl answer's packages are Alpine's: the image's own, and what it
    // has no name for said.
    let (on_image, note) = build_packages_on(platform, false, &answer.build_packages);
    let build_packages = || on_image.clone();
    let target = &platform.target;
    let none_here = "none was made here: its install script did not run";
    let (reinstall, detail, build_packages) = match answer.made_at_install.as_ref()? {
        MadeAtInstall::Compiled => (
            Reinstall::SourceBuild,
            format!("npm on {target} compiles it with node-gyp (binding.gyp); {none_here}"),
            build_packages(),
        ),
        MadeAtInstall::Downloaded { how, compiles } => (
            Reinstall::GlibcBuild,
            format!(
                "{how} downloads the release's glibc build at install{}; {none_here}",
                if *compiles {
                    " (node-gyp compiles it where the release has none)"
                } else {
                    ""
                }
            ),
            if *compiles {
                build_packages()
            } else {
                Vec::new()
            },
        ),
    };
    let detail = match note.filter(|_| !build_packages.is_empty()) {
        Some(note) => format!("{detail}; {note}"),
        None => detail,
    };
    Some(ReinstallAnswer {
        reinstall,
        detail,
        build: None,
        first_musl_version: None,
        build_packages,
        advice: None,
        same_build_as_installed: false,
        ..answer.clone()
    })
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
        NativeSource::MuslPrebuild(prebuild) => bundled_musl_build(
            format!("it bundles a musl prebuild ({prebuild}) that node-gyp-build loads on Alpine"),
            prebuild,
            files,
        ),
        NativeSource::MuslNamedAddon(addon) => bundled_musl_build(
            format!(
                "it bundles an addon named for linux and musl ({addon}), which a reinstall on \
                 Alpine has again; its own verdict tells whether it loads there"
            ),
            addon,
            files,
        ),
        NativeSource::MuslPkgPrebuild(prebuild) => bundled_musl_build(
            format!(
                "it bundles a musl prebuild ({prebuild}) that pkg-prebuilds loads on \
                 Alpine; its install script checks that before it would compile"
            ),
            prebuild,
            files,
        ),
        NativeSource::MuslPlatformPackage { package, prebuild } => bundled_musl_build(
            format!(
                "its platform package {package}, which npm installs on any Linux libc, \
                 holds a musl prebuild ({prebuild}) that node-gyp-build-optional-packages \
                 loads on Alpine before it would compile"
            ),
            prebuild,
            files,
        ),
        NativeSource::RequireAddon {
            directory,
            addon: Some(addon),
        } => bundled_musl_build(
            format!(
                "it bundles a musl prebuild ({addon}) that require-addon loads on Alpine \
                 (prebuilds/{directory}/)"
            ),
            addon,
            files,
        ),
        NativeSource::RequireAddon {
            directory,
            addon: None,
        } => (
            answer(
                Reinstall::NoMuslBuild,
                format!(
                    "require-addon reads only prebuilds/{directory}/ on Alpine, and the \
                     package has no addon there: a reinstall gets the same files, and \
                     nothing compiles at install"
                ),
                files,
            ),
            Vec::new(),
        ),
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
            names_libc,
        } => {
            let fallback = if *falls_back_to_compiling {
                " and compiles from source if there is none"
            } else {
                ""
            };
            let asks = if *names_libc {
                format!("on Alpine it asks for a musl build{fallback}")
            } else {
                "its file name template names no {libc}, so Alpine downloads the same build as glibc systems".to_string()
            };
            let downloads = Finding::new(
                Code::DownloadedAtInstall,
                format!("{package} downloads its binary at install time ({how}); {asks}"),
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
            if !*names_libc {
                // The build installed here: its files tell whether it loads on musl.
                let mut again = answer(
                    Reinstall::MuslBuild,
                    format!("{how} downloads the same build on every libc: the one installed here"),
                    files,
                );
                again.build = Some(format!("{}@{}", manifest.name, manifest.version));
                again.same_build_as_installed = true;
                return (again, findings);
            }
            if *falls_back_to_compiling {
                // Either branch gives a musl build: the download, or the
                // compile the build packages allow (zstd-napi's
                // `prebuild-install || node-gyp rebuild`).
                let mut either = answer(
                    Reinstall::SourceBuild,
                    format!(
                        "{how} downloads a build for musl at install if the release publishes \
                         one{fallback}: with the build packages, either gives a musl build"
                    ),
                    files,
                );
                either.build_packages = build_packages(Ecosystem::Npm, known);
                findings.push(needs_build_tools(&package));
                return (either, findings);
            }
            let unknown = answer(
                Reinstall::Unknown,
                format!("{how} downloads a build for musl at install if the release publishes one"),
                files,
            );
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
        "{name} {version} runs an install script on Alpine, which downloads or compiles its native code: the lockfile does not say whether that gives a build for musl"
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

/// The answer for an installed Linux platform package that names no libc,
/// `build` (`name@version`; or its parent's, which requires it): npm on
/// Alpine installs it again, so the files installed here answer for it.
pub fn installed_again(build: String, files: AnswerSource) -> ReinstallAnswer {
    let mut again = answer(
        Reinstall::MuslBuild,
        format!(
            "npm on Alpine installs {build} again, a Linux platform package that names no libc"
        ),
        files,
    );
    again.build = Some(build);
    again.same_build_as_installed = true;
    again
}

/// A musl build the package's own files hold: `build`, as `detail` says.
fn bundled_musl_build(detail: String, build: &str, files: AnswerSource) -> Answered {
    let mut musl = answer(Reinstall::MuslBuild, detail, files);
    musl.build = Some(build.to_string());
    (musl, Vec::new())
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
