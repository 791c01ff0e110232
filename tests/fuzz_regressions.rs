//! Replays the committed fuzz inputs (corpus/fuzz-regressions/<target>/: a
//! spread of the coverage corpus the fuzzers built, and any input that ever
//! failed) through the same entry points the fuzz targets call.

use std::path::Path;

type Entry = fn(&[u8]);

#[test]
fn fuzz_inputs_replay_without_panicking() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/fuzz-regressions");
    let targets: [(&str, Entry); 9] = [
        ("elf", muslcheck::fuzz_entry::elf),
        ("wheel", muslcheck::fuzz_entry::wheel),
        ("tarball", muslcheck::fuzz_entry::tarball),
        ("manifests", muslcheck::fuzz_entry::manifests),
        ("config", muslcheck::fuzz_entry::config),
        ("baseline", muslcheck::fuzz_entry::baseline),
        ("lock_variants", muslcheck::fuzz_entry::lock_variants),
        ("tree", muslcheck::fuzz_entry::tree),
        ("tree_image", muslcheck::fuzz_entry::tree_image),
    ];
    for (name, entry) in targets {
        let mut replayed = 0;
        for file in std::fs::read_dir(root.join(name)).unwrap() {
            let path = file.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| entry(&bytes));
            assert!(outcome.is_ok(), "{name}: {} panicked", path.display());
            replayed += 1;
        }
        assert!(replayed >= 10, "{name}: only {replayed} inputs");
    }
}
