//! Archives and memory: member names that try to leave their archive, the
//! memory that inflating and reading may take, and archives that are not
//! read. Each case ends as a finding with its reason, within bounded memory,
//! with the rest of the scan intact.

use std::io::Write;
use std::path::Path;

mod common;

use common::archives::{tarball, wheel};
use common::{artifact, codes, codes_at, json_scan};

fn corpus_file(name: &str) -> Vec<u8> {
    std::fs::read(common::corpus(name)).unwrap()
}

/// `libchain-musl.so` needs `libplain.so` (RUNPATH `$ORIGIN`) and one of its
/// symbols: alone it breaks, beside `libplain.so` it loads.
fn chain() -> Vec<u8> {
    corpus_file("lib/libchain-musl.so")
}

fn plain() -> Vec<u8> {
    corpus_file("lib/libplain.so")
}

fn message(artifact: &serde_json::Value) -> String {
    artifact["findings"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A real file whose library is missing, and an archive beside it with a
/// member whose name climbs out of the archive to where that library would be.
fn spoof_attempt(archive_name: &str, archive: Vec<u8>) -> (serde_json::Value, i32) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("libchain-musl.so"), chain()).unwrap();
    std::fs::write(dir.path().join(archive_name), archive).unwrap();
    json_scan(dir.path(), &[])
}

#[test]
fn a_tarball_member_climbing_out_of_its_archive_satisfies_nothing() {
    let plain = plain();
    let name = "package/../../libplain.so";
    let (report, exit) = spoof_attempt("pkg-1.0.0.tgz", tarball(&[(name, &plain)]));
    let real = artifact(&report, "libchain-musl.so");
    assert_eq!(real["verdict"], "breaks", "{real:#}");
    assert!(codes(real).contains(&"MC103".to_string()), "{real:#}");
    assert_eq!(exit, 1);
    let member = artifact(&report, &format!("pkg-1.0.0.tgz!/{name}"));
    assert_eq!(codes(member), ["MC006"]);
    assert_eq!(member["verdict"], "unknown");
    assert!(message(member).contains("outside"), "{member:#}");
}

#[test]
fn a_wheel_member_climbing_out_of_its_archive_satisfies_nothing() {
    let plain = plain();
    let name = "x/../../libplain.so";
    let archive = "x-1.0-py3-none-any.whl";
    let (report, exit) = spoof_attempt(archive, wheel(&[(name, &plain)]));
    let real = artifact(&report, "libchain-musl.so");
    assert_eq!(real["verdict"], "breaks", "{real:#}");
    assert!(codes(real).contains(&"MC103".to_string()), "{real:#}");
    assert_eq!(exit, 1);
    assert_eq!(codes_at(&report, &format!("{archive}!/{name}")), ["MC006"]);
}

#[test]
fn absolute_member_names_are_hostile() {
    let dir = tempfile::tempdir().unwrap();
    let plain = plain();
    let real_library = dir.path().join("libplain.so");
    let absolute = real_library.to_str().unwrap();
    std::fs::write(
        dir.path().join("abs-1.0.0.tgz"),
        tarball(&[(absolute, &plain), ("package/ok.so", &plain)]),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("abs-1.0-py3-none-any.whl"),
        wheel(&[(absolute, &plain), ("abs/ok.so", &plain)]),
    )
    .unwrap();
    std::fs::write(dir.path().join("libchain-musl.so"), chain()).unwrap();
    let (report, _) = json_scan(dir.path(), &[]);
    for archive in ["abs-1.0.0.tgz", "abs-1.0-py3-none-any.whl"] {
        let member = format!("{archive}!/{absolute}");
        assert_eq!(codes_at(&report, &member), ["MC006"], "{member}");
    }
    assert_eq!(
        artifact(&report, "abs-1.0.0.tgz!/package/ok.so")["verdict"],
        "ok",
        "the other members are judged"
    );
    assert_eq!(
        artifact(&report, "libchain-musl.so")["verdict"],
        "breaks",
        "nothing is at {absolute} on disk"
    );
}

#[test]
fn absolute_names_of_data_members_are_not_findings() {
    // Database seeds and asset bundles inside node_modules (prisma's
    // pglite-seed.tar.gz holds ~1000 `/base/...` members) are data: only a
    // member that is ELF could stand for a library, so only it is reported.
    let dir = tempfile::tempdir().unwrap();
    let plain = plain();
    std::fs::write(
        dir.path().join("seed.tar.gz"),
        tarball(&[
            ("/PG_VERSION", b"17\n"),
            ("/base/1/112", &[0u8; 64]),
            ("/lib/evil.so", &plain),
        ]),
    )
    .unwrap();
    let (report, _) = json_scan(dir.path(), &[]);
    let reported: Vec<&str> = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["path"].as_str())
        .collect();
    assert_eq!(reported, ["seed.tar.gz!//lib/evil.so"], "{report:#}");
    assert_eq!(codes_at(&report, "seed.tar.gz!//lib/evil.so"), ["MC006"]);
}

#[test]
fn a_file_on_disk_cannot_reach_into_an_archive() {
    // NEEDED `a.whl!/p.so`: a path on disk that does not exist, however the
    // report spells members of a.whl.
    let mut app = chain();
    let at = app.windows(12).position(|w| w == b"libplain.so\0").unwrap();
    app[at..at + 12].copy_from_slice(b"a.whl!/p.so\0");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.so"), app).unwrap();
    std::fs::write(dir.path().join("a.whl"), wheel(&[("p.so", &plain())])).unwrap();
    let (report, exit) = json_scan(dir.path(), &[]);
    let app = artifact(&report, "app.so");
    assert_eq!(app["verdict"], "breaks", "{app:#}");
    assert!(codes(app).contains(&"MC103".to_string()), "{app:#}");
    assert_eq!(exit, 1);
}

#[test]
fn a_member_cannot_reach_out_of_its_archive() {
    // NEEDED `../plain.so` from a member at the wheel's root: above the
    // archive, where a file of the same name lies on disk next to the wheel.
    let mut app = chain();
    let at = app.windows(12).position(|w| w == b"libplain.so\0").unwrap();
    app[at..at + 12].copy_from_slice(b"../plain.so\0");
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    std::fs::create_dir(&project).unwrap();
    std::fs::write(dir.path().join("plain.so"), plain()).unwrap();
    std::fs::write(project.join("plain.so"), plain()).unwrap();
    let archive = "app-1.0-py3-none-any.whl";
    std::fs::write(project.join(archive), wheel(&[("app.so", &app)])).unwrap();
    let (report, _) = json_scan(&project, &[]);
    let member = artifact(&report, &format!("{archive}!/app.so"));
    assert_eq!(member["verdict"], "breaks", "{member:#}");
    assert!(codes(member).contains(&"MC103".to_string()), "{member:#}");
}

#[test]
fn dot_dot_inside_an_archive_stays_inside_and_still_resolves() {
    let plain = plain();
    let chain = chain();
    let archive = "in-1.0-py3-none-any.whl";
    let (report, exit) = spoof_attempt(
        archive,
        wheel(&[("in/app.so", &chain), ("in/sub/../libplain.so", &plain)]),
    );
    let member = artifact(&report, &format!("{archive}!/in/app.so"));
    assert_eq!(member["verdict"], "ok", "{member:#}");
    assert!(codes_at(&report, &format!("{archive}!/in/sub/../libplain.so")).is_empty());
    assert_eq!(
        artifact(&report, "libchain-musl.so")["verdict"],
        "breaks",
        "the wheel's libplain.so is not next to the file on disk"
    );
    assert_eq!(exit, 1);
}

#[test]
fn hostile_names_are_not_bundled_libraries() {
    // MC305: a needed library neither bundled nor allowed by the policy. A
    // member named outside the wheel bundles nothing.
    let dir = tempfile::tempdir().unwrap();
    let archive = "h-1.0-cp311-cp311-manylinux_2_17_x86_64.whl";
    std::fs::write(
        dir.path().join(archive),
        wheel(&[("h/app.so", &chain()), ("../../libplain.so", &plain())]),
    )
    .unwrap();
    let (report, _) = json_scan(dir.path(), &[]);
    let wheel = artifact(&report, archive);
    let external: Vec<&str> = wheel["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "MC305")
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert!(
        external.iter().any(|m| m.contains("needs libplain.so")),
        "{wheel:#}"
    );
}

/// What `muslcheck explain CODE` prints.
fn explanation(code: &str) -> String {
    let output = assert_cmd::Command::cargo_bin("muslcheck")
        .unwrap()
        .args(["explain", code])
        .output()
        .unwrap();
    assert!(output.status.success(), "explain {code}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn explain_documents_hostile_member_names() {
    let text = explanation("MC006");
    assert!(text.contains("hostile-member-name"), "{text}");
    assert!(text.contains("`..`") && text.contains("absolute"), "{text}");
}

#[test]
fn an_archive_inside_an_installed_package_is_not_opened() {
    // An archive inside an installed package is that package's data: node
    // never loads code out of it, so it is counted, not read, and nothing
    // is looked for on disk under its path.
    let dir = tempfile::tempdir().unwrap();
    let foo = dir.path().join("node_modules").join("foo");
    std::fs::create_dir_all(&foo).unwrap();
    std::fs::write(
        foo.join("package.json"),
        r#"{"name":"foo","version":"1.0.0"}"#,
    )
    .unwrap();
    let plain = plain();
    std::fs::write(
        foo.join("bundle.tgz"),
        tarball(&[("node_modules/bar/a.node", &plain), ("lib/b.node", &plain)]),
    )
    .unwrap();
    let (report, status) = json_scan(dir.path(), &[]);
    assert_eq!(status, 0);
    assert_eq!(report["summary"]["archives_in_packages"], 1);
    assert_eq!(report["artifacts"], serde_json::json!([]), "{report:#}");
}

#[test]
fn tar_archives_that_are_not_read_are_reported_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let plain = plain();
    // An uncompressed tar that is not a container image (no manifest.json), with an ELF inside.
    let mut image = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(plain.len() as u64);
    header.set_mode(0o755);
    header.set_cksum();
    image
        .append_data(&mut header, "layer/usr/lib/libplain.so", plain.as_slice())
        .unwrap();
    let image = image.into_inner().unwrap();
    std::fs::write(dir.path().join("image.tar"), &image).unwrap();
    std::fs::write(dir.path().join("rootfs.tar.xz"), b"\xfd7zXZ\0 not read").unwrap();
    std::fs::write(
        dir.path().join("pkg-1.0.0.tgz"),
        tarball(&[("package/a.so", &plain)]),
    )
    .unwrap();
    let (report, exit) = json_scan(dir.path(), &[]);
    for path in ["image.tar", "rootfs.tar.xz"] {
        let skipped = artifact(&report, path);
        assert_eq!(codes(skipped), ["MC007"], "{skipped:#}");
        assert_eq!(skipped["findings"][0]["severity"], "note");
        assert!(message(skipped).contains("not read"), "{skipped:#}");
    }
    assert_eq!(
        artifact(&report, "pkg-1.0.0.tgz!/package/a.so")["verdict"],
        "ok",
        "gzip tarballs are still read"
    );
    assert_eq!(exit, 0, "a note does not fail the scan");
    let text = explanation("MC007");
    assert!(text.contains("docker save"), "{text}");
}

#[test]
fn an_elf_file_named_like_a_tar_is_judged_as_elf() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("odd.tar"), plain()).unwrap();
    let (report, _) = json_scan(dir.path(), &[]);
    assert_eq!(artifact(&report, "odd.tar")["kind"], "elf");
}

/// The exit code and peak RSS (KiB) of `muslcheck ARGS` run with `envs`;
/// the JSON report goes to `report`.
#[allow(clippy::zombie_processes)] // Reaped by wait4, which `Child::wait` cannot do.
fn measured(args: &[&str], envs: &[(&str, &str)], report: &Path) -> (i32, u64) {
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("muslcheck"))
        .env("MUSLCHECK_OFFLINE", "1")
        .args(["--arch", "x86_64", "--no-config", "--format", "json"])
        .args(args)
        .envs(envs.iter().copied())
        .stdout(std::fs::File::create(report).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_with_rusage(child.id())
}

/// wait4(2): the child's own resource usage, which no other test's children
/// pollute (unlike getrusage(RUSAGE_CHILDREN)).
#[allow(unsafe_code)]
fn wait_with_rusage(pid: u32) -> (i32, u64) {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; wait4 fills it for the child it reaps.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = libc::pid_t::try_from(pid).unwrap();
    // SAFETY: both pointers are valid for the duration of the call.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    (code, u64::try_from(usage.ru_maxrss).unwrap())
}

/// A 64-bit little-endian x86_64 ELF header with no program or section headers.
fn elf_header() -> Vec<u8> {
    let mut header = b"\x7fELF\x02\x01\x01".to_vec();
    header.resize(16, 0);
    for (value, width) in [
        (3u64, 2), // ET_DYN
        (62, 2),   // EM_X86_64
        (1, 4),    // EV_CURRENT
        (0, 8),    // e_entry
        (0, 8),    // e_phoff
        (0, 8),    // e_shoff
        (0, 4),    // e_flags
        (64, 2),   // e_ehsize
        (56, 2),   // e_phentsize
        (0, 2),    // e_phnum
        (64, 2),   // e_shentsize
        (0, 2),    // e_shnum
        (0, 2),    // e_shstrndx
    ] {
        header.extend_from_slice(&value.to_le_bytes()[..width]);
    }
    header
}

/// A wheel holding one ELF member of `size` bytes: a header, then zeros.
fn zero_elf_wheel(size: usize) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(true);
    zip.start_file("big/_big.so", options).unwrap();
    let header = elf_header();
    zip.write_all(&header).unwrap();
    let zeros = vec![0u8; 1 << 20];
    let mut left = size - header.len();
    while left > 0 {
        let n = left.min(zeros.len());
        zip.write_all(&zeros[..n]).unwrap();
        left -= n;
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn inflated_bytes_share_one_budget_across_threads() {
    // Eight wheels, each with a 24 MiB member, read by eight threads: 192 MiB
    // if each thread inflates on its own. A 32 MiB budget (512 MiB by default;
    // small here to keep the test fast) holds them to one member at a time.
    const MIB: u64 = 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let wheels = dir.path().join("wheels");
    std::fs::create_dir(&wheels).unwrap();
    let wheel = zero_elf_wheel(24 << 20);
    for i in 0..8 {
        let name = format!("big{i}-1.0-cp311-cp311-manylinux_2_17_x86_64.whl");
        std::fs::write(wheels.join(name), &wheel).unwrap();
    }
    let report_path = dir.path().join("report.json");
    let envs = [
        ("RAYON_NUM_THREADS", "8"),
        ("MUSLCHECK_MEMORY_BUDGET_MIB", "32"),
    ];
    let (exit, peak_kib) = measured(&[wheels.to_str().unwrap()], &envs, &report_path);
    assert_eq!(exit, 0);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap();
    for i in 0..8 {
        let member = format!("big{i}-1.0-cp311-cp311-manylinux_2_17_x86_64.whl!/big/_big.so");
        assert_eq!(
            artifact(&report, &member)["kind"],
            "elf",
            "every member was read"
        );
    }
    // The budget, one member, and each thread's heap holding one huge page
    // it has only begun to use (src/heap.rs): 72 MiB, not 192.
    assert!(
        peak_kib * 1024 < 32 * MIB + 24 * MIB + 8 * 2 * MIB,
        "peak RSS {} MiB",
        peak_kib / 1024
    );
}

#[test]
fn a_large_member_is_held_in_a_temporary_file_not_in_memory() {
    // From 64 MiB a member is written to an unlinked temporary file and
    // mapped: the parser touches its header, not its 80 MiB. Where no
    // temporary file can be made it is held in memory, whole.
    const MIB: u64 = 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let wheels = dir.path().join("wheels");
    std::fs::create_dir(&wheels).unwrap();
    let name = "big-1.0-cp311-cp311-manylinux_2_17_x86_64.whl";
    std::fs::write(wheels.join(name), zero_elf_wheel(80 << 20)).unwrap();
    let spill = dir.path().join("spill");
    std::fs::create_dir(&spill).unwrap();
    let report_path = dir.path().join("report.json");
    let member = format!("{name}!/big/_big.so");
    let scan = |tmpdir: &Path| {
        let envs = [("TMPDIR", tmpdir.to_str().unwrap())];
        let (exit, peak_kib) = measured(&[wheels.to_str().unwrap()], &envs, &report_path);
        assert_eq!(exit, 0);
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap();
        assert_eq!(artifact(&report, &member)["kind"], "elf", "{report:#}");
        assert_eq!(artifact(&report, &member)["size"], 80 << 20);
        peak_kib * 1024
    };
    let spilled = scan(&spill);
    let in_memory = scan(&dir.path().join("not-there"));
    assert!(
        in_memory > 80 * MIB,
        "held in memory: peak RSS {} MiB",
        in_memory / MIB
    );
    assert!(
        spilled < 64 * MIB,
        "held in a file: peak RSS {} MiB",
        spilled / MIB
    );
    assert!(
        std::fs::read_dir(&spill).unwrap().next().is_none(),
        "the temporary file is gone"
    );
}

#[test]
fn a_member_over_the_whole_budget_is_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let name = "big-1.0-cp311-cp311-manylinux_2_17_x86_64.whl";
    std::fs::write(dir.path().join(name), zero_elf_wheel(3 << 20)).unwrap();
    let report_path = dir.path().join("report.json");
    let envs = [("MUSLCHECK_MEMORY_BUDGET_MIB", "2")];
    let (exit, _) = measured(&[dir.path().to_str().unwrap()], &envs, &report_path);
    assert_eq!(exit, 0);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap();
    let member = artifact(&report, &format!("{name}!/big/_big.so"));
    assert_eq!(codes(member), ["MC001"]);
    assert!(message(member).contains("budget"), "{member:#}");
}

/// `prlimit --as=BYTES muslcheck ARGS`: the exit code and peak RSS (KiB).
#[allow(clippy::zombie_processes)] // Reaped by wait4, which `Child::wait` cannot do.
fn measured_under_limit(limit: u64, args: &[&str], report: &Path) -> (i32, u64) {
    let child = std::process::Command::new("prlimit")
        .arg(format!("--as={limit}"))
        .arg(assert_cmd::cargo::cargo_bin("muslcheck"))
        .env("MUSLCHECK_OFFLINE", "1")
        .args(["--arch", "x86_64", "--no-config", "--format", "json"])
        .args(args)
        // Fewer threads, fewer malloc arenas to reserve under the limit.
        .env("RAYON_NUM_THREADS", "2")
        .stdout(std::fs::File::create(report).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("prlimit (util-linux) runs the binary under an address-space limit");
    wait_with_rusage(child.id())
}

#[test]
fn huge_sparse_elf_files_are_findings_within_bounded_memory() {
    const GIB: u64 = 1024 * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let scanned = dir.path().join("scanned");
    std::fs::create_dir(&scanned).unwrap();
    // Sparse: ELF's magic, then holes. 10 GiB is over every cap; 1.5 GiB
    // cannot be mapped under a 1 GiB address-space limit and is over the
    // cap for files read into memory instead.
    for (name, size) in [
        ("ten-gib.so", 10 * GIB),
        ("one-and-a-half-gib.so", 3 * GIB / 2),
    ] {
        let file = std::fs::File::create(scanned.join(name)).unwrap();
        (&file).write_all(&elf_header()).unwrap();
        file.set_len(size).unwrap();
    }
    std::fs::write(scanned.join("libplain.so"), plain()).unwrap();
    let report_path = dir.path().join("report.json");
    let (exit, peak_kib) = measured_under_limit(GIB, &[scanned.to_str().unwrap()], &report_path);
    assert!(exit == 0 || exit == 1, "exit {exit}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap();
    for name in ["ten-gib.so", "one-and-a-half-gib.so"] {
        let huge = artifact(&report, name);
        assert_eq!(codes(huge), ["MC001"], "{huge:#}");
        assert!(message(huge).contains("cap"), "{huge:#}");
    }
    assert_eq!(artifact(&report, "libplain.so")["kind"], "elf");
    assert!(peak_kib < 64 * 1024, "peak RSS {} MiB", peak_kib / 1024);
}

#[test]
fn archives_inside_installed_packages_are_data_and_not_opened() {
    // node never loads code out of a tarball inside node_modules, nor python
    // out of a wheel inside site-packages; outside them, archives are read
    // (and those muslcheck cannot read are reported).
    let dir = tempfile::tempdir().unwrap();
    let plain = plain();
    let assets = dir.path().join("node_modules/@x/dev/dist/assets");
    std::fs::create_dir_all(&assets).unwrap();
    std::fs::write(
        assets.join("seed.tar.gz"),
        tarball(&[("/lib/evil.so", &plain)]),
    )
    .unwrap();
    let site = dir
        .path()
        .join("venv/lib/python3.12/site-packages/tool/embed");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(
        site.join("x-1.0-py3-none-any.whl"),
        wheel(&[("x/a.so", &plain)]),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("dep-1.0.0.tgz"),
        tarball(&[("package/a.so", &plain)]),
    )
    .unwrap();
    let fixtures = dir.path().join("node_modules/tar-fs/test/fixtures");
    std::fs::create_dir_all(&fixtures).unwrap();
    std::fs::write(fixtures.join("invalid.tar"), b"not a tar").unwrap();
    let (report, _) = json_scan(dir.path(), &[]);
    assert_eq!(report["summary"]["archives_in_packages"], 3, "{report:#}");
    let paths: Vec<&str> = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["path"].as_str())
        .collect();
    assert_eq!(paths, ["dep-1.0.0.tgz!/package/a.so"], "{report:#}");
}

/// A gzip tarball whose `package/lib.so` comes after an extension entry
/// (`kind` `L`, a GNU long name, or `x`, a PAX header) of `size` bytes.
fn tarball_after_extension_header(kind: u8, size: usize) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    let mut header = tar::Header::new_ustar();
    header.as_old_mut().name[..13].copy_from_slice(b"././@LongLink");
    header.set_entry_type(tar::EntryType::new(kind));
    header.set_size(size as u64);
    header.set_mode(0o644);
    header.set_cksum();
    // A PAX record whose length never ends, a name that never ends.
    builder.append(&header, &vec![b'9'; size][..]).unwrap();
    let elf = plain();
    let mut header = tar::Header::new_ustar();
    header.set_size(elf.len() as u64);
    header.set_mode(0o755);
    header.set_cksum();
    builder
        .append_data(&mut header, "package/lib.so", elf.as_slice())
        .unwrap();
    builder.into_inner().unwrap().finish().unwrap()
}

#[test]
fn extension_headers_over_their_cap_make_the_tarball_a_finding() {
    // 4 MiB (the tar crate would hold it whole; a 1 GiB one, 1 GiB of memory).
    let dir = tempfile::tempdir().unwrap();
    for kind in [b'L', b'x'] {
        let name = format!("long-{}-1.0.0.tgz", kind as char);
        let tarball = tarball_after_extension_header(kind, 4 << 20);
        std::fs::write(dir.path().join(&name), tarball).unwrap();
    }
    std::fs::write(dir.path().join("libplain.so"), plain()).unwrap();
    let (report, _) = json_scan(dir.path(), &[]);
    for kind in ["L", "x"] {
        let unread = artifact(&report, &format!("long-{kind}-1.0.0.tgz!/(tar entry)"));
        assert_eq!(codes(unread), ["MC001"], "{unread:#}");
        assert!(
            message(unread).contains(
                "tar extension headers (long name / long link / PAX / sparse map) over 1 MiB"
            ),
            "{unread:#}"
        );
    }
    assert_eq!(
        artifact(&report, "libplain.so")["verdict"],
        "ok",
        "the scan goes on"
    );
}

#[test]
fn sparse_members_are_read_expanded_or_reported_never_dropped() {
    let plain = plain();
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    // Old GNU sparse (type `S`): the library's bytes, then a 4 KiB hole.
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::GNUSparse);
    header.set_size(plain.len() as u64);
    header.set_mode(0o755);
    let gnu = header.as_gnu_mut().unwrap();
    gnu.sparse[0].set_offset(0);
    gnu.sparse[0].set_length(plain.len() as u64);
    // GNU tar ends the map with an empty piece at the real size.
    gnu.sparse[1].set_offset(plain.len() as u64 + 4096);
    gnu.sparse[1].set_length(0);
    gnu.set_real_size(plain.len() as u64 + 4096);
    builder
        .append_data(&mut header, "package/old-sparse.so", plain.as_slice())
        .unwrap();
    // PAX sparse 1.0 (GNU tar --sparse --format=pax): its data is a map,
    // then the pieces; the real name is in its records. One whose map is
    // sound (the library, then an 8 KiB hole), one whose map is not.
    for (name, map) in [
        ("libhidden.so", format!("1\n0\n{}\n", plain.len())),
        ("libbadmap.so", format!("2\n4096\n10\n0\n{}\n", plain.len())),
    ] {
        let records = [
            ("GNU.sparse.major", b"1".to_vec()),
            ("GNU.sparse.minor", b"0".to_vec()),
            (
                "GNU.sparse.name",
                format!("package/lib/{name}").into_bytes(),
            ),
            (
                "GNU.sparse.realsize",
                (plain.len() + 8192).to_string().into_bytes(),
            ),
        ];
        builder
            .append_pax_extensions(records.iter().map(|(k, v)| (*k, v.as_slice())))
            .unwrap();
        let mut data = map.into_bytes();
        data.resize(512, 0);
        data.extend(&plain);
        let mut header = tar::Header::new_ustar();
        header.set_size(data.len() as u64);
        header.set_mode(0o755);
        builder
            .append_data(
                &mut header,
                format!("package/lib/GNUSparseFile.0/{name}"),
                data.as_slice(),
            )
            .unwrap();
    }
    let tarball = builder.into_inner().unwrap().finish().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sparse-1.0.0.tgz"), tarball).unwrap();
    let (report, _) = json_scan(dir.path(), &[]);
    let expanded = artifact(&report, "sparse-1.0.0.tgz!/package/old-sparse.so");
    assert_eq!(expanded["kind"], "elf", "{expanded:#}");
    assert_eq!(
        expanded["size"],
        plain.len() + 4096,
        "the hole is read as zeros"
    );
    let hidden = artifact(&report, "sparse-1.0.0.tgz!/package/lib/libhidden.so");
    assert_eq!(hidden["kind"], "elf", "{hidden:#}");
    assert_eq!(
        hidden["size"],
        plain.len() + 8192,
        "the hole is read as zeros"
    );
    assert_eq!(hidden["verdict"], "ok", "{hidden:#}");
    let unread = artifact(&report, "sparse-1.0.0.tgz!/package/lib/libbadmap.so");
    assert_eq!(codes(unread), ["MC001"], "{unread:#}");
    assert!(
        message(unread).contains("GNU tar's PAX sparse format 1.0 that cannot be expanded"),
        "{unread:#}"
    );
}

/// GNU tar's own sparse members, in each PAX format it writes, are the
/// files it would extract.
#[test]
fn gnu_tars_pax_sparse_members_are_read_as_the_files_they_hold() {
    let plain = plain();
    let work = tempfile::tempdir().unwrap();
    let package = work.path().join("package");
    std::fs::create_dir(&package).unwrap();
    // The library, a 1 MiB hole, then a tail: a file with a hole inside.
    let file = package.join("libholes.so");
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut out = std::fs::File::create(&file).unwrap();
        out.write_all(&plain).unwrap();
        out.seek(SeekFrom::Current(1 << 20)).unwrap();
        out.write_all(b"tail").unwrap();
    }
    let size = plain.len() + (1 << 20) + 4;
    let scanned = tempfile::tempdir().unwrap();
    for version in ["0.0", "0.1", "1.0"] {
        let tarball = scanned.path().join(format!("holes-{version}.tgz"));
        let status = std::process::Command::new("tar")
            .args([
                "--sparse",
                "--format=pax",
                "--sparse-version",
                version,
                "-czf",
            ])
            .arg(&tarball)
            .arg("package")
            .current_dir(work.path())
            .status();
        match status {
            Ok(status) if status.success() => {}
            other => {
                eprintln!("SKIPPED: GNU tar (tar --sparse --format=pax) did not run: {other:?}");
                return;
            }
        }
    }
    let (report, _) = json_scan(scanned.path(), &[]);
    for version in ["0.0", "0.1", "1.0"] {
        let member = artifact(
            &report,
            &format!("holes-{version}.tgz!/package/libholes.so"),
        );
        assert_eq!(member["kind"], "elf", "{version}: {member:#}");
        assert_eq!(member["size"], size, "{version}");
        assert_eq!(member["verdict"], "ok", "{version}: {member:#}");
    }
}

/// The findings at members of `archive` (`archive!/...`) with `code`.
/// Every `pom.properties` of a jar was kept whole (64 KiB each): 40,000
/// deflated repeats, a 9 MB jar, held 2.7 GB. Their text is kept up to a
/// total; the jar is still read.
#[test]
fn a_jars_pom_properties_are_kept_within_a_total() {
    const POMS: usize = 800;
    let text = vec![b'#'; 64 * 1024];
    let names: Vec<String> = (0..POMS)
        .map(|i| format!("META-INF/maven/g/a{i}/pom.properties"))
        .collect();
    let members: Vec<(&str, &[u8])> = names
        .iter()
        .map(|name| (name.as_str(), text.as_slice()))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join("app.jar");
    std::fs::write(&jar, wheel(&members)).unwrap();
    let report_path = dir.path().join("report.json");
    let (exit, peak_kib) = measured(&[jar.to_str().unwrap()], &[], &report_path);
    assert!((0..=2).contains(&exit), "exit {exit}");
    // The 50 MiB of text is not held: 4 MiB at most, beside the process's own.
    assert!(peak_kib < 32 * 1024, "peak RSS {} MiB", peak_kib / 1024);
}
