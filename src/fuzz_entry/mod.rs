//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the regression
//! test that replays their inputs (`tests/fuzz_regressions.rs`). Each takes
//! arbitrary bytes and must return without panicking.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod tree;
pub use tree::{TREE_SEPARATOR, tree, tree_image};

use crate::check::reinstall::assess_npm_variants;
use crate::check::{TreeFile, TreeIndex, assess_all};
use crate::config::baseline;
use crate::config::{Config, Loaded};
use crate::discover::archive::{read_package_manifest, read_tar_gz, read_zip};
use crate::ecosystem::PythonLock;
use crate::ecosystem::npm::cmake_ts::CmakeTsManifest;
use crate::ecosystem::npm::{PackageJson, npm_cpu};
use crate::ecosystem::npm_lock::{indented_lock_entries, lock_variants_of, package_lock_entries};
use crate::ecosystem::python::WheelName;
use crate::ecosystem::python_lock::parse_manifest;
use crate::elf::analyse;
use crate::model::{
    Arch, Artifact, ArtifactKind, Assessment, Code, Ecosystem, Evidence, Finding, LibcKind,
    Package, Report, ReportPath, SCHEMA_VERSION, Summary, ToolInfo, Verdict,
};
use crate::platform::{Platform, Target};

/// The targets the entry points judge on, by name.
const TARGET_NAMES: [&str; 9] = [
    "alpine:3.18",
    "musl:1.2.3",
    "debian-musl",
    "alpine:3.16",
    "alpine:3.20",
    "debian:12-slim",
    "ubuntu:24.04",
    "debian:11-slim",
    "gcr.io/distroless/cc-debian12",
];

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
        cmake_ts: None,
        require_addon: false,
        other_cpu_platform_package: None,
        filesystem_root: None,
        distro_owned: false,
        ecosystem: Some(Ecosystem::Pypi),
        package: None,
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

/// A wheel (zip), every ELF member analysed; the same bytes as a Yarn
/// cache archive, its package manifest read.
pub fn wheel(data: &[u8]) {
    let _ = read_zip(std::io::Cursor::new(data), |member| analyse(member).is_ok());
    let _ = read_package_manifest(std::io::Cursor::new(data));
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
            if let Some(manifest) = CmakeTsManifest::parse(text) {
                let _ = manifest.tried("x64", LibcKind::Musl);
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A name that did not parse would be the newest Alpine.
    #[test]
    fn the_targets_the_entry_points_judge_on_are_known() {
        for name in TARGET_NAMES {
            assert!(name.parse::<Target>().is_ok(), "{name}");
        }
    }
}
