//! Indexes the large embedded symbol tables by key (see
//! `src/platform/table_rows.rs`), so no scan parses them.

use std::fmt::Write as _;
use std::path::Path;

#[allow(dead_code)]
#[path = "src/platform/table_rows.rs"]
mod table_rows;

use table_rows::{Key, bucket_bits, is_row, key_hash, row_key};

/// (static name, table under `data/`, its key).
const TABLES: &[(&str, &str, Key)] = &[
    (
        "MUSL_EXPORTS_X86_64",
        "musl/musl-exports-x86_64.tsv",
        Key::First,
    ),
    (
        "MUSL_EXPORTS_AARCH64",
        "musl/musl-exports-aarch64.tsv",
        Key::First,
    ),
    ("MUSL_LFS64", "musl/musl-lfs64-remap.tsv", Key::First),
    (
        "DEBIAN_MUSL_DIFF",
        "musl/debian-musl-1.2.3-vs-upstream-x86_64.tsv",
        Key::First,
    ),
    (
        "GCOMPAT_EXPORTS",
        "gcompat/gcompat-1.1.0-exports-x86_64.tsv",
        Key::First,
    ),
    (
        "GLIBC_VS_MUSL_X86_64",
        "glibc/glibc-vs-musl-x86_64.tsv",
        Key::Second,
    ),
    (
        "GLIBC_VS_MUSL_AARCH64",
        "glibc/glibc-vs-musl-aarch64.tsv",
        Key::Second,
    ),
    (
        "ALPINE_LIBSTDCXX_14_X86_64",
        "alpine/alpine-libstdcxx-14.2.0-exports-x86_64.tsv",
        Key::First,
    ),
    (
        "ALPINE_LIBSTDCXX_14_AARCH64",
        "alpine/alpine-libstdcxx-14.2.0-exports-aarch64.tsv",
        Key::First,
    ),
    (
        "ALPINE_LIBGCC_S_14_X86_64",
        "alpine/alpine-libgcc_s-14.2.0-exports-x86_64.tsv",
        Key::FirstBeforeAt,
    ),
    (
        "ALPINE_LIBGCC_S_14_AARCH64",
        "alpine/alpine-libgcc_s-14.2.0-exports-aarch64.tsv",
        Key::FirstBeforeAt,
    ),
    (
        "ALPINE_LIBSTDCXX_13_X86_64",
        "alpine/alpine-libstdcxx-13.2.1-exports-x86_64.tsv",
        Key::First,
    ),
    (
        "ALPINE_LIBSTDCXX_13_AARCH64",
        "alpine/alpine-libstdcxx-13.2.1-exports-aarch64.tsv",
        Key::First,
    ),
    (
        "ALPINE_LIBGCC_S_13_X86_64",
        "alpine/alpine-libgcc_s-13.2.1-exports-x86_64.tsv",
        Key::FirstBeforeAt,
    ),
    (
        "ALPINE_LIBGCC_S_13_AARCH64",
        "alpine/alpine-libgcc_s-13.2.1-exports-aarch64.tsv",
        Key::FirstBeforeAt,
    ),
    (
        "BASE_EXPORTS_X86_64",
        "alpine/alpine-base-exports-x86_64.tsv",
        Key::FirstTwo,
    ),
    (
        "BASE_EXPORTS_AARCH64",
        "alpine/alpine-base-exports-aarch64.tsv",
        Key::FirstTwo,
    ),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/platform/table_rows.rs");
    let manifest = std::env::var("CARGO_MANIFEST_DIR")?;
    let out = std::env::var("OUT_DIR")?;
    let mut code = String::new();
    for (name, file, key) in TABLES {
        let path = Path::new(&manifest).join("data").join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path)
            .map_err(|err| format!("reading {}: {err}", path.display()))?;
        let mut index: Vec<(u64, u32)> = Vec::new();
        let mut offset = 0usize;
        for line in text.split_inclusive('\n') {
            let row = line.strip_suffix('\n').unwrap_or(line);
            if is_row(row)
                && let Some(row_key) = row_key(row, *key)
            {
                index.push((key_hash(row_key), u32::try_from(offset)?));
            }
            offset += line.len();
        }
        index.sort_unstable();
        let hashes: Vec<String> = index.iter().map(|(hash, _)| format!("{hash:#x}")).collect();
        let offsets: Vec<String> = index.iter().map(|(_, at)| at.to_string()).collect();
        let bits = bucket_bits(index.len());
        let shift = 64 - bits;
        let buckets: Vec<String> = (0..=(1u64 << bits))
            .map(|bucket| {
                index
                    .partition_point(|(hash, _)| (hash >> shift) < bucket)
                    .to_string()
            })
            .collect();
        writeln!(
            code,
            "pub static {name}: Indexed = Indexed {{ text: include_str!({path:?}), key: Key::{key:?}, \
             hashes: &[{}], offsets: &[{}], buckets: &[{}], shift: {shift} }};",
            hashes.join(","),
            offsets.join(","),
            buckets.join(","),
            path = path.display().to_string(),
        )?;
    }
    let names: Vec<String> = TABLES
        .iter()
        .map(|(name, _, _)| format!("&{name}"))
        .collect();
    writeln!(
        code,
        "#[cfg(test)]\npub static ALL: &[&Indexed] = &[{}];",
        names.join(",")
    )?;
    let target = Path::new(&out).join("table_index.rs");
    std::fs::write(&target, code).map_err(|err| format!("writing {}: {err}", target.display()))?;
    Ok(())
}
