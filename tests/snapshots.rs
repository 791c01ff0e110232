//! Every renderer's output, pinned by insta snapshots (tests/snapshots/).
//!
//! The reports are built in process from committed fixtures; what varies
//! between machines and runs (the duration, the tool's version, absolute
//! paths) is checked first and then replaced by a placeholder. After a
//! deliberate change of output: `INSTA_UPDATE=always cargo test --test
//! snapshots`, then read the diff of tests/snapshots/ before committing.

mod common;

use std::path::{Path, PathBuf};

use muslcheck::Report;
use muslcheck::discover::Excludes;
use muslcheck::model::Code;
use muslcheck::report::{
    TextOptions, explain, explain_list, render_github, render_json, render_sarif, render_text,
};
use serde_json::Value;

use common::{copy_fixture, corpus, options, scan_with};

const VERSION: &str = "[version]";

/// Replaces what differs between machines and runs, after checking it.
fn stable(mut report: Report, temporary: Option<&Path>) -> Report {
    assert_eq!(report.tool.version, env!("CARGO_PKG_VERSION"));
    report.tool.version = VERSION;
    report.summary.duration_ms = 0;
    for root in &mut report.roots {
        assert!(Path::new(root).is_absolute(), "{root}");
        *root = placeholders(root, temporary);
    }
    report
}

/// Absolute paths in rendered text: the checkout and the temporary directory.
fn placeholders(text: &str, temporary: Option<&Path>) -> String {
    let mut text = text.replace(env!("CARGO_MANIFEST_DIR"), "[repo]");
    if let Some(dir) = temporary {
        text = text.replace(dir.to_str().unwrap(), "[tmp]");
    }
    text
}

fn scan(paths: &[PathBuf], exclude: &[&str]) -> Report {
    let mut options = options(false);
    let patterns: Vec<String> = exclude.iter().map(|p| p.to_string()).collect();
    options.walk.exclude = Excludes::new(&patterns).unwrap();
    scan_with(paths, &options)
}

/// corpus/bin: glibc, musl, static, static-pie, aarch64 and C++ programs.
fn bin() -> Report {
    stable(scan(&[corpus("bin")], &[]), None)
}

/// Three of corpus/bin (one interpreter and symbols failure, one wrong
/// architecture, one ok), so the JSON with all facts stays short.
fn bin_few() -> Report {
    let report = scan(
        &[corpus("bin")],
        &[
            "copy-reloc-glibc",
            "cxx-shared-ptr-nopie",
            "hello-musl",
            "hello-static-glibc",
            "hello-static-musl",
            "uses-*",
        ],
    );
    let paths: Vec<&str> = report.artifacts.iter().map(|a| a.path.as_str()).collect();
    assert_eq!(
        paths,
        ["hello-aarch64-glibc", "hello-glibc", "hello-static-pie"]
    );
    stable(report, None)
}

/// Packages rather than files, in one project so that every path is
/// relative: a real manylinux wheel, an npm lock without the musl platform
/// package, a uv lock pinning numpy 1.24, and an installed npm package that
/// compiles and is in the known-problem table.
fn packages(project: &Path) -> Report {
    let wheel = "MarkupSafe-2.1.5-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
    copy_fixture(&format!("thirdparty/{wheel}"), &project.join(wheel));
    for lock in [
        "npm-sharp-glibc-lock/package-lock.json",
        "uv-numpy-1.24/uv.lock",
    ] {
        copy_fixture(&format!("projects/{lock}"), &project.join(lock));
    }
    let bcrypt = project.join("node_modules/bcrypt");
    std::fs::create_dir_all(&bcrypt).unwrap();
    std::fs::write(
        bcrypt.join("package.json"),
        r#"{"name": "bcrypt", "version": "5.1.1", "gypfile": true}"#,
    )
    .unwrap();
    // npm compiles it because it has one, as the published package does.
    std::fs::write(bcrypt.join("binding.gyp"), "{'targets': []}\n").unwrap();
    stable(scan(&[project.to_path_buf()], &[]), Some(project))
}

/// What the text report shows: the package table and plan (with the files
/// no package owns), every file's findings (`--details`), or also the ok
/// files (`--verbose`).
#[derive(Clone, Copy)]
enum Shown {
    Default,
    Details,
    Verbose,
}

fn rendered_text(report: &Report, shown: Shown, temporary: Option<&Path>) -> String {
    let text = render_text(
        report,
        TextOptions {
            color: false,
            verbose: matches!(shown, Shown::Verbose),
            details: matches!(shown, Shown::Details),
        },
    );
    assert!(!text.contains('\x1b'), "no colour asked for");
    placeholders(&text, temporary)
}

#[test]
fn text() {
    insta::assert_snapshot!("text", rendered_text(&bin(), Shown::Default, None));
}

#[test]
fn text_details_and_verbose() {
    let report = bin();
    let details = rendered_text(&report, Shown::Details, None);
    let verbose = rendered_text(&report, Shown::Verbose, None);
    // Verbose adds the ok files to what --details shows; --details adds
    // the per-file evidence to the default's package table and plan.
    for line in details.lines().filter(|l| !l.starts_with("Per-file")) {
        assert!(verbose.contains(line), "{line}");
    }
    for line in rendered_text(&report, Shown::Default, None)
        .lines()
        .filter(|l| !l.starts_with("Per-file"))
    {
        assert!(details.contains(line), "{line}");
    }
    insta::assert_snapshot!("text_details", details);
    insta::assert_snapshot!("text_verbose", verbose);
}

#[test]
fn text_packages() {
    let dir = tempfile::tempdir().unwrap();
    let report = packages(dir.path());
    insta::assert_snapshot!(
        "text_packages",
        rendered_text(&report, Shown::Default, Some(dir.path()))
    );
}

#[test]
fn json() {
    let json = render_json(&bin_few());
    let parsed: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["tool"]["version"], VERSION);
    insta::assert_snapshot!("json", placeholders(&json, None));
}

#[test]
fn json_packages() {
    let dir = tempfile::tempdir().unwrap();
    let json = render_json(&packages(dir.path()));
    let parsed: Value = serde_json::from_str(&json).unwrap();
    let mut kinds: Vec<&str> = common::artifacts(&parsed)
        .iter()
        .flat_map(|a| a["findings"].as_array().unwrap())
        .filter_map(|f| f["evidence"]["kind"].as_str())
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            "build-tools",
            "known-problem",
            "locked-wheels",
            "platform-packages"
        ]
    );
    insta::assert_snapshot!("json_packages", placeholders(&json, Some(dir.path())));
}

#[test]
fn sarif() {
    let sarif: Value = serde_json::from_str(&render_sarif(&bin())).unwrap();
    let mut sarif = sarif;
    assert_eq!(sarif["runs"][0]["tool"]["driver"]["version"], VERSION);
    // The rules are the registry, in Code::ALL order; checked here rather than
    // pinned, so that the snapshot shows the results.
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].take();
    let rules = rules.as_array().unwrap();
    assert_eq!(rules.len(), Code::ALL.len());
    for (rule, code) in rules.iter().zip(Code::ALL) {
        let registered = code.rule();
        assert_eq!(rule["id"], registered.id);
        assert_eq!(rule["name"], registered.name);
        assert_eq!(rule["shortDescription"]["text"], registered.summary);
        assert_eq!(rule["fullDescription"]["text"], registered.explanation);
        assert_eq!(rule["help"]["text"], registered.explanation);
        assert_eq!(
            rule["defaultConfiguration"]["level"],
            registered.severity.as_str()
        );
    }
    sarif["runs"][0]["tool"]["driver"]["rules"] = Value::from(format!(
        "[{} rules, checked against Code::ALL]",
        rules.len()
    ));
    let pretty = serde_json::to_string_pretty(&sarif).unwrap();
    insta::assert_snapshot!("sarif", placeholders(&pretty, None));
}

#[test]
fn github() {
    let annotations = render_github(&bin());
    assert!(annotations.lines().all(|l| l.starts_with("::")));
    insta::assert_snapshot!("github", placeholders(&annotations, None));
}

#[test]
fn explain_all_codes() {
    let list = explain_list();
    assert_eq!(list.lines().count(), Code::ALL.len());
    insta::assert_snapshot!("explain_list", list);
}

#[test]
fn explain_one_code() {
    insta::assert_snapshot!("explain_mc102", explain(Code::MissingSymbols));
}

#[test]
fn targets_list() {
    let rows = muslcheck::platform::target_summaries();
    insta::assert_snapshot!("targets_text", muslcheck::report::render_targets(&rows));
}

/// `render_json` writes the artifacts in parallel and the report's fields by
/// name: its text must stay exactly serde_json's pretty text of the report,
/// including the optional fields (`index`, `images`).
#[test]
fn the_json_text_is_serde_jsons_pretty_text_of_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let mut reports = vec![bin_few(), packages(dir.path())];
    // The index asked (from an empty cache): the report has its `index`.
    let cache = tempfile::tempdir().unwrap();
    let asking = muslcheck::Options {
        index: muslcheck::config::IndexOptions {
            lookups: muslcheck::config::IndexLookups::CacheOnly,
            cache_dir: Some(cache.path().to_path_buf()),
            ..Default::default()
        },
        ..options(false)
    };
    reports.push(scan_with(&[dir.path().to_path_buf()], &asking));
    if let Some(images) = common::fetched("images") {
        reports.push(scan_with(&[images.join("app.oci")], &options(false)));
    }
    for report in &reports {
        assert_eq!(
            render_json(report),
            serde_json::to_string_pretty(report).unwrap()
        );
    }
    assert!(
        reports.iter().any(|r| !r.images.is_empty()) || common::fetched("images").is_none(),
        "the image report has its images"
    );
    assert!(
        reports.iter().any(|r| !r.index.is_off()),
        "one report has index lookups"
    );
}
