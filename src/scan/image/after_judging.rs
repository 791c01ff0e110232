//! What the judged artifacts mean for an image, once every file is
//! judged: the distribution's files and the official runtimes set aside,
//! the command's verdict, the target's runtime variant and packages.

use std::collections::{HashMap, HashSet};

use crate::ecosystem::distro::is_c_library_package;
use crate::model::{
    ActionPlan, Artifact, ContainerImage, Ecosystem, ImageRuntime, Package, ReportPath,
};
use crate::platform::{LoaderKind, Platform, SonameProvider, alpine_provider};

/// Sets aside what another base replaces, once every file is judged: the
/// files of the image's distribution packages the app's own files do not
/// need (directly or through each other; summarised in `distro_packages`,
/// not listed), and the runtimes installed as the official images install
/// them (answered by the official variant, not flagged as app binaries).
pub(in crate::scan) fn set_aside(images: &mut [ContainerImage], artifacts: &mut Vec<Artifact>) {
    for image in images {
        let prefix = member_prefix(image);
        let inside = |a: &Artifact| a.path.as_str().starts_with(&prefix);
        let is_distro = |a: &Artifact| {
            a.package
                .as_ref()
                .is_some_and(|p| matches!(p.ecosystem, Ecosystem::Debian | Ecosystem::Alpine))
        };
        // The command is judged whoever installed it.
        let command_file = image
            .command
            .as_ref()
            .and_then(|c| c.judged_file.as_deref())
            .map(|file| image.path.member(file.trim_start_matches('/')));
        let is_command = |a: &Artifact| command_file.as_ref() == Some(&a.path);
        let runtimes = image.runtimes.clone();
        let runtime_file = |a: &Artifact| is_runtime_file_of(&runtimes, &a.path);
        // Distribution libraries by soname (or file name), and what each needs.
        let mut provided: HashMap<&str, usize> = HashMap::new();
        for (index, artifact) in artifacts.iter().enumerate() {
            if inside(artifact)
                && is_distro(artifact)
                && let Some(facts) = artifact.facts()
            {
                let name = facts.soname.as_deref().unwrap_or(
                    artifact
                        .path
                        .innermost()
                        .rsplit('/')
                        .next()
                        .unwrap_or_default(),
                );
                provided.entry(name).or_insert(index);
            }
        }
        let mut needed: Vec<usize> = Vec::new();
        let mut seen: HashSet<usize> = HashSet::new();
        let mut queue: Vec<&str> = artifacts
            .iter()
            .filter(|a| inside(a) && (!is_distro(a) || is_command(a)) && !runtime_file(a))
            .filter_map(Artifact::facts)
            .flat_map(|facts| facts.needed.iter().map(String::as_str))
            .collect();
        while let Some(soname) = queue.pop() {
            let Some(&index) = provided.get(soname) else {
                continue;
            };
            if !seen.insert(index) {
                continue;
            }
            needed.push(index);
            if let Some(facts) = artifacts.get(index).and_then(Artifact::facts) {
                queue.extend(facts.needed.iter().map(String::as_str));
            }
        }
        if let Some(distro) = &mut image.distro_packages {
            distro.elf_files = artifacts
                .iter()
                .filter(|a| inside(a) && is_distro(a) && a.facts().is_some())
                .count();
            let mut names: Vec<String> = needed
                .iter()
                .filter_map(|&index| artifacts.get(index))
                .filter_map(|a| {
                    let package = a.package.as_ref()?;
                    let soname = a
                        .facts()?
                        .soname
                        .clone()
                        .unwrap_or_else(|| a.path.innermost().to_string());
                    Some(format!("{soname} ({})", package.name))
                })
                .collect();
            names.sort();
            names.dedup();
            distro.needed_by_app = names;
        }
        let mut index = 0;
        artifacts.retain(|artifact| {
            let keep = !inside(artifact)
                || !(runtime_file(artifact)
                    || (is_distro(artifact)
                        && artifact.facts().is_some()
                        && !is_command(artifact)
                        && !seen.contains(&index)));
            index += 1;
            keep
        });
    }
}

/// The target's package for a library the app needs from the image's
/// distribution: `Ok(None)` when the target provides it already, `Err` (why)
/// when no package is known for it.
/// `image_package` is the image's own package for it, when the target
/// installs packages of the same distribution.
fn target_package(
    platform: &Platform,
    soname: &str,
    image_package: Option<&str>,
) -> Result<Option<String>, String> {
    let unknown = || {
        format!(
            "the app's files need it from the image's distribution packages, and no package of \
             {} is known to provide it: find one, or build it on the target",
            platform.info().name
        )
    };
    match platform.loader_kind() {
        LoaderKind::Musl => {
            if platform.libc_provides(soname).is_some() || platform.base_library(soname).is_some() {
                return Ok(None);
            }
            match alpine_provider(soname) {
                Some(SonameProvider::Package(package)) if platform.has_packages() => {
                    Ok(Some(package.to_string()))
                }
                Some(SonameProvider::Nothing(why)) => Err(why.to_string()),
                _ => Err(unknown()),
            }
        }
        LoaderKind::Glibc => {
            if platform.image_library(soname).is_some() {
                return Ok(None);
            }
            platform
                .package_providing(soname)
                .map(str::to_string)
                .or_else(|| image_package.filter(|p| !p.is_empty()).map(str::to_string))
                .map(Some)
                .ok_or_else(unknown)
        }
        LoaderKind::None => Err(unknown()),
    }
}

/// Whether the member at `member` (below the image's root) is one of the
/// runtime's own files: the interpreter, its shared library, Python's
/// standard extension modules.
/// How the paths of an image's members begin.
fn member_prefix(image: &ContainerImage) -> String {
    format!("{}{}", image.path, ReportPath::SEPARATOR)
}

/// Whether `path` is a file of one of the images' language runtimes (their
/// node, python or JDK): [`set_aside`] takes those out of the report.
pub(in crate::scan) fn is_runtime_member(images: &[ContainerImage], path: &ReportPath) -> bool {
    // Asked for every ELF file: the prefix is compared, not formatted.
    images.iter().any(|image| {
        path.as_str()
            .strip_prefix(image.path.as_str())
            .is_some_and(|rest| rest.starts_with(ReportPath::SEPARATOR))
            && is_runtime_file_of(&image.runtimes, path)
    })
}

fn is_runtime_file_of(runtimes: &[ImageRuntime], path: &ReportPath) -> bool {
    let member = path.innermost();
    runtimes
        .iter()
        .any(|runtime| is_runtime_file(runtime, member))
}

fn is_runtime_file(runtime: &ImageRuntime, member: &str) -> bool {
    match runtime.name.as_str() {
        "node" => member == "usr/local/bin/node",
        // The whole JDK: libjvm.so and its libraries come with the variant.
        "java" => member.starts_with("opt/java/openjdk/"),
        _ => {
            let minor = runtime
                .version
                .split('.')
                .take(2)
                .collect::<Vec<_>>()
                .join(".");
            member == format!("usr/local/bin/python{minor}")
                || member.starts_with(&format!("usr/local/lib/libpython{minor}"))
                || member.starts_with(&format!("usr/local/lib/python{minor}/lib-dynload/"))
        }
    }
}

/// What needs the judged artifacts: the command's verdict, the official
/// image variant of each runtime on the target (the plan's `FROM` when
/// nothing else set it), and the target's packages for the distribution
/// libraries the app needs (or, when none is known, the library named).
pub(in crate::scan) fn complete(
    images: &mut [ContainerImage],
    artifacts: &[Artifact],
    platform: &Platform,
    plan: &mut ActionPlan,
) {
    let target_is_musl = platform.loader_kind() == LoaderKind::Musl;
    for image in images.iter_mut() {
        let Some(distro) = &image.distro_packages else {
            continue;
        };
        for needed in &distro.needed_by_app {
            // `libjq.so.1 (libjq1)`
            let (soname, package) = needed
                .split_once(" (")
                .map_or((needed.as_str(), ""), |(soname, rest)| {
                    (soname, rest.trim_end_matches(')'))
                });
            // The image's C library is the app's own: the target's stands in
            // for it, and the files built for the other one say so themselves.
            let c_library = Package {
                ecosystem: match distro.manager.as_str() {
                    "alpine" => Ecosystem::Alpine,
                    _ => Ecosystem::Debian,
                },
                name: package.to_string(),
                version: String::new(),
            };
            if is_c_library_package(&c_library) {
                continue;
            }
            let same_manager = (distro.manager == "debian"
                && platform
                    .install_command()
                    .is_some_and(|c| c.starts_with("apt")))
            .then_some(package);
            match target_package(platform, soname, same_manager) {
                Ok(None) => {}
                Ok(Some(package)) => plan.apk_add.push(package),
                Err(why) => plan.no_fix.push((needed.clone(), why)),
            }
        }
        plan.apk_add.sort();
        plan.apk_add.dedup();
        plan.no_fix.sort();
        plan.no_fix.dedup();
    }
    for image in images {
        if let Some(command) = &mut image.command {
            let judged = command
                .judged_file
                .as_deref()
                .map(|file| image.path.member(file.trim_start_matches('/')));
            command.verdict = judged.and_then(|member| {
                artifacts
                    .iter()
                    .find(|a| a.path == member || a.also_at.contains(&member))
                    .map(Artifact::verdict)
            });
        }
        for runtime in &mut image.runtimes {
            let tag = match runtime.name.as_str() {
                "node" => runtime
                    .version
                    .split('.')
                    .next()
                    .unwrap_or_default()
                    .to_string(),
                _ => runtime
                    .version
                    .split('.')
                    .take(2)
                    .collect::<Vec<_>>()
                    .join("."),
            };
            let tag = if tag.is_empty() {
                "lts".to_string()
            } else {
                tag
            };
            runtime.official_variant = match runtime.name.as_str() {
                // Temurin's JRE images: Alpine's, else its Ubuntu-based ones.
                "java" if target_is_musl => format!("eclipse-temurin:{tag}-jre-alpine"),
                "java" => format!("eclipse-temurin:{tag}-jre"),
                name => {
                    let flavour = if target_is_musl { "alpine" } else { "slim" };
                    format!("{name}:{tag}-{flavour}")
                }
            };
            if plan.from.is_none() {
                plan.from = Some(runtime.official_variant.clone());
            }
        }
    }
}
