//! npm: tarballs read in memory, prebuild selection, node_modules attribution,
//! and platform variants in package-lock.json.

mod common;

use std::fs::File;
use std::path::PathBuf;

use serde_json::Value;

use common::{
    artifact_where, artifacts, by_suffix, codes, corpus, fetched, json_scan, muslcheck,
    package_codes, stdout,
};

/// The first artifact of the package `name`.
fn of_package<'a>(report: &'a Value, name: &str) -> &'a Value {
    artifact_where(report, |a| a["package"]["name"] == name)
        .unwrap_or_else(|| panic!("no artifact of {name}"))
}

#[test]
fn prebuilds_node_gyp_build_would_not_load_are_not_applicable() {
    let (report, status) = json_scan(&corpus("thirdparty/bcrypt-6.0.0.tgz"), &[]);
    assert_eq!(status, 0);
    let musl = by_suffix(&report, "prebuilds/linux-x64/bcrypt.musl.node");
    assert_eq!(musl["verdict"], "ok");
    assert_eq!(musl["package"]["name"], "bcrypt");
    assert_eq!(musl["package"]["version"], "6.0.0");
    let glibc = by_suffix(&report, "prebuilds/linux-x64/bcrypt.glibc.node");
    assert_eq!(glibc["verdict"], "not-applicable");
    assert!(
        glibc["load"]["not_loaded"]
            .as_str()
            .unwrap()
            .contains("bcrypt.musl.node")
    );
    let arm = by_suffix(&report, "prebuilds/linux-arm64/bcrypt.musl.node");
    assert_eq!(
        arm["verdict"], "not-applicable",
        "not MC104: never loaded here"
    );
}

#[test]
fn installed_node_modules_are_attributed_to_their_package() {
    let project = tempfile::tempdir().unwrap();
    let modules = project.path().join("node_modules");
    std::fs::create_dir_all(&modules).unwrap();
    let gz =
        flate2::read::GzDecoder::new(File::open(corpus("thirdparty/bcrypt-6.0.0.tgz")).unwrap());
    tar::Archive::new(gz).unpack(&modules).unwrap();
    std::fs::rename(modules.join("package"), modules.join("bcrypt")).unwrap();
    // Without the musl prebuild, node-gyp-build would load the glibc one on Alpine.
    std::fs::remove_file(modules.join("bcrypt/prebuilds/linux-x64/bcrypt.musl.node")).unwrap();
    let (report, _) = json_scan(project.path(), &[]);
    let glibc = by_suffix(
        &report,
        "node_modules/bcrypt/prebuilds/linux-x64/bcrypt.glibc.node",
    );
    assert_eq!(glibc["package"]["name"], "bcrypt");
    assert_eq!(glibc["host"]["kind"], "node");
    assert_ne!(glibc["verdict"], "not-applicable");
}

#[test]
fn lockfile_missing_the_musl_platform_package_gets_mc202() {
    let (report, status) = json_scan(&corpus("projects/npm-sharp-glibc-lock"), &[]);
    assert_eq!(status, 1);
    let sharp = of_package(&report, "sharp");
    assert_eq!(sharp["findings"][0]["code"], "MC202");
    assert_eq!(sharp["reinstall"], "musl-build-not-locked");
    assert!(
        sharp["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("@img/sharp-linuxmusl-x64")
    );
    // esbuild's one Linux build serves both libcs: nothing to say from the lock.
    assert!(artifact_where(&report, |a| a["package"]["name"] == "esbuild").is_none());

    let (report, status) = json_scan(&corpus("projects/npm-sharp-all-platforms-lock"), &[]);
    assert_eq!(status, 0);
    let sharp = of_package(&report, "sharp");
    assert_eq!(sharp["reinstall"], "musl-build");
    assert!(sharp["findings"].as_array().unwrap().is_empty());
}

/// The trees corpus/thirdparty/make-node-modules.sh builds, or `None` (test skips).
fn node_modules(flavour: &str) -> Option<PathBuf> {
    let tree = fetched(&format!("npm-{flavour}")).filter(|d| d.join("node_modules").is_dir());
    if tree.is_none() {
        eprintln!("SKIPPED: no npm-{flavour} tree (corpus/thirdparty/make-node-modules.sh)");
    }
    tree
}

fn package_verdicts(report: &Value, name: &str) -> Vec<String> {
    artifacts(report)
        .iter()
        .filter(|a| a["package"]["name"] == name && a["facts"].is_object())
        .map(|a| a["verdict"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn node_modules_installed_on_glibc_break_and_say_how_to_reinstall() {
    let Some(tree) = node_modules("glibc") else {
        return;
    };
    let (report, status) = json_scan(&tree, &[]);
    assert_eq!(status, 1);
    assert_eq!(
        package_verdicts(&report, "@img/sharp-linux-x64"),
        ["breaks"]
    );
    assert_eq!(
        package_verdicts(&report, "@swc/core-linux-x64-gnu"),
        ["breaks"]
    );
    let sqlite = package_codes(&report, "better-sqlite3");
    assert!(sqlite.contains(&"MC204".to_string()), "{sqlite:?}");
    // bcrypt 5.x: the known-problem table says musl builds start at 6.0.0.
    let bcrypt = package_codes(&report, "bcrypt");
    assert!(bcrypt.contains(&"MC201".to_string()), "{bcrypt:?}");
    let text = stdout(&muslcheck(&tree, &["--details"]));
    assert!(text.contains("apk add python3 make g++"));
    // The lock npm 11 writes records every platform variant: sharp and swc reinstall fine.
    let sharp_lock = artifact_where(&report, |a| {
        a["package"]["name"] == "sharp" && a["path"] == "package-lock.json"
    })
    .expect("the lock npm wrote lists sharp's platform packages");
    assert_eq!(sharp_lock["reinstall"], "musl-build");
}

#[test]
fn node_modules_installed_for_musl_have_no_load_errors() {
    let Some(tree) = node_modules("musl") else {
        return;
    };
    let (report, _) = json_scan(&tree, &[]);
    let load_errors: Vec<String> = artifacts(&report)
        .iter()
        .flat_map(|a| {
            a["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["code"].as_str().unwrap().starts_with("MC1"))
                .filter(|f| f["severity"] == "error")
                .map(|f| format!("{}: {}", a["path"], f["message"]))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(load_errors.is_empty(), "{load_errors:#?}");
    assert_eq!(
        package_verdicts(&report, "@img/sharp-linuxmusl-x64"),
        ["ok"]
    );
}

#[test]
fn yarn_and_pnpm_locks_give_the_same_verdicts_as_package_lock() {
    let verdict = |project: &str| {
        let (report, _) = json_scan(&corpus(&format!("projects/{project}")), &[]);
        artifacts(&report)
            .iter()
            .map(|a| format!("{} {} {:?}", a["package"]["name"], a["reinstall"], codes(a)))
            .collect::<Vec<_>>()
    };
    let missing = verdict("npm-sharp-glibc-lock");
    assert_eq!(missing, [r#""sharp" "musl-build-not-locked" ["MC202"]"#]);
    for other in ["yarn-sharp-glibc-lock", "pnpm-sharp-glibc-lock"] {
        assert_eq!(verdict(other), missing, "{other}");
    }
    let complete = verdict("npm-sharp-all-platforms-lock");
    assert_eq!(complete, [r#""sharp" "musl-build" []"#]);
    for other in [
        "yarn-sharp-all-platforms-lock",
        "yarn-berry-sharp-lock",
        "pnpm-sharp-all-platforms-lock",
    ] {
        assert_eq!(verdict(other), complete, "{other}");
    }
}
