//! The multi-file entry points: up to six ELF files laid out as a tree (an
//! app, a venv, a wheel, prebuilds) or a container image, judged together.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::target;
use crate::check::{NotElfEntry, NotElfKind, TreeFile, TreeIndex, assess_all};
use crate::elf::analyse;
use crate::model::{ARCHIVE_ROOT, Arch, Ecosystem, ElfFacts};
use crate::platform::Platform;

/// Separates the files of a [`tree`] or [`tree_image`] input.
pub const TREE_SEPARATOR: &[u8] = b"MCFUZZ!";

/// The most files a [`tree`] or [`tree_image`] input makes.
const TREE_FILES: usize = 6;

/// Where a [`tree`] file lies (its control byte picks one): next to each
/// other, in a venv with auditwheel's `.libs`, inside a wheel, in a prebuilds
/// directory.
const TREE_DIRS: [&str; 8] = [
    "/fuzz/app/lib",
    "/fuzz/app/bin",
    "/fuzz/site-packages/pkg",
    "/fuzz/site-packages/pkg.libs",
    "/fuzz/site-packages/pkg/sub",
    "/fuzz/dist/pkg.whl/\0/pkg",
    "/fuzz/dist/pkg.whl/\0/pkg.libs",
    "/fuzz/node_modules/pkg/prebuilds/linux-x64",
];

/// How the files of a tree input are laid out and shaped, and what they are
/// judged on: all that [`tree`] and [`tree_image`] do differently.
struct TreeLayout {
    /// How many control bytes start each file (at most 4).
    control_len: usize,
    /// Where file `index` lies and its name, from its control bytes.
    place: fn(index: usize, control: [u8; 4]) -> (PathBuf, String),
    /// The layout's own control bits, applied to a file's facts and to the
    /// tree's symlinks; whether the image's distribution installed the file.
    shape: fn(&mut ElfFacts, &Shaping, &mut HashMap<PathBuf, PathBuf>) -> bool,
    /// The image's `/`, for the files of a container image.
    filesystem_root: Option<&'static Path>,
    /// The two platforms the tree is judged on, from the input's first byte.
    platforms: fn(selector: u8, Arch) -> [Platform; 2],
}

/// One file of a tree input, as its layout shapes it.
struct Shaping<'a> {
    /// The input's first byte.
    selector: u8,
    index: usize,
    control: [u8; 4],
    /// Every file's location and name.
    placed: &'a [(PathBuf, String)],
}

impl Shaping<'_> {
    fn location(&self) -> &Path {
        self.placed
            .get(self.index)
            .map_or(Path::new("/"), |(location, _)| location)
    }

    fn dir(&self) -> &Path {
        self.location().parent().unwrap_or(Path::new("/"))
    }
}

/// A small tree of ELF files that need each other, judged as a whole: the
/// input's first byte picks the platforms, the rest is split at
/// [`TREE_SEPARATOR`] into up to six files. Each file is three control bytes
/// and then its ELF bytes: where it lies and its name, which of the other
/// files it needs (one bit each), and flags (RUNPATH/RPATH `$ORIGIN`
/// entries, a SONAME, the previous file's required symbols as exports, a
/// symlink to it and a symlink loop).
pub fn tree(data: &[u8]) {
    judge_tree(
        data,
        &TreeLayout {
            control_len: 3,
            place: |i, [place, ..]| {
                let dir = TREE_DIRS
                    .get(usize::from(place % 8))
                    .copied()
                    .unwrap_or("/fuzz");
                let name = match (place >> 3) % 4 {
                    0 | 1 => format!("lib{i}.so"),
                    2 => format!("m{i}.cpython-311-x86_64-linux-gnu.so"),
                    _ if place & 0x20 == 0 => format!("p{i}.glibc.node"),
                    _ => format!("p{i}.musl.node"),
                };
                (Path::new(dir).join(&name), name)
            },
            shape: shape_tree_file,
            filesystem_root: None,
            platforms: musl_platforms,
        },
    );
}

/// [`tree`]'s own bits: a needed name with a slash, a needed symlink, the
/// `$ORIGIN` RUNPATH/RPATH entries, a symlink loop, a link into a wheel.
fn shape_tree_file(
    file: &mut ElfFacts,
    shaping: &Shaping,
    symlinks: &mut HashMap<PathBuf, PathBuf>,
) -> bool {
    let (i, [_, links, flags, _]) = (shaping.index, shaping.control);
    if links & 0x40 != 0
        && let Some((_, name)) = shaping.placed.get((i + 1) % shaping.placed.len())
    {
        file.needed.push(format!("../lib/{name}"));
    }
    if links & 0x80 != 0 {
        file.needed.push(format!("link{i}.so"));
    }
    if flags & 0x01 != 0 {
        file.runpath.push("$ORIGIN".to_string());
    }
    if flags & 0x02 != 0 {
        file.runpath.push("$ORIGIN/../lib".to_string());
    }
    if flags & 0x04 != 0 {
        file.rpath
            .push("$ORIGIN/../pkg.libs:$ORIGIN/../../..".to_string());
    }
    if flags & 0x40 != 0 {
        let (a, b) = (
            shaping.dir().join("loop-a.so"),
            shaping.dir().join("loop-b.so"),
        );
        symlinks.insert(a.clone(), b.clone());
        symlinks.insert(b, a);
        file.needed.push("loop-a.so".to_string());
    }
    if flags & 0x80 != 0 {
        // A link from the parent of the archive into it names nothing.
        symlinks.insert(
            Path::new("/fuzz/dist").join(format!("in{i}.so")),
            Path::new("/fuzz/dist/pkg.whl")
                .join(ARCHIVE_ROOT)
                .join(format!("pkg/lib{i}.so")),
        );
        file.needed.push(format!("../../in{i}.so"));
    }
    false
}

/// [`tree`]'s platforms: the newest Alpine, and Alpine 3.18, upstream musl
/// 1.2.3, Debian's musl or Alpine 3.16 (the oldest Alpine whose musl has
/// tables), with and without gcompat.
fn musl_platforms(selector: u8, arch: Arch) -> [Platform; 2] {
    let second = ["alpine:3.18", "musl:1.2.3", "debian-musl", "alpine:3.16"]
        .get(usize::from((selector >> 1) % 4))
        .copied();
    let gcompat = selector % 2 == 0;
    [
        Platform::new(target(None), arch, gcompat),
        Platform::new(target(second), arch, !gcompat),
    ]
}

/// The `/` of a [`tree_image`] input's container image.
const IMAGE_ROOT: &str = "/fuzz/image.tar/\0";

/// Where a [`tree_image`] file lies below the image's `/`: the default
/// directories of both loaders, a Debian multiarch one, an app's own.
const IMAGE_DIRS: [&str; 8] = [
    "usr/local/bin",
    "usr/local/lib",
    "usr/lib",
    "lib",
    "opt/app/bin",
    "opt/app/lib",
    "usr/lib/x86_64-linux-gnu",
    "usr/lib64",
];

/// The RUNPATH or RPATH of a [`tree_image`] file (its fourth control byte
/// picks them): `$ORIGIN`, absolute ones kept below the image's `/`, `..`
/// past `/`, tokens musl drops, a relative directory.
const IMAGE_RPATHS: [&str; 8] = [
    "$ORIGIN",
    "$ORIGIN/../lib",
    "/../../..",
    "/usr/local/lib",
    "/opt/app/lib:/usr/lib",
    "$ORIGIN/../../../../../..",
    "${ORIGIN}/x:$LIB:/lib/../usr/lib",
    "relative/dir",
];

/// The [`tree`] input's shape, with a fourth control byte, for the files of
/// a container image (`filesystem_root`): absolute RUNPATH/RPATH entries and
/// the loaders' default directories are the image's, a file can be the
/// distribution's; judged on a glibc image (the first byte picks
/// `debian:12-slim`, `ubuntu:24.04`, `debian:11-slim` or distroless `cc`)
/// and a musl target (`alpine:3.20` or Debian's musl). Besides `tree`'s
/// needed files, exports, SONAME and symlink to each file, the bits pick
/// the C library as a needed name and an interpreter (glibc's when the
/// first byte's 0x20 bit is set, else musl's), the RUNPATH and RPATH, the
/// image's directory symlinks (`/lib -> usr/lib` when the first byte's 0x10
/// bit is set, else `/lib -> /` and loops), the distribution owning the
/// file, and needed names with a slash.
pub fn tree_image(data: &[u8]) {
    judge_tree(
        data,
        &TreeLayout {
            control_len: 4,
            place: |i, [place, ..]| {
                let dir = IMAGE_DIRS
                    .get(usize::from(place % 8))
                    .copied()
                    .unwrap_or_default();
                let name = match (place >> 3) % 4 {
                    0 | 1 => format!("lib{i}.so"),
                    2 => format!("lib{i}.so.1"),
                    _ => format!("prog{i}"),
                };
                (Path::new(IMAGE_ROOT).join(dir).join(&name), name)
            },
            shape: shape_image_file,
            filesystem_root: Some(Path::new(IMAGE_ROOT)),
            platforms: image_platforms,
        },
    );
}

/// [`tree_image`]'s own bits.
fn shape_image_file(
    file: &mut ElfFacts,
    shaping: &Shaping,
    symlinks: &mut HashMap<PathBuf, PathBuf>,
) -> bool {
    let (i, [_, links, flags, more]) = (shaping.index, shaping.control);
    let glibc = shaping.selector & 0x20 != 0;
    if links & 0x40 != 0 {
        let libc = if glibc {
            "libc.so.6"
        } else {
            "libc.musl-x86_64.so.1"
        };
        file.needed.push(libc.to_string());
    }
    if links & 0x80 != 0 {
        file.needed.push(format!("link{i}.so"));
    }
    let rpath = |shift: u8| {
        IMAGE_RPATHS
            .get(usize::from((more >> shift) % 8))
            .map(ToString::to_string)
            .unwrap_or_default()
    };
    if flags & 0x01 != 0 {
        file.runpath.push(rpath(0));
    }
    if flags & 0x02 != 0 {
        file.rpath.push(rpath(3));
    }
    if flags & 0x04 != 0 {
        let interpreter = if glibc {
            "/lib64/ld-linux-x86-64.so.2"
        } else {
            "/lib/ld-musl-x86_64.so.1"
        };
        file.interpreter = Some(interpreter.to_string());
    }
    if flags & 0x40 != 0 {
        let root = Path::new(IMAGE_ROOT);
        let links: &[(&str, &str)] = if shaping.selector & 0x10 != 0 {
            &[
                ("lib", "usr/lib"),
                ("lib64", "usr/lib64"),
                ("bin", "usr/bin"),
            ]
        } else {
            &[
                ("lib", ""),
                ("usr/lib64", "usr/lib64"),
                ("lib64", "lib64a"),
                ("lib64a", "lib64"),
            ]
        };
        for (link, target) in links {
            symlinks.insert(root.join(link), root.join(target));
        }
    }
    if more & 0x40 != 0 {
        file.needed.push("../lib/lib0.so".to_string());
    }
    if more & 0x80 != 0 {
        file.needed.push("/usr/local/lib/lib1.so".to_string());
    }
    flags & 0x80 != 0
}

/// [`tree_image`]'s platforms: a glibc image and a musl target.
fn image_platforms(selector: u8, arch: Arch) -> [Platform; 2] {
    let glibc = [
        "debian:12-slim",
        "ubuntu:24.04",
        "debian:11-slim",
        "gcr.io/distroless/cc-debian12",
    ]
    .get(usize::from((selector >> 1) % 4))
    .copied();
    let musl = ["alpine:3.20", "debian-musl"]
        .get(usize::from((selector >> 3) % 2))
        .copied();
    let gcompat = selector % 2 == 0;
    [
        Platform::new(target(glibc), arch, gcompat),
        Platform::new(target(musl), arch, gcompat),
    ]
}

/// Splits a tree input into files, places and shapes them as `layout`
/// says, and judges them together on its two platforms. Every layout
/// shares the first three control bytes' meaning where it can: byte 0 is
/// the file's place and name, bits 0-5 of byte 1 which of the files it
/// needs, and bits 0x08, 0x10 and 0x20 of byte 2 the previous file's
/// required symbols as exports, a SONAME of its own name and a symlink
/// `link<i>.so` to it.
fn judge_tree(data: &[u8], layout: &TreeLayout) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let chunks: Vec<&[u8]> = split_at_separator(rest, TREE_SEPARATOR)
        .take(TREE_FILES)
        .collect();
    let controls: Vec<[u8; 4]> = chunks
        .iter()
        .map(|chunk| {
            let mut control = [0u8; 4];
            for (slot, byte) in control
                .iter_mut()
                .zip(chunk.iter())
                .take(layout.control_len)
            {
                *slot = *byte;
            }
            control
        })
        .collect();
    let placed: Vec<(PathBuf, String)> = controls
        .iter()
        .enumerate()
        .map(|(i, &control)| (layout.place)(i, control))
        .collect();
    let mut facts: Vec<Option<ElfFacts>> = chunks
        .iter()
        .map(|chunk| analyse(chunk.get(layout.control_len..).unwrap_or_default()).ok())
        .collect();
    let required: Vec<Vec<String>> = facts
        .iter()
        .map(|f| {
            f.iter()
                .flat_map(|f| f.required_symbols.iter().map(|s| s.name.clone()))
                .collect()
        })
        .collect();
    let mut symlinks: HashMap<PathBuf, PathBuf> = HashMap::new();
    let mut distro_owned = vec![false; facts.len()];
    for (i, ((file, &control), owned)) in facts
        .iter_mut()
        .zip(&controls)
        .zip(distro_owned.iter_mut())
        .enumerate()
    {
        let Some(file) = file else { continue };
        let [_, links, flags, _] = control;
        for (j, (_, name)) in placed.iter().enumerate() {
            if links & (1 << j) != 0 {
                file.needed.push(name.clone());
            }
        }
        if flags & 0x08 != 0
            && let Some(previous) = required.get((i + placed.len() - 1) % placed.len())
        {
            file.exports = file
                .exports
                .iter()
                .chain(previous.iter().map(String::as_str))
                .collect();
            file.exports_count = file.exports.len();
        }
        if flags & 0x10 != 0 {
            file.soname = placed.get(i).map(|(_, name)| name.clone());
        }
        let shaping = Shaping {
            selector,
            index: i,
            control,
            placed: &placed,
        };
        if flags & 0x20 != 0 {
            symlinks.insert(
                shaping.dir().join(format!("link{i}.so")),
                shaping.location().to_path_buf(),
            );
        }
        *owned = (layout.shape)(file, &shaping, &mut symlinks);
    }
    let files: Vec<Option<TreeFile>> = facts
        .iter()
        .zip(&placed)
        .zip(&distro_owned)
        .map(|((facts, (location, _)), &distro_owned)| {
            facts.as_ref().map(|facts| TreeFile {
                location,
                other_locations: &[],
                shown: location.to_str().unwrap_or_default(),
                facts,
                glibc_platform_package: None,
                cmake_ts: None,
                require_addon: false,
                other_cpu_platform_package: None,
                filesystem_root: layout.filesystem_root,
                distro_owned,
                // A file of site-packages or a wheel belongs to a Python package.
                ecosystem: [".whl/", "site-packages/"]
                    .iter()
                    .any(|dir| location.to_string_lossy().contains(dir))
                    .then_some(Ecosystem::Pypi),
                package: None,
            })
        })
        .collect();
    // Inputs that are not ELF stand for text files (or, by a control bit,
    // directories) at their places: a search that meets one stops.
    let not_elf: Vec<NotElfEntry> = facts
        .iter()
        .zip(&placed)
        .zip(&controls)
        .filter(|((facts, _), _)| facts.is_none())
        .map(|((_, (location, _)), &[_, _, flags, _])| NotElfEntry {
            location,
            shown: location.to_str().unwrap_or_default(),
            kind: if flags & 0x40 != 0 {
                NotElfKind::Directory
            } else {
                NotElfKind::File { head_len: 0 }
            },
        })
        .collect();
    let index = TreeIndex::new(&files, &symlinks, &not_elf);
    let arch = facts
        .iter()
        .flatten()
        .map(|f| f.arch)
        .next()
        .unwrap_or(Arch::X86_64);
    for platform in (layout.platforms)(selector, arch) {
        let _ = assess_all(&index, files.len(), &platform);
    }
}

/// The parts of `data` between occurrences of `separator`.
fn split_at_separator<'d>(
    mut data: &'d [u8],
    separator: &'d [u8],
) -> impl Iterator<Item = &'d [u8]> + 'd {
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        match data
            .windows(separator.len())
            .position(|window| window == separator)
        {
            Some(at) => {
                let part = data.get(..at).unwrap_or_default();
                data = data.get(at + separator.len()..).unwrap_or_default();
                Some(part)
            }
            None => {
                done = true;
                Some(data)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::LoaderKind;

    /// The glibc resolver must be fuzzed: each image input judges on one.
    #[test]
    fn each_tree_input_judges_on_the_loaders_it_says() {
        for selector in 0..=u8::MAX {
            let [glibc, musl] = image_platforms(selector, Arch::X86_64);
            assert_eq!(glibc.loader_kind(), LoaderKind::Glibc, "{selector}");
            assert_eq!(musl.loader_kind(), LoaderKind::Musl, "{selector}");
            for platform in musl_platforms(selector, Arch::X86_64) {
                assert_eq!(platform.loader_kind(), LoaderKind::Musl, "{selector}");
            }
        }
    }
}
