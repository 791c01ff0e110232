//! The glibc and no-libc loader model against the real thing: each profile's
//! own Debian packages (left unpacked under /tmp/muslcheck-base-images by
//! tools/gen-base-images.sh) laid out as a root, the fixture run there with
//! `chroot` (root only), and muslcheck's verdict and loader message compared
//! with what glibc's ld.so (or the kernel, on an image without one) says.
//! Skips with a message when not root or the packages are absent.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use common::{codes, corpus, finding, json_scan, running_as_root};
use muslcheck::model::Arch;
use muslcheck::platform::Profile;

fn packages_dir() -> PathBuf {
    std::env::var_os("MUSLCHECK_BASE_IMAGES_WORK")
        .map_or_else(
            || PathBuf::from("/tmp/muslcheck-base-images"),
            PathBuf::from,
        )
        .join("apt")
}

fn skip(why: &str) -> Option<tempfile::TempDir> {
    if std::env::var_os("MUSLCHECK_REQUIRE_TOOLS").is_some() {
        panic!("{why} (MUSLCHECK_REQUIRE_TOOLS is set)");
    }
    eprintln!("SKIPPED: {why}");
    None
}

/// The extracted package `package` at `version` for amd64, in any suite;
/// else the same upstream release with another Debian revision (the archive
/// moved on with a security update since the profile was generated).
fn extracted(package: &str, version: &str) -> Option<PathBuf> {
    let version = version.replace(':', "%3a");
    let upstream = version
        .rsplit_once('-')
        .map_or(version.as_str(), |(u, _)| u);
    let mut same_upstream = None;
    for suite in std::fs::read_dir(packages_dir()).ok()?.flatten() {
        for entry in std::fs::read_dir(suite.path().join("x"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = entry.file_name().to_string_lossy().to_string();
            let Some(rest) = name.strip_prefix(&format!("{package}_")) else {
                continue;
            };
            let Some((found, arch)) = rest.rsplit_once('_') else {
                continue;
            };
            if !matches!(arch, "amd64" | "all") {
                continue;
            }
            if found == version {
                return Some(entry.path());
            }
            if found.rsplit_once('-').map_or(found, |(u, _)| u) == upstream {
                same_upstream = Some(entry.path());
            }
        }
    }
    if let Some(dir) = &same_upstream {
        eprintln!(
            "note: {package} {version} not unpacked; using {}",
            dir.display()
        );
    }
    same_upstream
}

/// A root with the packages of `image`'s shared libraries (merged /usr: the
/// top-level lib, lib64, bin and sbin are links into usr/).
fn image_root(image: &str) -> Option<tempfile::TempDir> {
    if !running_as_root() {
        return skip("chroot needs root");
    }
    let profile = Profile::lookup(image, Arch::X86_64).unwrap();
    let root = tempfile::tempdir().unwrap();
    for dir in ["usr/lib", "usr/lib64", "usr/bin", "usr/sbin", "tmp"] {
        std::fs::create_dir_all(root.path().join(dir)).unwrap();
    }
    for link in ["lib", "lib64", "bin", "sbin"] {
        std::os::unix::fs::symlink(format!("usr/{link}"), root.path().join(link)).unwrap();
    }
    let mut packages: Vec<(&str, &str)> = profile
        .libraries()
        .iter()
        .filter_map(|l| Some((l.package?, l.package_version?)))
        .collect();
    packages.sort();
    packages.dedup();
    for (package, version) in packages {
        let Some(dir) = extracted(package, version) else {
            return skip(&format!(
                "{package} {version} is not unpacked under {} (tools/gen-base-images.sh does it)",
                packages_dir().display()
            ));
        };
        copy_merged(&dir, &dir, root.path());
    }
    Some(root)
}

fn copy_merged(base: &Path, dir: &Path, root: &Path) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let relative = path
            .strip_prefix(base)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let merged = ["lib/", "lib64/", "bin/", "sbin/"]
            .iter()
            .find(|top| relative.starts_with(*top))
            .map_or(relative.clone(), |_| format!("usr/{relative}"));
        let to = root.join(&merged);
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            std::fs::create_dir_all(&to).unwrap();
            copy_merged(base, &path, root);
        } else if kind.is_symlink() {
            let _ = std::fs::remove_file(&to);
            std::os::unix::fs::symlink(std::fs::read_link(&path).unwrap(), &to).unwrap();
        } else if !to.exists() {
            std::fs::copy(&path, &to).unwrap();
        }
    }
}

/// Runs corpus `fixture` as /tmp/NAME in `root`: (exit code, stderr first line).
fn run_in(root: &Path, fixture: &str) -> (Option<i32>, String, PathBuf) {
    let name = Path::new(fixture).file_name().unwrap();
    let inside = root.join("tmp").join(name);
    std::fs::copy(corpus(fixture), &inside).unwrap();
    let output = Command::new("/usr/sbin/chroot")
        .arg(root)
        .arg(Path::new("/tmp").join(name))
        .env_clear()
        .env("PATH", "/usr/bin:/bin:/usr/sbin:/sbin")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let first = stderr.lines().next().unwrap_or_default().to_string();
    (output.status.code(), first, inside)
}

/// muslcheck on the copy inside the root, its artifact, with the copy's path
/// written as the program sees it (/tmp/NAME).
fn judge(image: &str, root: &Path, inside: &Path) -> (Value, Vec<String>) {
    let (report, _) = json_scan(inside, &["--target", image]);
    let artifact = report["artifacts"][0].clone();
    let shown = artifact["path"].as_str().unwrap().to_string();
    let in_root = format!("/{}", inside.strip_prefix(root).unwrap().display());
    let messages = artifact["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["loader_messages"].as_array().cloned().unwrap_or_default())
        .map(|m| m.as_str().unwrap().replace(&shown, &in_root))
        .collect();
    (artifact, messages)
}

/// debian:11-slim has glibc 2.31: ld.so refuses a program needing
/// pthread_create@GLIBC_2.34 with the message muslcheck predicts, and
/// muslcheck names the newest node the image has (GLIBC_2.30: 2.31 defines none).
#[test]
fn a_glibc_2_34_program_fails_on_debian_11_as_ld_so_says() {
    let Some(root) = image_root("debian:11-slim") else {
        return;
    };
    let (status, real, inside) = run_in(root.path(), "image/threads");
    assert_ne!(status, Some(0));
    assert_eq!(
        real,
        "/tmp/threads: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found (required by /tmp/threads)"
    );
    let (artifact, messages) = judge("debian:11-slim", root.path(), &inside);
    assert_eq!(artifact["verdict"], "breaks");
    assert_eq!(messages.first(), Some(&real), "{messages:?}");
    let nodes = &finding(&artifact, "MC109")["evidence"]["nodes"];
    assert_eq!(nodes[0]["node"], "GLIBC_2.34");
    assert_eq!(nodes[0]["newest_defined"], "GLIBC_2.30");
}

/// The same program runs on debian:12-slim (glibc 2.36), and muslcheck says ok.
#[test]
fn a_glibc_2_34_program_runs_on_debian_12() {
    let Some(root) = image_root("debian:12-slim") else {
        return;
    };
    let (status, real, inside) = run_in(root.path(), "image/threads");
    assert_eq!(status, Some(0), "{real}");
    let (artifact, _) = judge("debian:12-slim", root.path(), &inside);
    assert_eq!(artifact["verdict"], "ok", "{artifact:#}");
}

/// glibc 2.41 (debian:13-slim) refuses to dlopen an object that needs an
/// executable stack, 2.36 (debian:12-slim) makes the stack executable. The
/// probe dlopens each fixture in a root of the image's own glibc; a file is
/// refused exactly where muslcheck says so (MC113 for what a host loads,
/// MC402 for a library no host loads), in the loader's words, and the
/// program that needs the library at start runs on both.
#[test]
fn dlopen_refuses_executable_stacks_where_muslcheck_says() {
    let files = [
        "stackmod.cpython-312-x86_64-linux-gnu.so",
        "stackown.cpython-312-x86_64-linux-gnu.so",
        "libstack-exec.so",
        "libstack-unmarked.so",
        "dlopen-probe",
    ];
    let mut refused_on = Vec::new();
    for image in ["debian:12-slim", "debian:13-slim"] {
        let Some(root) = image_root(image) else {
            return;
        };
        let dir = root.path().join("tmp/execstack");
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(corpus("image/execstack")).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
        }
        let chroot = |args: &[String]| {
            Command::new("/usr/sbin/chroot")
                .arg(root.path())
                .args(args)
                .env_clear()
                .env("PATH", "/usr/bin:/bin")
                // $ORIGIN of the program without /proc (the root has none).
                .env("LD_ORIGIN_PATH", "/tmp/execstack")
                .output()
                .unwrap()
        };
        let mut probe = vec!["/tmp/execstack/dlopen-probe".to_string()];
        probe.extend(files.iter().map(|f| format!("/tmp/execstack/{f}")));
        let output = chroot(&probe);
        assert_eq!(output.status.code(), Some(0), "{image}: {output:?}");
        let lines: Vec<String> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        assert_eq!(lines.len(), files.len(), "{image}: {lines:?}");
        let (report, _) = json_scan(&dir, &["--target", image]);
        for (file, line) in files.iter().zip(&lines) {
            let artifact = report["artifacts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["path"] == *file)
                .unwrap_or_else(|| panic!("{file} not in the report"));
            let found: Vec<&Value> = artifact["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["code"] == "MC113" || f["code"] == "MC402")
                .collect();
            let refused = line.ends_with(
                "cannot enable executable stack as shared object requires: Invalid argument",
            );
            assert_eq!(
                !found.is_empty(),
                refused,
                "{image} {file}: ld.so `{line}`, muslcheck {:?}",
                codes(artifact)
            );
            if let Some(finding) = found.first() {
                refused_on.push(format!("{image} {file}"));
                // muslcheck names the file as shown; the probe gave its path in the root.
                let message = finding["loader_messages"][0].as_str().unwrap();
                let real = line.replace("/tmp/execstack/", "");
                assert_eq!(message, real, "{image} {file}");
            }
        }
        let program = chroot(&["/tmp/execstack/stack-program".to_string()]);
        assert_eq!(program.status.code(), Some(0), "{image}: {program:?}");
    }
    // The comparison was not vacuous: 2.41 refused all four, 2.36 none.
    assert_eq!(refused_on.len(), 4, "{refused_on:?}");
    assert!(
        refused_on.iter().all(|r| r.starts_with("debian:13-slim")),
        "{refused_on:?}"
    );
}

/// A real wheel: ctranslate2 4.5.0 bundles a libctranslate2 whose
/// PT_GNU_STACK asks for an executable stack. Its extension module, dlopened
/// in a Debian 13 root, fails on it in the words MC113 predicts; in a Debian
/// 12 root the stack is no obstacle (the module then stops at CPython's own
/// symbols, which a real import has), and MC113 is not said.
#[test]
fn a_real_wheels_executable_stack_library_is_refused_on_debian_13() {
    let Some(site) = common::fetched("execstack") else {
        skip("corpus/thirdparty/fetched/execstack is absent (corpus/thirdparty/make-execstack.sh)");
        return;
    };
    let module = "ctranslate2/_ext.cpython-312-x86_64-linux-gnu.so";
    for (image, refused) in [("debian:12-slim", false), ("debian:13-slim", true)] {
        let Some(root) = image_root(image) else {
            return;
        };
        let inside = root.path().join("tmp/site");
        copy_merged(
            &site.join("site-packages"),
            &site.join("site-packages"),
            &inside,
        );
        std::fs::copy(
            corpus("image/execstack/dlopen-probe"),
            root.path().join("tmp/dlopen-probe"),
        )
        .unwrap();
        let output = Command::new("/usr/sbin/chroot")
            .arg(root.path())
            .arg("/tmp/dlopen-probe")
            .arg(format!("/tmp/site/{module}"))
            .env_clear()
            .output()
            .unwrap();
        let line = String::from_utf8_lossy(&output.stdout).trim().to_string();
        let (report, _) = json_scan(&inside, &["--target", image]);
        let artifact = report["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["path"] == module)
            .unwrap_or_else(|| panic!("{module} not in the report"));
        let refusal = "cannot enable executable stack as shared object requires: Invalid argument";
        assert_eq!(line.ends_with(refusal), refused, "{image}: ld.so `{line}`");
        if refused {
            let mc113 = finding(artifact, "MC113");
            assert_eq!(
                mc113["loader_messages"][0].as_str(),
                Some(line.as_str()),
                "{image}"
            );
            assert_eq!(mc113["evidence"]["objects"][0]["stack"], "executable");
        } else {
            assert!(
                !codes(artifact).contains(&"MC113".to_string()),
                "{image}: {:?}",
                codes(artifact)
            );
        }
    }
}

/// glibc's ld.so binds a module's PLT slots at their first call under the
/// RTLD_LAZY of Node, the JVM and Ruby, and all at once under CPython's
/// RTLD_NOW: a missing function fails a CPython import with dlerror's line,
/// and a Node addon at its first call with `symbol lookup error`. MC102 says
/// which, in ld.so's words.
#[test]
fn a_missing_function_fails_at_import_under_rtld_now_and_at_its_call_under_rtld_lazy() {
    let Some(root) = image_root("debian:12-slim") else {
        return;
    };
    let dir = root.path().join("tmp/lazy");
    std::fs::create_dir_all(&dir).unwrap();
    for name in [
        "lazy-probe-glibc",
        "calls-absent-glibc.node",
        "mixed-absent-glibc.node",
        "lazy.cpython-312-x86_64-linux-gnu.so",
    ] {
        std::fs::copy(corpus(&format!("image/lazy/{name}")), dir.join(name)).unwrap();
    }
    let probe = |module: &str, mode: &str| {
        let output = Command::new("/usr/sbin/chroot")
            .arg(root.path())
            .arg("/tmp/lazy/lazy-probe-glibc")
            .arg(format!("/tmp/lazy/{module}"))
            .arg(mode)
            .env_clear()
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout).to_string()
            + &String::from_utf8_lossy(&output.stderr);
        text.trim().replace("/tmp/lazy/", "")
    };
    let (report, _) = json_scan(&dir, &["--target", "debian:12-slim"]);
    let predicted_all = |module: &str| -> Vec<String> {
        let artifact = report["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["path"] == module)
            .unwrap()
            .clone();
        finding(&artifact, "MC102")["loader_messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap().to_string())
            .collect()
    };
    let predicted = |module: &str| predicted_all(module).remove(0);
    // A data reference binds at load even under RTLD_LAZY: one missing
    // datum fails the dlopen, and the missing function is never reached.
    let mixed = "mixed-absent-glibc.node";
    assert_eq!([probe(mixed, "lazy")], predicted_all(mixed).as_slice());
    // CPython: the import fails, with dlerror's line.
    let module = "lazy.cpython-312-x86_64-linux-gnu.so";
    assert_eq!(probe(module, "now"), predicted(module));
    // Node: require() succeeds; the call stops the process (ld.so names the
    // program: `node` in Node, the probe here).
    let addon = "calls-absent-glibc.node";
    assert_eq!(probe(addon, "lazy"), "loaded");
    let at_call = probe(addon, "call");
    let predicted_call = predicted(addon);
    let (_, real) = at_call.split_once("\n").unwrap_or(("", &at_call));
    assert_eq!(
        real.strip_prefix("lazy-probe-glibc"),
        predicted_call.strip_prefix("node"),
        "{at_call}"
    );
}

/// `fixture` stops in distroless/base on `library`, which ld.so cannot find,
/// as muslcheck says, naming the image of the family that has it
/// (distroless/cc), where the fixture runs and muslcheck says ok.
fn needs_distroless_cc(fixture: &str, library: &str) {
    let Some(base) = image_root("gcr.io/distroless/base-debian12") else {
        return;
    };
    let (status, real, inside) = run_in(base.path(), fixture);
    assert_ne!(status, Some(0));
    let name = Path::new(fixture).file_name().unwrap().to_string_lossy();
    assert_eq!(
        real,
        format!(
            "/tmp/{name}: error while loading shared libraries: {library}: cannot open shared object file: No such file or directory"
        )
    );
    let (artifact, messages) = judge("gcr.io/distroless/base-debian12", base.path(), &inside);
    assert_eq!(artifact["verdict"], "breaks");
    assert_eq!(messages.first(), Some(&real), "{messages:?}");
    let remedy = finding(&artifact, "MC103")["remedy"].as_str().unwrap();
    assert!(remedy.contains("gcr.io/distroless/cc-debian12"), "{remedy}");

    let Some(cc) = image_root("gcr.io/distroless/cc-debian12") else {
        return;
    };
    let (status, real, inside) = run_in(cc.path(), fixture);
    assert_eq!(status, Some(0), "{real}");
    let (artifact, _) = judge("gcr.io/distroless/cc-debian12", cc.path(), &inside);
    assert_eq!(artifact["verdict"], "ok", "{artifact:#}");
}

/// distroless/base has no libstdc++.
#[test]
fn a_cxx_program_needs_distroless_cc() {
    needs_distroless_cc("image/cxx-hello", "libstdc++.so.6");
}

/// A program that needs libgomp by its real file name, `libgomp.so.1.0.0`
/// (numba's omppool module does), not by its soname: ld.so finds that file in
/// the default directories of an image that has libgomp1, and nowhere else.
#[test]
fn a_library_needed_by_its_real_file_name_is_found_where_the_image_has_that_file() {
    let (report, _) = json_scan(
        &corpus("image/omp-threads"),
        &["--target", "debian:12-slim"],
    );
    let remedy = finding(&report["artifacts"][0], "MC103")["remedy"]
        .as_str()
        .unwrap()
        .to_string();
    // The package is known from the distroless image of the same release;
    // the image has no package lists until `apt-get update`.
    assert!(
        remedy.contains(
            "`RUN apt-get update && apt-get install -y libgomp1 && rm -rf /var/lib/apt/lists/*`"
        ),
        "{remedy}"
    );
    needs_distroless_cc("image/omp-threads", "libgomp.so.1.0.0");
}

/// scratch has no loader: the kernel cannot start a dynamic program (chroot
/// reports ENOENT, as docker does); a static one runs, and fails only when it
/// opens the CA bundle scratch lacks — the warning muslcheck gives.
#[test]
fn scratch_runs_static_programs_only() {
    let Some(root) = image_root("scratch") else {
        return;
    };
    let (status, real, inside) = run_in(root.path(), "bin/hello-glibc");
    assert_ne!(status, Some(0));
    assert!(real.ends_with("No such file or directory"), "{real}");
    let (artifact, _) = judge("scratch", root.path(), &inside);
    assert_eq!(artifact["verdict"], "breaks");
    assert_eq!(codes(&artifact), ["MC110"]);

    let (status, real, inside) = run_in(root.path(), "image/static-certs");
    assert_eq!(status, Some(1), "it ran, and found no CA bundle");
    assert!(real.starts_with("ca bundle: No such file"), "{real}");
    let (artifact, _) = judge("scratch", root.path(), &inside);
    assert_eq!(artifact["verdict"], "ok");
    let warning = finding(&artifact, "MC112");
    assert_eq!(warning["severity"], "warning");
    assert!(
        warning["remedy"]
            .as_str()
            .unwrap()
            .contains("COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/")
    );
}

/// What the real loaders said in the chroots above (recorded from a run as
/// root with the packages unpacked), checked without either: (image,
/// fixture, verdict, first loader message with the program at /tmp/NAME).
const RECORDED: [(&str, &str, &str, Option<&str>); 7] = [
    (
        "debian:11-slim",
        "image/threads",
        "breaks",
        Some(
            "/tmp/threads: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found (required by /tmp/threads)",
        ),
    ),
    ("debian:12-slim", "image/threads", "ok", None),
    (
        "gcr.io/distroless/base-debian12",
        "image/cxx-hello",
        "breaks",
        Some(
            "/tmp/cxx-hello: error while loading shared libraries: libstdc++.so.6: cannot open shared object file: No such file or directory",
        ),
    ),
    (
        "gcr.io/distroless/cc-debian12",
        "image/cxx-hello",
        "ok",
        None,
    ),
    ("scratch", "bin/hello-glibc", "breaks", None),
    ("scratch", "image/static-certs", "ok", None),
    (
        "debian:12-slim",
        "bin/hello-musl",
        "breaks",
        Some("sh: /tmp/hello-musl: not found"),
    ),
];

#[test]
fn predictions_match_the_recorded_loader_runs() {
    for (image, fixture, verdict, message) in RECORDED {
        let dir = tempfile::tempdir().unwrap();
        let name = Path::new(fixture).file_name().unwrap();
        std::fs::create_dir(dir.path().join("tmp")).unwrap();
        let inside = dir.path().join("tmp").join(name);
        std::fs::copy(corpus(fixture), &inside).unwrap();
        let (artifact, messages) = judge(image, dir.path(), &inside);
        assert_eq!(
            artifact["verdict"], verdict,
            "{image} {fixture}: {artifact:#}"
        );
        if let Some(message) = message {
            assert_eq!(
                messages.first().map(String::as_str),
                Some(message),
                "{image} {fixture}"
            );
        }
    }
}

/// A function the tree's library lacks: glibc binds it lazily, so the
/// program starts and fails at the call (or at load under LD_BIND_NOW, or
/// when linked `-z now`); muslcheck says which, with ld.so's message.
#[test]
fn an_undefined_function_fails_at_its_call_or_at_load_when_bound_now() {
    let Some(root) = image_root("debian:12-slim") else {
        return;
    };
    let tmp = root.path().join("tmp");
    std::fs::create_dir_all(tmp.join("lib")).unwrap();
    for (fixture, to) in [
        ("image/calls-absent", "calls-absent"),
        ("image/calls-absent-now", "calls-absent-now"),
        ("image/lib/libupgraded.so.1", "lib/libupgraded.so.1"),
    ] {
        std::fs::copy(corpus(fixture), tmp.join(to)).unwrap();
    }
    let run = |program: &str, args: &[&str], bind_now: bool| {
        let mut command = Command::new("/usr/sbin/chroot");
        // A container has /proc, where ld.so reads $ORIGIN (/proc/self/exe);
        // this chroot has not, and LD_ORIGIN_PATH stands in for it.
        command
            .arg(root.path())
            .arg(program)
            .args(args)
            .env_clear()
            .env("LD_ORIGIN_PATH", "/tmp");
        if bind_now {
            command.env("LD_BIND_NOW", "1");
        }
        let output = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
        (output.status.code(), stderr)
    };
    let lazy_message =
        "/tmp/calls-absent: symbol lookup error: /tmp/calls-absent: undefined symbol: absent";
    // Lazy: it runs until it calls the function.
    assert_eq!(
        run("/tmp/calls-absent", &[], false),
        (Some(0), String::new())
    );
    assert_eq!(run("/tmp/calls-absent", &["call"], false).1, lazy_message);
    assert_eq!(run("/tmp/calls-absent", &[], true).1, lazy_message);
    // -z now: it fails before main.
    let (status, now_message) = run("/tmp/calls-absent-now", &[], false);
    assert_ne!(status, Some(0));

    let (report, _) = json_scan(&tmp, &["--target", "debian:12-slim"]);
    let shown = |name: &str| {
        let artifact = report["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["path"].as_str().unwrap().ends_with(name))
            .unwrap()
            .clone();
        let path = artifact["path"].as_str().unwrap().to_string();
        let missing = finding(&artifact, "MC102").clone();
        let message = missing["loader_messages"][0]
            .as_str()
            .unwrap()
            .replace(&path, &format!("/tmp/{name}"));
        (
            artifact["verdict"].clone(),
            missing["message"].clone(),
            message,
        )
    };
    let (verdict, message, loader) = shown("calls-absent");
    assert_eq!(verdict, "breaks");
    assert!(
        message
            .as_str()
            .unwrap()
            .contains("starts and fails at the first call")
    );
    assert_eq!(loader, lazy_message);
    let (_, message, loader) = shown("calls-absent-now");
    assert!(
        message.as_str().unwrap().contains("fails at load time"),
        "{message}"
    );
    assert_eq!(loader, now_message);
}

/// ld.so searches an object's DT_RUNPATH for that object's own needs only;
/// a DT_RPATH serves the libraries it loads too (`_dl_map_object` walks the
/// loaders' DT_RPATHs unless the needing object has a DT_RUNPATH). Each root
/// below needs lib/liba.so, which needs lib/libb.so and names no path itself.
#[test]
fn a_runpath_serves_its_own_object_and_an_rpath_the_libraries_it_loads() {
    use common::synthetic_elf::SharedObject;
    let Some(root) = image_root("debian:12-slim") else {
        return;
    };
    let tmp = root.path().join("tmp");
    std::fs::create_dir_all(tmp.join("lib")).unwrap();
    let needing = |name: &str| SharedObject {
        needed: vec!["libc.so.6".to_string(), name.to_string()],
        ..SharedObject::default()
    };
    let objects = [
        (
            "with-runpath.so",
            SharedObject {
                runpath: Some("$ORIGIN/lib".to_string()),
                ..needing("liba.so")
            },
        ),
        (
            "with-rpath.so",
            SharedObject {
                rpath: Some("$ORIGIN/lib".to_string()),
                ..needing("liba.so")
            },
        ),
        ("lib/liba.so", needing("libb.so")),
        (
            "lib/libb.so",
            SharedObject {
                needed: vec!["libc.so.6".to_string()],
                ..SharedObject::default()
            },
        ),
    ];
    for (path, object) in &objects {
        std::fs::write(tmp.join(path), object.to_bytes()).unwrap();
    }
    ld_so_and_muslcheck_miss(
        root.path(),
        &[("with-runpath.so", &["libb.so"]), ("with-rpath.so", &[])],
    );
}

/// ld.so stops at the first library it cannot open and says it once, naming
/// the file run: two loaded libraries needing the same absent one make one
/// line, not one per library (PyAV's libavdevice repeated it 38 times).
#[test]
fn a_library_many_objects_need_is_one_line_of_ld_so() {
    use common::synthetic_elf::SharedObject;
    let tree = tempfile::tempdir().unwrap();
    let object = |needed: &[&str], runpath: Option<&str>| SharedObject {
        runpath: runpath.map(str::to_string),
        ..SharedObject::needing("libc.so.6", needed)
    };
    for (path, object) in [
        ("prog.so", object(&["liba.so", "libb.so"], Some("$ORIGIN"))),
        ("liba.so", object(&["libabsent.so.1"], None)),
        ("libb.so", object(&["libabsent.so.1"], None)),
    ] {
        std::fs::write(tree.path().join(path), object.to_bytes()).unwrap();
    }
    let (report, _) = json_scan(tree.path(), &["--target", "debian:12-slim"]);
    let prog = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == "prog.so")
        .unwrap();
    assert_eq!(
        finding(prog, "MC103")["loader_messages"],
        serde_json::json!([
            "prog.so: error while loading shared libraries: libabsent.so.1: cannot open shared \
             object file: No such file or directory"
        ]),
        "{prog:#}"
    );
}

/// Two more of ld.so's rules: a sibling in auditwheel's `<pkg>.libs/` is not
/// found through a module's DT_RUNPATH (which the bundled library that needs
/// it does not inherit), and a loaded object answers a later need for its
/// SONAME whatever its file is called.
#[test]
fn bundled_siblings_need_an_inherited_rpath_and_sonames_answer_later_needs() {
    use common::synthetic_elf::SharedObject;
    let Some(root) = image_root("debian:12-slim") else {
        return;
    };
    let tmp = root.path().join("tmp");
    for dir in ["site/pkg", "site/pkg.libs", "app"] {
        std::fs::create_dir_all(tmp.join(dir)).unwrap();
    }
    let object = |needed: &[&str], soname: Option<&str>| SharedObject {
        soname: soname.map(str::to_string),
        ..SharedObject::needing("libc.so.6", needed)
    };
    let objects = [
        (
            "site/pkg/_ext.so",
            SharedObject {
                runpath: Some("$ORIGIN/../pkg.libs".to_string()),
                ..object(&["liba-1234.so"], None)
            },
        ),
        (
            "site/pkg.libs/liba-1234.so",
            object(&["libb-5678.so"], None),
        ),
        ("site/pkg.libs/libb-5678.so", object(&[], None)),
        (
            "app/prog.so",
            SharedObject {
                runpath: Some("$ORIGIN".to_string()),
                ..object(&["libb-renamed.so", "liba.so"], None)
            },
        ),
        ("app/libb-renamed.so", object(&[], Some("libb.so.1"))),
        (
            "app/liba.so",
            SharedObject {
                runpath: Some("$ORIGIN/none".to_string()),
                ..object(&["libb.so.1"], None)
            },
        ),
    ];
    for (path, object) in &objects {
        std::fs::write(tmp.join(path), object.to_bytes()).unwrap();
    }
    ld_so_and_muslcheck_miss(
        root.path(),
        &[
            ("site/pkg/_ext.so", &["libb-5678.so"]),
            ("app/prog.so", &[]),
        ],
    );
}

/// For each (file under the root's /tmp, libraries), ld.so `--list` and
/// muslcheck on debian:12-slim both find exactly those libraries missing.
fn ld_so_and_muslcheck_miss(root: &Path, cases: &[(&str, &[&str])]) {
    let (report, _) = json_scan(&root.join("tmp"), &["--target", "debian:12-slim"]);
    for (file, missing) in cases {
        let artifact = report["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["path"] == *file)
            .unwrap();
        let missing: BTreeSet<String> = missing.iter().map(|m| m.to_string()).collect();
        let (ld_so, _) = ld_so_list(root, &format!("/tmp/{file}"), &LoadedAs::default())
            .expect("ld.so lists the fixture");
        assert_eq!(ld_so, missing, "ld.so --list {file}");
        assert_eq!(
            predicted(artifact).0,
            missing,
            "muslcheck on {file}: {artifact:#}"
        );
    }
}

/// What glibc's ld.so says of one file with `--list`: the sonames it could
/// not find (it stops at the first: `error while loading shared libraries`)
/// and the version nodes it found missing.
/// How a file is loaded in its process, for `ld.so --list` to do the same.
#[derive(Default)]
struct LoadedAs {
    /// Where the object that loads it finds libraries (its RPATH), as
    /// LD_LIBRARY_PATH.
    library_path: Option<String>,
    /// A library the process loaded before it (the java launcher's VM).
    preload: Option<String>,
}

/// The libraries and version nodes ld.so finds missing for `inside`, or
/// `None` when ld.so was killed by a signal (no answer).
fn ld_so_list(
    root: &Path,
    inside: &str,
    loaded_as: &LoadedAs,
) -> Option<(BTreeSet<String>, BTreeSet<String>)> {
    let mut command = Command::new("/usr/sbin/chroot");
    command.arg(root).arg("/lib64/ld-linux-x86-64.so.2");
    if let Some(preload) = &loaded_as.preload {
        command.args(["--preload", preload]);
    }
    command
        .args(["--list", inside])
        .env_clear()
        .env("PATH", "/usr/bin:/bin");
    if let Some(library_path) = &loaded_as.library_path {
        command.env("LD_LIBRARY_PATH", library_path);
    }
    let output = command.output().unwrap();
    output.status.code()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let mut missing = BTreeSet::new();
    let mut nodes = BTreeSet::new();
    for line in text.lines() {
        if let Some((name, _)) = line.trim().split_once(" => not found") {
            missing.insert(name.to_string());
        }
        if let Some((_, rest)) = line.split_once("error while loading shared libraries: ")
            && let Some((name, _)) = rest.split_once(": cannot open shared object file")
        {
            missing.insert(name.to_string());
        }
        if let Some((_, rest)) = line.split_once("version `") {
            if let Some((node, _)) = rest.split_once('\'') {
                nodes.insert(node.to_string());
            }
        }
    }
    Some((missing, nodes))
}

/// What muslcheck predicts ld.so --list says of one artifact: the sonames
/// of its MC103 findings and the nodes of its MC109 findings.
fn predicted(artifact: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut missing = BTreeSet::new();
    let mut nodes = BTreeSet::new();
    for finding in artifact["findings"].as_array().into_iter().flatten() {
        let evidence = &finding["evidence"];
        match finding["code"].as_str() {
            Some("MC103") => missing.extend(
                evidence["libraries"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|l| l["name"].as_str().map(str::to_string)),
            ),
            Some("MC109") => nodes.extend(
                evidence["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|n| n["node"].as_str().map(str::to_string)),
            ),
            _ => {}
        }
    }
    (missing, nodes)
}

/// The fetched third-party trees (manylinux wheels installed in a venv,
/// glibc node_modules) copied into each image's root: for every ELF file,
/// the libraries and version nodes glibc's ld.so finds missing are the ones
/// muslcheck names. Symbols are left out: `--list` binds none (the other
/// tests above cover them). Needs root and the images' packages. The
/// directories listed in `MUSLCHECK_DIFFERENTIAL_ROOTS` (`:`-separated) are
/// compared too.
#[test]
fn fetched_trees_miss_what_ld_so_says_on_each_image() {
    let mut trees: Vec<(String, PathBuf)> = ["venv", "npm-glibc"]
        .into_iter()
        .filter_map(|name| Some((name.to_string(), common::fetched(name)?)))
        .collect();
    trees.extend(
        common::differential_roots()
            .into_iter()
            .enumerate()
            .map(|(i, root)| (format!("listed{i}"), root)),
    );
    if trees.is_empty() {
        skip("no fetched tree (corpus/thirdparty/make-venv.sh, make-node-modules.sh)");
        return;
    }
    let images = [
        "debian:11-slim",
        "debian:12-slim",
        "debian:13-slim",
        "gcr.io/distroless/base-debian12",
        "gcr.io/distroless/cc-debian12",
    ];
    let mut summary = Vec::new();
    let mut differences = Vec::new();
    // Programs ld.so crashed on (patchelf-damaged ones crash when run too).
    let mut crashed = Vec::new();
    for image in images {
        let Some(root) = image_root(image) else {
            return;
        };
        for (name, tree) in &trees {
            // Under its own name: a `node_modules` listed as a root is npm's
            // only by that name.
            let base = tree.file_name().unwrap().to_str().unwrap();
            let parent = root.path().join("tmp").join(name);
            std::fs::create_dir_all(&parent).unwrap();
            let inside = parent.join(base);
            let copied = Command::new("cp")
                .args(["-a"])
                .arg(tree)
                .arg(&inside)
                .status()
                .unwrap();
            assert!(copied.success());
            let (report, _) = json_scan(&inside, &["--target", image]);
            let mut files = 0;
            for artifact in report["artifacts"].as_array().unwrap() {
                if artifact["kind"] != "elf" || artifact["verdict"] == "not-applicable" {
                    continue;
                }
                let path = artifact["path"].as_str().unwrap();
                // auditwheel's `<pkg>.libs` libraries are loaded by the
                // modules that need them (whose RPATH finds them), never on
                // their own: their siblings are then found by soname.
                if path.split('/').any(|part| part.ends_with(".libs")) {
                    continue;
                }
                // A musl program is started by its own interpreter, which the
                // image lacks (MC110): glibc's ld.so is no witness of it.
                let interpreter = artifact["facts"]["interpreter"].as_str().unwrap_or("");
                if interpreter.contains("ld-musl-") {
                    continue;
                }
                // Another architecture's file (MC104): ld.so cannot map it
                // and says "cannot open shared object file" of the file itself.
                if artifact["facts"]["arch"] != "x86_64" {
                    continue;
                }
                let in_root = format!("/tmp/{name}/{base}/{path}");
                let dir = in_root.rsplit_once('/').map_or("/", |(dir, _)| dir);
                // A library judged in the process of the object that loads
                // it finds what that one's RPATH (here: its own directory)
                // finds; a JDK's libraries have the VM the java launcher
                // loaded beside them.
                let loaded_by = !artifact["host"]["loaded_by"].is_null()
                    || !artifact["load"]["loaded_by_program"].is_null();
                let loaded_as = LoadedAs {
                    library_path: loaded_by.then(|| dir.to_string()),
                    preload: ["server", "client", "minimal", "zero"]
                        .iter()
                        .map(|vm| format!("{dir}/{vm}/libjvm.so"))
                        .find(|vm| root.path().join(&vm[1..]).is_file()),
                };
                let Some(real) = ld_so_list(root.path(), &in_root, &loaded_as) else {
                    crashed.push(format!("{image} {in_root}"));
                    continue;
                };
                files += 1;
                let ours = predicted(artifact);
                // ld.so stops at the first library it cannot open (and
                // then checks no versions); muslcheck names them all.
                let agree = if real.0.is_empty() {
                    real == ours
                } else {
                    real.0.is_subset(&ours.0)
                };
                if !agree {
                    differences.push(format!(
                        "{image} {in_root}: ld.so {real:?}, muslcheck {ours:?}"
                    ));
                }
            }
            summary.push(format!("{image} {name}: {files} files"));
        }
    }
    eprintln!("ld.so --list differential: {}", summary.join("; "));
    if !crashed.is_empty() {
        eprintln!(
            "not compared: ld.so --list was killed by a signal on {} file(s): {}",
            crashed.len(),
            crashed.join(", ")
        );
    }
    assert!(
        differences.is_empty(),
        "{} difference(s):\n{}",
        differences.len(),
        differences.join("\n")
    );
}

/// An interpreter's process has what its program links in its global scope:
/// a module calling shm_open@GLIBC_2.2.5 (librt's before glibc 2.34) without
/// linking librt finds it under a JVM or Ruby (libjvm and libruby link
/// librt), not under CPython or Node (Debian 11's python3.9 links libpthread,
/// libdl, libutil, libm, libexpat, libz; libnode72 no librt either). ld.so in
/// the debian:11-slim root, the host's libraries preloaded as its global
/// scope, says what muslcheck says. ld.so itself is in every process's
/// scope: a library needing nothing finds __tls_get_addr there.
#[test]
fn a_module_finds_what_its_host_links_and_nothing_else() {
    let Some(root) = image_root("debian:11-slim") else {
        return;
    };
    let dir = root.path().join("tmp/host-librt");
    std::fs::create_dir_all(&dir).unwrap();
    let hosts = [
        (
            "host_librt.cpython-39-x86_64-linux-gnu.so",
            "libpthread.so.0 libdl.so.2 libutil.so.1 libm.so.6",
        ),
        (
            "libhost_librt_jni.so",
            "libdl.so.2 libpthread.so.0 librt.so.1 libm.so.6",
        ),
        // No DT_NEEDED at all: __tls_get_addr comes from ld.so itself.
        ("tls-no-needed.node", "libdl.so.2 libpthread.so.0 libm.so.6"),
    ];
    for name in ["with-env", hosts[0].0, hosts[1].0, hosts[2].0] {
        std::fs::copy(corpus(&format!("image/host-librt/{name}")), dir.join(name)).unwrap();
    }
    let (report, _) = json_scan(&dir, &["--target", "debian:11-slim"]);
    let mut verdicts = Vec::new();
    for (module, host_links) in hosts {
        // The loader's variables for ld.so in the root, not for chroot(1).
        let output = Command::new("/usr/sbin/chroot")
            .arg(root.path())
            .arg("/tmp/host-librt/with-env")
            .args(["LD_TRACE_LOADED_OBJECTS=1", "LD_BIND_NOW=1", "LD_WARN=yes"])
            .arg(format!("LD_PRELOAD={host_links}"))
            .args(["--", "/lib64/ld-linux-x86-64.so.2"])
            .arg(format!("/tmp/host-librt/{module}"))
            .env_clear()
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout).to_string()
            + &String::from_utf8_lossy(&output.stderr);
        let real: Vec<String> = text
            .lines()
            .filter(|line| line.starts_with("undefined symbol"))
            .map(|line| line.replace(&format!("\t(/tmp/host-librt/{module})"), ""))
            .collect();
        let artifact = report["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["path"] == module)
            .unwrap();
        let predicted: Vec<String> = artifact["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "MC102")
            .flat_map(|f| f["loader_messages"].as_array().cloned().unwrap_or_default())
            .map(|m| {
                let m = m.as_str().unwrap();
                m.strip_prefix(&format!("{module}: "))
                    .unwrap_or(m)
                    .to_string()
            })
            .collect();
        assert_eq!(real, predicted, "{module}: {text}");
        verdicts.push(artifact["verdict"].clone());
    }
    assert_eq!(
        verdicts,
        ["breaks", "ok", "ok"],
        "CPython's fails, the JVM's and the one needing only ld.so load"
    );
}

/// Symbols needed from glibc's other libraries (libresolv, libutil …) and
/// from libcrypt are checked against their export tables, not left
/// `unknown` (MC108): in a debian:12-slim root, glibc's dlopen (RTLD_NOW)
/// loads a library needing ns_initparse@GLIBC_2.9 (libresolv) or
/// crypt@XCRYPT_2.0 (libcrypt), and one needing forkpty from libutil.so.1
/// (libc.so.6 has it since 2.34; libutil is a stub), and refuses one needing
/// a name libresolv does not export; muslcheck says ok, ok, ok and MC102.
#[test]
fn needs_from_glibc_s_other_libraries_are_checked_against_their_exports() {
    use common::synthetic_elf::SharedObject;
    let Some(root) = image_root("debian:12-slim") else {
        return;
    };
    let dir = root.path().join("tmp/needs");
    std::fs::create_dir_all(&dir).unwrap();
    for fixture in [
        "lib/libuses-resolv.so",
        "lib/libuses-crypt.so",
        "image/execstack/dlopen-probe",
    ] {
        common::copy_fixture(fixture, &dir.join(Path::new(fixture).file_name().unwrap()));
    }
    let needing = |library: &str, symbol: &str| SharedObject {
        needed: vec!["libc.so.6".to_string(), library.to_string()],
        undefined: vec![symbol.to_string()],
        ..SharedObject::default()
    };
    for (name, object) in [
        ("libuses-util.so", needing("libutil.so.1", "forkpty")),
        (
            "libuses-absent.so",
            needing("libresolv.so.2", "ns_no_such_export"),
        ),
    ] {
        std::fs::write(dir.join(name), object.to_bytes()).unwrap();
    }
    let files = [
        ("libuses-resolv.so", true),
        ("libuses-crypt.so", true),
        ("libuses-util.so", true),
        ("libuses-absent.so", false),
    ];
    let output = Command::new("/usr/sbin/chroot")
        .arg(root.path())
        .arg("/tmp/needs/dlopen-probe")
        .args(files.iter().map(|(f, _)| format!("/tmp/needs/{f}")))
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let lines: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), files.len(), "{lines:?}");
    std::fs::remove_file(dir.join("dlopen-probe")).unwrap();
    let (report, _) = json_scan(&dir, &["--target", "debian:12-slim"]);
    for ((file, loads), line) in files.iter().zip(&lines) {
        assert_eq!(
            line.ends_with(": loaded"),
            *loads,
            "{file}: ld.so says `{line}`"
        );
        let artifact = report["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["path"] == *file)
            .unwrap_or_else(|| panic!("{file} not in the report"));
        let found = codes(artifact);
        assert!(!found.contains(&"MC108".to_string()), "{file}: {found:?}");
        if *loads {
            assert_eq!(artifact["verdict"], "ok", "{file}: {found:?}");
        } else {
            assert_eq!(artifact["verdict"], "breaks", "{file}: {found:?}");
            let missing = finding(artifact, "MC102");
            assert_eq!(
                missing["evidence"]["symbols"][0]["name"], "ns_no_such_export",
                "{missing:#}"
            );
            assert!(
                line.ends_with("undefined symbol: ns_no_such_export"),
                "{line}"
            );
        }
    }
}

/// A library built for musl on a glibc image needs musl's C library, which
/// no package of the image has and no bundled copy makes ld.so use: the fix
/// is the file's glibc build, not bundling the library.
#[test]
fn a_musl_build_on_a_glibc_image_is_told_to_use_its_glibc_build() {
    for image in [
        "debian:12-slim",
        "ubuntu:24.04",
        "gcr.io/distroless/cc-debian12",
    ] {
        let (report, status) = json_scan(&corpus("lib/libplain-musl.so"), &["--target", image]);
        assert_eq!(status, 1, "{image}");
        let remedy = finding(&report["artifacts"][0], "MC103")["remedy"]
            .as_str()
            .unwrap();
        assert!(
            remedy.starts_with("it was built for musl: install its glibc build"),
            "{image}: {remedy}"
        );
        assert!(!remedy.contains("bundle the library"), "{image}: {remedy}");
    }
}

/// A static program that opens the CA bundle (MC112) puts its fix in the
/// plan, not only in its finding: the image's package where it has a
/// package manager, a `COPY --from=build` line where it has none, nothing
/// where the image has the file.
#[test]
fn a_run_time_file_the_image_lacks_is_in_the_plan() {
    let program = corpus("image/static-certs");
    let plan_of = |image: &str| {
        let (report, status) = json_scan(&program, &["--target", image]);
        assert_eq!(status, 0, "{image}: a warning does not fail the scan");
        report["plan"].clone()
    };
    let strings = |value: &Value| -> Vec<String> {
        value
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let debian = plan_of("debian:12-slim");
    assert_eq!(
        strings(&debian["apk_add"]),
        ["ca-certificates"],
        "{debian:#}"
    );
    assert_eq!(debian["install_command"], "apt-get install -y");
    assert!(debian.get("copy_from_build").is_none(), "{debian:#}");

    let scratch = plan_of("scratch");
    assert!(strings(&scratch["apk_add"]).is_empty(), "{scratch:#}");
    assert_eq!(
        strings(&scratch["copy_from_build"]),
        ["COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/"]
    );

    let distroless = plan_of("gcr.io/distroless/static-debian12");
    assert!(strings(&distroless["apk_add"]).is_empty(), "{distroless:#}");
    assert!(
        distroless.get("copy_from_build").is_none(),
        "{distroless:#}"
    );

    // The text report lists the program's package row and the plan line.
    let text = common::stdout(&common::muslcheck(
        &program,
        &["--target", "debian:12-slim"],
    ));
    assert!(
        text.contains("RUN apt-get update && apt-get install -y ca-certificates"),
        "{text}"
    );
}

/// A library a Debian image lacks is installed by the Debian package that
/// ships it on the loader's path, per release (Debian's own file index):
/// libatomic.so.1 is `libatomic1`; Ubuntu's archive is not in that index,
/// so there the user's package lists are asked.
#[test]
fn a_library_a_debian_image_lacks_is_installed_by_debians_package_for_it() {
    let venv = tempfile::tempdir().unwrap();
    let site = venv.path().join("lib/python3.12/site-packages");
    common::install_distribution(
        &site,
        "needs-atomic",
        "1.0",
        "lib/libuses-atomic.so",
        "needs_atomic/_c.cpython-312-x86_64-linux-gnu.so",
    );
    for target in ["debian:11-slim", "debian:12-slim", "debian:13-slim"] {
        let (report, _) = json_scan(venv.path(), &["--target", target]);
        let decision = common::decision(&report, "needs-atomic");
        assert_eq!(
            decision["actions"][0],
            serde_json::json!({"kind": "apk-add", "packages": ["libatomic1"]}),
            "{target}: {decision:#}"
        );
        assert_eq!(
            report["plan"]["apk_add"],
            serde_json::json!(["libatomic1"]),
            "{target}"
        );
    }
    let (report, _) = json_scan(venv.path(), &["--target", "ubuntu:24.04"]);
    let decision = common::decision(&report, "needs-atomic");
    assert_eq!(decision["actions"][0]["kind"], "unanswered", "{decision:#}");
    let text = common::stdout(&common::muslcheck(
        venv.path(),
        &["--target", "debian:12-slim"],
    ));
    assert!(
        text.contains("RUN apt-get update && apt-get install -y libatomic1"),
        "{text}"
    );
}

/// A library no image package muslcheck knows of provides (its tables hold
/// what the base images ship) is not "no fix": apk on Wolfi installs it by
/// soname; for apt and dnf the user's own package lists say which package
/// has the file, and the plan gives the command that asks them.
#[test]
fn a_library_no_known_package_provides_is_asked_of_the_images_package_manager() {
    let venv = tempfile::tempdir().unwrap();
    let site = venv.path().join("lib/python3.12/site-packages");
    common::install_distribution(
        &site,
        "needs-odd",
        "1.0",
        "lib/libmissing-dep.so",
        "needs_odd/_c.cpython-312-x86_64-linux-gnu.so",
    );
    for (target, check) in [
        (
            "debian:12-slim",
            Some(
                "apt-get update && apt-get install -y apt-file && apt-file update && apt-file search libnotthere.so.1",
            ),
        ),
        (
            "amazonlinux:2023",
            Some("dnf provides '*/libnotthere.so.1'"),
        ),
        // Amazon Linux 2 has yum, not dnf.
        ("amazonlinux:2", Some("yum provides '*/libnotthere.so.1'")),
        ("cgr.dev/chainguard/wolfi-base", None),
    ] {
        let (report, _) = json_scan(venv.path(), &["--target", target]);
        let decision = common::decision(&report, "needs-odd");
        let actions = &decision["actions"];
        match check {
            Some(check) => {
                assert_eq!(actions[0]["kind"], "unanswered", "{target}: {decision:#}");
                assert_eq!(actions[0]["check"], check, "{target}: {decision:#}");
                let why = actions[0]["why"].as_str().unwrap();
                assert!(why.contains("needs libnotthere.so.1"), "{why}");
            }
            None => assert_eq!(
                actions[0],
                serde_json::json!({"kind": "apk-add", "packages": ["so:libnotthere.so.1"]}),
                "{target}: {decision:#}"
            ),
        }
        assert!(
            report["plan"]["no_fix"]
                .as_array()
                .is_none_or(Vec::is_empty),
            "{target}: {:#}",
            report["plan"]
        );
    }
    let text = common::stdout(&common::muslcheck(
        venv.path(),
        &["--target", "debian:12-slim"],
    ));
    assert!(
        text.contains("        find out with: apt-get update && apt-get install -y apt-file"),
        "{text}"
    );
}

/// No glibc defines a version node after its own version: an image whose
/// libraries are not listed (UBI's versions-only profiles) or not tabulated
/// still lacks `GLIBC_2.36` when its glibc is 2.34, as ld.so says on
/// Debian 11 of a node newer than its 2.31 (above). Such a need was
/// "unknown" (MC108); the nodes up to the version stay unknown.
#[test]
fn a_node_newer_than_the_images_glibc_fails_whatever_else_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        corpus("lib/libarc4random.so"),
        dir.path().join("libarc4random.so"),
    )
    .unwrap();
    for (image, newer) in [
        ("registry.access.redhat.com/ubi9/ubi", true),
        ("registry.access.redhat.com/ubi8/ubi-micro", true),
        ("amazonlinux:2", true),
        ("registry.access.redhat.com/ubi10/ubi", false),
    ] {
        let (report, _) = json_scan(dir.path(), &["--target", image, "--fail-on", "never"]);
        let artifact = common::artifact(&report, "libarc4random.so");
        let found = codes(artifact);
        assert_eq!(
            found.contains(&"MC109".to_string()),
            newer,
            "{image}: {artifact:#}"
        );
        if newer {
            assert_eq!(artifact["verdict"], "breaks", "{image}: {artifact:#}");
            let message = finding(artifact, "MC109")["message"].as_str().unwrap();
            assert!(
                message.contains("GLIBC_2.36 from libc.so.6"),
                "{image}: {message}"
            );
        } else {
            assert_ne!(artifact["verdict"], "breaks", "{image}: {artifact:#}");
        }
    }
}
