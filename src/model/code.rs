//! Every finding code, declared once: its id, name, default severity, summary,
//! the explanation `muslcheck explain CODE` prints and the generic remedy.
//!
//! The `codes!` table below is the only list: the enum, [`Code::ALL`] (in id
//! order) and the exhaustive [`Code::rule`] match are all generated from it.

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

/// The registry entry of one code.
#[derive(Debug)]
pub struct Rule {
    pub id: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    /// What it means on the target, an example, and the fix.
    pub explanation: &'static str,
    /// The fix every finding of this code gets unless its check says better.
    pub remedy: Option<&'static str>,
}

macro_rules! codes {
    ($($code:ident => { $($field:ident: $value:expr,)* },)*) => {
        /// A registered finding code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($code,)*
        }

        impl Code {
    /// A finding about what installing on musl gives (MC201-MC205): it does
    /// not apply to a glibc or no-libc target.
    pub fn is_about_musl_installs(self) -> bool {
        matches!(
            self,
            Code::NoMuslBuild
                | Code::MuslVariantNotLocked
                | Code::DownloadedAtInstall
                | Code::NeedsBuildTools
                | Code::MuslVariantNotInstalled
        )
    }

    /// A finding about what installing on glibc gives (MC206): it does not
    /// apply to a musl target.
    pub fn is_about_glibc_installs(self) -> bool {
        self == Code::GlibcVariantNotInstalled
    }
}

impl Code {
            /// Every code, in id order.
            pub const ALL: &'static [Code] = &[$(Code::$code,)*];

            /// The registry entry of this code.
            pub fn rule(self) -> &'static Rule {
                match self {
                    $(Code::$code => &Rule { $($field: $value,)* },)*
                }
            }
        }
    };
}

codes! {
    Unreadable => {
        id: "MC001",
        name: "unreadable-file",
        severity: Severity::Warning,
        summary: "a file could not be read, so its verdict is unknown",
        explanation: "muslcheck could not open or read this file (permissions, I/O error). \
Nothing is known about whether it loads on musl.\n\nFix: make the file readable by the user \
running muslcheck, or exclude it with --exclude if it is not part of the image.",
        remedy: Some(
            "make it readable by the user running muslcheck (a regular file within the scanned paths), or exclude it with --exclude if it is not part of the image",
        ),
    },
    MalformedElf => {
        id: "MC002",
        name: "malformed-elf",
        severity: Severity::Warning,
        summary: "a file starts like ELF but its headers cannot be read",
        explanation: "The file begins with the ELF magic bytes but its headers are truncated or \
inconsistent. A loader would refuse it on any libc; often it is a partial download or a \
test fixture.\n\nFix: rebuild or re-download the file; exclude it if it is data.",
        remedy: Some("rebuild or re-download the file; exclude it with --exclude if it is data"),
    },
    SpecialFile => {
        id: "MC003",
        name: "special-file",
        severity: Severity::Note,
        summary: "a FIFO, socket or device was met and not opened",
        explanation: "Opening a FIFO can block forever and reading a device has side effects, so \
muslcheck never opens them. They are listed so that nothing is skipped silently.",
        remedy: None,
    },
    SymlinkLoop => {
        id: "MC004",
        name: "symlink-loop",
        severity: Severity::Warning,
        summary: "following symlinks led back to a parent directory",
        explanation: "With --follow-symlinks, a link pointed back to one of its own ancestors. \
The loop was cut there; the rest of the tree was scanned.",
        remedy: None,
    },
    SymlinkOutside => {
        id: "MC005",
        name: "symlink-outside",
        severity: Severity::Note,
        summary: "with --follow-symlinks, a link leading outside the scanned paths was not followed",
        explanation: "Following symbolic links stops at the scanned paths: a link whose target \
is outside every path given to muslcheck is listed, not followed, so a link to /usr/lib (or \
to anything else on the machine that runs the scan) cannot pull host files into the report. \
Library resolution still sees the link by name.\n\nFix: if the target belongs to what you \
ship, give it as another path to scan (`muslcheck ./app /opt/vendor`); links between scanned \
paths are followed.",
        remedy: None,
    },
    HostileMemberName => {
        id: "MC006",
        name: "hostile-member-name",
        severity: Severity::Warning,
        summary: "an archive member's name points outside its archive",
        explanation: "A member of a wheel or tarball is named with an absolute path \
(`/lib/x.so`), with `..` that climbs above the archive's root (`pkg/../../x.so`), or with a \
NUL byte. Installers refuse such a wheel (pip) or skip the member (npm, GNU tar), so the file \
never lands anywhere; muslcheck does not read it, and it satisfies no other file's needs. A \
crafted archive can use such names to overwrite files outside the install directory \
(\"zip slip\").\n\nFix: rebuild the archive with paths relative to its root; treat an archive \
you did not build with suspicion.",
        remedy: Some("rebuild the archive with member paths relative to its root"),
    },
    SkippedArchive => {
        id: "MC007",
        name: "skipped-archive",
        severity: Severity::Note,
        summary: "an archive muslcheck does not read yet was skipped",
        explanation: "muslcheck reads wheels (`.whl`), gzip tarballs (`.tgz`, `.tar.gz`) and \
container images (`docker save` archives, OCI layouts and OCI archives). An uncompressed `.tar` \
that is not a container image (a root filesystem from `docker export`) or a tarball compressed \
otherwise (`.tar.xz`, `.tar.bz2`, `.tar.zst`) was met and not opened, so the ELF files inside it \
were not judged. It is listed so that nothing is skipped silently.\n\nFix: extract the archive \
(for an image: `docker create` then `docker export`, or a tool such as `crane export`) and scan \
the directory, or exclude the file with --exclude if it is not part of what ships.",
        remedy: None,
    },
    GlibcInterpreter => {
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
        remedy: None,
    },
    MissingSymbols => {
        id: "MC102",
        name: "missing-symbols",
        severity: Severity::Error,
        summary: "symbols the file needs are not provided by musl or by any library it loads",
        explanation: "musl binds every symbol when a file is loaded (no lazy binding), so a single \
undefined, non-weak symbol that no loaded object provides makes the whole file fail: \
`Error relocating <file>: <symbol>: symbol not found`. One exception: a dlopen with RTLD_LAZY \
(how Node, the JVM and Ruby load native code; CPython uses RTLD_NOW) leaves a PLT or GOT entry \
it cannot bind for later, so the addon loads and the process dies (SIGSEGV) at the first use of \
that name; muslcheck says which. musl ignores symbol versions \
(memcpy@GLIBC_2.14 is satisfied by musl's memcpy), so only names matter. The usual culprits \
are glibc-only names: the _FORTIFY_SOURCE family (__memcpy_chk, __sprintf_chk …), \
__libc_single_threaded (GCC 12+ libstdc++ headers), arc4random, fcntl64, __isoc23_* (C23 \
builds against glibc 2.38+), gnu_get_libc_version.\n\nExample: a Python extension built on \
manylinux with -D_FORTIFY_SOURCE=2 references __memcpy_chk.\n\nFix: install a musl build \
(musllinux wheel, -linux-x64-musl package, musl prebuild) or build from source on Alpine; \
where muslcheck says gcompat supplies every missing name and reaches the file, `apk add \
gcompat`.",
        remedy: Some(
            "install a musl build of this file (musllinux wheel, musl prebuild or platform package) or build it on Alpine",
        ),
    },
    MissingLibrary => {
        id: "MC103",
        name: "missing-library",
        severity: Severity::Error,
        summary: "a needed library (DT_NEEDED) is neither on the target nor on the loader's search path in the scanned tree, or the first file by its name there cannot be loaded",
        explanation: "musl resolves libc.so.6, libm.so.6, libpthread.so.0, libdl.so.2, librt.so.1 \
and libutil.so.1 to itself. Other names must be found as files: in the RPATH/RUNPATH \
directories ($ORIGIN expanded, e.g. auditwheel's <pkg>.libs/) of the file and of each object \
up the chain that loaded it, or in /lib and /usr/lib from an apk package. The directory beside \
the file is not searched unless LD_LIBRARY_PATH names it: a library there, unreached, is \
named with where it is. On a glibc image ld.so searches the DT_RPATHs of the chain, or the \
needing object's own DT_RUNPATH alone, then the image's libraries. ld-linux-x86-64.so.2, \
libcrypt.so.1 and libresolv.so.2 exist on Alpine only through gcompat; nothing on Alpine \
provides libanl, libnsl.so.1 or libmvec. The loader prints `Error loading shared library \
<lib>: No such file or directory (needed by <file>)`.\n\nBoth loaders stop at the first \
file they can open by the name: if it is not a library they can load (a text file or linker \
script, an empty placeholder, an object file, a directory), the load fails there, though the \
real library is further down the path (musl: `Exec format error`, `Is a directory`; glibc: \
`invalid ELF header`, `file too short`, `only ET_DYN and ET_EXEC can be loaded`, `cannot read \
file data`). Only glibc passes over a library built for \
another machine.\n\nFix: install the package that provides it, give the needing object an \
RPATH/RUNPATH that reaches it, bundle it, or use a build that does not need it; remove the file \
a search stops at.",
        remedy: None,
    },
    WrongArchitecture => {
        id: "MC104",
        name: "wrong-architecture",
        severity: Severity::Error,
        summary: "the file is built for another CPU architecture than the target",
        explanation: "The ELF header's e_machine names another architecture than the target \
(--arch). Executing it fails with `Exec format error`; loading it as a library fails too.\n\n\
Fix: install the build for the target architecture (check --arch), or remove the stray file.",
        remedy: None,
    },
    DependencyBreaks => {
        id: "MC105",
        name: "dependency-breaks",
        severity: Severity::Error,
        summary: "a library this file loads from the scanned tree does not load on the target",
        explanation: "The file needs a library that was found in the scanned tree (through an \
RPATH/RUNPATH, e.g. auditwheel's <pkg>.libs/), and that library itself fails on musl. The loader reports the \
dependency's errors when loading this file, so this file fails too. The finding names the \
dependency, counts what fails in it in this file's process and names the first of it. That \
can differ from the dependency's own verdict: a library its search finds only through one \
program's RUNPATH is missing when another program loads it. A library reached only through \
other failing libraries is left to their findings when they name it, not repeated \
here.\n\nFix: fix the dependency, or give it what it lacks in this process.",
        remedy: None,
    },
    UnsupportedRelocation => {
        id: "MC106",
        name: "unsupported-relocation",
        severity: Severity::Error,
        summary: "the file uses a relocation type musl's loader refuses (IFUNC)",
        explanation: "musl's loader handles a fixed set of relocation types per architecture. GNU \
indirect functions (IFUNC) produce R_X86_64_IRELATIVE (type 37) or R_AARCH64_IRELATIVE, and musl \
stops with `Error relocating <file>: unsupported relocation type 37`. glibc's own libc.so.6 and \
ld.so contain them, which is one reason glibc's libraries cannot be copied onto Alpine.\n\n\
Fix: use a build without IFUNC (a musl build), or do not ship glibc's own libraries.",
        remedy: Some(
            "use a build without GNU indirect functions (a musl build)",
        ),
    },
    NeedsAlpinePackage => {
        id: "MC107",
        name: "needs-alpine-package",
        severity: Severity::Warning,
        summary: "a needed library comes from an Alpine package that must be installed",
        explanation: "The file needs a library that Alpine provides as a package but a minimal \
image does not contain, for example libstdc++.so.6 (`apk add libstdc++`) or libgcc_s.so.1 \
(`apk add libgcc`). Where muslcheck has the package's export table (libstdc++, libgcc_s) it \
checked the needed names against it; otherwise it could not.\n\nFix: add the `apk add` line \
to the Dockerfile.",
        remedy: None,
    },
    UncheckedSymbols => {
        id: "MC108",
        name: "unchecked-symbols",
        severity: Severity::Note,
        summary: "some needed symbols are expected from a library muslcheck has no export table for",
        explanation: "A symbol is neither in musl nor in any library muslcheck could inspect, and the \
file needs a system library (installed with apk) whose exports are not tabulated. The symbol \
may well come from there; muslcheck cannot prove it, so the verdict is `unknown` unless \
something else already breaks.\n\nFix: scan an Alpine image's /usr/lib alongside the project, \
or check the file on Alpine with `ldd`.",
        remedy: None,
    },
    VersionNodeMissing => {
        id: "MC109",
        name: "version-node-missing",
        severity: Severity::Error,
        summary: "a version node the file needs is not defined by that library on the image (glibc)",
        explanation: "A file built against glibc records, in .gnu.version_r, each version node it \
needs from each library (GLIBC_2.34 from libc.so.6, GLIBCXX_3.4.30 from libstdc++.so.6). glibc's \
ld.so checks each one against the nodes the library defines (elf/dl-version.c, match_symbol) \
before running anything: membership, not a maximum (glibc 2.31's libc.so.6 defines no \
GLIBC_2.31 node). One missing node stops the program: `./app: /lib/x86_64-linux-gnu/libc.so.6: \
version `GLIBC_2.34' not found (required by ./app)`.\n\nExample: a binary linked on a glibc 2.36 \
builder calling pthread_create (GLIBC_2.34) run on debian:11-slim (glibc 2.31).\n\nFix: build on \
the oldest glibc you must run on (or a manylinux image of that age), or use a newer base image.",
        remedy: Some(
            "build the file on a system no newer than the image (or a manylinux image of its age), or use a newer base image",
        ),
    },
    InterpreterNotOnImage => {
        id: "MC110",
        name: "interpreter-not-on-image",
        severity: Severity::Error,
        summary: "the executable names a program interpreter the base image does not have",
        explanation: "A dynamic executable names its loader in PT_INTERP; the kernel opens that file \
to start it. An image without it (a musl program, /lib/ld-musl-x86_64.so.1, on Debian; any \
dynamic program on scratch or distroless/static, which have no loader at all) makes exec fail \
with ENOENT: the shell prints `sh: ./app: not found`, docker `exec /app: no such file or \
directory`.\n\nFix: use a build for the image's C library, a static build, or an image with \
the loader the file names.",
        remedy: None,
    },
    GlibcPrivate => {
        id: "MC111",
        name: "glibc-private",
        severity: Severity::Warning,
        summary: "the file needs GLIBC_PRIVATE, glibc's internal interface",
        explanation: "GLIBC_PRIVATE symbols are glibc's internal interface: their set changes \
between releases without notice. A file that needs them (a copied ld.so, libc's own helpers, a \
program linked with parts of glibc's static libresolv) runs only with a glibc that still has \
each private symbol it uses, which no version number promises; ld.so fails with `version \
`GLIBC_PRIVATE' not found` where the node is missing, or a `symbol lookup error` where the \
symbol moved. No manylinux policy allows the node, so a wheel holding such a file has no true \
manylinux tag (auditwheel: `linux_x86_64`).\n\n\
Fix: do not ship glibc's own libraries; use the image's.",
        remedy: Some(
            "do not ship glibc's own libraries or files built against its internals; use the image's glibc",
        ),
    },
    RuntimeFileMissing => {
        id: "MC112",
        name: "runtime-file-missing",
        severity: Severity::Warning,
        summary: "a static program needs a file at run time (CA certificates, tzdata, /etc/passwd) the image lacks",
        explanation: "A static program runs on an image without a C library, but it may still open \
files: Go's crypto/x509 reads /etc/ssl/certs/ca-certificates.crt, its time package \
/usr/share/zoneinfo, static glibc's getpwnam /etc/passwd. On scratch these are absent, and the \
program fails when it first needs them (`x509: certificate signed by unknown authority`, \
`unknown time zone`). muslcheck judges the need by the strings the file holds.\n\nFix: COPY the \
files from a builder stage, e.g. `COPY --from=build /etc/ssl/certs/ca-certificates.crt \
/etc/ssl/certs/`, or use distroless/static, which has them.",
        remedy: None,
    },
    ExecutableStackRefused => {
        id: "MC113",
        name: "executable-stack-refused",
        severity: Severity::Error,
        summary: "the file is loaded with dlopen and needs an executable stack, which glibc 2.41 and later refuse",
        explanation: "A library whose PT_GNU_STACK program header has the execute flag (linked \
with -z execstack, or from an assembler file without a .note.GNU-stack section), or that has no \
PT_GNU_STACK at all on x86 (where glibc's default is an executable stack), asks the loader to make \
the stack executable. Until glibc 2.40 dlopen did so; since glibc 2.41 (Debian 13, distroless \
debian13, Wolfi) dlopen refuses when the process's stack is not already executable, and \
`import`, `require()` or System.loadLibrary fails with `<library>: cannot enable executable \
stack as shared object requires: Invalid argument`. Python extension modules, Node addons, JNI \
and Ruby libraries are all loaded with dlopen, and so is every library they need that the \
process has not loaded yet. Libraries a program needs when it starts are not affected. musl \
ignores PT_GNU_STACK.\n\nExample: libtorch_cpu.so from an older build imported on \
debian:13-slim.\n\nFix: rebuild with `-Wl,-z,noexecstack` (or add the missing \
.note.GNU-stack section); clear the flag of a built file with `patchelf --clear-execstack` \
(patchelf 0.18+) if its code does not really run on the stack; or start the process with \
`GLIBC_TUNABLES=glibc.rtld.execstack=2`, which restores the old behaviour.",
        remedy: Some(
            "rebuild with `-Wl,-z,noexecstack`, or clear the flag with `patchelf --clear-execstack` (patchelf 0.18+); `GLIBC_TUNABLES=glibc.rtld.execstack=2` restores the old behaviour",
        ),
    },
    InitialExecTls => {
        id: "MC114",
        name: "initial-exec-tls",
        severity: Severity::Error,
        summary: "a library loaded with dlopen uses initial-exec TLS, which musl gives only to what a program loads at start",
        explanation: "Thread-local variables reached through the initial-exec model \
(`-ftls-model=initial-exec`, the DF_STATIC_TLS flag; R_X86_64_TPOFF64 relocations) sit at a \
fixed offset from the thread pointer, in the static TLS area the loader lays out when the \
program starts. glibc keeps a little spare room there for libraries loaded later; musl keeps \
none. A Python extension module, Node addon or JNI library is loaded with dlopen, and so are the \
libraries it brings: when one of them reaches a thread-local symbol of a library of the same \
load this way, musl stops: `Error relocating <file>: <symbol>: initial-exec TLS resolves to \
dynamic definition in <library>`. When it reaches its own thread-local variables without a \
symbol, the load stops too, but the message names whatever symbol the loader relocated before \
(or, when there was none, the loader itself crashes with a segmentation fault). A program and \
the libraries it needs at start are not affected.\n\nExample: a manylinux wheel's bundled \
libgomp (built with initial-exec TLS on glibc) loaded by an extension module.\n\nFix: \
install a musl build (musllinux wheels bundle a libgomp built for musl), or rebuild the library \
with the default TLS model (`-ftls-model=global-dynamic`).",
        remedy: Some(
            "install a musl build of this library (musllinux wheel, musl prebuild) or rebuild it without `-ftls-model=initial-exec`",
        ),
    },
    LoaderFindsNoBuild => {
        id: "MC115",
        name: "loader-finds-no-build",
        severity: Severity::Error,
        summary: "the package's addon loader finds no prebuild it takes on the target: requiring the package throws",
        explanation: "Some addon loaders take one directory of prebuilds, named for the host, and \
never fall back to another: require-addon (Holepunch's `require.addon`: udx-native, \
sodium-native 5, rocksdb-native) reads `prebuilds/linux-x64-musl/` on Alpine and \
`prebuilds/linux-x64/` elsewhere; pkg-prebuilds (node-hid, the @julusian packages) reads \
`prebuilds/<name>-linux-x64-musl/` on Alpine. Both tell Alpine by `/etc/alpine-release`. A \
package that ships only the glibc directory loads nothing on Alpine, however well its glibc \
addon would load with gcompat: `require` throws (`Cannot find addon '.' imported from …`, \
`Failed to find binding for …`). node-gyp-build, on musl, rejects a prebuild whose name is \
tagged glibc (`*.glibc.node`): a package whose prebuilds for Linux and the CPU are all tagged so \
has none there (`No native build was found`). The addon for the other libc is reported; the \
package's files for other systems are not. An addon node-gyp built at install \
(`build/Release`), which both pkg-prebuilds and node-gyp-build load first, is judged instead.\n\nExample: udx-native 1.21.3 installed on glibc and run on \
Alpine.\n\nFix: use a version that ships the target's directory, or build the addon for the \
target and put it there.",
        remedy: Some(
            "use a version whose prebuilds include the target's directory, or build the addon on the target and put it there",
        ),
    },
    NoMuslBuild => {
        id: "MC201",
        name: "no-musl-build",
        severity: Severity::Warning,
        summary: "the pinned version has no musl build: installing on Alpine compiles it (or fails)",
        explanation: "pip on Alpine only installs musllinux wheels (and pure-Python ones). For a \
version that publishes only manylinux wheels, pip downloads the sdist and compiles it: the \
image needs a compiler and the -dev packages of every library it links, builds are slow, and \
some packages fail to build on musl at all. muslcheck answers from the project's lockfile \
(wheel files it lists), from its known-problem table (data/known-packages.tsv, with sources) \
or, for a version a requirements file only pins, from the package index (the files it lists \
for that version), never from a guess.\n\nExample: numpy 1.24.x (musllinux wheels start at 1.25.0).\n\nFix: \
upgrade to the first version with musllinux wheels, or add the `apk add` build dependencies.",
        remedy: None,
    },
    MuslVariantNotLocked => {
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
        remedy: Some(
            "regenerate the lockfile so it records every platform variant (npm 11.11+: `rm package-lock.json && npm install`), or install on the builder with `npm install --os=linux --cpu=x64 --libc=musl`",
        ),
    },
    DownloadedAtInstall => {
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
        remedy: Some(
            "check the release has a musl asset for this version, or upgrade to a version that bundles musl prebuilds",
        ),
    },
    NeedsBuildTools => {
        id: "MC204",
        name: "needs-build-tools",
        severity: Severity::Warning,
        summary: "the package compiles native code at install time on Alpine",
        explanation: "The package has a binding.gyp (or an install script running node-gyp) and \
ships no musl prebuild, so `npm ci` on Alpine compiles it. That needs `apk add python3 make g++` \
(plus the -dev packages of any library it links) in the build stage, and libstdc++ at run \
time.\n\nFix: add the apk line to the build stage, or pick a version/alternative with musl \
prebuilds.",
        remedy: Some(
            "add `RUN apk add --no-cache python3 make g++` to the build stage (and `libstdc++` to the runtime stage)",
        ),
    },
    MuslVariantNotInstalled => {
        id: "MC205",
        name: "musl-variant-not-installed",
        severity: Severity::Error,
        summary: "only the glibc platform package is installed: on musl the package's loader finds no binary",
        explanation: "napi-rs and sharp style packages (`@swc/core`, `lightningcss`, `sharp`, \
`@parcel/watcher`) ship each platform's binary in its own package, and their JavaScript loader \
requires the musl one on musl (`@swc/core-linux-x64-musl`, `@img/sharp-linuxmusl-x64`); the glibc \
package beside it is never loaded there. A node_modules installed on glibc and copied into an \
Alpine image has only the glibc package, so `require()` fails (`Cannot find module \
'@swc/core-linux-x64-musl'`, `Could not load the \"sharp\" module using the linuxmusl-x64 \
runtime`).\n\nFix: run `npm ci` in the Alpine stage (with a lockfile that records the musl \
variant), or install on the builder with `npm install --os=linux --cpu=x64 --libc=musl`.",
        remedy: Some(
            "run `npm ci` in the Alpine stage instead of copying node_modules, or install with `npm install --os=linux --cpu=x64 --libc=musl`",
        ),
    },
    GlibcVariantNotInstalled => {
        id: "MC206",
        name: "glibc-variant-not-installed",
        severity: Severity::Error,
        summary: "only the musl platform package is installed: on glibc the package's loader finds no binary",
        explanation: "napi-rs and sharp style packages ship each platform's binary in its own \
package, and their JavaScript loader requires the glibc one on glibc (`@swc/core-linux-x64-gnu`, \
`@img/sharp-linux-x64`); the musl package beside it is never loaded there. A node_modules \
installed on Alpine and copied into a glibc image (Debian, Ubuntu, distroless, UBI) has only the \
musl package, so `require()` fails (`Cannot find module '@swc/core-linux-x64-gnu'`, `Could not \
load the \"sharp\" module using the linux-x64 runtime`).\n\nFix: run `npm ci` in the glibc \
image's stage (with a lockfile that records the glibc variant), or install on the builder with \
`npm install --os=linux --cpu=x64 --libc=glibc`.",
        remedy: Some(
            "run `npm ci` in the glibc image's stage instead of copying node_modules from an Alpine one, or install with `npm install --os=linux --cpu=x64 --libc=glibc`",
        ),
    },
    CannotInstall => {
        id: "MC207",
        name: "cannot-install",
        severity: Severity::Error,
        summary: "the pinned version cannot install on the target: no build its installer accepts and nothing to build from",
        explanation: "pip on Alpine accepts musllinux and pure-Python wheels, and on a glibc image \
manylinux wheels up to that image's glibc; with none of those and no sdist for the pinned version \
(vosk 0.3.41 publishes manylinux, macOS and Windows wheels only), `pip install` fails with \
`No matching distribution found` and the image's build stops at that line. muslcheck answers \
from the project's lockfile (the files it lists), its known-problem table, or the package index \
(the files it lists for that version).\n\nFix: pin a version that publishes a wheel for the \
target, or keep a base image it has wheels for.",
        remedy: Some(
            "pin a version that publishes a wheel for the target, or keep a base image it has wheels for",
        ),
    },
    TagTooLow => {
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
        remedy: None,
    },
    MusllinuxTagOnGlibc => {
        id: "MC302",
        name: "musllinux-tag-on-glibc-content",
        severity: Severity::Warning,
        summary: "a wheel tagged musllinux contains glibc-linked ELF files",
        explanation: "pip installs a musllinux wheel on Alpine, but its ELF content was linked \
against glibc (glibc interpreter, GLIBC_ version needs or libc.so.6), so it fails there with \
`Error relocating …: symbol not found`.\n\nFix: build the wheel in a musllinux image and \
repair it with auditwheel on musl.",
        remedy: Some(
            "build the musllinux wheel in a musllinux image (e.g. quay.io/pypa/musllinux_1_2_x86_64)",
        ),
    },
    ManylinuxTagOnMusl => {
        id: "MC303",
        name: "manylinux-tag-on-musl-content",
        severity: Severity::Warning,
        summary: "a wheel tagged manylinux contains musl-linked ELF files",
        explanation: "pip installs a manylinux wheel on glibc systems, but its ELF content needs \
musl's libc (`libc.musl-<arch>.so.1`), which glibc systems lack.\n\nFix: tag it musllinux.",
        remedy: Some(
            "tag the wheel musllinux_1_x (auditwheel repair on a musl system)",
        ),
    },
    NoMusllinuxWheel => {
        id: "MC304",
        name: "no-musllinux-wheel-in-lock",
        severity: Severity::Warning,
        summary: "the lockfile lists no musllinux wheel for a pinned version with native code",
        explanation: "The lock (uv.lock, poetry.lock, pdm.lock) records the wheel files of each \
pinned version. If it lists manylinux wheels but no musllinux wheel for the target \
architecture, an install on Alpine from that lock builds from source or fails.\n\nFix: \
upgrade the package, or regenerate the lock so it records musllinux wheels.",
        remedy: Some(
            "regenerate the lock on (or for) Alpine, or upgrade to a version that publishes musllinux wheels",
        ),
    },
    ExternalLibrary => {
        id: "MC305",
        name: "external-library-not-bundled",
        severity: Severity::Warning,
        summary: "a wheel needs a library it does not bundle and its policy does not allow",
        explanation: "manylinux and musllinux policies list the only system libraries a wheel may \
assume (auditwheel's lib_whitelist; musllinux allows just libc and libz). Any other needed \
library must be bundled (auditwheel repair copies it into <pkg>.libs/). musllinux does not \
allow libstdc++.so.6 or libgcc_s.so.1: musllinux wheels bundle them.\n\nFix: `auditwheel \
repair`.",
        remedy: Some(
            "bundle it with `auditwheel repair`, or make it an install requirement users know about",
        ),
    },
    PureTagOnNativeContent => {
        id: "MC306",
        name: "pure-tag-on-native-content",
        severity: Severity::Warning,
        summary: "a wheel tagged for any platform contains ELF files linked against a C library",
        explanation: "A wheel whose platform tag is `any` (`py3-none-any`) promises pure Python: \
pip installs it on every system, Alpine, Windows and macOS included, and prefers it wherever \
no platform wheel matches. ELF files linked against glibc (or musl) inside it load only where \
that C library is (debugpy's attach helper needs glibc's `__printf_chk`).\n\nFix: ship the ELF \
files in platform wheels (manylinux, musllinux) and keep the pure wheel pure, or make the code \
that loads them optional.",
        remedy: Some(
            "move the ELF files into platform wheels (manylinux, musllinux) and keep the `any` wheel pure",
        ),
    },
    OnlyWithGcompat => {
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
        remedy: None,
    },
    ExecutableStack => {
        id: "MC402",
        name: "executable-stack",
        severity: Severity::Note,
        summary: "the library needs an executable stack: glibc 2.41 and later load it only at program start, not with dlopen",
        explanation: "The library's PT_GNU_STACK has the execute flag (or, on x86, it has no \
PT_GNU_STACK, and glibc's default is an executable stack). glibc 2.41 and later still make the \
stack executable for the libraries a program needs when it starts, but dlopen refuses such a \
library: `<library>: cannot enable executable stack as shared object requires: Invalid \
argument`. muslcheck saw no module loading this one, so it cannot tell how it is loaded; \
through ctypes.CDLL, a plugin loader or any other dlopen it fails on this image.\n\nFix: \
rebuild with `-Wl,-z,noexecstack`, or clear the flag with `patchelf --clear-execstack` \
(patchelf 0.18+) if its code does not really run on the stack.",
        remedy: Some(
            "rebuild with `-Wl,-z,noexecstack`, or clear the flag with `patchelf --clear-execstack` (patchelf 0.18+)",
        ),
    },
    SmallThreadStacks => {
        id: "MC403",
        name: "small-thread-stacks",
        severity: Severity::Note,
        summary: "a glibc-built file creates threads with the default stack size: 128 KiB on musl, 8 MiB on glibc",
        explanation: "A thread created without a stack size (pthread_create with default \
attributes, C++ std::thread, OpenMP's worker threads) gets the C library's default stack. \
glibc's is the stack limit (`ulimit -s`, usually 8 MiB); musl's is 128 KiB. Code written and \
tested on glibc that recurses deeply or keeps large arrays on the stack in such a thread \
overflows it on musl and dies with a segmentation fault, at run time, long after it loaded. \
musl raises its default to the PT_GNU_STACK size of the program and of the libraries it \
starts with (`-Wl,-z,stack-size=`), never to that of a library loaded later with dlopen; \
CPython's own threads on Alpine get 1 MiB from its build, but those an extension module \
creates do not. muslcheck says this of glibc-built files that load on the target and name \
pthread_create without pthread_attr_setstacksize, std::thread, or GOMP_parallel.\n\nFix: \
link the program with `-Wl,-z,stack-size=1048576` (or more), set a stack size where the \
threads are created, for OpenMP set OMP_STACKSIZE; or install a musl build, tested on musl.",
        remedy: None,
    },
}

impl Code {
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

    /// `MC102`, `mc102` or the rule's name (`glibc-interpreter`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Code::ALL
            .iter()
            .copied()
            .find(|code| {
                let rule = code.rule();
                rule.id.eq_ignore_ascii_case(wanted) || rule.name == wanted
            })
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_code_has_a_unique_id_name_and_explanation_in_id_order() {
        let mut ids = HashSet::new();
        let mut names = HashSet::new();
        for code in Code::ALL {
            let rule = code.rule();
            assert!(ids.insert(rule.id), "{} registered twice", rule.id);
            assert!(names.insert(rule.name), "{} named twice", rule.name);
            assert!(
                rule.explanation.len() > 80,
                "{} needs an explanation",
                rule.id
            );
            assert_eq!(rule.id.parse::<Code>().ok(), Some(*code));
            assert_eq!(rule.name.parse::<Code>().ok(), Some(*code));
        }
        let ids: Vec<&str> = Code::ALL.iter().map(|c| c.id()).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted, "the table is kept in id order");
    }
}
