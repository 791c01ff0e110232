//! muslcheck against Alpine's own loaders: the fixtures are copied into the
//! real Alpine root filesystems (the minirootfs tarballs the official images
//! are built from, committed in corpus/alpine-minirootfs with their
//! provenance) and `chroot ROOT /lib/ld-musl-x86_64.so.1 --list FILE` says
//! whether they load. Needs root (chroot); without it the test says why and
//! passes, only when MUSLCHECK_REQUIRE_TOOLS is unset.

mod common;

use std::path::Path;
use std::process::Command;

use muslcheck::model::{Arch, Code, Verdict};
use muslcheck::platform::Platform;
use muslcheck::{Artifact, Options};

use common::{alpine_root, codes, codes_of, corpus, scan_with};

/// What Alpine's loader says of `fixture` (a corpus path) copied into `root`:
/// whether it loads, and its error lines.
fn alpine_loader_says(root: &Path, fixture: &str) -> (bool, Vec<String>) {
    let name = Path::new(fixture).file_name().unwrap();
    std::fs::copy(corpus(fixture), root.join("tmp").join(name)).unwrap();
    let inside = Path::new("/tmp").join(name);
    let output = Command::new("chroot")
        .arg(root)
        .arg("/lib/ld-musl-x86_64.so.1")
        .arg("--list")
        .arg(&inside)
        .output()
        .unwrap();
    let errors = String::from_utf8_lossy(&output.stderr)
        .lines()
        .map(|l| l.replace(&inside.display().to_string(), fixture))
        .collect();
    (output.status.success(), errors)
}

/// The corpus directory `dir` copied into `root`'s /tmp under a name of this
/// process: (its path on the host, its path inside the root).
fn fixtures_in_root(root: &Path, dir: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let name = format!("{}-{}", dir.replace('/', "-"), std::process::id());
    let on_host = root.join("tmp").join(&name);
    std::fs::create_dir_all(&on_host).unwrap();
    for entry in std::fs::read_dir(corpus(dir)).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), on_host.join(entry.file_name())).unwrap();
    }
    (on_host, Path::new("/tmp").join(name))
}

fn scan_on(fixture: &str, target: &str) -> Artifact {
    let options = Options {
        platform: Platform::new(target.parse().unwrap(), Arch::X86_64, false),
        ..Default::default()
    };
    let mut report = scan_with(&[corpus(fixture)], &options);
    report.artifacts.remove(0)
}

/// The loader's messages muslcheck predicts, with the fixture's corpus path.
fn predicted_messages(artifact: &Artifact, fixture: &str) -> Vec<String> {
    let full = corpus(fixture).display().to_string();
    artifact
        .findings()
        .iter()
        .flat_map(|f| f.loader_messages.iter())
        .map(|m| m.replace(&full, fixture))
        .collect()
}

/// zlib and OpenSSL are in every Alpine base image: a file needing them
/// loads without an `apk add`, and their symbols are checked like musl's.
/// EVP_MD_CTX_dup (OpenSSL 3.1) is missing from Alpine 3.17's libcrypto3 3.0.
#[test]
fn base_image_libraries_satisfy_needs_and_their_symbols_are_checked() {
    let fixture = "lib/libuses-base-libs.so";
    for (release, loads) in [("3.17", false), ("3.19", true), ("3.20", true)] {
        let artifact = scan_on(fixture, &format!("alpine:{release}"));
        assert!(
            !codes_of(&artifact).contains(&Code::NeedsAlpinePackage),
            "{release}: {:?}",
            codes_of(&artifact)
        );
        let libraries = &artifact.assessment.load.as_ref().unwrap().libraries;
        let zlib = libraries
            .iter()
            .find(|(name, _)| name == "libz.so.1")
            .unwrap();
        assert!(
            zlib.1.starts_with("zlib ") && zlib.1.contains(&format!("alpine:{release} base image")),
            "{zlib:?}"
        );
        if loads {
            assert_eq!(artifact.verdict(), Verdict::Ok, "{release}");
        } else {
            assert_eq!(artifact.verdict(), Verdict::Breaks, "{release}");
            assert_eq!(codes_of(&artifact), [Code::MissingSymbols]);
        }
        let Some(root) = alpine_root(release) else {
            continue;
        };
        let (loaded, errors) = alpine_loader_says(&root, fixture);
        assert_eq!(loaded, loads, "Alpine {release}'s loader: {errors:?}");
        assert_eq!(predicted_messages(&artifact, fixture), errors, "{release}");
    }
    // A release without a minirootfs here: the table of the nearest one with
    // the same musl, and the evidence says which.
    let artifact = scan_on(fixture, "alpine:3.18");
    assert_eq!(artifact.verdict(), Verdict::Ok);
    let libraries = &artifact.assessment.load.as_ref().unwrap().libraries;
    let crypto = libraries
        .iter()
        .find(|(name, _)| name == "libcrypto.so.3")
        .unwrap();
    assert!(
        crypto.1.contains("exports from Alpine 3.19's minirootfs"),
        "{crypto:?}"
    );
}

/// statx came with musl 1.2.5 (Alpine 3.20): on 3.18 the file breaks, and
/// the remedy is the newer image, with the release machine-readable.
#[test]
fn a_newer_musl_is_the_remedy_when_it_has_every_missing_name() {
    let fixture = "lib/libstatx-musl.so";
    let old = scan_on(fixture, "alpine:3.18");
    assert_eq!(old.verdict(), Verdict::Breaks);
    assert_eq!(codes_of(&old), [Code::MissingSymbols]);
    let finding = &old.findings()[0];
    assert_eq!(finding.min_alpine.as_deref(), Some("3.20"));
    assert_eq!(
        finding.remedy.as_deref(),
        Some("use Alpine ≥ 3.20 (musl 1.2.5 adds statx): `FROM alpine:3.20`")
    );
    assert_eq!(scan_on(fixture, "alpine:3.20").verdict(), Verdict::Ok);
    // No newer musl has a glibc-only name: no such remedy then.
    let glibc = scan_on("lib/libfortified.so", "alpine:3.18");
    assert!(glibc.findings().iter().all(|f| f.min_alpine.is_none()));

    // Alpine's own loaders: 3.19's musl 1.2.4 lacks statx, 3.20's 1.2.5 has it.
    for (release, loads) in [("3.19", false), ("3.20", true)] {
        let Some(root) = alpine_root(release) else {
            continue;
        };
        let (loaded, errors) = alpine_loader_says(&root, fixture);
        assert_eq!(loaded, loads, "Alpine {release}: {errors:?}");
        let predicted =
            predicted_messages(&scan_on(fixture, &format!("alpine:{release}")), fixture);
        assert_eq!(predicted, errors, "{release}");
    }
}

/// musl gives a thread created with default attributes 128 KiB of stack
/// (glibc: the stack limit, 8 MiB). A glibc-built library running 512 KiB
/// of stack in such a thread loads under Alpine's loaders and then crashes
/// (SIGSEGV); it survives when its thread asks for 1 MiB, or when the program
/// raises musl's default with `-z stack-size`. MC403 is said of the first
/// library only, and not on a glibc image.
#[test]
fn threads_with_default_stacks_overflow_on_musl_where_mc403_says() {
    use std::os::unix::process::ExitStatusExt;
    let dir = "image/threads-stack";
    for release in ["3.17", "3.20"] {
        let Some(root) = alpine_root(release) else {
            return;
        };
        let (tmp, inside) = fixtures_in_root(&root, dir);
        let run = |host: &str, library: &str| {
            Command::new("chroot")
                .arg(&root)
                .arg(inside.join(host))
                .arg(inside.join(library))
                .output()
                .unwrap()
        };
        let crashed = run("host-default", "libdeep-default.so");
        assert_eq!(
            crashed.status.signal(),
            Some(libc::SIGSEGV),
            "{release}: {crashed:?}"
        );
        // A library's own `-z stack-size` does not count: it is dlopened.
        let zsize = run("host-default", "libdeep-zsize.so");
        assert_eq!(
            zsize.status.signal(),
            Some(libc::SIGSEGV),
            "{release}: {zsize:?}"
        );
        for (host, library) in [
            ("host-default", "libdeep-sized.so"),
            ("host-1m", "libdeep-default.so"),
        ] {
            let output = run(host, library);
            assert_eq!(
                output.status.code(),
                Some(0),
                "{release} {host} {library}: {output:?}"
            );
            assert!(String::from_utf8_lossy(&output.stdout).starts_with("survived"));
        }
        std::fs::remove_dir_all(&tmp).unwrap();
        let target = format!("alpine:{release}");
        let default = scan_on(&format!("{dir}/libdeep-default.so"), &target);
        assert_eq!(default.verdict(), Verdict::Ok, "it loads");
        assert_eq!(codes_of(&default), [Code::SmallThreadStacks], "{target}");
        let zsize = scan_on(&format!("{dir}/libdeep-zsize.so"), &target);
        assert_eq!(codes_of(&zsize), [Code::SmallThreadStacks], "{target}");
        let sized = scan_on(&format!("{dir}/libdeep-sized.so"), &target);
        assert!(
            sized.findings().is_empty(),
            "{target}: {:?}",
            codes_of(&sized)
        );
    }
    let on_glibc = scan_on(&format!("{dir}/libdeep-default.so"), "debian:12-slim");
    assert!(on_glibc.findings().is_empty(), "{:?}", codes_of(&on_glibc));
}

/// musl gives static TLS only to what a program loads at start. Alpine's
/// loaders refuse a module dlopened with initial-exec TLS, whether it reaches
/// an exported thread-local symbol or its own block; they load one built
/// with the default model, and start a program that needs an initial-exec
/// library. MC114 is said of exactly the refused modules, in the loader's
/// words where the symbol is known.
#[test]
fn initial_exec_tls_is_refused_to_dlopen_where_mc114_says() {
    let modules = [
        "ietls_named.cpython-312-x86_64-linux-musl.so",
        "ietls_own.cpython-312-x86_64-linux-musl.so",
        "gdtls.cpython-312-x86_64-linux-musl.so",
    ];
    for release in ["3.17", "3.20"] {
        let Some(root) = alpine_root(release) else {
            return;
        };
        let (tmp, inside) = fixtures_in_root(&root, "image/tls");
        let run = |program: &str, argument: &str| {
            Command::new("chroot")
                .arg(&root)
                .arg("env")
                .arg(format!("LD_LIBRARY_PATH={}", inside.display()))
                .arg(inside.join(program))
                .arg(inside.join(argument))
                .output()
                .unwrap()
        };
        let target = format!("alpine:{release}");
        let (report, _) = common::json_scan(&tmp, &["--target", &target]);
        let mut refused = Vec::new();
        for module in modules {
            let output = run("tls-probe", module);
            let said = String::from_utf8_lossy(&output.stdout).trim().to_string();
            let loader_refused = said.contains("initial-exec TLS resolves to dynamic definition");
            let artifact = common::artifact(&report, module);
            let mc114 = artifact["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["code"] == "MC114");
            assert_eq!(
                mc114.is_some(),
                loader_refused,
                "{target} {module}: `{said}`"
            );
            if loader_refused {
                refused.push(module);
            } else {
                assert_eq!(said, "bumped: 2", "{target} {module}");
            }
            // The loader's line, where muslcheck can know it (the symbol is named).
            if let Some(message) = mc114.and_then(|f| f["loader_messages"][0].as_str()) {
                assert_eq!(said.replace(&format!("{}/", inside.display()), ""), message);
            }
        }
        assert_eq!(refused, modules[..2], "{target}");
        // A program needing an initial-exec library at start: static TLS, fine.
        let program = run("ietls-program", "gdtls.cpython-312-x86_64-linux-musl.so");
        assert_eq!(program.status.code(), Some(0), "{target}: {program:?}");
        for file in ["ietls-program", "libietls-named.so"] {
            let codes = codes(common::artifact(&report, file));
            assert!(
                !codes.contains(&"MC114".to_string()),
                "{target} {file}: {codes:?}"
            );
        }
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}

/// musl binds every symbol when it loads a file, except under a dlopen with
/// RTLD_LAZY (Node, the JVM, Ruby), which leaves a PLT or GOT entry it cannot
/// bind for later: the addon loads, and the process dies at the first call.
/// An absolute data reference still stops the load, and CPython dlopens with
/// RTLD_NOW. muslcheck's MC102 gives the loader's line exactly where the
/// load fails, and none where it does not.
#[test]
fn a_lazy_dlopen_defers_plt_and_got_entries_as_mc102_says() {
    use std::os::unix::process::ExitStatusExt;
    // (module, dlopen mode the host uses)
    let modules = [
        ("calls-absent-musl.node", "lazy"),
        ("data-absent-musl.node", "lazy"),
        ("lazy.cpython-312-x86_64-linux-musl.so", "now"),
        ("needs-lazy-dep.node", "lazy"),
    ];
    for release in ["3.17", "3.20"] {
        let Some(root) = alpine_root(release) else {
            return;
        };
        let (tmp, inside) = fixtures_in_root(&root, "image/lazy");
        let probe = |module: &str, mode: &str| {
            Command::new("chroot")
                .arg(&root)
                .arg(inside.join("lazy-probe-musl"))
                .arg(inside.join(module))
                .arg(mode)
                .output()
                .unwrap()
        };
        let target = format!("alpine:{release}");
        let (report, _) = common::json_scan(&tmp, &["--target", &target]);
        let mut loaded = Vec::new();
        for (module, mode) in modules {
            let output = probe(module, mode);
            let said = String::from_utf8_lossy(&output.stdout).trim().to_string();
            let artifact = common::artifact(&report, module);
            assert_eq!(artifact["verdict"], "breaks", "{target} {module}");
            // Its own missing names (MC102), or its tree library's (MC105).
            let mc102 = artifact["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["code"] == "MC102" || f["code"] == "MC105")
                .unwrap_or_else(|| panic!("{target} {module}: {:?}", codes(artifact)));
            let predicted: Vec<String> = mc102["loader_messages"]
                .as_array()
                .map(|m| m.iter().map(|l| l.as_str().unwrap().to_string()).collect())
                .unwrap_or_default();
            if said == "loaded" {
                assert!(
                    predicted.is_empty(),
                    "{target} {module}: loads, muslcheck says {predicted:?}"
                );
                let message = mc102["message"].as_str().unwrap();
                assert!(
                    message.contains("it loads, and the process dies"),
                    "{target} {module}: {message}"
                );
                loaded.push(module);
            } else {
                let real = said.replace(&format!("{}/", inside.display()), "");
                assert_eq!(predicted, [real], "{target} {module}");
            }
        }
        assert_eq!(
            loaded,
            ["calls-absent-musl.node", "needs-lazy-dep.node"],
            "{target}"
        );
        // The deferred slot: the first call kills the process.
        let call = probe("calls-absent-musl.node", "call");
        assert_eq!(
            call.status.signal(),
            Some(libc::SIGSEGV),
            "{target}: {call:?}"
        );
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}

/// The plan's command that keeps the libraries files built from source load
/// (`apk del .build-deps` would remove them with the `-dev` packages), run
/// by Alpine's own busybox, scanelf and apk in a copy of the root: every
/// library Alpine-built files need becomes a dependency of `.run-deps` by
/// soname, but for the names the tree has itself (a musllinux wheel's
/// bundled libstdc++) and for what glibc files beside them need.
#[test]
fn the_plans_command_keeps_what_built_files_load_in_a_real_alpine() {
    let Some(shared) = alpine_root("3.20") else {
        return;
    };
    // apk writes its database: a root of this test's own.
    let root =
        std::env::temp_dir().join(format!("muslcheck-keep-libraries-{}", std::process::id()));
    let copied = Command::new("cp")
        .arg("-a")
        .arg(&shared)
        .arg(&root)
        .status()
        .unwrap();
    assert!(copied.success());
    let site = root.join("tmp/site");
    std::fs::create_dir_all(site.join("built")).unwrap();
    // Built on Alpine: libapk needs libssl, libcrypto, zlib and musl.
    let libapk = std::fs::read_dir(root.join("lib"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.to_string_lossy().contains("libapk.so"))
        .expect("the minirootfs's libapk");
    std::fs::copy(&libapk, site.join("built/_ext.so")).unwrap();
    // A musllinux wheel (its libstdc++ and libgcc_s bundled), and a glibc one.
    for wheel in [
        "ujson-5.10.0-cp311-cp311-musllinux_1_2_x86_64.whl",
        "ujson-5.10.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    ] {
        let into = site.join(if wheel.contains("musl") {
            "musl"
        } else {
            "glibc"
        });
        let file = std::fs::File::open(corpus(&format!("thirdparty/{wheel}"))).unwrap();
        zip::ZipArchive::new(file).unwrap().extract(&into).unwrap();
    }

    let command = muslcheck::model::keep_built_libraries_command(
        "apk add --no-network",
        &["/tmp/site".to_string()],
    )
    .join(" ");
    let run = Command::new("chroot")
        .arg(&root)
        .args(["/bin/sh", "-c", &command])
        .output()
        .unwrap();
    let kept = Command::new("chroot")
        .arg(&root)
        .args(["/sbin/apk", "info", "--no-network", "-R", ".run-deps"])
        .output()
        .unwrap();
    std::fs::remove_dir_all(&root).unwrap();
    assert!(run.status.success(), "{command}\n{run:?}");
    let depends: Vec<String> = String::from_utf8_lossy(&kept.stdout)
        .lines()
        .filter(|line| line.starts_with("so:"))
        .map(str::to_string)
        .collect();
    assert_eq!(
        depends,
        [
            "so:libc.musl-x86_64.so.1",
            "so:libcrypto.so.3",
            "so:libssl.so.3",
            "so:libz.so.1"
        ],
        "{kept:?}"
    );
}
