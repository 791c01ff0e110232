//! Hostile or odd inputs: damaged ELF headers, special files, symlink loops,
//! unreadable files, lying archives, names that are not paths, huge
//! directories, bad arguments. Each yields a finding, a skip with the reason
//! or a clear error; the scan completes, nothing hangs, and nothing is
//! written outside the tool's output.

use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::Command;

use goblin::elf::Elf;
use muslcheck::elf::{ElfError, analyse};

mod common;

use common::{
    artifact, artifacts, cli, codes, codes_at, copy_fixture, install_distribution, json_of,
    json_scan, options, paths, running_as_root, scan_with, stderr, stdout,
};

fn corpus_file(name: &str) -> Vec<u8> {
    std::fs::read(common::corpus(name)).unwrap()
}

/// Every header boundary of a real file: the ELF header fields, each program
/// header, each section header, the dynamic section and its string table.
fn header_boundaries(bytes: &[u8]) -> Vec<usize> {
    let elf = Elf::parse(bytes).unwrap();
    let header = &elf.header;
    let mut cuts: Vec<usize> = (0..=64).collect();
    for i in 0..=usize::from(header.e_phnum) {
        cuts.push(header.e_phoff as usize + i * usize::from(header.e_phentsize));
    }
    for i in 0..=usize::from(header.e_shnum) {
        cuts.push(header.e_shoff as usize + i * usize::from(header.e_shentsize));
    }
    for section in &elf.section_headers {
        cuts.push(section.sh_offset as usize);
        cuts.push((section.sh_offset + section.sh_size) as usize);
    }
    for segment in &elf.program_headers {
        cuts.push(segment.p_offset as usize);
        cuts.push((segment.p_offset + segment.p_filesz) as usize);
    }
    cuts.retain(|&cut| cut < bytes.len());
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

#[test]
fn elf_truncated_at_every_header_boundary_is_malformed_or_judged_never_a_panic() {
    for fixture in [
        "lib/libplain.so",
        "bin/hello-glibc",
        "bin/hello-static-pie",
        "bin/hello-aarch64-glibc",
    ] {
        let bytes = corpus_file(fixture);
        let cuts = header_boundaries(&bytes);
        assert!(cuts.len() > 80, "{fixture}: {} cuts", cuts.len());
        let mut malformed = 0;
        for &cut in &cuts {
            match analyse(&bytes[..cut]) {
                Err(ElfError::Malformed(reason)) => {
                    assert!(!reason.is_empty());
                    malformed += 1;
                }
                Err(ElfError::NotElf) => assert!(cut < 4, "{fixture} cut at {cut}"),
                Err(ElfError::OverBounds(reason)) => panic!("{fixture} cut at {cut}: {reason}"),
                Ok(_) => {}
            }
        }
        assert!(
            malformed > cuts.len() / 2,
            "{fixture}: only {malformed} of {} cuts were found malformed",
            cuts.len()
        );
    }
}

/// `.symtab` and its `.strtab` are for debuggers; the loader never reads
/// them. A symbol name there that is not UTF-8 (goblin's `Elf::parse`
/// rejected the whole file for it) leaves the loader's facts as they are.
#[test]
fn a_symbol_table_the_loader_does_not_read_cannot_hide_a_file() {
    let original = corpus_file("lib/libglibcisms.so");
    let elf = Elf::parse(&original).unwrap();
    let symtab = elf
        .section_headers
        .iter()
        .find(|s| s.sh_type == goblin::elf::section_header::SHT_SYMTAB)
        .expect("the fixture keeps its .symtab");
    let strtab = &elf.section_headers[symtab.sh_link as usize];
    let mut damaged = original.clone();
    // The first byte of the second name: inside a string, not a terminator.
    let at = strtab.sh_offset as usize + 1;
    assert_ne!(damaged[at], 0);
    damaged[at] = 0xff;
    drop(elf);
    assert!(
        Elf::parse(&damaged).is_err(),
        "goblin's full parse rejects it"
    );
    let facts = analyse(&damaged).expect("the loader's parts are whole");
    let expected = analyse(&original).unwrap();
    assert_eq!(
        serde_json::to_value(&facts).unwrap(),
        serde_json::to_value(&expected).unwrap()
    );
    assert!(!facts.required_symbols.is_empty());
}

/// Neither loader reads section headers: version sections (`.gnu.version`,
/// `.gnu.version_r`) whose headers point past the end of the file lose
/// their facts, not the file, which still parses and is judged.
#[test]
fn damaged_version_section_headers_cannot_hide_a_file() {
    use goblin::elf::section_header::{SHT_GNU_VERNEED, SHT_GNU_VERSYM};
    let original = corpus_file("lib/libplain.so");
    let elf = Elf::parse(&original).unwrap();
    let shoff = elf.header.e_shoff as usize;
    let entsize = elf.header.e_shentsize as usize;
    let version_headers: Vec<usize> = elf
        .section_headers
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s.sh_type, SHT_GNU_VERSYM | SHT_GNU_VERNEED))
        .map(|(i, _)| shoff + i * entsize)
        .collect();
    assert_eq!(version_headers.len(), 2, "the fixture has both sections");
    drop(elf);
    for header in version_headers {
        let mut damaged = original.clone();
        // Elf64_Shdr.sh_offset, at 0x18.
        patch(&mut damaged, header + 0x18, 8, u64::MAX - 0xff);
        let facts = analyse(&damaged).expect("the loader's parts are whole");
        let expected = analyse(&original).unwrap();
        assert_eq!(facts.needed, expected.needed);
        assert_eq!(facts.exports_count, expected.exports_count);
    }
}

/// Both loaders find the version tables through the dynamic section:
/// a program whose section headers are gone (`sstrip`, a packer, or a
/// contributor hiding its needs) still needs every version it names, and
/// glibc's ld.so refuses it for one the C library lacks.
#[test]
fn version_needs_are_read_without_section_headers() {
    let mut program = corpus_file("bin/hello-glibc");
    let at = program
        .windows(10)
        .position(|w| w == b"GLIBC_2.34")
        .expect("hello-glibc needs GLIBC_2.34");
    program[at..at + 10].copy_from_slice(b"GLIBC_2.99");
    // ELF64 header: e_shoff at 40, e_shnum at 60, e_shstrndx at 62.
    patch(&mut program, 40, 8, 0);
    patch(&mut program, 60, 2, 0);
    patch(&mut program, 62, 2, 0);
    assert!(Elf::parse(&program).unwrap().section_headers.is_empty());
    let facts = analyse(&program).unwrap();
    assert_eq!(facts.max_glibc.as_deref(), Some("GLIBC_2.99"), "{facts:?}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stripped");
    std::fs::write(&path, &program).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (report, status) = json_scan(dir.path(), &["--target", "debian:12-slim"]);
    assert_eq!(status, 1);
    let file = artifact(&report, "stripped");
    assert!(codes(file).contains(&"MC109".to_string()), "{file:#}");

    // The real ld.so, when this machine has glibc's (`--list` does not
    // check versions: the program is run).
    if !Path::new("/lib64/ld-linux-x86-64.so.2").exists() {
        eprintln!("note: no glibc loader here: the ground-truth half skipped");
        return;
    }
    // Another test's fork may still hold the file open for writing a moment.
    let output = (0..50)
        .find_map(|_| match Command::new(&path).output() {
            Err(e) if e.raw_os_error() == Some(26) => {
                std::thread::sleep(std::time::Duration::from_millis(20));
                None
            }
            other => Some(other.unwrap()),
        })
        .expect("ETXTBSY for a second");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("version `GLIBC_2.99' not found"),
        "{stderr}"
    );
}

/// Patches a little-endian integer of `width` bytes at `at`.
fn patch(bytes: &mut [u8], at: usize, width: usize, value: u64) {
    bytes[at..at + width].copy_from_slice(&value.to_le_bytes()[..width]);
}

/// A change that damages an ELF file in place.
type Damage = Box<dyn Fn(&mut Vec<u8>)>;

#[test]
fn damaged_truncated_and_tiny_files_become_findings_or_are_dropped_and_the_scan_goes_on() {
    let original = corpus_file("lib/libglibcisms.so");
    let elf = Elf::parse(&original).unwrap();
    let dynamic_offset = elf
        .section_headers
        .iter()
        .find(|s| s.sh_type == goblin::elf::section_header::SHT_DYNAMIC)
        .unwrap()
        .sh_offset as usize;
    drop(elf);

    // ELF64 header: e_phoff at 32, e_shoff at 40, e_phnum at 56, e_shnum at 60, e_shstrndx at 62.
    let variants: Vec<(&str, Damage)> = vec![
        (
            "phoff-past-end.so",
            Box::new(|b| patch(b, 32, 8, u64::MAX / 2)),
        ),
        ("shoff-past-end.so", Box::new(|b| patch(b, 40, 8, 1 << 40))),
        ("phnum-65535.so", Box::new(|b| patch(b, 56, 2, 0xffff))),
        ("shnum-65535.so", Box::new(|b| patch(b, 60, 2, 0xffff))),
        (
            "shstrndx-out-of-range.so",
            Box::new(|b| patch(b, 62, 2, 0xfffe)),
        ),
        (
            // Every DT_NEEDED string offset far past the string table.
            "needed-out-of-range.so",
            Box::new(move |b| {
                let mut at = dynamic_offset;
                while at + 16 <= b.len() {
                    let tag = u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
                    if tag == 0 {
                        break;
                    }
                    if tag == 1 {
                        patch(b, at + 8, 8, 0xffff_ffff);
                    }
                    at += 16;
                }
            }),
        ),
        (
            // A string table that never ends: the file is all 'A' after the headers.
            "unterminated-strings.so",
            Box::new(|b| {
                let start = 64 + 56 * 4;
                for byte in b.iter_mut().skip(start) {
                    *byte = b'A';
                }
            }),
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, damage) in &variants {
        let mut bytes = original.clone();
        damage(&mut bytes);
        std::fs::write(dir.path().join(name), &bytes).unwrap();
    }
    std::fs::write(dir.path().join("intact.so"), &original).unwrap();
    copy_fixture("bad/truncated.so", &dir.path().join("truncated.so"));
    std::fs::write(dir.path().join("empty.so"), b"").unwrap();
    std::fs::write(dir.path().join("short"), b"\x7fE").unwrap();

    let (report, status) = json_scan(dir.path(), &[]);
    assert_eq!(
        status, 1,
        "the intact library is an error: judged after the bad files"
    );
    for (name, _) in &variants {
        let artifact = artifact(&report, name);
        let verdict = artifact["verdict"].as_str().unwrap();
        assert!(
            verdict == "unknown" || !codes(artifact).is_empty() || verdict == "ok",
            "{name}: {artifact:#}"
        );
        if verdict == "unknown" {
            assert!(
                codes(artifact).iter().any(|c| c.starts_with("MC")),
                "{name}: an unknown verdict says why"
            );
        }
    }
    assert_eq!(
        artifact(&report, "phoff-past-end.so")["findings"][0]["code"],
        "MC002"
    );
    assert_eq!(codes_at(&report, "truncated.so"), ["MC002"]);
    assert_eq!(artifact(&report, "intact.so")["verdict"], "breaks");
    // Neither the empty file nor the 2-byte one is ELF: dropped, not reported.
    assert!(!paths(&report).contains(&"empty.so"));
    assert!(!paths(&report).contains(&"short"));
}

/// A zip written by hand: one stored or deflated member per (name, data),
/// with sizes as declared by `declare` (which may lie).
fn zip_with(members: &[(&[u8], Vec<u8>)], declare: impl Fn(usize) -> u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in members {
        let mut encoder =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(data).unwrap();
        let compressed = encoder.finish().unwrap();
        let crc = {
            let mut hasher = flate2::Crc::new();
            hasher.update(data);
            hasher.sum()
        };
        let offset = out.len() as u32;
        let size = declare(data.len());
        let mut local = Vec::new();
        local.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        local.extend_from_slice(&[20, 0, 0, 0, 8, 0, 0, 0, 0, 0]);
        local.extend_from_slice(&crc.to_le_bytes());
        local.extend_from_slice(&(compressed.len() as u32).to_le_bytes());
        local.extend_from_slice(&size.to_le_bytes());
        local.extend_from_slice(&(name.len() as u16).to_le_bytes());
        local.extend_from_slice(&0u16.to_le_bytes());
        local.extend_from_slice(name);
        out.extend_from_slice(&local);
        out.extend_from_slice(&compressed);

        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&[20, 3, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0]);
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&(compressed.len() as u32).to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 8]);
        central.extend_from_slice(&0o100644u32.wrapping_shl(16).to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name);
    }
    let central_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn elf_then_zeros(total: usize) -> Vec<u8> {
    let mut data = vec![0u8; total];
    data[..4].copy_from_slice(b"\x7fELF");
    data
}

#[test]
fn zip_bombs_are_refused_at_the_declared_size_and_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let plain = corpus_file("lib/libplain-musl.so");
    // Declares 100 bytes, inflates to 64 MiB: reading stops at byte 101.
    let liar = zip_with(&[(b"pkg/liar.so", elf_then_zeros(64 << 20))], |_| 100);
    // Declares 3 GiB (over the 512 MiB member cap): never inflated.
    let huge = zip_with(&[(b"pkg/huge.so", elf_then_zeros(1 << 20))], |_| 3 << 30);
    let honest = zip_with(&[(b"pkg/plain.so", plain.clone())], |len| len as u32);
    assert!(liar.len() < 1 << 20, "the bomb is small: {}", liar.len());
    std::fs::write(dir.path().join("liar-1.0-py3-none-any.whl"), &liar).unwrap();
    std::fs::write(dir.path().join("huge-1.0-py3-none-any.whl"), &huge).unwrap();
    std::fs::write(dir.path().join("plain-1.0-py3-none-any.whl"), &honest).unwrap();

    let (report, _) = json_scan(dir.path(), &[]);
    let liar = artifact(&report, "liar-1.0-py3-none-any.whl!/pkg/liar.so");
    assert_eq!(codes(liar), ["MC001"]);
    // The zip reader or muslcheck's own bound stops it, whichever is first.
    assert!(
        liar["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("declared"),
        "{liar:#}"
    );
    let huge = artifact(&report, "huge-1.0-py3-none-any.whl!/pkg/huge.so");
    assert_eq!(codes(huge), ["MC001"]);
    assert!(
        huge["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("cap")
    );
    let plain = artifact(&report, "plain-1.0-py3-none-any.whl!/pkg/plain.so");
    assert_eq!(plain["verdict"], "ok", "the honest wheel is still analysed");
}

#[test]
fn archive_member_names_are_data_never_paths() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    std::fs::create_dir(&project).unwrap();
    let elf = corpus_file("lib/libplain-musl.so");
    let wheel = zip_with(
        &[
            (b"../../escaped-zip.so", elf.clone()),
            (b"/tmp/absolute-zip.so", elf.clone()),
        ],
        |len| len as u32,
    );
    std::fs::write(project.join("evil-1.0-py3-none-any.whl"), wheel).unwrap();

    let mut tarball = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    let mut add = |name: &[u8], kind: tar::EntryType, link: Option<&str>, data: &[u8]| {
        let mut header = tar::Header::new_gnu();
        // Written raw: the tar crate's safe setters refuse `..` and absolute names.
        header.as_old_mut().name[..name.len()].copy_from_slice(name);
        header.set_entry_type(kind);
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        if let Some(link) = link {
            header.set_link_name(link).unwrap();
        }
        header.set_cksum();
        tarball.append(&header, data).unwrap();
    };
    add(
        b"package/package.json",
        tar::EntryType::Regular,
        None,
        br#"{"name":"evil","version":"1.0.0"}"#,
    );
    add(
        b"../../escaped-tar.node",
        tar::EntryType::Regular,
        None,
        &elf,
    );
    add(
        b"/tmp/absolute-tar.node",
        tar::EntryType::Regular,
        None,
        &elf,
    );
    add(
        b"package/passwd.node",
        tar::EntryType::Symlink,
        Some("/etc/passwd"),
        b"",
    );
    add(
        b"package/hard.node",
        tar::EntryType::Link,
        Some("/etc/shadow"),
        b"",
    );
    let bytes = tarball.into_inner().unwrap().finish().unwrap();
    std::fs::write(project.join("evil-1.0.0.tgz"), bytes).unwrap();

    let before: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    let (report, _) = json_scan(&project, &[]);
    let after: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(before, after, "nothing written next to the project");
    let project_files: Vec<_> = std::fs::read_dir(&project)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(project_files.len(), 2, "nothing written into it either");
    assert!(!Path::new("/tmp/absolute-zip.so").exists());
    assert!(!Path::new("/tmp/absolute-tar.node").exists());

    for path in [
        "evil-1.0-py3-none-any.whl!/../../escaped-zip.so",
        "evil-1.0-py3-none-any.whl!//tmp/absolute-zip.so",
        "evil-1.0.0.tgz!/../../escaped-tar.node",
        "evil-1.0.0.tgz!//tmp/absolute-tar.node",
    ] {
        let member = artifact(&report, path);
        assert_eq!(codes(member), ["MC006"], "{path}: a hostile name, not read");
        assert_eq!(member["verdict"], "unknown", "{path}");
    }
    let links: Vec<&str> = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["path"].as_str())
        .filter(|p| p.contains("passwd") || p.contains("hard.node"))
        .collect();
    assert!(
        links.is_empty(),
        "link members are never followed: {links:?}"
    );
}

#[test]
fn non_utf8_names_are_reported_escaped_and_still_judged() {
    let dir = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"lib\xff\xfename.so");
    std::fs::write(dir.path().join(name), corpus_file("lib/libglibcisms.so")).unwrap();
    let sub = dir.path().join(std::ffi::OsStr::from_bytes(b"dir\x80"));
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("plain.so"), corpus_file("lib/libplain-musl.so")).unwrap();

    let (report, _) = json_scan(dir.path(), &[]);
    let judged = artifact(&report, r"lib\xff\xfename.so");
    assert_eq!(judged["verdict"], "breaks");
    assert_eq!(artifact(&report, r"dir\x80/plain.so")["verdict"], "ok");
}

#[test]
fn a_hundred_thousand_empty_files_are_walked_and_none_reported() {
    let dir = tempfile::tempdir().unwrap();
    for bucket in 0..100 {
        let sub = dir.path().join(format!("d{bucket}"));
        std::fs::create_dir(&sub).unwrap();
        for i in 0..1000 {
            std::fs::File::create(sub.join(format!("f{i}"))).unwrap();
        }
    }
    std::fs::write(
        dir.path().join("d0/real.so"),
        corpus_file("lib/libplain-musl.so"),
    )
    .unwrap();
    let (report, status) = json_scan(dir.path(), &[]);
    assert_eq!(status, 0);
    assert_eq!(report["summary"]["files_walked"], 100_001);
    let artifacts = report["artifacts"].as_array().unwrap();
    assert_eq!(
        artifacts.len(),
        1,
        "empty files are not ELF and not reported"
    );
    assert_eq!(artifacts[0]["path"], "d0/real.so");
}

#[test]
fn special_files_and_symlink_loops_are_listed_and_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let device = root.join("zero");
    let made = Command::new("mknod")
        .arg(&device)
        .args(["c", "1", "5"])
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        // Without CAP_MKNOD the same node is reached through a followed symlink.
        symlink("/dev/zero", &device).unwrap();
    }
    let made_fifo = Command::new("mkfifo")
        .arg(root.join("pipe"))
        .status()
        .is_ok_and(|s| s.success());
    std::fs::create_dir(root.join("sub")).unwrap();
    symlink("..", root.join("sub/loop")).unwrap();
    copy_fixture("lib/libplain-musl.so", &root.join("sub/plain.so"));

    let (report, status) = json_scan(root, &["--follow-symlinks"]);
    assert_eq!(status, 0, "notes and warnings do not fail --fail-on error");
    let zero = artifact(&report, "zero");
    // A followed link to /dev/zero leaves the scanned root: not followed (MC005).
    let expected = if made { "MC003" } else { "MC005" };
    assert_eq!(codes(zero), [expected], "{zero:#}");
    assert_eq!(zero["verdict"], "not-applicable");
    if made_fifo {
        assert_eq!(codes_at(&report, "pipe"), ["MC003"]);
    } else {
        eprintln!("SKIPPED the FIFO part: mkfifo failed");
    }
    assert_eq!(codes_at(&report, "sub/loop"), ["MC004"]);
    assert_eq!(
        artifact(&report, "sub/plain.so")["verdict"],
        "ok",
        "the walk went on past the loop"
    );
}

#[test]
fn unreadable_file_is_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked.so");
    std::fs::write(&locked, b"\x7fELF").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let (report, status) = if running_as_root() {
        // Root reads files whatever their mode: scan as `nobody` instead.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let output = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(assert_cmd::cargo::cargo_bin("muslcheck"))
            .env("MUSLCHECK_OFFLINE", "1")
            .args(["--format", "json", "--arch", "x86_64"])
            .arg(dir.path())
            .output();
        match output {
            Ok(output) if output.status.code().is_some_and(|c| c < 2) => {
                (json_of(&output), output.status.code().unwrap_or(-1))
            }
            other => {
                let reason = format!("running as nobody with setpriv failed: {other:?}");
                assert!(
                    std::env::var_os("MUSLCHECK_REQUIRE_TOOLS").is_none(),
                    "{reason}"
                );
                eprintln!("SKIPPED unreadable-file test: {reason}");
                return;
            }
        }
    } else {
        json_scan(dir.path(), &[])
    };
    assert_eq!(codes_at(&report, "locked.so"), ["MC001"]);
    assert_eq!(
        status, 0,
        "a warning does not fail the default --fail-on error"
    );
}

#[test]
fn hard_links_are_analysed_once_and_reported_with_every_path() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture("lib/libplain.so", &dir.path().join("a.so"));
    std::fs::hard_link(dir.path().join("a.so"), dir.path().join("b.so")).unwrap();
    let (report, _) = json_scan(dir.path(), &[]);
    assert_eq!(paths(&report), ["a.so"]);
    assert_eq!(
        report["artifacts"][0]["also_at"],
        serde_json::json!(["b.so"])
    );
    // A third link in another directory, and a copy (another inode) beside it.
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::hard_link(dir.path().join("a.so"), dir.path().join("sub/c.so")).unwrap();
    copy_fixture("lib/libplain.so", &dir.path().join("sub/d.so"));
    let (report, _) = json_scan(dir.path(), &[]);
    assert_eq!(paths(&report), ["a.so", "sub/d.so"]);
    assert_eq!(
        artifact(&report, "a.so")["also_at"],
        serde_json::json!(["b.so", "sub/c.so"])
    );
    assert!(artifact(&report, "sub/d.so")["also_at"].is_null());
    // The shallowest name first: node-gyp links build/Release/x.node to its
    // obj.target/ copy, and Node loads the former.
    let build = tempfile::tempdir().unwrap();
    let release = build.path().join("build/Release");
    copy_fixture("lib/libplain.so", &release.join("obj.target/x.node"));
    std::fs::hard_link(release.join("obj.target/x.node"), release.join("x.node")).unwrap();
    let (report, _) = json_scan(build.path(), &[]);
    assert_eq!(paths(&report), ["build/Release/x.node"]);
    assert_eq!(
        artifact(&report, "build/Release/x.node")["also_at"],
        serde_json::json!(["build/Release/obj.target/x.node"])
    );
}

/// A file whose names lie in different packages is judged in each: a CLI's
/// wrapper package hard-links its glibc platform package's program into its
/// own directory (`@pnpm/exe`'s install script), where it runs whether or
/// not the platform package is ever loaded. Copies of it are judged the same.
#[test]
fn a_program_hard_linked_into_another_package_is_judged_there() {
    let dir = tempfile::tempdir().unwrap();
    let modules = dir.path().join("node_modules");
    let platform = modules.join("tool-linux-x64-gnu");
    let wrapper = modules.join("tool");
    std::fs::create_dir_all(&platform).unwrap();
    std::fs::create_dir_all(&wrapper).unwrap();
    std::fs::write(
        platform.join("package.json"),
        r#"{"name": "tool-linux-x64-gnu", "version": "1.0.0", "os": ["linux"], "cpu": ["x64"], "libc": ["glibc"]}"#,
    )
    .unwrap();
    std::fs::write(
        wrapper.join("package.json"),
        r#"{"name": "tool", "version": "1.0.0", "bin": {"tool": "tool"},
           "optionalDependencies": {"tool-linux-x64-gnu": "1.0.0"}}"#,
    )
    .unwrap();
    copy_fixture("bin/uses-fortified", &platform.join("tool"));
    let judged = |report: &serde_json::Value| {
        let mut judged: Vec<(String, String)> = artifacts(report)
            .iter()
            .map(|a| {
                let path = a["path"].as_str().unwrap();
                let package = a["package"]["name"].as_str().unwrap_or("-");
                (format!("{path} ({package})"), a["verdict"].to_string())
            })
            .collect();
        judged.sort();
        judged
    };
    std::fs::copy(platform.join("tool"), wrapper.join("tool")).unwrap();
    let (as_copies, copies_status) = json_scan(dir.path(), &["--offline"]);
    std::fs::remove_file(wrapper.join("tool")).unwrap();
    std::fs::hard_link(platform.join("tool"), wrapper.join("tool")).unwrap();
    let (linked, status) = json_scan(dir.path(), &["--offline"]);
    assert_eq!(
        artifact(&linked, "node_modules/tool/tool")["verdict"],
        "breaks",
        "{linked:#}"
    );
    assert_eq!(
        artifact(&linked, "node_modules/tool-linux-x64-gnu/tool")["verdict"],
        "not-applicable"
    );
    assert_eq!(status, 1);
    assert_eq!(judged(&linked), judged(&as_copies));
    assert_eq!(status, copies_status);
}

/// A library with three names (hard links), one of them where a program's
/// RUNPATH looks: the loader finds it there whichever name the walk met
/// first, and the file is named by its shallowest, then smallest, path
/// every time.
#[test]
fn a_hard_linked_library_is_found_under_every_name() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture("bin/uses-fortified", &dir.path().join("bin/uses-fortified"));
    // Met first or not, depending on the listing's order and the jobs'.
    copy_fixture("lib/libfortified.so", &dir.path().join("b/libfortified.so"));
    for other in ["a", "lib"] {
        std::fs::create_dir(dir.path().join(other)).unwrap();
        std::fs::hard_link(
            dir.path().join("b/libfortified.so"),
            dir.path().join(other).join("libfortified.so"),
        )
        .unwrap();
    }
    let glibc_loader = Path::new("/lib64/ld-linux-x86-64.so.2");
    if glibc_loader.exists() {
        // The real loader's answer: RUNPATH $ORIGIN/../lib reaches lib/.
        let listed = Command::new(glibc_loader)
            .arg("--list")
            .arg(dir.path().join("bin/uses-fortified"))
            .output()
            .unwrap();
        let listed = String::from_utf8_lossy(&listed.stdout);
        assert!(listed.contains("lib/libfortified.so"), "{listed}");
    } else {
        eprintln!(
            "SKIPPED the glibc loader's check: no {}",
            glibc_loader.display()
        );
    }
    for args in [&[][..], &[], &[], &["--follow-symlinks"]] {
        let mut all = vec!["--target", "debian:12-slim"];
        all.extend_from_slice(args);
        let (report, status) = json_scan(dir.path(), &all);
        assert_eq!(status, 0, "{report:#}");
        assert_eq!(paths(&report), ["a/libfortified.so", "bin/uses-fortified"]);
        assert_eq!(
            artifact(&report, "a/libfortified.so")["also_at"],
            serde_json::json!(["b/libfortified.so", "lib/libfortified.so"])
        );
        let program = artifact(&report, "bin/uses-fortified");
        assert_eq!(program["verdict"], "ok", "{program:#}");
    }
}

/// The walk is split into jobs by directory across the cores: the report is
/// the same run after run, and the same as the one-thread walk
/// (`--follow-symlinks` walks on one thread), hard links met by different
/// jobs included.
#[test]
fn a_walk_split_across_cores_reports_one_tree_the_same_every_time() {
    const PACKAGES: usize = 120;
    let dir = tempfile::tempdir().unwrap();
    for i in 0..PACKAGES {
        let package = dir.path().join(format!("pkg{i}/lib/sub{}", i % 7));
        copy_fixture("lib/libplain.so", &package.join(format!("libp{i}.so")));
        std::fs::write(package.join("README.md"), "text").unwrap();
        std::fs::write(package.join("requirements.txt"), "numpy==1.26.4\n").unwrap();
    }
    let first = dir.path().join("pkg3/lib/sub3/libp3.so");
    std::fs::create_dir_all(dir.path().join("pkg99/deep/er")).unwrap();
    std::fs::hard_link(&first, dir.path().join("pkg99/deep/er/linked.so")).unwrap();
    std::fs::hard_link(&first, dir.path().join("pkg119/a-link.so")).unwrap();
    let scan = |args: &[&str]| {
        let (mut report, status) = json_scan(dir.path(), args);
        assert_eq!(status, 0, "{report:#}");
        report["summary"]["duration_ms"] = serde_json::Value::Null;
        report
    };
    let report = scan(&[]);
    assert_eq!(
        report["summary"]["files_walked"],
        3 * PACKAGES as u64 + 2,
        "{:#}",
        report["summary"]
    );
    let elf_paths: Vec<&str> = paths(&report)
        .into_iter()
        .filter(|p| p.ends_with(".so"))
        .collect();
    assert_eq!(
        elf_paths.len(),
        PACKAGES,
        "one artifact per file: {elf_paths:?}"
    );
    // The smallest path names the linked file, the others are its other names.
    assert_eq!(
        artifact(&report, "pkg119/a-link.so")["also_at"],
        serde_json::json!(["pkg3/lib/sub3/libp3.so", "pkg99/deep/er/linked.so"])
    );
    for _ in 0..3 {
        assert_eq!(scan(&[]), report, "a second walk reported otherwise");
    }
    assert_eq!(
        scan(&["--follow-symlinks"]),
        report,
        "the one-thread walk reported otherwise"
    );
}

#[test]
fn excluded_and_text_named_files_are_not_read() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture("lib/libfortified.so", &dir.path().join("vendor/x.so"));
    // An ELF file with a text name is skipped by name, unless --all-files.
    copy_fixture("lib/libfortified.so", &dir.path().join("odd.txt"));
    let (report, status) = json_scan(dir.path(), &["--exclude", "vendor/**"]);
    assert_eq!(status, 0);
    assert!(paths(&report).is_empty());
    assert_eq!(report["summary"]["skipped_by_name"], 1);
    let (report, _) = json_scan(dir.path(), &["--exclude", "vendor/**", "--all-files"]);
    assert_eq!(paths(&report), ["odd.txt"]);
}

/// A path given twice, or a directory inside another given one, is walked
/// once: no file is reported or counted twice.
#[test]
fn a_path_given_twice_or_inside_another_is_walked_once() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture("lib/libplain.so", &dir.path().join("sub/a.so"));
    copy_fixture("lib/libfortified.so", &dir.path().join("b.so"));
    let (root, sub) = (dir.path(), dir.path().join("sub"));
    let scan = |paths: &[&Path]| {
        let mut args = vec!["--arch", "x86_64", "--format", "json", "--fail-on", "never"];
        args.extend(paths.iter().map(|p| p.to_str().unwrap()));
        let mut report = json_of(&cli(&args));
        report["summary"]["duration_ms"] = serde_json::Value::Null;
        (report["artifacts"].clone(), report["summary"].clone())
    };
    let once = scan(&[root]);
    assert_eq!(once.1["files_walked"], 2, "{:#}", once.1);
    assert_eq!(scan(&[root, root]), once, "given twice");
    assert_eq!(scan(&[&sub, root, &sub.join("a.so")]), once, "nested");
}

/// An excluded directory is not walked: what is below it is neither read
/// nor reported, and a walk error there (here a symlink loop, met with
/// `--follow-symlinks`) is no finding of the scan.
#[test]
fn an_excluded_directory_is_not_walked() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture("lib/libplain.so", &dir.path().join("src/a.so"));
    copy_fixture("lib/libfortified.so", &dir.path().join("vendor/lib/v.so"));
    std::fs::create_dir(dir.path().join("vendor/sub")).unwrap();
    symlink("..", dir.path().join("vendor/sub/up")).unwrap();
    for args in [
        &["--exclude", "vendor"][..],
        &["--exclude", "vendor/**"],
        &["--exclude", "vendor/**", "--follow-symlinks"],
        &[
            "--exclude",
            "**/sub/**",
            "--exclude",
            "vendor/lib",
            "--follow-symlinks",
        ],
    ] {
        let mut all = vec!["--fail-on", "warning"];
        all.extend_from_slice(args);
        let (report, status) = json_scan(dir.path(), &all);
        assert_eq!(paths(&report), ["src/a.so"], "{args:?}: {report:#}");
        assert_eq!(status, 0, "{args:?}");
    }
    // Not excluded, the loop is met and said.
    let (report, _) = json_scan(
        dir.path(),
        &["--follow-symlinks", "--exclude", "vendor/lib"],
    );
    assert_eq!(codes_at(&report, "vendor/sub/up"), ["MC004"]);
}

#[test]
fn bad_paths_arguments_and_codes_exit_2_naming_the_problem() {
    let output = cli(&["/no/such/dir"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("/no/such/dir"));

    let output = cli(&["--target", "ubuntu:99.04", "."]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("unknown target"));

    let output = cli(&["explain", "MC999"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("MC999"));
    // A registered code is explained (the text itself: tests/snapshots.rs).
    let output = cli(&["explain", "MC102"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("symbol not found"));
}

/// A static program's run-time files are read from the strings it can read:
/// the sections loaded at run time. A path in a section the loader never
/// maps (`.comment`, the symbol tables, debug information) is no file the
/// program opens, and must not make it look like it needs a CA bundle.
#[test]
fn a_path_in_a_section_never_loaded_is_no_runtime_file_of_the_program() {
    use muslcheck::model::RuntimeFile;
    let original = corpus_file("bin/hello-static-glibc");
    let needs_certs = |bytes: &[u8]| {
        analyse(bytes)
            .unwrap()
            .runtime_files
            .contains(RuntimeFile::CaCertificates)
    };
    assert!(!needs_certs(&original), "hello opens no CA bundle");
    let elf = Elf::parse(&original).unwrap();
    let section = |name: &str| {
        elf.section_headers
            .iter()
            .find(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(name))
            .map(|s| (s.sh_offset as usize, s.sh_size as usize))
            .unwrap()
    };
    let with_path_in = |name: &str| {
        let (offset, size) = section(name);
        let path = b"/etc/ssl/certs\0";
        assert!(size >= path.len(), "{name} holds the path");
        let mut bytes = original.clone();
        bytes[offset..offset + path.len()].copy_from_slice(path);
        bytes
    };
    assert!(!needs_certs(&with_path_in(".comment")), "never loaded");
    assert!(!needs_certs(&with_path_in(".strtab")), "never loaded");
    assert!(needs_certs(&with_path_in(".rodata")), "read at run time");
    // Without section headers (sstrip), the loaded segments are what the
    // program reads: .rodata is in one, .comment in none, nor is a tail
    // past the last segment.
    let without_sections = |mut bytes: Vec<u8>| {
        bytes[0x28..0x30].fill(0); // e_shoff
        bytes[0x3c..0x40].fill(0); // e_shnum, e_shstrndx
        assert!(Elf::parse(&bytes).unwrap().section_headers.is_empty());
        bytes
    };
    assert!(needs_certs(&without_sections(with_path_in(".rodata"))));
    assert!(!needs_certs(&without_sections(with_path_in(".comment"))));
    let mut padded = without_sections(original.clone());
    padded.extend_from_slice(b"\0/etc/ssl/certs\0");
    assert!(!needs_certs(&padded), "past every segment");
}

/// A `*.dist-info` directory holds a wheel's metadata and nothing a loader
/// loads: its files are not opened as candidates (an ELF file placed there is
/// skipped by name, unless --all-files), while its RECORD still names the
/// owner of the distribution's files.
#[test]
fn dist_info_metadata_is_read_for_attribution_never_as_elf() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site-packages");
    install_distribution(&site, "demo", "1.0", "lib/libfortified.so", "demo/_ext.so");
    copy_fixture(
        "lib/libfortified.so",
        &site.join("demo-1.0.dist-info/INSTALLER"),
    );
    let (report, _) = json_scan(dir.path(), &[]);
    assert_eq!(paths(&report), ["site-packages/demo/_ext.so"]);
    let owner = &artifact(&report, "site-packages/demo/_ext.so")["package"];
    assert_eq!(owner["name"], "demo", "{owner}");
    assert_eq!(owner["version"], "1.0", "{owner}");
    // METADATA, RECORD and the ELF file named INSTALLER.
    assert_eq!(report["summary"]["skipped_by_name"], 3);
    let (report, _) = json_scan(dir.path(), &["--all-files"]);
    assert_eq!(
        paths(&report),
        [
            "site-packages/demo-1.0.dist-info/INSTALLER",
            "site-packages/demo/_ext.so"
        ]
    );
}

/// Files mapped while they were read are unmapped together once the readers
/// are done: none is still mapped when `scan` returns (a library user's
/// address space does not grow with each scan).
#[test]
fn no_scanned_file_stays_mapped_after_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    for index in 0..8 {
        // Large enough to be mapped rather than read (64 KiB and up).
        let mut bytes = vec![0u8; 1 << 20];
        bytes[..4].copy_from_slice(b"\x7fELF");
        std::fs::write(dir.path().join(format!("big{index}.so")), bytes).unwrap();
    }
    let location = std::fs::canonicalize(dir.path()).unwrap();
    let report = scan_with(std::slice::from_ref(&location), &options(false));
    assert_eq!(report.artifacts.len(), 8, "each file was read");
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let needle = location.to_string_lossy().into_owned();
    assert!(
        !maps.lines().any(|line| line.contains(needle.as_str())),
        "still mapped after the scan:\n{maps}"
    );
}
