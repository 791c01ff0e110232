//! Which Debian package installs a shared library under a name ld.so finds
//! on its default path, per release and architecture
//! (`data/debian/sonames.tsv`, from Debian's own Contents indexes: what
//! `apt-file search` reads). For libraries a Debian image lacks and no
//! base-image profile lists (`libatomic.so.1` is `libatomic1`).

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::model::Arch;

const SONAMES: &str = include_str!("../../data/debian/sonames.tsv");

/// Soname → (package, where: `bookworm,trixie/x86_64`), in the table's order.
type Providers = HashMap<&'static str, Vec<(&'static str, &'static str)>>;

fn providers() -> &'static Providers {
    static TABLE: OnceLock<Providers> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = Providers::default();
        for line in SONAMES.lines().filter(|line| !line.starts_with('#')) {
            let mut cells = line.split('\t');
            if let (Some(soname), Some(package), Some(releases)) =
                (cells.next(), cells.next(), cells.next())
            {
                table.entry(soname).or_default().push((package, releases));
            }
        }
        table
    })
}

/// The package of Debian `codename` (`bookworm`) that installs `soname` for
/// `arch` on the loader's default path, if one does.
pub fn debian_package(codename: &str, arch: Arch, soname: &str) -> Option<&'static str> {
    // The table is read from these two architectures' indexes only.
    if !matches!(arch, Arch::X86_64 | Arch::Aarch64) {
        return None;
    }
    let ships = |releases: &str| {
        releases
            .split(',')
            .any(|release| match release.split_once('/') {
                Some((name, only)) => name == codename && only == arch.as_str(),
                None => release == codename,
            })
    };
    providers()
        .get(soname)?
        .iter()
        .find(|(_, releases)| ships(releases))
        .map(|(package, _)| *package)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_library_is_found_in_the_release_and_architecture_that_ship_it() {
        assert_eq!(
            debian_package("bookworm", Arch::X86_64, "libatomic.so.1"),
            Some("libatomic1")
        );
        // Renamed across releases: unixODBC's library, OpenSSL's t64 transition.
        assert_eq!(
            debian_package("bullseye", Arch::X86_64, "libodbc.so.2"),
            Some("libodbc1")
        );
        assert_eq!(
            debian_package("bookworm", Arch::Aarch64, "libodbc.so.2"),
            Some("libodbc2")
        );
        assert_eq!(
            debian_package("trixie", Arch::X86_64, "libssl.so.3"),
            Some("libssl3t64")
        );
        assert_eq!(
            debian_package("bullseye", Arch::X86_64, "libssl.so.3"),
            None
        );
        // Names Debian does not ship, and releases the table does not hold.
        assert_eq!(
            debian_package("bookworm", Arch::X86_64, "libnotthere.so.1"),
            None
        );
        assert_eq!(
            debian_package("jessie", Arch::X86_64, "libatomic.so.1"),
            None
        );
        assert_eq!(
            debian_package("bookworm", Arch::S390x, "libatomic.so.1"),
            None
        );
    }
}
