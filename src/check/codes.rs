//! Every finding code, declared once: name, default severity, summary and the
//! explanation `muslcheck explain CODE` prints.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A registered finding code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    Unreadable,
    MalformedElf,
    SpecialFile,
    SymlinkLoop,
    GlibcInterpreter,
    MissingSymbols,
    MissingLibrary,
    WrongArchitecture,
    DependencyBreaks,
    UnsupportedRelocation,
    NeedsAlpinePackage,
    UncheckedSymbols,
    NoMuslBuild,
    MuslVariantNotLocked,
    DownloadedAtInstall,
    NeedsBuildTools,
    TagTooLow,
    MusllinuxTagOnGlibc,
    ManylinuxTagOnMusl,
    ExternalLibrary,
    NoMusllinuxWheel,
    OnlyWithGcompat,
}

/// The registry entry of one code.
#[derive(Debug)]
pub struct Rule {
    pub code: Code,
    pub id: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    /// What it means on musl, an example, and the fix.
    pub explanation: &'static str,
}

impl Code {
    pub const ALL: [Code; 22] = [
        Code::Unreadable,
        Code::MalformedElf,
        Code::SpecialFile,
        Code::SymlinkLoop,
        Code::GlibcInterpreter,
        Code::MissingSymbols,
        Code::MissingLibrary,
        Code::WrongArchitecture,
        Code::DependencyBreaks,
        Code::UnsupportedRelocation,
        Code::NeedsAlpinePackage,
        Code::UncheckedSymbols,
        Code::NoMuslBuild,
        Code::MuslVariantNotLocked,
        Code::DownloadedAtInstall,
        Code::NeedsBuildTools,
        Code::TagTooLow,
        Code::MusllinuxTagOnGlibc,
        Code::ManylinuxTagOnMusl,
        Code::ExternalLibrary,
        Code::NoMusllinuxWheel,
        Code::OnlyWithGcompat,
    ];

    pub fn rule(self) -> &'static Rule {
        RULES
            .iter()
            .find(|rule| rule.code == self)
            .unwrap_or(&UNREGISTERED)
    }

    pub fn id(self) -> &'static str {
        self.rule().id
    }

    pub fn severity(self) -> Severity {
        self.rule().severity
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Code {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_uppercase();
        RULES
            .iter()
            .find(|rule| rule.id == wanted || rule.name == s.trim())
            .map(|rule| rule.code)
            .ok_or_else(|| {
                format!("unknown finding code `{s}`; `muslcheck explain --list` lists them")
            })
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

static UNREGISTERED: Rule = Rule {
    code: Code::Unreadable,
    id: "MC000",
    name: "unregistered",
    severity: Severity::Error,
    summary: "a code missing from the registry (a muslcheck bug)",
    explanation: "",
};

pub static RULES: &[Rule] = &[
    Rule {
        code: Code::Unreadable,
        id: "MC001",
        name: "unreadable-file",
        severity: Severity::Warning,
        summary: "a file could not be read, so its verdict is unknown",
        explanation: "muslcheck could not open or read this file (permissions, I/O error). \
Nothing is known about whether it loads on musl.\n\nFix: make the file readable by the user \
running muslcheck, or exclude it with --exclude if it is not part of the image.",
    },
    Rule {
        code: Code::MalformedElf,
        id: "MC002",
        name: "malformed-elf",
        severity: Severity::Warning,
        summary: "a file starts like ELF but its headers cannot be read",
        explanation: "The file begins with the ELF magic bytes but its headers are truncated or \
inconsistent. A loader would refuse it on any libc; often it is a partial download or a \
test fixture.\n\nFix: rebuild or re-download the file; exclude it if it is data.",
    },
    Rule {
        code: Code::SpecialFile,
        id: "MC003",
        name: "special-file",
        severity: Severity::Note,
        summary: "a FIFO, socket or device was met and not opened",
        explanation: "Opening a FIFO can block forever and reading a device has side effects, so \
muslcheck never opens them. They are listed so that nothing is skipped silently.",
    },
    Rule {
        code: Code::SymlinkLoop,
        id: "MC004",
        name: "symlink-loop",
        severity: Severity::Warning,
        summary: "following symlinks led back to a parent directory",
        explanation: "With --follow-symlinks, a link pointed back to one of its own ancestors. \
The loop was cut there; the rest of the tree was scanned.",
    },
    Rule {
        code: Code::GlibcInterpreter,
        id: "MC101",
        name: "glibc-interpreter",
        severity: Severity::Error,
        summary: "the executable's interpreter is glibc's loader, which Alpine does not have",
        explanation: "An executable names its dynamic loader in PT_INTERP. glibc programs name \
/lib64/ld-linux-x86-64.so.2 (or the arch's equivalent). Alpine has no such file unless the \
gcompat package is installed, so the kernel's exec fails with ENOENT and the shell prints \
`sh: ./prog: not found` although the file is right there.\n\nExample: a Go program built with \
cgo, a vendored CLI downloaded from a release page for `linux-x64`.\n\nFix: use a musl or \
static build of the program (many projects publish `-linux-musl` or `-unknown-linux-musl` \
assets), build it in an Alpine stage, or `apk add gcompat` if every symbol it needs is in \
gcompat (muslcheck --gcompat tells).",
    },
    Rule {
        code: Code::MissingSymbols,
        id: "MC102",
        name: "missing-symbols",
        severity: Severity::Error,
        summary: "symbols the file needs are not provided by musl or by any library it loads",
        explanation: "musl binds every symbol when a file is loaded (no lazy binding), so a single \
undefined, non-weak symbol that no loaded object provides makes the whole file fail: \
`Error relocating <file>: <symbol>: symbol not found`. musl ignores symbol versions \
(memcpy@GLIBC_2.14 is satisfied by musl's memcpy), so only names matter. The usual culprits \
are glibc-only names: the _FORTIFY_SOURCE family (__memcpy_chk, __sprintf_chk …), \
__libc_single_threaded (GCC 12+ libstdc++ headers), arc4random, fcntl64, __isoc23_* (C23 \
builds against glibc 2.38+), gnu_get_libc_version.\n\nExample: a Python extension built on \
manylinux with -D_FORTIFY_SOURCE=2 references __memcpy_chk.\n\nFix: install a musl build \
(musllinux wheel, -linux-x64-musl package, musl prebuild) or build from source on Alpine; \
where muslcheck says gcompat supplies every missing name and reaches the file, `apk add \
gcompat`.",
    },
    Rule {
        code: Code::MissingLibrary,
        id: "MC103",
        name: "missing-library",
        severity: Severity::Error,
        summary: "a needed library (DT_NEEDED) exists neither on Alpine nor in the scanned tree",
        explanation: "musl resolves libc.so.6, libm.so.6, libpthread.so.0, libdl.so.2, librt.so.1 \
and libutil.so.1 to itself. Other names must be found as files: next to the artifact \
(RPATH/RUNPATH, $ORIGIN, auditwheel's <pkg>.libs/), or in /lib and /usr/lib from an apk \
package. ld-linux-x86-64.so.2, libcrypt.so.1 and libresolv.so.2 exist only through gcompat; \
nothing on Alpine provides libanl, libnsl.so.1 or libmvec. The loader prints `Error loading \
shared library <lib>: No such file or directory (needed by <file>)`.\n\nFix: install the apk \
package that provides it, bundle it, or use a build that does not need it.",
    },
    Rule {
        code: Code::WrongArchitecture,
        id: "MC104",
        name: "wrong-architecture",
        severity: Severity::Error,
        summary: "the file is built for another CPU architecture than the target",
        explanation: "The ELF header's e_machine names another architecture than the target \
(--arch). Executing it fails with `Exec format error`; loading it as a library fails too.\n\n\
Fix: install the build for the target architecture (check --arch), or remove the stray file.",
    },
    Rule {
        code: Code::DependencyBreaks,
        id: "MC105",
        name: "dependency-breaks",
        severity: Severity::Error,
        summary: "a library this file loads from the scanned tree does not load on the target",
        explanation: "The file needs a library that was found in the scanned tree (same directory, \
RUNPATH, <pkg>.libs/), and that library itself fails on musl. The loader reports the \
dependency's errors when loading this file, so this file fails too.\n\nFix: fix the \
dependency (its own findings say how).",
    },
    Rule {
        code: Code::UnsupportedRelocation,
        id: "MC106",
        name: "unsupported-relocation",
        severity: Severity::Error,
        summary: "the file uses a relocation type musl's loader refuses (IFUNC)",
        explanation: "musl's loader handles a fixed set of relocation types per architecture. GNU \
indirect functions (IFUNC) produce R_X86_64_IRELATIVE (type 37) or R_AARCH64_IRELATIVE, and musl \
stops with `Error relocating <file>: unsupported relocation type 37`. glibc's own libc.so.6 and \
ld.so contain them, which is one reason glibc's libraries cannot be copied onto Alpine.\n\n\
Fix: use a build without IFUNC (a musl build), or do not ship glibc's own libraries.",
    },
    Rule {
        code: Code::NeedsAlpinePackage,
        id: "MC107",
        name: "needs-alpine-package",
        severity: Severity::Warning,
        summary: "a needed library comes from an Alpine package that must be installed",
        explanation: "The file needs a library that Alpine provides as a package but a minimal \
image does not contain, for example libstdc++.so.6 (`apk add libstdc++`) or libgcc_s.so.1 \
(`apk add libgcc`). Where muslcheck has the package's export table (libstdc++, libgcc_s) it \
checked the needed names against it; otherwise it could not.\n\nFix: add the `apk add` line \
to the Dockerfile.",
    },
    Rule {
        code: Code::UncheckedSymbols,
        id: "MC108",
        name: "unchecked-symbols",
        severity: Severity::Note,
        summary: "some needed symbols are expected from a library muslcheck has no export table for",
        explanation: "A symbol is neither in musl nor in any library muslcheck could inspect, and the \
file needs a system library (installed with apk) whose exports are not tabulated. The symbol \
may well come from there; muslcheck cannot prove it, so the verdict is `unknown` unless \
something else already breaks.\n\nFix: scan an Alpine image's /usr/lib alongside the project, \
or check the file on Alpine with `ldd`.",
    },
    Rule {
        code: Code::NoMuslBuild,
        id: "MC201",
        name: "no-musl-build",
        severity: Severity::Warning,
        summary: "the pinned version has no musl build: installing on Alpine compiles it (or fails)",
        explanation: "pip on Alpine only installs musllinux wheels (and pure-Python ones). For a \
version that publishes only manylinux wheels, pip downloads the sdist and compiles it: the \
image needs a compiler and the -dev packages of every library it links, builds are slow, and \
some packages fail to build on musl at all. muslcheck answers from the project's lockfile \
(wheel files it lists) or from its known-problem table (data/known-packages.tsv, with sources), \
never from a guess.\n\nExample: numpy 1.24.x (musllinux wheels start at 1.25.0).\n\nFix: \
upgrade to the first version with musllinux wheels, or add the `apk add` build dependencies.",
    },
    Rule {
        code: Code::MuslVariantNotLocked,
        id: "MC202",
        name: "musl-variant-not-locked",
        severity: Severity::Error,
        summary: "a package declares a musl platform package that the lockfile does not record",
        explanation: "napi-rs, sharp, swc, esbuild-style packages ship their binary in per-platform \
packages listed in optionalDependencies (`@img/sharp-linuxmusl-x64`, `@swc/core-linux-x64-musl`). \
npm only records the variants it installed when it wrote the lock (npm/cli#4828) and wrote no \
`libc` field before npm 11.11.0 (npm/cli#9025), so `npm ci` on Alpine from a lockfile written on \
glibc can skip the musl binary, and the module fails at require time (`Could not load the \
\"sharp\" module using the linuxmusl-x64 runtime`).\n\nFix: regenerate the lockfile so it \
records every platform variant (`rm package-lock.json && npm install` with npm 11.11+), or \
install on the builder with `npm install --os=linux --cpu=x64 --libc=musl`.",
    },
    Rule {
        code: Code::DownloadedAtInstall,
        id: "MC203",
        name: "binary-downloaded-at-install",
        severity: Severity::Warning,
        summary: "the package downloads its binary at install time",
        explanation: "node-pre-gyp (`binary` in package.json) and prebuild-install fetch a \
prebuilt binary for the platform doing the install. On Alpine they ask for a `-musl` (or \
`linuxmusl`) asset; many releases never published one (bcrypt 2.0.1: 404), and then the \
script falls back to compiling with node-gyp, which needs python3, make and g++.\n\nFix: \
check that the release publishes a musl asset for this version, upgrade to a version that \
bundles musl prebuilds, or add the build tools.",
    },
    Rule {
        code: Code::NeedsBuildTools,
        id: "MC204",
        name: "needs-build-tools",
        severity: Severity::Warning,
        summary: "the package compiles native code at install time on Alpine",
        explanation: "The package has a binding.gyp (or an install script running node-gyp) and \
ships no musl prebuild, so `npm ci` on Alpine compiles it. That needs `apk add python3 make g++` \
(plus the -dev packages of any library it links) in the build stage, and libstdc++ at run \
time.\n\nFix: add the apk line to the build stage, or pick a version/alternative with musl \
prebuilds.",
    },
    Rule {
        code: Code::TagTooLow,
        id: "MC301",
        name: "wheel-tag-too-low",
        severity: Severity::Warning,
        summary: "a manylinux tag promises an older glibc than the wheel's content needs",
        explanation: "A manylinux_2_X tag promises the wheel loads on any system with glibc 2.X or \
newer. If an ELF member needs a higher GLIBC_x.y symbol version, pip installs it on older \
systems where it fails with `version `GLIBC_2.28' not found`. muslcheck takes the highest \
GLIBC_ version any member needs and names the member.\n\nExample: a wheel renamed from \
manylinux_2_28 to manylinux2014.\n\nFix: `auditwheel repair` (which picks the right tag), or \
build in an older manylinux image.",
    },
    Rule {
        code: Code::MusllinuxTagOnGlibc,
        id: "MC302",
        name: "musllinux-tag-on-glibc-content",
        severity: Severity::Warning,
        summary: "a wheel tagged musllinux contains glibc-linked ELF files",
        explanation: "pip installs a musllinux wheel on Alpine, but its ELF content was linked \
against glibc (glibc interpreter, GLIBC_ version needs or libc.so.6), so it fails there with \
`Error relocating …: symbol not found`.\n\nFix: build the wheel in a musllinux image and \
repair it with auditwheel on musl.",
    },
    Rule {
        code: Code::ManylinuxTagOnMusl,
        id: "MC303",
        name: "manylinux-tag-on-musl-content",
        severity: Severity::Warning,
        summary: "a wheel tagged manylinux contains musl-linked ELF files",
        explanation: "pip installs a manylinux wheel on glibc systems, but its ELF content needs \
musl's libc (`libc.musl-<arch>.so.1`), which glibc systems lack.\n\nFix: tag it musllinux.",
    },
    Rule {
        code: Code::ExternalLibrary,
        id: "MC305",
        name: "external-library-not-bundled",
        severity: Severity::Warning,
        summary: "a wheel needs a library it does not bundle and its policy does not allow",
        explanation: "manylinux and musllinux policies list the only system libraries a wheel may \
assume (auditwheel's lib_whitelist; musllinux allows just libc and libz). Any other needed \
library must be bundled (auditwheel repair copies it into <pkg>.libs/). musllinux does not \
allow libstdc++.so.6 or libgcc_s.so.1: musllinux wheels bundle them.\n\nFix: `auditwheel \
repair`.",
    },
    Rule {
        code: Code::NoMusllinuxWheel,
        id: "MC304",
        name: "no-musllinux-wheel-in-lock",
        severity: Severity::Warning,
        summary: "the lockfile lists no musllinux wheel for a pinned version with native code",
        explanation: "The lock (uv.lock, poetry.lock, pdm.lock) records the wheel files of each \
pinned version. If it lists manylinux wheels but no musllinux wheel for the target \
architecture, an install on Alpine from that lock builds from source or fails.\n\nFix: \
upgrade the package, or regenerate the lock so it records musllinux wheels.",
    },
    Rule {
        code: Code::OnlyWithGcompat,
        id: "MC401",
        name: "only-with-gcompat",
        severity: Severity::Note,
        summary: "the file loads only because gcompat supplies glibc names",
        explanation: "With --gcompat, muslcheck assumes `apk add gcompat`. gcompat (1.1.0) adds a \
loader stub at glibc's interpreter path and a library of glibc-only symbols (the __*_chk \
family, error, backtrace …). It reaches a glibc executable started through the stub, an \
object that needs libcrypt.so.1, libresolv.so.2 or ld-linux-*.so.2, or anything under \
LD_PRELOAD; it does not reach a Python extension or Node addon loaded by Alpine's own \
python or node. Semantics can differ (strerror_r, basename), and symbols gcompat lacks still \
fail.\n\nFix: prefer a musl build; keep gcompat if there is none.",
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_code_is_registered_once_with_an_explanation() {
        let mut ids = HashSet::new();
        for code in Code::ALL {
            let rule = code.rule();
            assert_eq!(rule.code, code, "{code:?} is not registered");
            assert!(ids.insert(rule.id), "{} registered twice", rule.id);
            assert!(
                rule.explanation.len() > 80,
                "{} needs an explanation",
                rule.id
            );
            assert_eq!(rule.id.parse::<Code>().ok(), Some(code));
        }
        assert_eq!(RULES.len(), Code::ALL.len());
    }
}
