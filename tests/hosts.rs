//! Modules loaded into an interpreter or server take its symbols: Perl XS
//! modules (`boot_*`, importing `Perl_*`/`PL_*` from libperl, which they do
//! not name) and PostgreSQL extension modules (`Pg_magic_func`, importing
//! the server's unprefixed backend API). Debian's own XS modules (perl-base,
//! on every Debian system) are the real artifacts; the real loaders the
//! ground truth.

use std::path::{Path, PathBuf};
use std::process::Command;

use muslcheck::check::host::provides;
use muslcheck::model::{Arch, Evidence, HostKind, Verdict};
use muslcheck::platform::Platform;
use muslcheck::{Options, Report};

mod common;

use common::scan_with;
use common::synthetic_elf::SharedObject;

const LOADER: &str = common::MUSL_LOADER;
const PERL_BASE: &str = "/usr/lib/x86_64-linux-gnu/perl-base/auto";
const XS_MODULES: [&str; 2] = ["POSIX/POSIX.so", "List/Util/Util.so"];

fn scan_on(target: &str, path: &Path) -> Report {
    let options = Options {
        platform: Platform::new(target.parse().unwrap(), Arch::X86_64, false),
        ..Default::default()
    };
    scan_with(&[path.to_path_buf()], &options)
}

/// Debian's perl-base XS modules copied into a directory, or `None` (not a
/// Debian x86-64 system: the test says so and skips).
fn perl_modules(dir: &Path) -> Option<PathBuf> {
    if !Path::new(PERL_BASE).join(XS_MODULES[0]).exists() {
        eprintln!("SKIPPED: {PERL_BASE} (Debian's perl-base) is absent");
        return None;
    }
    for module in XS_MODULES {
        let to = dir.join("auto").join(module);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(Path::new(PERL_BASE).join(module), to).unwrap();
    }
    Some(dir.join("auto"))
}

#[test]
fn perl_xs_modules_take_the_interpreters_symbols() {
    let dir = tempfile::tempdir().unwrap();
    let Some(auto) = perl_modules(dir.path()) else {
        return;
    };
    // The glibc side: this system's perl loads them (it is Debian's glibc).
    if let Ok(perl) = Command::new("perl")
        .args(["-MPOSIX", "-MList::Util", "-e", "1"])
        .output()
    {
        assert!(perl.status.success(), "{perl:?}");
    }
    let report = scan_on("debian:12-slim", &auto);
    for module in XS_MODULES {
        let artifact = common::found(&report, module);
        let host = artifact.assessment.host.as_ref().unwrap();
        assert_eq!(host.kind, HostKind::Perl, "{module}");
        assert!(host.evidence.starts_with("exports boot_"), "{host:?}");
        assert_eq!(
            artifact.verdict(),
            Verdict::Ok,
            "{module}: {:?}",
            artifact.findings()
        );
        let load = artifact.assessment.load.as_ref().unwrap();
        assert!(load.from_host > 10, "{module}: {load:?}");
    }

    // musl's side: every symbol its loader cannot bind in List::Util is
    // the interpreter's, so with perl it loads; muslcheck says ok.
    if common::musl_loader_missing("musl's side") {
        return;
    }
    let util = auto.join("List/Util/Util.so");
    let output = Command::new(LOADER)
        .arg("--list")
        .arg(&util)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let errors = common::musl_loader_errors(&stderr);
    let report = scan_on("debian-musl", &auto);
    let artifact = common::found(&report, "List/Util/Util.so");
    let host = artifact.assessment.host.as_ref().unwrap();
    assert!(errors.libraries.is_empty(), "{stderr}");
    assert!(errors.symbols.len() > 10, "{stderr}");
    for (_, symbol) in &errors.symbols {
        assert!(provides(host, symbol), "{symbol}: {stderr}");
    }
    assert_eq!(artifact.verdict(), Verdict::Ok, "{:?}", artifact.findings());
}

#[test]
fn a_postgresql_extension_takes_the_servers_symbols_and_not_the_c_library_s() {
    let dir = tempfile::tempdir().unwrap();
    let module = |undefined: &[&str]| SharedObject {
        needed: vec!["libc.so.6".to_string()],
        exports: vec!["Pg_magic_func".to_string(), "pg_finfo_my_func".to_string()],
        undefined: undefined.iter().map(|s| s.to_string()).collect(),
        ..SharedObject::default()
    };
    // `_bt_*`: nbtree's functions, which amcheck and pageinspect call.
    let server_api = ["palloc", "errstart", "_bt_search", "SPI_connect", "strlen"];
    std::fs::write(dir.path().join("good.so"), module(&server_api).to_bytes()).unwrap();
    // glibc 2.38's C23 strtol: not in debian:12's glibc 2.36, nor the server's.
    std::fs::write(
        dir.path().join("newer-glibc.so"),
        module(&["palloc", "__isoc23_strtol", "_ZdlPv"]).to_bytes(),
    )
    .unwrap();
    let report = scan_on("debian:12-slim", dir.path());
    let good = common::found(&report, "good.so");
    assert_eq!(
        good.assessment.host.as_ref().unwrap().kind,
        HostKind::Postgres
    );
    assert_eq!(good.verdict(), Verdict::Ok, "{:?}", good.findings());
    assert_eq!(good.assessment.load.as_ref().unwrap().from_host, 4);

    let newer = common::found(&report, "newer-glibc.so");
    assert_eq!(newer.verdict(), Verdict::Breaks);
    let missing: Vec<&str> = newer
        .findings()
        .iter()
        .filter_map(|f| match &f.evidence {
            Evidence::Symbols { symbols, .. } => Some(symbols.iter().map(|s| s.name.as_str())),
            _ => None,
        })
        .flatten()
        .collect();
    // And C++'s `operator delete`, which libstdc++ (not linked) has.
    assert_eq!(missing, ["_ZdlPv", "__isoc23_strtol"]);
}

/// A Python package's library that no file of the tree needs is loaded by
/// the interpreter itself (ctypes, cffi): it is the root of its process, and
/// the libraries it loads are judged there, found through its RPATH too, as
/// musl's loader searches the RPATH of each object up the chain. So
/// tree_sitter_languages' `languages.so` (RPATH `$ORIGIN/../….libs`) loads its
/// bundled libstdc++, whose libgcc_s only that RPATH finds. The same files
/// outside a Python package: nothing says what loads `ffi.so`, and the
/// bundled library is judged on its own, as `ld-musl --list` judges it.
#[test]
fn a_library_a_python_package_loads_through_ctypes_is_the_root_of_its_process() {
    let musl = || "libc.musl-x86_64.so.1".to_string();
    let objects = [
        (
            "pkg/ffi.so",
            SharedObject {
                needed: vec!["libhelper-1a2b.so.1".to_string(), musl()],
                rpath: Some("$ORIGIN/../pkg.libs".to_string()),
                exports: vec!["ffi_entry".to_string()],
                undefined: vec!["helper_fn".to_string()],
                ..SharedObject::default()
            },
        ),
        (
            "pkg.libs/libhelper-1a2b.so.1",
            SharedObject {
                soname: Some("libhelper-1a2b.so.1".to_string()),
                needed: vec![musl(), "libdep-3c4d.so.1".to_string()],
                exports: vec!["helper_fn".to_string()],
                undefined: vec!["dep_fn".to_string()],
                ..SharedObject::default()
            },
        ),
        (
            "pkg.libs/libdep-3c4d.so.1",
            SharedObject {
                soname: Some("libdep-3c4d.so.1".to_string()),
                needed: vec![musl()],
                exports: vec!["dep_fn".to_string()],
                ..SharedObject::default()
            },
        ),
    ];
    let write_tree = |root: &Path| {
        for (path, object) in &objects {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, object.to_bytes()).unwrap();
        }
    };
    let installed = tempfile::tempdir().unwrap();
    let site = installed.path();
    write_tree(site);
    let files: Vec<&str> = objects.iter().map(|(path, _)| *path).collect();
    common::write_dist_info(site, "pkg", "1.0", &files);

    let report = scan_on("alpine:3.20", site);
    let ffi = common::found(&report, "pkg/ffi.so");
    let host = ffi.assessment.host.as_ref().expect("ffi.so has a host");
    assert_eq!(
        (host.kind, host.loaded_by.as_deref()),
        (HostKind::Cpython, None)
    );
    assert!(host.evidence.contains("ctypes"), "{}", host.evidence);
    let helper = common::found(&report, "libhelper-1a2b.so.1");
    assert_eq!(
        helper
            .assessment
            .host
            .as_ref()
            .and_then(|h| h.loaded_by.as_deref()),
        Some("pkg/ffi.so")
    );
    for artifact in [ffi, helper] {
        assert_eq!(
            artifact.verdict(),
            Verdict::Ok,
            "{:#?}",
            artifact.findings()
        );
    }
    let package = report
        .packages
        .iter()
        .find(|p| p.package.as_ref().is_some_and(|p| p.name == "pkg"))
        .expect("pkg's decision");
    assert_eq!(package.as_is.verdict, Some(Verdict::Ok));

    let loose = tempfile::tempdir().unwrap();
    write_tree(loose.path());
    let report = scan_on("alpine:3.20", loose.path());
    let helper = common::found(&report, "libhelper-1a2b.so.1");
    assert!(helper.assessment.host.is_none());
    assert_eq!(helper.verdict(), Verdict::Breaks);

    if common::musl_loader_missing("the loader's side") {
        return;
    }
    for (root, file, missing) in [
        (site, "pkg/ffi.so", vec![]),
        (
            site,
            "pkg.libs/libhelper-1a2b.so.1",
            vec!["libdep-3c4d.so.1"],
        ),
    ] {
        let output = Command::new(LOADER)
            .arg("--list")
            .arg(root.join(file))
            .output()
            .unwrap();
        let errors = common::musl_loader_errors(&String::from_utf8_lossy(&output.stderr));
        let libraries: Vec<&str> = errors.libraries.iter().map(String::as_str).collect();
        assert_eq!(libraries, missing, "{file}");
    }
}

/// cvxopt 1.3.3: its `gsl` module needs the bundled libgsl and OpenBLAS,
/// and libgsl calls OpenBLAS's `cblas_*` without needing it. The module's
/// dlopen relocates libgsl in a scope that holds all the module loads
/// (musl makes them global while it relocates; glibc's scope is the
/// module's search list), so libgsl loads there, on musl and on glibc.
#[test]
fn a_library_binds_names_in_what_its_module_loads_with_it() {
    for (target, libc, tag) in [
        ("alpine:3.20", "libc.musl-x86_64.so.1", "musl"),
        ("debian:12-slim", "libc.so.6", "gnu"),
    ] {
        let module = format!("pkg/gsl.cpython-312-x86_64-linux-{tag}.so");
        let objects = [
            (
                module.as_str(),
                SharedObject {
                    needed: ["libgsl-1a2b.so.27", "libblas-3c4d.so", libc]
                        .map(String::from)
                        .to_vec(),
                    rpath: Some("$ORIGIN/../pkg.libs".to_string()),
                    exports: vec!["PyInit_gsl".to_string()],
                    undefined: vec!["gsl_blas_daxpy".to_string()],
                    ..SharedObject::default()
                },
            ),
            (
                "pkg.libs/libgsl-1a2b.so.27",
                SharedObject {
                    soname: Some("libgsl-1a2b.so.27".to_string()),
                    needed: vec![libc.to_string()],
                    exports: vec!["gsl_blas_daxpy".to_string()],
                    undefined: vec!["cblas_daxpy".to_string()],
                    ..SharedObject::default()
                },
            ),
            (
                "pkg.libs/libblas-3c4d.so",
                SharedObject {
                    soname: Some("libblas-3c4d.so".to_string()),
                    needed: vec![libc.to_string()],
                    exports: vec!["cblas_daxpy".to_string()],
                    ..SharedObject::default()
                },
            ),
        ];
        let site = tempfile::tempdir().unwrap();
        for (path, object) in &objects {
            let path = site.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, object.to_bytes()).unwrap();
        }
        let report = scan_on(target, site.path());
        let gsl = common::found(&report, "libgsl-1a2b.so.27");
        assert_eq!(
            gsl.assessment
                .host
                .as_ref()
                .and_then(|h| h.loaded_by.as_deref()),
            Some(module.as_str()),
            "{target}"
        );
        for artifact in &report.artifacts {
            assert_eq!(
                artifact.verdict(),
                Verdict::Ok,
                "{target}: {}: {:#?}",
                artifact.path.as_str(),
                artifact.findings()
            );
        }
        if tag != "musl" || common::musl_loader_missing("the loader's side") {
            continue;
        }
        // Alone, libgsl does not load; in its module's process it does.
        for (file, missing) in [
            (module.as_str(), vec![]),
            ("pkg.libs/libgsl-1a2b.so.27", vec!["cblas_daxpy"]),
        ] {
            let output = Command::new(LOADER)
                .arg("--list")
                .arg(site.path().join(file))
                .output()
                .unwrap();
            let errors = common::musl_loader_errors(&String::from_utf8_lossy(&output.stderr));
            let symbols: Vec<&str> = errors
                .symbols
                .iter()
                .map(|(_, symbol)| symbol.as_str())
                .collect();
            assert_eq!(symbols, missing, "{file}");
        }
    }
}

/// A static-pie program in a package (turbo's `bin/turbo`, Go and Rust
/// tools built `-static-pie`) is an ET_DYN file without an interpreter, as a
/// library is; its DF_1_PIE flag says it is started, not loaded: no
/// interpreter's process hosts it.
#[test]
fn a_static_pie_program_in_a_package_is_started_not_loaded_by_the_interpreter() {
    let project = tempfile::tempdir().unwrap();
    let npm = project.path().join("node_modules/tool-linux-x64");
    let python = project.path().join("venv/lib/python3.12/site-packages");
    std::fs::create_dir_all(npm.join("bin")).unwrap();
    std::fs::create_dir_all(python.join("tool/bin")).unwrap();
    std::fs::write(
        npm.join("package.json"),
        r#"{"name": "tool-linux-x64", "version": "1.0.0"}"#,
    )
    .unwrap();
    let program = common::corpus("bin/hello-static-pie");
    std::fs::copy(&program, npm.join("bin/tool")).unwrap();
    std::fs::copy(&program, python.join("tool/bin/tool")).unwrap();
    common::write_dist_info(&python, "tool", "1.0", &["tool/bin/tool"]);
    // A library by the same rule is hosted: the rule is the file's, not the place's.
    std::fs::copy(
        common::corpus("lib/libplain.so"),
        npm.join("bin/libplain.so"),
    )
    .unwrap();

    for target in ["alpine:3.20", "debian:12-slim"] {
        let report = scan_on(target, project.path());
        for path in ["tool-linux-x64/bin/tool", "tool/bin/tool"] {
            let artifact = common::found(&report, path);
            assert!(artifact.package.is_some(), "{target} {path}: attributed");
            assert!(
                artifact.assessment.host.is_none(),
                "{target} {path}: {:?}",
                artifact.assessment.host
            );
            assert_eq!(artifact.assessment.verdict, Verdict::Ok, "{target} {path}");
        }
        let library = common::found(&report, "tool-linux-x64/bin/libplain.so");
        assert_eq!(
            library.assessment.host.as_ref().map(|host| host.kind),
            Some(HostKind::Node),
            "{target}"
        );
    }
}
