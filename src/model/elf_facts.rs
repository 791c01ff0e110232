//! What one ELF file needs from the dynamic loader: the facts `elf` reads
//! and every check judges. No libc or distribution knowledge here.

use serde::Serialize;

use super::Arch;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    Elf32,
    Elf64,
}

impl Class {
    /// The size of the ELF header (`Elf32_Ehdr`, `Elf64_Ehdr`).
    pub fn header_len(self) -> usize {
        match self {
            Class::Elf32 => 52,
            Class::Elf64 => 64,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Endian {
    Little,
    Big,
}

/// `e_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ElfType {
    /// `ET_EXEC`: a position-dependent executable.
    Exec,
    /// `ET_DYN`: a shared object or a position-independent executable.
    Dyn,
    /// `ET_REL`: an object file, never loaded.
    Rel,
    Core,
    Other,
}

/// How the file gets its libraries at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Linkage {
    /// Has a dynamic section: the loader resolves libraries and symbols.
    Dynamic,
    /// No interpreter, no dynamic section: runs on any kernel of its architecture.
    Static,
    /// Relocates itself (`DF_1_PIE`, no interpreter, nothing needed).
    StaticPie,
    /// Not something the loader runs (object file, core dump).
    None,
}

impl Linkage {
    /// The name JSON and text both use.
    pub fn as_str(self) -> &'static str {
        match self {
            Linkage::Dynamic => "dynamic",
            Linkage::Static => "static",
            Linkage::StaticPie => "static-pie",
            Linkage::None => "none",
        }
    }
}

/// Which C library the file was built against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LibcKind {
    Glibc,
    Musl,
    /// Android's C library: a build for Android, which no Linux distribution's loader runs.
    Bionic,
    /// Needs no C library at run time (static, Go, freestanding).
    None,
    Unknown,
}

impl LibcKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LibcKind::Glibc => "glibc",
            LibcKind::Musl => "musl",
            LibcKind::Bionic => "bionic",
            LibcKind::None => "none",
            LibcKind::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for LibcKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Libc {
    pub kind: LibcKind,
    /// The fact that decided `kind`, for a person to check.
    pub evidence: String,
}

/// One `Elf_Verneed` entry: the versions a file needs from one library.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct VersionNeed {
    pub library: String,
    pub versions: Vec<String>,
}

/// The most eager kind of relocation that names a symbol: when a loader
/// binds it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reference {
    /// Only PLT jump slots: bound at the first call under lazy binding.
    Plt,
    /// GOT data entries too: glibc binds them at load; musl's lazy dlopen
    /// defers them as it defers jump slots.
    Got,
    /// Another type (absolute data, copy): bound at load by every loader.
    #[default]
    Load,
}

/// A symbol the loader must find in some other object for this file to load.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RequiredSymbol {
    pub name: String,
    /// Weak references that stay unresolved are bound to 0 without error.
    pub weak: bool,
    /// The version the file asks for (`GLIBC_2.34`), if versioned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The library the version need names (`libc.so.6`), if versioned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub library: Option<String>,
    /// Defined in the executable's own `.bss` but copied from a library at load
    /// time (`R_*_COPY`): the library must still provide it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub copy_relocation: bool,
    /// A dynamic relocation names it. musl looks symbols up only while
    /// processing relocations, so an undefined symbol no relocation uses is
    /// never looked up and cannot fail.
    pub relocated: bool,
    /// When a loader binds it (the most eager relocation naming it).
    #[serde(skip)]
    pub reference: Reference,
    /// A PLT slot names it: musl binds that slot only to a definition, not
    /// to a program's PLT address (see [`ElfFacts::plt_addresses`]).
    #[serde(skip)]
    pub plt_slot: bool,
}

/// A relocation type and how many relocations of that type the file holds.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct RelocationCount {
    pub r_type: u32,
    pub count: usize,
}

/// The initial-exec thread-local storage a file uses (`R_*_TPOFF`
/// relocations): a fixed offset from the thread pointer, which musl gives
/// only the objects loaded when the program starts.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct InitialExecTls {
    /// Its own thread-local block, reached without a symbol (`static __thread`).
    pub own_block: bool,
    /// Thread-local symbols reached by name.
    pub symbols: Vec<String>,
}

impl InitialExecTls {
    pub fn is_empty(&self) -> bool {
        !self.own_block && self.symbols.is_empty()
    }
}

/// What the file's `PT_GNU_STACK` program header asks of the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stack {
    /// `PT_GNU_STACK` without `PF_X`.
    NonExecutable,
    /// `PT_GNU_STACK` with `PF_X` (`-z execstack`, or an assembler file
    /// without a `.note.GNU-stack` section).
    Executable,
    /// No `PT_GNU_STACK`: glibc applies its architecture's default.
    Unmarked,
}

impl Stack {
    /// Whether glibc's loader takes the file to need an executable stack:
    /// `PF_X`, or no `PT_GNU_STACK` where its default (`DEFAULT_STACK_PERMS`
    /// in `sysdeps/<arch>/stackinfo.h`) is executable: x86 (both widths) but
    /// not aarch64. `None` for an unmarked file of another architecture.
    pub fn executable_for_glibc(self, arch: Arch) -> Option<bool> {
        match (self, arch) {
            (Stack::NonExecutable, _) => Some(false),
            (Stack::Executable, _) => Some(true),
            (Stack::Unmarked, Arch::X86_64 | Arch::I686) => Some(true),
            (Stack::Unmarked, Arch::Aarch64) => Some(false),
            (Stack::Unmarked, _) => None,
        }
    }
}

/// Everything muslcheck needs to know about one ELF file.
#[derive(Debug, Clone, Serialize)]
pub struct ElfFacts {
    pub class: Class,
    pub endian: Endian,
    pub arch: Arch,
    pub elf_type: ElfType,
    pub linkage: Linkage,
    pub interpreter: Option<String>,
    pub soname: Option<String>,
    pub needed: Vec<String>,
    pub rpath: Vec<String>,
    pub runpath: Vec<String>,
    pub version_needs: Vec<VersionNeed>,
    /// The highest `GLIBC_x.y` any version need asks for.
    pub max_glibc: Option<String>,
    /// Undefined dynamic symbols (and copy-relocated ones), sorted by name.
    pub required_symbols: Vec<RequiredSymbol>,
    /// Defined dynamic symbols other objects can bind to.
    #[serde(skip)]
    pub exports: SymbolNames,
    pub exports_count: usize,
    /// Names defined only as `STT_GNU_IFUNC` (never also as a plain symbol):
    /// glibc's loader binds them, musl's skips them.
    #[serde(skip)]
    pub ifunc_only_exports: SymbolNames,
    /// Names defined only with a hidden version (`foo@V1`): glibc's loader
    /// binds them to a reference asking for that version, musl's never.
    #[serde(skip)]
    pub hidden_only_exports: SymbolNames,
    /// Undefined names with an address (a non-PIE program's canonical PLT
    /// entries, `_ZSt4endl…` at 0x404290): musl's `find_sym` binds another
    /// object's GOT and data references to them, not its PLT slots.
    #[serde(skip)]
    pub plt_addresses: SymbolNames,
    /// Names the file defines only as `STT_GNU_IFUNC` and names in a
    /// dynamic relocation (libatomic's `__atomic_load_16`): musl's loader
    /// looks each up by name like an undefined one (`do_relocs`), and its
    /// `find_sym` skips IFUNC definitions, this file's own included.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub own_ifunc_references: Vec<RequiredSymbol>,
    /// Relocation types in the dynamic relocation tables.
    pub relocation_types: Vec<RelocationCount>,
    pub go_build_id: Option<String>,
    /// Its `.comment` names rustc: a build from source needs cargo.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub built_by_rustc: bool,
    pub libc: Libc,
    /// What `PT_GNU_STACK` asks of the stack (glibc 2.41+ refuses to dlopen
    /// a library that needs it executable).
    pub stack: Stack,
    /// `PT_GNU_STACK`'s size (`-z stack-size=`): musl takes it as the
    /// default thread stack of a program and of the libraries it starts with.
    #[serde(skip_serializing_if = "is_zero")]
    pub stack_size: u64,
    /// Initial-exec TLS (`-ftls-model=initial-exec`, DF_STATIC_TLS): musl
    /// cannot give it to a library loaded with dlopen.
    #[serde(skip_serializing_if = "InitialExecTls::is_empty")]
    pub initial_exec_tls: InitialExecTls,
    /// Every symbol is bound before the program runs (`-z now`): glibc then
    /// fails at load time on a missing function, not at its first call.
    #[serde(skip)]
    pub bind_now: bool,
    /// Run-time files a static program names; empty for dynamic files.
    #[serde(skip)]
    pub runtime_files: RuntimeFiles,
}

/// A file a static program may open at run time, which an image without a
/// distribution lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeFile {
    CaCertificates,
    Tzdata,
    Passwd,
}

impl RuntimeFile {
    pub const ALL: [RuntimeFile; 3] = [
        RuntimeFile::CaCertificates,
        RuntimeFile::Tzdata,
        RuntimeFile::Passwd,
    ];

    /// The path the program opens.
    pub fn path(self) -> &'static str {
        match self {
            RuntimeFile::CaCertificates => "/etc/ssl/certs/ca-certificates.crt",
            RuntimeFile::Tzdata => "/usr/share/zoneinfo",
            RuntimeFile::Passwd => "/etc/passwd",
        }
    }

    /// The Dockerfile line that copies it from the build stage into an
    /// image with no package manager.
    pub fn copy_line(self) -> String {
        let path = self.path();
        match self {
            RuntimeFile::Tzdata => format!("COPY --from=build {path} {path}"),
            _ => {
                let directory = path.rsplit_once('/').map_or("", |(dir, _)| dir);
                format!("COPY --from=build {path} {directory}/")
            }
        }
    }

    /// The kind of file at `path`, as [`RuntimeFile::path`] names it.
    pub fn at(path: &str) -> Option<RuntimeFile> {
        RuntimeFile::ALL.into_iter().find(|f| f.path() == path)
    }
}

/// A set of [`RuntimeFile`]s (one byte: it sits in `ElfFacts`' padding).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RuntimeFiles(u8);

impl RuntimeFiles {
    /// Every kind: a search that has found these can stop.
    pub fn all() -> RuntimeFiles {
        let mut all = RuntimeFiles::default();
        RuntimeFile::ALL
            .into_iter()
            .for_each(|file| all.insert(file));
        all
    }

    pub fn insert(&mut self, file: RuntimeFile) {
        self.0 |= 1 << file as u8;
    }

    pub fn contains(self, file: RuntimeFile) -> bool {
        self.0 & (1 << file as u8) != 0
    }

    pub fn iter(self) -> impl Iterator<Item = RuntimeFile> {
        RuntimeFile::ALL
            .into_iter()
            .filter(move |f| self.contains(*f))
    }
}

impl ElfFacts {
    /// Whether the loader would ever process this file.
    pub fn is_loadable(&self) -> bool {
        matches!(self.elf_type, ElfType::Exec | ElfType::Dyn)
    }

    /// A program, started rather than loaded: one with an interpreter, an
    /// ET_EXEC file, or a static-pie (ET_DYN like a library, flagged
    /// DF_1_PIE and without an interpreter or needed libraries).
    pub fn is_executable(&self) -> bool {
        self.interpreter.is_some()
            || self.elf_type == ElfType::Exec
            || self.linkage == Linkage::StaticPie
    }

    pub fn defines_only_as_ifunc(&self, name: &str) -> bool {
        self.ifunc_only_exports.contains(name)
    }

    pub fn exports_symbol(&self, name: &str) -> bool {
        self.exports.contains(name)
    }

    /// Whether glibc's loader may bind `name` to this file's definition: an
    /// IFUNC one too, and a hidden version's (`check_match` takes one for a
    /// reference asking for that version, and for an unversioned reference
    /// when it is the object's first version).
    pub fn binds_for_glibc(&self, name: &str) -> bool {
        self.exports.contains(name)
            || self.ifunc_only_exports.contains(name)
            || self.hidden_only_exports.contains(name)
    }
}

/// Unique symbol names in one buffer, found through a hash table of their
/// positions: a large library exports tens of thousands (the venv's 99
/// files 24k; OpenBLAS alone 14k), and a `String` each was one allocation
/// and one free per name, and sorting them took longer than reading them.
/// Names keep the order they came in (the dynamic symbol table's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SymbolNames {
    text: String,
    /// Where each name ends in `text`.
    ends: Vec<usize>,
    /// Open addressing, linear probing: 0 is an empty slot, else the
    /// name's index plus one. A power of two, at least twice the names.
    slots: Vec<u32>,
}

fn name_hash(name: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(name.as_bytes())
}

impl SymbolNames {
    /// `names`, each once, in the order they first come.
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> SymbolNames {
        let names: Vec<&str> = names.into_iter().collect();
        let mut symbols = SymbolNames {
            text: String::with_capacity(names.iter().map(|name| name.len()).sum()),
            ends: Vec::with_capacity(names.len()),
            slots: vec![0; names.len().saturating_mul(2).next_power_of_two().max(2)],
        };
        for name in names {
            symbols.insert(name);
        }
        symbols
    }

    fn insert(&mut self, name: &str) {
        let Ok(number) = u32::try_from(self.ends.len() + 1) else {
            return;
        };
        let slot = match self.probe(name) {
            Probe::Found => return,
            Probe::Empty(slot) => slot,
        };
        if let Some(empty) = self.slots.get_mut(slot) {
            *empty = number;
            self.text.push_str(name);
            self.ends.push(self.text.len());
        }
    }

    /// Where `name` is, or the empty slot where it would go.
    fn probe(&self, name: &str) -> Probe {
        let mask = self.slots.len().saturating_sub(1);
        // Truncating the hash to the table's size is the point.
        let mut slot = name_hash(name) as usize & mask;
        // At most half full: an empty slot comes within `len` probes.
        for _ in 0..self.slots.len() {
            match self.slots.get(slot) {
                Some(0) | None => return Probe::Empty(slot),
                Some(&number) => {
                    let index = usize::try_from(number).map_or(usize::MAX, |n| n - 1);
                    if self.get(index) == Some(name) {
                        return Probe::Found;
                    }
                }
            }
            slot = (slot + 1) & mask;
        }
        Probe::Empty(usize::MAX)
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The `index`th name, in the order they came.
    pub fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)?;
        let start = match index.checked_sub(1) {
            Some(previous) => *self.ends.get(previous)?,
            None => 0,
        };
        self.text.get(start..end)
    }

    /// Every name once, in the order they came.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).filter_map(|index| self.get(index))
    }

    pub fn contains(&self, name: &str) -> bool {
        !self.ends.is_empty() && matches!(self.probe(name), Probe::Found)
    }
}

enum Probe {
    Found,
    Empty(usize),
}

impl<'a> FromIterator<&'a str> for SymbolNames {
    fn from_iter<I: IntoIterator<Item = &'a str>>(names: I) -> SymbolNames {
        SymbolNames::new(names)
    }
}

impl FromIterator<String> for SymbolNames {
    fn from_iter<I: IntoIterator<Item = String>>(names: I) -> SymbolNames {
        let names: Vec<String> = names.into_iter().collect();
        SymbolNames::new(names.iter().map(String::as_str))
    }
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbol_names_are_kept_once_each_in_order_and_found_by_exact_name() {
        let names = SymbolNames::new(["zlibVersion", "a", "deflate", "a", "deflateEnd", "Z"]);
        let listed: Vec<&str> = names.iter().collect();
        assert_eq!(listed, ["zlibVersion", "a", "deflate", "deflateEnd", "Z"]);
        assert_eq!(names.len(), 5);
        for name in &listed {
            assert!(names.contains(name), "{name}");
        }
        for absent in ["", "b", "deflat", "deflateEn", "deflateEndX", "zz", "A"] {
            assert!(!names.contains(absent), "{absent}");
        }
        assert_eq!(names.get(5), None);
        let empty = SymbolNames::default();
        assert!(empty.is_empty() && !empty.contains("a") && empty.iter().next().is_none());
    }

    #[test]
    fn many_names_sharing_table_slots_are_all_found_and_no_other() {
        let names: Vec<String> = (0..20_000).map(|i| format!("_ZN3foo{i}E")).collect();
        let twice = names.iter().chain(names.iter()).map(String::as_str);
        let table = SymbolNames::new(twice);
        assert_eq!(table.len(), names.len());
        assert!(table.iter().eq(names.iter().map(String::as_str)));
        assert!(names.iter().all(|name| table.contains(name)));
        assert!((20_000..40_000).all(|i| !table.contains(&format!("_ZN3foo{i}E"))));
    }
}
