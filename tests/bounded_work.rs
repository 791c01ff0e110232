//! Inputs crafted to make muslcheck's work grow faster than the input: every
//! scan ends, within a time guard, with work and output in proportion to what
//! was read.

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use muslcheck::elf::analyse;

mod common;

use common::synthetic_elf::shared_vernaux;

fn corpus_file(name: &str) -> Vec<u8> {
    std::fs::read(common::corpus(name)).unwrap()
}

/// `muslcheck --format json` on `dir`, killed after 60 s (a hang fails the test).
fn guarded_json_scan(dir: &Path, args: &[&str]) -> (serde_json::Value, i32, usize) {
    let output = Command::cargo_bin("muslcheck")
        .unwrap()
        .args(["--arch", "x86_64", "--no-config", "--format", "json"])
        .args(args)
        .arg(dir)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let code = output.status.code();
    assert!(
        code.is_some(),
        "muslcheck did not finish within 60 s (or was killed): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (report, code.unwrap(), output.stdout.len())
}

#[test]
fn version_needs_sharing_one_aux_array_are_read_once_each() {
    let bytes = shared_vernaux(&corpus_file("lib/libplain.so"), 300, 300);
    let facts = analyse(&bytes).unwrap();
    let libc: Vec<_> = facts
        .version_needs
        .iter()
        .filter(|need| need.library == "libc.so.6")
        .collect();
    assert_eq!(libc.len(), 1, "{:?}", facts.version_needs);
    assert_eq!(libc[0].versions, ["GLIBC_2.2.5"]);
    assert_eq!(facts.max_glibc.as_deref(), Some("GLIBC_2.2.5"));
}

#[test]
fn the_largest_shared_aux_array_is_judged_within_the_time_guard() {
    // 65535 verneed entries × the same 65535 vernaux entries: 2 MiB, 4.3 billion
    // (need, aux) pairs for a reader that follows every pointer.
    let original = corpus_file("lib/libplain.so");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("libversions.so"),
        shared_vernaux(&original, u16::MAX, u16::MAX),
    )
    .unwrap();
    std::fs::write(dir.path().join("libplain.so"), &original).unwrap();
    let (report, code, _) = guarded_json_scan(dir.path(), &["--fail-on", "never"]);
    assert_eq!(code, 0);
    let hostile = common::artifact(&report, "libversions.so");
    let plain = common::artifact(&report, "libplain.so");
    // The same symbols and version needs as the file it was made from.
    assert_eq!(hostile["verdict"], plain["verdict"]);
    assert_eq!(hostile["facts"]["max_glibc"], "GLIBC_2.2.5");
    for fact in ["version_needs", "required_symbols"] {
        assert_eq!(hostile["facts"][fact], plain["facts"][fact], "{fact}");
    }
}
