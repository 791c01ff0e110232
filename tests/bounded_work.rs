//! Inputs crafted to make muslcheck's work grow faster than the input: every
//! scan ends, within a time guard, with work and output in proportion to what
//! was read.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use muslcheck::check::{TreeFile, TreeIndex, assess_all};
use muslcheck::ecosystem::npm_lock::{indented_lock_entries, lock_variants_of};
use muslcheck::elf::analyse;
use muslcheck::model::{Arch, Code, ElfFacts, Verdict};
use muslcheck::platform::{Platform, Target};
use serde_json::Value;

mod common;

use common::synthetic_elf::{SharedObject, shared_vernaux};

fn corpus_file(name: &str) -> Vec<u8> {
    std::fs::read(common::corpus(name)).unwrap()
}

/// `muslcheck --format json` on `dir`, killed after 60 s (a hang fails the test).
fn guarded_json_scan(dir: &Path, args: &[&str]) -> (Value, i32, usize) {
    let output = common::command()
        .args(["--arch", "x86_64", "--no-config", "--format", "json"])
        .args(args)
        .arg(dir)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let code = output.status.code();
    assert!(
        code.is_some(),
        "muslcheck did not finish within 60 s (or was killed): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (report, code.unwrap(), output.stdout.len())
}

/// Runs `work` on its own thread and waits at most 60 s for it: a hang (or
/// work growing with the square of the input: minutes at these sizes, even
/// in release builds) fails instead of stalling. The margin is for debug
/// builds on a loaded 2-core machine, where the 800-library chain takes 20–30 s.
fn within_guard<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || sender.send(work()));
    receiver
        .recv_timeout(Duration::from_secs(60))
        .expect("did not finish within 60 s")
}

#[test]
fn version_needs_sharing_one_aux_array_are_read_once_each() {
    let bytes = shared_vernaux(&corpus_file("lib/libplain.so"), 300, 300);
    let facts = analyse(&bytes).unwrap();
    let libc: Vec<_> = facts
        .version_needs
        .iter()
        .filter(|need| need.library == "libc.so.6")
        .collect();
    assert_eq!(libc.len(), 1, "{:?}", facts.version_needs);
    assert_eq!(libc[0].versions, ["GLIBC_2.2.5"]);
    assert_eq!(facts.max_glibc.as_deref(), Some("GLIBC_2.2.5"));
}

#[test]
fn the_largest_shared_aux_array_is_judged_within_the_time_guard() {
    // 65535 verneed entries × the same 65535 vernaux entries: 2 MiB, 4.3 billion
    // (need, aux) pairs for a reader that follows every pointer.
    let original = corpus_file("lib/libplain.so");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("libversions.so"),
        shared_vernaux(&original, u16::MAX, u16::MAX),
    )
    .unwrap();
    std::fs::write(dir.path().join("libplain.so"), &original).unwrap();
    let (report, code, _) = guarded_json_scan(dir.path(), &["--fail-on", "never"]);
    assert_eq!(code, 0);
    let hostile = common::artifact(&report, "libversions.so");
    let plain = common::artifact(&report, "libplain.so");
    // The same symbols and version needs as the file it was made from.
    assert_eq!(hostile["verdict"], plain["verdict"]);
    assert_eq!(hostile["facts"]["max_glibc"], "GLIBC_2.2.5");
    for fact in ["version_needs", "required_symbols"] {
        assert_eq!(hostile["facts"][fact], plain["facts"][fact], "{fact}");
    }
}

/// `lib/libchain0000.so` … : each needs libc.so.6 and the next (found
/// through its RUNPATH `$ORIGIN`), uses ten symbols the next defines and ten
/// that nothing defines, and defines the ten the previous one uses. Every
/// library breaks on its own ten.
fn write_chain(dir: &Path, length: usize) {
    let name = |i: usize| format!("libchain{i:04}.so");
    for i in 0..length {
        let mut needed = vec!["libc.so.6".to_string()];
        if i + 1 < length {
            needed.push(name(i + 1));
        }
        let object = SharedObject {
            soname: Some(name(i)),
            needed,
            runpath: Some("$ORIGIN".to_string()),
            rpath: None,
            undefined: (0..10)
                .map(|k| format!("chain{}_{k}", i + 1))
                .chain((0..10).map(|k| format!("nowhere{i}_{k}")))
                .collect(),
            exports: (0..10).map(|k| format!("chain{i}_{k}")).collect(),
            ..SharedObject::default()
        };
        std::fs::write(dir.join(name(i)), object.to_bytes()).unwrap();
    }
}

/// Where a missing library was looked for, as its finding shows it.
fn looked_in(library: &Value) -> Vec<&str> {
    library["looked_in"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect()
}

fn findings_with_code<'a>(artifact: &'a Value, code: &str) -> Vec<&'a Value> {
    artifact["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .collect()
}

fn missing_symbol_names(artifact: &Value) -> BTreeSet<String> {
    findings_with_code(artifact, "MC102")
        .iter()
        .flat_map(|f| f["evidence"]["symbols"].as_array().unwrap())
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_chain_of_failing_libraries_is_judged_in_proportion_to_its_length() {
    const LENGTH: usize = 300;
    let dir = tempfile::tempdir().unwrap();
    write_chain(dir.path(), LENGTH);
    let (report, code, _) = guarded_json_scan(dir.path(), &[]);
    assert_eq!(code, 1);
    let mut dependency_findings = 0;
    for i in 0..LENGTH {
        let artifact = common::artifact(&report, &format!("libchain{i:04}.so"));
        assert_eq!(artifact["verdict"], "breaks", "{i}");
        // Its own ten; the ten from the next library are found in the global scope.
        let mut expected: BTreeSet<String> = (0..10).map(|k| format!("nowhere{i}_{k}")).collect();
        if i + 1 == LENGTH {
            expected.extend((0..10).map(|k| format!("chain{}_{k}", i + 1)));
        }
        assert_eq!(missing_symbol_names(artifact), expected, "{i}");
        // The next library fails too: said once, by reference, with counts.
        let dependencies = findings_with_code(artifact, "MC105");
        dependency_findings += dependencies.len();
        if i + 1 < LENGTH {
            assert_eq!(dependencies.len(), 1, "{i}: {dependencies:#?}");
            let evidence = &dependencies[0]["evidence"];
            assert_eq!(evidence["path"], format!("libchain{:04}.so", i + 1));
            let own = if i + 2 == LENGTH { 20 } else { 10 };
            assert_eq!(evidence["missing_symbols"], own, "{i}");
            assert_eq!(evidence["missing_libraries"], 0, "{i}");
        }
    }
    assert_eq!(dependency_findings, LENGTH - 1);
}

#[test]
fn a_library_found_through_one_roots_runpath_is_not_found_for_another() {
    // app/a.so (RUNPATH $ORIGIN:$ORIGIN/../vendor) and app/b.so (RUNPATH
    // $ORIGIN) both load app/libd.so, which needs vendor/libx.so: found in
    // a.so's process only (musl searches the RUNPATH of the object that loaded
    // libd.so). Whatever is worked out once per library must not carry a.so's
    // RUNPATH to b.so.
    let dir = tempfile::tempdir().unwrap();
    let (app, vendor) = (dir.path().join("app"), dir.path().join("vendor"));
    std::fs::create_dir_all(&app).unwrap();
    std::fs::create_dir_all(&vendor).unwrap();
    let libc = || "libc.so.6".to_string();
    let objects = [
        (
            app.join("a.so"),
            SharedObject {
                needed: vec![libc(), "libd.so".to_string()],
                runpath: Some("$ORIGIN:$ORIGIN/../vendor".to_string()),
                ..SharedObject::default()
            },
        ),
        (
            app.join("b.so"),
            SharedObject {
                needed: vec![libc(), "libd.so".to_string()],
                runpath: Some("$ORIGIN".to_string()),
                ..SharedObject::default()
            },
        ),
        (
            app.join("libd.so"),
            SharedObject {
                needed: vec![libc(), "libx.so".to_string()],
                undefined: vec!["from_x".to_string()],
                ..SharedObject::default()
            },
        ),
        (
            vendor.join("libx.so"),
            SharedObject {
                needed: vec![libc()],
                exports: vec!["from_x".to_string()],
                ..SharedObject::default()
            },
        ),
    ];
    for (path, object) in &objects {
        std::fs::write(path, object.to_bytes()).unwrap();
    }
    let (report, _, _) = guarded_json_scan(dir.path(), &["--fail-on", "never"]);
    let a = common::artifact(&report, "app/a.so");
    assert_eq!(a["verdict"], "ok", "{a:#}");
    let b = common::artifact(&report, "app/b.so");
    assert_eq!(b["verdict"], "breaks", "{b:#}");
    let dependency = findings_with_code(b, "MC105");
    assert_eq!(dependency.len(), 1, "{b:#}");
    assert_eq!(dependency[0]["evidence"]["path"], "app/libd.so");
    assert_eq!(dependency[0]["evidence"]["missing_libraries"], 1);
    assert_eq!(dependency[0]["evidence"]["missing_symbols"], 1);
    // libd.so loads in its own verdict's process (a.so's): the finding names
    // what it lacks in b.so's, not findings of its own that say nothing.
    let message = dependency[0]["message"].as_str().unwrap();
    assert!(message.ends_with("; it lacks libx.so"), "{message}");
    let remedy = dependency[0]["remedy"].as_str().unwrap();
    assert_eq!(
        remedy,
        "fix app/libd.so, which lacks libx.so in this process"
    );
    assert!(!remedy.contains("its own findings"), "{remedy}");
}

#[test]
fn a_failing_library_behind_one_whose_own_process_does_not_load_it_is_named() {
    // app/r.so (RUNPATH $ORIGIN:$ORIGIN/../vendor) loads app/libk.so, which
    // needs libx.so: r.so's RUNPATH finds vendor/libx.so, libk.so alone does not.
    // Both fail. libk.so's own findings say libx.so is missing, not that
    // vendor/libx.so fails, so r.so names both.
    let dir = tempfile::tempdir().unwrap();
    let (app, vendor) = (dir.path().join("app"), dir.path().join("vendor"));
    std::fs::create_dir_all(&app).unwrap();
    std::fs::create_dir_all(&vendor).unwrap();
    let libc = || "libc.so.6".to_string();
    let objects = [
        (
            app.join("r.so"),
            SharedObject {
                needed: vec![libc(), "libk.so".to_string()],
                runpath: Some("$ORIGIN:$ORIGIN/../vendor".to_string()),
                ..SharedObject::default()
            },
        ),
        (
            app.join("libk.so"),
            SharedObject {
                needed: vec![libc(), "libx.so".to_string()],
                undefined: vec!["k_nowhere".to_string()],
                ..SharedObject::default()
            },
        ),
        (
            vendor.join("libx.so"),
            SharedObject {
                needed: vec![libc()],
                undefined: vec!["x_nowhere".to_string()],
                ..SharedObject::default()
            },
        ),
    ];
    for (path, object) in &objects {
        std::fs::write(path, object.to_bytes()).unwrap();
    }
    let (report, _, _) = guarded_json_scan(dir.path(), &["--fail-on", "never"]);
    let named = |path: &str| -> Vec<String> {
        findings_with_code(common::artifact(&report, path), "MC105")
            .iter()
            .map(|f| f["evidence"]["path"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(named("app/r.so"), ["app/libk.so", "vendor/libx.so"]);
    let libk = common::artifact(&report, "app/libk.so");
    assert_eq!(named("app/libk.so"), Vec::<String>::new());
    assert!(
        common::codes(libk).contains(&"MC103".to_string()),
        "{libk:#}"
    );
}

/// The tree files of a plain directory: `paths[i]`, shown as `shown[i]`.
fn plain_tree_files<'a>(
    paths: &'a [PathBuf],
    shown: &'a [String],
    facts: &'a [ElfFacts],
) -> Vec<Option<TreeFile<'a>>> {
    paths
        .iter()
        .zip(shown)
        .zip(facts)
        .map(|((location, shown), facts)| {
            Some(TreeFile {
                location,
                other_locations: &[],
                shown,
                facts,
                glibc_platform_package: None,
                cmake_ts: None,
                require_addon: false,
                other_cpu_platform_package: None,
                filesystem_root: None,
                distro_owned: false,
                ecosystem: None,
                package: None,
            })
        })
        .collect()
}

#[test]
fn eight_hundred_chained_libraries_are_resolved_within_the_guard() {
    // Each of the 800 roots loads the rest of the chain: resolved root by root
    // with linear searches, that is 800 × 400 objects × 20 symbols × 400 exports.
    const LENGTH: usize = 800;
    let dir = tempfile::tempdir().unwrap();
    write_chain(dir.path(), LENGTH);
    let paths: Vec<PathBuf> = (0..LENGTH)
        .map(|i| dir.path().join(format!("libchain{i:04}.so")))
        .collect();
    let (verdicts, dependency_findings) = within_guard(move || {
        let facts: Vec<ElfFacts> = paths
            .iter()
            .map(|path| analyse(&std::fs::read(path).unwrap()).unwrap())
            .collect();
        let shown: Vec<String> = paths
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        let files = plain_tree_files(&paths, &shown, &facts);
        let no_links = HashMap::new();
        let index = TreeIndex::new(&files, &no_links, &[]);
        let platform = Platform::new(Target::newest_alpine(), Arch::X86_64, false);
        let assessments = assess_all(&index, files.len(), &platform);
        let verdicts: BTreeSet<Verdict> = assessments.iter().flatten().map(|a| a.verdict).collect();
        let dependency_findings = assessments
            .iter()
            .flatten()
            .flat_map(|a| &a.findings)
            .filter(|f| f.code == Code::DependencyBreaks)
            .count();
        (verdicts, dependency_findings)
    });
    assert_eq!(verdicts, BTreeSet::from([Verdict::Breaks]));
    // Each library names the next one, not the whole rest of the chain.
    assert_eq!(dependency_findings, LENGTH - 1);
}

/// `programs` musl programs in two directories, each needing twenty
/// libraries and one nothing provides, with a RUNPATH of 1,000 directories
/// that all exist (each holds a filler library), the twenty being in the
/// last: `{bin,bin2}/prog*`, `d*/libfill.so`, `lib/libneed*.so`.
fn write_long_runpath_tree(root: &Path, programs: usize) {
    const DIRS: usize = 1000;
    let runpath: Vec<String> = (0..DIRS - 1)
        .map(|i| format!("$ORIGIN/../d{i}"))
        .chain(["$ORIGIN/../lib".to_string()])
        .collect();
    let filler = SharedObject {
        soname: Some("libfill.so".to_string()),
        ..SharedObject::default()
    }
    .to_bytes();
    for i in 0..DIRS - 1 {
        let dir = root.join(format!("d{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("libfill.so"), &filler).unwrap();
    }
    std::fs::create_dir_all(root.join("lib")).unwrap();
    let needed: Vec<String> = (0..20).map(|k| format!("libneed{k}.so")).collect();
    for name in &needed {
        let library = SharedObject {
            soname: Some(name.clone()),
            exports: vec![format!("{}_fn", name.trim_end_matches(".so"))],
            ..SharedObject::default()
        };
        std::fs::write(root.join("lib").join(name), library.to_bytes()).unwrap();
    }
    let program = SharedObject {
        needed: needed
            .iter()
            .cloned()
            .chain(["libabsent.so.1".to_string()])
            .collect(),
        runpath: Some(runpath.join(":")),
        undefined: needed
            .iter()
            .map(|name| format!("{}_fn", name.trim_end_matches(".so")))
            .collect(),
        interpreter: Some("/lib/ld-musl-x86_64.so.1".to_string()),
        ..SharedObject::default()
    }
    .to_bytes();
    for i in 0..programs {
        let dir = root.join(if i % 2 == 0 { "bin" } else { "bin2" });
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("prog{i}")), &program).unwrap();
    }
}

/// `programs` musl programs, each with a RUNPATH of its own: the same 1,000
/// directories (each holding a filler library) in an order of its own, and
/// two libraries of its own last. Each needs one library in `lib/` and one
/// that nothing provides: `bin/prog*`, `d*/libfill.so`, `lib/libneed.so`.
fn write_distinct_runpath_tree(root: &Path, programs: usize) {
    const DIRS: usize = 1000;
    let filler = SharedObject {
        soname: Some("libfill.so".to_string()),
        ..SharedObject::default()
    }
    .to_bytes();
    for i in 0..DIRS {
        let dir = root.join(format!("d{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("libfill.so"), &filler).unwrap();
    }
    std::fs::create_dir_all(root.join("lib")).unwrap();
    std::fs::create_dir_all(root.join("bin")).unwrap();
    let library = SharedObject {
        soname: Some("libneed.so".to_string()),
        exports: vec!["need_fn".to_string()],
        ..SharedObject::default()
    };
    std::fs::write(root.join("lib/libneed.so"), library.to_bytes()).unwrap();
    for i in 0..programs {
        let runpath: Vec<String> = (0..DIRS)
            .map(|j| format!("$ORIGIN/../d{}", (i + j) % DIRS))
            .chain([format!("$ORIGIN/../own{i}"), "$ORIGIN/../lib".to_string()])
            .collect();
        let program = SharedObject {
            needed: vec!["libneed.so".to_string(), "libabsent.so.1".to_string()],
            runpath: Some(runpath.join(":")),
            undefined: vec!["need_fn".to_string()],
            interpreter: Some("/lib/ld-musl-x86_64.so.1".to_string()),
            ..SharedObject::default()
        };
        std::fs::write(root.join(format!("bin/prog{i}")), program.to_bytes()).unwrap();
    }
}

#[test]
fn a_runpath_of_a_thousand_directories_is_searched_once_per_list() {
    // 1,500 programs × 21 needed names × 1,000 directories: 31 million
    // lookups when every name is looked up in every directory of every
    // program (minutes in a debug build), one per directory and name here.
    let dir = tempfile::tempdir().unwrap();
    write_long_runpath_tree(dir.path(), 1500);
    let (report, code, _) = guarded_json_scan(dir.path(), &["--target", "alpine:3.20"]);
    assert_eq!(code, 1, "libabsent.so.1 breaks every program");
    let programs: Vec<&Value> = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["path"].as_str().unwrap().contains("/prog"))
        .collect();
    assert_eq!(programs.len(), 1500);
    for program in programs {
        let missing = findings_with_code(program, "MC103");
        assert_eq!(missing.len(), 1, "{program:#}");
        let libraries = missing[0]["evidence"]["libraries"].as_array().unwrap();
        let names: Vec<&str> = libraries
            .iter()
            .map(|l| l["name"].as_str().unwrap())
            .collect();
        // The twenty were found in the RUNPATH's last directory.
        assert_eq!(names, ["libabsent.so.1"]);
        // Where it looked is shown in part: a crafted RUNPATH is not
        // copied into every finding.
        let looked_in = looked_in(&libraries[0]);
        assert!(looked_in[0].ends_with("/d0"), "{looked_in:?}");
        assert!(
            looked_in.contains(&"936 more directories"),
            "1,000 directories, 64 shown: {looked_in:?}"
        );
    }
}

#[test]
fn programs_with_long_runpaths_of_their_own_are_each_searched_in_their_own_order() {
    // Each list is resolved on its own (none is shared): 600 × 1,002
    // directories. At 5,000 programs this took 15 s and 1.2 GB, the report
    // being held three times over before it was written.
    const PROGRAMS: usize = 600;
    let dir = tempfile::tempdir().unwrap();
    write_distinct_runpath_tree(dir.path(), PROGRAMS);
    let (report, code, _) = guarded_json_scan(dir.path(), &["--target", "alpine:3.20"]);
    assert_eq!(code, 1, "libabsent.so.1 breaks every program");
    let mut programs = 0;
    for program in report["artifacts"].as_array().unwrap() {
        let path = program["path"].as_str().unwrap();
        let Some(number) = path
            .rsplit("/prog")
            .next()
            .filter(|_| path.contains("/prog"))
        else {
            continue;
        };
        let number: usize = number.parse().unwrap();
        programs += 1;
        let missing = findings_with_code(program, "MC103");
        assert_eq!(missing.len(), 1, "{program:#}");
        let libraries = missing[0]["evidence"]["libraries"].as_array().unwrap();
        // libneed.so was found in the list's last directory.
        assert_eq!(libraries.len(), 1, "{libraries:#?}");
        assert_eq!(libraries[0]["name"], "libabsent.so.1");
        let looked_in = looked_in(&libraries[0]);
        // In this program's own order: its rotation of the 1,000.
        let expected_first: Vec<String> = (0..64)
            .map(|j| format!("/d{}", (number + j) % 1000))
            .collect();
        for (shown, expected) in looked_in.iter().zip(&expected_first) {
            assert!(shown.ends_with(expected.as_str()), "{shown} {expected}");
        }
        // 1,002 directories, 64 shown; then the target's own packages.
        assert_eq!(
            looked_in.get(64..),
            Some(&["938 more directories", "Alpine packages"][..]),
            "{looked_in:?}"
        );
    }
    assert_eq!(programs, PROGRAMS);
}

#[test]
fn a_runpath_below_a_deep_directory_is_resolved_in_one_pass_per_directory() {
    // A program 1,700 directories deep whose RUNPATH names 1,000 directories
    // below it, the library in the last, and a symlink elsewhere in the tree:
    // looking for symlinked ancestors by hashing each of the 1,700 ancestors
    // of each directory was 15 s in a release build.
    const DEPTH: usize = 1700;
    const DIRS: usize = 1000;
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(".", dir.path().join("lnk")).unwrap();
    let deep: PathBuf = std::iter::once(dir.path().join("p"))
        .chain(std::iter::repeat_n(PathBuf::from("a"), DEPTH))
        .collect();
    let last = deep.join(format!("{}", DIRS - 1));
    std::fs::create_dir_all(&last).unwrap();
    let library = SharedObject {
        soname: Some("libdeep.so".to_string()),
        exports: vec!["deep_fn".to_string()],
        ..SharedObject::default()
    };
    std::fs::write(last.join("libdeep.so"), library.to_bytes()).unwrap();
    let runpath: Vec<String> = (0..DIRS).map(|i| format!("$ORIGIN/{i}")).collect();
    let program = SharedObject {
        needed: vec!["libdeep.so".to_string()],
        runpath: Some(runpath.join(":")),
        undefined: vec!["deep_fn".to_string()],
        interpreter: Some("/lib/ld-musl-x86_64.so.1".to_string()),
        ..SharedObject::default()
    };
    std::fs::write(deep.join("prog"), program.to_bytes()).unwrap();
    let (report, code, _) = guarded_json_scan(dir.path(), &["--target", "alpine:3.20"]);
    let program = common::artifact_where(&report, |a| {
        a["path"].as_str().is_some_and(|p| p.ends_with("/a/prog"))
    })
    .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(program["verdict"], "ok", "{program:#}");
    assert_eq!(code, 0);
}

#[test]
fn a_symlinked_directory_is_followed_even_with_files_recorded_below_its_name() {
    // An image whose layer places x.so through 33 links is filed at l32/x.so,
    // below the symlink l32 -> d; the kernel follows l32 for l32/libzzb.so.
    let library = SharedObject {
        soname: Some("libzzb.so".to_string()),
        exports: vec!["zzb_fn".to_string()],
        ..SharedObject::default()
    };
    let program = SharedObject {
        needed: vec!["libzzb.so".to_string()],
        runpath: Some("$ORIGIN/../l32".to_string()),
        undefined: vec!["zzb_fn".to_string()],
        interpreter: Some("/lib/ld-musl-x86_64.so.1".to_string()),
        ..SharedObject::default()
    };
    let paths = [
        PathBuf::from("/r/app/p"),
        PathBuf::from("/r/d/libzzb.so"),
        PathBuf::from("/r/l32/x.so"),
    ];
    let facts: Vec<ElfFacts> = [&program, &library, &library]
        .iter()
        .map(|object| analyse(&object.to_bytes()).unwrap())
        .collect();
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let files = plain_tree_files(&paths, &shown, &facts);
    let links = HashMap::from([(PathBuf::from("/r/l32"), PathBuf::from("/r/d"))]);
    let index = TreeIndex::new(&files, &links, &[]);
    let platform = Platform::new(Target::newest_alpine(), Arch::X86_64, false);
    let assessments = assess_all(&index, files.len(), &platform);
    let program = assessments[0].as_ref().unwrap();
    assert_eq!(program.verdict, Verdict::Ok, "{:?}", program.findings);
}

/// `count` libraries in three directories (and a vendor directory reached
/// through RUNPATH), each needing a few others (some of which do not exist)
/// and using and defining names from a small shared pool: a tree on which
/// resolution rules interact, to compare two builds' verdicts on.
fn write_random_tree(root: &Path, seed: u64, count: usize) {
    let mut state = seed;
    let mut next = move |bound: usize| {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % bound
    };
    let dirs = ["a", "b", "c", "vendor"];
    for dir in dirs {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    for i in 0..count {
        let mut needed = vec!["libc.so.6".to_string()];
        for _ in 0..next(6) {
            // A library in this directory, another one, or nowhere.
            needed.push(match next(8) {
                0 => format!("libnowhere{}.so", next(10)),
                _ => format!("librand{}.so", next(count)),
            });
        }
        let runpath = match next(4) {
            0 => Some("$ORIGIN/../vendor".to_string()),
            1 => Some("$ORIGIN".to_string()),
            _ => None,
        };
        let object = SharedObject {
            soname: None,
            needed,
            runpath,
            rpath: None,
            undefined: (0..next(6)).map(|_| format!("pool{}", next(60))).collect(),
            exports: (0..next(6)).map(|_| format!("pool{}", next(60))).collect(),
            ..SharedObject::default()
        };
        let dir = dirs[next(dirs.len())];
        let mut object = object;
        object.exports.sort();
        object.exports.dedup();
        object.undefined.sort();
        object.undefined.dedup();
        object
            .undefined
            .retain(|name| !object.exports.contains(name));
        std::fs::write(
            root.join(dir).join(format!("librand{i}.so")),
            object.to_bytes(),
        )
        .unwrap();
    }
}

/// A yarn v1 lockfile of `parents` packages, each declaring a glibc and a
/// musl Linux x64 variant (the musl one locked for even parents only), and
/// `platform` more platform packages of a long scope that nothing declares
/// (what a lockfile of a monorepo with many native packages looks like).
fn yarn_lock(parents: usize, platform: usize) -> String {
    let mut text = String::from("# yarn lockfile v1\n\n");
    for i in 0..parents {
        text.push_str(&format!(
            "parent{i}@^1.0.0:\n  version \"1.0.{i}\"\n  optionalDependencies:\n    \"@v/parent{i}-linux-x64-gnu\" \"1.0.0\"\n    \"@v/parent{i}-linux-x64-musl\" \"1.0.0\"\n\n"
        ));
        text.push_str(&format!(
            "\"@v/parent{i}-linux-x64-gnu@1.0.0\":\n  version \"1.0.0\"\n\n"
        ));
        if i % 2 == 0 {
            text.push_str(&format!(
                "\"@v/parent{i}-linux-x64-musl@1.0.0\":\n  version \"1.0.0\"\n\n"
            ));
        }
    }
    for i in 0..platform {
        text.push_str(&format!(
            "\"@a-long-organisation-scope/native-addon-{i:06}-linux-x64-gnu@1.0.0\":\n  version \"1.0.0\"\n\n"
        ));
    }
    text
}

fn reinstall_answers(report: &Value, lockfile: &str) -> Vec<(String, String)> {
    report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "package" && a["path"] == lockfile)
        .map(|a| {
            (
                a["package"]["name"].as_str().unwrap().to_string(),
                a["reinstall"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// A package-lock.json entry listing `strays` Linux platform packages of
/// other packages (each for one platform) beside its own glibc variant.
fn lock_with_stray_platform_packages(strays: usize) -> String {
    let mut optional = vec![r#""parent-linux-x64-gnu": "1.0.0""#.to_string()];
    optional.extend((0..strays).map(|i| format!(r#""@s{i}/x{i}-linux-x64-gnu": "1.0.0""#)));
    format!(
        r#"{{"lockfileVersion": 3, "packages": {{"": {{}},
            "node_modules/parent": {{"version": "1.0.0", "optionalDependencies": {{{}}}}},
            "node_modules/parent-linux-x64-gnu": {{"version": "1.0.0", "os": ["linux"],
                "cpu": ["x64"], "libc": ["glibc"]}}}}}}"#,
        optional.join(",")
    )
}

/// Which of a package's optional dependencies are its own builds is told
/// in one pass: each is weighed against the others (a set for several
/// platforms), so 40,000 of them must not mean 40,000² comparisons.
#[test]
fn forty_thousand_stray_platform_packages_are_weighed_in_one_pass() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("package-lock.json"),
        lock_with_stray_platform_packages(40_000),
    )
    .unwrap();
    let (report, _, _) = guarded_json_scan(dir.path(), &["--offline", "--fail-on", "never"]);
    let parent = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["package"]["name"] == "parent")
        .expect("an answer for parent");
    assert_eq!(parent["reinstall"], "no-musl-build", "{parent:#}");
    let message = parent["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("parent-linux-x64-gnu"), "{message}");
    assert!(!message.contains("@s0/"), "{message}");
}

#[test]
fn a_yarn_lock_of_forty_thousand_platform_packages_answers_each_parent() {
    const PARENTS: usize = 1_000;
    let dir = tempfile::tempdir().unwrap();
    let text = yarn_lock(PARENTS, 40_000);
    std::fs::write(dir.path().join("yarn.lock"), text).unwrap();
    let (report, code, _) = guarded_json_scan(dir.path(), &["--fail-on", "never"]);
    assert_eq!(code, 0);
    let answers = reinstall_answers(&report, "yarn.lock");
    assert_eq!(answers.len(), PARENTS, "one answer per parent");
    for (name, answer) in &answers {
        let i: usize = name.trim_start_matches("parent").parse().unwrap();
        let expected = if i % 2 == 0 {
            "musl-build"
        } else {
            "musl-build-not-locked"
        };
        assert_eq!(answer, expected, "{name}");
    }
}

#[test]
fn lock_variants_of_eighty_thousand_parents_are_matched_within_the_guard() {
    // Every parent declares a musl variant the lockfile does not record, under
    // long names of one length: a search of the entries for each one compares
    // 6.4 billion pairs.
    const PARENTS: usize = 80_000;
    let mut text = String::from("# yarn lockfile v1\n\n");
    for i in 0..PARENTS {
        let name = format!("@an-organisation-with-a-long-scope/native-addon-number-{i:06}");
        text.push_str(&format!(
            "\"{name}@^1.0.0\":\n  version \"1.0.0\"\n  optionalDependencies:\n    \"{name}-linux-x64-gnu\" \"1.0.0\"\n    \"{name}-linux-x64-musl\" \"1.0.0\"\n\n"
        ));
    }
    let entries = indented_lock_entries(&text);
    assert_eq!(entries.len(), PARENTS);
    let variants = within_guard(move || lock_variants_of(&entries, "x64"));
    assert_eq!(variants.len(), PARENTS);
    for variant in &variants {
        assert_eq!(variant.musl_declared.len(), 1, "{variant:?}");
        assert!(variant.musl_locked.is_empty(), "{variant:?}");
        assert!(variant.split_by_libc, "{variant:?}");
    }
}

/// `count` glibc prebuilds for linux-x64 in `dir`, all the same small file
/// (read and parsed once) that needs glibc's `gnu_get_libc_version`.
fn write_glibc_prebuilds(dir: &Path, count: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let object = SharedObject {
        needed: vec!["libc.so.6".to_string()],
        undefined: vec!["gnu_get_libc_version".to_string()],
        exports: vec!["napi_register_module_v1".to_string()],
        ..SharedObject::default()
    }
    .to_bytes();
    for i in 0..count {
        std::fs::write(dir.join(format!("addon{i:05}.glibc.node")), &object).unwrap();
    }
}

#[test]
fn twenty_thousand_glibc_prebuild_siblings_are_matched_once_per_directory() {
    const BESIDE_MUSL: usize = 50;
    const ALONE: usize = 20_000;
    let root = tempfile::tempdir().unwrap();
    let with_musl = root.path().join("node_modules/a/prebuilds/linux-x64");
    let without = root.path().join("node_modules/b/prebuilds/linux-x64");
    write_glibc_prebuilds(&with_musl, BESIDE_MUSL);
    write_glibc_prebuilds(&without, ALONE);
    let musl = SharedObject {
        needed: vec!["libc.so".to_string()],
        ..SharedObject::default()
    };
    std::fs::write(with_musl.join("zz.musl.node"), musl.to_bytes()).unwrap();
    let (report, code, _) = guarded_json_scan(root.path(), &["--fail-on", "never"]);
    assert_eq!(code, 0);
    let mut judged = (0, 0);
    for artifact in report["artifacts"].as_array().unwrap() {
        let path = artifact["path"].as_str().unwrap();
        if !path.ends_with(".glibc.node") {
            continue;
        }
        if path.starts_with("node_modules/a/") {
            // node-gyp-build loads the musl sibling instead.
            assert_eq!(artifact["verdict"], "not-applicable", "{path}");
            let reason = artifact["load"]["not_loaded"].as_str().unwrap();
            assert!(
                reason.ends_with("node_modules/a/prebuilds/linux-x64/zz.musl.node instead"),
                "{reason}"
            );
            judged.0 += 1;
        } else {
            // No musl sibling: node-gyp-build's matchTags rejects the glibc
            // tag on musl all the same, and the package finds no build.
            assert_eq!(artifact["verdict"], "breaks", "{path}");
            let finding = &artifact["findings"][0];
            assert_eq!(finding["code"], "MC115", "{path}");
            let message = finding["message"].as_str().unwrap();
            assert!(message.contains("tagged glibc"), "{message}");
            judged.1 += 1;
        }
    }
    assert_eq!(judged, (BESIDE_MUSL, ALONE));
}

/// Writes the cases measured in the issue's note (not a test):
/// `MUSLCHECK_HOSTILE_DIR=/tmp/h cargo test --test bounded_work -- --ignored write_measured_cases`.
#[test]
#[ignore = "writes fixtures for measuring; run by hand"]
fn write_measured_cases() {
    let root = PathBuf::from(std::env::var_os("MUSLCHECK_HOSTILE_DIR").unwrap());
    for length in [200, 400, 800] {
        let dir = root.join(format!("chain-{length}"));
        std::fs::create_dir_all(&dir).unwrap();
        write_chain(&dir, length);
    }
    let yarn = root.join("yarn-40k");
    std::fs::create_dir_all(&yarn).unwrap();
    std::fs::write(yarn.join("yarn.lock"), yarn_lock(1_000, 37_500)).unwrap();
    let strays = root.join("stray-platform-40k");
    std::fs::create_dir_all(&strays).unwrap();
    std::fs::write(
        strays.join("package-lock.json"),
        lock_with_stray_platform_packages(40_000),
    )
    .unwrap();
    for siblings in [5_000, 20_000] {
        let dir = root.join(format!(
            "prebuild-{siblings}/node_modules/addon/prebuilds/linux-x64"
        ));
        write_glibc_prebuilds(&dir, siblings);
    }
    write_random_tree(&root.join("random-tree"), 0x5eed, 240);
    write_long_runpath_tree(&root.join("runpath-1000x1500"), 1500);
    for programs in [2_000, 5_000] {
        write_distinct_runpath_tree(&root.join(format!("distinct-runpath-{programs}")), programs);
    }
    for entries in [300, 3_000] {
        let dir = root.join(format!("image-deep-{entries}"));
        std::fs::create_dir_all(&dir).unwrap();
        write_oci_layout(&dir, &[layer_tar(&deep_entries(entries))]);
    }
    // 60,000 names from one 540 KB run (1.8 GB of names if multiplied).
    let names = root.join("names-inside-60000");
    std::fs::create_dir_all(&names).unwrap();
    std::fs::write(
        names.join("libnames.so"),
        names_inside_one_another(60_000, false),
    )
    .unwrap();
    // One layer (a library and 100 text files) listed 1,000 times: the
    // most an image may list, each applied in turn.
    let mut entries = vec![(
        "usr/lib/libplain.so".to_string(),
        tar::EntryType::Regular,
        corpus_file("lib/libplain.so"),
    )];
    entries.extend((0..100).map(|i| {
        (
            format!("etc/f{i}"),
            tar::EntryType::Regular,
            b"text".to_vec(),
        )
    }));
    let repeated = root.join("image-layer-x1000");
    std::fs::create_dir_all(&repeated).unwrap();
    write_oci_layout(&repeated, &vec![layer_tar(&entries); 1000]);
    // A jar of 100,000 empty nested jars (the count of what nested jars
    // report: summed again per nested jar 11.7 s, counted as they come 0.5 s).
    let nested = root.join("jar-nested-100000");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::write(nested.join("app.jar"), jar_of_empty_jars(100_000)).unwrap();
    // Wheels of 16 modules each missing 100,000 symbols: copies of one
    // library, and 16 different ones (1.3 and 1.5 GB at 8 threads while
    // each copy kept its list and its 100,000 loader lines).
    let object = SharedObject {
        needed: vec!["libc.so.6".to_string()],
        undefined: (0..100_000).map(|k| format!("g{k:07}")).collect(),
        ..SharedObject::default()
    };
    let bytes = object.to_bytes();
    for (case, distinct) in [("copies", false), ("distinct", true)] {
        let modules: Vec<(String, Vec<u8>)> = (0..16)
            .map(|i| {
                let mut module = bytes.clone();
                if distinct {
                    module.extend(std::iter::repeat_n(0, i + 1));
                }
                (
                    format!("evil/_m{i}.cpython-312-x86_64-linux-gnu.so"),
                    module,
                )
            })
            .collect();
        let mut members: Vec<(&str, &[u8])> = modules
            .iter()
            .map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
            .collect();
        members.push((
            "evil-1.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n",
        ));
        let dir = root.join(format!("wheel-16x100000-missing-{case}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("evil-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"),
            common::archives::wheel(&members),
        )
        .unwrap();
    }
    let original = corpus_file("lib/libplain.so");
    for (needs, auxes) in [(8000, 8000), (u16::MAX, u16::MAX)] {
        let dir = root.join(format!("verneed-{needs}x{auxes}"));
        std::fs::create_dir_all(&dir).unwrap();
        let bytes = shared_vernaux(&original, needs, auxes);
        std::fs::write(dir.join("libversions.so"), bytes).unwrap();
    }
}

/// `count` files, each below its own chain of 1,900 directories (3.8 KB):
/// an image implies every one of those directories.
fn deep_entries(count: usize) -> Vec<(String, tar::EntryType, Vec<u8>)> {
    (0..count)
        .map(|k| {
            let name = format!("k{k}/{}f", "a/".repeat(1_900));
            (name, tar::EntryType::Regular, b"text".to_vec())
        })
        .collect()
}

/// A tar of `entries`: (name, kind, data or link target).
fn layer_tar(entries: &[(String, tar::EntryType, Vec<u8>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, kind, payload) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(*kind);
        header.set_mode(0o755);
        if kind.is_symlink() || kind.is_hard_link() {
            header.set_size(0);
            builder
                .append_link(&mut header, name, std::str::from_utf8(payload).unwrap())
                .unwrap();
        } else {
            header.set_size(payload.len() as u64);
            builder
                .append_data(&mut header, name, payload.as_slice())
                .unwrap();
        }
    }
    builder.into_inner().unwrap()
}

/// An OCI layout at `dir` whose image is `layers` (uncompressed).
fn write_oci_layout(dir: &Path, layers: &[Vec<u8>]) {
    use sha2::Digest as _;
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| {
        let digest: String = sha2::Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        std::fs::write(blobs.join(&digest), bytes).unwrap();
        serde_json::json!({"digest": format!("sha256:{digest}"), "size": bytes.len(),
            "mediaType": "application/vnd.oci.image.layer.v1.tar"})
    };
    let layer_descriptors: Vec<Value> = layers.iter().map(|layer| put(layer)).collect();
    let config = put(br#"{"architecture":"amd64","os":"linux","config":{}}"#);
    let manifest =
        serde_json::json!({"schemaVersion": 2, "config": config, "layers": layer_descriptors});
    let manifest = put(manifest.to_string().as_bytes());
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [manifest]});
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

#[test]
fn image_layers_of_many_whiteouts_links_and_symlink_chains_are_applied_in_bounded_time() {
    use tar::EntryType;
    const N: usize = 40_000;
    let elf = corpus_file("bin/hello-glibc");
    let mut lower = vec![("d/elf".to_string(), EntryType::Regular, elf.clone())];
    for i in 0..N {
        lower.push((format!("d/f{i}"), EntryType::Regular, b"x".to_vec()));
        lower.push((format!("d/h{i}"), EntryType::Link, b"d/elf".to_vec()));
    }
    // A chain of symlinked directories, and paths placed through its head.
    for i in 0..N {
        lower.push((
            format!("l{i}"),
            EntryType::Symlink,
            format!("l{}", i + 1).into_bytes(),
        ));
    }
    for i in 0..1000 {
        lower.push((format!("l0/x{i}"), EntryType::Regular, b"y".to_vec()));
    }
    let mut upper: Vec<(String, EntryType, Vec<u8>)> = (0..N)
        .map(|i| (format!("d/.wh.f{i}"), EntryType::Regular, Vec::new()))
        .collect();
    upper.push((
        "l0/.wh..wh..opq".to_string(),
        EntryType::Regular,
        Vec::new(),
    ));
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("image.oci");
    write_oci_layout(&layout, &[layer_tar(&lower), layer_tar(&upper)]);
    let (report, _, _) = guarded_json_scan(&layout, &["--target", "alpine"]);
    let artifacts = report["artifacts"].as_array().unwrap();
    let elf = artifacts
        .iter()
        .find(|a| a["path"].as_str().unwrap().ends_with("image.oci!/d/elf"))
        .unwrap_or_else(|| panic!("{report:#}"));
    // Every hard link is one more name of the one file, not a file of its own.
    assert_eq!(elf["also_at"].as_array().unwrap().len(), N);
    assert_eq!(artifacts.len(), 1, "one file judged");
}

/// A library whose `count` undefined symbols (and `count` DT_NEEDED entries
/// when `needed`) are named from inside one run of `A`s, each starting one
/// byte later than the last: distinct names, each nearly as long as the run,
/// from a table no longer than the run.
fn names_inside_one_another(count: usize, needed: bool) -> Vec<u8> {
    let placeholder = |i: usize| format!("u{i:07}");
    let names: Vec<String> = (0..count).map(placeholder).collect();
    let mut bytes = SharedObject {
        needed: if needed {
            names.clone()
        } else {
            vec!["libc.musl-x86_64.so.1".into()]
        },
        undefined: if needed { Vec::new() } else { names },
        ..SharedObject::default()
    }
    .to_bytes();
    let (dynstr, dynsym, symbols, dynamic) = {
        let elf = goblin::elf::Elf::parse(&bytes).unwrap();
        let dynamic = elf.dynamic.as_ref().unwrap();
        let header = elf
            .program_headers
            .iter()
            .find(|p| p.p_type == goblin::elf::program_header::PT_DYNAMIC)
            .unwrap();
        (
            dynamic.info.strtab,
            dynamic.info.symtab as usize,
            elf.dynsyms.len(),
            (header.p_offset as usize, dynamic.dyns.len()),
        )
    };
    // Every placeholder is 8 bytes and a NUL, one after another.
    let first = dynstr
        + bytes[dynstr..]
            .windows(8)
            .position(|w| w == b"u0000000")
            .unwrap();
    let run = count * 9 - 1;
    bytes[first..first + run].fill(b'A');
    let name_of = |at: usize| {
        let start = at - first;
        u32::try_from(first - dynstr + start / 9).unwrap()
    };
    if needed {
        for i in 0..dynamic.1 {
            let entry = dynamic.0 + i * 16;
            let tag = u64::from_le_bytes(bytes[entry..entry + 8].try_into().unwrap());
            if tag == goblin::elf::dynamic::DT_NEEDED {
                let value = u64::from_le_bytes(bytes[entry + 8..entry + 16].try_into().unwrap());
                let offset = u64::from(name_of(dynstr + value as usize));
                bytes[entry + 8..entry + 16].copy_from_slice(&offset.to_le_bytes());
            }
        }
    } else {
        for i in 1..symbols {
            let entry = dynsym + i * 24;
            let st_name = u32::from_le_bytes(bytes[entry..entry + 4].try_into().unwrap()) as usize;
            if (first..first + run).contains(&(dynstr + st_name)) {
                bytes[entry..entry + 4].copy_from_slice(&name_of(dynstr + st_name).to_le_bytes());
            }
        }
    }
    bytes
}

#[test]
fn names_that_start_inside_one_another_are_not_multiplied() {
    // 2,000 names from a 18 KB run: 18 MB of names (60,000 made 1.8 GB).
    for needed in [false, true] {
        let bytes = names_inside_one_another(2000, needed);
        assert!(bytes.len() < 256 * 1024, "{}", bytes.len());
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("libnames.so"), &bytes).unwrap();
        let (report, code, output_len) = guarded_json_scan(dir.path(), &["--fail-on", "never"]);
        assert_eq!(code, 0);
        let artifact = &report["artifacts"][0];
        let finding = &artifact["findings"][0];
        assert_eq!(
            finding["code"],
            "MC001",
            "needed: {needed}: {} findings, {} bytes of report",
            artifact["findings"].as_array().map_or(0, Vec::len),
            output_len
        );
        assert!(
            finding["message"]
                .as_str()
                .unwrap()
                .contains("names that start inside one another"),
            "{finding}"
        );
        assert!(
            output_len < 64 * 1024,
            "needed: {needed}: {output_len} bytes of report"
        );
    }
}

/// A jar holding `count` empty jars in `BOOT-INF/lib/`, stored.
fn jar_of_empty_jars(count: usize) -> Vec<u8> {
    use std::io::Write;
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let empty = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()))
        .finish()
        .unwrap()
        .into_inner();
    let mut jar = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for index in 0..count {
        jar.start_file(format!("BOOT-INF/lib/i{index}.jar"), stored)
            .unwrap();
        jar.write_all(&empty).unwrap();
    }
    jar.finish().unwrap().into_inner()
}

/// Copies of one library missing 2,500 symbols, at three places.
fn write_copies_missing_many(root: &Path) -> Vec<String> {
    let object = SharedObject {
        needed: vec!["libc.so.6".to_string()],
        undefined: (0..2_500).map(|k| format!("absent_{k:05}")).collect(),
        ..SharedObject::default()
    };
    let bytes = object.to_bytes();
    ["a", "b", "c"]
        .iter()
        .map(|place| {
            std::fs::create_dir_all(root.join(place)).unwrap();
            std::fs::write(root.join(place).join("libmany.so"), &bytes).unwrap();
            format!("{place}/libmany.so")
        })
        .collect()
}

#[test]
fn a_library_missing_thousands_of_symbols_keeps_a_thousand_loader_lines_and_every_name() {
    let dir = tempfile::tempdir().unwrap();
    let copies = write_copies_missing_many(dir.path());
    let (report, code, _) = guarded_json_scan(dir.path(), &[]);
    assert_eq!(code, 1);
    let expected: BTreeSet<String> = (0..2_500).map(|k| format!("absent_{k:05}")).collect();
    for path in &copies {
        let artifact = common::artifact(&report, path);
        let finding = common::finding(artifact, "MC102");
        let lines = finding["loader_messages"].as_array().unwrap();
        assert_eq!(lines.len(), 1_000, "{path}");
        assert_eq!(finding["loader_messages_omitted"], 1_500, "{path}");
        assert_eq!(
            lines[0],
            format!("Error relocating {path}: absent_00000: symbol not found")
        );
        assert_eq!(missing_symbol_names(artifact), expected, "{path}");
    }
    let text = common::stdout(&common::muslcheck(dir.path(), &["--details"]));
    assert!(
        text.contains(
            "| … and 2492 more (--format json lists the first 1000, its evidence every symbol)"
        ),
        "{text}"
    );
    // musl itself prints one line per symbol: the lines kept and counted are its count.
    if common::musl_loader_missing("the loader's count of missing symbols") {
        return;
    }
    let output = std::process::Command::new(common::MUSL_LOADER)
        .arg("--list")
        .arg(dir.path().join(&copies[0]))
        .output()
        .unwrap();
    let errors = common::musl_loader_errors(&String::from_utf8_lossy(&output.stderr));
    assert_eq!(errors.symbols.len(), 2_500);
}

#[test]
fn copies_of_a_library_missing_many_symbols_share_one_list_of_them() {
    let dir = tempfile::tempdir().unwrap();
    let copies = write_copies_missing_many(dir.path());
    let report = common::scan_with(&[dir.path().to_path_buf()], &common::options(false));
    let lists: Vec<std::sync::Arc<[muslcheck::model::MissingSymbol]>> = copies
        .iter()
        .map(|path| {
            let artifact = common::found(&report, path);
            let finding = artifact
                .findings()
                .iter()
                .find(|f| f.code == Code::MissingSymbols)
                .expect("MC102");
            match &finding.evidence {
                muslcheck::model::Evidence::Symbols { symbols, .. } => symbols.clone(),
                other => panic!("{path}: {other:?}"),
            }
        })
        .collect();
    assert_eq!(lists[0].len(), 2_500);
    assert!(
        lists
            .iter()
            .all(|list| std::sync::Arc::ptr_eq(list, &lists[0]))
    );
}
