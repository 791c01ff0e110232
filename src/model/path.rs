//! Paths as the report shows them: relative to the scanned root, and for a
//! member of an archive, `archive!/member` (nested: `a.jar!/lib/b.jar!/x.so`).
//! The `!/` convention is written and read here only.
//!
//! Names become text here too ([`ReportPath::text_of`]), losslessly: a name
//! that is not valid UTF-8 keeps its bytes as `\xNN`, and a backslash is
//! written `\\`, so two different names never share a path (or a baseline
//! fingerprint).
//!
//! Also the locations the loader model looks files up by: a member's location
//! is its archive's location, then [`ARCHIVE_ROOT`], then the member's path
//! inside the archive. Members are names inside their archive: nothing on
//! disk can name one, and no member can name anything outside its archive.

use std::ffi::OsStr;
use std::fmt;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// A path in the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReportPath(String);

impl ReportPath {
    /// Separates an archive's path from a member's name inside it.
    pub const SEPARATOR: &'static str = "!/";

    /// A file on disk, as shown (relative to the scanned root).
    pub fn file(shown: impl Into<String>) -> ReportPath {
        ReportPath(shown.into())
    }

    /// A file-system name or path, or an archive member's name, as report
    /// text: valid UTF-8 as it is but for `\` written `\\`; every byte that is
    /// not part of valid UTF-8 written `\xNN`. Different bytes never give the
    /// same text; [`ReportPath::bytes_of`] gives them back.
    pub fn text_of(bytes: &[u8]) -> String {
        let mut text = String::with_capacity(bytes.len());
        for chunk in bytes.utf8_chunks() {
            for c in chunk.valid().chars() {
                if c == '\\' {
                    text.push_str("\\\\");
                } else {
                    text.push(c);
                }
            }
            for byte in chunk.invalid() {
                let _ = write!(text, "\\x{byte:02x}");
            }
        }
        text
    }

    /// The bytes of the name [`ReportPath::text_of`] wrote as `text`.
    pub fn bytes_of(text: &str) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(text.len());
        let mut rest = text;
        while let Some(at) = rest.find('\\') {
            let (before, escape) = rest.split_at(at);
            bytes.extend_from_slice(before.as_bytes());
            let hex = escape
                .get(2..4)
                .filter(|hex| {
                    escape.as_bytes().get(1) == Some(&b'x')
                        && hex.bytes().all(|b| b.is_ascii_hexdigit())
                })
                .and_then(|hex| u8::from_str_radix(hex, 16).ok());
            if let Some(byte) = hex {
                bytes.push(byte);
                rest = escape.get(4..).unwrap_or("");
            } else {
                // `\\` is one backslash; a lone one (not written by text_of) is kept.
                bytes.push(b'\\');
                let skip = if escape.starts_with("\\\\") { 2 } else { 1 };
                rest = escape.get(skip..).unwrap_or("");
            }
        }
        bytes.extend_from_slice(rest.as_bytes());
        bytes
    }

    /// `member` inside the archive at `self`.
    pub fn member(&self, member: &str) -> ReportPath {
        ReportPath(format!("{}{}{member}", self.0, Self::SEPARATOR))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The file on disk that holds this path: itself, or the outermost archive.
    pub fn outer_file(&self) -> &str {
        self.0.split(Self::SEPARATOR).next().unwrap_or(&self.0)
    }

    /// The innermost name: the member's name inside its archive, or the path itself.
    pub fn innermost(&self) -> &str {
        self.0.rsplit(Self::SEPARATOR).next().unwrap_or(&self.0)
    }

    /// Whether this names a member of an archive.
    pub fn is_member(&self) -> bool {
        self.0.contains(Self::SEPARATOR)
    }

    /// The path's `/`-separated parts, across archive boundaries.
    pub fn parts(&self) -> impl Iterator<Item = &str> {
        self.0.split(['/', '!']).filter(|part| !part.is_empty())
    }
}

impl fmt::Display for ReportPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for ReportPath {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl AsRef<str> for ReportPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The component between an archive's location and a member's path in a
/// member's location: a NUL byte, which no path on disk and no ELF string
/// (NUL-terminated) can hold, so that nothing outside the archive can name a
/// member. Member names holding a NUL are refused before they get here.
pub const ARCHIVE_ROOT: &str = "\0";

/// The location of the member at `path` (relative, `..` already folded)
/// inside the archive at `archive`.
pub fn member_location(archive: &Path, path: &str) -> PathBuf {
    archive.join(ARCHIVE_ROOT).join(path)
}

/// Whether a location's component is an archive's root.
pub fn is_archive_root(component: &OsStr) -> bool {
    component == ARCHIVE_ROOT
}

/// The part of a location that is on disk: the location itself for a file,
/// the (outermost) archive for a member.
pub fn on_disk(location: &Path) -> &Path {
    let mut disk = location;
    for ancestor in location.ancestors() {
        if ancestor.file_name().is_some_and(is_archive_root) {
            disk = ancestor.parent().unwrap_or(ancestor);
        }
    }
    disk
}

/// The root of the outermost archive `location` is in (`image/\0` for a
/// member of a container image: the image's `/`), if any.
pub fn outermost_archive_root(location: &Path) -> Option<&Path> {
    location
        .ancestors()
        .filter(|ancestor| ancestor.file_name().is_some_and(is_archive_root))
        .last()
}

/// A location as messages show it: `archive!/member` for a member.
pub fn display_location(location: &Path) -> String {
    let mut shown = String::new();
    for component in location.components() {
        let part = component.as_os_str();
        if is_archive_root(part) {
            shown.push('!');
            continue;
        }
        if !(shown.is_empty() || shown.ends_with('/')) {
            shown.push('/');
        }
        shown.push_str(&ReportPath::text_of(part.as_encoded_bytes()));
    }
    shown
}

/// A hash of each leading part of the path `bytes` that is an ancestor of it or
/// itself (ending before a `/`, or at the end; `/` for the root), with its
/// length in bytes: one pass, each byte hashed once (FNV-1a). Equal paths
/// written alike hash alike, so a set of these finds an ancestor without
/// hashing (or copying) each ancestor whole.
pub fn prefix_hashes(bytes: &[u8]) -> impl Iterator<Item = (usize, u64)> + '_ {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;
    let mut hash = OFFSET;
    let mut at = 0;
    std::iter::from_fn(move || {
        while let Some(&byte) = bytes.get(at) {
            let ends_before = byte == b'/' && at > 0;
            let root = at == 1 && bytes.first() == Some(&b'/');
            let prefix = (ends_before || root).then_some((at, hash));
            hash = (hash ^ u64::from(byte)).wrapping_mul(PRIME);
            at += 1;
            if prefix.is_some() {
                return prefix;
            }
        }
        if at == bytes.len() && !bytes.is_empty() {
            at += 1;
            return Some((bytes.len(), hash));
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_hashes_name_every_ancestor_once() {
        let whole = |path: &str| prefix_hashes(path.as_bytes()).last().unwrap();
        let prefixes: Vec<(usize, u64)> = prefix_hashes(b"/ab/c/d").collect();
        assert_eq!(
            prefixes,
            [
                (1, whole("/").1),
                (3, whole("/ab").1),
                (5, whole("/ab/c").1),
                (7, whole("/ab/c/d").1)
            ]
        );
        let relative: Vec<usize> = prefix_hashes(b"a/b").map(|(len, _)| len).collect();
        assert_eq!(relative, [1, 3]);
        assert_eq!(prefix_hashes(b"").count(), 0);
    }

    #[test]
    fn names_become_text_losslessly() {
        let names: [&[u8]; 7] = [
            b"lib/a.so",
            b"lib\xff.so",
            b"lib\\xff.so",
            b"lib\\\xff.so",
            "lib\u{fffd}.so".as_bytes(),
            b"lib\xfe.so",
            b"trailing\\",
        ];
        let texts: Vec<String> = names.iter().map(|n| ReportPath::text_of(n)).collect();
        assert_eq!(texts[0], "lib/a.so");
        assert_eq!(texts[1], r"lib\xff.so");
        assert_eq!(texts[2], r"lib\\xff.so");
        assert_eq!(texts[3], r"lib\\\xff.so");
        assert_eq!(texts[4], "lib\u{fffd}.so");
        for (name, text) in names.iter().zip(&texts) {
            assert_eq!(ReportPath::bytes_of(text), *name, "{text}");
        }
        let distinct: std::collections::BTreeSet<&String> = texts.iter().collect();
        assert_eq!(distinct.len(), names.len(), "{texts:?}");
    }

    #[test]
    fn member_locations_cannot_be_spelled_on_disk() {
        let archive = Path::new("/p/dist/a-1.0-py3-none-any.whl");
        let member = member_location(archive, "a/_ext.so");
        assert_ne!(
            member,
            Path::new("/p/dist/a-1.0-py3-none-any.whl!/a/_ext.so")
        );
        assert_ne!(
            member,
            Path::new("/p/dist/a-1.0-py3-none-any.whl/a/_ext.so")
        );
        assert!(member.starts_with(archive));
        assert_eq!(
            display_location(&member),
            "/p/dist/a-1.0-py3-none-any.whl!/a/_ext.so"
        );
        assert_eq!(
            display_location(member.parent().unwrap().parent().unwrap()),
            "/p/dist/a-1.0-py3-none-any.whl!"
        );
        assert_eq!(on_disk(&member), archive);
        assert_eq!(on_disk(archive), archive);
        assert_eq!(display_location(Path::new("/usr/lib")), "/usr/lib");
        assert_eq!(display_location(Path::new("lib/x")), "lib/x");
    }

    #[test]
    fn members_name_their_archive() {
        let wheel = ReportPath::file("dist/a-1.0-py3-none-any.whl");
        let member = wheel.member("a/_ext.so");
        assert_eq!(member.as_str(), "dist/a-1.0-py3-none-any.whl!/a/_ext.so");
        assert_eq!(member.outer_file(), "dist/a-1.0-py3-none-any.whl");
        assert_eq!(member.innermost(), "a/_ext.so");
        assert!(member.is_member() && !wheel.is_member());
        let nested = ReportPath::file("app.jar")
            .member("lib/b.jar")
            .member("x.so");
        assert_eq!(nested.outer_file(), "app.jar");
        assert_eq!(nested.innermost(), "x.so");
        assert_eq!(
            nested.parts().collect::<Vec<_>>(),
            ["app.jar", "lib", "b.jar", "x.so"]
        );
    }
}
