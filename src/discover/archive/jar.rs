//! Jars (`.jar`, `.war`, `.ear`) read in memory like wheels: their ELF
//! members, their Maven metadata, and the jars nested one level inside them.

use std::io::{Read, Seek};

use super::{ArchiveContents, MAX_ITEMS, MemberProblem, base_name, inflate_member, zip_member};
use crate::discover::name_proves_text;

/// Largest `pom.properties` or `MANIFEST.MF` read from a jar.
const JAR_METADATA_CAP: u64 = 64 * 1024;
/// Most `pom.properties` text kept for a jar and the jars nested in it,
/// each file counted with [`POM_OVERHEAD`] more: a shaded jar's few
/// thousand (a few hundred bytes each) fit; 40,000 of 64 KiB, a 9 MB jar
/// of deflated repeats, held 2.7 GB.
const MAX_POM_TEXT: u64 = 4 * 1024 * 1024;
/// What keeping one `pom.properties` costs besides its text (an empty one
/// is not free).
const POM_OVERHEAD: u64 = 64;

/// One jar read: the outer one, or a jar nested inside it.
#[derive(Clone)]
pub struct JarPart<T> {
    /// The nested jar's path inside the outer one; `None` for the outer jar.
    pub nested_at: Option<String>,
    pub contents: ArchiveContents<T>,
    /// Every `META-INF/maven/<group>/<artifact>/pom.properties`, as text.
    pub pom_properties: Vec<String>,
    /// `META-INF/MANIFEST.MF`, as text.
    pub manifest: Option<String>,
}

/// Whether a member of a jar is a jar the application's class loader reads
/// from inside it: Spring Boot's `BOOT-INF/lib/`, a war's `WEB-INF/lib/`,
/// an ear's modules and `lib/`.
pub fn is_nested_jar(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let (dir, file) = lower.rsplit_once('/').unwrap_or(("", lower.as_str()));
    let archive = [".jar", ".war"].iter().any(|ext| file.ends_with(ext));
    archive && matches!(dir, "boot-inf/lib" | "web-inf/lib" | "lib" | "")
}

/// Reads a jar (`.jar`, `.war`, `.ear`) in memory like a wheel: its ELF
/// members, its Maven metadata, and the jars nested one level inside it
/// (read from memory, within the shared budget, never extracted).
pub fn read_jar<T>(
    archive: impl Read + Seek,
    mut analyse: impl FnMut(&[u8]) -> T,
) -> Result<Vec<JarPart<T>>, String> {
    let mut parts = Vec::new();
    // One inflate total for the jar and every jar nested in it, and one
    // total of `pom.properties` text kept.
    let mut inflated: u64 = 0;
    let mut pom_text: u64 = 0;
    read_jar_level(
        archive,
        None,
        (&mut inflated, &mut pom_text),
        &mut analyse,
        &mut parts,
    )?;
    Ok(parts)
}

/// Reads one jar into `parts`; `(inflated, pom_text)` are the totals so
/// far of the jar and the jars nested in it, updated.
fn read_jar_level<T>(
    archive: impl Read + Seek,
    nested_at: Option<String>,
    (inflated, pom_text): (&mut u64, &mut u64),
    analyse: &mut impl FnMut(&[u8]) -> T,
    parts: &mut Vec<JarPart<T>>,
) -> Result<(), String> {
    let mut zip = super::open_zip(archive)?;
    let mut part = JarPart {
        nested_at: nested_at.clone(),
        contents: ArchiveContents::default(),
        pom_properties: Vec::new(),
        manifest: None,
    };
    let mut nested: Vec<(String, String)> = Vec::new();
    for index in 0..zip.len() {
        if part.contents.over_limits() {
            break;
        }
        let Some((mut entry, name)) = zip_member(&mut zip, index, &mut part.contents.problems)
        else {
            continue;
        };
        let placed = part.contents.place(&name);
        if entry.is_dir() {
            continue;
        }
        if let Ok(path) = &placed {
            if path == "META-INF/MANIFEST.MF" {
                part.manifest = read_text(&mut entry);
                continue;
            }
            if path.starts_with("META-INF/maven/") && path.ends_with("/pom.properties") {
                // Past the total, the rest are not kept: the jar is then
                // named by its manifest or file name.
                if *pom_text < MAX_POM_TEXT
                    && let Some(text) = read_text(&mut entry)
                {
                    *pom_text += text.len() as u64 + POM_OVERHEAD;
                    part.pom_properties.push(text);
                }
                continue;
            }
            if nested_at.is_none() && is_nested_jar(path) {
                nested.push((name, path.clone()));
                continue;
            }
        }
        if name_proves_text(std::ffi::OsStr::new(base_name(&name))) {
            continue;
        }
        let declared = entry.size();
        part.contents
            .take(inflated, name, placed, declared, &mut entry, analyse);
    }
    part.contents = part.contents.finish();
    // One level of nesting, each inner jar held in memory while it is read.
    // The jar and the jars nested in it report members up to one cap
    // together: each nested jar's own would let a thousand of them hold ten
    // million. Counted as they come: summing every part read so far, once
    // per nested jar, took 11.7 s for 100,000 empty ones.
    let mut reported = part.contents.reported();
    parts.push(part);
    let nested_count = nested.len();
    for (read, (name, path)) in nested.into_iter().enumerate() {
        if reported >= MAX_ITEMS {
            if let Some(outer) = parts.first_mut() {
                outer.contents.problems.push(MemberProblem::unreadable(
                    "(the rest of the jar)".to_string(),
                    format!(
                        "more than {MAX_ITEMS} ELF or unreadable members in the jar and the jars nested in it: {} of its {nested_count} nested jars were not read",
                        nested_count - read
                    ),
                ));
            }
            break;
        }
        let before = parts.len();
        let outcome = read_nested(
            &mut zip,
            (&name, &path),
            (&mut *inflated, &mut *pom_text),
            analyse,
            parts,
        );
        reported += parts
            .get(before..)
            .unwrap_or_default()
            .iter()
            .map(|part| part.contents.reported())
            .sum::<usize>();
        if let (Err(reason), Some(outer)) = (outcome, parts.first_mut()) {
            outer
                .contents
                .problems
                .push(MemberProblem::unreadable(name, reason));
            reported += 1;
        }
    }
    Ok(())
}

fn read_nested<T, R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    (name, path): (&str, &str),
    (inflated, pom_text): (&mut u64, &mut u64),
    analyse: &mut impl FnMut(&[u8]) -> T,
    parts: &mut Vec<JarPart<T>>,
) -> Result<(), String> {
    let mut entry = zip.by_name(name).map_err(|e| e.to_string())?;
    let declared = entry.size();
    let bytes = inflate_member(inflated, declared, &[], &mut entry)?;
    drop(entry);
    read_jar_level(
        std::io::Cursor::new(&*bytes),
        Some(path.to_string()),
        (inflated, pom_text),
        analyse,
        parts,
    )
}

fn read_text(reader: &mut impl Read) -> Option<String> {
    let mut text = String::new();
    reader
        .take(JAR_METADATA_CAP)
        .read_to_string(&mut text)
        .ok()
        .map(|_| text)
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::super::tests::zip_of;
    use super::*;

    #[test]
    fn nested_jars_are_read_one_level_deep() {
        let elf: &[u8] = b"\x7fELF-not-really";
        let deeper = zip_of(&[("lib.so", elf)]);
        let inner = zip_of(&[
            (
                "META-INF/maven/g/a/pom.properties",
                b"groupId=g\nartifactId=a\nversion=1\n",
            ),
            ("linux/amd64/liba.so", elf),
            ("BOOT-INF/lib/deeper.jar", &deeper),
        ]);
        let outer = zip_of(&[
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
            ("BOOT-INF/lib/a-1.jar", &inner),
            ("BOOT-INF/classes/own.so", elf),
        ]);
        let parts = read_jar(Cursor::new(outer), |bytes| bytes.len()).unwrap();
        let nested: Vec<Option<&str>> = parts.iter().map(|p| p.nested_at.as_deref()).collect();
        assert_eq!(nested, [None, Some("BOOT-INF/lib/a-1.jar")]);
        let members = |i: usize| -> Vec<&str> {
            parts[i]
                .contents
                .members
                .iter()
                .map(|m| m.path.as_str())
                .collect()
        };
        assert_eq!(members(0), ["BOOT-INF/classes/own.so"]);
        // deeper.jar, two levels down, is neither opened nor taken for ELF.
        assert_eq!(members(1), ["linux/amd64/liba.so"]);
        assert!(parts[0].manifest.is_some());
        assert_eq!(parts[1].pom_properties.len(), 1);
    }

    #[test]
    fn nested_jar_places() {
        assert!(is_nested_jar("BOOT-INF/lib/snappy-java-1.1.10.3.jar"));
        assert!(is_nested_jar("WEB-INF/lib/x.jar"));
        assert!(is_nested_jar("lib/x.jar"));
        assert!(is_nested_jar("module.war"));
        assert!(!is_nested_jar("org/example/resources/fixture.jar"));
        assert!(!is_nested_jar("BOOT-INF/lib/readme.txt"));
    }
}
