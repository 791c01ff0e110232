//! Non-UTF-8 file names stay distinct in report paths and baseline
//! fingerprints.

mod common;

use std::path::Path;

use common::{corpus, json_scan, muslcheck};

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

#[cfg(unix)]
fn paths(report: &serde_json::Value) -> Vec<String> {
    report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["path"].as_str().map(String::from))
        .collect()
}

/// Writes a copy of a breaking library under a non-UTF-8 name.
#[cfg(unix)]
fn breaking_file(dir: &Path, name: &[u8]) {
    use std::os::unix::ffi::OsStrExt;
    std::fs::copy(
        corpus("lib/libglibcisms.so"),
        dir.join(std::ffi::OsStr::from_bytes(name)),
    )
    .unwrap();
}

#[cfg(unix)]
#[test]
fn non_utf8_names_are_shown_escaped_and_keep_distinct_fingerprints() {
    let dir = tempfile::tempdir().unwrap();
    breaking_file(dir.path(), b"lib\xff.so");
    // A name that is, as text, what a lossy or naive escape would make of another.
    breaking_file(dir.path(), b"lib\\xfe.so");
    breaking_file(dir.path(), "lib\u{fffd}.so".as_bytes());
    let baseline_dir = tempfile::tempdir().unwrap();
    let baseline = baseline_dir.path().join("baseline.json");
    let baseline_arg = baseline.to_str().unwrap();
    let output = muslcheck(
        dir.path(),
        &["--no-config", "--write-baseline", baseline_arg],
    );
    assert_eq!(output.status.code(), Some(1));

    let (report, _) = json_scan(dir.path(), &["--no-config"]);
    let shown = paths(&report);
    for expected in [r"lib\xff.so", r"lib\\xfe.so", "lib\u{fffd}.so"] {
        assert!(shown.contains(&expected.to_string()), "{shown:#?}");
    }

    // Two more arrive whose names differ from those only in bytes a lossy
    // conversion would lose (or an escape would confuse).
    breaking_file(dir.path(), b"lib\xfe.so");
    breaking_file(dir.path(), b"lib\xfd.so");
    let output = muslcheck(dir.path(), &["--no-config", "--baseline", baseline_arg]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "the new files' findings are new: {}",
        stderr(&output)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains(r"lib\xfe.so") && text.contains(r"lib\xfd.so"),
        "{text}"
    );
    assert!(
        !text.contains(r"lib\xff.so") && !text.contains(r"lib\\xfe.so"),
        "the baselined ones stay accepted: {text}"
    );
}
