//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the regression
//! test that replays their inputs (`tests/fuzz_regressions.rs`). Each takes
//! arbitrary bytes and must return without panicking.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::check::reinstall::assess_npm_variants;
use crate::check::{NotElfEntry, TreeFile, TreeIndex, assess_all};
use crate::config::baseline;
use crate::config::{Config, Loaded};
use crate::discover::archive::{read_tar_gz, read_zip};
use crate::ecosystem::PythonLock;
use crate::ecosystem::npm::{PackageJson, npm_cpu};
use crate::ecosystem::npm_lock::{indented_lock_entries, lock_variants_of, package_lock_entries};
use crate::ecosystem::python::WheelName;
use crate::ecosystem::python_lock::parse_manifest;
use crate::elf::analyse;
use crate::model::{
    ARCHIVE_ROOT, Arch, Artifact, ArtifactKind, Assessment, Code, Ecosystem, ElfFacts, Evidence,
    Finding, Package, Report, ReportPath, SCHEMA_VERSION, Summary, ToolInfo, Verdict,
};
use crate::platform::{Platform, Target};

/// The targets the entry points judge on, by name.
const TARGET_NAMES: [&str; 4] = ["alpine:3.18", "musl:1.2.3", "debian-musl", "alpine:3.14"];

/// The target of one of [`TARGET_NAMES`] (the newest Alpine for `None` or
/// another name), parsed once for every execution: a parse reads the
/// Alpine release table.
fn target(name: Option<&str>) -> Target {
    static PARSED: OnceLock<(Target, Vec<(&str, Target)>)> = OnceLock::new();
    let (newest, named) = PARSED.get_or_init(|| {
        let named = TARGET_NAMES
            .iter()
            .filter_map(|&name| Some((name, name.parse().ok()?)))
            .collect();
        (Target::newest_alpine(), named)
    });
    named
        .iter()
        .find(|(known, _)| Some(*known) == name)
        .map_or(newest, |(_, target)| target)
        .clone()
}

/// ELF facts, then the checks on them as a library inside site-packages.
pub fn elf(data: &[u8]) {
    let Ok(facts) = analyse(data) else { return };
    let files = [Some(TreeFile {
        location: Path::new("/fuzz/site-packages/pkg/input.so"),
        other_locations: &[],
        shown: "input.so",
        facts: &facts,
        glibc_platform_package: None,
        filesystem_root: None,
        distro_owned: false,
    })];
    let no_links = HashMap::new();
    let index = TreeIndex::new(&files, &no_links, &[]);
    let platform = Platform::new(
        target(Some("alpine:3.18")),
        Arch::X86_64,
        data.len() % 2 == 0,
    );
    let _ = assess_all(&index, files.len(), &platform);
}

/// A wheel (zip), every ELF member analysed.
pub fn wheel(data: &[u8]) {
    let _ = read_zip(std::io::Cursor::new(data), |member| analyse(member).is_ok());
}

/// An npm tarball: used as gzip data when it starts like gzip, else gzipped
/// first so the tar layer is reached.
pub fn tarball(data: &[u8]) {
    if data.starts_with(&[0x1f, 0x8b]) {
        let _ = read_tar_gz(data, |member| analyse(member).is_ok());
        return;
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    if encoder.write_all(data).is_err() {
        return;
    }
    if let Ok(compressed) = encoder.finish() {
        let _ = read_tar_gz(compressed.as_slice(), |member| analyse(member).is_ok());
    }
}

const PYTHON_MANIFESTS: [PythonLock; 3] = [
    PythonLock::Toml,
    PythonLock::Pipfile,
    PythonLock::Requirements,
];

/// Lockfile, requirements, package.json and wheel-name parsers; the first
/// byte picks the parser.
pub fn manifests(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match selector % 10 {
        n @ 0..=5 => {
            if let Some(format) = PYTHON_MANIFESTS.get(usize::from(n % 3)) {
                let _ = parse_manifest(*format, text);
            }
        }
        6 => {
            let _ = package_lock_entries(text);
        }
        7 => {
            let _ = indented_lock_entries(text);
        }
        8 => {
            let _ = PackageJson::parse(text).map(|manifest| manifest.package());
        }
        _ => {
            let _ = WheelName::parse(text);
        }
    }
}

/// A config file's text (`muslcheck.toml`, or `pyproject.toml` when the first
/// byte is odd), its settings, its `[[ignore]]` rules matched against a few
/// findings, and what it would say it changed.
pub fn config(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let Ok(Some(config)) = Config::parse(text, selector % 2 == 1) else {
        return;
    };
    let Ok((options, fail_on)) = config.settings() else {
        return;
    };
    let _ = (options.platform.info(), fail_on.threshold());
    let artifacts = sample_artifacts();
    let mut ignored = vec![0; options.ignore.len()];
    for artifact in &artifacts {
        for finding in artifact.findings() {
            for (rule, count) in options.ignore.iter().zip(ignored.iter_mut()) {
                if rule.matches(artifact, finding) {
                    *count += 1;
                }
            }
        }
    }
    let loaded = Loaded {
        path: PathBuf::from("muslcheck.toml"),
        config: config.clone(),
        discovered: true,
    };
    let _ = loaded.effects(&Config::default(), &ignored);
    let _ = loaded.effects(&config.clone().over(Config::default()), &[]);
}

/// A few report entries for rules and baselines to match: a file with a
/// package, an archive member, a lockfile entry.
fn sample_artifacts() -> Vec<Artifact> {
    let entry = |path: &str, package: Option<(&str, &str)>, code: Code| {
        let finding = Finding::new(
            code,
            "fuzz".to_string(),
            Evidence::Read {
                reason: "fuzz".to_string(),
            },
        );
        Artifact::entry(
            ReportPath::file(path),
            package.map(|(name, version)| Package {
                ecosystem: Ecosystem::Npm,
                name: name.to_string(),
                version: version.to_string(),
            }),
            ArtifactKind::Unreadable,
            Assessment::of(Verdict::Breaks, vec![finding]),
        )
    };
    let member = format!(
        "dist/bcrypt-6.0.0.tgz{}package/x.node",
        ReportPath::SEPARATOR
    );
    vec![
        entry(
            "node_modules/.pnpm/bcrypt@5.1.1/node_modules/bcrypt/x.node",
            Some(("bcrypt", "5.1.1")),
            Code::Unreadable,
        ),
        entry(&member, Some(("bcrypt", "6.0.0")), Code::Unreadable),
        entry("vendor/lib/libfoo.so", None, Code::Unreadable),
    ]
}

/// A baseline file's text, applied to a report holding the findings it
/// names (and to the sample entries), then written out again.
pub fn baseline(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(accepted) = baseline::parse(text) else {
        return;
    };
    let mut artifacts = sample_artifacts();
    for fingerprint in &accepted.fingerprints {
        let code = fingerprint.code.parse().unwrap_or(Code::Unreadable);
        let finding = Finding::new(
            code,
            "fuzz".to_string(),
            Evidence::Read {
                reason: "fuzz".to_string(),
            },
        );
        let package = (!fingerprint.package.is_empty()).then(|| Package {
            ecosystem: Ecosystem::Pypi,
            name: fingerprint.package.clone(),
            version: String::new(),
        });
        artifacts.push(Artifact::entry(
            ReportPath::file(fingerprint.path.as_str()),
            package,
            ArtifactKind::Unreadable,
            Assessment::of(Verdict::Unknown, vec![finding]),
        ));
    }
    let platform = Platform::default();
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo {
            name: "muslcheck",
            version: "fuzz",
        },
        target: platform.info(),
        arch: platform.arch,
        gcompat: platform.gcompat,
        roots: vec![".".to_string()],
        artifacts,
        packages: Vec::new(),
        plan: Default::default(),
        index: Default::default(),
        images: Vec::new(),
        summary: Summary::default(),
    };
    let again = baseline::create(&report);
    let _ = baseline::apply(&mut report, &accepted);
    let _ = baseline::apply(&mut report, &again);
    let _ = serde_json::to_string_pretty(&accepted);
}

/// npm's CPU names, each of which a lockfile is checked for.
const NPM_CPUS: [Arch; 9] = [
    Arch::X86_64,
    Arch::Aarch64,
    Arch::I686,
    Arch::Armv7,
    Arch::Ppc64le,
    Arch::S390x,
    Arch::Riscv64,
    Arch::Loongarch64,
    Arch::Other(0),
];

/// A lockfile's entries (`package-lock.json` when the first byte is even,
/// else yarn.lock / pnpm-lock.yaml), their platform variants for every CPU
/// npm names, and the reinstall answer for each.
pub fn lock_variants(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let (entries, source) = if selector % 2 == 0 {
        let Ok(entries) = package_lock_entries(text) else {
            return;
        };
        (entries, "package-lock.json")
    } else {
        (indented_lock_entries(text), "yarn.lock")
    };
    for arch in NPM_CPUS {
        for variant in lock_variants_of(&entries, npm_cpu(arch)) {
            let _ = assess_npm_variants(&variant, source);
        }
    }
}

/// Separates the files of a [`tree`] input.
pub const TREE_SEPARATOR: &[u8] = b"MCFUZZ!";

/// The most files a [`tree`] input makes.
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

/// A small tree of ELF files that need each other, judged as a whole: the
/// input's first byte picks the platforms, the rest is split at
/// [`TREE_SEPARATOR`] into up to six files. Each file is three control bytes
/// and then its ELF bytes: where it lies and its name, which of the other
/// files it needs (one bit each), and flags (RUNPATH/RPATH `$ORIGIN`
/// entries, a SONAME, the previous file's required symbols as exports, a
/// symlink to it and a symlink loop).
pub fn tree(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let chunks: Vec<&[u8]> = split_at_separator(rest, TREE_SEPARATOR)
        .take(TREE_FILES)
        .collect();
    let controls: Vec<[u8; 3]> = chunks
        .iter()
        .map(|chunk| {
            let mut control = [0u8; 3];
            for (slot, byte) in control.iter_mut().zip(chunk.iter()) {
                *slot = *byte;
            }
            control
        })
        .collect();
    let placed: Vec<(PathBuf, String)> = controls
        .iter()
        .enumerate()
        .map(|(i, &[place, _, _])| {
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
        })
        .collect();
    let mut facts: Vec<Option<ElfFacts>> = chunks
        .iter()
        .map(|chunk| analyse(chunk.get(3..).unwrap_or_default()).ok())
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
    for (i, (file, &[_, links, flags])) in facts.iter_mut().zip(&controls).enumerate() {
        let Some(file) = file else { continue };
        for (j, (_, name)) in placed.iter().enumerate() {
            if links & (1 << j) != 0 {
                file.needed.push(name.clone());
            }
        }
        if links & 0x40 != 0
            && let Some((_, name)) = placed.get((i + 1) % placed.len())
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
        if let Some((location, _)) = placed.get(i) {
            let dir = location.parent().unwrap_or(Path::new("/"));
            if flags & 0x20 != 0 {
                symlinks.insert(dir.join(format!("link{i}.so")), location.clone());
            }
            if flags & 0x40 != 0 {
                let (a, b) = (dir.join("loop-a.so"), dir.join("loop-b.so"));
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
        }
    }
    let files: Vec<Option<TreeFile>> = facts
        .iter()
        .zip(&placed)
        .map(|(facts, (location, _))| {
            facts.as_ref().map(|facts| TreeFile {
                location,
                other_locations: &[],
                shown: location.to_str().unwrap_or_default(),
                facts,
                glibc_platform_package: None,
                filesystem_root: None,
                distro_owned: false,
            })
        })
        .collect();
    // Inputs that are not ELF stand for text files at their places: a
    // search that meets one stops.
    let not_elf: Vec<NotElfEntry> = facts
        .iter()
        .zip(&placed)
        .filter(|(facts, _)| facts.is_none())
        .map(|(_, (location, _))| NotElfEntry {
            location,
            shown: location.to_str().unwrap_or_default(),
            head_len: 0,
        })
        .collect();
    let index = TreeIndex::new(&files, &symlinks, &not_elf);
    let arch = facts
        .iter()
        .flatten()
        .map(|f| f.arch)
        .next()
        .unwrap_or(Arch::X86_64);
    let second = TARGET_NAMES.get(usize::from((selector >> 1) % 4)).copied();
    let gcompat = selector % 2 == 0;
    for platform in [
        Platform::new(target(None), arch, gcompat),
        Platform::new(target(second), arch, !gcompat),
    ] {
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
