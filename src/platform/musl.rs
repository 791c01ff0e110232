//! musl's dynamic loader, as data: where it lives per architecture, the
//! relocation types it handles, the library names it reserves for itself,
//! the sonames gcompat installs, and the exact messages it prints
//! (`ldso/dynlink.c`). Embedded from `data/musl/` and `data/gcompat/`.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::model::Arch;

use super::tables::rows;

const LOADER_PATHS: &str = include_str!("../../data/musl/musl-ldso-loader-paths.tsv");
const RELOCATION_TYPES: &str = include_str!("../../data/musl/musl-reloc-types.tsv");
const RESERVED_NAMES: &str = include_str!("../../data/musl/musl-reserved-libnames.tsv");
const MESSAGES: &str = include_str!("../../data/musl/musl-ldso-messages.tsv");
const GCOMPAT_FILES: &str = include_str!("../../data/gcompat/gcompat-alpine-package-files.tsv");

/// Alpine's name for an architecture, as the data tables key it.
fn alpine_arch(arch: Arch) -> Option<&'static str> {
    Some(match arch {
        Arch::X86_64 => "x86_64",
        Arch::Aarch64 => "aarch64",
        Arch::I686 => "x86",
        Arch::Armv7 => "armv7",
        Arch::Ppc64le => "ppc64le",
        Arch::Ppc64 => "ppc64",
        Arch::S390x => "s390x",
        Arch::Riscv64 => "riscv64",
        Arch::Loongarch64 => "loongarch64",
        Arch::Other(_) => return None,
    })
}

/// musl's loader path (`PT_INTERP` of a musl executable) for `arch`.
pub fn interpreter(arch: Arch) -> Option<&'static str> {
    let wanted = alpine_arch(arch)?;
    rows(LOADER_PATHS)
        .find(|row| row.first() == Some(&wanted))
        .and_then(|row| row.get(2).copied())
}

/// Where musl's loader looks for a library named without a slash, after the
/// RPATH/RUNPATH directories (`ldso/dynlink.c`: `env_path`, then
/// `/etc/ld-musl-$(LDSO_ARCH).path`, else `sys_path`).
pub fn search_path_description(arch: Arch) -> String {
    let ldso_arch = alpine_arch(arch).and_then(|wanted| {
        rows(LOADER_PATHS)
            .find(|row| row.first() == Some(&wanted))
            .and_then(|row| row.get(1).copied())
    });
    format!(
        "musl searches LD_LIBRARY_PATH, then /etc/ld-musl-{}.path or, without it, /lib:/usr/local/lib:/usr/lib",
        ldso_arch.unwrap_or("ARCH")
    )
}

/// Whether `interpreter` names a musl loader (of any architecture).
pub fn is_musl_interpreter(interpreter: &str) -> bool {
    interpreter.contains("/ld-musl-")
}

/// The relocation types musl's loader handles on `arch` (`arch/*/reloc.h`);
/// `None` where muslcheck has no table.
pub fn handled_relocation_types(arch: Arch) -> Option<&'static [u32]> {
    static TABLE: OnceLock<HashMap<&'static str, Vec<u32>>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        rows(RELOCATION_TYPES)
            .filter_map(|row| {
                let arch = *row.first()?;
                // `R_X86_64_GLOB_DAT(6)` → 6.
                let types = row
                    .get(1)?
                    .split_whitespace()
                    .filter_map(|name| name.split_once('(')?.1.strip_suffix(')')?.parse().ok())
                    .collect();
                Some((arch, types))
            })
            .collect()
    });
    table.get(alpine_arch(arch)?).map(Vec::as_slice)
}

/// Sonames musl's loader maps to itself (`reserved[]` in `load_library`):
/// `libc.so.6`, `libm.so.6`, `libpthread.so.0` … never fail to load.
pub fn is_reserved_name(soname: &str) -> bool {
    static PREFIXES: OnceLock<Vec<&'static str>> = OnceLock::new();
    PREFIXES
        .get_or_init(|| {
            rows(RESERVED_NAMES)
                .filter_map(|row| row.first().copied())
                .collect()
        })
        .iter()
        .any(|prefix| soname.starts_with(prefix))
}

/// Sonames that load on Alpine only through gcompat (its loader stubs and
/// the `libgcompat.so.0` symlinks musl does not reserve), for any architecture.
pub fn is_gcompat_soname(soname: &str) -> bool {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES
        .get_or_init(|| {
            rows(GCOMPAT_FILES)
                .filter_map(|row| row.first()?.rsplit('/').next())
                .collect()
        })
        .contains(&soname)
}

/// gcompat's loader stubs (`ld-linux-x86-64.so.2` and its `/lib64/`
/// link): static-pie programs that exec musl's loader with libgcompat
/// preloaded. Needed by name as a library, one defines nothing.
pub fn is_gcompat_loader_stub(soname: &str) -> bool {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES
        .get_or_init(|| {
            let rows: Vec<Vec<&'static str>> = rows(GCOMPAT_FILES).collect();
            let stubs: Vec<&'static str> = rows
                .iter()
                .filter(|row| row.get(2).is_some_and(|what| what.contains("loader stub")))
                .filter_map(|row| row.first()?.rsplit('/').next())
                .collect();
            let links = rows.iter().filter(|row| {
                row.get(1) == Some(&"symlink")
                    && row
                        .get(2)
                        .and_then(|target| target.rsplit('/').next())
                        .is_some_and(|target| stubs.contains(&target))
            });
            let mut names = stubs.clone();
            names.extend(links.filter_map(|row| row.first()?.rsplit('/').next()));
            names
        })
        .contains(&soname)
}

/// A message musl's loader prints, by its id in `musl-ldso-messages.tsv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoaderMessage {
    /// `Error relocating %s: %s: symbol not found` (object, symbol).
    SymbolNotFound,
    /// `Error loading shared library %s: %m (needed by %s)` (library, needer).
    LibraryNotFound,
    /// `Error relocating %s: unsupported relocation type %d` (object, type).
    UnsupportedRelocation,
}

impl LoaderMessage {
    fn id(self) -> &'static str {
        match self {
            LoaderMessage::SymbolNotFound => "sym_not_found",
            LoaderMessage::LibraryNotFound => "lib_not_found",
            LoaderMessage::UnsupportedRelocation => "unsupported_reloc",
        }
    }

    /// The line the loader prints, with `args` in place of `%s`/`%d` and
    /// ENOENT's text for `%m`.
    pub fn format(self, args: &[&str]) -> String {
        self.format_with_error(args, "No such file or directory")
    }

    /// The line the loader prints, with `args` in place of `%s`/`%d` and
    /// `error` (strerror's text) for `%m`.
    pub fn format_with_error(self, args: &[&str], error: &str) -> String {
        static FORMATS: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
        let formats = FORMATS.get_or_init(|| {
            rows(MESSAGES)
                .filter_map(|row| Some((*row.first()?, *row.get(1)?)))
                .collect()
        });
        let format = formats.get(self.id()).copied().unwrap_or("%s");
        printf(format, args, error)
    }
}

/// The subset of printf the loader's messages use: `%s`, `%d`, `%m`
/// (`error`).
fn printf(format: &str, args: &[&str], error: &str) -> String {
    let mut out = String::with_capacity(format.len() + 64);
    let mut args = args.iter();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('s' | 'd') => out.push_str(args.next().copied().unwrap_or("")),
            Some('m') => out.push_str(error),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loader_facts_come_from_the_tables() {
        assert_eq!(interpreter(Arch::X86_64), Some("/lib/ld-musl-x86_64.so.1"));
        assert_eq!(
            interpreter(Arch::Aarch64),
            Some("/lib/ld-musl-aarch64.so.1")
        );
        assert_eq!(interpreter(Arch::Armv7), Some("/lib/ld-musl-armhf.so.1"));
        let x86_64 = handled_relocation_types(Arch::X86_64).unwrap_or_default();
        assert_eq!(x86_64, [0, 1, 2, 5, 6, 7, 8, 16, 17, 18, 36]);
        assert!(!x86_64.contains(&37), "IRELATIVE is refused");
        let aarch64 = handled_relocation_types(Arch::Aarch64).unwrap_or_default();
        assert!(aarch64.contains(&1026) && !aarch64.contains(&1032));
        assert_eq!(handled_relocation_types(Arch::S390x), None);
    }

    #[test]
    fn reserved_and_gcompat_names() {
        for name in [
            "libc.so.6",
            "libm.so.6",
            "libpthread.so.0",
            "libdl.so.2",
            "libc.musl-x86_64.so.1",
        ] {
            assert!(is_reserved_name(name), "{name}");
        }
        for name in [
            "libcrypt.so.1",
            "libresolv.so.2",
            "libcrypto.so.3",
            "libmvec.so.1",
        ] {
            assert!(!is_reserved_name(name), "{name}");
        }
        for name in [
            "ld-linux-x86-64.so.2",
            "ld-linux-aarch64.so.1",
            "libcrypt.so.1",
            "libresolv.so.2",
            "libgcompat.so.0",
            "ld64.so.2",
        ] {
            assert!(is_gcompat_soname(name), "{name}");
        }
        for name in [
            "libanl.so.1",
            "libnsl.so.1",
            "libmvec.so.1",
            "libstdc++.so.6",
        ] {
            assert!(!is_gcompat_soname(name), "{name}");
        }
        for stub in ["ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "ld64.so.2"] {
            assert!(is_gcompat_loader_stub(stub), "{stub}");
        }
        for library in ["libcrypt.so.1", "libresolv.so.2", "libgcompat.so.0"] {
            assert!(!is_gcompat_loader_stub(library), "{library}");
        }
    }

    #[test]
    fn messages_are_musls_own() {
        assert_eq!(
            LoaderMessage::SymbolNotFound.format(&["./a.so", "memcpy"]),
            "Error relocating ./a.so: memcpy: symbol not found"
        );
        assert_eq!(
            LoaderMessage::LibraryNotFound.format(&["libfoo.so.1", "./a.so"]),
            "Error loading shared library libfoo.so.1: No such file or directory (needed by ./a.so)"
        );
        assert_eq!(
            LoaderMessage::UnsupportedRelocation.format(&["./a.so", "37"]),
            "Error relocating ./a.so: unsupported relocation type 37"
        );
    }
}
