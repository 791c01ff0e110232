//! The base-image matrix: `muslcheck matrix PATH` (the default images, the
//! config's `targets`, or each `--target`), its cells against each target's
//! own report, the leanest image that runs everything, and what the roll-up
//! plans on glibc and no-libc images.

mod common;

use std::path::Path;

use serde_json::Value;

use common::{cli, copy_fixture, corpus, json_of, stdout};

fn matrix(dir: &Path, args: &[&str]) -> Value {
    let dir = dir.to_str().unwrap();
    let mut all = vec!["matrix", "--arch", "x86_64", "--format", "json"];
    all.extend_from_slice(args);
    all.push(dir);
    json_of(&cli(&all))
}

fn target_names(matrix: &Value) -> Vec<String> {
    matrix["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"]["name"].as_str().unwrap().to_string())
        .collect()
}

/// The one row of a matrix over files no package owns.
fn unowned_cells(matrix: &Value) -> &Vec<Value> {
    let rows = matrix["rows"].as_array().unwrap();
    let row = rows
        .iter()
        .find(|r| r.get("package").is_none())
        .unwrap_or_else(|| panic!("no row for unowned files: {rows:#?}"));
    row["cells"].as_array().unwrap()
}

#[test]
fn matrix_without_targets_judges_the_default_images_newest_alpine_first() {
    let matrix = matrix(&corpus("bin"), &[]);
    let names = target_names(&matrix);
    assert_eq!(names.len(), 11, "{names:?}");
    assert!(names[0].starts_with("alpine:"), "{names:?}");
    for expected in ["debian:12-slim", "gcr.io/distroless/cc-debian12", "scratch"] {
        assert!(
            names.iter().any(|n| n.starts_with(expected)),
            "{expected} not in {names:?}"
        );
    }
    // One cell per target in every row.
    for row in matrix["rows"].as_array().unwrap() {
        assert_eq!(row["cells"].as_array().unwrap().len(), names.len());
    }
    // corpus/bin holds glibc, musl and aarch64 files: no image runs them all.
    assert!(matrix.get("leanest").is_none(), "{:#?}", matrix["leanest"]);
}

#[test]
fn each_cell_is_what_that_target_s_own_report_says() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["hello-glibc", "cxx-shared-ptr-nopie", "hello-static-musl"] {
        copy_fixture(&format!("bin/{name}"), &dir.path().join(name));
    }
    let targets = [
        "alpine:3.20",
        "debian:12-slim",
        "gcr.io/distroless/base-debian12",
        "scratch",
    ];
    let mut args = Vec::new();
    for target in targets {
        args.extend(["--target", target]);
    }
    let matrix = matrix(dir.path(), &args);
    let cells = unowned_cells(&matrix);
    for (target, cell) in targets.iter().zip(cells) {
        let own = json_of(&cli(&[
            "--arch",
            "x86_64",
            "--format",
            "json",
            "--target",
            target,
            dir.path().to_str().unwrap(),
        ]));
        let decision = own["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d.get("package").is_none())
            .unwrap();
        assert_eq!(cell["verdict"], decision["as_is"]["verdict"], "{target}");
        // A decision leaves out an empty action list.
        let own_actions = match &decision["actions"] {
            Value::Null => Value::Array(Vec::new()),
            actions => actions.clone(),
        };
        assert_eq!(cell["actions"], own_actions, "{target}");
    }
    // The C++ file needs libstdc++, which distroless/base lacks and has no
    // package manager to add: nothing on that image fixes it.
    let base = &cells[2];
    assert_eq!(base["verdict"], "breaks");
    let why = base["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|a| a["why"].as_str())
        .unwrap_or_else(|| panic!("no no-fix reason: {base:#}"));
    assert!(why.contains("libstdc++.so.6"), "{why}");
    // On scratch nothing dynamic runs, and nothing installs.
    assert_eq!(cells[3]["verdict"], "breaks");
    assert_eq!(cells[3]["reinstall"], "cannot-install");
    // debian:12-slim runs them all as they are (libstdc++ is there; the
    // static file needs no loader).
    assert_eq!(cells[1]["verdict"], "ok");
}

#[test]
fn static_files_run_everywhere_and_the_leanest_image_is_one_without_libraries() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["hello-static-musl", "hello-static-pie"] {
        copy_fixture(&format!("bin/{name}"), &dir.path().join(name));
    }
    let matrix = matrix(dir.path(), &[]);
    let targets = matrix["targets"].as_array().unwrap();
    for target in targets {
        assert_eq!(target["runs_as_is"], true, "{target:#}");
    }
    let leanest = &matrix["leanest"];
    let column = leanest["column"].as_u64().unwrap() as usize;
    assert_eq!(targets[column]["libraries"], 0, "{leanest:#}");
    assert!(leanest.get("after").is_none());

    let output = cli(&["matrix", "--arch", "x86_64", dir.path().to_str().unwrap()]);
    let text = stdout(&output);
    assert!(
        text.contains("leanest image that runs everything: distroless/static-debian12"),
        "{text}"
    );
    assert_eq!(output.status.code(), Some(0), "{text}");
}

#[test]
fn the_config_names_the_matrix_targets_and_the_command_line_overrides_them() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture("bin/hello-glibc", &dir.path().join("hello-glibc"));
    std::fs::write(
        dir.path().join("muslcheck.toml"),
        "targets = [\"debian:12-slim\", \"scratch\"]\n",
    )
    .unwrap();
    let from_config = matrix(dir.path(), &[]);
    let names = target_names(&from_config);
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names[0].starts_with("debian:12-slim"), "{names:?}");
    assert!(names[1].starts_with("scratch"), "{names:?}");
    assert_eq!(from_config["targets"][0]["runs_as_is"], true);
    assert_eq!(from_config["targets"][1]["runs_as_is"], false);

    let given = matrix(dir.path(), &["--target", "alpine:3.20"]);
    let names = target_names(&given);
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].starts_with("alpine:3.20"), "{names:?}");
}

#[test]
fn an_image_known_by_versions_only_is_said_undecided_not_runnable() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture("bin/cxx-shared-ptr-nopie", &dir.path().join("app"));
    let matrix = matrix(
        dir.path(),
        &["--target", "registry.access.redhat.com/ubi9/ubi-minimal"],
    );
    let target = &matrix["targets"][0];
    assert_eq!(target["runs_after_plan"], false, "{target:#}");
    assert_eq!(target["undecided"], true, "{target:#}");
}

#[test]
fn lockfile_findings_about_musl_builds_do_not_apply_to_glibc_images() {
    let project = corpus("projects/npm-sharp-glibc-lock");
    let scan = |target: &str| {
        let output = cli(&[
            "--arch",
            "x86_64",
            "--format",
            "json",
            "--target",
            target,
            project.to_str().unwrap(),
        ]);
        (json_of(&output), output.status.code())
    };
    let codes = |report: &Value| -> Vec<String> {
        report["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|a| a["findings"].as_array().cloned().unwrap_or_default())
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect()
    };
    let (alpine, alpine_exit) = scan("alpine:3.20");
    assert!(codes(&alpine).contains(&"MC202".to_string()), "{alpine:#}");
    assert_eq!(alpine_exit, Some(1));
    let (debian, debian_exit) = scan("debian:12-slim");
    assert!(codes(&debian).is_empty(), "{:?}", codes(&debian));
    assert_eq!(debian_exit, Some(0));
}

#[test]
fn on_glibc_the_musl_platform_packages_are_the_ones_never_loaded() {
    let Some(musl_tree) = common::fetched("npm-musl") else {
        return;
    };
    let report = |target: &str| {
        json_of(&cli(&[
            "--arch",
            "x86_64",
            "--format",
            "json",
            "--target",
            target,
            musl_tree.to_str().unwrap(),
        ]))
    };
    let musl_files = |report: &Value| -> Vec<(String, String)> {
        report["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["kind"] == "elf")
            .filter(|a| a["path"].as_str().unwrap().contains("musl"))
            .map(|a| {
                (
                    a["path"].as_str().unwrap().to_string(),
                    a["verdict"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let on_alpine = musl_files(&report("alpine:3.20"));
    assert!(on_alpine.len() >= 3, "{on_alpine:?}");
    assert!(on_alpine.iter().all(|(_, v)| v == "ok"), "{on_alpine:?}");
    let on_debian = musl_files(&report("debian:12-slim"));
    assert_eq!(on_debian.len(), on_alpine.len());
    assert!(
        on_debian.iter().all(|(_, v)| v == "not-applicable"),
        "{on_debian:?}"
    );
}

#[test]
fn a_matrix_of_an_image_says_what_the_image_is_and_the_leanest_base_with_its_packages() {
    let Some(images) = common::fetched("images") else {
        return;
    };
    let matrix = matrix(
        &images.join("app.oci"),
        &["--target", "alpine:3.20", "--target", "debian:12-slim"],
    );
    assert_eq!(
        matrix["images"][0]["base"], "Debian GNU/Linux 12 (bookworm)",
        "{:#}",
        matrix["images"]
    );
    // The copied jq needs the image's libjq1 and libonig5: on Debian those
    // are packages to install, on Alpine no package is known for them.
    let leanest = &matrix["leanest"];
    assert!(
        leanest["target"]
            .as_str()
            .unwrap()
            .starts_with("debian:12-slim"),
        "{leanest:#}"
    );
    assert_eq!(leanest["after"], "apt-get install -y libjq1 libonig5");
    assert_eq!(matrix["targets"][0]["runs_after_plan"], false);
}

#[test]
fn the_default_matrix_leaves_out_images_without_facts_for_the_architecture() {
    let output = cli(&[
        "matrix",
        "--arch",
        "aarch64",
        "--format",
        "json",
        corpus("bin").to_str().unwrap(),
    ]);
    assert_ne!(output.status.code(), Some(2));
    let names = target_names(&json_of(&output));
    assert!(
        names.iter().any(|n| n.starts_with("debian:12-slim")),
        "{names:?}"
    );
    assert!(!names.iter().any(|n| n.starts_with("ubuntu")), "{names:?}");
    let stderr = common::stderr(&output);
    assert!(
        stderr.contains("no aarch64 facts for ubuntu:24.04"),
        "{stderr}"
    );
    // Asked for by name, an image without those facts is an error.
    let asked = cli(&[
        "matrix",
        "--arch",
        "aarch64",
        "--target",
        "ubuntu:24.04",
        corpus("bin").to_str().unwrap(),
    ]);
    assert_eq!(asked.status.code(), Some(2));
}

#[test]
fn a_package_nothing_answered_for_leaves_alpine_undecided_not_without_a_fix() {
    // Its glibc module needs a library nothing provides: on Alpine a
    // musllinux wheel (which would bundle it) may exist, so the target is
    // undecided; on a glibc image a reinstall gets the same build, and
    // which of the image's packages (if any) has the library is for its
    // package lists to say: undecided too, not "no fix".
    let venv = common::venv_with_an_unanswered_package();
    let matrix = matrix(
        venv.path(),
        &["--target", "alpine:3.20", "--target", "debian:12-slim"],
    );
    let targets = matrix["targets"].as_array().unwrap();
    let rows = matrix["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:#?}");
    let kinds = |cell: &Value| -> Vec<String> {
        cell["actions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| a["kind"].as_str().unwrap().to_string())
            .collect()
    };
    let cells = rows[0]["cells"].as_array().unwrap();
    assert_eq!(kinds(&cells[0]), ["unanswered"], "{:#}", cells[0]);
    assert_eq!(kinds(&cells[1]), ["unanswered"], "{:#}", cells[1]);
    let check = cells[1]["actions"][0]["check"].as_str().unwrap();
    assert!(
        check.ends_with("apt-file search libnotthere.so.1"),
        "{check}"
    );
    assert_eq!(targets[0]["undecided"], true, "{:#}", targets[0]);
    assert_eq!(targets[0]["runs_after_plan"], false);
    assert_eq!(targets[1]["undecided"], true, "{:#}", targets[1]);

    let text = stdout(&cli(&[
        "matrix",
        "--arch",
        "x86_64",
        "--target",
        "alpine:3.20",
        venv.path().to_str().unwrap(),
    ]));
    assert!(text.contains("breaks unanswered"), "{text}");
    assert!(text.contains("cannot tell on: alpine:3.20"), "{text}");
}

/// Alpine's profile counts its libraries like any image's: a library that
/// runs on Alpine and the glibc images has Alpine, the fewest, as the
/// leanest (its library count was missing, so a glibc image won).
#[test]
fn alpine_counts_its_libraries_and_can_be_the_leanest_image() {
    let matrix = matrix(&corpus("lib/libplain.so"), &[]);
    let targets = matrix["targets"].as_array().unwrap();
    let alpine = &targets[0];
    assert!(
        alpine["target"]["name"]
            .as_str()
            .unwrap()
            .starts_with("alpine:"),
        "{alpine:#}"
    );
    assert_eq!(alpine["runs_as_is"], true, "{alpine:#}");
    let alpine_libraries = alpine["libraries"]
        .as_u64()
        .unwrap_or_else(|| panic!("no library count: {alpine:#}"));
    let running_glibc: Vec<u64> = targets[1..]
        .iter()
        .filter(|t| t["runs_as_is"] == true)
        .filter_map(|t| t["libraries"].as_u64())
        .collect();
    assert!(!running_glibc.is_empty(), "{targets:#?}");
    assert!(running_glibc.iter().all(|&n| n > alpine_libraries));
    assert_eq!(matrix["leanest"]["column"], 0, "{:#}", matrix["leanest"]);
}

/// A lockfile's packages (numpy in a uv.lock) run in CPython, which needs a
/// C library: an image without one runs none of them, as they are or after
/// a plan, whatever its files' verdicts.
#[test]
fn a_lockfiles_packages_run_nowhere_without_a_c_library() {
    let matrix = matrix(
        &corpus("projects/uv-numpy-1.24"),
        &[
            "--offline",
            "--target",
            "debian:12-slim",
            "--target",
            "scratch",
        ],
    );
    let targets = matrix["targets"].as_array().unwrap();
    assert_eq!(targets[0]["runs_as_is"], true, "{:#}", targets[0]);
    assert_eq!(targets[1]["runs_as_is"], false, "{:#}", targets[1]);
    assert_eq!(targets[1]["runs_after_plan"], false, "{:#}", targets[1]);
    let reason = targets[1]["main_reason"].as_str().unwrap();
    assert!(reason.contains("needs a C library"), "{reason}");
    assert!(
        matrix.get("leanest").is_none_or(Value::is_null),
        "{matrix:#}"
    );
}

/// Options written before the subcommand go to it (`muslcheck --no-config
/// matrix DIR`, the order CI scripts write); the name was read as a path to
/// scan ("matrix: no such file or directory", exit 2). A directory by that
/// name is still a path.
#[test]
fn options_before_the_subcommand_go_to_it() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture("lib/libplain.so", &dir.path().join("libplain.so"));
    let path = dir.path().to_str().unwrap();
    let output = cli(&[
        "--no-config",
        "--target",
        "debian:12-slim",
        "--format",
        "json",
        "matrix",
        path,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", common::stderr(&output));
    let report = json_of(&output);
    assert_eq!(
        target_names(&report),
        ["debian:12-slim (glibc 2.36)"],
        "{report:#}"
    );

    let named = dir.path().join("matrix");
    std::fs::create_dir(&named).unwrap();
    copy_fixture("lib/libplain.so", &named.join("libplain.so"));
    let output = common::command()
        .current_dir(dir.path())
        .args(["--no-config", "--format", "json", "matrix"])
        .output()
        .unwrap();
    let report = json_of(&output);
    assert!(
        report.get("artifacts").is_some(),
        "a scan report: {report:#}"
    );
}
