//! File names that prove a file is not ELF, so it need not be opened.
//!
//! A closed list: source, documentation, data and media formats that an ELF
//! file is never named as. `.so`, `.node`, `.bin`, files without an extension
//! and anything not listed here are sniffed. `--all-files` turns the list off.

use std::ffi::OsStr;

/// Extensions (lower case, without the dot) skipped without opening the file.
pub const TEXT_EXTENSIONS: &[&str] = &[
    // JavaScript and TypeScript
    "js",
    "mjs",
    "cjs",
    "jsx",
    "ts",
    "mts",
    "cts",
    "tsx",
    "map",
    "flow",
    "coffee",
    "vue",
    "svelte",
    // Python sources and bytecode
    "py",
    "pyi",
    "pyc",
    "pyo",
    "pyx",
    "pxd",
    "pth",
    "pxi",
    "pyf",
    "ipynb",
    // Fortran sources (SciPy and NumPy ship thousands)
    "f",
    "for",
    "f77",
    "f90",
    "f95",
    "f03",
    "f08", // C, C++ and other sources and headers
    "c",
    "h",
    "cc",
    "cpp",
    "cxx",
    "hh",
    "hpp",
    "hxx",
    "rs",
    "go",
    "java",
    "rb",
    "pl",
    "pm",
    "php",
    "sh",
    "bash",
    "zsh",
    "fish",
    "ps1",
    "bat",
    "cmd", // documents
    "md",
    "markdown",
    "rst",
    "txt",
    "adoc",
    "html",
    "htm",
    "css",
    "scss",
    "sass",
    "less",
    "pdf",
    "rtf", // data and configuration
    "json",
    "json5",
    "jsonc",
    "yml",
    "yaml",
    "toml",
    "ini",
    "cfg",
    "conf",
    "xml",
    "csv",
    "tsv",
    "lock",
    "properties",
    "env",
    "gyp",
    "gypi",
    "cmake",
    "in",
    "am",
    "mk",
    "patch",
    "diff",
    "typed",
    "record",
    "xsl",
    "xslt",
    "rng",
    "tpl",
    "sql",
    "proto",
    "po",
    "pem",
    // array and model data, WebAssembly (its own magic)
    "npy",
    "npz",
    "pkl",
    "pickle",
    "wasm", // media and fonts
    "svg",
    "png",
    "jpg",
    "jpeg",
    "gif",
    "ico",
    "webp",
    "avif",
    "bmp",
    "tif",
    "tiff",
    "woff",
    "woff2",
    "ttf",
    "otf",
    "eot",
    "mp3",
    "mp4",
    "wav",
    "ogg",
    "webm",
];

/// Whether a directory's name alone proves that nothing in it is loaded:
/// CPython's import system writes only bytecode (`*.pyc`) to `__pycache__`
/// (PEP 3147) and never loads an extension module from it. A library a
/// scanned file needs from there is still searched for, and found missing.
pub fn dir_name_proves_no_elf(name: &OsStr) -> bool {
    name == "__pycache__"
}

/// Whether the file's name alone proves it is not ELF.
pub fn name_proves_text(name: &OsStr) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    let Some((stem, extension)) = name.rsplit_once('.') else {
        return false;
    };
    if stem.is_empty() || extension.len() > 10 {
        return false;
    }
    let lower = extension.to_ascii_lowercase();
    TEXT_EXTENSIONS.contains(&lower.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_bytecode_caches_only() {
        assert!(dir_name_proves_no_elf(OsStr::new("__pycache__")));
        for maybe_code in ["pycache", "__pycache__.d", "lib", "_cython", ".libs"] {
            assert!(
                !dir_name_proves_no_elf(OsStr::new(maybe_code)),
                "{maybe_code}"
            );
        }
    }

    #[test]
    fn skips_text_names_only() {
        for text in [
            "index.js",
            "README.md",
            "types.d.ts",
            "x.PY",
            "package.json",
            "lapack.f90",
            "weights.npy",
        ] {
            assert!(name_proves_text(OsStr::new(text)), "{text}");
        }
        for maybe_elf in [
            "_ext.cpython-312-x86_64-linux-gnu.so",
            "addon.node",
            "libz.so.1",
            "esbuild",
            ".js",
            "libfoo.so.1.2.txt-not",
        ] {
            assert!(!name_proves_text(OsStr::new(maybe_elf)), "{maybe_elf}");
        }
    }
}
