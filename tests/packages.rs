//! The per-package roll-up and the plan: one decision per package (per wheel
//! in a wheelhouse), files no package owns together, actions merged.

mod common;

use std::fs::File;

use serde_json::Value;

use common::{corpus, json_scan};

fn decisions(report: &Value) -> &Vec<Value> {
    report["packages"].as_array().expect("packages[]")
}

fn named<'a>(report: &'a Value, name: &str) -> Vec<&'a Value> {
    decisions(report)
        .iter()
        .filter(|d| d["package"]["name"] == name)
        .collect()
}

#[test]
fn two_wheels_of_one_version_are_two_decisions() {
    let dir = tempfile::tempdir().unwrap();
    for wheel in [
        "MarkupSafe-2.1.5-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "MarkupSafe-2.1.5-cp311-cp311-musllinux_1_1_x86_64.whl",
    ] {
        std::fs::copy(
            corpus(&format!("thirdparty/{wheel}")),
            dir.path().join(wheel),
        )
        .unwrap();
    }
    let (report, _) = json_scan(dir.path(), &[]);
    let markupsafe = named(&report, "MarkupSafe");
    assert_eq!(markupsafe.len(), 2, "{markupsafe:?}");
    let musl = markupsafe
        .iter()
        .find(|d| d["origin"].as_str().unwrap().contains("musllinux_1_1"))
        .expect("the musllinux wheel's decision");
    assert_eq!(musl["reinstalled"]["reinstall"], "musl-build");
    assert_eq!(musl["reinstalled"]["source"]["from"], "package-files");
    assert_eq!(musl["as_is"]["verdict"], "ok");
    assert!(
        markupsafe
            .iter()
            .any(|d| d["origin"].as_str().unwrap().contains("manylinux_2_17"))
    );
}

#[test]
fn files_no_package_owns_are_one_decision_that_says_so() {
    let (report, status) = json_scan(&corpus("bin"), &[]);
    assert_eq!(status, 1);
    let all = decisions(&report);
    assert_eq!(all.len(), 1, "{all:?}");
    let unowned = &all[0];
    assert!(unowned.get("package").is_none());
    assert_eq!(unowned["as_is"]["verdict"], "breaks");
    let breaking = unowned["as_is"]["verdicts"]["breaks"].as_u64().unwrap();
    assert!(breaking > 0 && breaking <= unowned["as_is"]["files"].as_u64().unwrap());
    let no_fix = report["plan"]["no_fix"].as_array().unwrap();
    assert_eq!(no_fix.len(), 1);
    assert_eq!(no_fix[0][0], "files no package owns");
    // They are separate programs: those that load with gcompat get it, and
    // only the others are left without a fix.
    let gcompat = unowned["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "gcompat")
        .unwrap_or_else(|| panic!("no gcompat action: {unowned:#}"));
    let with_gcompat: Vec<&str> = gcompat["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    let why = no_fix[0][1].as_str().unwrap();
    // "… (uses-cxx, uses-fortified; the others load with gcompat)"
    let without: Vec<&str> = why
        .rsplit_once('(')
        .and_then(|(_, list)| list.split_once(';'))
        .map(|(names, _)| names.split(", ").collect())
        .unwrap_or_else(|| panic!("no file list in {why}"));
    for artifact in common::artifacts(&report) {
        let path = artifact["path"].as_str().unwrap();
        let loads = artifact["load"]["loads_with_gcompat"] == true;
        let expected = (
            artifact["verdict"] == "breaks" && loads,
            artifact["verdict"] == "breaks" && !loads,
        );
        let listed = (with_gcompat.contains(&path), without.contains(&path));
        assert_eq!(listed, expected, "{path}: {with_gcompat:?} / {why}");
    }
    assert!(with_gcompat.contains(&"hello-glibc"), "{with_gcompat:?}");
    assert!(without.contains(&"uses-cxx"), "{why}");
    assert_eq!(report["plan"]["gcompat"], true);
}

#[test]
fn runtime_packages_of_all_packages_merge_into_one_apk_add() {
    let venv = tempfile::tempdir().unwrap();
    let site = venv.path().join("lib/python3.11/site-packages");
    for wheel in [
        "MarkupSafe-2.1.5-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "ujson-5.10.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    ] {
        let file = File::open(corpus(&format!("thirdparty/{wheel}"))).unwrap();
        zip::ZipArchive::new(file).unwrap().extract(&site).unwrap();
    }
    // A glibc C++ program of the corpus beside them needs the same libraries.
    std::fs::copy(corpus("bin/uses-cxx"), venv.path().join("uses-cxx")).unwrap();
    let (report, _) = json_scan(venv.path(), &[]);
    let ujson = named(&report, "ujson");
    assert_eq!(ujson.len(), 1);
    let apk: Vec<&Value> = ujson[0]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "apk-add")
        .collect();
    assert_eq!(apk.len(), 1, "{ujson:?}");
    let merged: Vec<&str> = report["plan"]["apk_add"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        merged.contains(&"libstdc++") && merged.contains(&"libgcc"),
        "{merged:?}"
    );
    let mut sorted = merged.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(merged, sorted, "merged once, sorted");
}

#[test]
fn a_newer_release_that_has_the_missing_symbols_is_the_plan() {
    // The fixture needs statx, which musl has from 1.2.5 (Alpine 3.20).
    let lib = corpus("lib/libstatx-musl.so");
    let (old, status) = json_scan(&lib, &["--target", "alpine:3.18"]);
    assert_eq!(status, 1);
    assert_eq!(old["plan"]["from"], "alpine:3.20");
    assert!(old["plan"]["no_fix"].as_array().unwrap().is_empty());
    let actions = decisions(&old)[0]["actions"].as_array().unwrap().clone();
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0]["kind"], "newer-alpine");
    assert_eq!(actions[0]["release"], "3.20");

    let (new, status) = json_scan(&lib, &["--target", "alpine:3.20"]);
    assert_eq!(status, 0);
    assert!(new["plan"].get("from").is_none());
}

#[test]
fn a_breaking_package_nothing_answered_for_is_unanswered_with_the_command_that_asks_pip() {
    // Scanned offline: whether a musllinux wheel of it exists is unknown,
    // which is not "no fix".
    let venv = common::venv_with_an_unanswered_package();
    let (report, status) = json_scan(venv.path(), &["--target", "alpine:3.20"]);
    assert_eq!(status, 1);
    let package = named(&report, "madeup_native");
    assert_eq!(package.len(), 1, "{:#}", report["packages"]);
    let decision = package[0];
    assert_eq!(decision["as_is"]["verdict"], "breaks");
    assert_eq!(decision["reinstalled"]["reinstall"], "unknown");
    let kinds: Vec<&str> = decision["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["unanswered"], "{decision:#}");
    assert!(report["plan"]["no_fix"].as_array().unwrap().is_empty());
    let unanswered = report["plan"]["unanswered"].as_array().unwrap();
    assert_eq!(unanswered.len(), 1, "{:#}", report["plan"]);
    assert_eq!(unanswered[0]["package"], "madeup_native 0.4.2");
    // pip on Alpine 3.20 (musl 1.2.5) installs musllinux_1_2 and _1_1
    // wheels; the module says CPython 3.12.
    assert_eq!(
        unanswered[0]["check"],
        "pip download --no-deps --only-binary=:all: --platform musllinux_1_2_x86_64 \
         --platform musllinux_1_1_x86_64 --python-version 3.12 -d /tmp/musl-wheels \
         madeup_native==0.4.2"
    );

    let text = common::stdout(&common::muslcheck(
        venv.path(),
        &["--target", "alpine:3.20"],
    ));
    assert!(text.contains("unanswered (below)"), "{text}");
    assert!(
        text.contains("Not answered: these break as they are"),
        "{text}"
    );
    assert!(text.contains("(the scan was offline"), "{text}");
    assert!(!text.contains("No fix on this target"), "{text}");
}

/// On a glibc image the command lists every manylinux tag pip there takes
/// (pip does not widen `--platform manylinux_2_36` to older tags), for a
/// package built for musl: its glibc build is what would load.
#[test]
fn on_a_glibc_image_the_command_that_asks_pip_lists_each_manylinux_tag_it_takes() {
    let venv = tempfile::tempdir().unwrap();
    let site = venv.path().join("lib/python3.12/site-packages");
    common::install_distribution(
        &site,
        "madeup-musl",
        "1.0",
        "lib/libplain-musl.so",
        "madeup_musl/_core.cpython-312-x86_64-linux-musl.so",
    );
    let (report, status) = json_scan(venv.path(), &["--target", "debian:12-slim"]);
    assert_eq!(status, 1, "{:#}", report["packages"]);
    let unanswered = report["plan"]["unanswered"].as_array().unwrap();
    assert_eq!(unanswered.len(), 1, "{:#}", report["plan"]);
    let check = unanswered[0]["check"].as_str().unwrap();
    // Debian 12's glibc is 2.36.
    let tags: Vec<&str> = check
        .split(" --platform ")
        .skip(1)
        .map(|rest| rest.split(' ').next().unwrap())
        .collect();
    let mut expected: Vec<String> = (17..=36)
        .rev()
        .map(|minor| format!("manylinux_2_{minor}_x86_64"))
        .collect();
    expected.push("manylinux2014_x86_64".to_string());
    assert_eq!(tags, expected, "{check}");
    assert!(
        check.ends_with("--python-version 3.12 -d /tmp/glibc-wheels madeup-musl==1.0"),
        "{check}"
    );
}

/// A musl build that lacks only a library nothing has (pyodbc's musllinux
/// wheel needs the system's libodbc.so.2): another build would lack it too,
/// and gcompat, glibc's, is beside the point. apk installs the package that
/// provides a soname (`so:NAME`); the names the file expects from the
/// library fail with it, not as MC102.
#[test]
fn a_musl_build_lacking_a_system_library_is_told_to_apk_add_its_soname() {
    let venv = tempfile::tempdir().unwrap();
    let site = venv.path().join("lib/python3.12/site-packages");
    common::install_distribution(
        &site,
        "chained",
        "1.0",
        "lib/libchain-musl.so",
        "chained/_c.cpython-312-x86_64-linux-musl.so",
    );
    let (report, status) = json_scan(venv.path(), &["--target", "alpine:3.20"]);
    assert_eq!(status, 1);
    let module = common::by_suffix(&report, "_c.cpython-312-x86_64-linux-musl.so");
    assert_eq!(common::codes(module), ["MC103"], "{module:#}");
    let missing = common::finding(module, "MC103");
    let remedy = missing["remedy"].as_str().unwrap();
    assert!(remedy.starts_with("`apk add so:libplain.so`"), "{remedy}");
    assert!(!remedy.contains("gcompat"), "{remedy}");
    let expected = &missing["evidence"]["libraries"][0]["symbols_expected"];
    assert_eq!(
        expected,
        &serde_json::json!(["plain_length"]),
        "{missing:#}"
    );
    let decision = named(&report, "chained")[0];
    assert_eq!(
        decision["actions"],
        serde_json::json!([{"kind": "apk-add", "packages": ["so:libplain.so"]}]),
        "{decision:#}"
    );
    assert!(
        report["plan"]["unanswered"]
            .as_array()
            .is_none_or(Vec::is_empty)
    );
    assert_eq!(
        report["plan"]["apk_add"],
        serde_json::json!(["so:libplain.so"])
    );
}
