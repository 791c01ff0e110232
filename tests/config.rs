//! `muslcheck.toml` and `[tool.muslcheck]`: settings, ignore rules, and the
//! command line over the file.

mod common;

use common::{codes_at, copy_fixture, json_scan, muslcheck, paths, stderr, stdout};

/// A project with the same glibc program in `vendor/` and `bin/`, and a
/// glibc-only addon in `node_modules/bcrypt` 5.1.1.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["vendor", "bin"] {
        copy_fixture("bin/hello-glibc", &dir.path().join(sub).join("hello"));
    }
    copy_fixture("lib/libglibcisms.so", &dir.path().join(ADDON));
    std::fs::write(
        dir.path().join("node_modules/bcrypt/package.json"),
        r#"{"name": "bcrypt", "version": "5.1.1"}"#,
    )
    .unwrap();
    dir
}

const ADDON: &str = "node_modules/bcrypt/lib/binding/napi-v3/bcrypt_lib.node";

#[test]
fn ignore_by_code_and_path_glob() {
    let dir = project();
    let (before, _) = json_scan(dir.path(), &[]);
    assert!(codes_at(&before, "vendor/hello").contains(&"MC102".to_string()));

    std::fs::write(
        dir.path().join("muslcheck.toml"),
        "[[ignore]]\ncode = \"MC102\"\npath = \"vendor/**\"\nreason = \"build stage only\"\n",
    )
    .unwrap();
    let (after, code) = json_scan(dir.path(), &[]);
    assert!(!codes_at(&after, "vendor/hello").contains(&"MC102".to_string()));
    assert!(
        codes_at(&after, "vendor/hello").contains(&"MC101".to_string()),
        "only the named code is accepted"
    );
    assert!(
        codes_at(&after, "bin/hello").contains(&"MC102".to_string()),
        "only under the glob"
    );
    assert_eq!(after["summary"]["ignored"], 1);
    assert_eq!(code, 1);
}

#[test]
fn ignore_by_package_and_version_range() {
    let dir = project();
    let config = dir.path().join("muslcheck.toml");
    let rule = |version: &str| {
        format!(
            "exclude = [\"vendor/**\", \"bin/**\"]\n[[ignore]]\npackage = \"bcrypt\"\nversion = \"{version}\"\nreason = \"replaced by bcryptjs on Alpine\"\n"
        )
    };
    std::fs::write(&config, rule("<5")).unwrap();
    let (report, code) = json_scan(dir.path(), &[]);
    assert!(!codes_at(&report, ADDON).is_empty(), "5.1.1 is not <5");
    assert_eq!(code, 1);

    std::fs::write(&config, rule(">=5, <6")).unwrap();
    let (report, code) = json_scan(dir.path(), &[]);
    assert!(codes_at(&report, ADDON).is_empty(), "{report:#}");
    assert!(report["summary"]["ignored"].as_u64().unwrap() >= 1);
    assert_eq!(code, 0, "the only failing file is accepted");
}

#[test]
fn unknown_keys_and_bad_rules_exit_2_naming_them() {
    let dir = project();
    let config = dir.path().join("muslcheck.toml");
    let cases = [
        ("traget = \"alpine:3.20\"\n", "traget"),
        ("[[ignore]]\ncode = \"MC102\"\nwhy = \"x\"\n", "why"),
        ("[[ignore]]\ncode = \"MC102\"\n", "reason"),
        ("[[ignore]]\ncode = \"MC999\"\nreason = \"x\"\n", "MC999"),
        ("target = \"alpine:2.0\"\n", "target"),
    ];
    for (text, named) in cases {
        std::fs::write(&config, text).unwrap();
        let output = muslcheck(dir.path(), &[]);
        let complaint = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{text}: {complaint}");
        assert!(complaint.contains(named), "{text}: {complaint}");
        assert!(
            complaint.contains("muslcheck.toml"),
            "names the file: {complaint}"
        );
    }
    // --no-config skips the broken file.
    let output = muslcheck(dir.path(), &["--no-config"]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn command_line_overrides_the_file() {
    let dir = project();
    std::fs::write(
        dir.path().join("muslcheck.toml"),
        "target = \"alpine:3.18\"\nfail-on = \"never\"\n",
    )
    .unwrap();
    let (report, code) = json_scan(dir.path(), &[]);
    assert_eq!(report["target"]["musl"], "1.2.4", "{}", report["target"]);
    assert_eq!(code, 0, "fail-on = never from the file");

    let (report, code) = json_scan(
        dir.path(),
        &["--target", "musl:1.2.3", "--fail-on", "error"],
    );
    assert_eq!(report["target"]["musl"], "1.2.3");
    assert_eq!(code, 1);
}

#[test]
fn pyproject_tool_table_is_read_and_an_explicit_config_wins() {
    let dir = project();
    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname = \"app\"\n\n[tool.muslcheck]\nexclude = [\"node_modules/**\", \"bin/**\"]\n\n[[tool.muslcheck.ignore]]\ncode = \"MC101\"\nreason = \"runs under gcompat\"\n",
    )
    .unwrap();
    let (report, _) = json_scan(dir.path(), &[]);
    assert_eq!(paths(&report), ["vendor/hello"]);
    assert!(!codes_at(&report, "vendor/hello").contains(&"MC101".to_string()));

    let elsewhere = tempfile::tempdir().unwrap();
    let explicit = elsewhere.path().join("strict.toml");
    std::fs::write(&explicit, "exclude = [\"vendor/**\"]\n").unwrap();
    let (report, _) = json_scan(dir.path(), &["--config", explicit.to_str().unwrap()]);
    assert!(codes_at(&report, "vendor/hello").is_empty());
    assert!(!codes_at(&report, "bin/hello").is_empty());
}

#[test]
fn quiet_prints_only_the_summary() {
    let dir = project();
    let output = muslcheck(dir.path(), &["--quiet"]);
    let text = stdout(&output);
    assert_eq!(text.trim().lines().count(), 1, "{text}");
    assert!(text.contains("files walked"), "{text}");
    assert_eq!(output.status.code(), Some(1));
}
