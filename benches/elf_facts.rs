//! ELF fact extraction and whole scans on representative files.
//!
//! `cargo bench --bench elf_facts`. The big files come from the fetched trees
//! (`corpus/thirdparty/make-venv.sh`, `make-node-modules.sh`); without them
//! only the committed fixtures are measured.

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// (label, file): a small addon, a C++ extension, and the largest shared objects.
fn files() -> Vec<(&'static str, PathBuf)> {
    let fetched = root().join("corpus/thirdparty/fetched");
    let candidates = [
        ("small .node (15 KB)", root().join("corpus/node/addon.node")),
        (
            "C++ library (fixture)",
            root().join("corpus/lib/libcxx-shared-ptr.so"),
        ),
        (
            "sharp .node (npm)",
            fetched.join("npm-glibc/node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64.node"),
        ),
        (
            "cryptography _rust.abi3.so (10 MB)",
            fetched.join("venv/cryptography/hazmat/bindings/_rust.abi3.so"),
        ),
        (
            "libopenblas (35 MB)",
            fetched.join("venv/numpy.libs/libopenblas64_p-r0-0cf96a72.3.23.dev.so"),
        ),
    ];
    candidates
        .into_iter()
        .filter(|(label, path)| {
            let present = path.is_file();
            if !present {
                eprintln!("skipping {label}: {} absent", path.display());
            }
            present
        })
        .collect()
}

fn elf_facts(c: &mut Criterion) {
    let mut group = c.benchmark_group("elf_facts");
    for (label, path) in files() {
        let bytes = std::fs::read(&path).expect("listed files exist");
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(label, |b| {
            b.iter(|| muslcheck::elf::analyse(std::hint::black_box(&bytes)))
        });
        // What the content cache adds per ELF file (it hashes the whole file).
        group.bench_function(format!("{label}: xxh3-128 content key"), |b| {
            b.iter(|| xxhash_rust::xxh3::xxh3_128(std::hint::black_box(&bytes)))
        });
    }
    group.finish();
}

fn whole_scan(c: &mut Criterion) {
    let mut group = c.benchmark_group("scan");
    group.sample_size(10);
    let options = muslcheck::Options {
        platform: muslcheck::platform::Platform {
            arch: muslcheck::model::Arch::X86_64,
            ..Default::default()
        },
        ..muslcheck::Options::default()
    };
    let mut trees = vec![("corpus", root().join("corpus"))];
    for (label, dir) in [("venv", "venv"), ("node_modules", "npm-glibc")] {
        let path = root().join("corpus/thirdparty/fetched").join(dir);
        if path.is_dir() {
            trees.push((label, path));
        }
    }
    for (label, path) in trees {
        let paths = [path];
        group.bench_function(label, |b| {
            b.iter(|| muslcheck::scan(&paths, &options).expect("the tree exists"))
        });
    }
    group.finish();
}

criterion_group!(benches, elf_facts, whole_scan);
criterion_main!(benches);
