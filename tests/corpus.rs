//! Facts and verdicts for every fixture in corpus/ (built by corpus/build.sh).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

fn scan_json(args: &[&str]) -> (Value, i32) {
    let output = Command::cargo_bin("muslcheck")
        .unwrap()
        .args(["--format", "json", "--arch", "x86_64"])
        // Large third-party trees fetched by scripts are tested on their own.
        .args(["--exclude", "thirdparty/fetched/**"])
        .args(args)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "not JSON ({err}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    (json, output.status.code().unwrap_or(-1))
}

fn artifact<'a>(report: &'a Value, path: &str) -> &'a Value {
    report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == path)
        .unwrap_or_else(|| panic!("{path} not in the report"))
}

fn codes(artifact: &Value) -> Vec<String> {
    artifact["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn missing_symbol_names(artifact: &Value, code: &str) -> Vec<String> {
    artifact["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .flat_map(|f| {
            f["evidence"]["symbols"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_fixture_gets_the_expected_verdict() {
    let (report, status) = scan_json(&[corpus().to_str().unwrap()]);
    assert_eq!(status, 1, "errors were found, so exit 1");
    let expected = [
        ("bin/hello-glibc", "breaks"),
        ("bin/hello-musl", "ok"),
        ("bin/hello-static-glibc", "ok"),
        ("bin/hello-static-musl", "ok"),
        ("bin/hello-static-pie", "ok"),
        ("bin/hello-aarch64-glibc", "breaks"),
        ("bin/uses-fortified", "breaks"),
        ("bin/cxx-shared-ptr-nopie", "breaks"),
        ("lib/libplain.so", "ok"),
        ("lib/libplain-musl.so", "ok"),
        ("lib/libfortified.so", "breaks"),
        ("lib/libcxx-shared-ptr.so", "breaks"),
        ("lib/libfcntl64.so", "breaks"),
        ("lib/liblfs64.so", "ok"),
        ("lib/libifunc.so", "breaks"),
        ("lib/libglibcisms.so", "breaks"),
        ("lib/libmissing-dep.so", "breaks"),
        ("lib/libuses-crypt.so", "breaks"),
        ("python/demo.cpython-311-x86_64-linux-gnu.so", "ok"),
        ("node/addon.node", "ok"),
        ("lib/libarc4random.so", "breaks"),
        ("lib/libweak-undefined.so", "ok"),
        ("lib/libuses-resolv.so", "breaks"),
        ("lib/libfallocate64.so", "ok"),
        ("lib/libchain-musl.so", "ok"),
        ("bin/uses-cxx", "breaks"),
        ("bad/truncated.so", "unknown"),
    ];
    for (path, verdict) in expected {
        assert_eq!(artifact(&report, path)["verdict"], verdict, "{path}");
    }
    // A text file with a library's name is sniffed and dropped, not reported.
    assert!(
        report["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["path"] != "bad/libfake.so.1")
    );
    assert_eq!(report["schema_version"], muslcheck::SCHEMA_VERSION);
}

#[test]
fn glibc_executable_gets_mc101_and_names_its_interpreter() {
    let (report, _) = scan_json(&[corpus().to_str().unwrap()]);
    let hello = artifact(&report, "bin/hello-glibc");
    assert!(codes(hello).contains(&"MC101".to_string()));
    let facts = &hello["facts"];
    assert_eq!(facts["interpreter"], "/lib64/ld-linux-x86-64.so.2");
    assert_eq!(facts["linkage"], "dynamic");
    assert_eq!(facts["libc"]["kind"], "glibc");
    assert_eq!(facts["needed"], serde_json::json!(["libc.so.6"]));
    let needs = facts["version_needs"].as_array().unwrap();
    assert_eq!(needs[0]["library"], "libc.so.6");
    assert!(
        needs[0]["versions"]
            .as_array()
            .unwrap()
            .contains(&Value::from("GLIBC_2.2.5"))
    );
    assert!(facts["max_glibc"].as_str().unwrap().starts_with("GLIBC_2."));
    assert!(
        facts["required_symbols"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "__snprintf_chk" && s["version"] == "GLIBC_2.3.4")
    );
}

#[test]
fn wrong_architecture_gets_mc104() {
    let (report, _) = scan_json(&[corpus().to_str().unwrap()]);
    let arm = artifact(&report, "bin/hello-aarch64-glibc");
    assert_eq!(codes(arm), ["MC104"]);
    assert_eq!(arm["facts"]["arch"], "aarch64");
    // Scanned for aarch64, the same file is judged on its symbols instead.
    let (report, _) = Command::cargo_bin("muslcheck")
        .unwrap()
        .args(["--format", "json", "--arch", "aarch64"])
        .arg(corpus().join("bin/hello-aarch64-glibc"))
        .output()
        .map(|o| (serde_json::from_slice::<Value>(&o.stdout).unwrap(), ()))
        .unwrap();
    let arm = &report["artifacts"][0];
    assert!(codes(arm).contains(&"MC101".to_string()));
    assert!(!codes(arm).contains(&"MC104".to_string()));
}

#[test]
fn static_and_static_pie_are_recognised() {
    let (report, _) = scan_json(&[corpus().to_str().unwrap()]);
    assert_eq!(
        artifact(&report, "bin/hello-static-glibc")["facts"]["linkage"],
        "static"
    );
    assert_eq!(
        artifact(&report, "bin/hello-static-glibc")["facts"]["libc"]["kind"],
        "glibc"
    );
    assert_eq!(
        artifact(&report, "bin/hello-static-pie")["facts"]["linkage"],
        "static-pie"
    );
    assert_eq!(
        artifact(&report, "bin/hello-musl")["facts"]["libc"]["kind"],
        "musl"
    );
}

#[test]
fn fortified_library_names_the_chk_symbols_and_gcompat_rescues_it() {
    let lib = corpus().join("lib/libfortified.so");
    let (report, status) = scan_json(&[lib.to_str().unwrap()]);
    assert_eq!(status, 1);
    let file = &report["artifacts"][0];
    let mut missing = missing_symbol_names(file, "MC102");
    missing.sort();
    assert_eq!(missing, ["__memcpy_chk", "__sprintf_chk", "__strcpy_chk"]);

    let (report, status) = scan_json(&["--gcompat", lib.to_str().unwrap()]);
    assert_eq!(status, 0, "needs-gcompat is not an error");
    let file = &report["artifacts"][0];
    assert_eq!(file["verdict"], "needs-gcompat");
    let gcompat = file["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "MC401")
        .expect("MC401 lists what gcompat supplies");
    let mut supplied: Vec<&str> = gcompat["evidence"]["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    supplied.sort();
    assert_eq!(supplied, ["__memcpy_chk", "__sprintf_chk", "__strcpy_chk"]);
}

#[test]
fn single_threaded_flag_names_its_glibc_version() {
    let (report, _) = scan_json(&[corpus().join("lib/libcxx-shared-ptr.so").to_str().unwrap()]);
    let file = &report["artifacts"][0];
    let symbols = file["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "MC102")
        .map(|f| f["evidence"]["symbols"].clone())
        .unwrap();
    let single = symbols
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "__libc_single_threaded")
        .unwrap();
    assert_eq!(single["glibc_since"], "GLIBC_2.32");
    assert_eq!(single["expected_library"], "libc.so.6");
    // The C++ names themselves are all in Alpine's libstdc++: only the libc name misses.
    assert_eq!(symbols.as_array().unwrap().len(), 1);
    assert!(codes(file).contains(&"MC107".to_string()));
}

#[test]
fn copy_relocated_data_is_still_required() {
    let (report, _) = scan_json(&[corpus().join("bin/cxx-shared-ptr-nopie").to_str().unwrap()]);
    let file = &report["artifacts"][0];
    let single = file["facts"]["required_symbols"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "__libc_single_threaded")
        .expect("the copy-relocated symbol is required");
    assert_eq!(single["copy_relocation"], true);
    assert!(missing_symbol_names(file, "MC102").contains(&"__libc_single_threaded".to_string()));
}

#[test]
fn fcntl64_breaks_everywhere_and_stat64_loads_through_the_redirect() {
    for target in ["musl:1.2.3", "musl:1.2.4", "musl:1.2.5", "musl:1.2.6"] {
        let (report, _) = scan_json(&[
            "--target",
            target,
            corpus().join("lib/libfcntl64.so").to_str().unwrap(),
        ]);
        assert_eq!(report["artifacts"][0]["verdict"], "breaks", "{target}");
    }
    let (report, _) = scan_json(&[
        "--target",
        "alpine:3.18",
        corpus().join("lib/liblfs64.so").to_str().unwrap(),
    ]);
    let file = &report["artifacts"][0];
    assert_eq!(file["verdict"], "ok");
    let redirects = file["load"]["lfs64_redirects"].as_array().unwrap();
    assert!(redirects.contains(&serde_json::json!(["stat64", "stat"])));
    let (report, _) = scan_json(&[
        "--target",
        "alpine:3.17",
        corpus().join("lib/liblfs64.so").to_str().unwrap(),
    ]);
    let file = &report["artifacts"][0];
    assert_eq!(file["verdict"], "ok");
    assert!(
        file["load"].get("lfs64_redirects").is_none(),
        "1.2.3 exports stat64"
    );
}

#[test]
fn ifunc_relocation_is_refused() {
    let (report, _) = scan_json(&[corpus().join("lib/libifunc.so").to_str().unwrap()]);
    let file = &report["artifacts"][0];
    assert_eq!(codes(file), ["MC106"]);
    assert_eq!(
        file["findings"][0]["evidence"]["relocations"][0]["r_type"],
        37
    );
    assert_eq!(
        file["findings"][0]["loader_messages"][0],
        format!(
            "Error relocating {}: unsupported relocation type 37",
            corpus().join("lib/libifunc.so").display()
        )
    );
}

#[test]
fn dependency_found_through_runpath_breaks_its_user() {
    let (report, _) = scan_json(&[corpus().to_str().unwrap()]);
    let user = artifact(&report, "bin/uses-fortified");
    let dependency = user["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "MC105")
        .expect("MC105");
    assert_eq!(dependency["evidence"]["path"], "lib/libfortified.so");
    let loaded = user["load"]["libraries"].as_array().unwrap();
    assert!(loaded.contains(&serde_json::json!([
        "libfortified.so",
        "lib/libfortified.so"
    ])));
}

#[test]
fn host_symbols_come_from_the_interpreter() {
    let (report, _) = scan_json(&[corpus().to_str().unwrap()]);
    let python = artifact(&report, "python/demo.cpython-311-x86_64-linux-gnu.so");
    assert_eq!(python["host"]["kind"], "cpython");
    assert_eq!(python["load"]["from_host"], 1);
    let node = artifact(&report, "node/addon.node");
    assert_eq!(node["host"]["kind"], "node");
    assert!(
        node["host"]["evidence"]
            .as_str()
            .unwrap()
            .contains("napi_register_module_v1")
    );
}

#[test]
fn libcrypt_needs_gcompat() {
    let lib = corpus().join("lib/libuses-crypt.so");
    let (report, _) = scan_json(&[lib.to_str().unwrap()]);
    assert_eq!(codes(&report["artifacts"][0]), ["MC103"]);
    let (report, status) = scan_json(&["--gcompat", lib.to_str().unwrap()]);
    assert_eq!(report["artifacts"][0]["verdict"], "needs-gcompat");
    assert_eq!(status, 0);
}

#[test]
fn text_report_shows_the_loader_message_and_a_summary() {
    let output = Command::cargo_bin("muslcheck")
        .unwrap()
        .args(["--arch", "x86_64"])
        .arg(corpus())
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("Error relocating lib/libfortified.so: __memcpy_chk: symbol not found"));
    assert!(text.contains("sh: bin/hello-glibc: not found"));
    let summary = text.lines().last().unwrap();
    assert!(summary.contains("files walked"), "{summary}");
    assert!(summary.contains("breaks"), "{summary}");
    assert!(!text.contains("\x1b["), "no colour when not a terminal");
}

#[test]
fn posix_fallocate64_fails_only_where_the_redirect_is_broken() {
    let lib = corpus().join("lib/libfallocate64.so");
    for (target, verdict) in [
        ("musl:1.2.3", "ok"),
        ("musl:1.2.4", "breaks"),
        ("alpine:3.20", "breaks"),
        ("alpine:3.24", "ok"),
    ] {
        let (report, _) = scan_json(&["--target", target, lib.to_str().unwrap()]);
        assert_eq!(report["artifacts"][0]["verdict"], verdict, "{target}");
    }
}

#[test]
fn arc4random_breaks_even_with_gcompat() {
    let lib = corpus().join("lib/libarc4random.so");
    let (report, status) = scan_json(&["--gcompat", lib.to_str().unwrap()]);
    assert_eq!(status, 1);
    let file = &report["artifacts"][0];
    assert_eq!(file["verdict"], "breaks");
    let symbols = &file["findings"][0]["evidence"]["symbols"][0];
    assert_eq!(symbols["name"], "arc4random");
    assert_eq!(symbols["glibc_since"], "GLIBC_2.36");
    assert_eq!(symbols["gcompat_provides"], false);
}

#[test]
fn weak_undefined_symbols_never_fail() {
    let (report, _) = scan_json(&[corpus().join("lib/libweak-undefined.so").to_str().unwrap()]);
    let file = &report["artifacts"][0];
    assert!(
        file["facts"]["required_symbols"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "optional_hook" && s["weak"] == true)
    );
    assert_eq!(file["verdict"], "ok");
}

#[test]
fn musl_library_may_load_a_glibc_library_that_only_uses_common_names() {
    let (report, _) = scan_json(&[corpus().to_str().unwrap()]);
    let chain = artifact(&report, "lib/libchain-musl.so");
    assert_eq!(chain["facts"]["libc"]["kind"], "musl");
    let loaded = chain["load"]["libraries"].as_array().unwrap();
    assert!(loaded.contains(&serde_json::json!(["libplain.so", "lib/libplain.so"])));
}

#[test]
fn gcompat_does_not_reach_libraries_loaded_by_alpines_own_python() {
    // gcompat 1.1.0 exports __libc_single_threaded, so a glibc C++ library loaded
    // by a glibc program (through gcompat's loader stub) loads with --gcompat;
    // the same library inside site-packages is loaded by Alpine's musl python,
    // which does not preload gcompat, so it breaks even with --gcompat.
    let (report, _) = scan_json(&[
        "--gcompat",
        corpus().join("lib/libcxx-shared-ptr.so").to_str().unwrap(),
    ]);
    assert_eq!(report["artifacts"][0]["verdict"], "needs-gcompat");

    let venv = tempfile::tempdir().unwrap();
    let package = venv.path().join("lib/python3.12/site-packages/pkg");
    std::fs::create_dir_all(&package).unwrap();
    std::fs::copy(
        corpus().join("lib/libcxx-shared-ptr.so"),
        package.join("libcxx-shared-ptr.so"),
    )
    .unwrap();
    let (report, status) = scan_json(&["--gcompat", venv.path().to_str().unwrap()]);
    assert_eq!(status, 1);
    let file = &report["artifacts"][0];
    assert_eq!(file["verdict"], "breaks");
    assert!(missing_symbol_names(file, "MC102").contains(&"__libc_single_threaded".to_string()));
    assert!(
        file["load"]["gcompat_reach"]
            .as_str()
            .unwrap()
            .contains("not preloaded")
    );
}
