//! A container image as the pipeline sees a tree: its merged filesystem's ELF
//! files become items at `image!/path`, its symlinks, `*.dist-info`
//! directories, manifests and package databases join the inventory, and the
//! metadata kept while its layers were read answers the side reads.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use super::cache::{FactsCache, Read};
use super::read::Item;
use super::side_reads::SideReads;
use crate::config::Options;
use crate::discover::image::{
    Image, ImageContents, ImageProblemKind, ImageRead, command_candidates, resolve_links,
};
use crate::discover::{Inventory, Manifest, OtherName, Problem, ProblemKind};
use crate::ecosystem::ManifestKind;
use crate::ecosystem::distro::{self, DPKG_DIR, PackageDatabase};
use crate::ecosystem::npm::is_native_file;
use crate::model::{
    Code, ContainerImage, DistroPackages, ImageCommand, ImageRuntime, ReportPath, member_location,
};
use crate::progress::Progress;

mod after_judging;

pub(super) use after_judging::{complete, is_runtime_member, set_aside};

/// Reads the image at `location` (shown as `shown`) into `items`,
/// `inventory` and `side_reads`; what the image is, for the report.
pub(super) fn read_image(
    (location, shown): (&Path, ReportPath),
    image: Image,
    (options, progress): (&Options, &dyn Progress),
    inventory: &mut Inventory,
    items: &mut Vec<Item>,
    side_reads: &mut SideReads,
) -> ContainerImage {
    let cache = FactsCache::default();
    // Each ELF file is one more found and read, as the walk reports files.
    let analyse = |bytes: &[u8]| {
        progress.found_candidate();
        let read = cache.analyse(bytes, None);
        progress.read_one();
        read
    };
    let metadata_room =
        crate::discover::image::METADATA_KEPT_CAP.saturating_sub(inventory.image_metadata_kept);
    let contents = match image.read(options.platform.arch, metadata_room, analyse) {
        Ok(contents) => {
            let kept: usize = contents.metadata.values().map(Vec::len).sum();
            inventory.image_metadata_kept =
                inventory.image_metadata_kept.saturating_add(kept as u64);
            contents
        }
        Err(reason) => {
            inventory.problems.push(Problem {
                path: shown.to_string(),
                kind: ProblemKind::Unreadable,
                reason: format!("a container image, but {reason}"),
            });
            return ContainerImage {
                path: shown,
                ..ContainerImage::default()
            };
        }
    };
    let inside = |path: &str| member_location(location, path);
    let first_item = items.len();
    let excluded = |path: &str| options.walk.exclude.matches(Path::new(path));
    for file in &contents.files {
        if excluded(&file.path) {
            continue;
        }
        // A link whose first name is excluded stands for the file itself.
        if let Some(first) = file.hard_link_of.as_ref().filter(|first| !excluded(first)) {
            inventory
                .hard_links
                .entry(inside(first))
                .or_default()
                .push(OtherName {
                    shown: shown.member(&file.path).to_string(),
                    location: inside(&file.path),
                });
            continue;
        }
        let read = match &file.read {
            ImageRead::Elf(read) => read.clone(),
            ImageRead::Unreadable(reason) => Read::Failed(Code::Unreadable, reason.clone()),
            ImageRead::Jar(parts) => {
                // Its members, each at `image!/path/app.jar!/member`.
                let name = file.path.rsplit('/').next().unwrap_or(&file.path);
                items.extend(super::read::jar_items(
                    parts.clone(),
                    &shown.member(&file.path),
                    &inside(&file.path),
                    name,
                    true,
                ));
                continue;
            }
        };
        items.push(Item {
            shown: shown.member(&file.path),
            also_at: Vec::new(),
            also_located: Vec::new(),
            location: inside(&file.path),
            size: file.size,
            read,
            package: None,
            in_image: true,
        });
    }
    for problem in &contents.problems {
        let path = if problem.path.is_empty() {
            shown.clone()
        } else {
            shown.member(&problem.path)
        };
        match problem.kind {
            ImageProblemKind::HostileName => items.push(Item {
                shown: path,
                also_at: Vec::new(),
                also_located: Vec::new(),
                // Not a name anything can look up.
                location: location.to_path_buf(),
                size: 0,
                read: Read::Failed(Code::HostileMemberName, problem.reason.clone()),
                package: None,
                in_image: true,
            }),
            ImageProblemKind::Unreadable | ImageProblemKind::DigestMismatch => {
                inventory.problems.push(Problem {
                    path: path.to_string(),
                    kind: ProblemKind::Unreadable,
                    reason: problem.reason.clone(),
                });
            }
        }
    }
    // The walk's order: by path.
    if let Some(added) = items.get_mut(first_item..) {
        added.sort_by(|a, b| a.shown.cmp(&b.shown));
    }
    for (link, target) in &contents.symlinks {
        inventory.symlinks.insert(inside(link), inside(target));
    }
    contents.every_directory(|dir| {
        if dir.ends_with(".dist-info") {
            inventory.dist_infos.push(inside(dir));
        }
        if dir.ends_with(DPKG_DIR) {
            inventory
                .package_databases
                .extend(PackageDatabase::recognise(&inside(dir), true));
        }
    });
    let native_files = (contents.files.iter().map(|file| &file.path))
        .chain(contents.metadata.keys())
        .map(|path| inside(path))
        .filter(|location| is_native_file(location));
    inventory.npm_native_files.extend(native_files);
    for path in contents.metadata.keys() {
        inventory
            .package_databases
            .extend(PackageDatabase::recognise(&inside(path), false));
        if let Some(kind) = ManifestKind::at(Path::new(path)) {
            inventory.manifests.push(Manifest {
                shown: shown.member(path).to_string(),
                location: inside(path),
                kind,
            });
        }
    }
    inventory.files_walked += contents.regular_files;
    inventory.skipped_by_name += contents.skipped_by_name;
    let summary = describe(&shown, &contents);
    for (path, bytes) in contents.metadata {
        side_reads.keep(inside(&path), bytes);
    }
    summary
}

/// What the image is: its format, config, base, command and runtimes.
fn describe(shown: &ReportPath, contents: &ImageContents<Read>) -> ContainerImage {
    let config = &contents.config;
    let env = |name: &str| {
        config
            .env
            .iter()
            .find_map(|var| var.strip_prefix(name)?.strip_prefix('='))
            .map(str::to_string)
    };
    ContainerImage {
        path: shown.clone(),
        format: contents.format.as_str().to_string(),
        reference: contents.reference.clone(),
        layers: contents.layers,
        architecture: config.architecture.clone(),
        base: base_name(&contents.metadata),
        distro_packages: distro_packages(&contents.metadata),
        entrypoint: config.entrypoint.clone(),
        cmd: config.cmd.clone(),
        command: command(contents),
        path_env: env("PATH"),
        user: config.user.clone(),
        working_dir: config.working_dir.clone(),
        runtimes: runtimes(contents, &env),
    }
}

fn text_of(metadata: &BTreeMap<String, Vec<u8>>, path: &str) -> Option<String> {
    metadata
        .get(path)
        .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
}

/// The base's name: `PRETTY_NAME` of os-release, else the release files.
fn base_name(metadata: &BTreeMap<String, Vec<u8>>) -> Option<String> {
    let os_release =
        text_of(metadata, "etc/os-release").or_else(|| text_of(metadata, "usr/lib/os-release"));
    let field = |text: &str, key: &str| {
        text.lines().find_map(|line| {
            let value = line.strip_prefix(key)?.strip_prefix('=')?;
            Some(value.trim().trim_matches('"').to_string())
        })
    };
    if let Some(text) = os_release
        && let Some(name) = field(&text, "PRETTY_NAME").or_else(|| field(&text, "NAME"))
    {
        return Some(name);
    }
    if let Some(version) = text_of(metadata, "etc/alpine-release") {
        return Some(format!("Alpine Linux {}", version.trim()));
    }
    text_of(metadata, "etc/debian_version").map(|version| format!("Debian {}", version.trim()))
}

fn distro_packages(metadata: &BTreeMap<String, Vec<u8>>) -> Option<DistroPackages> {
    let (manager, count) = if let Some(status) = text_of(metadata, "var/lib/dpkg/status") {
        ("debian", distro::dpkg_installed(&status).len())
    } else {
        let installed = text_of(metadata, "lib/apk/db/installed")?;
        ("alpine", distro::apk_installed(&installed).len())
    };
    Some(DistroPackages {
        manager: manager.to_string(),
        count,
        elf_files: 0,
        needed_by_app: Vec::new(),
    })
}

/// Where `path` leads through the image's symlinks (resolved inside its root).
fn through_links(links: &HashMap<&str, &str>, path: &str) -> String {
    resolve_links(path, true, |candidate| {
        links.get(candidate).map(|target| format!("/{target}"))
    })
}

/// The program the container runs, found as the kernel and the shell would.
fn command(contents: &ImageContents<Read>) -> Option<ImageCommand> {
    let config = &contents.config;
    let name = config.entrypoint.first().or(config.cmd.first())?.clone();
    let links: HashMap<&str, &str> = contents
        .symlinks
        .iter()
        .map(|(link, target)| (link.as_str(), target.as_str()))
        .collect();
    let elf: HashSet<&str> = contents.files.iter().map(|f| f.path.as_str()).collect();
    let candidates = command_candidates(&config.entrypoint, &config.cmd, &config.env);
    for candidate in &candidates {
        let path = through_links(&links, candidate);
        let path = path.as_str();
        if elf.contains(path) {
            return Some(ImageCommand {
                name,
                path: Some(format!("/{path}")),
                kind: "elf".to_string(),
                judged_file: Some(format!("/{path}")),
                interpreter: None,
                verdict: None,
            });
        }
        let Some(head) = contents.metadata.get(path) else {
            continue;
        };
        let (kind, interpreter) = match head.strip_prefix(b"#!") {
            Some(rest) => {
                let line = rest.split(|&b| b == b'\n').next().unwrap_or_default();
                (
                    "script",
                    Some(String::from_utf8_lossy(line).trim().to_string()),
                )
            }
            None => ("other", None),
        };
        // `#!/usr/bin/env node` runs node; `#!/bin/sh -e` runs /bin/sh.
        let judged_file = interpreter.as_deref().and_then(|line| {
            let mut words = line.split_whitespace();
            let first = words.next()?;
            let program = if first.ends_with("/env") {
                words.next()?
            } else {
                first
            };
            let found = command_candidates(&[program.to_string()], &[], &config.env)
                .into_iter()
                .map(|p| through_links(&links, &p))
                .find(|p| elf.contains(p.as_str()))?;
            Some(format!("/{found}"))
        });
        return Some(ImageCommand {
            name,
            path: Some(format!("/{path}")),
            kind: kind.to_string(),
            judged_file,
            interpreter,
            verdict: None,
        });
    }
    Some(ImageCommand {
        name,
        path: None,
        kind: "missing".to_string(),
        judged_file: None,
        interpreter: None,
        verdict: None,
    })
}

/// Node and Python as the official images install them (under /usr/local,
/// outside the package manager), with the version the config's environment
/// (`NODE_VERSION`, `PYTHON_VERSION`) or the file name gives; Java as the
/// Eclipse Temurin images install it (/opt/java/openjdk, `JAVA_VERSION`).
fn runtimes(
    contents: &ImageContents<Read>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<ImageRuntime> {
    let mut found = Vec::new();
    for file in &contents.files {
        let path = file.path.as_str();
        if path == "usr/local/bin/node" {
            found.push(ImageRuntime {
                name: "node".to_string(),
                version: env("NODE_VERSION").unwrap_or_default(),
                path: format!("/{path}"),
                official_variant: String::new(),
            });
        } else if path == JAVA_BINARY
            && let Some(major) = env("JAVA_VERSION").as_deref().and_then(java_major)
        {
            found.push(ImageRuntime {
                name: "java".to_string(),
                version: major,
                path: format!("/{path}"),
                official_variant: String::new(),
            });
        } else if let Some(minor) = path
            .strip_prefix("usr/local/bin/python3.")
            .filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()))
        {
            let version = env("PYTHON_VERSION")
                .filter(|v| v.starts_with(&format!("3.{minor}")))
                .unwrap_or_else(|| format!("3.{minor}"));
            found.push(ImageRuntime {
                name: "python".to_string(),
                version,
                path: format!("/{path}"),
                official_variant: String::new(),
            });
        }
    }
    found
}

/// Where the Eclipse Temurin images install the JDK's (or JRE's) `java`.
const JAVA_BINARY: &str = "opt/java/openjdk/bin/java";

/// The Java major version of a Temurin `JAVA_VERSION` (`jdk-21.0.5+11` → 21,
/// `jdk8u432-b06` → 8).
fn java_major(version: &str) -> Option<String> {
    let rest = version.trim().strip_prefix("jdk")?.trim_start_matches('-');
    let major: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (!major.is_empty()).then_some(major)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::image::{ImageConfig, ImageFile, ImageFormat};

    fn contents(entrypoint: &[&str], metadata: &[(&str, &[u8])]) -> ImageContents<Read> {
        ImageContents {
            format: ImageFormat::OciLayout,
            reference: None,
            config: ImageConfig {
                entrypoint: entrypoint.iter().map(|s| s.to_string()).collect(),
                env: vec!["PATH=/usr/local/bin:/bin".to_string()],
                ..ImageConfig::default()
            },
            layers: 1,
            files: vec![ImageFile {
                path: "usr/bin/dash".to_string(),
                size: 1,
                read: ImageRead::Elf(Read::NotElf { head_len: 1 }),
                hard_link_of: None,
            }],
            // Merged /usr: /bin is usr/bin; sh is dash.
            symlinks: vec![
                ("bin".to_string(), "usr/bin".to_string()),
                ("usr/bin/sh".to_string(), "usr/bin/dash".to_string()),
            ],
            directories: Vec::new(),
            metadata: metadata
                .iter()
                .map(|(path, bytes)| (path.to_string(), bytes.to_vec()))
                .collect(),
            regular_files: 2,
            skipped_by_name: 0,
            problems: Vec::new(),
        }
    }

    #[test]
    fn temurin_java_versions_give_the_major() {
        assert_eq!(java_major("jdk-21.0.5+11").as_deref(), Some("21"));
        assert_eq!(java_major("jdk8u432-b06").as_deref(), Some("8"));
        assert_eq!(java_major("21.0.5"), None);
        assert_eq!(java_major("jdk-"), None);
    }

    #[test]
    fn a_script_command_is_judged_by_its_interpreter_through_links() {
        let script = contents(
            &["docker-entrypoint.sh"],
            &[(
                "usr/local/bin/docker-entrypoint.sh",
                b"#!/bin/sh -e\nexec \"$@\"\n",
            )],
        );
        let found = command(&script).unwrap();
        assert_eq!(found.kind, "script");
        assert_eq!(
            found.path.as_deref(),
            Some("/usr/local/bin/docker-entrypoint.sh")
        );
        assert_eq!(found.interpreter.as_deref(), Some("/bin/sh -e"));
        assert_eq!(found.judged_file.as_deref(), Some("/usr/bin/dash"));

        let binary = command(&contents(&["/bin/sh"], &[])).unwrap();
        assert_eq!(binary.kind, "elf");
        assert_eq!(binary.judged_file.as_deref(), Some("/usr/bin/dash"));

        let missing = command(&contents(&["gunicorn"], &[])).unwrap();
        assert_eq!(missing.kind, "missing");
        assert_eq!(missing.path, None);
    }
}
