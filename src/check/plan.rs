//! The plan: every package's actions merged into one set of Dockerfile
//! lines, with the install command the project's own lockfile implies.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{
    Action, ActionPlan, Artifact, ArtifactKind, Ecosystem, KeepBuiltLibraries, PackageDecision,
    Presence, Reinstall, ReinstallAnswer, Reinstallation, Unanswered, Version, brings_a_library,
    keep_built_libraries_command, shell_word, shell_words,
};
use crate::platform::Platform;

use super::actions::REBUILD_FROM_SOURCE;
use super::describe_list;

/// The files named in the plan's line for a package's gcompat: the
/// package's own actions list them all (a host's `/usr/lib` holds hundreds
/// no package owns).
const GCOMPAT_FILES_NAMED: usize = 5;

/// The file names of the lockfiles and requirement files the scan read:
/// on disk or in a container image, not inside a package's own archive
/// (a wheel's or npm tarball's files are not the project's lockfiles).
pub(super) fn lockfile_names(artifacts: &[Artifact]) -> BTreeSet<String> {
    artifacts
        .iter()
        .filter(|a| matches!(a.kind, ArtifactKind::Package { .. }))
        .filter(|a| !a.path.is_member() || !is_package_archive(a.path.outer_file()))
        .filter_map(|a| a.path.innermost().rsplit('/').next())
        .map(str::to_string)
        .collect()
}

/// A wheel or an npm tarball: an archive of one package.
fn is_package_archive(path: &str) -> bool {
    [".whl", ".tgz", ".tar.gz"]
        .iter()
        .any(|suffix| path.ends_with(suffix))
}

/// The command that installs the project's packages on the target: the
/// lockfile's own install when the scan read one, else the pinned versions.
fn install_command(
    generic: &str,
    lockfiles: &BTreeSet<String>,
    packages: &[String],
    upgrades: &[(String, String)],
) -> String {
    let has = |name: &str| lockfiles.contains(name);
    let requirements = lockfiles
        .iter()
        .find(|name| name.starts_with("requirements") && name.ends_with(".txt"));
    // Names, versions and file names are the scanned files' own: each a
    // shell word, or left out.
    let pinned = |separator: &str| {
        let pins: Vec<String> = packages
            .iter()
            .filter_map(|p| p.split_once(' '))
            .map(|(name, version)| {
                // An upgrade the plan asks for is what gets installed.
                let version = upgrades
                    .iter()
                    .find(|(upgraded, _)| upgraded == name)
                    .map_or(version, |(_, to)| to.as_str());
                format!("{name}{separator}{version}")
            })
            .collect();
        shell_words(pins.iter().map(String::as_str))
    };
    match generic {
        "npm ci" if has("package-lock.json") || has("npm-shrinkwrap.json") => "npm ci".to_string(),
        "npm ci" if has("pnpm-lock.yaml") => "pnpm install --frozen-lockfile".to_string(),
        "npm ci" if has("yarn.lock") => "yarn install --frozen-lockfile".to_string(),
        "npm ci" => format!("npm install {}", pinned("@")),
        REBUILD_FROM_SOURCE => {
            let names = packages
                .iter()
                .map(|p| p.split_once(' ').map_or(p.as_str(), |(name, _)| name));
            format!("npm rebuild {} --build-from-source", shell_words(names))
        }
        "pip install" if has("uv.lock") => "uv sync --frozen".to_string(),
        "pip install" if has("poetry.lock") => "poetry install".to_string(),
        "pip install" if has("pdm.lock") => "pdm sync".to_string(),
        "pip install" if has("Pipfile.lock") => "pipenv install --deploy".to_string(),
        "pip install" => match requirements.and_then(|file| shell_word(file)) {
            Some(file) => format!("pip install -r {file}"),
            None => format!("pip install {}", pinned("==")),
        },
        other => other.to_string(),
    }
}

/// Whether reinstalling makes the package's build with its own install
/// script: node-gyp compiling it, or, where none was made here, its download
/// tool fetching it (not a platform package npm itself picks).
fn runs_its_install_script(answer: &ReinstallAnswer) -> bool {
    answer.reinstall == Reinstall::SourceBuild || answer.made_at_install.is_some()
}

/// Where `pip`, `npm` and `gem` install packages in the image, as a shell
/// word: the files built there are the ones whose libraries must stay.
fn installed_packages_dir(ecosystem: Ecosystem) -> Option<&'static str> {
    match ecosystem {
        Ecosystem::Pypi => {
            Some(r#""$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')""#)
        }
        Ecosystem::Npm => Some("node_modules"),
        Ecosystem::Rubygems => Some(r#""$(gem env gemdir)""#),
        Ecosystem::Debian | Ecosystem::Alpine | Ecosystem::Maven => None,
    }
}

/// Every package's actions merged.
pub(super) fn plan(
    decisions: &[PackageDecision],
    lockfiles: &BTreeSet<String>,
    platform: &Platform,
) -> ActionPlan {
    let mut apk_add = BTreeSet::new();
    let mut build = BTreeSet::new();
    // Where the packages built against a library's -dev package are installed.
    let mut built_in = BTreeSet::new();
    let mut reinstall: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut relock = BTreeSet::new();
    let mut copies = BTreeSet::new();
    // By install command: the packages whose install script makes their build.
    let mut scripted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut plan = ActionPlan::default();
    let mut newest: Option<(Version, String)> = None;
    for decision in decisions {
        let name = decision.package.as_ref().map_or_else(
            || "files no package owns".to_string(),
            |p| format!("{} {}", p.name, p.version),
        );
        for action in &decision.actions {
            match action {
                Action::ApkAdd { packages } => apk_add.extend(packages.iter().cloned()),
                Action::BuildDependencies { packages } => {
                    build.extend(packages.iter().cloned());
                    if packages.iter().any(|p| brings_a_library(p)) {
                        built_in.extend(
                            decision
                                .package
                                .as_ref()
                                .and_then(|p| installed_packages_dir(p.ecosystem)),
                        );
                    }
                }
                Action::ReinstallOnTarget { command } => {
                    reinstall
                        .entry(command.clone())
                        .or_default()
                        .push(name.clone());
                    if let Some(package) = decision
                        .package
                        .as_ref()
                        .filter(|_| runs_its_install_script(&decision.reinstalled))
                    {
                        scripted
                            .entry(command.clone())
                            .or_default()
                            .insert(package.name.clone());
                    }
                }
                Action::Upgrade { to } => {
                    if let Some(p) = &decision.package {
                        plan.upgrades.push((p.name.clone(), to.clone()));
                    }
                }
                Action::RelockForMusl { packages } => relock.extend(packages.iter().cloned()),
                Action::CopyFromBuild { lines } => copies.extend(lines.iter().cloned()),
                Action::NewerAlpine { release, .. } => {
                    let version = Version::release(release);
                    if newest.as_ref().is_none_or(|(v, _)| version > *v) {
                        newest = Some((version, release.clone()));
                    }
                }
                Action::Gcompat { files } => {
                    plan.gcompat = true;
                    plan.gcompat_for.push(if files.is_empty() {
                        name.clone()
                    } else {
                        format!("{name} ({})", describe_list(files, GCOMPAT_FILES_NAMED))
                    });
                }
                Action::NoFix { why } => plan.no_fix.push((name.clone(), why.clone())),
                Action::Unanswered { why, check } => plan.unanswered.push(Unanswered {
                    package: name.clone(),
                    why: why.clone(),
                    check: check.clone(),
                }),
            }
        }
    }
    if plan.gcompat {
        apk_add.insert("gcompat".to_string());
    }
    plan.from = newest.map(|(_, release)| format!("alpine:{release}"));
    plan.install_command = platform.install_command().map(str::to_string);
    plan.no_shell = platform
        .profile()
        .filter(|profile| profile.bin_sh.presence == Presence::No)
        .map(|profile| profile.name.to_string());
    plan.apk_add = apk_add.into_iter().collect();
    plan.build_dependencies = build.into_iter().collect();
    plan.keep_built_libraries = plan
        .install_command
        .as_deref()
        .filter(|install| install.starts_with("apk ") && !built_in.is_empty())
        .map(|install| {
            let dirs: Vec<String> = built_in.into_iter().map(str::to_string).collect();
            KeepBuiltLibraries {
                command: keep_built_libraries_command(install, &dirs).join(" "),
                dirs,
            }
        });
    plan.reinstall = reinstall
        .into_iter()
        .map(|(generic, packages)| {
            let command = install_command(&generic, lockfiles, &packages, &plan.upgrades);
            let only_built_dependencies = if command.starts_with("pnpm ") {
                scripted
                    .remove(&generic)
                    .unwrap_or_default()
                    .into_iter()
                    .collect()
            } else {
                Vec::new()
            };
            Reinstallation {
                command,
                packages,
                only_built_dependencies,
            }
        })
        .collect();
    plan.relock = relock.into_iter().collect();
    plan.copy_from_build = copies.into_iter().collect();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A package of `ecosystem` compiled on the target with `build`.
    fn built_from_source(ecosystem: Ecosystem, build: &[&str]) -> PackageDecision {
        PackageDecision {
            package: Some(crate::model::Package {
                ecosystem,
                name: "pkg".to_string(),
                version: "1.0".to_string(),
            }),
            origin: None,
            as_is: crate::model::AsIs::default(),
            reinstalled: ReinstallAnswer::unknown("test"),
            actions: vec![
                Action::BuildDependencies {
                    packages: build.iter().map(|p| p.to_string()).collect(),
                },
                Action::ReinstallOnTarget {
                    command: "pip install".to_string(),
                },
            ],
        }
    }

    #[test]
    fn only_libraries_built_against_with_apk_are_kept_where_each_ecosystem_installs() {
        let keep = |target: &str, decisions: &[PackageDecision]| {
            let platform =
                Platform::new(target.parse().unwrap(), crate::model::Arch::X86_64, false);
            plan(decisions, &BTreeSet::new(), &platform).keep_built_libraries
        };
        let kept = keep(
            "alpine:3.20",
            &[
                built_from_source(Ecosystem::Npm, &["build-base", "libsecret-dev"]),
                built_from_source(Ecosystem::Pypi, &["build-base", "postgresql-dev"]),
                // Python's headers bring no library.
                built_from_source(Ecosystem::Rubygems, &["build-base", "python3-dev"]),
            ],
        )
        .unwrap();
        assert_eq!(kept.dirs.len(), 2, "{kept:?}");
        assert!(kept.dirs.contains(&"node_modules".to_string()), "{kept:?}");
        assert!(kept.dirs.iter().any(|d| d.contains("platlib")), "{kept:?}");
        assert!(
            kept.command
                .contains("apk add --no-cache --virtual .run-deps"),
            "{kept:?}"
        );
        let headers_only = [built_from_source(
            Ecosystem::Pypi,
            &["build-base", "python3-dev"],
        )];
        assert_eq!(keep("alpine:3.20", &headers_only), None);
        // apt has no `.build-deps` to delete.
        let on_debian = [built_from_source(Ecosystem::Pypi, &["libpq-dev"])];
        assert_eq!(keep("debian:12-slim", &on_debian), None);
    }

    #[test]
    fn the_gcompat_line_names_a_few_files_and_counts_the_rest() {
        let files: Vec<String> = (0..170).map(|i| format!("lib{i:03}.so")).collect();
        let unowned = PackageDecision {
            package: None,
            origin: None,
            as_is: crate::model::AsIs::default(),
            reinstalled: ReinstallAnswer::unknown("test"),
            actions: vec![Action::Gcompat {
                files: files.clone(),
            }],
        };
        let platform = Platform::new(
            "alpine:3.20".parse().unwrap(),
            crate::model::Arch::X86_64,
            false,
        );
        let plan = plan(&[unowned], &BTreeSet::new(), &platform);
        assert!(plan.gcompat);
        let [line] = &plan.gcompat_for[..] else {
            panic!("{:?}", plan.gcompat_for);
        };
        assert!(
            line.ends_with("(lib000.so, lib001.so, lib002.so, lib003.so, lib004.so and 165 more)"),
            "{line}"
        );
    }

    fn names(files: &[&str]) -> BTreeSet<String> {
        files.iter().map(|f| f.to_string()).collect()
    }

    #[test]
    fn the_install_command_is_the_lockfiles_own_else_the_pins() {
        let packages = ["numpy 1.24.4".to_string(), "lxml 5.2.2".to_string()];
        let upgrades = [("numpy".to_string(), "1.25.0".to_string())];
        let command =
            |generic, files: &[&str]| install_command(generic, &names(files), &packages, &upgrades);
        assert_eq!(command("pip install", &["uv.lock"]), "uv sync --frozen");
        assert_eq!(
            command("pip install", &["requirements-prod.txt"]),
            "pip install -r requirements-prod.txt"
        );
        // No lockfile: the pins, with the upgrade the plan asks for.
        assert_eq!(
            command("pip install", &[]),
            "pip install numpy==1.25.0 lxml==5.2.2"
        );
        assert_eq!(
            command("npm ci", &["yarn.lock"]),
            "yarn install --frozen-lockfile"
        );
        assert_eq!(
            command("npm ci", &["package-lock.json", "yarn.lock"]),
            "npm ci"
        );
        assert_eq!(
            command("npm ci", &[]),
            "npm install numpy@1.25.0 lxml@5.2.2"
        );
    }
}
