//! Host processes: a Python extension, a Node addon or a JNI library is loaded
//! into a running interpreter that already provides some of its symbols.
//!
//! The host is decided from the file's own exports and name, and for a
//! library nothing in the tree needs, from the interpreter package it belongs
//! to; the evidence says which fact decided it.

use std::collections::HashSet;

use crate::model::{Arch, Ecosystem, ElfFacts, ElfType, Host, HostKind};
use crate::platform::SymbolTables;

use super::TreeFile;

/// Whether the host process provides `symbol`.
pub fn provides(host: &Host, symbol: &str) -> bool {
    match host.kind {
        HostKind::Cpython => symbol.starts_with("Py") || symbol.starts_with("_Py"),
        HostKind::Node => {
            // Node's own API, V8's (with its inspector and cppgc), and the
            // libraries every Node build has in the process: bundled and
            // exported by nodejs.org's builds, linked by distributions' (Alpine's
            // nodejs needs libssl.so.3, libcrypto.so.3, libuv, libcares, libnghttp2).
            const PREFIXES: &[&str] = &[
                "napi_",
                "node_api_",
                "uv_",
                "_ZN2v8",
                "_ZNK2v8",
                "_ZN12v8_inspector",
                "_ZNK12v8_inspector",
                "_ZN6cppgc",
                "_ZNK6cppgc",
                "_ZN4node",
                "_ZNK4node",
                "ares_",
                "nghttp2_",
                "SSL_",
                "TLS_",
                "DTLS_",
                "EVP_",
                "OPENSSL_",
                "CRYPTO_",
                "ERR_",
                "BIO_",
                "X509_",
                "PEM_",
                "BN_",
                "OSSL_",
            ];
            PREFIXES.iter().any(|p| symbol.starts_with(p)) || symbol == "node_module_register"
        }
        HostKind::Jvm => {
            symbol.starts_with("JNI_") || symbol.starts_with("JVM_") || symbol.starts_with("jio_")
        }
        HostKind::Ruby => symbol.starts_with("rb_") || symbol.starts_with("ruby_"),
        HostKind::Perl => ["Perl_", "PL_", "PerlIO", "perl_"]
            .iter()
            .any(|p| symbol.starts_with(p)),
        // The backend's names have no prefix (`palloc`, `_bt_search`): any
        // name that is not the C library's (checked against the target's
        // libc), the compiler runtime's (`__*`, `_Unwind_*`, `_ITM_*`) or
        // C++ (`_Z*`, libstdc++'s).
        HostKind::Postgres => {
            !["__", "_Z", "_Unwind_", "_ITM_"]
                .iter()
                .any(|p| symbol.starts_with(p))
                && SymbolTables::for_arch(Arch::X86_64)
                    .glibc_symbol(symbol)
                    .is_none()
        }
    }
}

/// The exports naming a host's entry point, each the alphabetically first
/// of several (whatever order exports are kept in): read in one pass, as a
/// large library exports thousands of names and has none of them.
#[derive(Debug, Default, PartialEq, Eq)]
struct EntryPoints<'f> {
    cpython: Option<&'f str>,
    node: Option<&'f str>,
    jvm: Option<&'f str>,
    /// `Init_*`, an entry point only with Ruby's API among the imports.
    ruby: Option<&'f str>,
    /// `boot_*`, an entry point only with Perl's API among the imports.
    perl: Option<&'f str>,
}

impl<'f> EntryPoints<'f> {
    fn among(exports: impl Iterator<Item = &'f str>) -> Self {
        let mut entries = EntryPoints::default();
        for name in exports {
            let kind = if name.starts_with("PyInit_") {
                &mut entries.cpython
            } else if name == "napi_register_module_v1"
                || name.starts_with("node_register_module_v")
            {
                &mut entries.node
            } else if name == "JNI_OnLoad" || name.starts_with("Java_") {
                &mut entries.jvm
            } else if name.starts_with("Init_") {
                &mut entries.ruby
            } else if name.starts_with("boot_") {
                &mut entries.perl
            } else {
                continue;
            };
            if kind.is_none_or(|first| name < first) {
                *kind = Some(name);
            }
        }
        entries
    }
}

/// Decides which host process loads the file, if any. A program (ET_EXEC,
/// or with an interpreter) is started, not loaded: `python3.11` exports
/// `Py*` and its built-in modules' `PyInit_*`, and is the host itself —
/// unless its name says it is a module (a module never has an interpreter,
/// but the name decides for one that does).
pub fn detect(file_name: &str, facts: &ElfFacts) -> Option<Host> {
    let named_as_module = file_name.ends_with(".node") || is_python_extension_name(file_name);
    if facts.is_executable() && !named_as_module {
        return None;
    }
    let host = |kind, evidence: String| {
        Some(Host {
            kind,
            evidence,
            loaded_by: None,
            foreign_library: false,
        })
    };
    let entries = EntryPoints::among(facts.exports.iter());
    if let Some(init) = entries.cpython {
        return host(HostKind::Cpython, format!("exports {init}"));
    }
    if let Some(register) = entries.node {
        return host(HostKind::Node, format!("exports {register}"));
    }
    if let Some(jni) = entries.jvm {
        return host(HostKind::Jvm, format!("exports {jni}"));
    }
    // `Init_<name>` is what `require` calls; the interpreter's own API
    // (`rb_*`) among the imports tells it from other `Init_` exports.
    if let Some(init) = entries.ruby
        && facts
            .required_symbols
            .iter()
            .any(|s| s.name.starts_with("rb_"))
    {
        return host(HostKind::Ruby, format!("exports {init} and imports rb_*"));
    }
    // `boot_<Module>` is what DynaLoader calls; the interpreter's API among
    // the imports tells it from other `boot_` exports.
    if let Some(boot) = entries.perl
        && facts
            .required_symbols
            .iter()
            .any(|s| s.name.starts_with("Perl_") || s.name.starts_with("PL_"))
    {
        return host(HostKind::Perl, format!("exports {boot} and imports Perl_*"));
    }
    // PG_MODULE_MAGIC's function, which the server checks before anything.
    if facts.exports_symbol("Pg_magic_func") {
        return host(HostKind::Postgres, "exports Pg_magic_func".to_string());
    }
    if file_name.ends_with(".node") {
        return host(HostKind::Node, "file name ends in .node".to_string());
    }
    if is_python_extension_name(file_name) {
        return host(
            HostKind::Cpython,
            format!("file name {file_name} is an extension-module name"),
        );
    }
    None
}

/// A shared library of an installed Python or npm package that no file of
/// the tree needs is loaded into the interpreter's process by the
/// interpreter itself: CPython's ctypes or cffi, or a bundled library's
/// plugin loader; in Node, an FFI (koffi, ffi-napi) or SQLite's
/// `load_extension` (sqlite-vec's `vec0.so`). Its host is that interpreter,
/// what it loads is loaded in its process, found through its RPATH too
/// (tree_sitter_languages' `languages.so` loads its bundled libstdc++, whose
/// libgcc_s only that RPATH finds), and it has the names the interpreter's
/// program links (glibc's libm for `vec0.so`'s sqrt under node).
pub fn foreign_library(file: &TreeFile, needed: &HashSet<&str>) -> Option<Host> {
    let facts = file.facts;
    let library = facts.elf_type == ElfType::Dyn && facts.is_loadable() && !facts.is_executable();
    let named = |name: &str| needed.contains(name);
    let needed_by_the_tree = named(file.file_name()) || facts.soname.as_deref().is_some_and(named);
    if !library || needed_by_the_tree {
        return None;
    }
    let (kind, evidence) = match file.ecosystem? {
        Ecosystem::Pypi => (
            HostKind::Cpython,
            "a library of a Python package that no file of the tree needs: the \
             interpreter's process loads it (ctypes, cffi, or a bundled library's \
             plugin loader)",
        ),
        Ecosystem::Npm => (
            HostKind::Node,
            "a library of an npm package that no file of the tree needs: Node's \
             process loads it (an FFI, an addon's dlopen, SQLite's load_extension)",
        ),
        _ => return None,
    };
    Some(Host {
        kind,
        evidence: evidence.to_string(),
        loaded_by: None,
        foreign_library: true,
    })
}

/// `_ext.cpython-312-x86_64-linux-gnu.so`, `_ext.abi3.so`, `_ext.pypy310-pp73-x86_64-linux-gnu.so`.
fn is_python_extension_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".so") else {
        return false;
    };
    stem.contains(".cpython-")
        || stem.ends_with(".abi3")
        || stem.contains(".pypy")
        || stem.ends_with("-linux-gnu")
        || stem.ends_with("-linux-musl")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_names() {
        assert!(is_python_extension_name(
            "_ext.cpython-312-x86_64-linux-gnu.so"
        ));
        assert!(is_python_extension_name("_rust.abi3.so"));
        assert!(is_python_extension_name(
            "x.cpython-311-x86_64-linux-musl.so"
        ));
        assert!(!is_python_extension_name("libfoo.so"));
        assert!(!is_python_extension_name("libfoo.so.1"));
    }

    #[test]
    fn entry_points_are_each_the_alphabetically_first_of_their_kind() {
        let exports = [
            "PyInit_zeta",
            "Init_b",
            "deflate",
            "Java_org_x_Y_run",
            "PyInit_alpha",
            "JNI_OnLoad",
            "boot_Foo",
            "node_register_module_v115",
            "Init_a",
            "napi_register_module_v1",
            "Init_c",
            "PyInit_",
            "PyInitializer",
        ];
        assert_eq!(
            EntryPoints::among(exports.into_iter()),
            EntryPoints {
                cpython: Some("PyInit_"),
                node: Some("napi_register_module_v1"),
                jvm: Some("JNI_OnLoad"),
                ruby: Some("Init_a"),
                perl: Some("boot_Foo"),
            }
        );
        assert_eq!(
            EntryPoints::among(["deflate", "Initialize"].into_iter()),
            EntryPoints::default()
        );
    }

    #[test]
    fn node_host_symbols() {
        let node = Host {
            kind: HostKind::Node,
            evidence: String::new(),
            loaded_by: None,
            foreign_library: false,
        };
        assert!(provides(&node, "napi_create_string_utf8"));
        assert!(provides(&node, "_ZN2v87Isolate7GetCurrentEv"));
        assert!(provides(&node, "uv_loop_init"));
        // isolated-vm 7's prebuilds use the inspector, which node exports.
        let inspector =
            "_ZN12v8_inspector11V8Inspector6createEPN2v87IsolateEPNS_17V8InspectorClientE";
        assert!(provides(&node, inspector));
        assert!(provides(&node, "SSL_CTX_new"));
        assert!(!provides(&node, "__memcpy_chk"));
        assert!(!provides(&node, "_ZNSt6thread6_StateD2Ev"));
    }
}
