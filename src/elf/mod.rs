//! ELF facts: what a file needs from the dynamic loader, read with goblin.
//!
//! Knows no distribution and no loader's rules; `check` decides what the facts mean.

use std::collections::{BTreeMap, HashMap};

use goblin::elf::Elf;
use goblin::elf::dynamic::{DF_1_PIE, DT_FLAGS_1};
use goblin::elf::header::{ET_CORE, ET_DYN, ET_EXEC, ET_REL};
use goblin::elf::program_header::{PF_X, PT_DYNAMIC, PT_GNU_STACK, PT_INTERP};
use goblin::elf::section_header::SHN_UNDEF;
use goblin::elf::sym::{
    STB_GLOBAL, STB_GNU_UNIQUE, STB_WEAK, STT_COMMON, STT_FILE, STT_FUNC, STT_GNU_IFUNC,
    STT_NOTYPE, STT_OBJECT, STT_SECTION,
};
use rustc_hash::FxHashSet;

mod libc;
mod read;
mod runtime_files;
use libc::libc_flavour;
use read::Parsed;
use runtime_files::runtime_files;

pub use crate::model::{
    Arch, Class, ElfFacts, ElfType, Endian, Libc, LibcKind, Linkage, RelocationCount,
    RequiredSymbol, VersionNeed,
};
use crate::model::{InitialExecTls, Reference, RuntimeFiles, Stack, SymbolNames, Version};

/// The four bytes every ELF file starts with.
pub const ELF_MAGIC: [u8; 4] = *b"\x7fELF";

/// Why a file that starts like ELF could not be read as one.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ElfError {
    #[error("not an ELF file")]
    NotElf,
    #[error("malformed ELF: {0}")]
    Malformed(String),
    /// Readable, but past what muslcheck reads of one file.
    #[error("not read: {0}")]
    OverBounds(String),
}

/// Reads the facts of one ELF image. Never panics on any input.
pub fn analyse(bytes: &[u8]) -> Result<ElfFacts, ElfError> {
    if bytes.get(..4) != Some(&ELF_MAGIC[..]) {
        return Err(ElfError::NotElf);
    }
    // goblin is defensive, but this is the one place arbitrary bytes meet a
    // large parser; a bug there must become a finding, not a crash.
    match std::panic::catch_unwind(|| analyse_unguarded(bytes)) {
        Ok(result) => result,
        Err(_) => Err(ElfError::Malformed(
            "the ELF parser failed on this file (internal error)".to_string(),
        )),
    }
}

fn analyse_unguarded(bytes: &[u8]) -> Result<ElfFacts, ElfError> {
    let parsed = read::parse(bytes).map_err(|err| ElfError::Malformed(err.to_string()))?;
    names_within_bounds(&parsed)?;
    let elf = &parsed.elf;
    let header = &elf.header;
    let class = if elf.is_64 {
        Class::Elf64
    } else {
        Class::Elf32
    };
    let endian = if elf.little_endian {
        Endian::Little
    } else {
        Endian::Big
    };
    let arch = Arch::from_elf(header.e_machine, elf.is_64, elf.little_endian);
    let elf_type = match header.e_type {
        ET_EXEC => ElfType::Exec,
        ET_DYN => ElfType::Dyn,
        ET_REL => ElfType::Rel,
        ET_CORE => ElfType::Core,
        _ => ElfType::Other,
    };
    let has_interp_segment = elf
        .program_headers
        .iter()
        .any(|phdr| phdr.p_type == PT_INTERP);
    let has_dynamic_segment = elf
        .program_headers
        .iter()
        .any(|phdr| phdr.p_type == PT_DYNAMIC);
    let interpreter = elf.interpreter.map(str::to_string);
    let needed: Vec<String> = elf.libraries.iter().map(|s| s.to_string()).collect();
    let linkage = linkage(elf, elf_type, has_interp_segment, has_dynamic_segment);

    let needed_versions = needed_versions(&parsed);
    let version_needs = version_needs(&needed_versions);
    let max_glibc = version_needs
        .iter()
        .flat_map(|need| need.versions.iter())
        .filter_map(|v| Some((Version::glibc_node(v)?, v)))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, v)| v)
        .cloned();
    let required_symbols = required_symbols(&parsed, &needed_versions);
    let (exports, ifunc_only_exports, hidden_only_exports) = exports(&parsed);
    let own_ifunc_references = own_ifunc_references(&parsed, &ifunc_only_exports);
    let relocation_types = relocation_types(&parsed);
    let go_build_id = go_build_id(elf, bytes);
    let built_by_rustc = comment_names(&parsed, bytes, b"rustc version");
    let bind_now = binds_now(elf);
    let (stack, stack_size) = stack(elf);
    let initial_exec_tls = initial_exec_tls(&parsed);
    let runtime_files = if matches!(linkage, Linkage::Static | Linkage::StaticPie) {
        runtime_files(&parsed, bytes)
    } else {
        RuntimeFiles::default()
    };
    let has_abi_tag = || {
        parsed
            .elf
            .section_headers
            .iter()
            .any(|sh| parsed.shstr.get(sh.sh_name) == Some(".note.ABI-tag"))
    };
    let libc = libc_flavour(
        has_abi_tag,
        interpreter.as_deref(),
        &needed,
        &version_needs,
        linkage,
    );

    Ok(ElfFacts {
        class,
        endian,
        arch,
        elf_type,
        linkage,
        interpreter,
        soname: elf.soname.map(str::to_string),
        needed,
        rpath: elf.rpaths.iter().map(|s| s.to_string()).collect(),
        runpath: elf.runpaths.iter().map(|s| s.to_string()).collect(),
        version_needs,
        // A musl file's GLIBC_ nodes (aarch64 libgcc_s's) ask nothing of glibc.
        max_glibc: max_glibc.filter(|_| libc.kind != LibcKind::Musl),
        required_symbols,
        exports_count: exports.len(),
        exports,
        ifunc_only_exports,
        hidden_only_exports,
        // Only a program linked at a fixed address (ET_EXEC) gives
        // functions it takes the address of a canonical PLT entry.
        plt_addresses: match elf_type {
            ElfType::Exec => plt_addresses(&parsed),
            _ => SymbolNames::default(),
        },
        own_ifunc_references,
        relocation_types,
        go_build_id,
        built_by_rustc,
        libc,
        stack,
        stack_size,
        initial_exec_tls,
        bind_now,
        runtime_files,
    })
}

/// How many bytes of names the facts may keep per byte of the dynamic
/// string table, and at least.
const NAME_BYTES_PER_TABLE_BYTE: usize = 4;
const NAME_BYTES_FLOOR: usize = 1 << 20;

/// The names the facts keep (every dynamic symbol's, DT_NEEDED's, RPATH's
/// and RUNPATH's) total at most a few times their string table. A linker
/// writes each name once, sharing only tails; names that start inside each
/// other, each longer than the last, multiply the table instead (60,000
/// symbols from a 60 KB table are 1.8 GB of names: 24 s and 9 GB to read).
/// Counted until the budget is spent, so the count itself is bounded.
fn names_within_bounds(parsed: &Parsed) -> Result<(), ElfError> {
    let table = parsed.dynstr.len();
    let budget = table
        .saturating_mul(NAME_BYTES_PER_TABLE_BYTE)
        .max(NAME_BYTES_FLOOR);
    let elf = &parsed.elf;
    let listed = elf.libraries.iter().chain(&elf.rpaths).chain(&elf.runpaths);
    let mut total = listed.map(|name| name.len()).fold(0, usize::saturating_add);
    for symbol in elf.dynsyms.iter() {
        if total > budget {
            return Err(ElfError::OverBounds(format!(
                "its dynamic symbols and libraries name more than {budget} bytes from a \
                 {table}-byte string table: names that start inside one another, as no \
                 linker writes them"
            )));
        }
        total = total.saturating_add(parsed.dynstr.get(symbol.st_name).map_or(0, str::len));
    }
    if total > budget {
        return Err(ElfError::OverBounds(format!(
            "its libraries and search paths name more than {budget} bytes from a \
             {table}-byte string table"
        )));
    }
    Ok(())
}

/// A name's first eight bytes as a big-endian number (zeros past a
/// shorter name's end, below any byte of a longer one): two names' prefixes
/// order as the names do, or are equal.
fn name_prefix(name: &str) -> u64 {
    let mut eight = [0u8; 8];
    for (slot, byte) in eight.iter_mut().zip(name.bytes()) {
        *slot = byte;
    }
    u64::from_be_bytes(eight)
}

/// The initial-exec TLS relocations' targets: the object's own block (no
/// symbol) and the names of the symbols.
fn initial_exec_tls(parsed: &Parsed) -> InitialExecTls {
    let relocations = &parsed.relocations;
    let mut tls = InitialExecTls {
        own_block: relocations.initial_exec_own,
        symbols: Vec::new(),
    };
    for &index in &relocations.initial_exec {
        // An index past the table names nothing the loader could find.
        let Some(sym) = parsed.elf.dynsyms.get(index) else {
            continue;
        };
        match parsed.dynstr.get(sym.st_name) {
            Some(name) if !name.is_empty() => tls.symbols.push(name.to_string()),
            // A nameless symbol (a section's): the object's own block too.
            _ => tls.own_block = true,
        }
    }
    tls.symbols.sort_unstable();
    tls.symbols.dedup();
    tls
}

/// What the stack must allow, as glibc's loader reads it (the flags of the
/// last `PT_GNU_STACK`: `_dl_map_object_from_fd` keeps overwriting them),
/// and the size it asks for, as musl reads it (the largest: each header
/// can only raise its default).
fn stack(elf: &Elf) -> (Stack, u64) {
    let headers = || {
        elf.program_headers
            .iter()
            .filter(|phdr| phdr.p_type == PT_GNU_STACK)
    };
    let size = headers().map(|phdr| phdr.p_memsz).max().unwrap_or(0);
    let stack = match headers().next_back() {
        Some(phdr) if phdr.p_flags & PF_X != 0 => Stack::Executable,
        Some(_) => Stack::NonExecutable,
        None => Stack::Unmarked,
    };
    (stack, size)
}

/// Whether the loader binds every symbol before running the file: DT_BIND_NOW,
/// DF_BIND_NOW in DT_FLAGS or DF_1_NOW in DT_FLAGS_1 (`-z now`).
fn binds_now(elf: &Elf) -> bool {
    const DT_BIND_NOW: u64 = 24;
    const DT_FLAGS: u64 = 30;
    const DF_BIND_NOW: u64 = 0x8;
    const DF_1_NOW: u64 = 0x1;
    let Some(dynamic) = &elf.dynamic else {
        return false;
    };
    dynamic.dyns.iter().any(|d| {
        d.d_tag == DT_BIND_NOW
            || (d.d_tag == DT_FLAGS && d.d_val & DF_BIND_NOW != 0)
            || (d.d_tag == DT_FLAGS_1 && d.d_val & DF_1_NOW != 0)
    })
}

fn linkage(elf: &Elf, elf_type: ElfType, has_interp: bool, has_dynamic: bool) -> Linkage {
    if !matches!(elf_type, ElfType::Exec | ElfType::Dyn) {
        return Linkage::None;
    }
    if !has_dynamic && !has_interp {
        return Linkage::Static;
    }
    if !has_interp && elf.libraries.is_empty() && elf_type == ElfType::Dyn {
        let flags_1 = elf
            .dynamic
            .as_ref()
            .and_then(|dynamic| dynamic.dyns.iter().find(|d| d.d_tag == DT_FLAGS_1))
            .map(|d| d.d_val)
            .unwrap_or(0);
        if flags_1 & DF_1_PIE != 0 {
            return Linkage::StaticPie;
        }
    }
    Linkage::Dynamic
}

/// One version a verneed entry names: from `library`, version `version`,
/// which `.gnu.version` refers to as `index`.
struct NeededVersion<'a> {
    /// `None` when the entry's file name is not in the string table.
    library: Option<&'a str>,
    version: &'a str,
    index: u16,
}

/// Every version need of the file, read once.
///
/// Verneed and vernaux entries are 16 bytes each and all lie inside the
/// section, so a section of S bytes holds at most S/16 of them. Crafted
/// entries can point at a shared (or overlapping) vernaux array, and a reader
/// that follows every pointer then yields the product of the counts (65535 ×
/// 65535 from 2 MiB): the walk stops after S/16 entries of either kind.
fn needed_versions<'a>(parsed: &Parsed<'a>) -> Vec<NeededVersion<'a>> {
    let elf = &parsed.elf;
    let mut found = Vec::new();
    let Some(verneed) = &elf.verneed else {
        return found;
    };
    const ENTRY_SIZE: u64 = 16;
    let mut budget = parsed.verneed_size / ENTRY_SIZE;
    let mut take_one = || {
        let available = budget > 0;
        budget = budget.saturating_sub(1);
        available
    };
    'needs: for need in verneed.iter() {
        if !take_one() {
            break;
        }
        let library = parsed.dynstr.get(need.vn_file);
        for aux in need.iter() {
            if !take_one() {
                break 'needs;
            }
            if let Some(version) = parsed.dynstr.get(aux.vna_name) {
                found.push(NeededVersion {
                    library,
                    version,
                    index: aux.vna_other,
                });
            }
        }
    }
    found
}

/// The versions each library is needed at, libraries in the order first
/// named, each version once.
fn version_needs(needed: &[NeededVersion]) -> Vec<VersionNeed> {
    let mut needs: Vec<(&str, Vec<&str>)> = Vec::new();
    let mut position: HashMap<&str, usize> = HashMap::new();
    // A damaged or hostile file can name the same version thousands of times.
    let mut seen: FxHashSet<(&str, &str)> = FxHashSet::default();
    for entry in needed {
        let Some(library) = entry.library else {
            continue;
        };
        if !seen.insert((library, entry.version)) {
            continue;
        }
        let at = *position.entry(library).or_insert_with(|| {
            needs.push((library, Vec::new()));
            needs.len() - 1
        });
        if let Some((_, versions)) = needs.get_mut(at) {
            versions.push(entry.version);
        }
    }
    needs
        .into_iter()
        .map(|(library, mut versions)| {
            // Each name's key made once, not twice per comparison.
            versions.sort_by_cached_key(|&version| Version::node_order(version));
            VersionNeed {
                library: library.to_string(),
                versions: versions.into_iter().map(str::to_string).collect(),
            }
        })
        .collect()
}

/// Version index (from `.gnu.version`) → (library, version name); the last
/// entry naming an index wins.
fn needed_version_index<'a>(needed: &[NeededVersion<'a>]) -> BTreeMap<u16, (&'a str, &'a str)> {
    needed
        .iter()
        .map(|entry| (entry.index, (entry.library.unwrap_or(""), entry.version)))
        .collect()
}

fn required_symbols(parsed: &Parsed, needed: &[NeededVersion]) -> Vec<RequiredSymbol> {
    /// One dynamic symbol table entry that asks for a name.
    struct Asks<'a> {
        /// The name's first eight bytes, big-endian: ordered as the names
        /// are, and most names differ in them (sorting by names alone was
        /// most of this function's time).
        prefix: u64,
        name: &'a str,
        index: usize,
        weak: bool,
        relocated: bool,
        /// From an `R_*_COPY` relocation, not an undefined entry.
        copy: bool,
    }
    let elf = &parsed.elf;
    let versions = needed_version_index(needed);
    let version_of = |sym_index: usize| -> Option<&(&str, &str)> {
        let versym = elf.versym.as_ref()?.get_at(sym_index)?;
        versions.get(&versym.version())
    };

    let relocations = &parsed.relocations;
    // Without any parsed relocation (packed or unusual formats), assume every
    // undefined symbol is looked up.
    let is_relocated = |index: usize| !relocations.any_symbol || relocations.names(index);
    let mut asks: Vec<Asks> = Vec::new();
    for (index, sym) in elf.dynsyms.iter().enumerate() {
        if sym.st_shndx != SHN_UNDEF as usize || sym.st_name == 0 {
            continue;
        }
        let bind = sym.st_bind();
        if bind != STB_GLOBAL && bind != STB_WEAK {
            continue;
        }
        let Some(name) = parsed.dynstr.get(sym.st_name).filter(|n| !n.is_empty()) else {
            continue;
        };
        asks.push(Asks {
            prefix: name_prefix(name),
            name,
            index,
            weak: bind == STB_WEAK,
            relocated: is_relocated(index),
            copy: false,
        });
    }
    // An executable defines copy-relocated data itself, yet a library must supply it.
    for &index in &relocations.copied {
        let Some(sym) = elf.dynsyms.get(index) else {
            continue;
        };
        let Some(name) = parsed.dynstr.get(sym.st_name).filter(|n| !n.is_empty()) else {
            continue;
        };
        asks.push(Asks {
            prefix: name_prefix(name),
            name,
            index,
            weak: false,
            relocated: true,
            copy: true,
        });
    }
    // One symbol per name, by name; within a name its undefined entries
    // first, in table order, so that the first one gives its version.
    // Each entry's key is unique: an unstable sort gives the same order.
    asks.sort_unstable_by(|a, b| {
        (a.prefix, a.name, a.copy, a.index).cmp(&(b.prefix, b.name, b.copy, b.index))
    });
    let mut required: Vec<RequiredSymbol> = Vec::with_capacity(asks.len());
    for group in asks.chunk_by(|a, b| a.name == b.name) {
        let Some(first) = group.first() else { continue };
        let undefined = group.iter().filter(|ask| !ask.copy);
        let (weak, relocated) = if first.copy {
            (false, true)
        } else {
            undefined.fold((true, false), |(weak, relocated), ask| {
                (weak && ask.weak, relocated || ask.relocated)
            })
        };
        let version = version_of(first.index);
        let copy_relocation = group.iter().any(|ask| ask.copy);
        let reference = match copy_relocation {
            true => Reference::Load,
            false => group
                .iter()
                .map(|ask| relocations.reference(ask.index))
                .max()
                .unwrap_or_default(),
        };
        let plt_slot = group
            .iter()
            .any(|ask| !ask.copy && relocations.in_plt_slot(ask.index));
        required.push(RequiredSymbol {
            plt_slot,
            name: first.name.to_string(),
            weak,
            version: version.map(|(_, version)| version.to_string()),
            library: version.map(|(library, _)| library.to_string()),
            copy_relocation,
            relocated,
            reference,
        });
    }
    required
}

/// Defined dynamic symbols musl's loader binds to: `find_sym` in musl's
/// ldso/dynlink.c skips any whose type is not in
/// `OK_TYPES (1<<STT_NOTYPE | 1<<STT_OBJECT | 1<<STT_FUNC | 1<<STT_COMMON | 1<<STT_TLS)`,
/// so never an STT_GNU_IFUNC definition, and any whose version is hidden
/// (`foo@V1`, not `foo@@V1`: a negative `versym`); then the names defined
/// only as STT_GNU_IFUNC, and those defined only with a hidden version
/// (glibc binds each to a reference asking for its version). One walk.
fn exports(parsed: &Parsed) -> (SymbolNames, SymbolNames, SymbolNames) {
    let mut ifuncs = Vec::new();
    let mut hidden = Vec::new();
    let versym = parsed.elf.versym.as_ref();
    let exports: SymbolNames = defined_names(parsed)
        .filter_map(|(index, name, st_type)| {
            if versym
                .and_then(|versym| versym.get_at(index))
                .is_some_and(|version| version.is_hidden())
            {
                hidden.push(name);
                return None;
            }
            match st_type {
                STT_GNU_IFUNC => {
                    ifuncs.push(name);
                    None
                }
                STT_SECTION | STT_FILE => None,
                _ => Some(name),
            }
        })
        .collect();
    let only = |names: Vec<&str>| -> SymbolNames {
        names
            .into_iter()
            .filter(|name| !exports.contains(name))
            .collect()
    };
    let (ifunc_only, hidden_only) = (only(ifuncs), only(hidden));
    (exports, ifunc_only, hidden_only)
}

/// The symbols the file defines only as IFUNC (`ifunc_only`) that a dynamic
/// relocation names: musl's `do_relocs` looks any symbol that is not
/// STB_LOCAL up by name, and never binds an IFUNC definition. Not weak: a
/// defined symbol left unresolved is an error even when weak. Without any
/// parsed relocation, none (nothing says one is named).
fn own_ifunc_references(parsed: &Parsed, ifunc_only: &SymbolNames) -> Vec<RequiredSymbol> {
    let relocations = &parsed.relocations;
    if ifunc_only.is_empty() || !relocations.any_symbol {
        return Vec::new();
    }
    let mut references: Vec<RequiredSymbol> = parsed
        .elf
        .dynsyms
        .iter()
        .enumerate()
        .filter(|(index, sym)| {
            sym.st_type() == STT_GNU_IFUNC
                && sym.st_shndx != SHN_UNDEF as usize
                && matches!(sym.st_bind(), STB_GLOBAL | STB_WEAK | STB_GNU_UNIQUE)
                && relocations.names(*index)
        })
        .filter_map(|(index, sym)| {
            let name = parsed.dynstr.get(sym.st_name)?;
            ifunc_only.contains(name).then(|| RequiredSymbol {
                name: name.to_string(),
                weak: false,
                version: None,
                library: None,
                copy_relocation: false,
                relocated: true,
                reference: relocations.reference(index),
                plt_slot: relocations.in_plt_slot(index),
            })
        })
        .collect();
    references.sort_by(|a, b| a.name.cmp(&b.name));
    references.dedup_by(|a, b| a.name == b.name);
    references
}

/// Undefined global or weak names with an address (a non-PIE program's
/// canonical PLT entries), as musl's `find_sym2` takes them for a lookup
/// that needs no definition: not thread-local, of a type it binds.
fn plt_addresses(parsed: &Parsed) -> SymbolNames {
    parsed
        .elf
        .dynsyms
        .iter()
        .filter(|sym| {
            sym.st_shndx == SHN_UNDEF as usize
                && sym.st_value != 0
                && sym.st_name != 0
                && matches!(sym.st_bind(), STB_GLOBAL | STB_WEAK)
                && [STT_NOTYPE, STT_OBJECT, STT_FUNC, STT_COMMON].contains(&sym.st_type())
        })
        .filter_map(|sym| parsed.dynstr.get(sym.st_name))
        .filter(|name| !name.is_empty())
        .collect()
}

/// The names and types of the defined global/weak/unique dynamic symbols.
/// Defined global dynamic symbols: (index in the table, name, type).
fn defined_names<'p>(parsed: &'p Parsed) -> impl Iterator<Item = (usize, &'p str, u8)> {
    parsed
        .elf
        .dynsyms
        .iter()
        .enumerate()
        .filter(|(_, sym)| {
            sym.st_shndx != SHN_UNDEF as usize
                && sym.st_name != 0
                && matches!(sym.st_bind(), STB_GLOBAL | STB_WEAK | STB_GNU_UNIQUE)
        })
        .filter_map(|(index, sym)| Some((index, parsed.dynstr.get(sym.st_name)?, sym.st_type())))
        .filter(|(_, name, _)| !name.is_empty())
}

fn relocation_types(parsed: &Parsed) -> Vec<RelocationCount> {
    parsed
        .relocations
        .counts
        .iter()
        .map(|(&r_type, &count)| RelocationCount { r_type, count })
        .collect()
}

/// Whether the `.comment` section (where each compiler and linker names
/// itself: `GCC: (GNU) 10.2.1`, `rustc version 1.81.0`) holds `needle`.
/// Only its first 64 KiB are read: real ones are a few hundred bytes.
fn comment_names(parsed: &Parsed, bytes: &[u8], needle: &[u8]) -> bool {
    const SHT_NOBITS: u32 = 8;
    let Some(comment) =
        parsed.elf.section_headers.iter().find(|sh| {
            sh.sh_type != SHT_NOBITS && parsed.shstr.get(sh.sh_name) == Some(".comment")
        })
    else {
        return false;
    };
    let start = usize::try_from(comment.sh_offset).unwrap_or(usize::MAX);
    let size = usize::try_from(comment.sh_size)
        .unwrap_or(usize::MAX)
        .min(64 * 1024);
    bytes
        .get(start..start.saturating_add(size).min(bytes.len()))
        .is_some_and(|text| memchr::memmem::find(text, needle).is_some())
}

/// The Go toolchain's build id note (`.note.go.buildid`, owner "Go", type 4).
fn go_build_id(elf: &Elf, bytes: &[u8]) -> Option<String> {
    const NT_GO_BUILD_ID: u32 = 4;
    let notes = elf
        .iter_note_headers(bytes)
        .into_iter()
        .flatten()
        .chain(elf.iter_note_sections(bytes, None).into_iter().flatten());
    for note in notes.flatten() {
        if note.n_type == NT_GO_BUILD_ID && note.name == "Go" {
            let id = String::from_utf8_lossy(note.desc);
            return Some(id.trim_end_matches('\0').to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_prefixes_order_as_the_names_do_or_tie() {
        let names = [
            "",
            "a",
            "ab",
            "abcdefgh",
            "abcdefghi",
            "abcdefgg",
            "b",
            "_ZNSt7__cxx11",
            "_ZNSt7__cxx12",
            "_ZNSt7_",
            "\u{e9}t\u{e9}",
            "\x7f",
            "PyArg_ParseTuple",
            "PyArg_Parse",
        ];
        for a in names {
            for b in names {
                let (by_prefix, by_name) = (name_prefix(a).cmp(&name_prefix(b)), a.cmp(b));
                assert!(
                    by_prefix == by_name || by_prefix.is_eq(),
                    "{a:?} against {b:?}: prefixes {by_prefix:?}, names {by_name:?}"
                );
            }
        }
        assert_ne!(name_prefix("PyArg_Pa"), name_prefix("PyArg_Pb"));
    }

    #[test]
    fn rejects_non_elf_and_short_input() {
        assert!(matches!(analyse(b""), Err(ElfError::NotElf)));
        assert!(matches!(analyse(b"\x7fEL"), Err(ElfError::NotElf)));
        assert!(matches!(analyse(b"#!/bin/sh\n"), Err(ElfError::NotElf)));
    }

    #[test]
    fn truncated_headers_are_malformed_not_panics() {
        let mut bytes = ELF_MAGIC.to_vec();
        bytes.extend_from_slice(&[2, 1, 1, 0]);
        for len in 4..bytes.len() {
            assert!(analyse(&bytes[..len]).is_err());
        }
        assert!(matches!(analyse(&bytes), Err(ElfError::Malformed(_))));
    }

    #[test]
    fn version_needs_name_each_version_once_in_node_order() {
        let entry = |library, version| NeededVersion {
            library: Some(library),
            version,
            index: 2,
        };
        let needed = [
            entry("libc.so.6", "GLIBC_2.34"),
            entry("libm.so.6", "GLIBC_2.2.5"),
            entry("libc.so.6", "GLIBC_2.2.5"),
            entry("libc.so.6", "GLIBC_2.34"),
            entry("libc.so.6", "GLIBC_PRIVATE"),
            entry("libc.so.6", "GLIBC_2.17"),
            NeededVersion {
                library: None,
                version: "GLIBC_2.0",
                index: 3,
            },
        ];
        let needs = version_needs(&needed);
        let needs: Vec<(&str, Vec<&str>)> = needs
            .iter()
            .map(|need| {
                let versions = need.versions.iter().map(String::as_str).collect();
                (need.library.as_str(), versions)
            })
            .collect();
        let libc = vec!["GLIBC_2.2.5", "GLIBC_2.17", "GLIBC_2.34", "GLIBC_PRIVATE"];
        assert_eq!(
            needs,
            [("libc.so.6", libc), ("libm.so.6", vec!["GLIBC_2.2.5"])]
        );
    }
}
