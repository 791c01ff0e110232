//! A CI gate with a baseline: only findings the baseline does not accept fail.

use std::path::Path;

use assert_cmd::Command;

fn muslcheck(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("muslcheck")
        .unwrap()
        .args(["--arch", "x86_64"])
        .args(args)
        .arg(dir)
        .output()
        .unwrap()
}

#[test]
fn baseline_reports_only_new_findings_and_counts_stale_ones() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let project = tempfile::tempdir().unwrap();
    let lib = project.path().join("lib");
    std::fs::create_dir(&lib).unwrap();
    std::fs::copy(
        corpus.join("lib/libfortified.so"),
        lib.join("libfortified.so"),
    )
    .unwrap();
    let baseline_dir = tempfile::tempdir().unwrap();
    let baseline = baseline_dir.path().join("baseline.json");
    let baseline_arg = baseline.to_str().unwrap();

    let output = muslcheck(project.path(), &["--write-baseline", baseline_arg]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "the existing error is still reported"
    );
    let output = muslcheck(project.path(), &["--baseline", baseline_arg]);
    assert_eq!(output.status.code(), Some(0), "accepted by the baseline");

    // A new glibc-only addon arrives with a dependency update.
    let addon = project.path().join("node_modules/fast/build/Release");
    std::fs::create_dir_all(&addon).unwrap();
    std::fs::copy(corpus.join("lib/libglibcisms.so"), addon.join("fast.node")).unwrap();
    let output = muslcheck(project.path(), &["--baseline", baseline_arg]);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("fast.node"), "{text}");
    assert!(!text.contains("libfortified.so"), "{text}");

    // It is removed again, and the old library is fixed: one entry is stale.
    std::fs::remove_dir_all(project.path().join("node_modules")).unwrap();
    std::fs::remove_file(lib.join("libfortified.so")).unwrap();
    let output = muslcheck(project.path(), &["--baseline", baseline_arg]);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("1 baseline entr(ies) no longer occur")
    );

    let output = muslcheck(project.path(), &["--baseline", "/no/such/baseline.json"]);
    assert_eq!(output.status.code(), Some(2));
}
