//! Which C library a file is built for, from its interpreter, the sonames
//! and version nodes it needs, and for a static file glibc's ABI note.

use crate::model::{Libc, LibcKind, Linkage, Version, VersionNeed};

/// A version node of bionic's libc.so: `LIBC`, or `LIBC_` and a release
/// letter or name (`LIBC_N`, `LIBC_PRIVATE`).
fn is_bionic_node(node: &str) -> bool {
    node == "LIBC"
        || node
            .strip_prefix("LIBC_")
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_uppercase()))
}

pub(super) fn libc_flavour(
    has_abi_tag: impl FnOnce() -> bool,
    interpreter: Option<&str>,
    needed: &[String],
    version_needs: &[VersionNeed],
    linkage: Linkage,
) -> Libc {
    let decided = |kind, evidence: String| Libc { kind, evidence };
    if let Some(interp) = interpreter {
        let base = interp.rsplit('/').next().unwrap_or(interp);
        if base.starts_with("ld-musl-") {
            return decided(LibcKind::Musl, format!("interpreter {interp}"));
        }
        if base.starts_with("ld-linux") || base.starts_with("ld64.so") || base == "ld.so.1" {
            return decided(LibcKind::Glibc, format!("interpreter {interp}"));
        }
        if interp.starts_with("/system/bin/linker") {
            return decided(LibcKind::Bionic, format!("interpreter {interp}"));
        }
    }
    // musl versions no symbol; bionic's libc.so gives its symbols the nodes
    // LIBC, LIBC_N, LIBC_O … (a library needs no interpreter to say so).
    if let Some(need) = version_needs.iter().find(|need| need.library == "libc.so")
        && let Some(node) = need.versions.iter().find(|v| is_bionic_node(v))
    {
        return decided(
            LibcKind::Bionic,
            format!("version need {node} from libc.so (Android's bionic)"),
        );
    }
    let musl_soname = needed
        .iter()
        .find(|n| n.starts_with("libc.musl-") || *n == "libc.so");
    // aarch64's libgcc_s names `__register_frame_info` GLIBC_2.0 on musl
    // too: with musl's soname needed, only glibc's own C library (or
    // loader) asking GLIBC_ nodes says glibc.
    let glibc_need = |need: &&VersionNeed| {
        need.versions.iter().any(|v| v.starts_with("GLIBC_"))
            && (musl_soname.is_none()
                || need.library == "libc.so.6"
                || need.library.starts_with("ld-linux"))
    };
    if let Some(need) = version_needs.iter().find(glibc_need) {
        let version = need
            .versions
            .iter()
            .filter(|v| v.starts_with("GLIBC_"))
            .max_by(|a, b| Version::cmp_nodes(a, b))
            .map(String::as_str)
            .unwrap_or("GLIBC_");
        return decided(
            LibcKind::Glibc,
            format!("version need {version} from {}", need.library),
        );
    }
    match musl_soname.map(String::as_str) {
        Some("libc.so") => {
            return decided(LibcKind::Musl, "needs libc.so (musl's soname)".to_string());
        }
        Some(name) => return decided(LibcKind::Musl, format!("needs {name}")),
        None => {}
    }
    if needed.iter().any(|n| n == "libc.so.6") {
        return decided(
            LibcKind::Glibc,
            "needs libc.so.6 (glibc's soname), without version needs".to_string(),
        );
    }
    match linkage {
        Linkage::Static | Linkage::StaticPie => {
            if has_abi_tag() {
                decided(
                    LibcKind::Glibc,
                    "statically linked; .note.ABI-tag (glibc's crt1)".to_string(),
                )
            } else {
                decided(
                    LibcKind::None,
                    "statically linked; needs no C library at run time".to_string(),
                )
            }
        }
        Linkage::None => decided(LibcKind::None, "not a loadable file".to_string()),
        Linkage::Dynamic if needed.is_empty() => decided(
            LibcKind::None,
            "dynamic, but needs no libraries".to_string(),
        ),
        Linkage::Dynamic => decided(
            LibcKind::Unknown,
            "no interpreter, no libc soname and no GLIBC_ version needs".to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_nodes_of_another_library_do_not_make_a_musl_file_glibc() {
        let need = |library: &str, version: &str| VersionNeed {
            library: library.to_string(),
            versions: vec![version.to_string()],
        };
        let flavour = |needed: &[&str], needs: &[VersionNeed]| {
            let needed: Vec<String> = needed.iter().map(|n| n.to_string()).collect();
            libc_flavour(|| false, None, &needed, needs, Linkage::Dynamic).kind
        };
        // aarch64's libgcc_s names `__register_frame_info` GLIBC_2.0 on musl too.
        let libgcc = [need("libgcc_s.so.1", "GLIBC_2.0")];
        let musl = ["libgcc_s.so.1", "libc.musl-aarch64.so.1"];
        assert_eq!(flavour(&musl, &libgcc), LibcKind::Musl);
        assert_eq!(
            flavour(&["libgcc_s.so.1", "libc.so"], &libgcc),
            LibcKind::Musl
        );
        // Without musl's soname, or with glibc's own C library asked, glibc.
        assert_eq!(flavour(&["libgcc_s.so.1"], &libgcc), LibcKind::Glibc);
        let libc6 = [need("libc.so.6", "GLIBC_2.17")];
        assert_eq!(flavour(&musl, &libc6), LibcKind::Glibc);
    }
}
