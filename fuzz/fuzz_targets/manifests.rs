//! Lockfile, requirements, package.json and wheel-name parsers from arbitrary
//! text; the first byte picks the parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use muslcheck::ecosystem::npm::{PackageJson, indented_lock_entries, package_lock_entries};
use muslcheck::ecosystem::python::WheelName;
use muslcheck::ecosystem::python_lock::parse_manifest;

const PYTHON: [&str; 6] = [
    "uv.lock",
    "poetry.lock",
    "pdm.lock",
    "Pipfile.lock",
    "requirements.txt",
    "requirements-dev.txt",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match selector % 10 {
        n @ 0..=5 => {
            let _ = parse_manifest(PYTHON[usize::from(n)], text);
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
});
