//! The scanned tree may carry its own `muslcheck.toml`: in CI that file comes
//! with the pull request. It is still read, but what it changes is said on
//! stderr (one line even with `--quiet` when it lowers `fail-on`, ignores
//! findings, excludes paths or follows links), `--no-config` and `--config`
//! take it out of the tree's hands, and `follow-symlinks` never leaves the
//! scanned paths. Non-UTF-8 file names stay distinct in paths and baselines.

mod common;

use std::path::Path;

use common::{artifact, codes, codes_at, corpus, json_scan, muslcheck, stderr};

/// A tree with the same glibc program (MC101 + MC102) in `vendor/` and `bin/`.
fn project(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["vendor", "bin"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
        std::fs::copy(
            corpus("bin/hello-glibc"),
            dir.path().join(sub).join("hello"),
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("muslcheck.toml"), config).unwrap();
    dir
}

/// The stderr lines that name the config file.
fn config_lines(output: &std::process::Output) -> Vec<String> {
    stderr(output)
        .lines()
        .filter(|line| line.contains("muslcheck.toml"))
        .map(String::from)
        .collect()
}

#[test]
fn a_discovered_config_that_lowers_fail_on_is_announced_even_when_quiet() {
    let dir = project("fail-on = \"never\"\n");

    let output = muslcheck(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "the file is still honoured");
    let lines = config_lines(&output);
    assert!(
        lines.iter().any(|l| l.contains("found in the scanned")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("fail-on = \"never\"") && l.contains("no finding can fail")),
        "{lines:#?}"
    );

    let output = muslcheck(dir.path(), &["--quiet"]);
    assert_eq!(output.status.code(), Some(0));
    let lines = config_lines(&output);
    assert_eq!(lines.len(), 1, "{}", stderr(&output));
    let line = &lines[0];
    assert!(
        line.contains("lowered fail-on to never") && line.contains("--no-config"),
        "{line}"
    );

    let output = muslcheck(dir.path(), &["--no-config"]);
    assert_eq!(output.status.code(), Some(1), "the findings fail the scan");
    assert!(config_lines(&output).is_empty(), "{}", stderr(&output));

    // The command line wins, and then the file lowered nothing.
    let output = muslcheck(dir.path(), &["--quiet", "--fail-on", "error"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(config_lines(&output).is_empty(), "{}", stderr(&output));
}

#[test]
fn ignored_findings_are_counted_per_rule() {
    let dir = project(concat!(
        "[[ignore]]\ncode = \"MC102\"\npath = \"**\"\nreason = \"trust me\"\n\n",
        "[[ignore]]\npackage = \"left-pad\"\nreason = \"unused\"\n",
    ));
    let output = muslcheck(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(1), "MC101 still fails");
    let lines = config_lines(&output);
    assert!(
        lines.iter().any(|l| l.contains("[[ignore]] #1")
            && l.contains("code = \"MC102\", path = \"**\"")
            && l.contains("2 finding(s) ignored")
            && l.contains("trust me")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("[[ignore]] #2") && l.contains("0 finding(s) ignored")),
        "{lines:#?}"
    );

    let output = muslcheck(dir.path(), &["--quiet"]);
    let lines = config_lines(&output);
    assert_eq!(lines.len(), 1, "{}", stderr(&output));
    assert!(lines[0].contains("ignored 2 finding(s)"), "{}", lines[0]);
}

#[test]
fn excludes_and_gcompat_from_a_discovered_config_are_announced() {
    let dir = project("exclude = [\"vendor/**\"]\ngcompat = true\nall-files = true\n");
    let output = muslcheck(dir.path(), &["--quiet"]);
    let lines = config_lines(&output);
    assert_eq!(lines.len(), 1, "{}", stderr(&output));
    assert!(
        lines[0].contains("excluded vendor/**") && lines[0].contains("assumed gcompat"),
        "{}",
        lines[0]
    );
    let output = muslcheck(dir.path(), &[]);
    let lines = config_lines(&output);
    assert!(
        lines.iter().any(|l| l.contains("all-files = true")),
        "every setting is named: {lines:#?}"
    );
}

#[test]
fn a_config_that_changes_nothing_dangerous_is_silent_when_quiet() {
    let dir = project("target = \"alpine:3.20\"\nfail-on = \"warning\"\n");
    let output = muslcheck(dir.path(), &["--quiet"]);
    assert!(config_lines(&output).is_empty(), "{}", stderr(&output));
    let output = muslcheck(dir.path(), &[]);
    let lines = config_lines(&output);
    assert!(
        lines.iter().any(|l| l.contains("target = \"alpine:3.20")),
        "{lines:#?}"
    );
}

#[test]
fn an_explicit_config_is_named_but_not_flagged() {
    let dir = project("target = \"alpine:3.20\"\n");
    let trusted_dir = tempfile::tempdir().unwrap();
    let trusted = trusted_dir.path().join("ci-muslcheck.toml");
    std::fs::write(&trusted, "fail-on = \"never\"\n").unwrap();
    let trusted_arg = trusted.to_str().unwrap();

    let output = muslcheck(dir.path(), &["--config", trusted_arg]);
    assert_eq!(output.status.code(), Some(0));
    let text = stderr(&output);
    assert!(
        text.contains("ci-muslcheck.toml") && !text.contains("found in the scanned"),
        "{text}"
    );
    assert!(
        !text.contains(&dir.path().join("muslcheck.toml").display().to_string()),
        "the tree's own file is not read: {text}"
    );
    let output = muslcheck(dir.path(), &["--quiet", "--config", trusted_arg]);
    assert!(
        !stderr(&output).contains("ci-muslcheck.toml"),
        "{}",
        stderr(&output)
    );
}

/// A tree whose links lead inside and outside it, and the outside place.
#[cfg(unix)]
fn linked_tree(config: &str) -> (tempfile::TempDir, tempfile::TempDir) {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir(outside.path().join("lib")).unwrap();
    std::fs::copy(
        corpus("lib/libglibcisms.so"),
        outside.path().join("lib/libhost.so"),
    )
    .unwrap();
    std::fs::copy(corpus("bin/hello-glibc"), outside.path().join("hello")).unwrap();

    let dir = project(config);
    std::fs::create_dir(dir.path().join("real")).unwrap();
    std::fs::copy(
        corpus("lib/libfortified.so"),
        dir.path().join("real/libinside.so"),
    )
    .unwrap();
    symlink(dir.path().join("real"), dir.path().join("inside-dir")).unwrap();
    symlink(
        "../real/libinside.so",
        dir.path().join("bin/inside-file.so"),
    )
    .unwrap();
    symlink(outside.path().join("lib"), dir.path().join("host-lib")).unwrap();
    symlink(
        outside.path().join("hello"),
        dir.path().join("bin/host-hello"),
    )
    .unwrap();
    // Relative, up and out (both temporary directories share a parent).
    let outside_name = outside.path().file_name().unwrap();
    symlink(
        Path::new("../..").join(outside_name),
        dir.path().join("real/up"),
    )
    .unwrap();
    (dir, outside)
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

#[cfg(unix)]
#[test]
fn followed_links_stay_inside_the_scanned_paths() {
    let (dir, _outside) = linked_tree("follow-symlinks = true\n");
    let (report, _) = json_scan(dir.path(), &[]);
    let shown = paths(&report);
    assert!(
        shown.contains(&"inside-dir/libinside.so".to_string()),
        "links inside the tree are followed: {shown:#?}"
    );
    assert!(
        !shown
            .iter()
            .any(|p| p.starts_with("host-lib/") || p.starts_with("real/up/")),
        "nothing is read through a link leaving the tree: {shown:#?}"
    );
    for link in ["host-lib", "bin/host-hello", "real/up"] {
        let found = artifact(&report, link);
        assert_eq!(codes(found), ["MC005"], "{found:#}");
        let message = found["findings"][0]["message"].as_str().unwrap();
        assert!(message.contains("outside the scanned paths"), "{message}");
    }

    let output = muslcheck(dir.path(), &["--quiet"]);
    let lines = config_lines(&output);
    assert_eq!(lines.len(), 1, "{}", stderr(&output));
    assert!(lines[0].contains("followed symlinks"), "{}", lines[0]);

    // An excluded link is neither followed nor reported.
    let (report, _) = json_scan(dir.path(), &["--exclude", "host-lib"]);
    assert!(
        !paths(&report).iter().any(|p| p.starts_with("host-lib")),
        "{:#?}",
        paths(&report)
    );

    // The same rule holds for the flag.
    let (report, _) = json_scan(dir.path(), &["--no-config", "--follow-symlinks"]);
    assert_eq!(codes_at(&report, "host-lib"), ["MC005"]);
    assert!(!paths(&report).iter().any(|p| p.starts_with("host-lib/")));
}

#[cfg(unix)]
#[test]
fn a_link_into_another_scanned_path_is_followed() {
    let (dir, outside) = linked_tree("");
    let (report, _) = json_scan(
        dir.path(),
        &[
            "--follow-symlinks",
            outside.path().join("lib").to_str().unwrap(),
        ],
    );
    let shown = dir.path().join("host-lib/libhost.so");
    assert!(
        paths(&report).contains(&shown.display().to_string()),
        "{:#?}",
        paths(&report)
    );
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

#[test]
fn a_broken_config_is_named_with_its_error_in_lines_of_bounded_length() {
    let long_value = "x".repeat(100_000);
    let dir = project(&format!("fail-on = \"{long_value}\"\n"));
    let output = muslcheck(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(text.contains("muslcheck.toml"), "{text}");
    assert!(text.contains("TOML parse error"), "{text}");
    let longest = text.lines().map(|line| line.chars().count()).max().unwrap();
    assert!(longest <= 420, "a line of {longest} characters");
    assert!(text.len() < 8 * 1024, "{} bytes of error", text.len());
}
