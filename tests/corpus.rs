//! The corpus through the command line: the flags that choose the platform,
//! exit codes and the default text report. What each fixture's verdict,
//! codes and evidence are is tested in process in tests/checks.rs.

mod common;

use common::{artifact, cli, codes, corpus, json_of, json_scan, muslcheck, stdout};

/// Large third-party trees fetched by scripts are tested on their own.
/// The corpus without the trees fetched from the registries and the Alpine
/// root filesystems the loader tests run (hundreds of members, none a fixture).
const NOT_FETCHED: [&str; 4] = [
    "--exclude",
    "thirdparty/fetched/**",
    "--exclude",
    "alpine-minirootfs/**",
];

#[test]
fn scanning_the_corpus_exits_1_with_relative_paths_and_the_schema_version() {
    let (report, status) = json_scan(&corpus(""), &NOT_FETCHED);
    assert_eq!(status, 1, "errors were found, so exit 1");
    assert_eq!(report["schema_version"], muslcheck::SCHEMA_VERSION);
    assert_eq!(artifact(&report, "bin/hello-glibc")["verdict"], "breaks");
    assert_eq!(artifact(&report, "lib/libplain.so")["verdict"], "ok");
}

#[test]
fn gcompat_flag_turns_breaks_into_needs_gcompat_which_is_not_an_error() {
    let lib = corpus("lib/libfortified.so");
    let (report, status) = json_scan(&lib, &[]);
    assert_eq!(status, 1);
    assert_eq!(report["artifacts"][0]["verdict"], "breaks");

    let (report, status) = json_scan(&lib, &["--gcompat"]);
    assert_eq!(status, 0, "needs-gcompat is not an error");
    assert_eq!(report["gcompat"], true);
    assert_eq!(report["artifacts"][0]["verdict"], "needs-gcompat");

    // What gcompat lacks still fails the scan.
    let (report, status) = json_scan(&corpus("lib/libarc4random.so"), &["--gcompat"]);
    assert_eq!(status, 1);
    assert_eq!(report["artifacts"][0]["verdict"], "breaks");
}

#[test]
fn arch_flag_chooses_what_the_files_are_judged_for() {
    let arm = corpus("bin/hello-aarch64-glibc");
    let (report, _) = json_scan(&arm, &[]);
    assert_eq!(codes(&report["artifacts"][0]), ["MC104"]);

    let output = cli(&[
        "--format",
        "json",
        "--arch",
        "aarch64",
        arm.to_str().unwrap(),
    ]);
    let report = json_of(&output);
    assert_eq!(report["arch"], "aarch64");
    let found = codes(&report["artifacts"][0]);
    assert!(found.contains(&"MC101".to_string()), "{found:?}");
    assert!(!found.contains(&"MC104".to_string()), "{found:?}");
}

#[test]
fn target_flag_chooses_the_musl_release() {
    let lib = corpus("lib/libfallocate64.so");
    for (target, verdict, musl) in [
        ("musl:1.2.3", "ok", "1.2.3"),
        ("alpine:3.20", "breaks", "1.2.5"),
    ] {
        let (report, _) = json_scan(&lib, &["--target", target]);
        assert_eq!(report["target"]["musl"], musl, "{target}");
        assert_eq!(report["artifacts"][0]["verdict"], verdict, "{target}");
    }
}

#[test]
fn text_report_shows_the_loader_message_and_a_summary() {
    let output = muslcheck(&corpus(""), &NOT_FETCHED);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    // By default: the package table, the plan, and the first files no
    // package owns with the loader's messages; the rest with --details.
    assert!(text.contains("sh: bin/hello-glibc: not found"), "{text}");
    assert!(text.contains("Plan for the Dockerfile:"), "{text}");
    assert!(text.contains("Per-file evidence for"), "{text}");
    assert!(!text.contains("__memcpy_chk"), "{text}");
    let details = stdout(&muslcheck(
        &corpus(""),
        &[NOT_FETCHED.as_slice(), &["--details"]].concat(),
    ));
    assert!(
        details.contains("Error relocating lib/libfortified.so: __memcpy_chk: symbol not found")
    );
    assert!(details.contains("sh: bin/hello-glibc: not found"));
    let summary = text.lines().last().unwrap();
    assert!(summary.contains("files walked"), "{summary}");
    assert!(summary.contains("breaks"), "{summary}");
    assert!(!text.contains("\x1b["), "no colour when not a terminal");
}
