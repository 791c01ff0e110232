//! Which platform an npm file or package is for: platform packages
//! (`-linux-x64-musl`, the `libc` field), the loaders that pick among them,
//! and node-gyp-build's prebuild names.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use crate::model::{Arch, LibcKind};

use super::PackageJson;

/// The platform a file's path inside its package names, when it names an
/// OS and a CPU (and maybe a libc): `bin/napi-v6/linux/arm64/x.node`,
/// `x-linux-x64-glibc-115.node`, `linux-x64-musl/x.node`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamedPlatform {
    pub os: &'static str,
    /// npm's name (`x64`, `arm64` …).
    pub cpu: &'static str,
    pub libc: Option<LibcKind>,
}

impl std::fmt::Display for NamedPlatform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.os, self.cpu)?;
        match self.libc {
            Some(LibcKind::Musl) => write!(f, "-musl"),
            Some(LibcKind::Glibc) => write!(f, "-glibc"),
            _ => Ok(()),
        }
    }
}

/// The platform `path_in_package` names by whole tokens (split at `/`, `-`,
/// `_`, `.`) of Node's platform and CPU names and the libc tokens of
/// platform package names, if it names both an OS and a CPU, each once (a
/// musl token names Linux).
pub fn named_platform(path_in_package: &str) -> Option<NamedPlatform> {
    let text = path_in_package
        .to_ascii_lowercase()
        .replace("x86_64", "x64")
        .replace("x86-64", "x64");
    let (mut os, mut cpu, mut libc) = (Vec::new(), Vec::new(), Vec::new());
    for token in text.split(['/', '-', '_', '.']) {
        // Other spellings of Node's CPU names.
        let token = match token {
            "amd64" => "x64",
            "aarch64" => "arm64",
            "x86" | "i386" | "i686" => "ia32",
            "armv7" | "armv7l" | "armhf" => "arm",
            "ppc64le" => "ppc64",
            other => other,
        };
        if token == "linuxmusl" {
            os.push("linux");
        }
        os.extend(NODE_PLATFORMS.iter().find(|p| **p == token));
        cpu.extend(NODE_CPUS.iter().find(|c| **c == token));
        if MUSL_TOKENS.contains(&token) {
            libc.push(LibcKind::Musl);
        } else if GLIBC_TOKENS.contains(&token) {
            libc.push(LibcKind::Glibc);
        }
    }
    // musl is a Linux C library: koffi's `musl_x64/` beside `linux_x64/`.
    if os.is_empty() && libc.contains(&LibcKind::Musl) {
        os.push("linux");
    }
    let one = |found: &[&'static str]| match found {
        [only] => Some(*only),
        _ => None,
    };
    Some(NamedPlatform {
        os: one(&os)?,
        cpu: one(&cpu)?,
        libc: match libc.as_slice() {
            [only] => Some(*only),
            _ => None,
        },
    })
}

/// npm's name for an architecture (`cpu` field, platform package names).
pub fn npm_cpu(arch: Arch) -> &'static str {
    match arch {
        Arch::X86_64 => "x64",
        Arch::Aarch64 => "arm64",
        Arch::I686 => "ia32",
        Arch::Armv7 => "arm",
        Arch::Ppc64le | Arch::Ppc64 => "ppc64",
        Arch::S390x => "s390x",
        Arch::Riscv64 => "riscv64",
        Arch::Loongarch64 => "loong64",
        Arch::Other(_) => "unknown",
    }
}

/// Whether a platform package name is the musl Linux variant for `cpu`
/// (`@img/sharp-linuxmusl-x64`, `@swc/core-linux-x64-musl`, `@esbuild/linux-x64` is not).
pub fn is_musl_variant_name(name: &str, cpu: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    let tokens: Vec<&str> = base.split('-').collect();
    names_cpu(&tokens, cpu) && tokens.iter().any(|t| MUSL_TOKENS.contains(t))
}

/// Whether a name's parts name Node's `cpu`, as it or as platform packages
/// also spell it: `64` for x64 (`@cloudflare/workerd-linux-64`, esbuild
/// before 0.15's `esbuild-linux-64`, `turbo-linux-64`), Go's and the
/// kernel's names (`amd64`, `x86_64`, `aarch64`).
fn names_cpu(tokens: &[&str], cpu: &str) -> bool {
    let spellings: &[&str] = match cpu {
        "x64" => &["x64", "64", "amd64", "x86_64"],
        "arm64" => &["arm64", "aarch64"],
        _ => &[],
    };
    tokens
        .iter()
        .any(|token| *token == cpu || spellings.contains(token))
}

/// Name parts that mark a platform package for musl: napi-rs
/// (`-linux-x64-musl`, `-linux-arm-musleabihf`) and sharp (`-linuxmusl-x64`).
const MUSL_TOKENS: [&str; 3] = ["musl", "linuxmusl", "musleabihf"];
/// Name parts that mark one for glibc: napi-rs (`-gnu`, `-gnueabihf`),
/// @parcel/watcher (`-glibc`).
const GLIBC_TOKENS: [&str; 3] = ["gnu", "glibc", "gnueabihf"];

/// The libc an installed platform package's binary is built for: its
/// `libc` field (npm 10+), else its name — napi-rs's `-gnu` / `-musl`
/// suffixes, and sharp's `linux-x64` beside `linuxmusl-x64`, which is glibc
/// only when the parent also declares a musl variant. `None`: one build for
/// both (esbuild's static Go binary) or not a platform package.
///
/// The loaders that make it so: napi-rs's generated binding (`@swc/core`
/// 1.7.6 `binding.js`) requires `@swc/core-linux-x64-musl` when `isMusl()`,
/// else `-linux-x64-gnu`; sharp 0.33 (`lib/sharp.js`, `lib/libvips.js`)
/// requires `@img/sharp-${runtimePlatform}`, `linuxmusl-x64` on musl, and
/// describes `@img/sharp-linux-x64` as "Prebuilt sharp for use with Linux
/// (glibc) x64" (https://sharp.pixelplumbing.com/install#cross-platform);
/// `@parcel/watcher` 2.6.0 `index.js` appends `-musl` or `-glibc` from
/// detect-libc; `lightningcss` `node/index.js` appends `musl` or `gnu`.
pub fn platform_package_libc(
    name: &str,
    libc_field: &[String],
    parent_declares_musl: bool,
) -> Option<LibcKind> {
    if libc_field.iter().any(|l| l == "glibc") {
        return Some(LibcKind::Glibc);
    }
    if libc_field.iter().any(|l| l == "musl") {
        return Some(LibcKind::Musl);
    }
    let base = name.rsplit('/').next().unwrap_or(name);
    let tokens: Vec<&str> = base.split('-').collect();
    if tokens.iter().any(|t| GLIBC_TOKENS.contains(t)) {
        Some(LibcKind::Glibc)
    } else if tokens.iter().any(|t| MUSL_TOKENS.contains(t)) {
        Some(LibcKind::Musl)
    } else if parent_declares_musl && tokens.contains(&"linux") {
        Some(LibcKind::Glibc)
    } else {
        None
    }
}

/// An installed platform package built for glibc, and the package whose
/// loader picks among its variants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlibcPlatformPackage {
    pub name: String,
    /// The installed package that declares it in `optionalDependencies`.
    pub parent: Option<String>,
    /// The parent's musl variant for the target CPU, when it declares one.
    pub musl_variant: Option<String>,
    /// Whether the parent is itself a platform package for glibc (sharp's
    /// `@img/sharp-linux-x64` declares the glibc libvips package): on musl
    /// nothing loads either.
    pub parent_for_glibc: bool,
}

/// The installed platform packages for other CPUs than `cpu` (their `cpu`
/// field names CPUs, none of them `cpu`), by package directory: `name (cpus)`.
/// npm installs another build in their place on `cpu`, or none.
pub fn other_cpu_platform_packages(
    installed: &[(PathBuf, PackageJson)],
    cpu: &str,
) -> HashMap<PathBuf, String> {
    installed
        .iter()
        .filter(|(_, manifest)| {
            crate::ecosystem::npm_lock::is_platform_package(&manifest.os, &manifest.cpu)
                && !manifest.cpu.is_empty()
                && manifest.cpu.iter().all(|c| !c.starts_with('!') && c != cpu)
        })
        .map(|(dir, manifest)| {
            let named = format!("{} ({})", manifest.name, manifest.cpu.join(", "));
            (dir.clone(), named)
        })
        .collect()
}

/// The installed platform packages built for glibc, by package directory:
/// one pass over the installed manifests, names looked up in a map.
pub fn glibc_platform_packages(
    installed: &[(PathBuf, PackageJson)],
    cpu: &str,
) -> HashMap<PathBuf, GlibcPlatformPackage> {
    // Each installed manifest's musl variants, worked out once: a parent's
    // declarations are read once, however many platform packages it has.
    let musl_variants: Vec<MuslVariants> = installed
        .iter()
        .map(|(_, manifest)| MuslVariants::of(manifest, cpu))
        .collect();
    // sharp's libvips package is declared by sharp and by its own glibc
    // platform package: the parent is the one with a musl variant.
    let mut parents_of: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, (_, manifest)) in installed.iter().enumerate() {
        for dep in manifest.optional_dependencies.keys() {
            parents_of.entry(dep.as_str()).or_default().push(index);
        }
    }
    installed
        .iter()
        .filter(|(_, manifest)| {
            !manifest.os.is_empty() || !manifest.cpu.is_empty() || !manifest.libc.is_empty()
        })
        .filter_map(|(dir, manifest)| {
            let name = manifest.name.as_str();
            let parents = parents_of.get(name).map(Vec::as_slice).unwrap_or_default();
            let parent = parents
                .iter()
                .find(|&&p| musl_variants.get(p).is_some_and(|v| !v.names.is_empty()))
                .or_else(|| parents.first())
                .copied();
            let musl_variant = parent
                .and_then(|p| musl_variants.get(p))
                .and_then(|variants| variants.counterpart(name));
            let libc =
                platform_package_libc(&manifest.name, &manifest.libc, musl_variant.is_some())?;
            let parent = parent.and_then(|p| installed.get(p)).map(|(_, p)| p);
            (libc == LibcKind::Glibc).then(|| {
                (
                    dir.clone(),
                    GlibcPlatformPackage {
                        name: manifest.name.clone(),
                        parent: parent.map(|p| p.name.clone()),
                        parent_for_glibc: parent.is_some_and(|p| {
                            platform_package_libc(&p.name, &p.libc, false) == Some(LibcKind::Glibc)
                        }),
                        musl_variant,
                    },
                )
            })
        })
        .collect()
}

/// The musl variants one package declares for a CPU.
struct MuslVariants<'m> {
    names: HashSet<&'m str>,
    /// The one holding the binary itself when the name does not tell.
    shortest: Option<&'m str>,
}

impl<'m> MuslVariants<'m> {
    fn of(manifest: &'m PackageJson, cpu: &str) -> MuslVariants<'m> {
        // Every CPU's: an arm64 glibc package's twin is the arm64 musl one.
        let names: HashSet<&str> = manifest
            .optional_dependencies
            .keys()
            .map(String::as_str)
            .filter(|dep| {
                let base = dep.rsplit('/').next().unwrap_or(dep);
                base.split('-').any(|t| MUSL_TOKENS.contains(&t))
            })
            .collect();
        let shortest = names
            .iter()
            .copied()
            .filter(|dep| is_musl_variant_name(dep, cpu))
            .min_by_key(|n| (n.len(), *n));
        MuslVariants { names, shortest }
    }

    /// The musl twin of a glibc platform package, by the conventions'
    /// spelling (`-gnu` → `-musl`, `-glibc` → `-musl`, sharp's `linux-` →
    /// `linuxmusl-`, biome's `linux-x64` → `linux-x64-musl`), else the
    /// parent's main musl package.
    fn counterpart(&self, glibc: &str) -> Option<String> {
        let (scope, base) = match glibc.rsplit_once('/') {
            Some((scope, base)) => (format!("{scope}/"), base),
            None => (String::new(), glibc),
        };
        let tokens: Vec<&str> = base.split('-').collect();
        let swapped = |from: &str, to: &str| {
            tokens
                .iter()
                .map(|t| if *t == from { to } else { t })
                .collect::<Vec<_>>()
                .join("-")
        };
        let candidates = [
            swapped("gnu", "musl"),
            swapped("glibc", "musl"),
            swapped("gnueabihf", "musleabihf"),
            swapped("linux", "linuxmusl"),
            format!("{base}-musl"),
        ];
        candidates
            .iter()
            .map(|candidate| format!("{scope}{candidate}"))
            .find(|candidate| self.names.contains(candidate.as_str()))
            .or_else(|| self.shortest.map(str::to_string))
    }
}

/// The file names require-addon (bare-addon-resolve) takes an addon by from
/// its host's directory: `<name>@<version>.node`, then `<name>.node`, the
/// package's name with `/` as `__` and no `@` in front.
pub fn require_addon_names(name: &str, version: &str) -> [String; 2] {
    let name = name.replace('/', "__");
    let name = name.strip_prefix('@').unwrap_or(&name);
    [format!("{name}@{version}.node"), format!("{name}.node")]
}

/// Of `dependencies` (a package's optional dependencies), those that are
/// `parent`'s own builds rather than another package's that `parent` lists
/// by mistake (@rollup/wasm-node 4.68's `@napi-rs/lzma-linux-x64-gnu`,
/// which nothing in it requires). One is when the two share a scope, or its
/// scope is the parent's name (`@esbuild/linux-x64` of esbuild,
/// `@next/swc-linux-x64-gnu` of next), or a word of their names
/// (`@img/sharp-linux-x64` of sharp, `@unrs/resolver-binding-*` of
/// unrs-resolver), words any package may use (`node`, `napi`, `binding`)
/// aside; or when the same build is listed for another platform too: a set
/// made for a loader the parent bundles (@anthropic-ai/claude-code 1.0's six
/// `@img/sharp-*`). Linear in the dependencies.
pub fn own_platform_packages<'d>(
    parent: &str,
    dependencies: impl IntoIterator<Item = &'d str>,
) -> HashSet<&'d str> {
    let dependencies: Vec<&str> = dependencies.into_iter().collect();
    let mut platforms_of_family: HashMap<BuildFamily, HashSet<Vec<&str>>> = HashMap::new();
    for dependency in &dependencies {
        platforms_of_family
            .entry(build_family(dependency))
            .or_default()
            .insert(named_platform_tokens(dependency));
    }
    let (parent_scope, parent_base) = split_scope(parent);
    let parent_words = name_words(parent_scope, parent_base);
    dependencies
        .into_iter()
        .filter(|dependency| {
            let (scope, base) = split_scope(dependency);
            (parent_scope.is_some() && parent_scope == scope)
                || scope == Some(parent_base)
                || name_words(scope, base)
                    .iter()
                    .any(|word| parent_words.contains(word))
                || platforms_of_family
                    .get(&build_family(dependency))
                    .is_some_and(|platforms| platforms.len() > 1)
        })
        .collect()
}

/// A package name's scope (without `@`) and the rest.
fn split_scope(name: &str) -> (Option<&str>, &str) {
    match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
        Some((scope, base)) => (Some(scope), base),
        None => (None, name),
    }
}

/// Words of a name that are neither platform words nor ones any package uses.
fn name_words<'n>(scope: Option<&'n str>, base: &'n str) -> Vec<&'n str> {
    const COMMON_WORDS: &[&str] = &[
        "node",
        "nodejs",
        "js",
        "napi",
        "rs",
        "binding",
        "bindings",
        "native",
        "cli",
        "core",
        "lib",
        "bin",
        "wasm",
        "sdk",
        "addon",
        "prebuilt",
        "prebuilds",
    ];
    scope
        .into_iter()
        .chain(std::iter::once(base))
        .flat_map(|part| part.split(['-', '_', '.']))
        .filter(|word| !word.is_empty() && !COMMON_WORDS.contains(word) && !is_platform_word(word))
        .collect()
}

fn is_platform_word(word: &str) -> bool {
    NODE_PLATFORMS.contains(&word)
        || NODE_CPUS.contains(&word)
        || MUSL_TOKENS.contains(&word)
        || GLIBC_TOKENS.contains(&word)
        || [
            "linuxmusl",
            "64",
            "amd64",
            "x86_64",
            "aarch64",
            "msvc",
            "musleabi",
            "gnueabi",
        ]
        .contains(&word)
}

/// A platform package's scope and the words of its name that are not
/// platform words: the builds of one family (`@img/sharp-linux-x64`,
/// `@img/sharp-darwin-arm64`) share them.
type BuildFamily<'n> = (Option<&'n str>, Vec<&'n str>);

fn build_family(name: &str) -> BuildFamily<'_> {
    let (scope, base) = split_scope(name);
    (
        scope,
        base.split('-')
            .filter(|word| !is_platform_word(word))
            .collect(),
    )
}

/// A platform package's platform words, in order.
fn named_platform_tokens(name: &str) -> Vec<&str> {
    let (_, base) = split_scope(name);
    base.split('-')
        .filter(|word| is_platform_word(word))
        .collect()
}

/// Whether a platform package name is a Linux variant for `cpu` of either libc.
pub fn is_linux_variant_name(name: &str, cpu: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    let tokens: Vec<&str> = base.split('-').collect();
    names_cpu(&tokens, cpu) && tokens.iter().any(|t| t.starts_with("linux"))
}

/// A prebuild's libc and architecture, from prebuildify / node-gyp-build naming:
/// `prebuilds/linux-x64/<name>.musl.node`, `.glibc.node`, or untagged; or
/// the same tags on a file at the root of a platform package named for its
/// OS and CPU (`@lmdb/lmdb-linux-x64/node.napi.musl.node`), which
/// node-gyp-build-optional-packages chooses among the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prebuild {
    pub platform: String,
    /// The directory's first CPU (`x64` of `linux-x64+arm64`).
    pub cpu: String,
    /// Every CPU the directory names.
    pub cpus: Vec<String>,
    /// `None` for an untagged prebuild; else its name's last libc tag, or
    /// its directory's (`linuxmusl-x64`: node-gyp-build 3's layout).
    pub libc: Option<LibcKind>,
    /// The libc is the directory's (`prebuilds/linuxglibc-x64/`).
    pub libc_directory: bool,
    /// The directory's ARM version suffix (`linux-arm64-v8`: node-gyp-build 3).
    pub armv_directory: Option<String>,
    /// An addon for the Bare runtime (`<name>.bare`, beside or instead of
    /// the `.node` one in packages made for both): Node never loads it.
    pub bare: bool,
    /// At the root of a platform package, not in its `prebuilds/`.
    pub in_platform_package: bool,
    /// A `.node` (or `.bare`) file node-gyp-build chooses among; else a
    /// file beside them (a library the addon needs), read only with them.
    pub addon: bool,
}

impl Prebuild {
    /// How many directories up from the file its package's root is.
    pub fn package_depth(&self) -> usize {
        if self.in_platform_package { 1 } else { 3 }
    }
}

/// Node's `os.platform()` names (`process.platform`).
const NODE_PLATFORMS: &[&str] = &[
    "linux", "darwin", "win32", "freebsd", "openbsd", "netbsd", "sunos", "aix", "android",
];

/// Node's `os.arch()` names (`process.arch`).
const NODE_CPUS: &[&str] = &[
    "x64", "arm64", "arm", "ia32", "ppc64", "s390x", "riscv64", "loong64", "mips64el", "mipsel",
];

/// A file of a prebuild in pkg-prebuilds' layout (node-hid, @julusian
/// packages): `prebuilds/<name>-<platform>-<arch>[-musl]/`, holding
/// `<runtime>-napi-v<N>.node` and the libraries it needs beside it.
/// pkg-prebuilds loads the `-musl` directory on Alpine (it looks for
/// `/etc/alpine-release`) and the unsuffixed one elsewhere, nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkgPrebuild<'p> {
    /// The directory's name (`HID_hidraw-linux-x64-musl`).
    pub directory: &'p str,
    /// The binding's name (`HID_hidraw`).
    pub name: &'p str,
    /// The addon itself (`node-napi-v4.node`), not a library beside it.
    pub addon: bool,
}

pub fn pkg_prebuild(path: &str) -> Option<PkgPrebuild<'_>> {
    let mut parts = path.rsplit('/');
    let file = parts.next()?;
    let directory = parts.next()?;
    if parts.next()? != "prebuilds" {
        return None;
    }
    let rest = directory.strip_suffix("-musl").unwrap_or(directory);
    let (rest, cpu) = rest.rsplit_once('-')?;
    let (name, platform) = rest.rsplit_once('-')?;
    // node-gyp-build's own `<platform>-<cpu>` directories start with the platform.
    let ours = !name.is_empty()
        && !NODE_PLATFORMS.iter().any(|p| directory.starts_with(p))
        && NODE_PLATFORMS.contains(&platform)
        && NODE_CPUS.contains(&cpu);
    ours.then_some(PkgPrebuild {
        directory,
        name,
        addon: file.ends_with(".node") && file.contains("-napi-v"),
    })
}

pub fn prebuild(path: &str) -> Option<Prebuild> {
    let mut parts = path.rsplit('/');
    let file = parts.next()?;
    let dir = parts.next()?;
    let bare = file.ends_with(".bare");
    let addon = file.ends_with(".node") || bare;
    // The last libc tag, as node-gyp-build's parseTags keeps it.
    let libc = file.split('.').rev().find_map(|tag| match tag {
        "musl" => Some(LibcKind::Musl),
        "glibc" => Some(LibcKind::Glibc),
        _ => None,
    });
    let above = parts.next()?;
    if above == "prebuilds" {
        let (platform, rest) = dir.split_once('-')?;
        // node-gyp-build 3: `<platform><libc>-<cpus>[-v<armv>]`.
        let (platform, dir_libc) = match platform.strip_suffix("musl") {
            Some(platform) => (platform, Some(LibcKind::Musl)),
            None => match platform.strip_suffix("glibc") {
                Some(platform) => (platform, Some(LibcKind::Glibc)),
                None => (platform, None),
            },
        };
        let (cpus, armv) = match rest.rsplit_once("-v") {
            Some((cpus, armv)) if !armv.is_empty() && armv.bytes().all(|b| b.is_ascii_digit()) => {
                (cpus, Some(armv.to_string()))
            }
            _ => (rest, None),
        };
        let cpus: Vec<String> = cpus.split('+').map(str::to_string).collect();
        // A file beside the addons counts only in a directory named as
        // node-gyp-build names them (not `prebuilds/release-v2/`).
        let node_names = NODE_PLATFORMS.contains(&platform)
            && cpus.iter().all(|cpu| NODE_CPUS.contains(&cpu.as_str()));
        if !addon && !node_names {
            return None;
        }
        return Some(Prebuild {
            platform: platform.to_string(),
            cpu: cpus.first().cloned().unwrap_or_default(),
            cpus,
            libc: libc.or(dir_libc),
            libc_directory: dir_libc.is_some(),
            armv_directory: armv,
            bare,
            in_platform_package: false,
            addon,
        });
    }
    // `node_modules/@scope/<name>-<os>-<cpu>/`, its files named by tags
    // alone (`node.napi.musl.node`): how node-gyp-build-optional-packages
    // names the platform packages it reads (a `duckdb.node` at the root of
    // `@duckdb/node-bindings-linux-x64` is required by its own loader).
    let installed = above.starts_with('@')
        && parts.next() == Some("node_modules")
        && super::super::node_gyp_build::only_tags(file);
    let mut suffix = dir.rsplitn(3, '-');
    let (cpu, platform, name) = (suffix.next()?, suffix.next()?, suffix.next()?);
    (installed
        && addon
        && !bare
        && !name.is_empty()
        && NODE_PLATFORMS.contains(&platform)
        && NODE_CPUS.contains(&cpu))
    .then(|| Prebuild {
        platform: platform.to_string(),
        cpu: cpu.to_string(),
        cpus: vec![cpu.to_string()],
        libc,
        libc_directory: false,
        armv_directory: None,
        bare,
        in_platform_package: true,
        addon,
    })
}
