//! Caps on what archives report: members of one archive, of a jar and the
//! jars nested in it, and of all a scan's archives. Tiny members deflate a
//! thousandfold, so a few megabytes of archives could otherwise make
//! millions of findings. (Apart from tests/archives_and_memory.rs: their
//! reports are large, and that file measures the peak memory of the
//! processes it starts, which counts the test process's own at exec.)

mod common;

use common::archives::{elf_magic_members, tarball, wheel};
use common::json_scan;

fn member_findings<'r>(report: &'r serde_json::Value, archive: &str, code: &str) -> Vec<&'r str> {
    common::artifacts(report)
        .iter()
        .filter(|a| a["path"].as_str().is_some_and(|p| p.starts_with(archive)))
        .flat_map(|a| a["findings"].as_array().into_iter().flatten())
        .filter(|f| f["code"] == code)
        .filter_map(|f| f["message"].as_str())
        .collect()
}

/// Tiny members deflate a thousandfold: half a million of them, a 2 MB
/// tarball, were as many findings (1.3 GB, a 300 MB JSON report). An
/// archive is reported member by member up to a cap, ELF members named
/// outside it up to a smaller one, and what is past the caps is one
/// finding each that says so.
#[test]
fn an_archive_of_many_tiny_members_is_reported_within_caps() {
    let elf = b"\x7fELF".as_slice();
    let names: Vec<String> = (0..10_500).map(|i| format!("package/l{i}.so")).collect();
    let mut members: Vec<(&str, &[u8])> = vec![("../x.so", elf); 300];
    members.extend(elf_magic_members(&names));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.tgz"), tarball(&members)).unwrap();
    let (report, exit) = json_scan(dir.path(), &[]);
    assert!((0..=2).contains(&exit));
    let listed = common::artifacts(&report)
        .iter()
        .filter(|a| a["path"].as_str().is_some_and(|p| p.starts_with("x.tgz!/")))
        .count();
    assert!(listed <= 10_002, "{listed} members reported");
    let hostile = member_findings(&report, "x.tgz!/", "MC006");
    assert_eq!(hostile.len(), 101, "{hostile:?}");
    assert!(
        hostile.iter().any(|m| m.contains("200 more ELF members")),
        "{hostile:?}"
    );
    let rest = member_findings(&report, "x.tgz!/", "MC001");
    assert!(
        rest.iter()
            .any(|m| m.contains("more than 10000 ELF or unreadable members")),
        "{rest:?}"
    );
}

/// Each archive is within its caps, but a hundred of them (70 KB each)
/// were a million items, 2.6 GB and a 537 MB report. The members of all
/// the scan's archives are kept up to a total; an archive past it says how
/// many of its members were not kept.
#[test]
fn the_members_of_all_archives_are_kept_within_a_total() {
    const ARCHIVES: usize = 11;
    const MEMBERS: usize = 9_500;
    let names: Vec<String> = (0..MEMBERS).map(|i| format!("package/l{i}.so")).collect();
    let members = elf_magic_members(&names);
    let archive = tarball(&members);
    let dir = tempfile::tempdir().unwrap();
    for index in 0..ARCHIVES {
        std::fs::write(dir.path().join(format!("a{index:02}.tgz")), &archive).unwrap();
    }
    let (report, exit) = json_scan(dir.path(), &[]);
    assert!((0..=2).contains(&exit));
    let kept = common::artifacts(&report)
        .iter()
        .filter(|a| a["path"].as_str().is_some_and(|p| p.contains(".tgz!/")))
        .count();
    assert!(kept <= 100_000, "{kept} members kept");
    assert!(kept >= 90_000, "{kept} members kept");
    let not_kept: usize = (0..ARCHIVES)
        .flat_map(|index| member_findings(&report, &format!("a{index:02}.tgz"), "MC001"))
        .filter_map(|message| {
            let (count, rest) = message.strip_prefix("cannot be read: ")?.split_once(' ')?;
            rest.starts_with("of its ELF or unreadable members were not kept")
                .then(|| count.parse::<usize>().ok())?
        })
        .sum();
    assert_eq!(kept + not_kept, ARCHIVES * MEMBERS);
}

/// Each jar nested in a jar reported its members up to the cap on its own,
/// so a thousand nested jars could hold ten million. The jar and the jars
/// nested in it share the cap: past it, the rest of the nested jars are
/// not read, and the jar says how many.
#[test]
fn a_jar_and_the_jars_nested_in_it_report_members_within_one_cap() {
    const NESTED: usize = 4;
    const MEMBERS: usize = 4_000;
    let names: Vec<String> = (0..MEMBERS).map(|i| format!("lib/l{i}.so")).collect();
    let members = elf_magic_members(&names);
    let inner = wheel(&members);
    let jar_names: Vec<String> = (0..NESTED)
        .map(|i| format!("BOOT-INF/lib/inner{i}.jar"))
        .collect();
    let jars: Vec<(&str, &[u8])> = jar_names
        .iter()
        .map(|name| (name.as_str(), inner.as_slice()))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.jar"), wheel(&jars)).unwrap();
    let (report, exit) = json_scan(dir.path(), &[]);
    assert!((0..=2).contains(&exit));
    let reported = common::artifacts(&report)
        .iter()
        .filter(|a| {
            a["path"]
                .as_str()
                .is_some_and(|p| p.starts_with("app.jar!/"))
        })
        .count();
    assert!(reported <= 10_000 + MEMBERS, "{reported} members reported");
    let rest = member_findings(&report, "app.jar", "MC001");
    assert!(
        rest.iter()
            .any(|m| m.contains("1 of its 4 nested jars were not read")),
        "{rest:?}"
    );
}
