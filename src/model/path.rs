//! Paths as the report shows them: relative to the scanned root, and for a
//! member of an archive, `archive!/member` (nested: `a.jar!/lib/b.jar!/x.so`).
//! The `!/` convention is written and read here only.

use std::fmt;

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

#[cfg(test)]
mod tests {
    use super::*;

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
