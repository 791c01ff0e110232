//! Wheels (read in memory), tag audits and site-packages attribution, on real
//! PyPI wheels committed in corpus/thirdparty/.

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};

use serde_json::Value;

use common::{
    artifact_where, artifacts, by_suffix, cli, codes, corpus, fetched, json_of, json_scan,
    muslcheck, stdout,
};

const MARKUPSAFE_GLIBC: &str =
    "MarkupSafe-2.1.5-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
const MARKUPSAFE_MUSL: &str = "MarkupSafe-2.1.5-cp311-cp311-musllinux_1_1_x86_64.whl";
const UJSON_GLIBC: &str = "ujson-5.10.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
const UJSON_MUSL: &str = "ujson-5.10.0-cp311-cp311-musllinux_1_2_x86_64.whl";

fn thirdparty(name: &str) -> PathBuf {
    corpus(&format!("thirdparty/{name}"))
}

fn wheel_entry(report: &Value) -> &Value {
    artifact_where(report, |a| a.get("wheel").is_some()).expect("a wheel entry")
}

/// A copy of a real wheel under another name (the tag is only in the name).
fn renamed(original: &str, new_name: &str, dir: &Path) -> PathBuf {
    let path = dir.join(new_name);
    std::fs::copy(thirdparty(original), &path).unwrap();
    path
}

#[test]
fn manylinux_and_musllinux_wheels_of_one_release_get_their_family() {
    let (report, _) = json_scan(&thirdparty(MARKUPSAFE_GLIBC), &[]);
    let wheel = wheel_entry(&report);
    assert_eq!(wheel["wheel"]["content_libc"], "glibc");
    assert_eq!(
        wheel["wheel"]["claimed"],
        serde_json::json!(["manylinux_2_17_x86_64"])
    );
    assert_eq!(wheel["wheel"]["required_glibc"][0], "GLIBC_2.14");
    assert!(codes(wheel).is_empty(), "the tag is true");
    assert_eq!(wheel["package"]["name"], "MarkupSafe");
    assert_eq!(wheel["package"]["version"], "2.1.5");

    let (report, _) = json_scan(&thirdparty(MARKUPSAFE_MUSL), &[]);
    let wheel = wheel_entry(&report);
    assert_eq!(wheel["wheel"]["content_libc"], "musl");
    assert!(codes(wheel).is_empty());
    // Members carry the package and a path inside the wheel.
    let member = artifact_where(&report, |a| {
        a["path"].as_str().unwrap().contains("!/markupsafe/")
    })
    .unwrap();
    assert_eq!(member["package"]["name"], "MarkupSafe");
    assert_eq!(member["verdict"], "ok");
}

#[test]
fn bundled_libraries_in_a_musllinux_wheel_resolve_inside_the_wheel() {
    let (report, status) = json_scan(&thirdparty(UJSON_MUSL), &[]);
    assert_eq!(status, 0);
    let extension = by_suffix(&report, "!/ujson.cpython-311-x86_64-linux-musl.so");
    assert_eq!(extension["verdict"], "ok");
    let loaded = extension["load"]["libraries"].as_array().unwrap();
    assert!(loaded.iter().any(|pair| {
        pair[1]
            .as_str()
            .unwrap()
            .ends_with("!/ujson.libs/libstdc++-496613c0.so.6.0.32")
    }));
}

/// auditwheel weighs every version node a wheel needs of the libraries
/// its policies allow, libstdc++'s too: a C++ extension with the C++11
/// string ABI needs GLIBCXX_3.4.21, which manylinux2014's libstdc++ lacks
/// (manylinux_2_24 is the lowest policy listing it), though it needs
/// nothing of glibc after 2.2.5. Claiming manylinux2014 is MC301.
#[test]
fn libstdcxx_needs_set_the_lowest_manylinux_policy_too() {
    let dir = tempfile::tempdir().unwrap();
    let wheel = one_member_wheel(
        dir.path(),
        "cxx-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "cxx/_cxx.cpython-312-x86_64-linux-gnu.so",
        "lib/libcxx-string.so",
    );
    let (report, _) = json_scan(&wheel, &["--fail-on", "never"]);
    let entry = wheel_entry(&report);
    assert_eq!(
        entry["wheel"]["supported"], "manylinux_2_24_x86_64",
        "{entry:#}"
    );
    assert_eq!(codes(entry), ["MC301"], "{entry:#}");
    let message = entry["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("GLIBCXX_3.4.21 from libstdc++.so.6"),
        "{message}"
    );
    let why = entry["wheel"]["why"].to_string();
    assert!(why.contains("manylinux_2_24"), "{why}");
}

/// A wheel named `name` in `dir` holding the corpus file `fixture` as `member`.
fn one_member_wheel(dir: &Path, name: &str, member: &str, fixture: &str) -> PathBuf {
    use std::io::Write;
    let wheel = dir.join(name);
    let mut zip = zip::ZipWriter::new(File::create(&wheel).unwrap());
    zip.start_file(member, zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(&std::fs::read(corpus(fixture)).unwrap())
        .unwrap();
    zip.finish().unwrap();
    wheel
}

/// GLIBC_PRIVATE is in no manylinux policy's list of glibc's versions
/// (auditwheel: `linux_x86_64` for imageio-ffmpeg 0.8.1, whose ffmpeg needs
/// `__resolv_context_get@GLIBC_PRIVATE`): no manylinux tag is true.
#[test]
fn a_glibc_private_need_makes_no_manylinux_tag_true() {
    let dir = tempfile::tempdir().unwrap();
    let wheel = one_member_wheel(
        dir.path(),
        "priv-1.0-py3-none-manylinux_2_28_x86_64.whl",
        "priv/binaries/ffmpeg-linux-x86_64",
        "lib/libuses-glibc-private.so",
    );
    let output = cli(&["audit-wheel", wheel.to_str().unwrap()]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(!text.contains("tag is true to the content"), "{text}");
    assert!(text.contains("GLIBC_PRIVATE from libc.so.6"), "{text}");
    assert!(
        text.contains("supports no manylinux tag (auditwheel: linux_x86_64)"),
        "{text}"
    );
    let (report, _) = json_scan(&wheel, &["--fail-on", "never"]);
    let entry = wheel_entry(&report);
    assert_eq!(codes(entry), ["MC301"], "{entry:#}");
    assert!(entry["wheel"]["supported"].is_null(), "{entry:#}");
}

#[test]
fn a_wheel_retagged_lower_than_its_content_gets_mc301() {
    let dir = tempfile::tempdir().unwrap();
    let wheel = renamed(
        MARKUPSAFE_GLIBC,
        "MarkupSafe-2.1.5-cp311-cp311-manylinux1_x86_64.whl",
        dir.path(),
    );
    let (report, _) = json_scan(&wheel, &[]);
    let entry = wheel_entry(&report);
    assert_eq!(codes(entry), ["MC301"]);
    let message = entry["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("GLIBC_2.14"), "{message}");
    assert_eq!(entry["wheel"]["supported"], "manylinux_2_17_x86_64");

    let output = cli(&["audit-wheel", wheel.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("claims:   manylinux_2_5_x86_64"), "{text}");
    assert!(text.contains("supports manylinux_2_17_x86_64"), "{text}");
}

#[test]
fn glibc_content_under_a_musllinux_tag_gets_mc302() {
    let dir = tempfile::tempdir().unwrap();
    let wheel = renamed(
        UJSON_GLIBC,
        "ujson-5.10.0-cp311-cp311-musllinux_1_1_x86_64.whl",
        dir.path(),
    );
    let (report, _) = json_scan(&wheel, &[]);
    let entry = wheel_entry(&report);
    let found = codes(entry);
    assert!(found.contains(&"MC302".to_string()), "{found:?}");
    // musllinux does not allow libstdc++.so.6 unbundled either.
    assert!(found.contains(&"MC305".to_string()), "{found:?}");
}

#[test]
fn true_tags_pass_audit_wheel() {
    let output = cli(&[
        "audit-wheel",
        thirdparty(UJSON_MUSL).to_str().unwrap(),
        thirdparty(MARKUPSAFE_GLIBC).to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert_eq!(
        text.matches("tag is true to the content").count(),
        2,
        "{text}"
    );
}

/// Installs wheels the way pip does (unzip into site-packages, RECORD included).
fn site_packages(wheels: &[&str]) -> tempfile::TempDir {
    let venv = tempfile::tempdir().unwrap();
    let target = venv.path().join("lib/python3.11/site-packages");
    for wheel in wheels {
        let mut zip = zip::ZipArchive::new(File::open(thirdparty(wheel)).unwrap()).unwrap();
        zip.extract(&target).unwrap();
    }
    venv
}

#[test]
fn site_packages_files_carry_their_distribution_and_group_in_the_text_report() {
    let venv = site_packages(&[MARKUPSAFE_GLIBC, UJSON_GLIBC]);
    let (report, _) = json_scan(venv.path(), &[]);
    let ext = by_suffix(&report, "_speedups.cpython-311-x86_64-linux-gnu.so");
    assert_eq!(ext["package"]["name"], "MarkupSafe");
    assert_eq!(ext["package"]["version"], "2.1.5");
    assert_eq!(ext["host"]["kind"], "cpython");
    let ujson = by_suffix(&report, "ujson.cpython-311-x86_64-linux-gnu.so");
    assert_eq!(ujson["package"]["name"], "ujson");
    assert!(
        codes(ujson).contains(&"MC107".to_string()),
        "needs apk add libstdc++ libgcc"
    );

    // The package table says what it needs; --details groups the files.
    let text = stdout(&muslcheck(venv.path(), &[]));
    let row = text
        .lines()
        .find(|line| line.starts_with("ujson 5.10.0 "))
        .unwrap_or_else(|| panic!("no ujson row: {text}"));
    assert!(row.contains("apk add libgcc libstdc++"), "{row}");
    assert!(
        text.contains("RUN apk add --no-cache libgcc libstdc++"),
        "{text}"
    );
    let details = stdout(&muslcheck(venv.path(), &["--details"]));
    assert!(
        details.contains("pypi ujson 5.10.0: 0 of 1 ELF files break as they are"),
        "{details}"
    );
}

fn project(name: &str) -> PathBuf {
    corpus(&format!("projects/{name}"))
}

fn locked<'a>(report: &'a Value, name: &str) -> Option<&'a Value> {
    artifact_where(report, |a| {
        a["package"]["name"] == name && a.get("reinstall").is_some()
    })
}

#[test]
fn lockfiles_pinning_old_numpy_get_mc304_and_mc201_offline() {
    for lock in ["uv-numpy-1.24", "poetry-numpy-1.24"] {
        let (report, status) = json_scan(&project(lock), &[]);
        assert_eq!(status, 0, "warnings do not fail --fail-on error");
        let numpy = locked(&report, "numpy").unwrap_or_else(|| panic!("{lock}: numpy"));
        assert_eq!(numpy["package"]["version"], "1.24.4");
        assert_eq!(numpy["reinstall"], "source-build");
        assert_eq!(codes(numpy), ["MC304", "MC201"], "{lock}");
        assert!(
            numpy["findings"][1]["message"]
                .as_str()
                .unwrap()
                .contains("musllinux wheels from 1.25.0")
        );
        assert!(
            locked(&report, "six").is_none(),
            "pure Python is not listed"
        );
    }
    let (report, _) = json_scan(&project("uv-numpy-2.1"), &[]);
    let numpy = locked(&report, "numpy").unwrap();
    assert_eq!(numpy["reinstall"], "musl-build");
    assert!(codes(numpy).is_empty());
    // The 2.1 lock lists a musllinux wheel for aarch64 only as musllinux_1_2.
    let on = |arch: &str| {
        let lock = project("uv-numpy-2.1");
        let report = json_of(&cli(&[
            "--format",
            "json",
            "--arch",
            arch,
            lock.to_str().unwrap(),
        ]));
        locked(&report, "numpy").unwrap()["reinstall"].clone()
    };
    assert_eq!(on("aarch64"), "musl-build");
    assert_eq!(on("s390x"), "source-build");
}

#[test]
fn requirements_pins_are_answered_by_the_known_problem_table() {
    let (report, _) = json_scan(&project("requirements-mixed"), &[]);
    assert_eq!(
        locked(&report, "numpy").unwrap()["reinstall"],
        "source-build"
    );
    assert_eq!(
        locked(&report, "pandas").unwrap()["reinstall"],
        "musl-build"
    );
    assert_eq!(
        locked(&report, "psycopg2").unwrap()["reinstall"],
        "source-build"
    );
    assert!(
        locked(&report, "requests").is_none(),
        "not in the table: no guess"
    );
}

#[test]
fn real_manylinux_venv_groups_by_package_with_the_deciding_files() {
    let Some(venv) = fetched("venv") else {
        eprintln!("SKIPPED real-venv test: corpus/thirdparty/make-venv.sh builds it from PyPI");
        return;
    };
    let (report, status) = json_scan(&venv, &[]);
    assert_eq!(status, 1);
    let elf: Vec<&Value> = artifacts(&report)
        .iter()
        .filter(|a| a["facts"].is_object())
        .collect();
    assert!(elf.len() > 50);
    // Every ELF file under the venv belongs to a distribution.
    let unowned: Vec<&str> = elf
        .iter()
        .filter(|a| a.get("package").is_none())
        .map(|a| a["path"].as_str().unwrap())
        .collect();
    assert!(unowned.is_empty(), "{unowned:?}");
    let numpy_breaks = elf
        .iter()
        .filter(|a| a["package"]["name"] == "numpy" && a["verdict"] == "breaks")
        .count();
    assert!(
        numpy_breaks > 0,
        "numpy 1.26's bundled libgfortran needs glibc names"
    );
    // Every distribution with native files that the table knows has its answer.
    let answered: Vec<String> = artifacts(&report)
        .iter()
        .filter(|a| a["kind"] == "package")
        .map(|a| {
            format!(
                "{} {}",
                a["package"]["name"].as_str().unwrap(),
                a["reinstall"]
            )
        })
        .collect();
    assert_eq!(
        answered,
        [
            "cryptography \"musl-build\"",
            "grpcio \"musl-build\"",
            "lxml \"musl-build\"",
            "numpy \"musl-build\"",
            "orjson \"musl-build\"",
            "pandas \"musl-build\"",
            "pillow \"musl-build\""
        ]
    );
    let details = stdout(&muslcheck(&venv, &["--details"]));
    for header in [
        "pypi numpy 1.26.4:",
        "pypi cryptography 42.0.8:",
        "pypi pillow 10.4.0:",
    ] {
        assert!(details.contains(header), "{header} missing");
    }
    // By default: every distribution named, no `apk add` (each breaking one
    // is reinstalled from a musllinux wheel, which bundles what its glibc
    // files needed from the system), a screen.
    let text = stdout(&muslcheck(&venv, &[]));
    let distributions: std::collections::BTreeSet<(String, String)> = elf
        .iter()
        .map(|a| {
            let package = &a["package"];
            (
                package["name"].as_str().unwrap().to_string(),
                package["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (name, version) in &distributions {
        assert!(
            text.contains(&format!("{name} {version}")),
            "{name} {version} not named: {text}"
        );
    }
    assert!(
        text.contains("MC107") || details.contains("MC107"),
        "{details}"
    );
    assert_eq!(text.matches("RUN apk add --no-cache ").count(), 0, "{text}");
    assert!(
        text.lines().count() <= 3 * distributions.len() + 20,
        "{text}"
    );
}

#[test]
fn installed_distributions_with_native_files_get_the_known_tables_answer() {
    let venv = site_packages(&[MARKUPSAFE_GLIBC, UJSON_GLIBC]);
    let (report, _) = json_scan(venv.path(), &[]);
    let answers: Vec<&Value> = artifacts(&report)
        .iter()
        .filter(|a| a["kind"] == "package")
        .collect();
    // MarkupSafe is not in the table: nothing to say offline.
    assert_eq!(answers.len(), 1, "{answers:#?}");
    let ujson = answers[0];
    assert_eq!(
        ujson["path"],
        "lib/python3.11/site-packages/ujson-5.10.0.dist-info"
    );
    assert_eq!(ujson["package"]["name"], "ujson");
    assert_eq!(ujson["reinstall"], "musl-build");
    assert_eq!(ujson["source"]["from"], "known-table");

    // The same files under an older version's metadata (ujson before 4.2.0
    // had no musllinux wheel): pip on Alpine builds the sdist.
    let site = venv.path().join("lib/python3.11/site-packages");
    std::fs::rename(
        site.join("ujson-5.10.0.dist-info"),
        site.join("ujson-4.0.2.dist-info"),
    )
    .unwrap();
    let (report, _) = json_scan(venv.path(), &[]);
    let old = artifact_where(&report, |a| a["kind"] == "package").expect("an answer");
    assert_eq!(old["package"]["version"], "4.0.2");
    assert_eq!(old["reinstall"], "source-build");
    assert_eq!(old["first_musl_version"], "4.2.0");
    assert_eq!(old["build_packages"][0], "build-base");
    assert_eq!(codes(old), ["MC201"]);
}

/// The musllinux venv corpus/thirdparty/make-musl-venv.sh builds, when built.
fn musl_venv() -> Option<PathBuf> {
    let venv = fetched("musl-venv");
    if venv.is_none() {
        if std::env::var_os("MUSLCHECK_REQUIRE_TOOLS").is_some() {
            panic!("corpus/thirdparty/fetched/musl-venv absent (MUSLCHECK_REQUIRE_TOOLS is set)");
        }
        eprintln!("SKIPPED: corpus/thirdparty/make-musl-venv.sh builds the musl venv from PyPI");
    }
    venv
}

/// pyarrow's `libarrow_python.so.2600` is not a module but is loaded
/// (DT_NEEDED) by `pyarrow/lib.cpython-311-x86_64-linux-musl.so`, so the
/// interpreter provides its `Py*` names.
#[test]
fn a_library_a_python_module_loads_gets_the_interpreters_symbols() {
    let Some(venv) = musl_venv() else { return };
    let (report, _) = json_scan(&venv, &[]);
    let helper = by_suffix(&report, "pyarrow/libarrow_python.so.2600");
    assert_eq!(helper["verdict"], "ok", "{helper:#}");
    assert_eq!(helper["host"]["kind"], "cpython");
    // The first of pyarrow's modules (in scan order) that loads it.
    let loaded_by = helper["host"]["loaded_by"].as_str().unwrap();
    assert!(
        loaded_by.starts_with("pyarrow/")
            && loaded_by.ends_with(".cpython-311-x86_64-linux-musl.so"),
        "{loaded_by}"
    );
    let evidence = helper["host"]["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("a CPython extension module"),
        "{evidence}"
    );
    assert!(helper["load"]["from_host"].as_u64().unwrap() > 100);
    // The copies a wheel ships under the other names of the same SONAME.
    for copy in [
        "pyarrow/libarrow_python.so",
        "pyarrow/libarrow_python.so.2600.1.0",
    ] {
        let copy = by_suffix(&report, copy);
        assert_eq!(copy["host"]["kind"], "cpython");
        assert_eq!(copy["verdict"], "ok");
    }
    // The module itself: the libraries it loads get the host's names too.
    let module = by_suffix(&report, "pyarrow/lib.cpython-311-x86_64-linux-musl.so");
    assert_eq!(module["verdict"], "ok");
    assert!(module["host"]["loaded_by"].is_null());

    // The real loader: alone, the helper misses only names the host provides.
    let loader = Path::new("/lib/ld-musl-x86_64.so.1");
    if !loader.exists() {
        eprintln!("note: no musl loader, the ground-truth half skipped");
        return;
    }
    let output = std::process::Command::new(loader)
        .arg("--list")
        .arg(venv.join("pyarrow/libarrow_python.so.2600"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("Error")).collect();
    assert!(errors.len() > 100, "{stderr}");
    let not_python: Vec<&&str> = errors
        .iter()
        .filter(|l| !l.contains(": Py") && !l.contains(": _Py"))
        .collect();
    assert!(not_python.is_empty(), "{not_python:#?}");
}

/// A correct musllinux install: every file loads on Alpine (pyarrow's
/// helpers get the interpreter's names; pillow's `libz.so.1` is in the base
/// image).
#[test]
fn real_musllinux_venv_loads_on_alpine() {
    let Some(venv) = musl_venv() else { return };
    let (report, status) = json_scan(&venv, &[]);
    let failing: Vec<String> = artifacts(&report)
        .iter()
        .filter(|a| a["verdict"] == "breaks" || a["verdict"] == "unknown")
        .map(|a| format!("{} {} {:?}", a["path"], a["verdict"], codes(a)))
        .collect();
    assert!(failing.is_empty(), "{failing:#?}");
    assert_eq!(status, 0);
    let with_codes: Vec<&str> = artifacts(&report)
        .iter()
        .filter(|a| !codes(a).is_empty())
        .filter_map(|a| a["path"].as_str())
        .collect();
    assert!(with_codes.is_empty(), "no MC107 for zlib: {with_codes:?}");
    let imaging = by_suffix(&report, "PIL/_imaging.cpython-311-x86_64-linux-musl.so");
    let libraries = imaging["load"]["libraries"].as_array().unwrap();
    assert!(
        libraries.iter().any(|pair| pair[0] == "libz.so.1"
            && pair[1].as_str().unwrap().starts_with("zlib ")
            && pair[1].as_str().unwrap().contains("base image")),
        "{libraries:?}"
    );
}

/// Real manylinux wheels whose files need `ld-linux-x86-64.so.2` (through
/// `__tls_get_addr` and friends): auditwheel always excludes the ELF loader
/// (`filter_libs` in its policy module), and so does MC305.
#[test]
fn audit_wheel_never_counts_the_dynamic_loader_as_external() {
    let Some(wheels) = fetched("wheels") else {
        if std::env::var_os("MUSLCHECK_REQUIRE_TOOLS").is_some() {
            panic!("corpus/thirdparty/fetched/wheels absent (MUSLCHECK_REQUIRE_TOOLS is set)");
        }
        eprintln!("SKIPPED: corpus/thirdparty/make-wheels.sh downloads the wheels from PyPI");
        return;
    };
    // The wheels do name the loader.
    let (report, _) = json_scan(&wheels, &[]);
    let needs_loader = artifacts(&report).iter().any(|a| {
        a["facts"]["needed"]
            .as_array()
            .is_some_and(|n| n.iter().any(|l| l == "ld-linux-x86-64.so.2"))
    });
    assert!(needs_loader, "no member needs ld-linux-x86-64.so.2");
    let output = cli(&["audit-wheel", wheels.to_str().unwrap()]);
    let text = stdout(&output);
    assert!(!text.contains("MC305"), "{text}");
    assert_eq!(
        text.matches("tag is true to the content").count(),
        2,
        "{text}"
    );
    assert_eq!(output.status.code(), Some(0), "{text}");
}

/// audit-wheel is for wheels: a directory without one, or another file,
/// is a usage error (exit 2) saying what was expected.
#[test]
fn audit_wheel_on_something_else_than_wheels_is_a_usage_error() {
    let text_file = corpus("src/hello.c");
    let no_wheels = corpus("src");
    for path in [&text_file, &no_wheels] {
        let output = cli(&["audit-wheel", path.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(2), "{}", path.display());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("audit-wheel expects wheel files")
                && stderr.contains(&path.display().to_string()),
            "{stderr}"
        );
        assert!(output.stdout.is_empty());
    }
}

/// An installed distribution's known-problem answer is about installing on
/// musl (numpy 1.24 has no musllinux wheel: MC201): it is said for Alpine,
/// not for a glibc image, where the manylinux files load as they are.
#[test]
fn installed_distributions_get_musl_install_findings_on_musl_targets_only() {
    let venv = tempfile::tempdir().unwrap();
    let site = venv.path().join("site-packages");
    common::install_distribution(
        &site,
        "numpy",
        "1.24.4",
        "python/demo.cpython-311-x86_64-linux-gnu.so",
        "numpy/core/_demo.cpython-311-x86_64-linux-gnu.so",
    );
    let entry = |target: &str| -> Value {
        let (report, _) = json_scan(venv.path(), &["--target", target, "--offline"]);
        artifact_where(&report, |a| {
            a["kind"] == "package" && a["package"]["name"] == "numpy"
        })
        .unwrap_or_else(|| panic!("{target}: no entry for numpy: {report:#}"))
        .clone()
    };
    let on_alpine = entry("alpine:3.20");
    assert_eq!(codes(&on_alpine), ["MC201"]);
    assert_eq!(on_alpine["reinstall"], "source-build", "{on_alpine}");
    // The known-problem answer is about musl: not the glibc image's answer.
    for target in ["debian:12-slim", "scratch"] {
        let elsewhere = entry(target);
        assert_eq!(codes(&elsewhere), Vec::<String>::new(), "{target}");
        assert_eq!(elsewhere["reinstall"], "unknown", "{target}: {elsewhere}");
        let detail = elsewhere["detail"].as_str().unwrap();
        assert!(
            detail.contains("numpy 1.24.4") && detail.contains("musl builds"),
            "{detail}"
        );
        assert!(elsewhere.get("first_musl_version").is_none(), "{elsewhere}");
    }
}

/// CPython writes only bytecode to `__pycache__` and never imports an
/// extension module from it: the walk does not enter it, unless
/// `--all-files`, and a library another file needs from there is not found.
#[test]
fn bytecode_caches_are_not_walked_unless_all_files() {
    let venv = site_packages(&[MARKUPSAFE_GLIBC]);
    let package = venv.path().join("lib/python3.11/site-packages/markupsafe");
    let cache = package.join("__pycache__");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(cache.join("__init__.cpython-311.pyc"), b"\xa7\x0d\x0d\x0a").unwrap();
    std::fs::copy(corpus("lib/libfcntl64.so"), cache.join("hidden.so")).unwrap();

    let (walked, _) = json_scan(venv.path(), &[]);
    let (all, _) = json_scan(venv.path(), &["--all-files"]);
    let in_cache = |report: &Value| {
        artifacts(report).iter().any(|a| {
            a["path"]
                .as_str()
                .is_some_and(|p| p.contains("__pycache__"))
        })
    };
    assert!(!in_cache(&walked), "{walked:#}");
    assert!(in_cache(&all), "{all:#}");
    // The module beside the cache is judged either way.
    by_suffix(&walked, "_speedups.cpython-311-x86_64-linux-gnu.so");
    let files = |report: &Value| report["summary"]["files_walked"].as_u64().unwrap();
    assert_eq!(files(&all), files(&walked) + 2, "{all:#}");
}
