//! ELF facts and the checks on them, from arbitrary bytes.
#![no_main]

use std::collections::HashMap;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use muslcheck::check::{CheckOptions, TreeFile, TreeIndex, assess_all};
use muslcheck::elf::{Arch, analyse};

fuzz_target!(|data: &[u8]| {
    let Ok(facts) = analyse(data) else { return };
    let location = Path::new("/fuzz/site-packages/pkg/input.so");
    let files = [Some(TreeFile {
        location,
        shown: "input.so",
        facts: &facts,
    })];
    let index = TreeIndex::new(&files, &HashMap::new());
    let options = CheckOptions {
        target: "alpine:3.18".parse().expect("a known target"),
        arch: Arch::X86_64,
        gcompat: data.len() % 2 == 0,
    };
    let _ = assess_all(&index, files.len(), &options);
});
