//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the regression
//! test that replays their inputs (`tests/fuzz_regressions.rs`). Each takes
//! arbitrary bytes and must return without panicking.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use crate::check::{TreeFile, TreeIndex, assess_all};
use crate::discover::archive::{read_tar_gz, read_zip};
use crate::ecosystem::PythonLock;
use crate::ecosystem::npm::{PackageJson, indented_lock_entries, package_lock_entries};
use crate::ecosystem::python::WheelName;
use crate::ecosystem::python_lock::parse_manifest;
use crate::elf::analyse;
use crate::model::Arch;
use crate::platform::{Platform, Target};

/// ELF facts, then the checks on them as a library inside site-packages.
pub fn elf(data: &[u8]) {
    let Ok(facts) = analyse(data) else { return };
    let files = [Some(TreeFile {
        location: Path::new("/fuzz/site-packages/pkg/input.so"),
        shown: "input.so",
        facts: &facts,
    })];
    let index = TreeIndex::new(&files, &HashMap::new());
    let target = "alpine:3.18"
        .parse()
        .unwrap_or_else(|_| Target::newest_alpine());
    let platform = Platform::new(target, Arch::X86_64, data.len() % 2 == 0);
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
