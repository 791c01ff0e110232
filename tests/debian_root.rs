//! Debian's files judged for Alpine, checked against the real musl loader:
//! real packages extracted by corpus/thirdparty/make-debian-root.sh (jq,
//! libjq1, libonig5) and make-debian-python.sh (the Python interpreter).

mod common;

use std::path::Path;
use std::process::Command;

use common::{by_suffix, codes, fetched, finding, json_scan};

/// corpus/thirdparty/fetched/`name`, which make-`name`.sh extracts from
/// Debian's packages, when it was built.
fn debian_tree(name: &str) -> Option<std::path::PathBuf> {
    let root = fetched(name);
    if root.is_none() {
        if std::env::var_os("MUSLCHECK_REQUIRE_TOOLS").is_some() {
            panic!("corpus/thirdparty/fetched/{name} absent (MUSLCHECK_REQUIRE_TOOLS is set)");
        }
        eprintln!("SKIPPED: corpus/thirdparty/make-{name}.sh extracts it from Debian's packages");
    }
    root
}

/// usr/bin/jq needs libjq.so.1, which the tree has in
/// usr/lib/x86_64-linux-gnu/ where musl never looks: MC103 says so, and
/// the jq_* names it expects from that library are not listed in MC102.
#[test]
fn a_library_in_the_tree_but_off_the_search_path_is_named_where_it_is() {
    let Some(root) = debian_tree("debian-root") else {
        return;
    };
    let (report, _) = json_scan(&root, &[]);
    let jq = by_suffix(&report, "usr/bin/jq");
    let mc103 = finding(jq, "MC103");
    let message = mc103["message"].as_str().unwrap();
    assert!(
        message.contains(
            "libjq.so.1, which is in the scanned tree at usr/lib/x86_64-linux-gnu/libjq.so.1 but not on musl's search path"
        ),
        "{message}"
    );
    assert!(
        message.contains("/lib:/usr/local/lib:/usr/lib"),
        "{message}"
    );
    let library = &mc103["evidence"]["libraries"][0];
    assert_eq!(library["in_tree_at"], "usr/lib/x86_64-linux-gnu/libjq.so.1");
    let expected = library["symbols_expected"].as_array().unwrap().len();
    assert!(expected > 40, "{library}");
    assert!(
        library["symbols_expected"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "jq_init")
    );
    assert!(
        mc103["remedy"].as_str().unwrap().contains("RPATH/RUNPATH"),
        "{}",
        mc103["remedy"]
    );
    let listed: Vec<&str> = finding(jq, "MC102")["evidence"]["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(
        listed.iter().all(|name| !name.starts_with("jq_")),
        "MC102 repeats MC103: {listed:?}"
    );
    assert!(listed.contains(&"__printf_chk"), "{listed:?}");

    // The real loader: the library is not found, and the names expected
    // from it fail with it: those MC103 counts plus those MC102 lists.
    let loader = Path::new("/lib/ld-musl-x86_64.so.1");
    if !loader.exists() {
        eprintln!("note: no musl loader: the ground-truth half skipped");
        return;
    }
    let output = Command::new(loader)
        .arg("--list")
        .arg("usr/bin/jq")
        .current_dir(&root)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "Error loading shared library libjq.so.1: No such file or directory (needed by usr/bin/jq)"
        ),
        "{stderr}"
    );
    let failing = stderr
        .lines()
        .filter(|l| l.starts_with("Error relocating usr/bin/jq: "))
        .count();
    assert_eq!(failing, expected + listed.len(), "{stderr}");
}

/// The interpreter exports Py* and its built-in modules' PyInit_*, but it
/// is a program: the host, not a module.
#[test]
fn the_python_executable_is_not_a_module() {
    let Some(root) = debian_tree("debian-python") else {
        return;
    };
    let (report, _) = json_scan(&root, &[]);
    let python = common::artifact_where(&report, |a| {
        a["path"]
            .as_str()
            .is_some_and(|p| p.starts_with("usr/bin/python3."))
    })
    .expect("usr/bin/python3.X");
    assert!(python["host"].is_null(), "{}", python["host"]);
    assert_eq!(python["facts"]["elf_type"], "exec");
}

/// A directory holding a root filesystem (here with dpkg's database) is
/// searched as the loaders search `/`: on debian:12-slim, jq finds libjq.so.1
/// and libonig.so.5 in the multiarch directory, as ld.so does in a chroot of
/// it; only its C library is the target's.
#[test]
fn a_root_filesystem_directory_is_searched_as_its_root() {
    let Some(root) = debian_tree("debian-root") else {
        return;
    };
    let copy = tempfile::tempdir().unwrap();
    let status = Command::new("cp")
        .arg("-a")
        .arg(root.join("."))
        .arg(copy.path())
        .status()
        .unwrap();
    assert!(status.success());
    let (report, _) = json_scan(copy.path(), &["--target", "debian:12-slim"]);
    for path in [
        "usr/bin/jq",
        "usr/lib/x86_64-linux-gnu/libjq.so.1.0.4",
        "usr/lib/x86_64-linux-gnu/libonig.so.5.3.0",
    ] {
        let file = by_suffix(&report, path);
        assert_eq!(file["verdict"], "ok", "{file:#}");
    }
    // On an older glibc the root's files need what it lacks.
    let (report, _) = json_scan(copy.path(), &["--target", "debian:11-slim"]);
    assert!(
        codes(by_suffix(&report, "usr/bin/jq")).contains(&"MC109".to_string()),
        "{report:#}"
    );

    // The real ld.so in a chroot of the root, with this machine's C library
    // standing in for the target's (the same glibc 2.36 as debian:12-slim).
    let ldd = Command::new("ldd").arg("--version").output();
    let same_glibc = ldd.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(" 2.36"));
    if !common::running_as_root() || !same_glibc {
        eprintln!(
            "note: not root, or this machine's glibc is not 2.36: the ground-truth half skipped"
        );
        return;
    }
    let multiarch = copy.path().join("usr/lib/x86_64-linux-gnu");
    for library in ["libc.so.6", "libm.so.6"] {
        std::fs::copy(
            Path::new("/lib/x86_64-linux-gnu").join(library),
            multiarch.join(library),
        )
        .unwrap();
    }
    std::fs::create_dir_all(copy.path().join("lib64")).unwrap();
    std::fs::copy(
        "/lib64/ld-linux-x86-64.so.2",
        copy.path().join("lib64/ld-linux-x86-64.so.2"),
    )
    .unwrap();
    // Debian's ld.so.cache is absent: its built-in path has the multiarch directory.
    let output = Command::new("chroot")
        .arg(copy.path())
        .args(["/lib64/ld-linux-x86-64.so.2", "--list", "/usr/bin/jq"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{listed}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        listed.contains("libjq.so.1 => /usr/lib/x86_64-linux-gnu/libjq.so.1"),
        "{listed}"
    );
}
