//! npm: tarballs read in memory, prebuild selection, node_modules attribution,
//! and platform variants in package-lock.json.

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use common::{
    artifact_where, artifacts, by_suffix, cli, codes, copy_fixture, corpus, fetched, finding,
    json_of, json_scan, muslcheck, package_codes, stdout,
};

/// The first artifact of the package `name`.
fn of_package<'a>(report: &'a Value, name: &str) -> &'a Value {
    artifact_where(report, |a| a["package"]["name"] == name)
        .unwrap_or_else(|| panic!("no artifact of {name}"))
}

/// A Node-API addon (it exports `napi_register_module_v1`) needing `needed`.
fn napi_addon(needed: &[&str]) -> Vec<u8> {
    common::synthetic_elf::SharedObject {
        needed: needed.iter().map(|n| n.to_string()).collect(),
        exports: vec!["napi_register_module_v1".to_string()],
        ..common::synthetic_elf::SharedObject::default()
    }
    .to_bytes()
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

/// bcrypt's musl addon needs libstdc++.so.6 and libgcc_s.so.1: Alpine's
/// nodejs package (and the node:alpine images) bring both, so no `apk add`
/// is asked for; their names are still checked against Alpine's tables.
/// Unpacks the committed tarball `thirdparty/<tarball>` as `<dir>/<name>`.
fn unpack_tarball(tarball: &str, dir: &Path, name: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let unpacked = tempfile::tempdir_in(dir).unwrap();
    let gz =
        flate2::read::GzDecoder::new(File::open(corpus(&format!("thirdparty/{tarball}"))).unwrap());
    tar::Archive::new(gz).unpack(unpacked.path()).unwrap();
    let installed = dir.join(name);
    std::fs::create_dir_all(installed.parent().unwrap()).unwrap();
    std::fs::rename(unpacked.path().join("package"), &installed).unwrap();
    installed
}

/// The file node-gyp-build's own resolver (`resolver`: the committed
/// tarball of node-gyp-build or node-gyp-build-optional-packages) chooses for
/// the package at `package` with `LIBC` set as it detects it; `None`
/// without Node (said, and fatal in CI).
fn chosen_by_node_gyp_build(resolver: &Path, package: &Path, libc: &str) -> Option<PathBuf> {
    let output = Command::new("node")
        .env("LIBC", libc)
        .args([
            "-e",
            "console.log(require(process.argv[1]).path(process.argv[2]))",
        ])
        .arg(resolver)
        .arg(package)
        .output()
        .ok()
        .filter(|o| o.status.success());
    let Some(output) = output else {
        assert!(
            std::env::var_os("MUSLCHECK_REQUIRE_TOOLS").is_none(),
            "node could not run node-gyp-build (MUSLCHECK_REQUIRE_TOOLS is set)"
        );
        eprintln!("SKIPPED: node could not run node-gyp-build's resolver");
        return None;
    };
    Some(PathBuf::from(
        String::from_utf8(output.stdout).unwrap().trim(),
    ))
}

/// node-gyp-build chooses among tagged prebuilds by its tags (libc, ABI,
/// N-API, specificity): an untagged prebuild beside a `.musl` one never
/// loads on musl (utf-8-validate), nor the other libc's files at the root of
/// a platform package (msgpackr-extract-linux-x64, chosen by
/// node-gyp-build-optional-packages). What node-gyp-build's own resolvers
/// choose is judged, and loads; none of these packages breaks.
#[test]
fn the_prebuild_node_gyp_build_chooses_is_the_one_judged() {
    let project = tempfile::tempdir().unwrap();
    let modules = project.path().join("node_modules");
    let resolvers = tempfile::tempdir().unwrap();
    let plain = unpack_tarball("node-gyp-build-4.8.4.tgz", resolvers.path(), "plain");
    let optional = unpack_tarball(
        "node-gyp-build-optional-packages-5.2.2.tgz",
        resolvers.path(),
        "optional",
    );
    let utf8 = unpack_tarball("utf-8-validate-6.0.6.tgz", &modules, "utf-8-validate");
    unpack_tarball(
        "msgpackr-extract-msgpackr-extract-linux-x64-3.0.7.tgz",
        &modules,
        "@msgpackr-extract/msgpackr-extract-linux-x64",
    );
    // The package that requires the platform package (its manifest is all
    // the resolver reads of it).
    let parent = modules.join("msgpackr-extract");
    std::fs::create_dir_all(&parent).unwrap();
    std::fs::write(
        parent.join("package.json"),
        r#"{"name":"msgpackr-extract"}"#,
    )
    .unwrap();

    for (target, libc) in [("alpine:3.20", "musl"), ("debian:12-slim", "glibc")] {
        let (report, _) = json_scan(project.path(), &["--target", target]);
        let verdict = |path: &Path| {
            let shown = path.strip_prefix(project.path()).unwrap().to_str().unwrap();
            artifact_where(&report, |a| a["path"] == shown)
                .unwrap_or_else(|| panic!("{shown} not reported"))["verdict"]
                .clone()
        };
        for package in [
            "utf-8-validate",
            "@msgpackr-extract/msgpackr-extract-linux-x64",
        ] {
            let broken: Vec<&Value> = artifacts(&report)
                .iter()
                .filter(|a| a["package"]["name"] == package && a["verdict"] == "breaks")
                .collect();
            assert!(broken.is_empty(), "{target}: {package}: {broken:#?}");
        }
        let never = |suffix: &str| {
            let artifact = by_suffix(&report, suffix);
            assert_eq!(
                artifact["verdict"], "not-applicable",
                "{target}: {artifact:#}"
            );
            artifact["load"]["not_loaded"].as_str().unwrap().to_string()
        };
        if libc == "musl" {
            let why = never("utf-8-validate/prebuilds/linux-x64/utf-8-validate.node");
            assert!(why.contains("utf-8-validate.musl.node"), "{why}");
            never("msgpackr-extract-linux-x64/node.napi.glibc.node");
            never("msgpackr-extract-linux-x64/node.abi115.glibc.node");
        } else {
            assert_eq!(
                by_suffix(
                    &report,
                    "utf-8-validate/prebuilds/linux-x64/utf-8-validate.node"
                )["verdict"],
                "ok"
            );
            never("utf-8-validate/prebuilds/linux-x64/utf-8-validate.musl.node");
            never("msgpackr-extract-linux-x64/node.napi.musl.node");
        }
        // Ground truth: what node-gyp-build itself chooses here loads.
        for (resolver, package) in [(&plain, &utf8), (&optional, &parent)] {
            let Some(chosen) = chosen_by_node_gyp_build(resolver, package, libc) else {
                return;
            };
            assert_eq!(verdict(&chosen), "ok", "{target}: {}", chosen.display());
        }
    }
}

#[test]
fn libraries_the_node_package_brings_need_no_apk_add() {
    let (report, _) = json_scan(&corpus("thirdparty/bcrypt-6.0.0.tgz"), &[]);
    let musl = by_suffix(&report, "prebuilds/linux-x64/bcrypt.musl.node");
    assert_eq!(musl["verdict"], "ok");
    assert!(codes(musl).is_empty(), "no MC107: {:?}", codes(musl));
    let libraries = musl["load"]["libraries"].as_array().unwrap();
    for (soname, package) in [("libstdc++.so.6", "libstdc++"), ("libgcc_s.so.1", "libgcc")] {
        let provider = libraries
            .iter()
            .find(|pair| pair[0] == soname)
            .unwrap_or_else(|| panic!("{soname} not loaded: {libraries:?}"))[1]
            .as_str()
            .unwrap();
        assert_eq!(
            provider,
            format!("apk {package}, brought by Alpine's nodejs package")
        );
    }
    // A bare musl target has no packages: nothing brings them there.
    let (report, _) = json_scan(
        &corpus("thirdparty/bcrypt-6.0.0.tgz"),
        &["--target", "musl:1.2.5"],
    );
    let musl = by_suffix(&report, "prebuilds/linux-x64/bcrypt.musl.node");
    assert_eq!(musl["verdict"], "breaks");
    assert!(
        codes(musl).contains(&"MC103".to_string()),
        "{:?}",
        codes(musl)
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
    // Without the musl prebuild, node-gyp-build loads nothing on Alpine: its
    // matchTags rejects the glibc tag there (`libc` is musl where
    // /etc/alpine-release exists), and on glibc it loads that one.
    std::fs::remove_file(modules.join("bcrypt/prebuilds/linux-x64/bcrypt.musl.node")).unwrap();
    let glibc_prebuild = "node_modules/bcrypt/prebuilds/linux-x64/bcrypt.glibc.node";
    let (report, _) = json_scan(project.path(), &["--offline"]);
    let glibc = by_suffix(&report, glibc_prebuild);
    assert_eq!(glibc["package"]["name"], "bcrypt");
    assert_eq!(glibc["verdict"], "breaks", "{glibc:#}");
    assert_eq!(codes(glibc), ["MC115"], "{glibc:#}");
    let bcrypt = common::decision(&report, "bcrypt");
    assert_eq!(bcrypt["as_is"]["verdict"], "breaks", "{bcrypt:#}");
    let (report, _) = json_scan(project.path(), &["--offline", "--target", "debian:12-slim"]);
    let glibc = by_suffix(&report, glibc_prebuild);
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
    // esbuild's one Linux build serves both libcs: the lock's platform packages
    // say nothing, and its install script is no worry: the table knows it.
    let esbuild = of_package(&report, "esbuild");
    assert_eq!(esbuild["reinstall"], "musl-build");
    assert_eq!(esbuild["source"]["from"], "known-table");
    assert!(esbuild["findings"].as_array().unwrap().is_empty());

    let (report, status) = json_scan(&corpus("projects/npm-sharp-all-platforms-lock"), &[]);
    assert_eq!(status, 0);
    let sharp = of_package(&report, "sharp");
    assert_eq!(sharp["reinstall"], "musl-build");
    assert!(sharp["findings"].as_array().unwrap().is_empty());
}

/// @rollup/wasm-node 4.68.4 (pure WebAssembly, loads on Alpine) lists one
/// stray optional dependency, `@napi-rs/lzma-linux-x64-gnu`, that nothing
/// in it requires: no variant set of its own, so no MC201 and no "no fix";
/// a package's own `-gnu` variant without a musl one still is.
#[test]
fn another_packages_platform_package_in_optional_dependencies_is_no_variant_set() {
    let dir = tempfile::tempdir().unwrap();
    let lock = |parent: &str, variant: &str| {
        format!(
            r#"{{"name": "app", "lockfileVersion": 3, "packages": {{
                "": {{"dependencies": {{"{parent}": "1.0.0"}}}},
                "node_modules/{parent}": {{"version": "1.0.0",
                    "optionalDependencies": {{"{variant}": "1.5.3", "fsevents": "~2.3.2"}}}},
                "node_modules/{variant}": {{"version": "1.5.3", "optional": true,
                    "os": ["linux"], "cpu": ["x64"], "libc": ["glibc"]}}}}}}"#
        )
    };
    let write = |text: String| std::fs::write(dir.path().join("package-lock.json"), text).unwrap();
    write(lock("@rollup/wasm-node", "@napi-rs/lzma-linux-x64-gnu"));
    let (report, status) = json_scan(dir.path(), &["--offline", "--fail-on", "warning"]);
    assert_eq!(status, 0, "{:#}", report["artifacts"]);
    assert!(
        package_codes(&report, "@rollup/wasm-node").is_empty(),
        "{report:#}"
    );
    write(lock("@napi-rs/lzma", "@napi-rs/lzma-linux-x64-gnu"));
    let (report, _) = json_scan(dir.path(), &["--offline", "--fail-on", "never"]);
    assert!(
        package_codes(&report, "@napi-rs/lzma").contains(&"MC201".to_string()),
        "{report:#}"
    );
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
    // The glibc platform packages are never loaded on musl: the parents'
    // loaders require the -musl ones, which a glibc install lacks (MC205).
    assert_eq!(
        package_verdicts(&report, "@img/sharp-linux-x64"),
        ["not-applicable"]
    );
    let swc_gnu = by_suffix(&report, "swc.linux-x64-gnu.node");
    assert_eq!(swc_gnu["verdict"], "not-applicable");
    assert_eq!(
        swc_gnu["load"]["not_loaded"],
        "platform package for glibc (@swc/core-linux-x64-gnu); on musl, @swc/core's loader requires @swc/core-linux-x64-musl"
    );
    for parent in ["sharp", "@swc/core"] {
        let installed = artifact_where(&report, |a| {
            a["package"]["name"] == parent && a["source"]["from"] == "package-files"
        })
        .unwrap_or_else(|| panic!("{parent}: no answer from its package files"));
        assert_eq!(codes(installed), ["MC205"], "{parent}");
    }
    // better-sqlite3 11 downloads its build at install; the table says musl
    // builds are published, with node-gyp as the fallback.
    let sqlite = artifact_where(&report, |a| {
        a["package"]["name"] == "better-sqlite3"
            && a["path"] == "node_modules/better-sqlite3/package.json"
    })
    .expect("an answer for better-sqlite3");
    assert_eq!(sqlite["reinstall"], "musl-build");
    assert_eq!(codes(sqlite), ["MC203"]);
    assert_eq!(
        sqlite["build_packages"],
        serde_json::json!(["python3", "make", "g++"])
    );
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

/// npm copies a package's own `os` field into its lock entry: onnxruntime-node
/// 1.30.0 names the systems it supports (`["win32", "darwin", "linux"]`, no
/// `cpu`), which makes it no platform package, and the lock's answer for it
/// (the table's "no musl build") is given; it was left out.
#[test]
fn a_lock_entry_naming_the_systems_it_supports_is_answered() {
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("package-lock.json"),
        r#"{"name": "p", "lockfileVersion": 3, "packages": {
            "": {"dependencies": {"onnxruntime-node": "1.30.0"}},
            "node_modules/onnxruntime-node": {"version": "1.30.0", "hasInstallScript": true,
                "os": ["win32", "darwin", "linux"]}
        }}"#,
    )
    .unwrap();
    let (report, _) = json_scan(
        project.path(),
        &["--target", "alpine:3.20", "--offline", "--fail-on", "never"],
    );
    let decision = common::decision(&report, "onnxruntime-node");
    assert_eq!(decision["package"]["version"], "1.30.0", "{decision:#}");
    assert_eq!(
        decision["reinstalled"]["reinstall"], "no-musl-build",
        "{decision:#}"
    );
}

/// pnpm 9 gives versions only in entry headers (`sharp@0.33.5:`): a
/// package's version was read as empty there.
#[test]
fn yarn_and_pnpm_locks_give_the_same_verdicts_as_package_lock() {
    let verdict = |project: &str| {
        let (report, _) = json_scan(&corpus(&format!("projects/{project}")), &[]);
        // The npm fixture also pins esbuild; sharp is in all of them.
        artifacts(&report)
            .iter()
            .filter(|a| a["package"]["name"] == "sharp")
            .map(|a| {
                let package = format!("{} {}", a["package"]["name"], a["package"]["version"]);
                format!("{package} {} {:?}", a["reinstall"], codes(a))
            })
            .collect::<Vec<_>>()
    };
    let missing = verdict("npm-sharp-glibc-lock");
    assert_eq!(
        missing,
        [r#""sharp" "0.33.5" "musl-build-not-locked" ["MC202"]"#]
    );
    for other in ["yarn-sharp-glibc-lock", "pnpm-sharp-glibc-lock"] {
        assert_eq!(verdict(other), missing, "{other}");
    }
    let complete = verdict("npm-sharp-all-platforms-lock");
    assert_eq!(complete, [r#""sharp" "0.33.5" "musl-build" []"#]);
    for other in [
        "yarn-sharp-all-platforms-lock",
        "yarn-berry-sharp-lock",
        "pnpm-sharp-all-platforms-lock",
    ] {
        assert_eq!(verdict(other), complete, "{other}");
    }
}

/// The tree corpus/thirdparty/make-npm-answers.sh installs for glibc from
/// the committed corpus/thirdparty/npm-answers lock, or `None` (test skips).
fn npm_answers_tree() -> Option<PathBuf> {
    let tree = fetched("npm-answers").filter(|d| d.join("node_modules").is_dir());
    if tree.is_none() {
        let reason = "no npm-answers tree (corpus/thirdparty/make-npm-answers.sh builds it)";
        assert!(
            std::env::var_os("MUSLCHECK_REQUIRE_TOOLS").is_none(),
            "{reason} (MUSLCHECK_REQUIRE_TOOLS is set)"
        );
        eprintln!("SKIPPED: {reason}");
    }
    tree
}

/// How far a reinstall answer's source is trusted (`AnswerSource::rank`).
fn rank(answer: &Value) -> u8 {
    match answer["source"]["from"].as_str().unwrap() {
        "index" => 4,
        "lockfile" => 3,
        "package-files" => 2,
        "known-table" => 1,
        _ => 0,
    }
}

/// Each package's most trusted reinstall answer, as the roll-up picks it.
fn best_answers(report: &Value) -> std::collections::BTreeMap<String, Value> {
    let mut best: std::collections::BTreeMap<String, Value> = Default::default();
    for answer in artifacts(report).iter().filter(|a| a["kind"] == "package") {
        let name = answer["package"]["name"].as_str().unwrap().to_string();
        if best.get(&name).is_none_or(|b| rank(answer) > rank(b)) {
            best.insert(name, answer.clone());
        }
    }
    best
}

/// The answers a glibc-installed tree and its lockfile alone must both give.
fn assert_npm_answers(report: &Value, scanned: &str) {
    let best = best_answers(report);
    let answer = |name: &str| {
        best.get(name)
            .unwrap_or_else(|| panic!("{scanned}: no answer for {name}"))
    };
    let strings = |value: &Value| -> Vec<String> {
        value
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    // Platform-split packages: the lock records the musl variant, `npm ci` installs it.
    for (name, build) in [
        ("@parcel/watcher", "@parcel/watcher-linux-x64-musl@2.6.0"),
        ("@swc/core", "@swc/core-linux-x64-musl@1.7.6"),
        ("lightningcss", "lightningcss-linux-x64-musl@1.27.0"),
        ("sharp", "@img/sharp-linuxmusl-x64@0.33.5"),
    ] {
        let answer = answer(name);
        assert_eq!(answer["reinstall"], "musl-build", "{scanned}: {name}");
        assert_eq!(answer["source"]["from"], "lockfile", "{scanned}: {name}");
        assert_eq!(answer["build"], build, "{scanned}: {name}");
    }
    // Downloaded at install (prebuild-install): the table says musl builds
    // are published; node-gyp is the fallback.
    for name in ["better-sqlite3", "sqlite3"] {
        let answer = answer(name);
        assert_eq!(answer["reinstall"], "musl-build", "{scanned}: {name}");
        assert_eq!(answer["source"]["from"], "known-table", "{scanned}: {name}");
        assert_eq!(
            strings(&answer["build_packages"]),
            ["python3", "make", "g++"],
            "{scanned}: {name}"
        );
    }
    // bcrypt 5: no musl build until 6.0.0, so node-gyp compiles it.
    let bcrypt = answer("bcrypt");
    assert_eq!(bcrypt["reinstall"], "source-build", "{scanned}");
    assert_eq!(bcrypt["first_musl_version"], "6.0.0", "{scanned}");
    assert_eq!(
        strings(&bcrypt["build_packages"]),
        ["python3", "make", "g++"]
    );
    // canvas: no musl build of any version; the table names the -dev packages.
    let canvas = answer("canvas");
    assert_eq!(canvas["reinstall"], "source-build", "{scanned}");
    assert!(codes(canvas).contains(&"MC201".to_string()), "{scanned}");
    let packages = strings(&canvas["build_packages"]);
    for needed in ["python3", "make", "g++", "cairo-dev", "pango-dev"] {
        assert!(
            packages.iter().any(|p| p == needed),
            "{scanned}: {packages:?}"
        );
    }
    // argon2 0.41 bundles musl prebuilds (the table: from 0.40.1).
    assert_eq!(answer("argon2")["reinstall"], "musl-build", "{scanned}");
}

#[test]
fn a_glibc_install_and_its_lockfile_alone_give_the_same_answers() {
    let Some(tree) = npm_answers_tree() else {
        return;
    };
    let (report, status) = json_scan(&tree, &[]);
    assert_npm_answers(&report, "node_modules");
    // Copied into Alpine as it is, the platform-split packages fail to load.
    assert_eq!(status, 1, "MC205 is an error");
    // A dependency's own (v1) package-lock.json is not the project's: not read.
    assert_eq!(report["summary"]["unreadable"], 0);
    let argon2 = artifact_where(&report, |a| {
        a["package"]["name"] == "argon2" && a["source"]["from"] == "package-files"
    })
    .expect("argon2's own files answer");
    assert_eq!(argon2["build"], "argon2.musl.node");

    let checkout = tempfile::tempdir().unwrap();
    std::fs::copy(
        tree.join("package-lock.json"),
        checkout.path().join("package-lock.json"),
    )
    .unwrap();
    let (report, status) = json_scan(checkout.path(), &[]);
    assert_npm_answers(&report, "package-lock.json");
    // Only warnings (MC201, MC203): the default --fail-on error passes.
    assert_eq!(status, 0);
    let sqlite = artifact_where(&report, |a| a["package"]["name"] == "sqlite3").unwrap();
    assert_eq!(codes(sqlite), Vec::<String>::new());
    let text = stdout(&muslcheck(checkout.path(), &[]));
    assert!(
        text.contains("0 ELF: no files to check, 9 reinstall answers"),
        "{text}"
    );
}

#[test]
fn glibc_platform_packages_are_never_loaded_on_musl() {
    let Some(tree) = npm_answers_tree() else {
        return;
    };
    let (report, _) = json_scan(&tree, &[]);
    for (file, reason) in [
        (
            "node_modules/@parcel/watcher-linux-x64-glibc/watcher.node",
            "platform package for glibc (@parcel/watcher-linux-x64-glibc); on musl, @parcel/watcher's loader requires @parcel/watcher-linux-x64-musl",
        ),
        (
            "node_modules/lightningcss-linux-x64-gnu/lightningcss.linux-x64-gnu.node",
            "platform package for glibc (lightningcss-linux-x64-gnu); on musl, lightningcss's loader requires lightningcss-linux-x64-musl",
        ),
        // No libc in the name: sharp's `linux-x64` beside `linuxmusl-x64`.
        (
            "node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64.node",
            "platform package for glibc (@img/sharp-linux-x64); on musl, sharp's loader requires @img/sharp-linuxmusl-x64",
        ),
        (
            "node_modules/@img/sharp-libvips-linux-x64/lib/libvips-cpp.so.42",
            "platform package for glibc (@img/sharp-libvips-linux-x64); on musl, sharp's loader requires @img/sharp-libvips-linuxmusl-x64",
        ),
    ] {
        let artifact = by_suffix(&report, file);
        assert_eq!(artifact["verdict"], "not-applicable", "{file}");
        assert_eq!(artifact["load"]["not_loaded"], reason, "{file}");
    }
    // On another architecture the loader requires that architecture's package.
    let arm = json_of(&cli(&[
        "--arch",
        "aarch64",
        "--format",
        "json",
        tree.to_str().unwrap(),
    ]));
    let swc = by_suffix(&arm, "swc.linux-x64-gnu.node");
    assert_eq!(swc["verdict"], "not-applicable");
    assert_eq!(
        swc["load"]["not_loaded"],
        "platform package for glibc on x86_64 (@swc/core-linux-x64-gnu); @swc/core's loader never requires it on aarch64 musl"
    );
    // The parents' own files answer: the musl variant is declared but not installed.
    for parent in ["@parcel/watcher", "@swc/core", "lightningcss", "sharp"] {
        let installed = artifact_where(&report, |a| {
            a["package"]["name"] == parent && a["source"]["from"] == "package-files"
        })
        .unwrap_or_else(|| panic!("{parent}"));
        assert_eq!(installed["reinstall"], "musl-build", "{parent}");
        assert_eq!(codes(installed), ["MC205"], "{parent}");
    }
}

#[test]
fn a_platform_split_package_is_answered_by_its_variants_not_its_binding_gyp() {
    let Some(tree) = npm_answers_tree() else {
        return;
    };
    // @parcel/watcher ships binding.gyp and an install script that builds
    // only on request; its loader requires the platform package. Without
    // the lockfile, its installed files answer.
    let project = tempfile::tempdir().unwrap();
    let modules = project.path().join("node_modules");
    std::fs::create_dir_all(&modules).unwrap();
    let copied = Command::new("cp")
        .arg("-r")
        .arg(tree.join("node_modules/@parcel"))
        .arg(&modules)
        .status()
        .unwrap();
    assert!(copied.success());
    let (report, _) = json_scan(project.path(), &[]);
    let watcher = artifact_where(&report, |a| a["package"]["name"] == "@parcel/watcher")
        .expect("an answer for @parcel/watcher");
    assert_eq!(watcher["reinstall"], "musl-build");
    assert_eq!(watcher["source"]["from"], "package-files");
    assert_eq!(watcher["build"], "@parcel/watcher-linux-x64-musl");
    assert!(!codes(watcher).contains(&"MC204".to_string()));
}

/// esbuild's Linux build is a static Go program. The paths it opens at run
/// time are string data: found without searching `.gopclntab` (a third of a
/// Go program: function and source file names), and said on scratch.
#[test]
fn a_static_go_program_is_seen_to_open_the_ca_bundle_and_zoneinfo() {
    use muslcheck::model::RuntimeFile;
    let Some(tree) = fetched("npm-glibc") else {
        return;
    };
    let esbuild = tree.join("node_modules/@esbuild/linux-x64/bin/esbuild");
    let facts = muslcheck::elf::analyse(&std::fs::read(&esbuild).unwrap()).unwrap();
    assert!(facts.runtime_files.contains(RuntimeFile::CaCertificates));
    assert!(facts.runtime_files.contains(RuntimeFile::Tzdata));
    assert!(!facts.runtime_files.contains(RuntimeFile::Passwd));
    let (report, _) = json_scan(&esbuild, &["--target", "scratch"]);
    assert_eq!(codes(&artifacts(&report)[0]), ["MC112"]);
    // Wolfi has apk and a tzdata package: installed, not copied from a
    // build stage "because the image has no package manager".
    let (report, _) = json_scan(&esbuild, &["--target", "wolfi", "--fail-on", "never"]);
    let plan = &report["plan"];
    let installed = plan["apk_add"].as_array().unwrap();
    assert!(installed.contains(&Value::from("tzdata")), "{plan:#}");
    let copies = plan["copy_from_build"].to_string();
    assert!(!copies.contains("zoneinfo"), "{plan:#}");
}

/// A package made for Node and the Bare runtime (sodium-native's layout):
/// each `prebuilds/<platform>-<cpu>/` holds a `.node` addon for Node and a
/// `.bare` one for Bare, whose `js_*` symbols only Bare provides. Node never
/// loads the `.bare` files, nor the Android builds (bionic), on any target.
#[test]
fn bare_runtime_addons_and_android_builds_are_never_loaded_by_node() {
    let dir = tempfile::tempdir().unwrap();
    let package = dir.path().join("node_modules/dual");
    let prebuilds = package.join("prebuilds");
    std::fs::create_dir_all(&prebuilds).unwrap();
    std::fs::write(
        package.join("package.json"),
        r#"{"name": "dual", "version": "1.0.0"}"#,
    )
    .unwrap();
    for (fixture, at) in [
        ("node/addon.node", "linux-x64/dual.node"),
        ("node/addon.node", "linux-x64/dual.bare"),
        ("node/bionic-addon.node", "android-x64/dual.node"),
        ("node/bionic-addon.node", "android-x64/dual.bare"),
    ] {
        copy_fixture(fixture, &prebuilds.join(at));
    }
    for target in ["alpine:3.20", "debian:12-slim"] {
        let (report, _) = json_scan(dir.path(), &["--target", target, "--offline"]);
        let node = by_suffix(&report, "linux-x64/dual.node");
        assert_ne!(node["verdict"], "not-applicable", "{target}: {node}");
        let bare = by_suffix(&report, "linux-x64/dual.bare");
        assert_eq!(bare["verdict"], "not-applicable", "{target}: {bare}");
        let reason = bare["load"]["not_loaded"].as_str().unwrap();
        assert!(reason.contains("Bare runtime"), "{target}: {reason}");
        for android in ["android-x64/dual.node", "android-x64/dual.bare"] {
            let file = by_suffix(&report, android);
            assert_eq!(file["verdict"], "not-applicable", "{target}: {file}");
            let reason = file["load"]["not_loaded"].as_str().unwrap();
            assert!(
                reason.contains("prebuild for android"),
                "{target}: {reason}"
            );
            assert_eq!(file["facts"]["libc"]["kind"], "bionic", "{target}");
        }
    }
}

/// An Android library's missing `__register_atfork@LIBC` is bionic's, not
/// glibc's: glibc's table (which lists a `__register_atfork` since 2.3.2)
/// says nothing about it.
#[test]
fn glibc_facts_are_not_attached_to_another_librarys_version_node() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(
        "node/bionic-addon.node",
        &dir.path().join("libandroid-only.so"),
    );
    let (report, _) = json_scan(dir.path(), &["--target", "alpine:3.20", "--offline"]);
    let file = by_suffix(&report, "libandroid-only.so");
    let symbols: Vec<&Value> = file["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["evidence"]["symbols"].as_array().into_iter().flatten())
        .collect();
    let atfork = symbols
        .iter()
        .find(|s| s["name"] == "__register_atfork")
        .unwrap_or_else(|| panic!("no missing __register_atfork: {file}"));
    assert_eq!(atfork["version"], "LIBC", "{atfork}");
    assert!(atfork.get("glibc_since").is_none(), "{atfork}");
    assert_ne!(atfork["expected_library"], "libc.so.6", "{atfork}");
}

/// A node_modules installed on Alpine (only sharp's musl platform package)
/// moved to a glibc image: sharp's loader requires `@img/sharp-linux-x64`,
/// which is not installed, so sharp breaks there (MC206) and `npm ci` on the
/// target is the fix. On Alpine the same tree is fine.
#[test]
fn a_musl_installed_tree_on_a_glibc_image_lacks_the_glibc_platform_package() {
    let dir = tempfile::tempdir().unwrap();
    let modules = dir.path().join("node_modules");
    let write = |at: &str, json: &str| {
        let path = modules.join(at).join("package.json");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, json).unwrap();
    };
    write(
        "sharp",
        r#"{"name": "sharp", "version": "0.33.5", "optionalDependencies": {
            "@img/sharp-linux-x64": "0.33.5", "@img/sharp-linuxmusl-x64": "0.33.5"}}"#,
    );
    write(
        "@img/sharp-linuxmusl-x64",
        r#"{"name": "@img/sharp-linuxmusl-x64", "version": "0.33.5",
            "os": ["linux"], "cpu": ["x64"], "libc": ["musl"]}"#,
    );
    copy_fixture(
        "lib/libplain-musl.so",
        &modules.join("@img/sharp-linuxmusl-x64/lib/sharp-linuxmusl-x64.node"),
    );

    let (report, status) = json_scan(dir.path(), &["--target", "debian:12-slim", "--offline"]);
    let sharp = artifact_where(&report, |a| {
        a["package"]["name"] == "sharp" && a["source"]["from"] == "package-files"
    })
    .unwrap_or_else(|| panic!("no entry for sharp: {report:#}"));
    assert_eq!(codes(sharp), ["MC206"], "{sharp}");
    assert_eq!(status, 1, "MC206 is an error");
    // The entry's own answer is the target's, not the musl one.
    assert_eq!(sharp["reinstall"], "glibc-build", "{sharp}");
    assert_eq!(sharp["build"], "@img/sharp-linux-x64", "{sharp}");
    let decision = common::decision(&report, "sharp");
    assert_eq!(decision["as_is"]["verdict"], "breaks", "{decision}");
    assert_eq!(decision["reinstalled"]["reinstall"], "glibc-build");
    assert_eq!(decision["reinstalled"]["build"], "@img/sharp-linux-x64");
    assert_eq!(decision["actions"][0]["kind"], "reinstall-on-target");
    let text = stdout(&muslcheck(
        dir.path(),
        &["--target", "debian:12-slim", "--offline"],
    ));
    assert!(text.contains("breaks (glibc variant missing)"), "{text}");

    let (alpine, status) = json_scan(dir.path(), &["--target", "alpine:3.20", "--offline"]);
    let codes_on_alpine: Vec<String> = artifacts(&alpine).iter().flat_map(codes).collect();
    assert!(
        !codes_on_alpine.contains(&"MC206".to_string()),
        "{codes_on_alpine:?}"
    );
    assert_eq!(status, 0, "{alpine:#}");

    // Without a C library neither variant loads: the musl one fails there,
    // rather than being set aside as another platform's.
    let (scratch, status) = json_scan(dir.path(), &["--target", "scratch", "--offline"]);
    let addon = by_suffix(&scratch, "sharp-linuxmusl-x64.node");
    assert_eq!(addon["verdict"], "breaks", "{addon}");
    assert_eq!(status, 1);
    let codes_on_scratch: Vec<String> = artifacts(&scratch).iter().flat_map(codes).collect();
    assert!(
        !codes_on_scratch.contains(&"MC206".to_string()),
        "{codes_on_scratch:?}"
    );
}

/// node-gyp-build 3 (still pinned by Datadog's addons) reads
/// `prebuilds/linux<libc>-<cpu>/` then `prebuilds/linux-<cpu>/`, never the
/// other libc's, loading `node-<abi>.node` or else `node-napi.node`;
/// node-gyp-build 4 reads only the directory naming the fewest CPUs among
/// those naming the target's. What each resolver chooses is judged; what
/// neither ever reads is `not-applicable`.
#[test]
fn node_gyp_build_3_and_multi_cpu_directories_are_read_as_their_resolvers_read_them() {
    let project = tempfile::tempdir().unwrap();
    let modules = project.path().join("node_modules");
    let resolvers = tempfile::tempdir().unwrap();
    let v3 = unpack_tarball("node-gyp-build-3.9.0.tgz", resolvers.path(), "v3");
    let v4 = unpack_tarball("node-gyp-build-4.8.4.tgz", resolvers.path(), "v4");
    let layout = [
        (
            "dd/prebuilds/linuxmusl-x64/node-napi.node",
            "lib/libplain-musl.so",
        ),
        (
            "dd/prebuilds/linuxglibc-x64/node-napi.node",
            "lib/libplain.so",
        ),
        ("dd/prebuilds/linux-x64/node-115.node", "lib/libplain.so"),
        ("dd/prebuilds/linux-x64/node-napi.node", "lib/libplain.so"),
        ("mc/prebuilds/linux-x64/mc.node", "lib/libplain.so"),
        (
            "mc/prebuilds/linux-x64+arm64/mc.node",
            "lib/libplain-musl.so",
        ),
    ];
    for (path, fixture) in layout {
        copy_fixture(fixture, &modules.join(path));
    }
    for name in ["dd", "mc"] {
        let manifest = format!(r#"{{"name":"{name}","version":"1.0.0"}}"#);
        std::fs::write(modules.join(name).join("package.json"), manifest).unwrap();
    }
    for (target, libc) in [("alpine:3.20", "musl"), ("debian:12-slim", "glibc")] {
        let (report, _) = json_scan(project.path(), &["--target", target]);
        let verdict = |path: &str| {
            let shown = format!("node_modules/{path}");
            artifact_where(&report, |a| a["path"] == shown.as_str())
                .unwrap_or_else(|| panic!("{shown} not reported"))["verdict"]
                .clone()
        };
        let own = format!("dd/prebuilds/linux{libc}-x64/node-napi.node");
        for (path, _) in layout {
            let read = path == own || path == "mc/prebuilds/linux-x64/mc.node";
            let expected = if read { "ok" } else { "not-applicable" };
            assert_eq!(verdict(path), expected, "{target}: {path}");
        }
        // Ground truth: what the resolvers themselves choose here is judged.
        for (resolver, package) in [(&v3, "dd"), (&v4, "mc")] {
            let Some(chosen) = chosen_by_node_gyp_build(resolver, &modules.join(package), libc)
            else {
                return;
            };
            let relative = chosen
                .strip_prefix(&modules)
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            assert_eq!(verdict(&relative), "ok", "{target}: {relative}");
        }
    }
}

/// A prebuild without a libc tag that breaks on the target is what a
/// reinstall installs again: node-gyp-build's install then compiles the
/// addon (an install script running it, and a binding.gyp), else nothing
/// gives the package a build that loads. No "npm ci on the target" either way.
#[test]
fn an_untagged_prebuild_that_breaks_is_no_musl_build() {
    // A directory for several CPUs (`linux-x64+arm64`) holds it as well.
    let cases = [
        (true, "source-build", "linux-x64"),
        (false, "no-musl-build", "linux-x64"),
        (true, "source-build", "linux-x64+arm64"),
        (false, "no-musl-build", "linux-x64+arm64"),
    ];
    for (compiles, expected, directory) in cases {
        let project = tempfile::tempdir().unwrap();
        let package = project.path().join("node_modules/addon");
        copy_fixture(
            "lib/libfortified.so",
            &package.join(format!("prebuilds/{directory}/addon.node")),
        );
        let scripts = if compiles {
            std::fs::write(package.join("binding.gyp"), "{}").unwrap();
            r#""scripts":{"install":"node-gyp-build"},"#
        } else {
            ""
        };
        std::fs::write(
            package.join("package.json"),
            format!(r#"{{"name":"addon","version":"1.0.0",{scripts}"main":"index.js"}}"#),
        )
        .unwrap();
        let (report, _) = json_scan(project.path(), &["--target", "alpine:3.20"]);
        let decision = common::decision(&report, "addon");
        assert_eq!(decision["as_is"]["verdict"], "breaks", "{decision:#}");
        assert_eq!(
            decision["reinstalled"]["reinstall"], expected,
            "{directory}: {decision:#}"
        );
        let actions = decision["actions"].to_string();
        assert!(
            !actions.contains("reinstall-on-target") || compiles,
            "{actions}"
        );
        // The package's heading under --details says the package's answer,
        // not its manifest entry's first guess ("musl-build").
        let text = stdout(&muslcheck(
            project.path(),
            &["--target", "alpine:3.20", "--details"],
        ));
        assert!(
            text.contains(&format!("reinstall on the target: {expected}")),
            "{text}"
        );
        // Where it loads (a glibc image), the bundled prebuild is the answer.
        let (report, _) = json_scan(project.path(), &["--target", "debian:12-slim"]);
        let decision = common::decision(&report, "addon");
        assert_ne!(
            decision["reinstalled"]["reinstall"], expected,
            "{decision:#}"
        );
    }
}

/// @newrelic/native-metrics 13.1.0 ships only glibc-tagged prebuilds for
/// linux-x64: node-gyp-build's matchTags rejects each on musl, so none is
/// loaded (not-applicable) and the package, as installed, has no build
/// (`require` throws "No native build was found").
#[test]
fn glibc_tagged_prebuilds_alone_leave_the_package_without_a_build_on_musl() {
    let project = tempfile::tempdir().unwrap();
    let package = project.path().join("node_modules/metrics");
    let files = [
        "prebuilds/linux-x64/metrics.abi127.uv1.glibc.node",
        "prebuilds/linux-x64/metrics.abi137.uv1.glibc.node",
    ];
    for file in files {
        copy_fixture("lib/libplain.so", &package.join(file));
    }
    std::fs::write(
        package.join("package.json"),
        r#"{"name":"metrics","version":"13.1.0"}"#,
    )
    .unwrap();
    let (report, status) = json_scan(project.path(), &["--target", "alpine:3.20", "--offline"]);
    assert_eq!(status, 1, "{:#}", report["packages"]);
    for file in files {
        let artifact = common::artifact(&report, &format!("node_modules/metrics/{file}"));
        assert_eq!(artifact["verdict"], "breaks", "{artifact:#}");
        assert_eq!(codes(artifact), ["MC115"], "{artifact:#}");
        let message = finding(artifact, "MC115")["message"].as_str().unwrap();
        assert!(message.contains("tagged glibc"), "{message}");
    }
    let decision = common::decision(&report, "metrics");
    assert_eq!(decision["as_is"]["verdict"], "breaks", "{decision:#}");
    // Without /etc/alpine-release node-gyp-build takes the libc for glibc:
    // on another musl system it loads a glibc-tagged prebuild.
    let (report, _) = json_scan(
        project.path(),
        &["--target", "debian-musl", "--offline", "--fail-on", "never"],
    );
    let taken = files.iter().any(|file| {
        let artifact = common::artifact(&report, &format!("node_modules/metrics/{file}"));
        artifact["verdict"] != "not-applicable"
    });
    assert!(taken, "{:#}", report["artifacts"]);
    assert!(!package_codes(&report, "metrics").contains(&"MC115".to_string()));
    // With an untagged prebuild beside them, node-gyp-build takes that one.
    copy_fixture(
        "lib/libplain.so",
        &package.join("prebuilds/linux-x64/metrics.napi.node"),
    );
    let (report, _) = json_scan(project.path(), &["--target", "alpine:3.20", "--offline"]);
    for file in files {
        let artifact = common::artifact(&report, &format!("node_modules/metrics/{file}"));
        assert_eq!(artifact["verdict"], "not-applicable", "{artifact:#}");
    }
    std::fs::remove_file(package.join("prebuilds/linux-x64/metrics.napi.node")).unwrap();
    // On glibc they load as they are.
    let (report, _) = json_scan(project.path(), &["--target", "debian:12-slim", "--offline"]);
    let decision = common::decision(&report, "metrics");
    assert_eq!(decision["as_is"]["verdict"], "ok", "{decision:#}");
}

/// tree-sitter 0.25.1: its untagged prebuild lacks `__snprintf_chk` on musl,
/// named only by GOT and PLT entries. Node's lazy dlopen loads it (the
/// first call fails), so node-gyp-build's install test passes and npm
/// keeps it: nothing compiles unless asked, and the plan asks
/// (`npm rebuild tree-sitter --build-from-source`). Without a binding.gyp
/// nothing can be asked.
#[test]
fn an_untagged_prebuild_that_loads_lazily_is_kept_unless_a_build_is_asked_for() {
    use common::synthetic_elf::SharedObject;
    for (compiles, expected) in [(true, "source-build"), (false, "no-musl-build")] {
        let project = tempfile::tempdir().unwrap();
        let package = project.path().join("node_modules/tree-sitter");
        let addon = SharedObject {
            needed: vec!["libc.so.6".to_string()],
            exports: vec!["napi_register_module_v1".to_string()],
            undefined: vec!["__snprintf_chk".to_string()],
            ..SharedObject::default()
        };
        let prebuilds = package.join("prebuilds/linux-x64");
        std::fs::create_dir_all(&prebuilds).unwrap();
        std::fs::write(prebuilds.join("tree-sitter.node"), addon.to_bytes()).unwrap();
        // An Electron build sorts first by name; Node never loads it.
        std::fs::write(prebuilds.join("electron.napi.node"), addon.to_bytes()).unwrap();
        if compiles {
            std::fs::write(package.join("binding.gyp"), "{}").unwrap();
        }
        std::fs::write(
            package.join("package.json"),
            r#"{"name":"tree-sitter","version":"0.25.1","scripts":{"install":"node-gyp-build"}}"#,
        )
        .unwrap();
        let (report, _) = json_scan(project.path(), &["--target", "alpine:3.20", "--offline"]);
        let decision = common::decision(&report, "tree-sitter");
        assert_eq!(decision["as_is"]["verdict"], "breaks", "{decision:#}");
        let reinstalled = &decision["reinstalled"];
        assert_eq!(reinstalled["reinstall"], expected, "{decision:#}");
        let detail = reinstalled["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("tree-sitter.node") && detail.contains("lazy"),
            "{detail}"
        );
        let commands: Vec<&str> = report["plan"]["reinstall"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["command"].as_str())
            .collect();
        let rebuild = "npm rebuild tree-sitter --build-from-source";
        assert_eq!(commands.contains(&rebuild), compiles, "{commands:?}");
    }
}

/// On a glibc image an untagged prebuild answers as on musl: a reinstall
/// gets it again, and where it does not load node-gyp-build's install
/// compiles the addon (tree-sitter 0.25.1's needs GLIBCXX_3.4.31 on Debian
/// 12), with the image's build packages. glibc binds a GOT entry at load,
/// so a name only such an entry needs fails there at load, not at its first
/// call (the synthetic addon's `strlcpy`, glibc 2.38's).
#[test]
fn an_untagged_prebuild_answers_on_a_glibc_image_too() {
    use common::synthetic_elf::SharedObject;
    let got_only = SharedObject {
        needed: vec!["libc.so.6".to_string()],
        exports: vec!["napi_register_module_v1".to_string()],
        undefined: vec!["strlcpy".to_string()],
        ..SharedObject::default()
    }
    .to_bytes();
    // arc4random@GLIBC_2.36: Debian 11 has 2.31, Debian 12 2.36.
    let arc4random = std::fs::read(corpus("lib/libarc4random.so")).unwrap();
    for (addon, target, compiles, expected) in [
        (&arc4random, "debian:11-slim", true, "source-build"),
        (&arc4random, "debian:11-slim", false, "no-glibc-build"),
        (&arc4random, "debian:12-slim", true, "glibc-build"),
        (&got_only, "debian:12-slim", true, "source-build"),
    ] {
        let project = tempfile::tempdir().unwrap();
        let package = project.path().join("node_modules/addon");
        let prebuilds = package.join("prebuilds/linux-x64");
        std::fs::create_dir_all(&prebuilds).unwrap();
        std::fs::write(prebuilds.join("addon.node"), addon).unwrap();
        if compiles {
            std::fs::write(package.join("binding.gyp"), "{}").unwrap();
        }
        std::fs::write(
            package.join("package.json"),
            r#"{"name":"addon","version":"1.0.0","scripts":{"install":"node-gyp-build"}}"#,
        )
        .unwrap();
        let (report, _) = json_scan(
            project.path(),
            &["--target", target, "--offline", "--fail-on", "never"],
        );
        let case = format!("{target} {expected}");
        let decision = common::decision(&report, "addon");
        let reinstalled = &decision["reinstalled"];
        assert_eq!(reinstalled["reinstall"], expected, "{case}: {decision:#}");
        let detail = reinstalled["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("addon.node") && !detail.contains("lazy"),
            "{case}: {detail}"
        );
        if addon == &arc4random {
            let build: Vec<&str> = report["plan"]["build_dependencies"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let compiled = expected == "source-build";
            assert_eq!(
                build.contains(&"build-essential"),
                compiled,
                "{case}: {build:?}"
            );
            assert!(!build.contains(&"g++"), "{case}: {build:?}");
        }
    }
}

/// tree-sitter 0.25.1 installed where its prebuild did not load: node-gyp
/// built `build/Release/tree_sitter_runtime_binding.node`, which
/// node-gyp-build loads before any prebuild (its `load.resolve`). As the
/// tree is, the prebuild is never loaded and the package loads; a fresh
/// install on the target has no such build and gets the prebuild again,
/// which is what the reinstall answer rests on.
#[test]
fn an_addon_built_at_install_hides_the_prebuilds_until_a_fresh_install() {
    for (target, prebuild_fixture, expected) in [
        ("alpine:3.20", "lib/libfortified.so", "source-build"),
        ("debian:11-slim", "lib/libarc4random.so", "source-build"),
    ] {
        let project = tempfile::tempdir().unwrap();
        let package = project.path().join("node_modules/tree-sitter");
        let prebuild = "prebuilds/linux-x64/tree-sitter.node";
        copy_fixture(prebuild_fixture, &package.join(prebuild));
        let built = "build/Release/tree_sitter_runtime_binding.node";
        std::fs::write(package.join("binding.gyp"), "{}").unwrap();
        std::fs::write(
            package.join("package.json"),
            r#"{"name":"tree-sitter","version":"0.25.1","scripts":{"install":"node-gyp-build"}}"#,
        )
        .unwrap();
        // Without the addon built at install the prebuild is what loads.
        let args = ["--target", target, "--offline", "--fail-on", "never"];
        let (report, _) = json_scan(project.path(), &args);
        let decision = common::decision(&report, "tree-sitter");
        assert_eq!(
            decision["as_is"]["verdict"], "breaks",
            "{target}: {decision:#}"
        );

        copy_fixture("lib/libplain.so", &package.join(built));
        let (report, _) = json_scan(project.path(), &args);
        let artifact = common::artifact(&report, &format!("node_modules/tree-sitter/{prebuild}"));
        assert_eq!(
            artifact["verdict"], "not-applicable",
            "{target}: {artifact:#}"
        );
        let why = artifact["load"]["not_loaded"].as_str().unwrap_or_default();
        assert!(
            why.contains(built) && why.contains("fresh install"),
            "{why}"
        );
        let fresh = &artifact["load"]["on_fresh_install"];
        assert_eq!(fresh["verdict"], "breaks", "{target}: {artifact:#}");
        assert!(
            !fresh["findings"].as_array().unwrap().is_empty(),
            "{target}: {fresh:#}"
        );
        assert_eq!(
            common::artifact(&report, &format!("node_modules/tree-sitter/{built}"))["verdict"],
            "ok"
        );
        let decision = common::decision(&report, "tree-sitter");
        assert_eq!(decision["as_is"]["verdict"], "ok", "{target}: {decision:#}");
        assert_eq!(
            decision["reinstalled"]["reinstall"], expected,
            "{target}: {decision:#}"
        );
        // The text under --details says why the prebuild is set aside.
        let text = stdout(&muslcheck(
            project.path(),
            &["--target", target, "--offline", "--details"],
        ));
        assert!(text.contains("not loaded: node-gyp-build loads"), "{text}");
    }
}

/// Packages that keep every platform's build under names of their own
/// (onnxruntime-node's `bin/napi-v6/<platform>/<arch>/`, @sentry/node-cpu-profiler's
/// `<name>-<platform>-<arch>-<libc>-<abi>.node`) require only the file named
/// for the platform they run on: the others are not-applicable there, when
/// the package has one named for the target; a package with none for the
/// target keeps its files judged (it does not run there).
#[test]
fn addons_named_for_another_platform_are_not_applicable_beside_the_targets_own() {
    use common::synthetic_elf::SharedObject;
    let dir = tempfile::tempdir().unwrap();
    let addon = |libc: &str| {
        SharedObject {
            needed: vec![libc.to_string()],
            exports: vec!["napi_register_module_v1".to_string()],
            ..SharedObject::default()
        }
        .to_bytes()
    };
    let arm64 = std::fs::read(corpus("lib/libcalls__mulxc3-aarch64.so")).unwrap();
    let read = |path: &str| std::fs::read(corpus(path)).unwrap();
    let files: [(&str, Vec<u8>); 11] = [
        (
            "profiler/lib/prof-linux-x64-glibc-115.node",
            addon("libc.so.6"),
        ),
        (
            "profiler/lib/prof-linux-x64-musl-115.node",
            addon("libc.musl-x86_64.so.1"),
        ),
        (
            "profiler/lib/prof-linux-arm64-glibc-115.node",
            arm64.clone(),
        ),
        ("ort/bin/napi-v6/linux/x64/binding.node", addon("libc.so.6")),
        ("ort/bin/napi-v6/linux/arm64/binding.node", arm64.clone()),
        // Nothing for musl: its glibc build is what Alpine gets.
        (
            "glibc-only/lib/g-linux-x64-glibc-115.node",
            addon("libc.so.6"),
        ),
        ("glibc-only/lib/g-linux-arm64-glibc-115.node", arm64),
        // Programs too: 7zip-bin runs `linux/<process.arch>/7za`.
        ("sevenzip/linux/x64/7za", read("bin/hello-glibc")),
        ("sevenzip/linux/arm64/7za", read("bin/hello-aarch64-glibc")),
        // One platform package with both libcs' builds (koffi's): musl names Linux.
        ("koffi-linux-x64/linux_x64/koffi.node", addon("libc.so.6")),
        (
            "koffi-linux-x64/musl_x64/koffi.node",
            addon("libc.musl-x86_64.so.1"),
        ),
    ];
    for (path, bytes) in &files {
        let to = dir.path().join("node_modules").join(path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, bytes).unwrap();
    }
    for package in [
        "profiler",
        "ort",
        "glibc-only",
        "sevenzip",
        "koffi-linux-x64",
    ] {
        std::fs::write(
            dir.path()
                .join("node_modules")
                .join(package)
                .join("package.json"),
            format!(r#"{{"name":"{package}","version":"1.0.0"}}"#),
        )
        .unwrap();
    }
    let applicable = |target: &str| -> Vec<(String, bool)> {
        let (report, _) = json_scan(dir.path(), &["--target", target]);
        files
            .iter()
            .map(|(path, _)| {
                let artifact = by_suffix(&report, path);
                let skipped = artifact["verdict"] == "not-applicable";
                if skipped {
                    let reason = artifact["load"]["not_loaded"].as_str().unwrap();
                    assert!(reason.starts_with("named for linux-"), "{path}: {reason}");
                }
                (path.to_string(), !skipped)
            })
            .collect()
    };
    let judged = |flags: [bool; 11]| -> Vec<(String, bool)> {
        files
            .iter()
            .zip(flags)
            .map(|((path, _), judged)| (path.to_string(), judged))
            .collect()
    };
    assert_eq!(
        applicable("alpine:3.20"),
        judged([
            false, true, false, true, false, true, true, true, false, false, true
        ])
    );
    assert_eq!(
        applicable("debian:12-slim"),
        judged([
            true, false, false, true, false, true, false, true, false, true, false
        ])
    );
    // A build per Node ABI for the target: which one Node takes depends on
    // its version, so none is named as the one.
    std::fs::write(
        dir.path()
            .join("node_modules/profiler/lib/prof-linux-x64-musl-127.node"),
        addon("libc.musl-x86_64.so.1"),
    )
    .unwrap();
    let (report, _) = json_scan(dir.path(), &["--target", "alpine:3.20"]);
    let reason =
        by_suffix(&report, "profiler/lib/prof-linux-x64-glibc-115.node")["load"]["not_loaded"]
            .as_str()
            .unwrap()
            .to_string();
    assert!(
        reason.ends_with(
            "requires one of its 2 builds named for it \
             (prof-linux-x64-musl-115.node, prof-linux-x64-musl-127.node)"
        ),
        "{reason}"
    );
}

/// `muslcheck node_modules` (or a scan started inside it) judges the
/// installed packages as a scan of the project does: their package.json
/// files are installed manifests and their platform variants are known,
/// though the shown paths no longer contain `node_modules/`.
#[test]
fn a_scan_of_node_modules_itself_judges_as_a_scan_of_the_project() {
    use common::synthetic_elf::SharedObject;
    let project = tempfile::tempdir().unwrap();
    let modules = project.path().join("node_modules");
    let addon = |libc: &str, calls: &str| {
        SharedObject {
            needed: vec![libc.to_string()],
            undefined: vec![calls.to_string()],
            exports: vec!["napi_register_module_v1".to_string()],
            ..SharedObject::default()
        }
        .to_bytes()
    };
    let write = |path: &str, bytes: &[u8]| {
        let to = modules.join(path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, bytes).unwrap();
    };
    write(
        "fast/package.json",
        br#"{"name":"fast","version":"1.0.0","optionalDependencies":{"fast-linux-x64-gnu":"1.0.0","fast-linux-x64-musl":"1.0.0"}}"#,
    );
    for (libc, npm_libc, needs, calls) in [
        ("gnu", "glibc", "libc.so.6", "gnu_get_libc_version"),
        ("musl", "musl", "libc.musl-x86_64.so.1", "malloc"),
    ] {
        let name = format!("fast-linux-x64-{libc}");
        write(
            &format!("{name}/package.json"),
            format!(
                r#"{{"name":"{name}","version":"1.0.0","os":["linux"],"cpu":["x64"],"libc":["{npm_libc}"]}}"#
            )
            .as_bytes(),
        );
        write(
            &format!("{name}/fast.linux-x64-{libc}.node"),
            &addon(needs, calls),
        );
    }
    write(
        "pb/package.json",
        br#"{"name":"pb","version":"2.0.0","dependencies":{"node-gyp-build":"4"}}"#,
    );
    write(
        "pb/prebuilds/linux-x64/pb.glibc.node",
        &addon("libc.so.6", "gnu_get_libc_version"),
    );
    write(
        "pb/prebuilds/linux-x64/pb.musl.node",
        &addon("libc.musl-x86_64.so.1", "malloc"),
    );
    let verdicts = |root: &Path, target: &str| -> Vec<(String, String)> {
        let (report, _) = json_scan(root, &["--target", target]);
        let mut all: Vec<(String, String)> = artifacts(&report)
            .iter()
            .filter(|a| a["facts"].is_object())
            .map(|a| {
                let path = a["path"].as_str().unwrap();
                let below = path.strip_prefix("node_modules/").unwrap_or(path);
                (
                    below.to_string(),
                    a["verdict"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        all.sort();
        all
    };
    for (target, never_loaded) in [
        ("alpine:3.20", ["fast.linux-x64-gnu.node", "pb.glibc.node"]),
        (
            "debian:12-slim",
            ["fast.linux-x64-musl.node", "pb.musl.node"],
        ),
    ] {
        let of_project = verdicts(project.path(), target);
        assert_eq!(of_project.len(), 4, "{of_project:?}");
        for file in never_loaded {
            assert!(
                of_project
                    .iter()
                    .any(|(path, verdict)| path.ends_with(file) && verdict == "not-applicable"),
                "{target}: {file}: {of_project:?}"
            );
        }
        assert_eq!(verdicts(&modules, target), of_project, "{target}");
    }
}

/// npm takes `"libc": "glibc"` (and `os`, `cpu`) as a string as well as a
/// list: sass-embedded's platform packages write it so. Such a manifest
/// still names the package and its libc, and a field of an unexpected type
/// drops that field only: each libc's binary is never loaded on the other.
#[test]
fn a_platform_package_may_write_its_libc_as_a_string() {
    let project = tempfile::tempdir().unwrap();
    let modules = project.path().join("node_modules");
    for (name, libc, fixture) in [
        ("sass-embedded-linux-x64", "glibc", "bin/hello-glibc"),
        ("sass-embedded-linux-musl-x64", "musl", "bin/hello-musl"),
    ] {
        let dir = modules.join(name);
        std::fs::create_dir_all(dir.join("dart-sass/src")).unwrap();
        std::fs::write(
            dir.join("package.json"),
            format!(
                r#"{{"name":"{name}","version":"1.108.2","os":"linux","cpu":["x64"],"libc":"{libc}","gypfile":"yes","scripts":{{"x":1}}}}"#
            ),
        )
        .unwrap();
        copy_fixture(fixture, &dir.join("dart-sass/src/dart"));
    }
    for (target, not_loaded) in [
        ("alpine:3.20", "sass-embedded-linux-x64"),
        ("debian:12-slim", "sass-embedded-linux-musl-x64"),
    ] {
        let (report, status) = json_scan(project.path(), &["--target", target]);
        assert_eq!(status, 0, "{target}: {:#}", report["packages"]);
        for artifact in artifacts(&report).iter().filter(|a| a["facts"].is_object()) {
            let path = artifact["path"].as_str().unwrap();
            let name = path.split('/').nth(1).unwrap();
            assert_eq!(artifact["package"]["name"], name, "{artifact:#}");
            assert_eq!(artifact["package"]["version"], "1.108.2", "{artifact:#}");
            let expected = if name == not_loaded {
                "not-applicable"
            } else {
                "ok"
            };
            assert_eq!(artifact["verdict"], expected, "{target}: {artifact:#}");
        }
    }
}

#[test]
fn a_glibc_platform_package_needed_by_another_one_is_said_to_be_so() {
    // sharp's two glibc packages without sharp: @img/sharp-linux-x64
    // declares the libvips package, and no musl variant of it (sharp
    // declares the musl pair): neither is loaded on musl.
    let project = tempfile::tempdir().unwrap();
    let modules = project.path().join("node_modules/@img");
    for (name, optional, file) in [
        (
            "sharp-linux-x64",
            r#"{"@img/sharp-libvips-linux-x64":"1.3.5"}"#,
            "lib/sharp-linux-x64.node",
        ),
        ("sharp-libvips-linux-x64", "{}", "lib/libvips-cpp.so.8.18.8"),
    ] {
        let dir = modules.join(name);
        std::fs::create_dir_all(dir.join("lib")).unwrap();
        std::fs::write(
            dir.join("package.json"),
            format!(
                r#"{{"name":"@img/{name}","version":"1.3.5","os":["linux"],"cpu":["x64"],"libc":["glibc"],"optionalDependencies":{optional}}}"#
            ),
        )
        .unwrap();
        copy_fixture("lib/libplain.so", &dir.join(file));
    }
    let (report, status) = json_scan(project.path(), &["--target", "alpine:3.20"]);
    assert_eq!(status, 0, "{report:#}");
    let libvips = by_suffix(&report, "libvips-cpp.so.8.18.8");
    assert_eq!(libvips["verdict"], "not-applicable");
    assert_eq!(
        libvips["load"]["not_loaded"],
        "platform package for glibc (@img/sharp-libvips-linux-x64); it is required by \
         @img/sharp-linux-x64, a platform package for glibc too: on musl neither is loaded"
    );
    let addon = by_suffix(&report, "sharp-linux-x64.node");
    assert_eq!(addon["verdict"], "not-applicable");
    assert_eq!(
        addon["load"]["not_loaded"],
        "platform package for glibc (@img/sharp-linux-x64); on musl its parent's loader \
         requires the musl variant"
    );
}

#[test]
fn a_package_json_below_an_installed_packages_root_is_no_package_of_its_own() {
    // isolated-vm ships `native-example/` with a package.json and a
    // binding.gyp: npm never installs it, and `npm install native-example`
    // would fail (no such package).
    let project = tempfile::tempdir().unwrap();
    let package = project.path().join("node_modules/isolated-vm");
    std::fs::create_dir_all(package.join("native-example")).unwrap();
    std::fs::create_dir_all(package.join("dist")).unwrap();
    std::fs::write(
        package.join("package.json"),
        r#"{"name":"isolated-vm","version":"7.0.1"}"#,
    )
    .unwrap();
    std::fs::write(
        package.join("native-example/package.json"),
        r#"{"name":"native-example","version":"1.0.0","gypfile":true}"#,
    )
    .unwrap();
    std::fs::write(package.join("native-example/binding.gyp"), "{}").unwrap();
    std::fs::write(package.join("dist/package.json"), r#"{"type":"module"}"#).unwrap();
    copy_fixture("bin/hello-glibc", &package.join("out/isolated_vm.node"));
    let (report, _) = json_scan(project.path(), &["--target", "alpine:3.20"]);
    let names: Vec<&str> = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["package"]["name"].as_str())
        .collect();
    assert_eq!(names, ["isolated-vm"], "{:#}", report["packages"]);
    let plan = report["plan"].to_string();
    assert!(!plan.contains("native-example"), "{plan}");
}

#[test]
fn a_package_with_no_platform_package_installed_is_not_said_to_have_the_glibc_one() {
    // usb 3.1.0 declares @node-usb/usb-linux-x64-gnu and -musl; here neither
    // is installed.
    let project = tempfile::tempdir().unwrap();
    let package = project.path().join("node_modules/usb");
    std::fs::create_dir_all(&package).unwrap();
    std::fs::write(
        package.join("package.json"),
        r#"{"name":"usb","version":"3.1.0","optionalDependencies":{"@node-usb/usb-linux-x64-gnu":"3.1.0","@node-usb/usb-linux-x64-musl":"3.1.0"}}"#,
    )
    .unwrap();
    copy_fixture(
        "bin/hello-glibc",
        &package.join("build/Release/usb_bindings.node"),
    );
    let (report, _) = json_scan(project.path(), &["--target", "alpine:3.20"]);
    let text = report.to_string();
    assert!(
        text.contains("usb 3.1.0: no platform package is installed here"),
        "{:#}",
        report["artifacts"]
    );
    assert!(!text.contains("only the glibc platform package"), "{text}");
}

/// pkg-prebuilds (node-hid 3.4's loader) loads
/// `prebuilds/<name>-linux-<cpu>-musl/node-napi-v<N>.node` on Alpine and the
/// directory without `-musl` elsewhere: no other directory, and not
/// node-gyp-build's `prebuilds/linux-x64/`, which the package does not have.
#[test]
fn pkg_prebuilds_loads_the_musl_directory_on_alpine_and_the_plain_one_on_glibc() {
    let dir = tempfile::tempdir().unwrap();
    let prebuilds = dir.path().join("node_modules/node-hid/prebuilds");
    let musl = "HID_hidraw-linux-x64-musl/node-napi-v4.node";
    let glibc = "HID_hidraw-linux-x64/node-napi-v4.node";
    let arm = "HID_hidraw-linux-arm64/node-napi-v4.node";
    copy_fixture("lib/libplain-musl.so", &prebuilds.join(musl));
    copy_fixture("lib/libplain.so", &prebuilds.join(glibc));
    copy_fixture("lib/libcalls__mulxc3-aarch64.so", &prebuilds.join(arm));
    // A library beside each addon (@julusian/jpeg-turbo's libturbojpeg.so.0)
    // goes with its directory.
    let beside = |addon: &str| addon.replace("node-napi-v4.node", "libbeside.so.0");
    copy_fixture("lib/libplain-musl.so", &prebuilds.join(beside(musl)));
    copy_fixture("lib/libplain.so", &prebuilds.join(beside(glibc)));
    // Its install script: the platform's prebuild if it loads, else node-gyp.
    let package = dir.path().join("node_modules/node-hid");
    std::fs::write(package.join("binding.gyp"), "{}").unwrap();
    std::fs::write(
        package.join("package.json"),
        r#"{"name": "node-hid", "version": "3.4.0", "gypfile": true, "scripts":
            {"install": "pkg-prebuilds-verify ./binding-options.js || node-gyp rebuild"}}"#,
    )
    .unwrap();
    let (report, _) = json_scan(dir.path(), &["--target", "alpine:3.20", "--offline"]);
    let answer = artifact_where(&report, |a| {
        a["path"] == "node_modules/node-hid/package.json"
    })
    .expect("an answer for node-hid");
    assert_eq!(answer["reinstall"], "musl-build", "{answer:#}");
    assert!(
        answer["build"].as_str() == Some(&format!("prebuilds/{musl}")),
        "{answer:#}"
    );
    for (target, loaded, set_aside) in [
        ("alpine:3.20", musl, glibc),
        ("debian:12-slim", glibc, musl),
    ] {
        let (report, _) = json_scan(dir.path(), &["--target", target, "--fail-on", "never"]);
        let path = |file: &str| format!("node_modules/node-hid/prebuilds/{file}");
        for file in [loaded, &beside(loaded)] {
            let judged = common::artifact(&report, &path(file));
            assert_eq!(judged["verdict"], "ok", "{target}: {judged:#}");
        }
        for file in [set_aside, arm, &beside(set_aside)] {
            let never = common::artifact(&report, &path(file));
            assert_eq!(never["verdict"], "not-applicable", "{target}: {never:#}");
            let reason = never["load"]["not_loaded"].as_str().unwrap_or_default();
            assert!(
                reason.contains("pkg-prebuilds loads")
                    && reason.contains(loaded.split('/').next().unwrap()),
                "{target}: {reason}"
            );
        }
    }
}

/// require-addon (udx-native 1.21, sodium-native 5, rocksdb-native) reads
/// `prebuilds/linux-x64-musl/` on Alpine and `prebuilds/linux-x64/`
/// elsewhere, never the other: a package installed from the registry ships
/// only the latter, so on Alpine `require` throws "Cannot find addon" (the
/// Alpine chroot, musl Node: udx-native 1.21.3), whatever gcompat could do
/// for the glibc addon. The package's version gets no musl build on a
/// reinstall either. With the musl directory, that one loads.
#[test]
fn require_addon_reads_only_the_musl_directory_on_alpine() {
    let dir = tempfile::tempdir().unwrap();
    let package = dir.path().join("node_modules/udx-native");
    let glibc = "prebuilds/linux-x64/udx-native.node";
    copy_fixture("node/addon.node", &package.join(glibc));
    copy_fixture(
        "node/addon.node",
        &package.join("prebuilds/linux-x64/udx-native.bare"),
    );
    copy_fixture(
        "lib/libcalls__mulxc3-aarch64.so",
        &package.join("prebuilds/linux-arm64/udx-native.node"),
    );
    std::fs::write(
        package.join("package.json"),
        r#"{"name": "udx-native", "version": "1.21.3",
            "dependencies": {"b4a": "^1.5.0", "require-addon": "^1.1.0"}}"#,
    )
    .unwrap();
    let (report, status) = json_scan(dir.path(), &["--target", "alpine:3.20", "--offline"]);
    assert_eq!(status, 1, "{:#}", report["packages"]);
    let addon = common::artifact(&report, &format!("node_modules/udx-native/{glibc}"));
    assert_eq!(addon["verdict"], "breaks", "{addon:#}");
    let error = finding(addon, "MC115");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("prebuilds/linux-x64-musl/") && message.contains("Cannot find addon"),
        "{message}"
    );
    // No gcompat advice: gcompat cannot make require-addon read the file.
    assert_eq!(codes(addon), ["MC115"], "{addon:#}");
    let decision = common::decision(&report, "udx-native");
    assert_eq!(decision["as_is"]["verdict"], "breaks", "{decision:#}");
    assert_eq!(
        decision["reinstalled"]["reinstall"], "no-musl-build",
        "{decision:#}"
    );
    // The other files are other platforms' or Bare's, as before.
    for other in ["linux-x64/udx-native.bare", "linux-arm64/udx-native.node"] {
        let file = by_suffix(&report, other);
        assert_eq!(file["verdict"], "not-applicable", "{file:#}");
    }
    // require-addon before 1.2.0 reads prebuilds/linux-x64/ on every libc
    // (udx-native 1.21.3 with require-addon 1.1.0 loads in the Alpine chroot).
    let require_addon = dir.path().join("node_modules/require-addon/package.json");
    std::fs::create_dir_all(require_addon.parent().unwrap()).unwrap();
    std::fs::write(
        &require_addon,
        r#"{"name": "require-addon", "version": "1.1.0"}"#,
    )
    .unwrap();
    let (report, status) = json_scan(dir.path(), &["--target", "alpine:3.20", "--offline"]);
    assert_eq!(status, 0, "{:#}", report["packages"]);
    let addon = common::artifact(&report, &format!("node_modules/udx-native/{glibc}"));
    assert_eq!(addon["verdict"], "ok", "{addon:#}");
    std::fs::write(
        &require_addon,
        r#"{"name": "require-addon", "version": "1.3.0"}"#,
    )
    .unwrap();
    let (report, status) = json_scan(dir.path(), &["--target", "alpine:3.20", "--offline"]);
    assert_eq!(status, 1, "{:#}", report["packages"]);
    // On glibc, require-addon reads prebuilds/linux-x64/: it loads.
    let (report, status) = json_scan(dir.path(), &["--target", "debian:12-slim", "--offline"]);
    assert_eq!(status, 0, "{:#}", report["packages"]);
    let addon = common::artifact(&report, &format!("node_modules/udx-native/{glibc}"));
    assert_eq!(addon["verdict"], "ok", "{addon:#}");

    // With the musl directory, Alpine loads that one and sets the other aside.
    let musl = "prebuilds/linux-x64-musl/udx-native.node";
    copy_fixture("lib/libplain-musl.so", &package.join(musl));
    for (target, loaded, set_aside) in [
        ("alpine:3.20", musl, glibc),
        ("debian:12-slim", glibc, musl),
    ] {
        let (report, status) = json_scan(dir.path(), &["--target", target, "--offline"]);
        assert_eq!(status, 0, "{target}: {:#}", report["packages"]);
        let path = |file: &str| format!("node_modules/udx-native/{file}");
        let judged = common::artifact(&report, &path(loaded));
        assert_eq!(judged["verdict"], "ok", "{target}: {judged:#}");
        let never = common::artifact(&report, &path(set_aside));
        assert_eq!(never["verdict"], "not-applicable", "{target}: {never:#}");
        let reason = never["load"]["not_loaded"].as_str().unwrap_or_default();
        assert!(
            reason.contains("require-addon reads only"),
            "{target}: {reason}"
        );
    }
    let (report, _) = json_scan(dir.path(), &["--target", "alpine:3.20", "--offline"]);
    let decision = common::decision(&report, "udx-native");
    assert_eq!(
        decision["reinstalled"]["reinstall"], "musl-build",
        "{decision:#}"
    );
    assert_eq!(decision["reinstalled"]["build"], musl, "{decision:#}");
    // Another musl system has no /etc/alpine-release: require-addon reads
    // prebuilds/linux-x64/ there, as on glibc.
    let (report, _) = json_scan(
        dir.path(),
        &["--target", "debian-musl", "--offline", "--fail-on", "never"],
    );
    let read = common::artifact(&report, &format!("node_modules/udx-native/{glibc}"));
    assert_ne!(read["verdict"], "not-applicable", "{read:#}");
    assert!(!codes(read).contains(&"MC115".to_string()), "{read:#}");
    let never = common::artifact(&report, &format!("node_modules/udx-native/{musl}"));
    assert_eq!(never["verdict"], "not-applicable", "{never:#}");
}

/// pkg-prebuilds without the `-musl` directory finds no binding on Alpine
/// ("Failed to find binding"), unless node-gyp built one at install
/// (`build/Release/<name>.node`), which it loads first.
#[test]
fn pkg_prebuilds_without_the_musl_directory_find_no_binding_on_alpine() {
    let dir = tempfile::tempdir().unwrap();
    let package = dir.path().join("node_modules/node-hid");
    let glibc = "prebuilds/HID-linux-x64/node-napi-v4.node";
    copy_fixture("lib/libplain.so", &package.join(glibc));
    std::fs::write(
        package.join("package.json"),
        r#"{"name": "node-hid", "version": "3.1.0"}"#,
    )
    .unwrap();
    let (report, status) = json_scan(dir.path(), &["--target", "alpine:3.20", "--offline"]);
    assert_eq!(status, 1, "{:#}", report["packages"]);
    let addon = common::artifact(&report, &format!("node_modules/node-hid/{glibc}"));
    let message = finding(addon, "MC115")["message"].as_str().unwrap();
    assert!(
        message.contains("prebuilds/HID-linux-x64-musl/"),
        "{message}"
    );
    // Built at install: pkg-prebuilds loads build/Release/HID.node instead.
    copy_fixture(
        "lib/libplain-musl.so",
        &package.join("build/Release/HID.node"),
    );
    let (report, status) = json_scan(dir.path(), &["--target", "alpine:3.20", "--offline"]);
    assert_eq!(status, 0, "{:#}", report["packages"]);
    let addon = common::artifact(&report, &format!("node_modules/node-hid/{glibc}"));
    assert_eq!(addon["verdict"], "not-applicable", "{addon:#}");
}

/// zstd-napi 0.0.13's install script, `prebuild-install || node-gyp
/// rebuild`, built its addon here for glibc (the download failed): on
/// Alpine either branch gives a musl build, the download or the compile the
/// build packages allow, so the plan reinstalls it there with them (it was
/// "unanswered", with no plan line).
#[test]
fn a_download_that_falls_back_to_a_compile_is_a_source_build_on_alpine() {
    let project = tempfile::tempdir().unwrap();
    let package = project.path().join("node_modules/zstd-napi");
    std::fs::create_dir_all(&package).unwrap();
    std::fs::write(
        package.join("package.json"),
        r#"{"name":"zstd-napi","version":"0.0.13",
            "scripts":{"install":"prebuild-install || node-gyp rebuild"}}"#,
    )
    .unwrap();
    std::fs::write(package.join("binding.gyp"), "{}").unwrap();
    copy_fixture(
        "lib/libfortified.so",
        &package.join("build/Release/binding.node"),
    );
    let (report, status) = json_scan(project.path(), &["--offline", "--target", "alpine:3.20"]);
    assert_eq!(status, 1, "{:#}", report["packages"]);
    let decision = common::decision(&report, "zstd-napi");
    assert_eq!(decision["as_is"]["verdict"], "breaks", "{decision:#}");
    assert_eq!(
        decision["reinstalled"]["reinstall"], "source-build",
        "{decision:#}"
    );
    let kinds: Vec<&str> = decision["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"build-dependencies"), "{kinds:?}");
    assert!(kinds.contains(&"reinstall-on-target"), "{kinds:?}");
}

/// distroless has no shell: a `RUN npm ci` line cannot run there (batch 15
/// npm N18). The plan makes the install in a build stage instead.
#[test]
fn a_plan_for_an_image_without_a_shell_installs_in_a_build_stage() {
    let project = tempfile::tempdir().unwrap();
    let package = project.path().join("node_modules/downloads");
    std::fs::create_dir_all(&package).unwrap();
    std::fs::write(
        package.join("package.json"),
        r#"{"name":"downloads","version":"2.0.0",
            "scripts":{"install":"prebuild-install || node-gyp rebuild"}}"#,
    )
    .unwrap();
    std::fs::write(package.join("binding.gyp"), "{}").unwrap();
    let plan_of = |target: &str| {
        let output = muslcheck(project.path(), &["--offline", "--target", target]);
        stdout(&output)
    };
    let text = plan_of("gcr.io/distroless/cc-debian12");
    assert!(text.contains("has no shell to RUN in"), "{text}");
    assert!(
        text.contains("# in the build stage: RUN npm install"),
        "{text}"
    );
    assert!(
        !text
            .lines()
            .any(|line| line.trim_start().starts_with("RUN ")),
        "{text}"
    );
    // debian:12-slim has a shell: the same install is a RUN line there.
    let text = plan_of("debian:12-slim");
    assert!(!text.contains("has no shell"), "{text}");
    assert!(
        text.lines()
            .any(|line| line.trim_start().starts_with("RUN npm install")),
        "{text}"
    );
}

/// A library of an npm package that no file needs and that is no addon is
/// loaded in Node's process (SQLite's load_extension, an FFI): sqlite-vec's
/// `vec0.so` calls libm's sqrt without needing libm, which node links, so
/// glibc binds it (Debian 12's python3 and node load it; the real
/// loader's `--list` of it alone says nothing of the process). Outside
/// node_modules nothing says which process loads it.
#[test]
fn a_library_no_file_needs_in_node_modules_has_nodes_libraries() {
    let project = tempfile::tempdir().unwrap();
    let package = project.path().join("node_modules/vec-ext");
    copy_fixture("lib/libcalls-cbrt.so", &package.join("vec0.so"));
    std::fs::write(
        package.join("package.json"),
        r#"{"name":"vec-ext","version":"1.0.0","os":["linux"],"cpu":["x64"]}"#,
    )
    .unwrap();
    copy_fixture(
        "lib/libcalls-cbrt.so",
        &project.path().join("loose/vec0.so"),
    );
    for target in ["debian:12-slim", "alpine:3.20"] {
        let (report, _) = json_scan(project.path(), &["--target", target]);
        let installed = by_suffix(&report, "node_modules/vec-ext/vec0.so");
        assert_eq!(installed["verdict"], "ok", "{target}: {installed:#}");
        assert_eq!(installed["host"]["kind"], "node", "{target}: {installed:#}");
        let loose = by_suffix(&report, "loose/vec0.so");
        let expected = if target.starts_with("debian") {
            "breaks"
        } else {
            "ok"
        };
        assert_eq!(loose["verdict"], expected, "{target}: {loose:#}");
    }
}

/// A package that compiles (binding.gyp) but bundles addons named for each
/// platform outside node-gyp-build's layout, its own loader choosing one
/// (@sentry/node-cpu-profiler 2.4.4: `lib/sentry_cpu_profiler-linux-x64-musl-115.node`,
/// and an install script that compiles only when none loads): on Alpine the
/// musl one is the build, not a compile.
#[test]
fn an_addon_named_for_musl_is_the_build_of_a_package_that_would_compile() {
    let project = tempfile::tempdir().unwrap();
    let package = project.path().join("node_modules/profiler");
    copy_fixture(
        "lib/libplain-musl.so",
        &package.join("lib/profiler-linux-x64-musl-115.node"),
    );
    copy_fixture(
        "lib/libfortified.so",
        &package.join("lib/profiler-linux-x64-glibc-115.node"),
    );
    std::fs::write(package.join("binding.gyp"), "{}").unwrap();
    std::fs::write(
        package.join("package.json"),
        r#"{"name":"profiler","version":"2.4.4","scripts":{"install":"node scripts/check-build.js"}}"#,
    )
    .unwrap();
    let (report, _) = json_scan(project.path(), &["--target", "alpine:3.20"]);
    let decision = common::decision(&report, "profiler");
    assert_eq!(
        decision["reinstalled"]["reinstall"], "musl-build",
        "{decision:#}"
    );
    assert_eq!(
        decision["reinstalled"]["build"], "profiler-linux-x64-musl-115.node",
        "{decision:#}"
    );
    // On a glibc image it is no prebuild "without a libc tag".
    let (report, _) = json_scan(project.path(), &["--target", "debian:12-slim"]);
    let decision = common::decision(&report, "profiler");
    let detail = decision["reinstalled"]["detail"].as_str().unwrap();
    assert!(
        !detail.contains("without a libc tag") && !detail.contains("musl-115"),
        "{decision:#}"
    );
    // Named for another cpu, it is no build here: node-gyp compiles.
    std::fs::rename(
        package.join("lib/profiler-linux-x64-musl-115.node"),
        package.join("lib/profiler-linux-arm64-musl-115.node"),
    )
    .unwrap();
    let (report, _) = json_scan(project.path(), &["--target", "alpine:3.20"]);
    let decision = common::decision(&report, "profiler");
    assert_eq!(
        decision["reinstalled"]["reinstall"], "source-build",
        "{decision:#}"
    );
}

/// A launcher over platform packages not split by libc (workerd 1.2026:
/// `@cloudflare/workerd-linux-64`, os linux, cpu x64, no libc field; legacy
/// esbuild's `esbuild-linux-64`): npm on Alpine installs the same Linux
/// package again, so the installed files answer. Its install script only
/// checks that binary; it neither downloads a musl build nor compiles.
#[test]
fn platform_packages_not_split_by_libc_install_the_same_build_again() {
    let lock = r#"{"name":"app","lockfileVersion":3,"packages":{
        "":{"name":"app","dependencies":{"launcher":"1.2.0"}},
        "node_modules/launcher":{"version":"1.2.0","hasInstallScript":true,
            "optionalDependencies":{"@acme/launcher-linux-64":"1.2.0","@acme/launcher-darwin-arm64":"1.2.0"}},
        "node_modules/@acme/launcher-linux-64":{"version":"1.2.0","optional":true,"os":["linux"],"cpu":["x64"]},
        "node_modules/@acme/launcher-darwin-arm64":{"version":"1.2.0","optional":true,"os":["darwin"],"cpu":["arm64"]}}}"#;
    for (binary, reinstall) in [
        ("bin/hello-glibc", "no-musl-build"),
        ("bin/hello-static-musl", "musl-build"),
    ] {
        let project = tempfile::tempdir().unwrap();
        std::fs::write(project.path().join("package-lock.json"), lock).unwrap();
        let parent = project.path().join("node_modules/launcher");
        let platform = project.path().join("node_modules/@acme/launcher-linux-64");
        copy_fixture(binary, &parent.join("bin/launcher"));
        copy_fixture(binary, &platform.join("bin/launcher"));
        std::fs::write(
            parent.join("package.json"),
            r#"{"name":"launcher","version":"1.2.0","scripts":{"postinstall":"node install.js"},
                "optionalDependencies":{"@acme/launcher-linux-64":"1.2.0","@acme/launcher-darwin-arm64":"1.2.0"}}"#,
        )
        .unwrap();
        std::fs::write(
            platform.join("package.json"),
            r#"{"name":"@acme/launcher-linux-64","version":"1.2.0","os":["linux"],"cpu":["x64"]}"#,
        )
        .unwrap();
        let (report, _) = json_scan(project.path(), &["--target", "alpine:3.20"]);
        for name in ["launcher", "@acme/launcher-linux-64"] {
            let decision = common::decision(&report, name);
            assert_eq!(
                decision["reinstalled"]["reinstall"], reinstall,
                "{binary}: {decision:#}"
            );
            assert!(
                !package_codes(&report, name).contains(&"MC203".to_string()),
                "{binary}: {:?}",
                package_codes(&report, name)
            );
        }
        let detail = common::decision(&report, "launcher")["reinstalled"]["detail"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(detail.contains("@acme/launcher-linux-64@1.2.0"), "{detail}");
        if reinstall == "no-musl-build" {
            assert!(detail.contains("launcher, built for glibc"), "{detail}");
        }
        // The lockfile alone cannot tell: the build is the same on both
        // libcs, and only its files say whether it loads on musl.
        std::fs::remove_dir_all(project.path().join("node_modules")).unwrap();
        let (report, _) = json_scan(project.path(), &["--target", "alpine:3.20"]);
        let decision = common::decision(&report, "launcher");
        assert_eq!(
            decision["reinstalled"]["reinstall"], "unknown",
            "{decision:#}"
        );
        let detail = decision["reinstalled"]["detail"].as_str().unwrap();
        assert!(
            detail.contains("@acme/launcher-linux-64@1.2.0") && detail.contains("names no libc"),
            "{detail}"
        );
        assert_eq!(package_codes(&report, "launcher"), Vec::<String>::new());
    }
}

/// A parent that names several OSes and CPUs (vectordb 0.21.2: os darwin,
/// linux, win32; cpu x64, arm64) is no platform package: its variants are
/// weighed. It declares only `-linux-x64-gnu`, which its loader never
/// requires on musl, so on Alpine it has no build (MC201), installed or
/// from its lockfile alone.
#[test]
fn a_parent_naming_several_platforms_is_not_a_platform_package() {
    let project = tempfile::tempdir().unwrap();
    let parent = project.path().join("node_modules/vectordb");
    let gnu = project
        .path()
        .join("node_modules/@lancedb/vectordb-linux-x64-gnu");
    std::fs::create_dir_all(&parent).unwrap();
    copy_fixture("lib/libfortified.so", &gnu.join("index.node"));
    std::fs::write(
        parent.join("package.json"),
        r#"{"name":"vectordb","version":"0.21.2","os":["darwin","linux","win32"],"cpu":["x64","arm64"],
            "optionalDependencies":{"@lancedb/vectordb-linux-x64-gnu":"0.21.2","@lancedb/vectordb-darwin-arm64":"0.21.2"}}"#,
    )
    .unwrap();
    std::fs::write(
        gnu.join("package.json"),
        r#"{"name":"@lancedb/vectordb-linux-x64-gnu","version":"0.21.2","os":["linux"],"cpu":["x64"],"main":"index.node"}"#,
    )
    .unwrap();
    let (report, status) = json_scan(project.path(), &["--target", "alpine:3.20"]);
    let decision = common::decision(&report, "vectordb");
    assert_eq!(
        decision["reinstalled"]["reinstall"], "no-musl-build",
        "{decision:#}"
    );
    assert_eq!(status, 1, "{:#}", report["summary"]);
    // As it is, the glibc build fails; `npm ci` on Alpine gets no other.
    let installed = artifact_where(&report, |a| {
        a["kind"] == "package" && a["package"]["name"] == "vectordb"
    })
    .unwrap();
    let not_installed = finding(installed, "MC205");
    assert!(
        !not_installed["remedy"].as_str().unwrap().contains("npm ci"),
        "{not_installed:#}"
    );

    std::fs::remove_dir_all(project.path().join("node_modules")).unwrap();
    std::fs::write(
        project.path().join("package-lock.json"),
        r#"{"name":"app","lockfileVersion":3,"packages":{
            "":{"name":"app","dependencies":{"vectordb":"0.21.2"}},
            "node_modules/vectordb":{"version":"0.21.2","os":["darwin","linux","win32"],"cpu":["x64","arm64"],
                "optionalDependencies":{"@lancedb/vectordb-linux-x64-gnu":"0.21.2","@lancedb/vectordb-darwin-arm64":"0.21.2"}},
            "node_modules/@lancedb/vectordb-linux-x64-gnu":{"version":"0.21.2","optional":true,"os":["linux"],"cpu":["x64"]}}}"#,
    )
    .unwrap();
    let (report, _) = json_scan(project.path(), &["--target", "alpine:3.20"]);
    assert_eq!(package_codes(&report, "vectordb"), ["MC201"]);
}

/// opencode-ai 1.18.33 (os darwin, linux, win32; cpu arm64, x64) declares
/// `opencode-linux-x64` and `opencode-linux-x64-musl`; on glibc npm
/// installs only the first, whose fields name no libc. Beside the musl one
/// it is the glibc build, never what npm on Alpine installs for it, and
/// the parent fails as it is (MC205).
#[test]
fn a_platform_package_naming_no_libc_beside_a_musl_one_is_the_glibc_build() {
    let project = tempfile::tempdir().unwrap();
    let parent = project.path().join("node_modules/oc");
    let glibc = project.path().join("node_modules/oc-linux-x64");
    std::fs::create_dir_all(&parent).unwrap();
    copy_fixture("bin/hello-glibc", &glibc.join("bin/oc"));
    std::fs::write(
        parent.join("package.json"),
        r#"{"name":"oc","version":"1.18.33","os":["darwin","linux","win32"],"cpu":["arm64","x64"],
            "optionalDependencies":{"oc-linux-x64":"1.18.33","oc-linux-x64-musl":"1.18.33","oc-darwin-arm64":"1.18.33"}}"#,
    )
    .unwrap();
    std::fs::write(
        glibc.join("package.json"),
        r#"{"name":"oc-linux-x64","version":"1.18.33","os":["linux"],"cpu":["x64"]}"#,
    )
    .unwrap();
    let (report, status) = json_scan(project.path(), &["--target", "alpine:3.20"]);
    let file = by_suffix(&report, "oc-linux-x64/bin/oc");
    assert_eq!(file["verdict"], "not-applicable", "{file:#}");
    let platform = common::decision(&report, "oc-linux-x64");
    assert_ne!(
        platform["reinstalled"]["reinstall"], "musl-build",
        "{platform:#}"
    );
    assert_eq!(package_codes(&report, "oc"), ["MC205"]);
    assert_eq!(
        common::decision(&report, "oc")["as_is"]["verdict"],
        "breaks"
    );
    assert_eq!(status, 1);
}

/// node-pre-gyp fills `{libc}` only where the package's template names it
/// (grpc-tools 1.13.1: `package_name: "{platform}-{arch}.tar.gz"`): then
/// Alpine downloads the very archive a glibc system gets, whose glibc
/// program breaks there again. A template naming `{libc}` asks for a musl
/// build (MC203, unanswered).
#[test]
fn node_pre_gyp_without_libc_in_its_template_downloads_the_same_build() {
    for (template, reinstall) in [
        ("{platform}-{arch}.tar.gz", "no-musl-build"),
        ("{platform}-{libc}-{arch}.tar.gz", "unknown"),
    ] {
        let project = tempfile::tempdir().unwrap();
        let package = project.path().join("node_modules/tools");
        copy_fixture("bin/hello-glibc", &package.join("bin/protoc"));
        std::fs::write(
            package.join("package.json"),
            format!(
                r#"{{"name":"tools","version":"1.13.1","scripts":{{"install":"node-pre-gyp install"}},
                    "binary":{{"module_name":"tools","host":"https://example.invalid/",
                    "remote_path":"{{name}}/v{{version}}","package_name":"{template}","module_path":"bin"}}}}"#
            ),
        )
        .unwrap();
        let (report, _) = json_scan(project.path(), &["--target", "alpine:3.20"]);
        let decision = common::decision(&report, "tools");
        assert_eq!(
            decision["reinstalled"]["reinstall"], reinstall,
            "{template}: {decision:#}"
        );
        let message = finding(
            artifact_where(&report, |a| a["kind"] == "package").unwrap(),
            "MC203",
        )["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(
            message.contains("asks for a musl build"),
            template.contains("{libc}"),
            "{message}"
        );
        // The download did not run (--ignore-scripts) or failed: no build
        // is installed to judge, so what Alpine gets is not known.
        std::fs::remove_file(package.join("bin/protoc")).unwrap();
        let (report, _) = json_scan(project.path(), &["--target", "alpine:3.20"]);
        let entry = artifact_where(&report, |a| a["kind"] == "package").unwrap();
        assert_eq!(entry["reinstall"], "unknown", "{entry:#}");
        let decision = common::decision(&report, "tools");
        assert_eq!(
            decision["reinstalled"]["reinstall"], "unknown",
            "{decision:#}"
        );
    }
}

/// cmake-ts (zeromq 6): the loader reads `build/manifest.json`, keeps the
/// addons named for the running platform and requires them highest Node
/// ABI first until one loads. One that fails before one that loads is never
/// in the process, nor is one after it, nor one the manifest does not name.
#[test]
fn cmake_ts_tries_the_manifests_addons_until_one_loads() {
    let dir = tempfile::tempdir().unwrap();
    let package = dir.path().join("node_modules/zmqlike");
    let addon = napi_addon;
    let (musl, glibc, missing) = ("libc.musl-x86_64.so.1", "libc.so.6", "libzmq-missing.so.5");
    let files = [
        ("musl-127", addon(&[musl, missing])),
        ("musl-115", addon(&[musl])),
        ("musl-108", addon(&[musl, missing])),
        ("glibc-127", addon(&[glibc, missing])),
        ("glibc-115", addon(&[glibc])),
        // On disk, not in the manifest (an earlier release's, as zeromq 6.8.0 ships).
        ("glibc-147", addon(&[glibc, missing])),
    ];
    for (name, bytes) in &files {
        let to = package.join(format!("build/linux/x64/node/{name}/addon.node"));
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, bytes).unwrap();
    }
    std::fs::write(
        package.join("package.json"),
        r#"{"name":"zmqlike","version":"6.8.0"}"#,
    )
    .unwrap();
    let entry = |libc: &str, abi: u32| {
        let config = format!(
            r#"{{"name":"","os":"linux","arch":"x64","runtime":"node","abi":{abi},"libc":"{libc}"}}"#
        );
        format!(
            "{}: \"linux/x64/node/{libc}-{abi}/addon.node\"",
            serde_json::to_string(&config).unwrap()
        )
    };
    let manifest = [
        entry("musl", 108),
        entry("glibc", 115),
        entry("musl", 127),
        entry("glibc", 127),
        entry("musl", 115),
    ];
    std::fs::write(
        package.join("build/manifest.json"),
        format!("{{{}}}", manifest.join(",")),
    )
    .unwrap();
    let names = files.each_ref().map(|(name, _)| *name);
    let outcome = |target: &str| {
        let (report, status) = json_scan(dir.path(), &["--offline", "--target", target]);
        let of = |name: &str| {
            let artifact = by_suffix(&report, &format!("{name}/addon.node"));
            let reason = artifact["load"]["not_loaded"].as_str().unwrap_or_default();
            (
                artifact["verdict"].as_str().unwrap().to_string(),
                reason.to_string(),
            )
        };
        (names.map(of), status)
    };
    let (alpine, status) = outcome("alpine:3.20");
    assert_eq!(status, 0, "{alpine:?}");
    let [m127, m115, m108, g127, _, g147] = &alpine;
    assert_eq!(m115.0, "ok");
    assert_eq!(m127.0, "not-applicable");
    assert!(
        m127.1.contains("tries it first") && m127.1.contains("musl-115/addon.node, which loads"),
        "{}",
        m127.1
    );
    assert!(m108.1.contains("musl-115/addon.node first"), "{}", m108.1);
    assert!(
        g127.1.contains("names it for linux-x64-glibc"),
        "{}",
        g127.1
    );
    assert!(
        g147.1.starts_with("not named in build/manifest.json"),
        "{}",
        g147.1
    );

    let (debian, status) = outcome("debian:12-slim");
    assert_eq!(status, 0, "{debian:?}");
    let [m127, _, _, g127, g115, _] = &debian;
    assert_eq!(g115.0, "ok");
    assert!(g127.1.contains("tries it first"), "{}", g127.1);
    assert!(m127.1.contains("names it for linux-x64-musl"), "{}", m127.1);

    // With no addon that loads, each one tried fails as judged.
    std::fs::remove_file(package.join("build/linux/x64/node/musl-115/addon.node")).unwrap();
    let (report, status) = json_scan(dir.path(), &["--offline", "--target", "alpine:3.20"]);
    assert_eq!(status, 1);
    for name in ["musl-127", "musl-108"] {
        assert_eq!(
            by_suffix(&report, &format!("{name}/addon.node"))["verdict"],
            "breaks"
        );
    }
}

/// A lockfile's `hasInstallScript` says a script runs, not that it makes
/// native code: an installed package with no ELF file and nothing that
/// makes one (core-js's postinstall prints a banner) gets no MC203 from the
/// lock, while one the tree does not hold still does.
#[test]
fn an_install_script_that_left_no_native_code_here_is_no_mc203() {
    let dir = tempfile::tempdir().unwrap();
    let lock = r#"{
  "name": "p", "version": "1.0.0", "lockfileVersion": 3,
  "packages": {
    "": {"name": "p", "version": "1.0.0", "dependencies": {"core-js": "3.51.0", "fetches-a-binary": "1.0.0"}},
    "node_modules/core-js": {"version": "3.51.0", "hasInstallScript": true},
    "node_modules/fetches-a-binary": {"version": "1.0.0", "hasInstallScript": true}
  }
}"#;
    std::fs::write(dir.path().join("package-lock.json"), lock).unwrap();
    let core_js = dir.path().join("node_modules/core-js");
    std::fs::create_dir_all(&core_js).unwrap();
    std::fs::write(
        core_js.join("package.json"),
        r#"{"name":"core-js","version":"3.51.0","scripts":{"postinstall":"node -e \"try{require('./postinstall')}catch(e){}\""}}"#,
    )
    .unwrap();
    std::fs::write(core_js.join("postinstall.js"), "console.log('thanks')\n").unwrap();
    let (report, status) = json_scan(dir.path(), &["--offline", "--fail-on", "warning"]);
    assert_eq!(status, 1, "the package not installed here keeps its MC203");
    let with_mc203: Vec<&str> = artifacts(&report)
        .iter()
        .filter(|a| codes(a).contains(&"MC203".to_string()))
        .filter_map(|a| a["package"]["name"].as_str())
        .collect();
    assert_eq!(with_mc203, ["fetches-a-binary"]);
    // Installed too, and as pure JavaScript: nothing to warn about.
    let fetcher = dir.path().join("node_modules/fetches-a-binary");
    std::fs::create_dir_all(&fetcher).unwrap();
    std::fs::write(
        fetcher.join("package.json"),
        r#"{"name":"fetches-a-binary","version":"1.0.0","scripts":{"install":"node install.js"}}"#,
    )
    .unwrap();
    let (_, status) = json_scan(dir.path(), &["--offline", "--fail-on", "warning"]);
    assert_eq!(status, 0);
}

/// An `npm pack` tarball is read as the package it holds: its `package/` is
/// the package directory, so its builds named for each platform (aws-crt's
/// `dist/bin/linux-x64-glibc/` beside `linux-x64-musl/`) are told apart as
/// in node_modules, where the same package was right and the tarball broke.
#[test]
fn a_packed_packages_builds_named_for_other_platforms_are_not_applicable() {
    let addon = |libc: &str| napi_addon(&[libc]);
    let members: [(&str, Vec<u8>); 3] = [
        (
            "package/package.json",
            br#"{"name":"crtlike","version":"1.33.2"}"#.to_vec(),
        ),
        (
            "package/dist/bin/linux-x64-glibc/crt.node",
            addon("libc.so.6"),
        ),
        (
            "package/dist/bin/linux-x64-musl/crt.node",
            addon("libc.musl-x86_64.so.1"),
        ),
    ];
    let mut tarball = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    for (name, data) in &members {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        tarball
            .append_data(&mut header, name, data.as_slice())
            .unwrap();
    }
    let bytes = tarball.into_inner().unwrap().finish().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("crtlike-1.33.2.tgz"), bytes).unwrap();
    for (target, loaded) in [("alpine:3.20", "musl"), ("debian:12-slim", "glibc")] {
        let (report, status) = json_scan(dir.path(), &["--offline", "--target", target]);
        assert_eq!(status, 0, "{target}");
        for libc in ["glibc", "musl"] {
            let artifact = by_suffix(&report, &format!("linux-x64-{libc}/crt.node"));
            let verdict = if libc == loaded {
                "ok"
            } else {
                "not-applicable"
            };
            assert_eq!(artifact["verdict"], verdict, "{target}: {libc}");
        }
    }
}

/// A tree installed for x64 (`npm install --cpu=x64 --libc=musl`) judged
/// for arm64: its x64 platform packages are never installed or loaded
/// there (npm takes the parents' arm64 ones), so they are not-applicable,
/// not "breaks … unanswered"; the parent answers for the target.
#[test]
fn platform_packages_for_another_cpu_are_never_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let modules = dir.path().join("node_modules");
    let variant = modules.join("p-linux-x64-musl");
    std::fs::create_dir_all(&variant).unwrap();
    std::fs::write(
        variant.join("package.json"),
        r#"{"name":"p-linux-x64-musl","version":"1.0.0","os":["linux"],"cpu":["x64"],"libc":["musl"]}"#,
    )
    .unwrap();
    let addon = napi_addon(&["libc.musl-x86_64.so.1"]);
    std::fs::write(variant.join("p.linux-x64-musl.node"), addon).unwrap();
    std::fs::create_dir_all(modules.join("p")).unwrap();
    std::fs::write(
        modules.join("p/package.json"),
        r#"{"name":"p","version":"1.0.0","optionalDependencies":{"p-linux-x64-musl":"1.0.0","p-linux-arm64-musl":"1.0.0"}}"#,
    )
    .unwrap();
    let scanned = dir.path().to_str().unwrap();
    let output = cli(&["--format", "json", "--arch", "aarch64", scanned]);
    let report = json_of(&output);
    let file = by_suffix(&report, "p.linux-x64-musl.node");
    assert_eq!(file["verdict"], "not-applicable");
    let reason = file["load"]["not_loaded"].as_str().unwrap();
    assert!(
        reason.contains("p-linux-x64-musl (x64)") && reason.ends_with("on arm64"),
        "{reason}"
    );
    // On its own CPU it is the build loaded.
    let (report, status) = json_scan(dir.path(), &["--offline"]);
    assert_eq!(by_suffix(&report, "p.linux-x64-musl.node")["verdict"], "ok");
    assert_eq!(status, 0);
}

/// A zip archive of `members` (name, bytes), deflated.
fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// Yarn Plug'n'Play (Yarn 2+'s default linker): packages stay zipped in
/// `.yarn/cache`, and only those with native code are unplugged. A tree
/// installed on glibc holds the parent's archive and the unplugged glibc
/// variant: on Alpine the parent's loader requires the musl variant, which
/// is not there (batch 14 npm F15: was "needs nothing", exit 0).
#[test]
fn a_yarn_pnp_install_reads_its_parents_from_the_cache_archives() {
    let project = tempfile::tempdir().unwrap();
    let write = |path: &str, bytes: &[u8]| {
        let to = project.path().join(path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, bytes).unwrap();
    };
    write(".yarnrc.yml", b"nodeLinker: pnp\n");
    let parent = br#"{"name":"fast","version":"1.0.0","optionalDependencies":{"fast-linux-x64-gnu":"1.0.0","fast-linux-x64-musl":"1.0.0"}}"#;
    write(
        ".yarn/cache/fast-npm-1.0.0-0123456789-abcdef0123.zip",
        &zip_of(&[
            ("node_modules/fast/index.js", b"module.exports = 1"),
            ("node_modules/fast/package.json", parent),
        ]),
    );
    let gnu = br#"{"name":"fast-linux-x64-gnu","version":"1.0.0","os":["linux"],"cpu":["x64"],"libc":["glibc"]}"#;
    let addon = napi_addon(&["libc.so.6"]);
    let locator = "fast-linux-x64-gnu-npm-1.0.0-9876543210";
    // The glibc variant is unplugged: its archive stays in the cache too.
    write(
        &format!(".yarn/cache/{locator}-10c0.zip"),
        &zip_of(&[
            ("node_modules/fast-linux-x64-gnu/package.json", gnu),
            ("node_modules/fast-linux-x64-gnu/fast.node", &addon),
        ]),
    );
    let unplugged = format!(".yarn/unplugged/{locator}/node_modules/fast-linux-x64-gnu");
    write(&format!("{unplugged}/package.json"), gnu);
    write(&format!("{unplugged}/fast.node"), &addon);

    let (report, status) = json_scan(project.path(), &["--offline"]);
    assert_eq!(status, 1, "the parent's musl variant is missing");
    let fast = common::decision(&report, "fast");
    assert_eq!(fast["as_is"]["verdict"], "breaks");
    let from_archive = artifact_where(&report, |a| {
        a["package"]["name"] == "fast" && a["source"]["from"] == "package-files"
    })
    .expect("the parent's manifest, read from its cache archive");
    assert_eq!(
        from_archive["path"],
        ".yarn/cache/fast-npm-1.0.0-0123456789-abcdef0123.zip!/node_modules/fast/package.json"
    );
    assert_eq!(codes(from_archive), ["MC205"]);
    let glibc = by_suffix(&report, "fast-linux-x64-gnu/fast.node");
    assert_eq!(glibc["verdict"], "not-applicable");
    assert_eq!(
        glibc["load"]["not_loaded"],
        "platform package for glibc (fast-linux-x64-gnu); on musl, fast's loader requires fast-linux-x64-musl"
    );
    // The unplugged package is read where Node loads it, not from its archive.
    let archived: Vec<&str> = artifacts(&report)
        .iter()
        .filter_map(|a| a["path"].as_str())
        .filter(|path| path.contains(".zip!/"))
        .collect();
    assert_eq!(
        archived,
        [".yarn/cache/fast-npm-1.0.0-0123456789-abcdef0123.zip!/node_modules/fast/package.json"]
    );

    // Installed for both libcs (`supportedArchitectures`), it loads as it is.
    let musl = br#"{"name":"fast-linux-x64-musl","version":"1.0.0","os":["linux"],"cpu":["x64"],"libc":["musl"]}"#;
    let unplugged =
        ".yarn/unplugged/fast-linux-x64-musl-npm-1.0.0-1111111111/node_modules/fast-linux-x64-musl";
    write(&format!("{unplugged}/package.json"), musl);
    write(
        &format!("{unplugged}/fast.node"),
        &napi_addon(&["libc.musl-x86_64.so.1"]),
    );
    let (report, status) = json_scan(project.path(), &["--offline"]);
    assert_eq!(status, 0, "{report:#}");
    assert_eq!(
        by_suffix(&report, "fast-linux-x64-musl/fast.node")["verdict"],
        "ok"
    );
}

/// `muslcheck matrix --offline` of `path` on x86_64, as JSON.
fn offline_matrix(path: &Path) -> Value {
    json_of(&cli(&[
        "matrix",
        "--offline",
        "--arch",
        "x86_64",
        "--format",
        "json",
        path.to_str().unwrap(),
    ]))
}

/// A tree installed with `npm ci --ignore-scripts` holds no addon of the
/// packages that make theirs at install: they load nowhere as they are, and
/// `npm ci` on a glibc image compiles or downloads them too (batch 14 npm
/// F16: the matrix said the tree runs as it is on Debian, Ubuntu, distroless).
#[test]
fn packages_whose_install_script_did_not_run_are_made_on_every_libc() {
    let project = tempfile::tempdir().unwrap();
    let write = |path: &str, bytes: &[u8]| {
        let to = project.path().join("node_modules").join(path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, bytes).unwrap();
    };
    let gyp = b"{'targets':[{'target_name':'addon','sources':['addon.cc']}]}";
    write(
        "compiles/package.json",
        br#"{"name":"compiles","version":"1.0.0","scripts":{"install":"node-gyp rebuild"}}"#,
    );
    write("compiles/binding.gyp", gyp);
    write(
        "downloads/package.json",
        br#"{"name":"downloads","version":"2.0.0","scripts":{"install":"prebuild-install || node-gyp rebuild"}}"#,
    );
    write("downloads/binding.gyp", gyp);
    // Its install script ran: the addon it built is judged as it is.
    write(
        "built/package.json",
        br#"{"name":"built","version":"3.0.0","scripts":{"install":"node-gyp rebuild"}}"#,
    );
    write("built/binding.gyp", gyp);
    write(
        "built/build/Release/addon.node",
        &napi_addon(&["libc.so.6"]),
    );

    let (report, status) = json_scan(project.path(), &["--offline", "--target", "debian:12-slim"]);
    assert_eq!(status, 0, "{report:#}");
    let compiles = common::decision(&report, "compiles");
    assert_eq!(compiles["reinstalled"]["reinstall"], "source-build");
    assert_eq!(
        compiles["reinstalled"]["build_packages"],
        serde_json::json!(["build-essential", "python3"])
    );
    let kinds: Vec<&str> = compiles["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["build-dependencies", "reinstall-on-target"]);
    let downloads = common::decision(&report, "downloads");
    assert_eq!(downloads["reinstalled"]["reinstall"], "glibc-build");
    assert!(
        downloads["reinstalled"]["detail"]
            .as_str()
            .unwrap()
            .starts_with(
                "prebuild-install (GitHub releases) downloads the release's glibc build at install"
            ),
        "{downloads:#}"
    );
    // The built addon loads: nothing to do for it.
    let built = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["package"]["name"] == "built");
    assert!(
        built.is_none_or(|d| d["actions"].as_array().is_none_or(Vec::is_empty)),
        "{built:#?}"
    );

    // The matrix: no image runs the tree as it is.
    let matrix = offline_matrix(project.path());
    let targets = matrix["targets"].as_array().unwrap();
    let debian = targets
        .iter()
        .find(|t| t["target"]["name"] == "debian:12-slim (glibc 2.36)")
        .unwrap();
    assert_eq!(debian["runs_as_is"], false);
    assert_eq!(debian["runs_after_plan"], true);
    assert!(targets.iter().all(|t| t["runs_as_is"] == false));
    // A download alone, which every libc's reinstall gets, keeps it so too.
    let without_compiles = tempfile::tempdir().unwrap();
    let modules = without_compiles.path().join("node_modules/downloads");
    std::fs::create_dir_all(&modules).unwrap();
    for file in ["package.json", "binding.gyp"] {
        std::fs::copy(
            project.path().join("node_modules/downloads").join(file),
            modules.join(file),
        )
        .unwrap();
    }
    let matrix = offline_matrix(without_compiles.path());
    let targets = matrix["targets"].as_array().unwrap();
    assert!(
        targets.iter().all(|t| t["runs_as_is"] == false),
        "{matrix:#}"
    );

    // On Alpine, each says it was not built here rather than not installed.
    let text = stdout(&muslcheck(project.path(), &["--offline"]));
    let line = text
        .lines()
        .find(|l| l.starts_with("compiles 1.0.0"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("not built here"), "{line}");
    // Whatever it downloads there, only an install on the target makes it.
    let line = text
        .lines()
        .find(|l| l.starts_with("downloads 2.0.0"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("not built here"), "{line}");
    assert!(line.ends_with("npm ci on the target"), "{line}");
}

/// Yarn 4 keeps a Plug'n'Play install's archives in its global cache by
/// default, outside the project (batch 15 npm N11): the runtime says where,
/// the scan says it did not read them, and reads them when that folder is
/// given too, whatever its name.
#[test]
fn a_yarn_pnp_install_with_the_global_cache_says_where_its_packages_are() {
    let top = tempfile::tempdir().unwrap();
    let project = top.path().join("app");
    let write = |path: &Path, bytes: &[u8]| {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    };
    let parent = br#"{"name":"fast","version":"1.0.0","optionalDependencies":{"fast-linux-x64-gnu":"1.0.0","fast-linux-x64-musl":"1.0.0"}}"#;
    let archive = "fast-npm-1.0.0-0123456789-10c0.zip";
    let global = top.path().join("berry/cache");
    write(
        &global.join(archive),
        &zip_of(&[("node_modules/fast/package.json", parent)]),
    );
    let gnu = br#"{"name":"fast-linux-x64-gnu","version":"1.0.0","os":["linux"],"cpu":["x64"],"libc":["glibc"]}"#;
    let unplugged = project.join(
        ".yarn/unplugged/fast-linux-x64-gnu-npm-1.0.0-9876543210/node_modules/fast-linux-x64-gnu",
    );
    write(&unplugged.join("package.json"), gnu);
    write(&unplugged.join("fast.node"), &napi_addon(&["libc.so.6"]));
    let runtime = format!(
        "const RAW_RUNTIME_STATE =\n'{{\"packageRegistryData\": [\\\n  [\"fast\", [[\"npm:1.0.0\", {{\\\n    \"packageLocation\": \"../berry/cache/{archive}/node_modules/fast/\",\\\n    \"packageDependencies\": []}}]]]]}}';\n"
    );
    write(&project.join(".pnp.cjs"), runtime.as_bytes());

    let (report, _) = json_scan(&project, &["--offline"]);
    let note = finding(common::artifact(&report, ".pnp.cjs"), "MC007");
    assert!(
        note["message"].as_str().unwrap().starts_with(
            "1 of the packages of this Plug'n'Play install are archives in ../berry/cache"
        ),
        "{note:#}"
    );
    let output = cli(&[
        "--offline",
        "--arch",
        "x86_64",
        "--format",
        "json",
        project.to_str().unwrap(),
        global.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let report = json_of(&output);
    assert_eq!(
        common::decision(&report, "fast")["as_is"]["verdict"],
        "breaks"
    );
    assert!(
        artifact_where(&report, |a| a["path"]
            .as_str()
            .is_some_and(|p| p.ends_with(".pnp.cjs")))
        .is_none(),
        "{report:#}"
    );
}

/// A package compiled at install whose libraries the known-problem table
/// names for Alpine (canvas: cairo-dev, pango-dev …) needs their Debian
/// development packages on Debian (batch 15 PyPI F5, npm side): the plan
/// said `build-essential python3` only, and node-gyp stopped at cairo's
/// missing headers. Where the image's names are not known (UBI), the answer
/// says which Alpine packages it needs an equivalent of.
#[test]
fn a_compiled_package_gets_the_development_packages_of_its_libraries_by_the_images_names() {
    let project = tempfile::tempdir().unwrap();
    common::write_canvas_not_built(project.path());

    let (debian, _) = json_scan(project.path(), &["--offline", "--target", "debian:12-slim"]);
    let decision = common::decision(&debian, "canvas");
    assert_eq!(
        decision["reinstalled"]["reinstall"], "source-build",
        "{decision:#}"
    );
    let packages: Vec<&str> = decision["reinstalled"]["build_packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    for wanted in [
        "build-essential",
        "python3",
        "libcairo2-dev",
        "libpango1.0-dev",
        "libjpeg-dev",
        "libgif-dev",
        "pkg-config",
    ] {
        assert!(packages.contains(&wanted), "{wanted} missing: {packages:?}");
    }
    assert!(
        !packages
            .iter()
            .any(|p| p.ends_with("-dev") && !p.starts_with("lib")),
        "{packages:?}"
    );

    let (ubi, _) = json_scan(project.path(), &["--offline", "--target", "ubi9"]);
    let decision = common::decision(&ubi, "canvas");
    assert_eq!(
        decision["reinstalled"]["build_packages"],
        serde_json::json!(["gcc", "gcc-c++", "make", "python3"])
    );
    let detail = decision["reinstalled"]["detail"].as_str().unwrap();
    assert!(
        detail.contains("Alpine's pkgconf cairo-dev pango-dev jpeg-dev giflib-dev install"),
        "{detail}"
    );
}

/// A project installed with pnpm whose packages compile (or download their
/// build) in their install scripts: pnpm 10 runs no dependency's scripts
/// unless package.json's `pnpm.onlyBuiltDependencies` lists it, so the
/// plan's `pnpm install` would leave canvas unbuilt and say only "Ignored
/// build scripts" (batch 15 npm N3). The plan names what to allow; a
/// package-lock.json's `npm ci` runs them anyway and names nothing.
#[test]
fn a_pnpm_plan_names_the_packages_whose_install_scripts_must_run() {
    let project = tempfile::tempdir().unwrap();
    common::write_canvas_not_built(project.path());
    std::fs::write(
        project.path().join("pnpm-lock.yaml"),
        "lockfileVersion: '9.0'\n\nimporters:\n  .:\n    dependencies:\n      canvas:\n        \
         specifier: 2.11.2\n        version: 2.11.2\n\npackages:\n  canvas@2.11.2:\n    \
         resolution: {integrity: sha512-x}\n\nsnapshots:\n  canvas@2.11.2: {}\n",
    )
    .unwrap();

    let args = ["--offline", "--target", "alpine:3.20"];
    let (report, _) = json_scan(project.path(), &args);
    let reinstall = &report["plan"]["reinstall"];
    assert_eq!(
        reinstall,
        &serde_json::json!([{
            "command": "pnpm install --frozen-lockfile",
            "packages": ["canvas 2.11.2"],
            "only_built_dependencies": ["canvas"]
        }]),
        "{reinstall:#}"
    );
    let text = stdout(&muslcheck(project.path(), &args));
    assert!(
        text.contains(r#""pnpm": {"onlyBuiltDependencies": ["canvas"]}"#),
        "{text}"
    );

    std::fs::remove_file(project.path().join("pnpm-lock.yaml")).unwrap();
    let (report, _) = json_scan(project.path(), &args);
    let reinstall = &report["plan"]["reinstall"][0];
    assert_eq!(
        reinstall["command"], "npm install canvas@2.11.2",
        "{reinstall:#}"
    );
    assert!(
        reinstall.get("only_built_dependencies").is_none(),
        "{reinstall:#}"
    );
}
