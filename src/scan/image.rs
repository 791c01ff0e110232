//! A container image as the pipeline sees a tree: its merged filesystem's ELF
//! files become items at `image!/path`, its symlinks, `*.dist-info`
//! directories, manifests and package databases join the inventory, and the
//! metadata kept while its layers were read answers the side reads.

use std::path::Path;

use super::cache::{FactsCache, Read};
use super::read::Item;
use super::side_reads::SideReads;
use crate::config::Options;
use crate::discover::image::{Image, ImageContents, ImageProblemKind, ImageRead};
use crate::discover::{self, Inventory, Manifest, Problem, ProblemKind};
use crate::ecosystem::ManifestKind;
use crate::ecosystem::distro::PackageDatabase;
use crate::model::{Code, ContainerImage, ReportPath, member_location};

/// Reads the image at `given` into `items`, `inventory` and `side_reads`;
/// what the image is, for the report.
pub(super) fn read_image(
    given: &Path,
    image: Image,
    options: &Options,
    inventory: &mut Inventory,
    items: &mut Vec<Item>,
    side_reads: &mut SideReads,
) -> ContainerImage {
    let location = std::path::absolute(given).unwrap_or_else(|_| given.to_path_buf());
    inventory.add_root(given, &location);
    let shown = ReportPath::file(discover::path_text(given));
    let cache = FactsCache::default();
    let contents = match image.read(options.platform.arch, |bytes| cache.analyse(bytes, None)) {
        Ok(contents) => contents,
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
    let inside = |path: &str| member_location(&location, path);
    let first_item = items.len();
    for file in &contents.files {
        if let Some(first) = &file.hard_link_of {
            inventory
                .hard_links
                .entry(inside(first))
                .or_default()
                .push(shown.member(&file.path).to_string());
            continue;
        }
        let read = match &file.read {
            ImageRead::Elf(read) => read.clone(),
            ImageRead::Unreadable(reason) => Read::Failed(Code::Unreadable, reason.clone()),
        };
        items.push(Item {
            shown: shown.member(&file.path),
            also_at: Vec::new(),
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
                // Not a name anything can look up.
                location: location.clone(),
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
    for dir in &contents.directories {
        if dir.ends_with(".dist-info") {
            inventory.dist_infos.push(inside(dir));
        }
        inventory
            .package_databases
            .extend(PackageDatabase::recognise(&inside(dir), true));
    }
    for path in contents.metadata.keys() {
        inventory
            .package_databases
            .extend(PackageDatabase::recognise(&inside(path), false));
        let name = path.rsplit('/').next().unwrap_or(path);
        let in_node_modules = path.split('/').any(|part| part == "node_modules");
        let depends = matches!(
            name,
            "package.json" | "package-lock.json" | "yarn.lock" | "pnpm-lock.yaml"
        );
        if let Some(kind) = ManifestKind::recognise(name, depends && in_node_modules) {
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

/// What the image is: its format, config and base.
fn describe(shown: &ReportPath, contents: &ImageContents<Read>) -> ContainerImage {
    let config = &contents.config;
    let path_env = config
        .env
        .iter()
        .find_map(|var| var.strip_prefix("PATH="))
        .map(str::to_string);
    ContainerImage {
        path: shown.clone(),
        format: contents.format.as_str().to_string(),
        reference: contents.reference.clone(),
        layers: contents.layers,
        architecture: config.architecture.clone(),
        base: None,
        distro_packages: None,
        entrypoint: config.entrypoint.clone(),
        cmd: config.cmd.clone(),
        path_env,
        user: config.user.clone(),
        working_dir: config.working_dir.clone(),
        runtimes: Vec::new(),
    }
}
