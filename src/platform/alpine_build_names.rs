//! The Debian packages that install what Alpine's build packages do
//! (`data/debian/alpine-build-packages.tsv`): the known-problem table names
//! Alpine's (`postgresql-dev`), a Debian or Ubuntu build needs `libpq-dev`.

use std::collections::HashMap;
use std::sync::OnceLock;

const TABLE: &str = include_str!("../../data/debian/alpine-build-packages.tsv");

/// Alpine package → Debian packages (none: build-essential brings it).
fn table() -> &'static HashMap<&'static str, Vec<&'static str>> {
    static ROWS: OnceLock<HashMap<&'static str, Vec<&'static str>>> = OnceLock::new();
    ROWS.get_or_init(|| {
        TABLE
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| line.split_once('\t'))
            .map(|(alpine, debian)| (alpine, debian.split_whitespace().collect()))
            .collect()
    })
}

/// Debian's packages for Alpine's `alpine`, if the table knows it.
pub fn debian_packages(alpine: &str) -> Option<&'static [&'static str]> {
    table().get(alpine).map(Vec::as_slice)
}

/// What Alpine's `build-base` depends on: a plan installing it names none of these.
pub const IN_ALPINE_BUILD_BASE: [&str; 7] = [
    "gcc", "g++", "make", "musl-dev", "libc-dev", "binutils", "patch",
];

/// Whether Alpine's `alpine` is part of the C toolchain and Python headers
/// every target's build plan installs under its own names.
pub fn is_toolchain(alpine: &str) -> bool {
    matches!(alpine, "build-base" | "python3-dev" | "python3")
        || debian_packages(alpine).is_some_and(<[_]>::is_empty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpine_development_packages_have_their_debian_names() {
        assert_eq!(debian_packages("postgresql-dev"), Some(&["libpq-dev"][..]));
        assert_eq!(debian_packages("libxslt-dev"), Some(&["libxslt1-dev"][..]));
        assert_eq!(debian_packages("ffmpeg-dev").map(<[_]>::len), Some(7));
        // In build-essential: nothing to add.
        assert_eq!(debian_packages("musl-dev"), Some(&[][..]));
        assert_eq!(debian_packages("py3-numpy"), None);
        assert!(is_toolchain("musl-dev") && is_toolchain("python3-dev"));
        assert!(!is_toolchain("postgresql-dev") && !is_toolchain("gfortran"));
    }
}
