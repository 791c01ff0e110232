//! One version type for every dotted release number muslcheck compares:
//! package versions (PEP 440 / semver release segments), glibc version nodes
//! (`GLIBC_2.17`), Alpine releases (`3.20`).

use std::cmp::Ordering;
use std::fmt;

/// The numeric release segments of a version; missing segments count as 0,
/// so `1.25` == `1.25.0`. Pre-release and local tags are ignored.
#[derive(Debug, Clone, Default)]
pub struct Version(Vec<u64>);

impl Version {
    /// `1.24.4`, `v2.0`, `2.0.0rc1` (→ 2.0.0). A part without leading digits counts as 0.
    pub fn release(text: &str) -> Version {
        Version(release_segments(text).collect())
    }

    /// `Version::release(a).cmp(&Version::release(b))` without building
    /// either: a package index page compares thousands of file names' versions.
    pub fn compare_releases(a: &str, b: &str) -> Ordering {
        let (mut a, mut b) = (release_segments(a), release_segments(b));
        loop {
            match (a.next(), b.next()) {
                (None, None) => return Ordering::Equal,
                (x, y) => match x.unwrap_or(0).cmp(&y.unwrap_or(0)) {
                    Ordering::Equal => {}
                    unequal => return unequal,
                },
            }
        }
    }

    /// A version node such as `GLIBC_2.17` or `GLIBCXX_3.4.30`: its prefix
    /// (`GLIBC_`) and version, when every segment is a number.
    pub fn node(node: &str) -> Option<(&str, Version)> {
        let split = node.find(|c: char| c.is_ascii_digit())?;
        let (prefix, digits) = node.split_at(split);
        let parts = digits
            .split('.')
            .map(|part| part.parse().ok())
            .collect::<Option<Vec<u64>>>()?;
        Some((prefix, Version(parts)))
    }

    /// A `GLIBC_x.y[.z]` node's version.
    pub fn glibc_node(node: &str) -> Option<Version> {
        Version::node(node)
            .filter(|(prefix, _)| *prefix == "GLIBC_")
            .map(|(_, v)| v)
    }

    /// Orders version node names: by prefix, then numerically
    /// (`GLIBC_2.2.5` < `GLIBC_2.17` < `GLIBC_2.34`), then as text.
    pub fn cmp_nodes(a: &str, b: &str) -> Ordering {
        Version::node_order(a).cmp(&Version::node_order(b))
    }

    /// What [`Version::cmp_nodes`] orders a node name by, for sorting many
    /// names with each one's key made once (`sort_by_cached_key`).
    pub fn node_order(node: &str) -> (&str, Version, &str) {
        let split = node
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(node.len());
        let (prefix, digits) = node.split_at(split);
        (prefix, Version::release(digits), node)
    }

    /// The segment at `index` (0 when absent).
    pub fn segment(&self, index: usize) -> u64 {
        self.0.get(index).copied().unwrap_or(0)
    }
}

/// The numeric segments of a release, as [`Version::release`] reads them.
fn release_segments(text: &str) -> impl Iterator<Item = u64> + '_ {
    text.trim_start_matches('v').split('.').map(|part| {
        let end = part
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(part.len());
        part.get(..end).and_then(|d| d.parse().ok()).unwrap_or(0)
    })
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let len = self.0.len().max(other.0.len());
        (0..len)
            .map(|i| self.segment(i).cmp(&other.segment(i)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u64::to_string).collect();
        f.write_str(&parts.join("."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn less(a: &str, b: &str) -> bool {
        let built = Version::release(a) < Version::release(b);
        assert_eq!(
            built,
            Version::compare_releases(a, b) == Ordering::Less,
            "{a} < {b}: compared in place as when built"
        );
        built
    }

    #[test]
    fn release_ordering() {
        assert!(less("1.24.4", "1.25.0"));
        assert!(!less("1.25", "1.25.0") && !less("1.25.0", "1.25"));
        assert!(less("1.9", "1.10"));
        assert!(!less("2.0.0rc1", "1.99"));
        assert!(less("2021.9.1", "2021.11.10"));
        assert!(less("3.9", "3.20"));
    }

    #[test]
    fn version_nodes() {
        let key = |n: &str| Version::glibc_node(n);
        assert!(key("GLIBC_2.17") > key("GLIBC_2.2.5"));
        assert!(key("GLIBC_2.34") > key("GLIBC_2.17"));
        assert_eq!(key("GLIBC_PRIVATE"), None);
        assert_eq!(key("GLIBCXX_3.4"), None);
        let mut nodes = vec![
            "GLIBC_2.34",
            "GLIBC_PRIVATE",
            "GLIBC_2.2.5",
            "GLIBC_2.17",
            "GLIBC_2.3.4",
        ];
        nodes.sort_by(|a, b| Version::cmp_nodes(a, b));
        assert_eq!(
            nodes,
            [
                "GLIBC_2.2.5",
                "GLIBC_2.3.4",
                "GLIBC_2.17",
                "GLIBC_2.34",
                "GLIBC_PRIVATE"
            ]
        );
        assert_eq!(
            Version::node("GLIBCXX_3.4.30").map(|(p, v)| (p, v.to_string())),
            Some(("GLIBCXX_", "3.4.30".to_string()))
        );
    }
}
