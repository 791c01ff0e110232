//! A CI gate with a baseline: only findings the baseline does not accept fail.

mod common;

use common::{copy_fixture, muslcheck, stderr, stdout};

#[test]
fn baseline_reports_only_new_findings_and_counts_stale_ones() {
    let project = tempfile::tempdir().unwrap();
    let lib = project.path().join("lib");
    copy_fixture("lib/libfortified.so", &lib.join("libfortified.so"));
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
    copy_fixture(
        "lib/libglibcisms.so",
        &project
            .path()
            .join("node_modules/fast/build/Release/fast.node"),
    );
    let output = muslcheck(project.path(), &["--baseline", baseline_arg]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("fast.node"), "{text}");
    // Its accepted finding is not reported (the plan may still name it:
    // gcompat is what makes it load).
    assert!(
        !text
            .lines()
            .any(|line| line.starts_with("breaks") && line.contains("libfortified.so")),
        "{text}"
    );
    assert!(!text.contains("__strcpy_chk"), "{text}");

    // It is removed again, and the old library is fixed: one entry is stale.
    std::fs::remove_dir_all(project.path().join("node_modules")).unwrap();
    std::fs::remove_file(lib.join("libfortified.so")).unwrap();
    let output = muslcheck(project.path(), &["--baseline", baseline_arg]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stderr(&output).contains("1 baseline entr(ies) no longer occur"));

    let output = muslcheck(project.path(), &["--baseline", "/no/such/baseline.json"]);
    assert_eq!(output.status.code(), Some(2));
}
