//! Side reads: the files muslcheck reads besides the ELF files it sniffs
//! (`RECORD`, `package.json`, lockfiles, the config, the baseline) and the
//! files it writes (`--output`, `--write-baseline`). A FIFO, a device, a 4 GiB
//! file or an unreadable root ends as a finding or an exit 2 naming the path,
//! within a deadline and an address-space limit; a failed write leaves the
//! old file whole.

use std::fs::File;
use std::os::unix::fs::{FileTypeExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output};
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

mod common;

use common::{artifact, codes, codes_at};

/// Every scan here gets this long: a blocked open fails the test, never hangs it.
const DEADLINE: Duration = Duration::from_secs(60);
/// And this much address space (KiB for `ulimit -v`): runaway reads fail the
/// test instead of reaching the OOM killer.
const ADDRESS_SPACE_KIB: u64 = 1024 * 1024;

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("muslcheck")
}

/// `muslcheck --arch x86_64 ARGS` under `ulimit -v` and the deadline,
/// after `setup` (more shell, e.g. `ulimit -f 1`).
fn run_limited(setup: &str, args: &[&str]) -> Output {
    let script = format!("ulimit -v {ADDRESS_SPACE_KIB}; {setup} exec \"$0\" \"$@\"");
    let mut command = StdCommand::new("bash");
    command
        .args(["-c", &script])
        .arg(bin())
        .env("MUSLCHECK_OFFLINE", "1")
        .args(["--arch", "x86_64"])
        .args(args);
    Command::from_std(command)
        .timeout(DEADLINE)
        .output()
        .unwrap()
}

fn run(args: &[&str]) -> Output {
    run_limited("", args)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The JSON report of a scan of `dir` and the exit code (-1 when killed:
/// by the deadline, or by an abort on the address-space limit).
fn json_scan(dir: &Path, args: &[&str]) -> (Value, i32) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    all.push(dir.to_str().unwrap());
    let output = run(&all);
    let status = output.status.code().unwrap_or(-1);
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}), exit {status} ({:?}); stderr: {}",
            output.status,
            stderr(&output)
        )
    });
    (report, status)
}

fn hello_glibc(to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(common::corpus("bin/hello-glibc"), to).unwrap();
}

fn mkfifo(path: &Path) {
    let made = StdCommand::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}

/// A file that claims `len` bytes and holds none (sparse).
fn sparse(path: &Path, len: u64) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    File::create(path).unwrap().set_len(len).unwrap();
}

const FOUR_GIB: u64 = 4 << 30;

/// The message of the only finding at `path`, which must be MC001.
fn unreadable_message(report: &Value, path: &str) -> String {
    assert_eq!(codes_at(report, path), ["MC001"], "{path}: {report:#}");
    artifact(report, path)["findings"][0]["message"]
        .as_str()
        .unwrap()
        .to_string()
}

fn running_as_root() -> bool {
    StdCommand::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `muslcheck ARGS` as `nobody` (root reads everything whatever its mode);
/// `None` when this machine cannot switch users (the test is skipped).
fn run_as_nobody(args: &[&str]) -> Option<Output> {
    let mut command = StdCommand::new("setpriv");
    command
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(bin())
        .env("MUSLCHECK_OFFLINE", "1")
        .args(["--arch", "x86_64"])
        .args(args);
    match Command::from_std(command).timeout(DEADLINE).output() {
        Ok(output) if output.status.code().is_some_and(|c| c <= 2) => Some(output),
        other => {
            let reason = format!("running as nobody with setpriv failed: {other:?}");
            assert!(
                std::env::var_os("MUSLCHECK_REQUIRE_TOOLS").is_none(),
                "{reason}"
            );
            eprintln!("SKIPPED: {reason}");
            None
        }
    }
}

/// A tree `nobody` can enter: tempdirs are created 0700.
fn tempdir_for_everyone() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), PermissionsExt::from_mode(0o755)).unwrap();
    dir
}

#[test]
fn fifo_or_device_as_record_or_package_json_is_reported_and_the_scan_completes() {
    let side_files = [
        (
            "site-packages/foo-1.0.dist-info/RECORD",
            "site-packages/foo/_foo.so",
        ),
        ("node_modules/foo/package.json", "node_modules/foo/foo.node"),
    ];
    for (side, elf) in side_files {
        for special in ["fifo", "dev-zero", "dangling"] {
            let dir = tempfile::tempdir().unwrap();
            hello_glibc(&dir.path().join(elf));
            let path = dir.path().join(side);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let expected = match special {
                "fifo" => {
                    mkfifo(&path);
                    "not a regular file (FIFO)"
                }
                "dev-zero" => {
                    symlink("/dev/zero", &path).unwrap();
                    "not a regular file (symlink to a character device)"
                }
                _ => {
                    symlink("nowhere", &path).unwrap();
                    "not a regular file (symlink to nothing)"
                }
            };
            let (report, status) = json_scan(dir.path(), &[]);
            let case = format!("{side} as {special}");
            let message = unreadable_message(&report, side);
            assert!(message.contains(expected), "{case}: {message}");
            assert_eq!(status, 1, "{case}: the ELF file is still judged");
            assert_eq!(artifact(&report, elf)["verdict"], "breaks", "{case}");
            assert_eq!(report["summary"]["unreadable"], 1, "{case}");
        }
    }
}

#[test]
fn a_symlinked_package_json_that_is_a_regular_file_is_read() {
    let dir = tempfile::tempdir().unwrap();
    hello_glibc(&dir.path().join("node_modules/foo/foo.node"));
    let real = dir.path().join("manifests/foo.json");
    std::fs::create_dir_all(real.parent().unwrap()).unwrap();
    std::fs::write(&real, r#"{"name": "foo", "version": "1.2.3"}"#).unwrap();
    symlink(&real, dir.path().join("node_modules/foo/package.json")).unwrap();
    let (report, _) = json_scan(dir.path(), &[]);
    let elf = artifact(&report, "node_modules/foo/foo.node");
    assert_eq!(elf["package"]["name"], "foo", "{elf:#}");
    assert_eq!(report["summary"]["unreadable"], 0);
}

#[test]
fn files_found_in_the_tree_are_not_read_through_symlinks_leaving_it() {
    // Outside the scanned tree: what a committed symlink must not reach.
    let outside = tempfile::tempdir().unwrap();
    let foreign_manifest = outside.path().join("package.json");
    std::fs::write(
        &foreign_manifest,
        r#"{"name": "foreign", "version": "6.6.6"}"#,
    )
    .unwrap();
    let foreign_record = outside.path().join("RECORD");
    std::fs::write(&foreign_record, "foo/_foo.so,,\n").unwrap();
    let dir = tempfile::tempdir().unwrap();
    hello_glibc(&dir.path().join("node_modules/foo/foo.node"));
    hello_glibc(&dir.path().join("site-packages/foo/_foo.so"));
    symlink(
        &foreign_manifest,
        dir.path().join("node_modules/foo/package.json"),
    )
    .unwrap();
    let record = dir.path().join("site-packages/foo-1.0.dist-info/RECORD");
    std::fs::create_dir_all(record.parent().unwrap()).unwrap();
    symlink(&foreign_record, &record).unwrap();
    let (report, status) = json_scan(dir.path(), &[]);
    assert_eq!(status, 1);
    for (side, elf) in [
        ("node_modules/foo/package.json", "node_modules/foo/foo.node"),
        (
            "site-packages/foo-1.0.dist-info/RECORD",
            "site-packages/foo/_foo.so",
        ),
    ] {
        let message = unreadable_message(&report, side);
        assert!(message.contains("outside the scanned paths"), "{message}");
        let elf = artifact(&report, elf);
        assert!(elf.get("package").is_none(), "not attributed: {elf:#}");
    }
    // A config found in the scanned tree that leads out of it is refused
    // before it is read: a parse error would print what it points at.
    let secret = "muslcheck-test-secret-7f3a";
    for target in [Path::new("/proc/self/environ"), foreign_manifest.as_path()] {
        let project = tempfile::tempdir().unwrap();
        hello_glibc(&project.path().join("bin/hello"));
        let config = project.path().join("muslcheck.toml");
        symlink(target, &config).unwrap();
        let mut command = StdCommand::new(bin());
        command
            .env("MUSLCHECK_TEST_SECRET", secret)
            .args(["--arch", "x86_64"])
            .arg(project.path());
        let output = Command::from_std(command)
            .timeout(DEADLINE)
            .output()
            .unwrap();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{err}");
        assert!(!err.contains(secret), "the environment leaked: {err}");
        assert!(!err.contains("foreign"), "the target was read: {err}");
        assert!(err.contains("outside the scanned paths"), "{err}");
        assert!(err.contains(config.to_str().unwrap()), "{err}");
        // Named on the command line, the same file is the user's choice.
        if target == foreign_manifest {
            let bin_dir = project.path().join("bin");
            let explicit = run(&[
                "--config",
                config.to_str().unwrap(),
                bin_dir.to_str().unwrap(),
            ]);
            assert!(
                !stderr(&explicit).contains("outside the scanned paths"),
                "{}",
                stderr(&explicit)
            );
        }
    }
}

#[test]
fn four_gib_lockfiles_and_metadata_are_refused_at_the_cap_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    hello_glibc(&dir.path().join("site-packages/foo/_foo.so"));
    let big = [
        "uv.lock",
        "package-lock.json",
        "yarn.lock",
        "requirements.txt",
        "site-packages/foo-1.0.dist-info/RECORD",
        "node_modules/bar/package.json",
    ];
    hello_glibc(&dir.path().join("node_modules/bar/bar.node"));
    for path in big {
        sparse(&dir.path().join(path), FOUR_GIB);
    }
    let (report, status) = json_scan(dir.path(), &[]);
    for path in big {
        let message = unreadable_message(&report, path);
        assert!(
            message.contains("larger than the 64 MiB cap for metadata files"),
            "{path}: {message}"
        );
    }
    assert_eq!(status, 1, "the ELF files are still judged");
    assert_eq!(
        artifact(&report, "site-packages/foo/_foo.so")["verdict"],
        "breaks"
    );
    assert_eq!(report["summary"]["unreadable"], big.len());
}

#[test]
fn four_gib_or_fifo_config_and_baseline_exit_2_naming_the_file() {
    for (name, special) in [
        ("muslcheck.toml", "big"),
        ("pyproject.toml", "big"),
        ("muslcheck.toml", "fifo"),
        ("muslcheck.toml", "dev-zero"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        hello_glibc(&dir.path().join("bin/hello"));
        let path = dir.path().join(name);
        let expected = match special {
            "big" => {
                sparse(&path, FOUR_GIB);
                "larger than the 64 MiB cap for metadata files"
            }
            "fifo" => {
                mkfifo(&path);
                "not a regular file (FIFO)"
            }
            _ => {
                symlink("/dev/zero", &path).unwrap();
                "not a regular file (symlink to a character device)"
            }
        };
        let output = run(&["--format", "json", dir.path().to_str().unwrap()]);
        let err = stderr(&output);
        let case = format!("{name} as {special}");
        assert_eq!(output.status.code(), Some(2), "{case}: {err}");
        assert!(err.contains(path.to_str().unwrap()), "{case}: {err}");
        assert!(err.contains(expected), "{case}: {err}");
        assert!(
            err.contains("--no-config"),
            "{case}: says what to do: {err}"
        );
        // --no-config skips it; an explicit --config of the same file fails the same way.
        let skipped = run(&["--no-config", "-q", dir.path().to_str().unwrap()]);
        assert_eq!(
            skipped.status.code(),
            Some(1),
            "{case}: {}",
            stderr(&skipped)
        );
        if name == "muslcheck.toml" {
            let explicit = run(&[
                "--config",
                path.to_str().unwrap(),
                dir.path().to_str().unwrap(),
            ]);
            assert_eq!(explicit.status.code(), Some(2), "{case}");
            assert!(stderr(&explicit).contains(expected), "{case}");
        }
    }
    for special in ["big", "fifo"] {
        let dir = tempfile::tempdir().unwrap();
        hello_glibc(&dir.path().join("bin/hello"));
        let baseline = dir.path().join("baseline.json");
        let expected = if special == "big" {
            sparse(&baseline, FOUR_GIB);
            "larger than the 64 MiB cap for metadata files"
        } else {
            mkfifo(&baseline);
            "not a regular file (FIFO)"
        };
        let output = run(&[
            "--baseline",
            baseline.to_str().unwrap(),
            dir.path().join("bin").to_str().unwrap(),
        ]);
        let err = stderr(&output);
        assert_eq!(
            output.status.code(),
            Some(2),
            "baseline as {special}: {err}"
        );
        assert!(err.contains(baseline.to_str().unwrap()), "{err}");
        assert!(err.contains(expected), "{err}");
        assert!(err.contains("--write-baseline"), "says what to do: {err}");
    }
}

#[test]
fn requirements_with_a_bad_byte_keep_their_good_lines() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("requirements.txt"),
        b"numpy==1.24.4\nrequests==2.32.3 # caf\xe9\npsycopg2==2.9.9\n",
    )
    .unwrap();
    let (report, status) = json_scan(dir.path(), &[]);
    assert_eq!(status, 0, "warnings only");
    let pinned: Vec<&str> = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "package")
        .filter_map(|a| a["package"]["name"].as_str())
        .collect();
    assert_eq!(pinned, ["numpy", "psycopg2"], "{report:#}");
    let bad = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == "requirements.txt" && a["kind"] == "unreadable")
        .unwrap_or_else(|| panic!("the bad line is reported: {report:#}"));
    assert_eq!(codes(bad), ["MC001"]);
    let message = bad["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("line 2"), "{message}");
    assert!(message.contains("not valid UTF-8"), "{message}");
}

#[test]
fn unreadable_root_exits_2_naming_it() {
    let dir = tempdir_for_everyone();
    let root = dir.path().join("project");
    hello_glibc(&root.join("bin/hello"));
    if running_as_root() {
        std::fs::set_permissions(&root, PermissionsExt::from_mode(0o700)).unwrap();
        let Some(output) = run_as_nobody(&[root.to_str().unwrap()]) else {
            return;
        };
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{err}");
        assert!(err.contains(root.to_str().unwrap()), "{err}");
        assert!(err.contains("cannot be read"), "{err}");
    } else {
        std::fs::set_permissions(&root, PermissionsExt::from_mode(0o000)).unwrap();
        let output = run(&[root.to_str().unwrap()]);
        std::fs::set_permissions(&root, PermissionsExt::from_mode(0o755)).unwrap();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{err}");
        assert!(err.contains(root.to_str().unwrap()), "{err}");
    }
}

#[test]
fn unreadable_directories_are_counted_in_the_summary() {
    let dir = tempdir_for_everyone();
    hello_glibc(&dir.path().join("bin/hello"));
    hello_glibc(&dir.path().join("locked/hello"));
    let locked = dir.path().join("locked");
    let mode = if running_as_root() { 0o700 } else { 0o000 };
    std::fs::set_permissions(&locked, PermissionsExt::from_mode(mode)).unwrap();
    let root = dir.path().to_str().unwrap();
    let outputs = if running_as_root() {
        let (Some(json), Some(quiet)) = (
            run_as_nobody(&["--format", "json", root]),
            run_as_nobody(&["--quiet", root]),
        ) else {
            return;
        };
        (json, quiet)
    } else {
        (run(&["--format", "json", root]), run(&["--quiet", root]))
    };
    std::fs::set_permissions(&locked, PermissionsExt::from_mode(0o755)).unwrap();
    let (json, quiet) = outputs;
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["summary"]["unreadable"], 1, "{report:#}");
    assert_eq!(codes_at(&report, "locked"), ["MC001"]);
    let line = String::from_utf8_lossy(&quiet.stdout);
    assert!(line.contains("1 unreadable"), "{line}");
}

#[test]
fn elf_below_the_path_length_limit_is_a_counted_finding() {
    let dir = tempfile::tempdir().unwrap();
    // Built relative to each new directory: the full path is too long to name.
    let segment = "d".repeat(200);
    let script = format!(
        "cd \"$1\" && for i in $(seq 22); do mkdir {segment} && cd {segment} || exit 1; done && cp \"$2\" hello"
    );
    let made = StdCommand::new("bash")
        .args(["-c", &script, "bash"])
        .arg(dir.path())
        .arg(common::corpus("bin/hello-glibc"))
        .status()
        .unwrap();
    assert!(made.success());
    let (report, _) = json_scan(dir.path(), &[]);
    assert_eq!(report["summary"]["unreadable"], 1, "{report:#}");
    let deep = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "unreadable")
        .unwrap_or_else(|| panic!("the deep directory is reported: {report:#}"));
    assert!(deep["path"].as_str().unwrap().starts_with(&segment));
    assert_eq!(codes(deep), ["MC001"]);
    let message = deep["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("longer than the system's path limit"),
        "{message}"
    );
    let quiet = run(&["--quiet", dir.path().to_str().unwrap()]);
    let line = String::from_utf8_lossy(&quiet.stdout);
    assert!(line.contains("1 unreadable"), "{line}");
}

/// A tree whose baseline and JSON report are well over 1 KiB.
fn tree_with_findings() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..20 {
        hello_glibc(&dir.path().join(format!("tree/bin{i}/hello")));
    }
    dir
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_write_that_cannot_complete_leaves_the_old_file_whole() {
    let dir = tree_with_findings();
    let tree = dir.path().join("tree");
    let old = "{\"schema_version\": 1, \"fingerprints\": []}\n";
    for flag in ["--write-baseline", "--output"] {
        let out = dir.path().join(flag.trim_start_matches('-'));
        std::fs::create_dir(&out).unwrap();
        let target = out.join("file.json");
        std::fs::write(&target, old).unwrap();
        // A file size limit (like a full disk or a quota) stops the write at
        // 1 KiB; SIGXFSZ ignored turns that into an error (EFBIG) muslcheck sees.
        let output = run_limited(
            "ulimit -f 1; trap '' XFSZ;",
            &[
                "--format",
                "json",
                flag,
                target.to_str().unwrap(),
                tree.to_str().unwrap(),
            ],
        );
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{flag}: {err}");
        assert!(err.contains(target.to_str().unwrap()), "{flag}: {err}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), old, "{flag}");
        assert_eq!(files_in(&out), ["file.json"], "{flag}: no temporary left");
        // Killed by SIGXFSZ mid-write: the old file is still whole (the
        // killed process leaves its temporary file behind).
        let killed = run_limited(
            "ulimit -f 1;",
            &[
                "--format",
                "json",
                flag,
                target.to_str().unwrap(),
                tree.to_str().unwrap(),
            ],
        );
        assert_eq!(killed.status.code(), None, "{flag}: killed by SIGXFSZ");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), old, "{flag}");
    }
}

#[test]
fn written_files_are_complete_keep_their_mode_and_write_through_symlinks() {
    let dir = tree_with_findings();
    let tree = dir.path().join("tree");
    let baseline = dir.path().join("baseline.json");
    std::fs::write(&baseline, "old").unwrap();
    std::fs::set_permissions(&baseline, PermissionsExt::from_mode(0o640)).unwrap();
    let real = dir.path().join("reports/report.json");
    std::fs::create_dir(real.parent().unwrap()).unwrap();
    std::fs::write(&real, "old").unwrap();
    let link = dir.path().join("report-link.json");
    symlink(&real, &link).unwrap();
    let output = run(&[
        "--format",
        "json",
        "--write-baseline",
        baseline.to_str().unwrap(),
        "--output",
        link.to_str().unwrap(),
        tree.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    assert!(written["fingerprints"].as_array().unwrap().len() >= 20);
    let mode = std::fs::metadata(&baseline).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640, "the baseline keeps its mode");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "--output writes through a symlink, not over it"
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&real).unwrap()).unwrap();
    assert_eq!(report["artifacts"].as_array().unwrap().len(), 20);
    // A device is written to, never replaced.
    let devnull = run(&["--output", "/dev/null", tree.to_str().unwrap()]);
    assert_eq!(devnull.status.code(), Some(1), "{}", stderr(&devnull));
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
}

#[test]
fn side_files_are_read_and_outputs_written_only_through_discover_files() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed = src.join("discover/files.rs");
    let mut offenders = Vec::new();
    for entry in walkdir::WalkDir::new(&src) {
        let entry = entry.unwrap();
        if entry.path() == allowed || entry.path().extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        // Unit tests (at the end of a file) may read and write fixtures.
        let code = text.split("#[cfg(test)]").next().unwrap();
        for call in ["fs::read_to_string(", "fs::read(", "fs::write("] {
            if code.contains(call) {
                offenders.push(format!("{}: {call}", entry.path().display()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "use discover::read_bounded / read_text_file / write_atomically: {offenders:#?}"
    );
}
