//! The checks in process: `muslcheck::scan` on single corpus fixtures
//! (built by corpus/build.sh) with verdicts, codes and evidence asserted as
//! Rust values; and the package-level checks (`check::wheel::audit`,
//! `check::reinstall`) on inputs built here, one test per branch.
//!
//! What the command line adds (flags, exit codes, the text report) is tested
//! in tests/corpus.rs; the rendered formats in tests/snapshots.rs.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use muslcheck::discover::Excludes;
use muslcheck::model::{
    Arch, Code, Evidence, Finding, HostKind, LibcKind, Linkage, MissingSymbol, Severity, Stack,
    Verdict,
};
use muslcheck::platform::Platform;
use muslcheck::{Artifact, Options, Report};

use common::{codes_of, copy_fixture, corpus, found, options, scan_corpus, scan_one, scan_with};

/// The finding with `code`; the panic lists the codes there are.
fn finding(artifact: &Artifact, code: Code) -> &Finding {
    artifact
        .findings()
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {code} in {:?}", codes_of(artifact)))
}

/// The symbols of an `Evidence::Symbols`.
fn missing_symbols(finding: &Finding) -> &[MissingSymbol] {
    match &finding.evidence {
        Evidence::Symbols { symbols, .. } => symbols,
        other => panic!("{}: not symbols evidence: {other:?}", finding.code),
    }
}

fn names(symbols: &[MissingSymbol]) -> Vec<&str> {
    let mut names: Vec<&str> = symbols.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    names
}

/// The `libname → provider` pairs of a file's load summary.
fn loaded(artifact: &Artifact) -> Vec<(&str, &str)> {
    artifact
        .assessment
        .load
        .as_ref()
        .map(|load| {
            load.libraries
                .iter()
                .map(|(name, provider)| (name.as_str(), provider.as_str()))
                .collect()
        })
        .unwrap_or_default()
}

/// One fixture on another target or architecture.
fn scan_on(name: &str, target: &str, arch: Arch, gcompat: bool) -> Artifact {
    let options = Options {
        platform: Platform::new(target.parse().unwrap(), arch, gcompat),
        ..Default::default()
    };
    let mut report = scan_with(&[corpus(name)], &options);
    assert_eq!(report.artifacts.len(), 1, "{name} on {target}");
    report.artifacts.remove(0)
}

/// The whole committed corpus, scanned once, paths relative to corpus/.
fn whole_corpus() -> &'static Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    REPORT.get_or_init(|| {
        let mut options = options(false);
        // Large third-party trees fetched by scripts are tested on their own.
        options.walk.exclude = Excludes::new(&["thirdparty/fetched/**".to_string()]).unwrap();
        scan_with(&[corpus("")], &options)
    })
}

fn in_corpus(path: &str) -> &'static Artifact {
    whole_corpus()
        .artifacts
        .iter()
        .find(|a| a.path.as_str() == path)
        .unwrap_or_else(|| panic!("{path} not in the corpus report"))
}

#[test]
fn every_fixture_gets_the_expected_verdict_and_codes() {
    use Code::*;
    let expected: &[(&str, Verdict, &[Code])] = &[
        ("bad/truncated.so", Verdict::Unknown, &[MalformedElf]),
        ("bin/copy-reloc-glibc", Verdict::Breaks, &[GlibcInterpreter]),
        (
            "bin/cxx-shared-ptr-nopie",
            Verdict::Breaks,
            &[GlibcInterpreter, MissingSymbols, NeedsAlpinePackage],
        ),
        (
            "bin/hello-aarch64-glibc",
            Verdict::Breaks,
            &[WrongArchitecture],
        ),
        ("lib/liba-i686.so", Verdict::Breaks, &[WrongArchitecture]),
        (
            "bin/hello-glibc",
            Verdict::Breaks,
            &[GlibcInterpreter, MissingSymbols],
        ),
        ("bin/hello-musl", Verdict::Ok, &[]),
        ("bin/hello-static-glibc", Verdict::Ok, &[]),
        ("bin/hello-static-musl", Verdict::Ok, &[]),
        ("bin/hello-static-pie", Verdict::Ok, &[]),
        (
            "bin/uses-cxx",
            Verdict::Breaks,
            &[GlibcInterpreter, DependencyBreaks, NeedsAlpinePackage],
        ),
        (
            "bin/uses-fortified",
            Verdict::Breaks,
            &[GlibcInterpreter, DependencyBreaks],
        ),
        ("lib/libarc4random.so", Verdict::Breaks, &[MissingSymbols]),
        ("lib/libchain-musl.so", Verdict::Ok, &[]),
        (
            "lib/libcxx-shared-ptr.so",
            Verdict::Breaks,
            &[MissingSymbols, NeedsAlpinePackage],
        ),
        ("lib/libfallocate64.so", Verdict::Breaks, &[MissingSymbols]),
        ("lib/libfcntl64.so", Verdict::Breaks, &[MissingSymbols]),
        ("lib/libfortified.so", Verdict::Breaks, &[MissingSymbols]),
        ("lib/libglibcisms.so", Verdict::Breaks, &[MissingSymbols]),
        ("lib/libifunc.so", Verdict::Breaks, &[UnsupportedRelocation]),
        ("lib/libifunc-export.so", Verdict::Ok, &[]),
        ("lib/libuses-base-libs.so", Verdict::Ok, &[]),
        ("lib/libstatx-musl.so", Verdict::Ok, &[]),
        (
            "lib/libuses-ifunc-export.so",
            Verdict::Breaks,
            &[MissingSymbols],
        ),
        ("lib/liblfs64.so", Verdict::Ok, &[]),
        ("lib/libmissing-dep.so", Verdict::Breaks, &[MissingLibrary]),
        ("lib/libplain-musl.so", Verdict::Ok, &[]),
        ("lib/libplain.so", Verdict::Ok, &[]),
        ("lib/libuses-crypt.so", Verdict::Breaks, &[MissingLibrary]),
        ("lib/libuses-resolv.so", Verdict::Breaks, &[MissingLibrary]),
        ("lib/libweak-undefined.so", Verdict::Ok, &[]),
        ("node/addon.node", Verdict::Ok, &[]),
        (
            "python/demo.cpython-311-x86_64-linux-gnu.so",
            Verdict::Ok,
            &[],
        ),
        (
            "python/helped.cpython-311-x86_64-linux-musl.so",
            Verdict::Ok,
            &[],
        ),
        ("python/libpyhelper.so", Verdict::Ok, &[]),
    ];
    for (path, verdict, codes) in expected {
        let artifact = in_corpus(path);
        assert_eq!(artifact.verdict(), *verdict, "{path}");
        assert_eq!(codes_of(artifact), *codes, "{path}");
    }
    // A text file with a library's name is sniffed and dropped, not reported.
    assert!(
        whole_corpus()
            .artifacts
            .iter()
            .all(|a| a.path.as_str() != "bad/libfake.so.1")
    );
}

#[test]
fn truncated_file_is_malformed_and_says_why() {
    let truncated = in_corpus("bad/truncated.so");
    let malformed = finding(truncated, Code::MalformedElf);
    assert_eq!(malformed.severity, Severity::Warning);
    match &malformed.evidence {
        Evidence::Read { reason } => assert!(!reason.is_empty()),
        other => panic!("{other:?}"),
    }
    assert!(truncated.facts().is_none());
}

#[test]
fn glibc_executable_gets_mc101_and_names_its_interpreter() {
    let hello = scan_one("bin/hello-glibc", false);
    assert_eq!(
        codes_of(&hello),
        [Code::GlibcInterpreter, Code::MissingSymbols]
    );
    let interpreter = finding(&hello, Code::GlibcInterpreter);
    match &interpreter.evidence {
        Evidence::Interpreter {
            interpreter,
            expected,
        } => {
            assert_eq!(interpreter, "/lib64/ld-linux-x86-64.so.2");
            assert_eq!(expected.as_deref(), Some("/lib/ld-musl-x86_64.so.1"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        interpreter.loader_messages,
        [format!("sh: {}: not found", hello.path)]
    );

    let facts = hello.facts().unwrap();
    assert_eq!(
        facts.interpreter.as_deref(),
        Some("/lib64/ld-linux-x86-64.so.2")
    );
    assert_eq!(facts.linkage, Linkage::Dynamic);
    assert_eq!(facts.libc.kind, LibcKind::Glibc);
    assert_eq!(facts.needed, ["libc.so.6"]);
    assert_eq!(facts.version_needs[0].library, "libc.so.6");
    assert!(
        facts.version_needs[0]
            .versions
            .contains(&"GLIBC_2.2.5".to_string())
    );
    assert!(facts.max_glibc.as_ref().unwrap().starts_with("GLIBC_2."));
    assert!(
        facts
            .required_symbols
            .iter()
            .any(|s| s.name == "__snprintf_chk" && s.version.as_deref() == Some("GLIBC_2.3.4"))
    );

    let symbols = missing_symbols(finding(&hello, Code::MissingSymbols));
    assert_eq!(names(symbols), ["__snprintf_chk"]);
    assert_eq!(symbols[0].glibc_since.as_deref(), Some("GLIBC_2.3.4"));
    assert_eq!(symbols[0].expected_library.as_deref(), Some("libc.so.6"));
    assert!(symbols[0].gcompat_provides);

    let with_gcompat = scan_one("bin/hello-glibc", true);
    assert_eq!(with_gcompat.verdict(), Verdict::NeedsGcompat);
    assert_eq!(codes_of(&with_gcompat), [Code::OnlyWithGcompat]);
}

#[test]
fn wrong_architecture_gets_mc104_and_only_that() {
    let arm = scan_one("bin/hello-aarch64-glibc", false);
    assert_eq!(arm.verdict(), Verdict::Breaks);
    assert_eq!(codes_of(&arm), [Code::WrongArchitecture]);
    assert!(matches!(
        finding(&arm, Code::WrongArchitecture).evidence,
        Evidence::Architecture {
            file: Arch::Aarch64,
            target: Arch::X86_64
        }
    ));
    assert_eq!(arm.facts().unwrap().arch, Arch::Aarch64);

    // Judged for aarch64, the same file is judged on its symbols instead.
    let native = scan_on(
        "bin/hello-aarch64-glibc",
        "alpine:3.20",
        Arch::Aarch64,
        false,
    );
    let codes = codes_of(&native);
    assert!(codes.contains(&Code::GlibcInterpreter), "{codes:?}");
    assert!(!codes.contains(&Code::WrongArchitecture), "{codes:?}");
}

/// A multi-machine package's build for another machine (onnxruntime-node's
/// `bin/napi-v6/linux/arm64/`): a library that an aarch64 file beside it
/// needs, in a directory of aarch64 files only, is never loaded on x86_64.
/// The file nothing beside it needs stays MC104 (with no build of it for
/// the target's machine: see the next test), and so does a library that an
/// x86_64 file beside it needs (its process would find it and fail).
#[test]
fn another_machine_s_library_needed_only_by_its_own_build_is_never_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // libcalls__mulxc3-aarch64.so needs libgcc_s.so.1.
    copy_fixture(
        "lib/libcalls__mulxc3-aarch64.so",
        &root.join("arm64/addon.so"),
    );
    copy_fixture(
        "lib/libcalls__frame_state_for-aarch64.so",
        &root.join("arm64/libgcc_s.so.1"),
    );
    copy_fixture("lib/libplain.so", &root.join("x64/other.so"));
    copy_fixture(
        "lib/libcalls__mulxc3-aarch64.so",
        &root.join("mixed/addon-arm64.so"),
    );
    copy_fixture("lib/libplain.so", &root.join("mixed/addon.so"));
    copy_fixture(
        "lib/libcalls__frame_state_for-aarch64.so",
        &root.join("mixed/libgcc_s.so.1"),
    );
    let report = scan_with(&[root.to_path_buf()], &options(false));

    let library = found(&report, "arm64/libgcc_s.so.1");
    assert_eq!(library.verdict(), Verdict::NotApplicable, "{library:#?}");
    let reason = library
        .assessment
        .load
        .as_ref()
        .unwrap()
        .not_loaded
        .as_deref();
    assert!(
        reason.is_some_and(|r| r.contains("arm64/addon.so") && r.contains("aarch64")),
        "{reason:?}"
    );
    for breaks in ["arm64/addon.so", "mixed/libgcc_s.so.1"] {
        let file = found(&report, breaks);
        assert_eq!(codes_of(file), [Code::WrongArchitecture], "{breaks}");
    }
}

/// The file at `path` is never loaded, for `instead` is the one its package loads.
fn assert_never_loaded_for(report: &Report, path: &str, instead: &str) {
    let file = found(report, path);
    assert_eq!(file.verdict(), Verdict::NotApplicable, "{file:#?}");
    let why = file
        .assessment
        .load
        .as_ref()
        .and_then(|l| l.not_loaded.clone());
    assert!(
        why.as_deref().is_some_and(|w| w.contains(instead)),
        "{why:?}"
    );
}

/// teradatasql ships one library per machine in one directory
/// (`teradatasql.so`, `teradatasql.arm.so`, …) and loads the one for
/// `platform.machine()`: beside the target machine's build, another
/// machine's is never loaded (not-applicable, saying which is); alone, it
/// is what there is, and breaks (MC104).
#[test]
fn another_machines_build_beside_the_targets_is_never_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let package = dir.path().join("driver");
    std::fs::create_dir_all(&package).unwrap();
    let arm = package.join("driver.arm.so");
    std::fs::copy(corpus("lib/libcalls__mulxc3-aarch64.so"), &arm).unwrap();
    let options = Options {
        platform: Platform::new("debian:12-slim".parse().unwrap(), Arch::X86_64, false),
        ..Default::default()
    };
    let report = scan_with(&[dir.path().to_path_buf()], &options);
    let alone = found(&report, "driver.arm.so");
    assert_eq!(codes_of(alone), [Code::WrongArchitecture]);

    std::fs::copy(corpus("lib/libplain.so"), package.join("driver.so")).unwrap();
    let report = scan_with(&[dir.path().to_path_buf()], &options);
    assert_never_loaded_for(&report, "driver.arm.so", "driver/driver.so");
    assert_eq!(found(&report, "driver/driver.so").verdict(), Verdict::Ok);
}

/// selenium 4.53 keeps `selenium-manager` in `linux-x86_64/` and
/// `linux-arm64/` and runs the one for `platform.machine()`; onnxruntime-node
/// keeps `linux/x64/` and `linux/arm64/`. Another machine's build in a
/// sibling directory named for its machine is never run where the
/// target's is; alone it breaks (MC104).
#[test]
fn another_machines_build_in_a_sibling_directory_is_never_loaded() {
    let options = Options {
        platform: Platform::new("alpine:3.20".parse().unwrap(), Arch::X86_64, false),
        ..Default::default()
    };
    for (other, own) in [
        ("common/linux-arm64", "common/linux-x86_64"),
        ("bin/linux/arm64", "bin/linux/x64"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let arm = dir.path().join(other).join("manager");
        std::fs::create_dir_all(arm.parent().unwrap()).unwrap();
        std::fs::copy(corpus("lib/libcalls__mulxc3-aarch64.so"), &arm).unwrap();
        let report = scan_with(&[dir.path().to_path_buf()], &options);
        let alone = found(&report, &format!("{other}/manager"));
        assert_eq!(codes_of(alone), [Code::WrongArchitecture], "{other}");

        let x86 = dir.path().join(own).join("manager");
        std::fs::create_dir_all(x86.parent().unwrap()).unwrap();
        std::fs::copy(corpus("bin/hello-static-musl"), &x86).unwrap();
        let report = scan_with(&[dir.path().to_path_buf()], &options);
        assert_never_loaded_for(
            &report,
            &format!("{other}/manager"),
            &format!("{own}/manager"),
        );
        assert_eq!(
            found(&report, &format!("{own}/manager")).verdict(),
            Verdict::Ok
        );
    }
    // A directory beside it for another purpose is no machine's build.
    let dir = tempfile::tempdir().unwrap();
    for (name, fixture) in [
        ("tools-arm64/manager", "lib/libcalls__mulxc3-aarch64.so"),
        ("other/manager", "bin/hello-static-musl"),
    ] {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::copy(corpus(fixture), &path).unwrap();
    }
    let report = scan_with(&[dir.path().to_path_buf()], &options);
    assert_eq!(
        codes_of(found(&report, "tools-arm64/manager")),
        [Code::WrongArchitecture]
    );
}

/// pvporcupine 4.0.3 keeps `lib/linux/x86_64/libpv_porcupine.so` and
/// `lib/raspberry-pi/cortex-a53-aarch64/libpv_porcupine.so`, choosing by
/// `platform.machine()` and /proc/cpuinfo: the same file for the target's
/// machine anywhere in the same distribution is the one it loads.
#[test]
fn another_machines_build_in_the_same_distribution_is_never_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site-packages");
    let arm = "pvp/lib/raspberry-pi/cortex-a53-aarch64/libpv_pvp.so";
    let own = "pvp/lib/linux/x86_64/libpv_pvp.so";
    copy_fixture("lib/libcalls__mulxc3-aarch64.so", &site.join(arm));
    copy_fixture("lib/libplain.so", &site.join(own));
    common::write_dist_info(&site, "pvp", "4.0.3", &[arm, own]);
    let options = Options {
        platform: Platform::new("debian:12-slim".parse().unwrap(), Arch::X86_64, false),
        ..Default::default()
    };
    let report = scan_with(&[dir.path().to_path_buf()], &options);
    assert_never_loaded_for(&report, arm, own);
    assert_eq!(found(&report, own).verdict(), Verdict::Ok);
    // Another distribution's build for the target's machine says nothing of it.
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site-packages");
    let theirs = "other/lib/linux/x86_64/libpv_pvp.so";
    copy_fixture("lib/libcalls__mulxc3-aarch64.so", &site.join(arm));
    copy_fixture("lib/libplain.so", &site.join(theirs));
    common::write_dist_info(&site, "pvp", "4.0.3", &[arm]);
    common::write_dist_info(&site, "other", "1.0.0", &[theirs]);
    let report = scan_with(&[dir.path().to_path_buf()], &options);
    assert_eq!(codes_of(found(&report, arm)), [Code::WrongArchitecture]);
}

/// Alpine's aarch64 libgcc_s is not its x86_64 one. Under qemu, Alpine
/// 3.17–3.20's own aarch64 loader (with Alpine-built GCC 14.2 libgcc_s)
/// loads the first library and stops the second with `Error relocating …:
/// __mulxc3: symbol not found`; judged against the x86_64 exports, both
/// verdicts were the other way round.
#[test]
fn aarch64_files_are_checked_against_alpines_aarch64_gcc_runtime() {
    let frame_state = scan_on(
        "lib/libcalls__frame_state_for-aarch64.so",
        "alpine:3.20",
        Arch::Aarch64,
        false,
    );
    assert_eq!(
        codes_of(&frame_state),
        [Code::NeedsAlpinePackage],
        "apk add libgcc, and nothing missing from it"
    );
    let x87 = scan_on(
        "lib/libcalls__mulxc3-aarch64.so",
        "alpine:3.20",
        Arch::Aarch64,
        false,
    );
    assert_eq!(x87.verdict(), Verdict::Breaks);
    let missing = missing_symbols(finding(&x87, Code::MissingSymbols));
    assert_eq!(names(missing), ["__mulxc3"]);
}

/// Each Alpine release installs its own GCC's libstdc++: 3.19 and 3.20 GCC
/// 13.2's, which lacks GCC 14's `std::__basic_file<char>::native_handle()`
/// (a library built on Alpine 3.21 can call it: std::print), 3.21 GCC 14.2's.
#[test]
fn each_alpine_release_is_checked_against_its_own_libstdcxx() {
    let name = "lib/libcalls-gcc14-libstdcxx.so";
    for target in ["alpine:3.19", "alpine:3.20"] {
        let file = scan_on(name, target, Arch::X86_64, false);
        assert_eq!(file.verdict(), Verdict::Breaks, "{target}");
        let missing = missing_symbols(finding(&file, Code::MissingSymbols));
        assert_eq!(
            names(missing),
            ["_ZNKSt12__basic_fileIcE13native_handleEv"],
            "{target}"
        );
    }
    let file = scan_on(name, "alpine:3.21", Arch::X86_64, false);
    assert_eq!(
        codes_of(&file),
        [Code::NeedsAlpinePackage],
        "apk add libstdc++"
    );
}

/// The execstack fixtures scanned together on `target` (a module and the
/// library it needs must be in one tree for the host to reach the library).
fn execstack_on(target: &str, arch: Arch) -> Report {
    let options = Options {
        platform: Platform::new(target.parse().unwrap(), arch, false),
        ..Default::default()
    };
    scan_with(&[corpus("image/execstack")], &options)
}

/// The `(path, stack)` pairs of an `Evidence::ExecutableStack`.
fn stack_objects(finding: &Finding) -> Vec<(String, Stack)> {
    match &finding.evidence {
        Evidence::ExecutableStack { objects, .. } => {
            objects.iter().map(|o| (o.path.clone(), o.stack)).collect()
        }
        other => panic!("{}: not executable-stack evidence: {other:?}", finding.code),
    }
}

#[test]
fn glibc_2_41_refuses_executable_stacks_to_what_a_host_dlopens() {
    let report = execstack_on("debian:13-slim", Arch::X86_64);
    // A CPython module whose library asks for an executable stack: ld.so
    // names the library, by the name the module needs it under.
    let module = found(&report, "stackmod.cpython-312-x86_64-linux-gnu.so");
    assert_eq!(module.verdict(), Verdict::Breaks);
    let refused = finding(module, Code::ExecutableStackRefused);
    assert_eq!(
        stack_objects(refused),
        [("libstack-exec.so".to_string(), Stack::Executable)]
    );
    assert_eq!(
        refused.loader_messages,
        [
            "libstack-exec.so: cannot enable executable stack as shared object requires: Invalid argument"
        ]
    );
    // That library is loaded into CPython by the module: the same error.
    let library = found(&report, "libstack-exec.so");
    assert_eq!(library.verdict(), Verdict::Breaks);
    assert!(
        library
            .assessment
            .host
            .as_ref()
            .is_some_and(|h| h.kind == HostKind::Cpython),
        "loaded into CPython by the module"
    );
    // A module asking for it itself.
    let own = found(&report, "stackown.cpython-312-x86_64-linux-gnu.so");
    let refused = finding(own, Code::ExecutableStackRefused);
    assert!(
        refused.message.contains("and it needs an executable stack"),
        "{}",
        refused.message
    );
    // A program needing the library at start: glibc makes the stack executable.
    let program = found(&report, "stack-program");
    assert_eq!(program.verdict(), Verdict::Ok, "{:?}", codes_of(program));
    // A library with no PT_GNU_STACK that nothing loads: x86_64's default is
    // an executable stack, and no host is known: a note, not a verdict.
    let unmarked = found(&report, "libstack-unmarked.so");
    assert_eq!(unmarked.facts().map(|f| f.stack), Some(Stack::Unmarked));
    assert_eq!(unmarked.verdict(), Verdict::Ok);
    assert_eq!(codes_of(unmarked), [Code::ExecutableStack]);
    assert_eq!(
        finding(unmarked, Code::ExecutableStack).severity,
        Severity::Note
    );
}

#[test]
fn executable_stacks_load_before_glibc_2_41_and_on_musl() {
    for target in ["debian:12-slim", "ubuntu:24.04", "alpine:3.22"] {
        let report = execstack_on(target, Arch::X86_64);
        for artifact in &report.artifacts {
            let codes = codes_of(artifact);
            assert!(
                !codes.contains(&Code::ExecutableStackRefused)
                    && !codes.contains(&Code::ExecutableStack),
                "{target} {}: {codes:?}",
                artifact.path
            );
        }
    }
    // Wolfi's glibc is newer than 2.41.
    let report = execstack_on("cgr.dev/chainguard/wolfi-base", Arch::X86_64);
    let module = found(&report, "stackmod.cpython-312-x86_64-linux-gnu.so");
    assert!(codes_of(module).contains(&Code::ExecutableStackRefused));
}

#[test]
fn an_unmarked_stack_is_executable_on_x86_64_only() {
    let file = scan_on(
        "image/execstack/libstack-unmarked-aarch64.so",
        "debian:13-slim",
        Arch::Aarch64,
        false,
    );
    assert_eq!(file.facts().map(|f| f.stack), Some(Stack::Unmarked));
    assert!(file.findings().is_empty(), "{:?}", codes_of(&file));
    // glibc's DEFAULT_STACK_PERMS: executable on x86, not on aarch64.
    for (stack, arch, executable) in [
        (Stack::Unmarked, Arch::X86_64, true),
        (Stack::Unmarked, Arch::Aarch64, false),
        (Stack::Executable, Arch::Aarch64, true),
        (Stack::NonExecutable, Arch::X86_64, false),
    ] {
        let said = stack.executable_for_glibc(arch);
        assert_eq!(said, Some(executable), "{stack:?} on {arch:?}");
    }
}

#[test]
fn static_and_musl_fixtures_are_ok_with_no_findings() {
    for (name, linkage, libc) in [
        ("bin/hello-static-glibc", Linkage::Static, LibcKind::Glibc),
        ("bin/hello-static-musl", Linkage::Static, LibcKind::None),
        ("bin/hello-static-pie", Linkage::StaticPie, LibcKind::Glibc),
        ("bin/hello-musl", Linkage::Dynamic, LibcKind::Musl),
    ] {
        for gcompat in [false, true] {
            let file = scan_one(name, gcompat);
            assert_eq!(file.verdict(), Verdict::Ok, "{name} gcompat={gcompat}");
            assert!(file.findings().is_empty(), "{name}: {:?}", codes_of(&file));
            let facts = file.facts().unwrap();
            assert_eq!(facts.linkage, linkage, "{name}");
            assert_eq!(facts.libc.kind, libc, "{name}");
        }
    }
}

#[test]
fn fortified_library_names_the_chk_symbols_and_gcompat_rescues_it() {
    let chk = ["__memcpy_chk", "__sprintf_chk", "__strcpy_chk"];
    let lib = scan_one("lib/libfortified.so", false);
    assert_eq!(lib.verdict(), Verdict::Breaks);
    let missing = finding(&lib, Code::MissingSymbols);
    assert_eq!(missing.severity, Severity::Error);
    assert_eq!(names(missing_symbols(missing)), chk);
    assert!(missing_symbols(missing).iter().all(|s| s.gcompat_provides));
    match &missing.evidence {
        Evidence::Symbols { looked_in, .. } => assert_eq!(looked_in, &["musl 1.2.5"]),
        other => panic!("{other:?}"),
    }

    let lib = scan_one("lib/libfortified.so", true);
    assert_eq!(lib.verdict(), Verdict::NeedsGcompat);
    assert_eq!(codes_of(&lib), [Code::OnlyWithGcompat]);
    let gcompat = finding(&lib, Code::OnlyWithGcompat);
    assert_eq!(gcompat.severity, Severity::Note);
    match &gcompat.evidence {
        Evidence::Gcompat { symbols, reach, .. } => {
            let mut supplied: Vec<&str> = symbols.iter().map(String::as_str).collect();
            supplied.sort_unstable();
            assert_eq!(supplied, chk);
            assert!(reach.contains("loader stub"), "{reach}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_program_breaks_through_the_fortified_library_it_loads() {
    // Alone, its library is missing, and the symbol it takes from it (no
    // version says from where, and no other library is missing) fails with it.
    let alone = scan_one("bin/uses-fortified", false);
    assert_eq!(
        codes_of(&alone),
        [Code::GlibcInterpreter, Code::MissingLibrary]
    );
    match &finding(&alone, Code::MissingLibrary).evidence {
        Evidence::Libraries { libraries } => {
            assert_eq!(libraries.len(), 1);
            assert_eq!(libraries[0].name, "libfortified.so");
            assert_eq!(libraries[0].symbols_expected, ["fill"]);
            assert!(!libraries[0].gcompat_provides);
            // DT_RUNPATH $ORIGIN/../lib is looked in, then the Alpine packages.
            let looked_in = &libraries[0].looked_in;
            assert!(looked_in[0].ends_with("corpus/lib"), "{looked_in:?}");
            assert_eq!(looked_in.last().unwrap(), "Alpine packages");
        }
        other => panic!("{other:?}"),
    }

    // With the library scanned too, the program fails in it (MC105), on the
    // _chk names the library needs.
    let report = scan_corpus(&["bin/uses-fortified", "lib/libfortified.so"], false);
    let user = found(&report, "bin/uses-fortified");
    assert_eq!(
        codes_of(user),
        [Code::GlibcInterpreter, Code::DependencyBreaks]
    );
    match &finding(user, Code::DependencyBreaks).evidence {
        Evidence::Dependency {
            path,
            missing_symbols,
            missing_libraries,
            unsupported_relocations,
        } => {
            assert!(path.ends_with("lib/libfortified.so"), "{path}");
            assert_eq!(*missing_symbols, 3);
            assert_eq!((*missing_libraries, *unsupported_relocations), (0, 0));
        }
        other => panic!("{other:?}"),
    }
    // The symbols themselves are said once, on the library's own artifact.
    match &finding(found(&report, "lib/libfortified.so"), Code::MissingSymbols).evidence {
        Evidence::Symbols { symbols, .. } => assert_eq!(
            names(symbols),
            ["__memcpy_chk", "__sprintf_chk", "__strcpy_chk"]
        ),
        other => panic!("{other:?}"),
    }

    let report = scan_corpus(&["bin/uses-fortified", "lib/libfortified.so"], true);
    let user = found(&report, "bin/uses-fortified");
    assert_eq!(user.verdict(), Verdict::NeedsGcompat);
    match &finding(user, Code::OnlyWithGcompat).evidence {
        Evidence::Gcompat {
            symbols, libraries, ..
        } => {
            assert!(symbols.contains(&"__memcpy_chk".to_string()), "{symbols:?}");
            assert_eq!(libraries, &["/lib64/ld-linux-x86-64.so.2 (loader stub)"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn dependency_found_through_runpath_is_named_relative_to_the_root() {
    let user = in_corpus("bin/uses-fortified");
    match &finding(user, Code::DependencyBreaks).evidence {
        Evidence::Dependency { path, .. } => assert_eq!(path, "lib/libfortified.so"),
        other => panic!("{other:?}"),
    }
    assert!(loaded(user).contains(&("libfortified.so", "lib/libfortified.so")));
}

#[test]
fn single_threaded_flag_names_its_glibc_version() {
    let file = scan_one("lib/libcxx-shared-ptr.so", false);
    let symbols = missing_symbols(finding(&file, Code::MissingSymbols));
    // The C++ names themselves are all in Alpine's libstdc++: only the libc name misses.
    assert_eq!(names(symbols), ["__libc_single_threaded"]);
    assert_eq!(symbols[0].glibc_since.as_deref(), Some("GLIBC_2.32"));
    assert_eq!(symbols[0].expected_library.as_deref(), Some("libc.so.6"));
    match &finding(&file, Code::NeedsAlpinePackage).evidence {
        Evidence::Packages { packages, apk_add } => {
            let libraries: Vec<&str> = packages.iter().map(|p| p.library.as_str()).collect();
            assert!(libraries.contains(&"libstdc++.so.6"), "{libraries:?}");
            assert!(apk_add.starts_with("apk add "), "{apk_add}");
            assert!(apk_add.contains("libstdc++"), "{apk_add}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn copy_relocated_data_is_still_required() {
    let file = scan_one("bin/cxx-shared-ptr-nopie", false);
    let required = file
        .facts()
        .unwrap()
        .required_symbols
        .iter()
        .find(|s| s.name == "__libc_single_threaded")
        .expect("the copy-relocated symbol is required");
    assert!(required.copy_relocation);
    let symbols = missing_symbols(finding(&file, Code::MissingSymbols));
    assert_eq!(names(symbols), ["__libc_single_threaded"]);
    assert!(symbols[0].copy_relocation);

    // Copy-relocated names musl has (stdout, __environ) are no problem.
    let musl_has = scan_one("bin/copy-reloc-glibc", false);
    let copied: Vec<&str> = musl_has
        .facts()
        .unwrap()
        .required_symbols
        .iter()
        .filter(|s| s.copy_relocation)
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(copied, ["__environ", "stdout"]);
    assert_eq!(codes_of(&musl_has), [Code::GlibcInterpreter]);
    assert_eq!(
        scan_one("bin/copy-reloc-glibc", true).verdict(),
        Verdict::NeedsGcompat
    );
}

#[test]
fn fcntl64_breaks_everywhere_and_stat64_loads_through_the_redirect() {
    for target in ["musl:1.2.3", "musl:1.2.4", "musl:1.2.5", "musl:1.2.6"] {
        let file = scan_on("lib/libfcntl64.so", target, Arch::X86_64, false);
        assert_eq!(file.verdict(), Verdict::Breaks, "{target}");
        let symbols = missing_symbols(finding(&file, Code::MissingSymbols));
        assert!(names(symbols).contains(&"fcntl64"), "{target}");
    }
    let file = scan_on("lib/liblfs64.so", "alpine:3.18", Arch::X86_64, false);
    assert_eq!(file.verdict(), Verdict::Ok);
    let redirects = &file.assessment.load.as_ref().unwrap().lfs64_redirects;
    assert!(redirects.contains(&("stat64".to_string(), "stat".to_string())));

    let file = scan_on("lib/liblfs64.so", "alpine:3.17", Arch::X86_64, false);
    assert_eq!(file.verdict(), Verdict::Ok);
    assert!(
        file.assessment
            .load
            .as_ref()
            .unwrap()
            .lfs64_redirects
            .is_empty(),
        "musl 1.2.3 exports stat64"
    );
}

#[test]
fn posix_fallocate64_fails_only_where_the_redirect_is_broken() {
    for (target, verdict) in [
        ("musl:1.2.3", Verdict::Ok),
        ("musl:1.2.4", Verdict::Breaks),
        ("alpine:3.20", Verdict::Breaks),
        ("alpine:3.24", Verdict::Ok),
    ] {
        let file = scan_on("lib/libfallocate64.so", target, Arch::X86_64, false);
        assert_eq!(file.verdict(), verdict, "{target}");
    }
}

#[test]
fn ifunc_relocation_is_refused() {
    let file = scan_one("lib/libifunc.so", false);
    assert_eq!(codes_of(&file), [Code::UnsupportedRelocation]);
    let refused = finding(&file, Code::UnsupportedRelocation);
    match &refused.evidence {
        Evidence::Relocations { relocations } => {
            assert_eq!(relocations.len(), 1);
            assert_eq!(relocations[0].r_type, 37);
            assert!(relocations[0].count >= 1);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        refused.loader_messages,
        [format!(
            "Error relocating {}: unsupported relocation type 37",
            corpus("lib/libifunc.so").display()
        )]
    );
    // gcompat supplies names, not relocation types.
    assert_eq!(scan_one("lib/libifunc.so", true).verdict(), Verdict::Breaks);
}

/// musl's `find_sym` skips definitions whose type is not in OK_TYPES, which
/// leaves out STT_GNU_IFUNC: a name a library defines only as an IFUNC
/// satisfies nothing.
#[test]
fn a_name_defined_only_as_an_ifunc_satisfies_nothing() {
    let user = in_corpus("lib/libuses-ifunc-export.so");
    assert_eq!(
        loaded(user),
        [
            ("libifunc-export.so", "lib/libifunc-export.so"),
            ("libc.so", "musl")
        ]
    );
    let missing = finding(user, Code::MissingSymbols);
    let symbols = missing_symbols(missing);
    assert_eq!(names(symbols), ["scaled"]);
    assert_eq!(
        symbols[0].ifunc_only_in.as_deref(),
        Some("lib/libifunc-export.so")
    );
    assert!(
        missing
            .message
            .contains("defined only as an IFUNC in lib/libifunc-export.so, which musl's loader does not resolve"),
        "{}",
        missing.message
    );
    assert!(
        missing
            .remedy
            .as_deref()
            .unwrap()
            .contains("musl build of lib/libifunc-export.so"),
        "{:?}",
        missing.remedy
    );
    // The library itself loads: nothing inside calls its IFUNC.
    assert_eq!(in_corpus("lib/libifunc-export.so").verdict(), Verdict::Ok);

    // The real loader agrees.
    let loader = std::path::Path::new("/lib/ld-musl-x86_64.so.1");
    if !loader.exists() {
        assert!(
            std::env::var_os("MUSLCHECK_REQUIRE_TOOLS").is_none(),
            "no musl loader (MUSLCHECK_REQUIRE_TOOLS is set)"
        );
        eprintln!("note: no musl loader: the ground-truth half skipped");
        return;
    }
    let list = |file: &str| {
        let output = std::process::Command::new(loader)
            .arg("--list")
            .arg(corpus(file))
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (status, stderr) = list("lib/libuses-ifunc-export.so");
    assert_ne!(status, Some(0));
    assert_eq!(
        stderr.trim_end(),
        format!(
            "Error relocating {}: scaled: symbol not found",
            corpus("lib/libuses-ifunc-export.so").display()
        )
    );
    assert_eq!(list("lib/libifunc-export.so"), (Some(0), String::new()));
}

/// A library an extension module loads is in the interpreter's process: its
/// Py* names come from the host although it is no module itself (alone,
/// the musl loader reports them missing; tests/loader_differential.rs
/// filters host names by the artifact's host, inherited ones included).
#[test]
fn a_library_a_module_loads_gets_the_modules_host() {
    let helper = in_corpus("python/libpyhelper.so");
    assert_eq!(helper.verdict(), Verdict::Ok, "{:?}", codes_of(helper));
    let host = helper.assessment.host.as_ref().expect("an inherited host");
    assert_eq!(host.kind, HostKind::Cpython);
    assert_eq!(
        host.loaded_by.as_deref(),
        Some("python/helped.cpython-311-x86_64-linux-musl.so")
    );
    assert_eq!(
        host.evidence,
        "loaded by python/helped.cpython-311-x86_64-linux-musl.so, a CPython extension module"
    );
    assert_eq!(helper.assessment.load.as_ref().unwrap().from_host, 2);
    // Scanned alone, nothing loads it: judged as a root without a host.
    let alone = scan_one("python/libpyhelper.so", false);
    assert_eq!(alone.verdict(), Verdict::Breaks);
    assert!(alone.assessment.host.is_none());
}

#[test]
fn host_symbols_come_from_the_interpreter() {
    let python = in_corpus("python/demo.cpython-311-x86_64-linux-gnu.so");
    let host = python.assessment.host.as_ref().unwrap();
    assert_eq!(host.kind, HostKind::Cpython);
    assert_eq!(python.assessment.load.as_ref().unwrap().from_host, 1);

    let node = in_corpus("node/addon.node");
    let host = node.assessment.host.as_ref().unwrap();
    assert_eq!(host.kind, HostKind::Node);
    assert!(
        host.evidence.contains("napi_register_module_v1"),
        "{}",
        host.evidence
    );
}

#[test]
fn libcrypt_and_libresolv_come_with_gcompat() {
    for (name, library) in [
        ("lib/libuses-crypt.so", "libcrypt.so.1"),
        ("lib/libuses-resolv.so", "libresolv.so.2"),
    ] {
        let file = scan_one(name, false);
        assert_eq!(codes_of(&file), [Code::MissingLibrary], "{name}");
        match &finding(&file, Code::MissingLibrary).evidence {
            Evidence::Libraries { libraries } => {
                assert_eq!(libraries[0].name, library);
                assert!(libraries[0].gcompat_provides, "{name}");
            }
            other => panic!("{other:?}"),
        }
        let file = scan_one(name, true);
        assert_eq!(file.verdict(), Verdict::NeedsGcompat, "{name}");
        match &finding(&file, Code::OnlyWithGcompat).evidence {
            Evidence::Gcompat { libraries, .. } => {
                assert!(libraries.iter().any(|l| l == library), "{libraries:?}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn arc4random_breaks_even_with_gcompat() {
    let file = scan_one("lib/libarc4random.so", true);
    assert_eq!(file.verdict(), Verdict::Breaks);
    let symbols = missing_symbols(finding(&file, Code::MissingSymbols));
    assert_eq!(names(symbols), ["arc4random"]);
    assert_eq!(symbols[0].glibc_since.as_deref(), Some("GLIBC_2.36"));
    assert!(!symbols[0].gcompat_provides);
}

#[test]
fn weak_undefined_symbols_never_fail() {
    let file = scan_one("lib/libweak-undefined.so", false);
    assert!(
        file.facts()
            .unwrap()
            .required_symbols
            .iter()
            .any(|s| s.name == "optional_hook" && s.weak)
    );
    assert_eq!(file.verdict(), Verdict::Ok);
    assert!(file.findings().is_empty());
}

#[test]
fn musl_library_may_load_a_glibc_library_that_only_uses_common_names() {
    let chain = in_corpus("lib/libchain-musl.so");
    assert_eq!(chain.facts().unwrap().libc.kind, LibcKind::Musl);
    assert!(loaded(chain).contains(&("libplain.so", "lib/libplain.so")));
    assert_eq!(chain.verdict(), Verdict::Ok);
}

#[test]
fn gcompat_does_not_reach_libraries_loaded_by_alpines_own_python() {
    // gcompat 1.1.0 exports __libc_single_threaded, so a glibc C++ library loaded
    // by a glibc program (through gcompat's loader stub) loads with gcompat;
    // the same library inside site-packages is loaded by Alpine's musl python,
    // which does not preload gcompat, so it breaks even with gcompat.
    let loose = scan_one("lib/libcxx-shared-ptr.so", true);
    assert_eq!(loose.verdict(), Verdict::NeedsGcompat);

    let venv = tempfile::tempdir().unwrap();
    copy_fixture(
        "lib/libcxx-shared-ptr.so",
        &venv
            .path()
            .join("lib/python3.12/site-packages/pkg/libcxx-shared-ptr.so"),
    );
    let report = scan_with(&[venv.path().to_path_buf()], &options(true));
    let file = found(&report, "libcxx-shared-ptr.so");
    assert_eq!(file.verdict(), Verdict::Breaks);
    let symbols = missing_symbols(finding(file, Code::MissingSymbols));
    assert_eq!(names(symbols), ["__libc_single_threaded"]);
    let reach = file
        .assessment
        .load
        .as_ref()
        .unwrap()
        .gcompat_reach
        .as_ref();
    assert!(reach.unwrap().contains("not preloaded"), "{reach:?}");
}

/// gcompat's `ld-linux-x86-64.so.2` is its loader stub (a static-pie that
/// execs musl's loader with libgcompat preloaded): a library that needs it
/// by name (@roamhq/wrtc's addon) gets the stub, which defines nothing, so
/// inside Alpine's musl node gcompat still supplies none of its names.
/// libgcompat itself, needed as `libresolv.so.2`, does. One that needs the
/// loader by name for `__tls_get_addr` alone (musl defines it: sodium-native's
/// prebuild) loads once gcompat installs the stub, preloaded or not: gcompat
/// is the fix there.
#[test]
fn gcompats_loader_stub_needed_by_name_supplies_no_symbols() {
    use common::synthetic_elf::SharedObject;
    for (needed, undefined, verdict, hinted) in [
        (
            "ld-linux-x86-64.so.2",
            "__memcpy_chk",
            Verdict::Breaks,
            false,
        ),
        (
            "libresolv.so.2",
            "__memcpy_chk",
            Verdict::NeedsGcompat,
            true,
        ),
        ("ld-linux-x86-64.so.2", "__tls_get_addr", Verdict::Ok, true),
    ] {
        let addon = SharedObject {
            needed: vec!["libc.so.6".to_string(), needed.to_string()],
            undefined: vec![undefined.to_string()],
            exports: vec!["napi_register_module_v1".to_string()],
            ..SharedObject::default()
        }
        .to_bytes();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node_modules/wrtc/build/Release/wrtc.node");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, addon).unwrap();
        let report = scan_with(&[dir.path().to_path_buf()], &options(true));
        let file = found(&report, "wrtc.node");
        assert_eq!(file.verdict(), verdict, "{needed} {undefined}: {file:#?}");
        let without = scan_with(&[dir.path().to_path_buf()], &options(false));
        let file = found(&without, "wrtc.node");
        assert_eq!(file.verdict(), Verdict::Breaks, "{needed} {undefined}");
        let remedies: Vec<&str> = file
            .findings()
            .iter()
            .filter_map(|f| f.remedy.as_deref())
            .collect();
        assert_eq!(
            remedies
                .iter()
                .any(|r| r.contains("would load with gcompat")),
            hinted,
            "{needed} {undefined}: {remedies:?}"
        );
        assert_eq!(
            remedies.iter().any(|r| r.contains("gcompat does not help")),
            !hinted,
            "{needed} {undefined}: {remedies:?}"
        );
    }
}

#[test]
fn a_missing_path_is_an_error_naming_it() {
    let missing = PathBuf::from("/no/such/dir");
    let error = muslcheck::scan(&[missing], &options(false)).unwrap_err();
    assert!(error.to_string().contains("/no/such/dir"), "{error}");
}

/// `check::wheel::audit` on wheels and members built here.
mod wheel_audit {
    use muslcheck::check::wheel::{WheelMember, audit};
    use muslcheck::ecosystem::python::WheelName;
    use muslcheck::model::{
        Arch, Class, Code, ElfFacts, ElfType, Endian, Evidence, Finding, Libc, LibcKind, Linkage,
        PlatformTag, Stack, WheelAudit,
    };

    fn facts(libc: LibcKind, max_glibc: Option<&str>, needed: &[&str]) -> ElfFacts {
        ElfFacts {
            class: Class::Elf64,
            endian: Endian::Little,
            arch: Arch::X86_64,
            elf_type: ElfType::Dyn,
            linkage: Linkage::Dynamic,
            interpreter: None,
            soname: None,
            needed: needed.iter().map(|n| n.to_string()).collect(),
            rpath: Vec::new(),
            runpath: Vec::new(),
            version_needs: Vec::new(),
            max_glibc: max_glibc.map(str::to_string),
            required_symbols: Vec::new(),
            exports: Default::default(),
            exports_count: 0,
            ifunc_only_exports: Default::default(),
            hidden_only_exports: Default::default(),
            plt_addresses: Default::default(),
            own_ifunc_references: Vec::new(),
            relocation_types: Vec::new(),
            go_build_id: None,
            built_by_rustc: false,
            libc: Libc {
                kind: libc,
                evidence: format!("{libc} by fiat"),
            },
            stack: Stack::NonExecutable,
            stack_size: 0,
            initial_exec_tls: Default::default(),
            bind_now: false,
            runtime_files: Default::default(),
        }
    }

    fn run(
        wheel: &str,
        members: &[(&str, &ElfFacts)],
        bundled: &[&str],
    ) -> (WheelAudit, Vec<Finding>) {
        let name = WheelName::parse(wheel).unwrap();
        let members: Vec<WheelMember> = members
            .iter()
            .map(|(name, facts)| WheelMember { name, facts })
            .collect();
        let mut all_names: Vec<String> = members.iter().map(|m| m.name.to_string()).collect();
        all_names.extend(bundled.iter().map(|n| n.to_string()));
        audit(&name, &members, &all_names)
    }

    fn codes(findings: &[Finding]) -> Vec<Code> {
        findings.iter().map(|f| f.code).collect()
    }

    fn wheel_tag(finding: &Finding) -> (&str, &str) {
        match &finding.evidence {
            Evidence::WheelTag { tag, detail } => (tag, detail),
            other => panic!("{}: {other:?}", finding.code),
        }
    }

    #[test]
    fn a_true_manylinux_tag_has_no_finding_and_names_what_it_supports() {
        let ext = facts(LibcKind::Glibc, Some("GLIBC_2.14"), &["libc.so.6"]);
        // A compressed tag set: two names of one policy count once.
        let (audit, findings) = run(
            "pkg-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            &[("pkg/_ext.so", &ext)],
            &[],
        );
        assert!(findings.is_empty(), "{:?}", codes(&findings));
        assert_eq!(
            audit.claimed,
            [PlatformTag::Manylinux {
                major: 2,
                minor: 17,
                arch: "x86_64".to_string()
            }]
        );
        assert_eq!(audit.content_libc, LibcKind::Glibc);
        assert_eq!(
            audit.required_glibc,
            Some(("GLIBC_2.14".to_string(), "pkg/_ext.so".to_string()))
        );
        assert_eq!(audit.supported.as_deref(), Some("manylinux_2_17_x86_64"));
        assert_eq!(
            audit.why,
            [
                "pkg/_ext.so is glibc-linked (glibc by fiat)",
                "highest glibc version needed: GLIBC_2.14 (pkg/_ext.so)"
            ]
        );
    }

    #[test]
    fn a_tag_lower_than_the_content_gets_mc301() {
        let old = facts(LibcKind::Glibc, Some("GLIBC_2.3.4"), &["libc.so.6"]);
        let new = facts(LibcKind::Glibc, Some("GLIBC_2.14"), &["libc.so.6"]);
        let (audit, findings) = run(
            "pkg-1.0-cp311-cp311-manylinux1_x86_64.whl",
            &[("pkg/old.so", &old), ("pkg/new.so", &new)],
            &[],
        );
        assert_eq!(codes(&findings), [Code::TagTooLow]);
        // The highest need decides, whichever member has it.
        assert_eq!(
            audit.required_glibc,
            Some(("GLIBC_2.14".to_string(), "pkg/new.so".to_string()))
        );
        assert_eq!(audit.supported.as_deref(), Some("manylinux_2_17_x86_64"));
        let (tag, detail) = wheel_tag(&findings[0]);
        assert_eq!(tag, "manylinux_2_5_x86_64");
        assert_eq!(detail, "pkg/new.so needs GLIBC_2.14");
        assert!(
            findings[0].message.contains("glibc 2.5"),
            "{}",
            findings[0].message
        );
        assert_eq!(
            findings[0].remedy.as_deref(),
            Some(
                "retag as manylinux_2_17_x86_64 (auditwheel repair), or build against an older glibc"
            )
        );

        // The boundary: a policy exactly as new as the need is true.
        let (_, findings) = run(
            "pkg-1.0-cp311-cp311-manylinux_2_14_x86_64.whl",
            &[("pkg/new.so", &new)],
            &[],
        );
        assert!(findings.is_empty(), "{:?}", codes(&findings));
    }

    #[test]
    fn the_supported_tag_follows_the_claimed_architecture() {
        let ext = facts(LibcKind::Glibc, Some("GLIBC_2.28"), &["libc.so.6"]);
        let (audit, findings) = run(
            "pkg-1.0-cp311-cp311-manylinux_2_17_aarch64.whl",
            &[("pkg/_ext.so", &ext)],
            &[],
        );
        assert_eq!(audit.supported.as_deref(), Some("manylinux_2_28_aarch64"));
        assert_eq!(codes(&findings), [Code::TagTooLow]);
    }

    #[test]
    fn glibc_content_under_a_musllinux_tag_gets_mc302() {
        let ext = facts(LibcKind::Glibc, Some("GLIBC_2.17"), &["libc.so.6"]);
        let (audit, findings) = run(
            "pkg-1.0-cp311-cp311-musllinux_1_1_x86_64.whl",
            &[("pkg/_ext.so", &ext)],
            &[],
        );
        assert_eq!(audit.content_libc, LibcKind::Glibc);
        // libc.so.6 is not on musllinux's list either.
        assert_eq!(
            codes(&findings),
            [Code::MusllinuxTagOnGlibc, Code::ExternalLibrary]
        );
        let (tag, detail) = wheel_tag(&findings[0]);
        assert_eq!(tag, "musllinux_1_1_x86_64");
        assert_eq!(detail, "glibc by fiat");
        assert!(
            findings[0]
                .message
                .contains("pkg/_ext.so is linked against glibc")
        );
    }

    #[test]
    fn musl_content_under_a_manylinux_tag_gets_mc303() {
        let ext = facts(LibcKind::Musl, None, &[]);
        let (audit, findings) = run(
            "pkg-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
            &[("pkg/_ext.so", &ext)],
            &[],
        );
        assert_eq!(codes(&findings), [Code::ManylinuxTagOnMusl]);
        assert_eq!(audit.content_libc, LibcKind::Musl);
        assert_eq!(audit.required_glibc, None);
        assert_eq!(
            audit.supported.as_deref(),
            Some("musllinux_1_1_x86_64 or later")
        );
        let (tag, detail) = wheel_tag(&findings[0]);
        assert_eq!(tag, "manylinux_2_17_x86_64");
        assert_eq!(detail, "musl by fiat");
        assert!(
            findings[0]
                .message
                .contains("pkg/_ext.so is linked against musl")
        );
    }

    /// A static program (the way ruff and muslcheck itself ship in a wheel)
    /// needs no C library on the system: both tags are true to it.
    #[test]
    fn a_static_member_fits_manylinux_and_musllinux_tags() {
        let mut program = facts(LibcKind::Glibc, None, &[]);
        program.linkage = Linkage::StaticPie;
        let (audit, findings) = run(
            "tool-1.0-py3-none-manylinux_2_17_x86_64.musllinux_1_1_x86_64.whl",
            &[("tool-1.0.data/scripts/tool", &program)],
            &[],
        );
        assert_eq!(codes(&findings), []);
        assert_eq!(audit.content_libc, LibcKind::None);
        assert_eq!(audit.supported, None);
        assert!(
            audit.why[0].contains("needs no C library on the system"),
            "{:?}",
            audit.why
        );
        // A dynamic glibc member beside it still decides.
        let ext = facts(LibcKind::Glibc, Some("GLIBC_2.17"), &[]);
        let (audit, findings) = run(
            "tool-1.0-py3-none-musllinux_1_1_x86_64.whl",
            &[
                ("tool-1.0.data/scripts/tool", &program),
                ("tool/_ext.so", &ext),
            ],
            &[],
        );
        assert_eq!(audit.content_libc, LibcKind::Glibc);
        assert_eq!(codes(&findings), [Code::MusllinuxTagOnGlibc]);
        assert!(findings[0].message.contains("tool/_ext.so"));
    }

    /// debugpy 1.8.22's `py2.py3-none-any` wheel carries a glibc 2.34 ELF
    /// file: pip installs it on Alpine (no musllinux wheel), where it fails.
    #[test]
    fn native_content_under_a_pure_tag_gets_mc306() {
        let ext = facts(LibcKind::Glibc, Some("GLIBC_2.34"), &["libc.so.6"]);
        let (audit, findings) = run(
            "pkg-1.0-py2.py3-none-any.whl",
            &[("pkg/attach_linux_amd64.so", &ext)],
            &[],
        );
        assert_eq!(audit.content_libc, LibcKind::Glibc);
        assert_eq!(codes(&findings), [Code::PureTagOnNativeContent]);
        assert!(
            findings[0]
                .message
                .contains("pkg/attach_linux_amd64.so is linked against glibc"),
            "{}",
            findings[0].message
        );
        // A static member needs no C library: the tag is true to it.
        let mut program = facts(LibcKind::Glibc, None, &[]);
        program.linkage = Linkage::Static;
        let (_, findings) = run(
            "tool-1.0-py3-none-any.whl",
            &[("tool/bin/helper", &program)],
            &[],
        );
        assert_eq!(codes(&findings), []);
    }

    #[test]
    fn glibc_decides_when_members_disagree() {
        let glibc = facts(LibcKind::Glibc, Some("GLIBC_2.17"), &[]);
        let musl = facts(LibcKind::Musl, None, &[]);
        let (audit, findings) = run(
            "pkg-1.0-cp311-cp311-musllinux_1_2_x86_64.whl",
            &[("pkg/a_musl.so", &musl), ("pkg/b_glibc.so", &glibc)],
            &[],
        );
        assert_eq!(audit.content_libc, LibcKind::Glibc);
        assert_eq!(codes(&findings), [Code::MusllinuxTagOnGlibc]);
        assert!(findings[0].message.contains("pkg/b_glibc.so"));
    }

    #[test]
    fn libraries_neither_bundled_nor_allowed_get_mc305_once_each() {
        let needs = [
            "libc.musl-x86_64.so.1",
            "libz.so.1",
            "libstdc++.so.6",
            "libbundled-1a2b3c.so",
        ];
        let first = facts(LibcKind::Musl, None, &needs);
        let second = facts(LibcKind::Musl, None, &["libstdc++.so.6"]);
        let (_, findings) = run(
            "pkg-1.0-cp311-cp311-musllinux_1_2_x86_64.whl",
            &[("pkg/first.so", &first), ("pkg/second.so", &second)],
            &["pkg.libs/libbundled-1a2b3c.so"],
        );
        // musl's libc and libz are allowed, the bundled one is there; libstdc++
        // is reported once for the whole wheel.
        assert_eq!(codes(&findings), [Code::ExternalLibrary]);
        let (tag, detail) = wheel_tag(&findings[0]);
        assert_eq!(tag, "musllinux_1_2_x86_64");
        assert_eq!(detail, "pkg/first.so needs libstdc++.so.6");

        // manylinux allows libstdc++, not an arbitrary system library.
        let ext = facts(
            LibcKind::Glibc,
            Some("GLIBC_2.17"),
            &["libstdc++.so.6", "libssl.so.3", "libc.so.6"],
        );
        let (_, findings) = run(
            "pkg-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
            &[("pkg/_ext.so", &ext)],
            &[],
        );
        assert_eq!(codes(&findings), [Code::ExternalLibrary]);
        assert_eq!(wheel_tag(&findings[0]).1, "pkg/_ext.so needs libssl.so.3");
    }

    #[test]
    fn a_wheel_without_libc_content_or_linux_tags_has_nothing_to_audit() {
        let freestanding = facts(LibcKind::None, None, &["libfoo.so"]);
        let (audit, findings) = run(
            "pkg-1.0-py3-none-any.whl",
            &[("pkg/blob.so", &freestanding)],
            &[],
        );
        assert!(findings.is_empty(), "{:?}", codes(&findings));
        assert_eq!(audit.claimed, [PlatformTag::Any]);
        assert_eq!(audit.content_libc, LibcKind::None);
        assert_eq!(audit.supported, None);
        assert!(audit.why.is_empty());
    }
}

/// `check::reinstall` on lock entries and manifests built here.
mod reinstall {
    use muslcheck::check::reinstall::{
        assess_locked, assess_npm_install, assess_npm_variants, known_answer,
    };
    use muslcheck::ecosystem::npm::{NativeSource, PackageJson};
    use muslcheck::ecosystem::npm_lock::LockVariant;
    use muslcheck::ecosystem::python::WheelName;
    use muslcheck::ecosystem::python_lock::LockedPackage;
    use muslcheck::model::{
        AnswerSource, Arch, Code, Ecosystem, Evidence, Finding, Reinstall, ReinstallAnswer,
    };

    fn codes(findings: &[Finding]) -> Vec<Code> {
        findings.iter().map(|f| f.code).collect()
    }

    fn variant(declared: &[&str], musl_locked: &[&str], split_by_libc: bool) -> LockVariant {
        let strings = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        LockVariant {
            parent: "sharp".to_string(),
            version: "0.33.5".to_string(),
            declared: strings(declared),
            musl_declared: declared
                .iter()
                .filter(|n| n.contains("musl"))
                .map(|n| n.to_string())
                .collect(),
            musl_locked: strings(musl_locked),
            musl_builds: musl_locked.iter().map(|n| format!("{n}@0.33.5")).collect(),
            glibc_declared: Vec::new(),
            glibc_builds: Vec::new(),
            split_by_libc,
            shared_builds: if split_by_libc {
                Vec::new()
            } else {
                declared.iter().map(|n| format!("{n}@0.33.5")).collect()
            },
        }
    }

    const GLIBC_ONLY: &[&str] = &["@img/sharp-linux-x64"];
    const BOTH: &[&str] = &["@img/sharp-linux-x64", "@img/sharp-linuxmusl-x64"];

    #[test]
    fn npm_variants_not_split_by_libc_leave_the_answer_to_the_files() {
        let (reinstall, findings) = assess_npm_variants(
            &variant(&["@esbuild/linux-x64"], &[], false),
            "package-lock.json",
        );
        assert_eq!(reinstall.reinstall, Reinstall::Unknown);
        assert!(findings.is_empty());
    }

    #[test]
    fn npm_variants_without_a_musl_one_get_mc201() {
        let (reinstall, findings) =
            assess_npm_variants(&variant(GLIBC_ONLY, &[], true), "package-lock.json");
        assert_eq!(reinstall.reinstall, Reinstall::NoMuslBuild);
        assert_eq!(codes(&findings), [Code::NoMuslBuild]);
        assert!(
            findings[0].message.contains(
                "declares Linux platform packages (@img/sharp-linux-x64) but none for musl"
            ),
            "{}",
            findings[0].message
        );
        match &findings[0].evidence {
            Evidence::PlatformPackages {
                lockfile,
                declared,
                musl_declared,
                musl_locked,
            } => {
                assert_eq!(lockfile, "package-lock.json");
                assert_eq!(declared, GLIBC_ONLY);
                assert!(musl_declared.is_empty() && musl_locked.is_empty());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_musl_variant_the_lock_does_not_record_gets_mc202() {
        let (reinstall, findings) = assess_npm_variants(&variant(BOTH, &[], true), "yarn.lock");
        assert_eq!(reinstall.reinstall, Reinstall::MuslBuildNotLocked);
        assert_eq!(codes(&findings), [Code::MuslVariantNotLocked]);
        let message = &findings[0].message;
        assert!(message.contains("@img/sharp-linuxmusl-x64"), "{message}");
        assert!(
            message.contains("yarn.lock does not record it"),
            "{message}"
        );
        match &findings[0].evidence {
            Evidence::PlatformPackages {
                lockfile,
                musl_declared,
                ..
            } => {
                assert_eq!(lockfile, "yarn.lock");
                assert_eq!(musl_declared, &["@img/sharp-linuxmusl-x64"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_locked_musl_variant_is_a_musl_build() {
        let (reinstall, findings) = assess_npm_variants(
            &variant(BOTH, &["@img/sharp-linuxmusl-x64"], true),
            "package-lock.json",
        );
        assert_eq!(reinstall.reinstall, Reinstall::MuslBuild);
        assert_eq!(
            reinstall.build.as_deref(),
            Some("@img/sharp-linuxmusl-x64@0.33.5")
        );
        assert_eq!(
            reinstall.detail,
            "npm ci on Alpine installs @img/sharp-linuxmusl-x64@0.33.5"
        );
        assert!(findings.is_empty());
    }

    /// A lock entry; one that lists files lists the release's sdist too.
    fn locked(name: &str, version: &str, wheels: &[&str], lists_files: bool) -> LockedPackage {
        LockedPackage {
            name: name.to_string(),
            version: version.to_string(),
            wheels: wheels
                .iter()
                .map(|w| WheelName::parse(w).unwrap())
                .collect(),
            lists_files,
            lists_sdist: lists_files,
        }
    }

    #[test]
    fn a_lock_listing_no_musllinux_wheel_and_no_sdist_cannot_install() {
        let mut torch = locked(
            "torch",
            "2.3.1",
            &["torch-2.3.1-cp311-cp311-manylinux1_x86_64.whl"],
            true,
        );
        torch.lists_sdist = false;
        let assessed = assess_locked(&torch, Arch::X86_64, "uv.lock");
        assert_eq!(
            outcome(&assessed),
            (
                Reinstall::CannotInstall,
                vec![Code::NoMusllinuxWheel, Code::CannotInstall]
            )
        );
        assert!(matches!(assessed.0.source, AnswerSource::Lockfile { .. }));
        assert!(assessed.0.build_packages.is_empty());
        // With an sdist in the lock, pip builds it.
        torch.lists_sdist = true;
        let assessed = assess_locked(&torch, Arch::X86_64, "uv.lock");
        assert_eq!(assessed.0.reinstall, Reinstall::SourceBuild);
        // An entry listing only an sdist says nothing about native code: the table answers.
        let psycopg2 = LockedPackage {
            wheels: Vec::new(),
            ..locked("psycopg2", "2.9.9", &[], true)
        };
        let assessed = assess_locked(&psycopg2, Arch::X86_64, "poetry.lock");
        assert_eq!(assessed.0.reinstall, Reinstall::SourceBuild);
        assert!(matches!(assessed.0.source, AnswerSource::KnownTable { .. }));
    }

    /// What an assessment comes to, comparable in one assertion.
    fn outcome((answer, findings): &(ReinstallAnswer, Vec<Finding>)) -> (Reinstall, Vec<Code>) {
        (answer.reinstall, codes(findings))
    }

    fn locked_wheels(finding: &Finding) -> (&str, &str, &str) {
        match &finding.evidence {
            Evidence::LockedWheels {
                lockfile,
                wanted,
                detail,
            } => (lockfile, wanted, detail),
            other => panic!("{}: {other:?}", finding.code),
        }
    }

    #[test]
    fn a_lock_listing_only_pure_python_wheels_is_not_native() {
        let six = locked("six", "1.16.0", &["six-1.16.0-py2.py3-none-any.whl"], true);
        let assessed = assess_locked(&six, Arch::X86_64, "uv.lock");
        assert_eq!(outcome(&assessed), (Reinstall::NotNative, vec![]));
    }

    #[test]
    fn a_lock_listing_a_musllinux_wheel_for_the_arch_is_a_musl_build() {
        let numpy = locked(
            "numpy",
            "2.1.0",
            &[
                "numpy-2.1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                "numpy-2.1.0-cp312-cp312-musllinux_1_2_x86_64.whl",
                "numpy-2.1.0-cp312-cp312-musllinux_1_2_armv7l.whl",
            ],
            true,
        );
        for arch in [Arch::X86_64, Arch::Armv7] {
            let assessed = assess_locked(&numpy, arch, "uv.lock");
            assert_eq!(outcome(&assessed), (Reinstall::MuslBuild, vec![]), "{arch}");
            assert!(matches!(assessed.0.source, AnswerSource::Lockfile { .. }));
        }
        let assessed = assess_locked(&numpy, Arch::X86_64, "uv.lock");
        assert_eq!(
            assessed.0.build.as_deref(),
            Some("numpy-2.1.0-cp312-cp312-musllinux_1_2_x86_64.whl")
        );
        // The lock lists no musllinux wheel for aarch64.
        let assessed = assess_locked(&numpy, Arch::Aarch64, "uv.lock");
        assert_eq!(assessed.0.reinstall, Reinstall::SourceBuild);
    }

    #[test]
    fn a_lock_without_a_musllinux_wheel_gets_mc304_and_mc201() {
        let numpy = locked(
            "numpy",
            "1.24.4",
            &[
                "numpy-1.24.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                "numpy-1.24.4-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                "numpy-1.24.4-cp311-cp311-musllinux_1_1_aarch64.whl",
                "numpy-1.24.4-cp311-cp311-win_amd64.whl",
            ],
            true,
        );
        let assessed = assess_locked(&numpy, Arch::X86_64, "poetry.lock");
        assert_eq!(
            outcome(&assessed),
            (
                Reinstall::SourceBuild,
                vec![Code::NoMusllinuxWheel, Code::NoMuslBuild]
            )
        );
        let (no_wheel, build) = (&assessed.1[0], &assessed.1[1]);
        assert_eq!(
            no_wheel.message,
            "numpy 1.24.4 has no musllinux wheel for x86_64 in poetry.lock"
        );
        // Tags listed once each, sorted.
        assert_eq!(
            locked_wheels(no_wheel),
            (
                "poetry.lock",
                "musllinux_*_x86_64",
                "poetry.lock lists 4 wheel(s): manylinux_2_17_x86_64, musllinux_1_1_aarch64, win_amd64"
            )
        );
        assert_eq!(locked_wheels(build), locked_wheels(no_wheel));
        // numpy is in the known-problem table: its first musl build and its remedy.
        assert!(
            build.message.ends_with("; musllinux wheels from 1.25.0"),
            "{}",
            build.message
        );
        assert!(
            build.remedy.as_deref().unwrap().contains("(sources: "),
            "{:?}",
            build.remedy
        );
    }

    #[test]
    fn an_unknown_package_without_musllinux_wheels_gets_the_generic_remedy() {
        let private = locked(
            "inhouse-ext",
            "0.1.0",
            &["inhouse_ext-0.1.0-cp311-cp311-linux_x86_64.whl"],
            true,
        );
        let assessed = assess_locked(&private, Arch::X86_64, "pdm.lock");
        assert_eq!(
            outcome(&assessed),
            (
                Reinstall::SourceBuild,
                vec![Code::NoMusllinuxWheel, Code::NoMuslBuild]
            )
        );
        let build = &assessed.1[1];
        assert_eq!(
            build.message,
            "inhouse-ext 0.1.0: no musl build, so pip on Alpine compiles it from source"
        );
        assert!(
            build
                .remedy
                .as_deref()
                .unwrap()
                .starts_with("pip will compile it from the sdist"),
            "{:?}",
            build.remedy
        );
    }

    #[test]
    fn pins_without_files_are_answered_by_the_known_problem_table() {
        // Older than the first musl build.
        let assessed = assess_locked(
            &locked("NumPy", "1.24.4", &[], false),
            Arch::X86_64,
            "requirements.txt",
        );
        assert_eq!(
            outcome(&assessed),
            (Reinstall::SourceBuild, vec![Code::NoMuslBuild])
        );
        let (answer, findings) = &assessed;
        assert!(matches!(answer.source, AnswerSource::KnownTable { .. }));
        assert_eq!(answer.first_musl_version.as_deref(), Some("1.25.0"));
        assert_eq!(&answer.build_packages[..2], ["build-base", "python3-dev"]);
        match &findings[0].evidence {
            Evidence::KnownProblem { first_musl, .. } => {
                assert_eq!(first_musl.as_deref(), Some("1.25.0"))
            }
            other => panic!("{other:?}"),
        }

        // No version has one, but pip can build the sdist: with libpq's headers.
        let assessed = assess_locked(
            &locked("psycopg2", "2.9.9", &[], false),
            Arch::X86_64,
            "requirements.txt",
        );
        assert_eq!(
            outcome(&assessed),
            (Reinstall::SourceBuild, vec![Code::NoMuslBuild])
        );
        assert!(
            assessed
                .0
                .build_packages
                .contains(&"postgresql-dev".to_string()),
            "{:?}",
            assessed.0.build_packages
        );
        assert!(assessed.1[0].message.ends_with("; no version has one"));
        assert!(!assessed.1[0].message.contains("musllinux wheels from"));

        // No musl build and no sdist: pip fails.
        let assessed = assess_locked(
            &locked("onnxruntime", "1.18.0", &[], false),
            Arch::X86_64,
            "requirements.txt",
        );
        assert_eq!(
            outcome(&assessed),
            (Reinstall::CannotInstall, vec![Code::CannotInstall])
        );
        assert!(
            assessed.0.detail.contains("No matching distribution found"),
            "{}",
            assessed.0.detail
        );
        assert!(assessed.0.build_packages.is_empty());

        // New enough.
        let assessed = assess_locked(
            &locked("pandas", "2.2.2", &[], false),
            Arch::X86_64,
            "Pipfile.lock",
        );
        assert_eq!(outcome(&assessed), (Reinstall::MuslBuild, vec![]));

        // Not in the table: no guess.
        let assessed = assess_locked(
            &locked("requests", "2.32.0", &[], false),
            Arch::X86_64,
            "requirements.txt",
        );
        assert_eq!(outcome(&assessed), (Reinstall::Unknown, vec![]));
    }

    /// Every row of data/known-packages.tsv, for every name it lists, answers
    /// an old and a new version sensibly.
    #[test]
    fn every_row_of_the_known_table_gives_a_sensible_answer() {
        use muslcheck::ecosystem::known::{FirstMusl, WithoutMuslBuild, known_packages};
        let table = include_str!("../data/known-packages.tsv");
        let rows = table
            .lines()
            .skip(1)
            .filter(|l| l.starts_with("pypi\t") || l.starts_with("npm\t"))
            .count();
        let known = known_packages();
        // A row per ecosystem: ibm_db's PyPI and npm rows are two.
        let mut rows_seen: Vec<(Ecosystem, &str)> = known
            .iter()
            .map(|k| (k.ecosystem, k.row_names.as_str()))
            .collect();
        rows_seen.dedup();
        assert_eq!(rows_seen.len(), rows, "every PyPI and npm row lists a name");
        for k in known {
            let label = format!("{} ({})", k.name, k.row_names);
            assert!(
                !k.name.is_empty() && !k.name.contains(' ') && !k.name.contains('['),
                "{label}"
            );
            assert!(!k.sources.is_empty(), "{label}");
            for package in k.build_packages() {
                assert!(
                    package.chars().all(|c| c.is_ascii_lowercase()
                        || c.is_ascii_digit()
                        || "+-._".contains(c)),
                    "{label}: {package}"
                );
            }
            if let FirstMusl::Version { first, .. } | FirstMusl::AtMost(first) = &k.first_musl {
                assert!(
                    first.starts_with(|c: char| c.is_ascii_digit()),
                    "{label}: {first}"
                );
            }
            if matches!(k.without_musl_build, WithoutMuslBuild::CannotInstall { .. }) {
                assert_eq!(k.ecosystem, Ecosystem::Pypi, "{label}: no sdist is PyPI's");
            }
            for version in ["0.0.1", "99999.0.0"] {
                let Some((answer, findings)) = known_answer(k.ecosystem, &k.name, version) else {
                    // The table cannot tell for this version.
                    assert!(
                        matches!(k.first_musl, FirstMusl::Unknown | FirstMusl::AtMost(_)),
                        "{label} {version}: {:?}",
                        k.first_musl
                    );
                    continue;
                };
                assert!(
                    matches!(answer.source, AnswerSource::KnownTable { .. }),
                    "{label}"
                );
                assert!(
                    answer.detail.contains(&k.name) || findings.is_empty(),
                    "{label}"
                );
                match answer.reinstall {
                    Reinstall::MuslBuild => {
                        assert!(findings.is_empty(), "{label} {version}");
                        assert_eq!(answer.first_musl_version, None, "{label}");
                    }
                    Reinstall::SourceBuild => {
                        let base = match k.ecosystem {
                            Ecosystem::Npm => ["python3", "make", "g++"].as_slice(),
                            _ => ["build-base", "python3-dev"].as_slice(),
                        };
                        assert_eq!(&answer.build_packages[..base.len()], base, "{label}");
                        assert_eq!(codes(&findings), [Code::NoMuslBuild], "{label}");
                    }
                    Reinstall::CannotInstall => {
                        assert!(answer.build_packages.is_empty(), "{label}");
                        assert_eq!(codes(&findings), [Code::CannotInstall], "{label}");
                    }
                    Reinstall::NoMuslBuild => {
                        assert!(answer.build_packages.is_empty(), "{label}");
                        assert_eq!(codes(&findings), [Code::NoMuslBuild], "{label}");
                    }
                    other => panic!("{label} {version}: {other:?}"),
                }
                let lacking = answer.reinstall != Reinstall::MuslBuild;
                assert_eq!(
                    lacking,
                    k.lacks_musl_build(version) == Some(true),
                    "{label} {version}"
                );
                if lacking {
                    // An upgrade is offered to a version older than the first
                    // with a musl build, not to one past the last.
                    assert_eq!(
                        answer.first_musl_version.as_deref(),
                        k.upgrade_for(version),
                        "{label}"
                    );
                }
            }
            // The newest versions have a musl build unless no version has
            // one, or the musl builds stopped.
            let newest = known_answer(k.ecosystem, &k.name, "99999.0.0");
            if let Some((answer, _)) = newest {
                assert_eq!(
                    answer.reinstall == Reinstall::MuslBuild,
                    k.first_musl != FirstMusl::Never && k.musl_until.is_none(),
                    "{label}"
                );
            }
        }
    }

    fn manifest(name: &str, version: &str) -> PackageJson {
        PackageJson {
            name: name.to_string(),
            version: version.to_string(),
            ..Default::default()
        }
    }

    #[test]
    fn installed_npm_packages_with_a_musl_or_untagged_prebuild_are_musl_builds() {
        for source in [
            NativeSource::MuslPrebuild("addon.musl.node".to_string()),
            NativeSource::UntaggedPrebuild {
                name: "addon.node".to_string(),
                compiles: false,
            },
        ] {
            let assessed = assess_npm_install(&manifest("addon", "1.0.0"), &source, "package.json");
            assert_eq!(
                outcome(&assessed),
                (Reinstall::MuslBuild, vec![]),
                "{source:?}"
            );
        }
    }

    #[test]
    fn a_binary_downloaded_at_install_gets_mc203_and_mc204_when_it_falls_back() {
        let how = "node-pre-gyp from https://example.invalid/releases";
        let download = |falls_back_to_compiling| NativeSource::Downloaded {
            how: how.to_string(),
            falls_back_to_compiling,
            names_libc: true,
        };
        let assessed = assess_npm_install(&manifest("addon", "0.31.0"), &download(false), "p.json");
        assert_eq!(
            outcome(&assessed),
            (Reinstall::Unknown, vec![Code::DownloadedAtInstall])
        );
        let downloaded = &assessed.1[0];
        assert!(
            matches!(&downloaded.evidence, Evidence::InstallScript { script } if script == how)
        );
        assert!(!downloaded.message.contains("compiles from source"));

        // With the compile to fall back on, either gives a musl build.
        let assessed = assess_npm_install(&manifest("addon", "0.31.0"), &download(true), "p.json");
        assert_eq!(
            outcome(&assessed),
            (
                Reinstall::SourceBuild,
                vec![Code::DownloadedAtInstall, Code::NeedsBuildTools]
            )
        );
        assert!(assessed.1[0].message.contains("compiles from source"));
    }

    #[test]
    fn a_package_compiled_at_install_gets_mc204() {
        let assessed = assess_npm_install(
            &manifest("better-sqlite3", "9.0.0"),
            &NativeSource::Compiled,
            "node_modules/better-sqlite3/package.json",
        );
        assert_eq!(
            outcome(&assessed),
            (Reinstall::SourceBuild, vec![Code::NeedsBuildTools])
        );
        let tools = &assessed.1[0];
        assert!(
            tools
                .message
                .starts_with("better-sqlite3 9.0.0 compiles with node-gyp"),
            "{}",
            tools.message
        );
        match &tools.evidence {
            Evidence::BuildTools { builder, .. } => assert_eq!(builder, "node-gyp"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_known_problem_table_speaks_for_installed_npm_versions() {
        let npm_known_problem = |m: PackageJson| {
            known_answer(Ecosystem::Npm, &m.name, &m.version)
                .and_then(|(_, findings)| findings.into_iter().next())
        };
        let old = npm_known_problem(manifest("bcrypt", "5.1.1")).expect("bcrypt 5 has none");
        assert_eq!(old.code, Code::NoMuslBuild);
        match &old.evidence {
            Evidence::KnownProblem {
                first_musl,
                sources,
            } => {
                assert_eq!(first_musl.as_deref(), Some("6.0.0"));
                assert!(!sources.is_empty());
            }
            other => panic!("{other:?}"),
        }
        assert!(
            old.message.contains("musl builds from 6.0.0"),
            "{}",
            old.message
        );

        let never = npm_known_problem(manifest("electron", "30.0.0")).expect("never");
        assert!(
            never.message.contains("no version has one"),
            "{}",
            never.message
        );
        match &never.evidence {
            Evidence::KnownProblem { first_musl, .. } => assert_eq!(first_musl, &None),
            other => panic!("{other:?}"),
        }

        assert!(npm_known_problem(manifest("bcrypt", "6.0.0")).is_none());
        assert!(npm_known_problem(manifest("left-pad", "1.3.0")).is_none());
        // The table's PyPI rows do not answer for npm names.
        assert!(npm_known_problem(manifest("numpy", "1.0.0")).is_none());
    }
}

/// The shared objects of the committed musllinux ujson wheel, extracted as
/// pip lays them out (`keep_layout`) or copied into one directory, as a
/// Dockerfile's `COPY` of built libraries leaves them.
fn ujson_musllinux(keep_layout: bool, into: &std::path::Path) {
    let wheel = corpus("thirdparty/ujson-5.10.0-cp311-cp311-musllinux_1_2_x86_64.whl");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(wheel).unwrap()).unwrap();
    for i in 0..zip.len() {
        let mut member = zip.by_index(i).unwrap();
        let name = member.name().unwrap().to_string();
        if !name.contains(".so") {
            continue;
        }
        let to = match keep_layout {
            true => into.join(&name),
            false => into.join(name.rsplit('/').next().unwrap()),
        };
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::io::copy(&mut member, &mut std::fs::File::create(to).unwrap()).unwrap();
    }
}

#[test]
fn musl_never_looks_for_a_library_beside_the_object_that_needs_it() {
    // Laid out as pip installs it, the module's RPATH ($ORIGIN/ujson.libs)
    // reaches its bundled libraries, and libstdc++ finds libgcc_s through
    // the module that loads it (musl searches the RPATH of the chain).
    let installed = tempfile::tempdir().unwrap();
    ujson_musllinux(true, installed.path());
    let report = scan_with(&[installed.path().to_path_buf()], &options(false));
    assert_eq!(report.artifacts.len(), 3);
    for artifact in &report.artifacts {
        assert_eq!(artifact.verdict(), Verdict::Ok, "{}", artifact.path);
    }

    // Copied flat, the RPATH reaches nothing and musl does not search the
    // module's own directory: `Error loading shared library` for both.
    let flat = tempfile::tempdir().unwrap();
    ujson_musllinux(false, flat.path());
    let report = scan_with(&[flat.path().to_path_buf()], &options(false));
    let module = found(&report, "ujson.cpython-311-x86_64-linux-musl.so");
    assert_eq!(module.verdict(), Verdict::Breaks);
    match &finding(module, Code::MissingLibrary).evidence {
        Evidence::Libraries { libraries } => {
            let names: Vec<&str> = libraries.iter().map(|l| l.name.as_str()).collect();
            assert_eq!(
                names,
                ["libstdc++-496613c0.so.6.0.32", "libgcc_s-a3a07607.so.1"]
            );
            for library in libraries {
                // Said to be in the tree, off the search path; the directory
                // the RPATH names is where it looked.
                assert_eq!(library.in_tree_at.as_deref(), Some(library.name.as_str()));
                assert!(
                    library.looked_in.iter().any(|d| d.ends_with("ujson.libs")),
                    "{:?}",
                    library.looked_in
                );
            }
        }
        other => panic!("{other:?}"),
    }
}

/// Every warning and error says what to do, on each kind of target: a
/// finding without a fix leaves the user where the scan found them.
#[test]
fn every_warning_and_error_has_a_fix_on_every_kind_of_target() {
    for target in [
        "alpine:3.20",
        "debian:12-slim",
        "gcr.io/distroless/cc-debian12",
        "scratch",
    ] {
        let options = Options {
            platform: Platform::new(target.parse().unwrap(), Arch::X86_64, false),
            ..Default::default()
        };
        let report = scan_with(&[corpus("")], &options);
        for artifact in &report.artifacts {
            for finding in artifact.findings() {
                if finding.severity == Severity::Note {
                    continue;
                }
                assert!(
                    finding.remedy.as_ref().is_some_and(|r| !r.is_empty()),
                    "{target}: {} {:?} has no fix: {}",
                    artifact.path.as_str(),
                    finding.code,
                    finding.message
                );
            }
        }
    }
}
