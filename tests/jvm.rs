//! Jars: JNI libraries inside jars (and jars nested in a Spring Boot fat
//! jar) judged with the JVM as their host, the member each library's loader
//! extracts on the target, and the version to upgrade to. Real jars from
//! pyspark 3.5.1 (corpus/thirdparty/make-jars.sh builds them; the tests skip,
//! saying why, when absent, unless MUSLCHECK_REQUIRE_TOOLS is set).

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use muslcheck::check::host::provides;
use muslcheck::model::{
    Action, Arch, Ecosystem, Evidence, HostKind, LibcKind, Linkage, Reinstall, Verdict,
};
use muslcheck::platform::Platform;
use muslcheck::{Artifact, Options, Report};

mod common;

use common::{fetched, found, scan_with};

const LOADER: &str = common::MUSL_LOADER;

fn jars() -> Option<PathBuf> {
    let jars = fetched("jars");
    if jars.is_none() && std::env::var_os("MUSLCHECK_REQUIRE_TOOLS").is_some() {
        panic!("corpus/thirdparty/fetched/jars absent (MUSLCHECK_REQUIRE_TOOLS is set)");
    }
    if jars.is_none() {
        eprintln!("SKIPPED: run corpus/thirdparty/make-jars.sh");
    }
    jars
}

fn scan_on(target: &str, paths: &[PathBuf]) -> Report {
    let options = Options {
        platform: Platform::new(target.parse().unwrap(), Arch::X86_64, false),
        ..Default::default()
    };
    scan_with(paths, &options)
}

/// The members of one nested jar the target loads (not not-applicable).
fn loaded_members<'r>(report: &'r Report, jar: &str) -> Vec<&'r Artifact> {
    report
        .artifacts
        .iter()
        .filter(|a| a.path.as_str().contains(&format!("BOOT-INF/lib/{jar}!/")))
        .filter(|a| a.verdict() != Verdict::NotApplicable)
        .collect()
}

fn decision<'r>(report: &'r Report, name: &str) -> &'r muslcheck::model::PackageDecision {
    report
        .packages
        .iter()
        .find(|d| d.package.as_ref().is_some_and(|p| p.name == name))
        .unwrap_or_else(|| panic!("no package {name}"))
}

#[test]
fn fat_jar_on_alpine_judges_the_member_each_loader_extracts() {
    let Some(jars) = jars() else { return };
    let report = scan_on("alpine:3.20", &[jars.join("app-fat.jar")]);

    // snappy-java: Linux/x86_64 is glibc-only (needs ld-linux-x86-64.so.2).
    let snappy = loaded_members(&report, "snappy-java-1.1.10.3.jar");
    let paths: Vec<&str> = snappy.iter().map(|a| a.path.as_str()).collect();
    let chosen = found(
        &report,
        "snappy-java-1.1.10.3.jar!/org/xerial/snappy/native/Linux/x86_64/libsnappyjava.so",
    );
    // The only member loaded: the s390x one, whose ELF header goblin cannot
    // read, is not-applicable by its path (with its MC002 kept).
    assert_eq!(paths, [chosen.path.as_str()]);
    let s390x = found(&report, "native/Linux/s390x/libsnappyjava.so");
    assert_eq!(s390x.verdict(), Verdict::NotApplicable);
    assert!(common::codes_of(s390x).contains(&muslcheck::model::Code::MalformedElf));
    assert_eq!(chosen.verdict(), Verdict::Breaks);
    assert_eq!(
        chosen.assessment.host.as_ref().map(|h| h.kind),
        Some(HostKind::Jvm)
    );
    let package = chosen.package.as_ref().unwrap();
    assert_eq!(
        (
            package.ecosystem,
            package.name.as_str(),
            package.version.as_str()
        ),
        (
            Ecosystem::Maven,
            "org.xerial.snappy:snappy-java",
            "1.1.10.3"
        )
    );
    for other in [
        "Linux/aarch64/",
        "FreeBSD/x86_64/",
        "Linux/android-aarch64/",
        "Linux/x86/",
    ] {
        let member = found(&report, &format!("native/{other}libsnappyjava.so"));
        assert_eq!(member.verdict(), Verdict::NotApplicable, "{other}");
    }
    let snappy_decision = decision(&report, "org.xerial.snappy:snappy-java");
    assert_eq!(
        snappy_decision.reinstalled.reinstall,
        Reinstall::NoMuslBuild
    );
    assert_eq!(snappy_decision.reinstalled.first_musl_version, None);

    // zstd-jni and lz4-java: their linux/amd64 glibc builds load on musl.
    for (jar, name, member) in [
        (
            "zstd-jni-1.5.5-4.jar",
            "com.github.luben:zstd-jni",
            "linux/amd64/libzstd-jni-1.5.5-4.so",
        ),
        (
            "lz4-java-1.8.0.jar",
            "lz4-java",
            "net/jpountz/util/linux/amd64/liblz4-java.so",
        ),
    ] {
        let loaded = loaded_members(&report, jar);
        let loaded: Vec<&str> = loaded.iter().map(|a| a.path.as_str()).collect();
        assert_eq!(loaded.len(), 1, "{jar}: {loaded:?}");
        assert!(
            loaded[0].ends_with(&format!("{jar}!/{member}")),
            "{loaded:?}"
        );
        assert_eq!(found(&report, member).verdict(), Verdict::Ok, "{member}");
        assert_eq!(decision(&report, name).as_is.verdict, Some(Verdict::Ok));
    }
}

#[test]
fn glibc_only_release_is_told_the_version_with_a_musl_variant() {
    let Some(jars) = jars() else { return };
    let report = scan_on(
        "alpine:3.20",
        &[
            jars.join("rocksdbjni-glibc-only-synthetic.jar"),
            jars.join("rocksdbjni-8.3.2.jar"),
        ],
    );
    let old = found(
        &report,
        "rocksdbjni-glibc-only-synthetic.jar!/librocksdbjni-linux64.so",
    );
    assert_eq!(old.verdict(), Verdict::Breaks);
    let decision = report
        .packages
        .iter()
        .find(|d| {
            d.package
                .as_ref()
                .is_some_and(|p| p.version == "8.0.0-synthetic")
        })
        .unwrap();
    assert_eq!(
        decision.reinstalled.first_musl_version.as_deref(),
        Some("8.3.2")
    );
    assert!(
        decision.actions.contains(&Action::Upgrade {
            to: "8.3.2".to_string()
        }),
        "{:?}",
        decision.actions
    );

    // 8.3.2 ships both: on musl its loader extracts -musl, never the glibc one.
    let musl = found(
        &report,
        "rocksdbjni-8.3.2.jar!/librocksdbjni-linux64-musl.so",
    );
    assert_ne!(musl.verdict(), Verdict::NotApplicable);
    assert_eq!(musl.facts().unwrap().libc.kind, LibcKind::Musl);
    let glibc = found(&report, "rocksdbjni-8.3.2.jar!/librocksdbjni-linux64.so");
    assert_eq!(glibc.verdict(), Verdict::NotApplicable);
    let why = glibc
        .assessment
        .load
        .as_ref()
        .and_then(|l| l.not_loaded.clone())
        .unwrap();
    assert!(why.contains("librocksdbjni-linux64-musl.so"), "{why}");
}

#[test]
fn on_glibc_the_glibc_variant_is_the_one_judged() {
    let Some(jars) = jars() else { return };
    let report = scan_on(
        "debian:12-slim",
        &[jars.join("app-fat.jar"), jars.join("rocksdbjni-8.3.2.jar")],
    );
    let snappy = found(
        &report,
        "snappy-java-1.1.10.3.jar!/org/xerial/snappy/native/Linux/x86_64/libsnappyjava.so",
    );
    assert_eq!(snappy.verdict(), Verdict::Ok);
    assert_eq!(
        decision(&report, "org.xerial.snappy:snappy-java")
            .as_is
            .verdict,
        Some(Verdict::Ok)
    );
    let glibc = found(&report, "rocksdbjni-8.3.2.jar!/librocksdbjni-linux64.so");
    assert_ne!(glibc.verdict(), Verdict::NotApplicable);
    let musl = found(
        &report,
        "rocksdbjni-8.3.2.jar!/librocksdbjni-linux64-musl.so",
    );
    assert_eq!(musl.verdict(), Verdict::NotApplicable);
}

/// The bytes of `member` inside the jar `inner` nested in (or being) `outer`.
fn member_bytes(outer: &Path, inner: Option<&str>, member: &str) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(outer).unwrap()).unwrap();
    let read = |zip: &mut zip::ZipArchive<_>, name: &str| {
        let mut bytes = Vec::new();
        zip.by_name(name).unwrap().read_to_end(&mut bytes).unwrap();
        bytes
    };
    match inner {
        None => read(&mut zip, member),
        Some(inner) => {
            let jar = read(&mut zip, inner);
            let mut nested = zip::ZipArchive::new(std::io::Cursor::new(jar)).unwrap();
            let mut bytes = Vec::new();
            nested
                .by_name(member)
                .unwrap()
                .read_to_end(&mut bytes)
                .unwrap();
            bytes
        }
    }
}

/// What the real loader reports missing for `file` (run on this machine,
/// or chrooted into `root`, where `file` must lie): libraries, and symbols
/// the JVM does not provide (`--list` loads the library without its host).
fn loader_missing(
    root: Option<&Path>,
    file: &Path,
    artifact: &Artifact,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let output = match root {
        None => Command::new(LOADER)
            .arg("--list")
            .arg(file)
            .output()
            .unwrap(),
        Some(root) => Command::new("/usr/sbin/chroot")
            .arg(root)
            .arg(LOADER)
            .arg("--list")
            .arg(Path::new("/").join(file.strip_prefix(root).unwrap()))
            .env_clear()
            .output()
            .unwrap(),
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    let host = artifact.assessment.host.as_ref();
    let errors = common::musl_loader_errors(&stderr);
    let symbols = errors
        .symbols
        .into_iter()
        .map(|(_, symbol)| symbol)
        .filter(|symbol| !host.is_some_and(|h| provides(h, symbol)))
        .collect();
    (errors.libraries, symbols)
}

/// What muslcheck reports missing: MC103's libraries (and MC107's, which a
/// bare system lacks too), MC102's symbols.
fn muslcheck_missing(artifact: &Artifact) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut libraries, mut symbols) = (BTreeSet::new(), BTreeSet::new());
    for finding in artifact.findings() {
        match &finding.evidence {
            Evidence::Libraries { libraries: missing } => {
                libraries.extend(missing.iter().map(|l| l.name.clone()));
                for library in missing {
                    symbols.extend(library.symbols_expected.iter().cloned());
                }
            }
            Evidence::Packages { packages, .. } => {
                libraries.extend(packages.iter().map(|need| need.library.clone()));
            }
            Evidence::Symbols {
                symbols: missing, ..
            } => {
                symbols.extend(missing.iter().map(|s| s.name.clone()));
            }
            _ => {}
        }
    }
    (libraries, symbols)
}

/// Extracts every member `target` loads from `jars` into `into` and
/// compares what muslcheck says of it with the loader (`root`: chrooted).
/// Returns (compared, breaking).
fn compare_chosen(target: &str, jars: &Path, root: Option<&Path>, into: &Path) -> (usize, usize) {
    let scanned: Vec<PathBuf> = [
        "app-fat.jar",
        "rocksdbjni-glibc-only-synthetic.jar",
        "rocksdbjni-8.3.2.jar",
    ]
    .iter()
    .map(|name| jars.join(name))
    .collect();
    let report = scan_on(target, &scanned);
    let (mut compared, mut breaking) = (0, 0);
    for artifact in &report.artifacts {
        let Some(facts) = artifact.facts() else {
            continue;
        };
        if artifact.verdict() == Verdict::NotApplicable
            || facts.arch != Arch::X86_64
            || facts.linkage != Linkage::Dynamic
        {
            continue;
        }
        let path = artifact.path.as_str();
        let (jar, rest) = path.split_once(".jar!/").unwrap();
        let outer = scanned
            .iter()
            .find(|p| p.to_string_lossy() == format!("{jar}.jar"))
            .unwrap();
        let (inner, member) = match rest.split_once("!/") {
            Some((inner, member)) => (Some(inner), member),
            None => (None, rest),
        };
        let file = into.join(format!("{compared}-{}", member.rsplit('/').next().unwrap()));
        std::fs::write(&file, member_bytes(outer, inner, member)).unwrap();
        let (loader_libraries, loader_symbols) = loader_missing(root, &file, artifact);
        let (our_libraries, our_symbols) = muslcheck_missing(artifact);
        assert_eq!(loader_libraries, our_libraries, "{target}: {path}");
        // The loader stops at a missing library and binds nothing after it.
        if loader_libraries.is_empty() {
            assert_eq!(loader_symbols, our_symbols, "{target}: {path}");
        }
        // MC107's libraries (an `apk add` away) are missing from a bare root.
        let breaks = artifact.findings().iter().any(|f| {
            matches!(
                f.evidence,
                Evidence::Libraries { .. } | Evidence::Symbols { .. }
            )
        });
        assert_eq!(
            breaks,
            artifact.verdict() == Verdict::Breaks,
            "{target}: {path}"
        );
        // Without them the loader still reports their symbols missing: the
        // verdict is compared on MC103's libraries and, when nothing an
        // `apk add` brings is missing, on the symbols.
        let loader_breaks = loader_libraries
            .iter()
            .any(|l| our_libraries_from_mc103(artifact).contains(l))
            || (loader_libraries.is_empty() && !loader_symbols.is_empty());
        assert_eq!(breaks, loader_breaks, "{target}: {path}");
        eprintln!("{target}: {path}: {:?}", artifact.verdict());
        compared += 1;
        breaking += usize::from(breaks);
    }
    (compared, breaking)
}

fn our_libraries_from_mc103(artifact: &Artifact) -> BTreeSet<String> {
    artifact
        .findings()
        .iter()
        .filter_map(|f| match &f.evidence {
            Evidence::Libraries { libraries } => Some(libraries.iter().map(|l| l.name.clone())),
            _ => None,
        })
        .flatten()
        .collect()
}

#[test]
fn chosen_members_agree_with_the_real_musl_loader() {
    let Some(jars) = jars() else { return };
    if common::musl_loader_missing("musl's side") {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let (compared, breaking) = compare_chosen("debian-musl", &jars, None, scratch.path());
    eprintln!("compared {compared} chosen JNI members with {LOADER}: {breaking} break");
    assert!(
        compared >= 5 && breaking >= 2,
        "{compared} compared, {breaking} breaking"
    );
}

/// Ground truth: Alpine's own loader in an Alpine 3.20 root filesystem.
#[test]
fn chosen_members_agree_with_alpines_loader() {
    let Some(jars) = jars() else { return };
    let Some(root) = common::alpine_root("3.20") else {
        return;
    };
    let scratch = root.join(format!("tmp/muslcheck-jvm-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let (compared, breaking) = compare_chosen("alpine:3.20", &jars, Some(&root), &scratch);
    std::fs::remove_dir_all(&scratch).unwrap();
    eprintln!("compared {compared} chosen JNI members with Alpine 3.20's loader: {breaking} break");
    assert!(
        compared >= 5 && breaking >= 2,
        "{compared} compared, {breaking} breaking"
    );
}

/// A JDK's own libraries (`lib/libjava.so`) need `libjvm.so`, which lives
/// in `lib/server/` off every search path: the java launcher loads the VM
/// by its path before any of them, and ld.so answers the need by that
/// SONAME. On a glibc image they load; a JNI library without the VM beside
/// it still misses libjvm.so.
#[test]
fn a_jdks_libraries_find_the_vm_the_launcher_loaded() {
    use common::synthetic_elf::SharedObject;
    let library = |soname: &str, needed: &[&str], undefined: &[&str], exports: &[&str]| {
        SharedObject {
            soname: Some(soname.to_string()),
            needed: needed.iter().map(ToString::to_string).collect(),
            undefined: undefined.iter().map(ToString::to_string).collect(),
            exports: exports.iter().map(ToString::to_string).collect(),
            ..SharedObject::default()
        }
        .to_bytes()
    };
    let dir = tempfile::tempdir().unwrap();
    let jdk = dir.path().join("jdk");
    std::fs::create_dir_all(jdk.join("lib/server")).unwrap();
    std::fs::write(
        jdk.join("lib/server/libjvm.so"),
        library(
            "libjvm.so",
            &["libc.so.6"],
            &[],
            &["JVM_CurrentTimeMillis", "JNI_CreateJavaVM"],
        ),
    )
    .unwrap();
    let java = library(
        "libjava.so",
        &["libjvm.so", "libc.so.6"],
        &["JVM_CurrentTimeMillis"],
        &["JNI_OnLoad"],
    );
    std::fs::write(jdk.join("lib/libjava.so"), &java).unwrap();
    let elsewhere = dir.path().join("app/native/libjava.so");
    std::fs::create_dir_all(elsewhere.parent().unwrap()).unwrap();
    std::fs::write(&elsewhere, &java).unwrap();
    let report = scan_on("debian:12-slim", &[dir.path().to_path_buf()]);
    let in_jdk = found(&report, "jdk/lib/libjava.so");
    assert_eq!(in_jdk.verdict(), Verdict::Ok, "{in_jdk:#?}");
    let alone = found(&report, "app/native/libjava.so");
    assert_eq!(alone.verdict(), Verdict::Breaks, "{alone:#?}");
}
