//! The parts of an ELF file the loader reads, parsed with goblin's pieces one
//! at a time.
//!
//! goblin's `Elf::parse` also reads `.symtab` and splits every string table
//! into a vector of strings up front (an unstripped library's `.strtab` is
//! megabytes the loader never looks at), and callers then walk the
//! relocations several times. Here: the headers, the dynamic section, the
//! dynamic symbols and the version sections as `Elf::parse` reads them (the
//! same calls, the same errors), string tables checked once and looked up in
//! place, and the relocations walked once.

use std::collections::BTreeMap;

use goblin::container::{Container, Ctx, Endian};
use goblin::elf::dynamic::DT_RELA;
use goblin::elf::header::{EM_FAKE_ALPHA, EM_S390};
use goblin::elf::program_header::PT_INTERP;
use goblin::elf::section_header::{SHN_XINDEX, SHT_GNU_VERNEED, SHT_GNU_VERSYM};
use goblin::elf::sym::Sym;
use goblin::elf::symver::{VerneedSection, VersymSection};
use goblin::elf::{Dynamic, Elf, ProgramHeader, RelocSection, SectionHeader, Symtab};
use goblin::error::{Error, Result};

use crate::model::{Arch, Reference};

/// A string table: NUL-terminated strings, looked up by byte offset.
#[derive(Default, Clone, Copy)]
pub struct Strings<'a> {
    text: &'a str,
}

impl<'a> Strings<'a> {
    /// The table at `offset..offset + size` of `bytes`. Like goblin's, an
    /// error when it lies outside the file or is not UTF-8.
    fn at(bytes: &'a [u8], offset: usize, size: usize) -> Result<Strings<'a>> {
        let table = offset
            .checked_add(size)
            .and_then(|end| bytes.get(offset..end))
            .ok_or_else(|| {
                Error::Malformed(format!(
                    "string table at {offset:#x} ({size} bytes) lies outside the file ({} bytes)",
                    bytes.len()
                ))
            })?;
        let text = std::str::from_utf8(table)
            .map_err(|err| Error::Malformed(format!("string table is not UTF-8: {err}")))?;
        Ok(Strings { text })
    }

    /// The table's size in bytes.
    pub fn len(&self) -> usize {
        self.text.len()
    }

    /// The string starting at `offset` (possibly inside another string, as
    /// suffix sharing makes them).
    pub fn get(&self, offset: usize) -> Option<&'a str> {
        if offset >= self.text.len() {
            return None;
        }
        let rest = self.text.get(offset..)?;
        // Names are short: a vector search beats core's word-at-a-time one.
        let end = memchr::memchr(0, rest.as_bytes()).unwrap_or(rest.len());
        rest.get(..end)
    }
}

/// How many initial-exec TLS symbols a file's facts name (a library has a
/// handful; the walk stays linear on a crafted one).
pub const INITIAL_EXEC_KEPT: usize = 32;

/// What one walk over the dynamic relocations (RELA, REL and PLT) found.
#[derive(Default)]
pub struct Relocations {
    /// How many of each type.
    pub counts: BTreeMap<u32, usize>,
    /// Whether any relocation names a symbol.
    pub any_symbol: bool,
    /// Symbol indices a relocation names, as a bit set; indices past the
    /// end of the file are not kept (no symbol can be there).
    named: Vec<u64>,
    /// Symbol indices of copy relocations (RELA and REL only), in order.
    pub copied: Vec<usize>,
    /// Symbol indices named by a GOT entry or a load-time type, and by a
    /// load-time type (neither: only PLT slots), as bit sets.
    got_or_load: Vec<u64>,
    load: Vec<u64>,
    /// Symbol indices named by a PLT slot, as a bit set.
    plt: Vec<u64>,
    /// Whether an initial-exec TLS relocation names no symbol (the
    /// object's own block).
    pub initial_exec_own: bool,
    /// Symbol indices of initial-exec TLS relocations, each once, at most
    /// [`INITIAL_EXEC_KEPT`].
    pub initial_exec: Vec<usize>,
    /// The largest symbol index named (goblin sizes the symbol table by it).
    max_symbol: usize,
}

impl Relocations {
    /// Whether a relocation names symbol `index`.
    pub fn names(&self, index: usize) -> bool {
        is_set(&self.named, index)
    }

    /// Whether a PLT slot names symbol `index`: musl binds a slot only to
    /// a definition, never to another object's PLT address.
    pub fn in_plt_slot(&self, index: usize) -> bool {
        is_set(&self.plt, index)
    }

    /// When a loader binds symbol `index`, by the relocations naming it.
    pub fn reference(&self, index: usize) -> Reference {
        if is_set(&self.load, index) {
            Reference::Load
        } else if is_set(&self.got_or_load, index) {
            Reference::Got
        } else {
            Reference::Plt
        }
    }

    /// One table of relocations, read in place: a large library has hundreds
    /// of thousands (next-swc 384k, nearly all R_*_RELATIVE, naming no
    /// symbol), so each entry costs a load and a compare, and counts are kept
    /// per run of one type.
    fn walk(
        &mut self,
        entries: &[u8],
        layout: RelocLayout,
        kinds: &RelocKinds,
        symbols_in_file: usize,
    ) {
        let mut run: Option<(u32, usize)> = None;
        let (mut initial_exec_run, mut reference_run) = (false, Reference::Load);
        for entry in entries.chunks_exact(layout.size) {
            let Some((r_type, index)) = layout.info(entry) else {
                continue;
            };
            match &mut run {
                Some((current, count)) if *current == r_type => *count += 1,
                _ => {
                    initial_exec_run = kinds.initial_exec.contains(&r_type);
                    reference_run = kinds.reference(r_type);
                    if let Some((done, count)) = run.replace((r_type, 1)) {
                        *self.counts.entry(done).or_default() += count;
                    }
                }
            }
            if initial_exec_run {
                if index == 0 {
                    self.initial_exec_own = true;
                } else if self.initial_exec.len() < INITIAL_EXEC_KEPT
                    && !self.initial_exec.contains(&index)
                {
                    self.initial_exec.push(index);
                }
            }
            if index == 0 {
                continue;
            }
            self.any_symbol = true;
            self.max_symbol = self.max_symbol.max(index);
            if kinds.copy == Some(r_type) {
                self.copied.push(index);
            }
            if index < symbols_in_file {
                set(&mut self.named, index);
                if reference_run >= Reference::Got {
                    set(&mut self.got_or_load, index);
                }
                match reference_run {
                    Reference::Load => set(&mut self.load, index),
                    Reference::Plt => set(&mut self.plt, index),
                    Reference::Got => {}
                }
            }
        }
        if let Some((done, count)) = run {
            *self.counts.entry(done).or_default() += count;
        }
    }
}

fn is_set(bits: &[u64], index: usize) -> bool {
    bits.get(index / 64)
        .is_some_and(|word| word & (1 << (index % 64)) != 0)
}

fn set(bits: &mut Vec<u64>, index: usize) {
    let word = index / 64;
    if bits.len() <= word {
        bits.resize(word + 1, 0);
    }
    if let Some(bits) = bits.get_mut(word) {
        *bits |= 1 << (index % 64);
    }
}

/// The relocation types one walk tells apart, for one architecture.
struct RelocKinds {
    /// `R_*_COPY` (RELA and REL tables only).
    copy: Option<u32>,
    initial_exec: &'static [u32],
    plt: &'static [u32],
    got: &'static [u32],
}

impl RelocKinds {
    fn reference(&self, r_type: u32) -> Reference {
        if self.plt.contains(&r_type) {
            Reference::Plt
        } else if self.got.contains(&r_type) {
            Reference::Got
        } else {
            Reference::Load
        }
    }
}

/// Where `r_info` is in a REL or RELA entry of one ELF class and byte order.
#[derive(Clone, Copy)]
struct RelocLayout {
    size: usize,
    wide: bool,
    little: bool,
}

impl RelocLayout {
    fn new(is_rela: bool, ctx: Ctx) -> RelocLayout {
        let wide = ctx.container.is_big();
        let size = match (wide, is_rela) {
            (true, true) => 24,
            (true, false) => 16,
            (false, true) => 12,
            (false, false) => 8,
        };
        RelocLayout {
            size,
            wide,
            little: ctx.le.is_little(),
        }
    }

    /// (type, symbol index) of one entry, as goblin decodes `r_info`:
    /// ELF64 `sym << 32 | type`, ELF32 `sym << 8 | type`.
    fn info(self, entry: &[u8]) -> Option<(u32, usize)> {
        if self.wide {
            let raw: [u8; 8] = entry.get(8..16)?.try_into().ok()?;
            let info = if self.little {
                u64::from_le_bytes(raw)
            } else {
                u64::from_be_bytes(raw)
            };
            let symbol = usize::try_from(info >> 32).ok()?;
            Some(((info & 0xffff_ffff) as u32, symbol))
        } else {
            let raw: [u8; 4] = entry.get(4..8)?.try_into().ok()?;
            let info = if self.little {
                u32::from_le_bytes(raw)
            } else {
                u32::from_be_bytes(raw)
            };
            Some((info & 0xff, (info >> 8) as usize))
        }
    }
}

/// An ELF file's loader-facing parts. `elf` holds goblin's header, program
/// and section headers, dynamic section, dynamic symbols and version
/// sections; its string tables are left empty (`dynstr` and `shstr` instead).
pub struct Parsed<'a> {
    pub elf: Elf<'a>,
    pub dynstr: Strings<'a>,
    /// Section names.
    pub shstr: Strings<'a>,
    pub relocations: Relocations,
    /// How many bytes the version needs (`elf.verneed`) may span: an
    /// entry of either kind is 16 bytes and lies inside them.
    pub verneed_size: u64,
}

/// Reads `bytes` as `Elf::parse` would, minus what the loader never reads.
pub fn parse(bytes: &[u8]) -> Result<Parsed<'_>> {
    let header = Elf::parse_header(bytes)?;
    let mut elf = Elf::lazy_parse(header)?;
    let container = if elf.is_64 {
        Container::Big
    } else {
        Container::Little
    };
    let ctx = Ctx::new(container, Endian::from(elf.little_endian));

    elf.program_headers = ProgramHeader::parse(
        bytes,
        usize::try_from(header.e_phoff).unwrap_or(usize::MAX),
        usize::from(header.e_phnum),
        ctx,
    )?;
    // The last PT_INTERP counts, as in goblin.
    elf.interpreter = elf
        .program_headers
        .iter()
        .rfind(|ph| ph.p_type == PT_INTERP && ph.p_filesz != 0)
        .and_then(|ph| {
            let start = usize::try_from(ph.p_offset).ok()?;
            let length = usize::try_from(ph.p_filesz - 1).ok()?;
            let text = bytes.get(start..start.checked_add(length)?)?;
            std::str::from_utf8(text).ok()
        });
    elf.section_headers = SectionHeader::parse(
        bytes,
        usize::try_from(header.e_shoff).unwrap_or(usize::MAX),
        usize::from(header.e_shnum),
        ctx,
    )?;
    let shstr = section_names(bytes, &elf.section_headers, header.e_shstrndx)?;

    let mut dynstr = Strings::default();
    let mut relocations = Relocations::default();
    elf.dynamic = Dynamic::parse(bytes, &elf.program_headers, ctx)?;
    if let Some(dynamic) = &elf.dynamic {
        let info = &dynamic.info;
        dynstr = Strings::at(bytes, info.strtab, info.strsz)?;
        if info.soname != 0 {
            elf.soname = dynstr.get(info.soname);
        }
        for entry in &dynamic.dyns {
            let Some(value) = usize::try_from(entry.d_val)
                .ok()
                .and_then(|at| dynstr.get(at))
            else {
                continue;
            };
            match entry.d_tag {
                goblin::elf::dynamic::DT_NEEDED => elf.libraries.push(value),
                goblin::elf::dynamic::DT_RPATH => elf.rpaths.push(value),
                goblin::elf::dynamic::DT_RUNPATH => elf.runpaths.push(value),
                _ => {}
            }
        }
        elf.dynrelas = RelocSection::parse(bytes, info.rela, info.relasz, true, ctx)?;
        elf.dynrels = RelocSection::parse(bytes, info.rel, info.relsz, false, ctx)?;
        let plt_is_rela = info.pltrel == DT_RELA;
        elf.pltrelocs = RelocSection::parse(bytes, info.jmprel, info.pltrelsz, plt_is_rela, ctx)?;

        let arch = Arch::from_elf(header.e_machine, elf.is_64, elf.little_endian);
        let (plt, got) = arch.slot_relocation_types();
        let kinds = RelocKinds {
            copy: arch.copy_relocation_type(),
            initial_exec: arch.initial_exec_tls_types(),
            plt,
            got,
        };
        let symbol_size = Sym::size(container);
        let symbols_in_file = bytes.len().saturating_sub(info.symtab) / symbol_size.max(1);
        // The tables as goblin checked them above, read in place.
        let table = |offset: usize, size: usize| {
            offset
                .checked_add(size)
                .and_then(|end| bytes.get(offset..end))
                .unwrap_or_default()
        };
        relocations.walk(
            table(info.rela, info.relasz),
            RelocLayout::new(true, ctx),
            &kinds,
            symbols_in_file,
        );
        relocations.walk(
            table(info.rel, info.relsz),
            RelocLayout::new(false, ctx),
            &kinds,
            symbols_in_file,
        );
        relocations.walk(
            table(info.jmprel, info.pltrelsz),
            RelocLayout::new(plt_is_rela, ctx),
            &RelocKinds {
                copy: None,
                ..kinds
            },
            symbols_in_file,
        );

        let mut symbols = if let Some(gnu_hash) = info.gnu_hash {
            gnu_hash_len(bytes, usize::try_from(gnu_hash).unwrap_or(usize::MAX), ctx)?
        } else if let Some(hash) = info.hash {
            hash_len(
                bytes,
                usize::try_from(hash).unwrap_or(usize::MAX),
                header.e_machine,
                ctx,
            )?
        } else {
            0
        };
        if relocations.max_symbol != 0 {
            symbols = symbols.max(relocations.max_symbol.saturating_add(1));
        }
        elf.dynsyms = Symtab::parse(bytes, info.symtab, symbols, ctx)?;
    }
    // The loaders find the version tables through the dynamic section
    // (DT_VERSYM, DT_VERNEED and DT_VERNEEDNUM): a file without section
    // headers, or with ones that say otherwise, has the versions they read.
    // The section headers, which no loader reads, are the fallback; damaged
    // tables lose the version facts, not the file (it may well load).
    let tables = version_tables(bytes, &elf);
    let versym_headers = tables.versym.as_slice();
    elf.versym = VersymSection::parse(bytes, versym_headers, ctx)
        .ok()
        .flatten()
        .or_else(|| {
            VersymSection::parse(bytes, &elf.section_headers, ctx)
                .ok()
                .flatten()
        });
    let mut verneed_size = 0;
    for headers in [tables.verneed.as_slice(), &elf.section_headers] {
        if let Ok(Some(verneed)) = VerneedSection::parse(bytes, headers, ctx) {
            elf.verneed = Some(verneed);
            verneed_size = headers
                .iter()
                .find(|shdr| shdr.sh_type == SHT_GNU_VERNEED)
                .map_or(0, |shdr| shdr.sh_size);
            break;
        }
    }
    Ok(Parsed {
        elf,
        dynstr,
        shstr,
        relocations,
        verneed_size,
    })
}

/// The version tables the dynamic section names, as section headers for
/// goblin's readers: `.gnu.version` with one entry per dynamic symbol,
/// `.gnu.version_r` up to the end of the file.
struct VersionTables {
    versym: Option<SectionHeader>,
    verneed: Option<SectionHeader>,
}

fn version_tables(bytes: &[u8], elf: &Elf) -> VersionTables {
    let Some(info) = elf.dynamic.as_ref().map(|dynamic| &dynamic.info) else {
        return VersionTables {
            versym: None,
            verneed: None,
        };
    };
    let file_len = bytes.len() as u64;
    // goblin gives 0 for a table that is absent or outside every segment.
    let table = |offset: u64, sh_type: u32, size: u64, count: u64| {
        (offset != 0 && offset < file_len).then(|| SectionHeader {
            sh_type,
            sh_offset: offset,
            sh_size: size.min(file_len - offset),
            sh_info: u32::try_from(count).unwrap_or(u32::MAX),
            ..SectionHeader::default()
        })
    };
    let symbols = elf.dynsyms.len() as u64;
    VersionTables {
        versym: table(info.versym, SHT_GNU_VERSYM, symbols.saturating_mul(2), 0),
        // glibc's ld.so follows vn_next to the last entry and never reads
        // DT_VERNEEDNUM (elf/dl-version.c): no count, the chain decides.
        verneed: table(info.verneed, SHT_GNU_VERNEED, u64::MAX, u64::MAX),
    }
}

/// The section name table (`e_shstrndx`, or section 0's `sh_link` for
/// SHN_XINDEX); none when the index is past the table, as goblin has it.
fn section_names<'a>(
    bytes: &'a [u8],
    sections: &[SectionHeader],
    shstrndx: u16,
) -> Result<Strings<'a>> {
    let mut index = usize::from(shstrndx);
    if shstrndx == SHN_XINDEX as u16 {
        let Some(first) = sections.first() else {
            return Ok(Strings::default());
        };
        index = usize::try_from(first.sh_link).unwrap_or(usize::MAX);
    }
    let Some(section) = sections.get(index) else {
        return Ok(Strings::default());
    };
    section.check_size(bytes.len())?;
    Strings::at(
        bytes,
        usize::try_from(section.sh_offset).unwrap_or(usize::MAX),
        usize::try_from(section.sh_size).unwrap_or(usize::MAX),
    )
}

/// The number of dynamic symbols by DT_GNU_HASH: one past the last chain's
/// end (as goblin counts them).
fn gnu_hash_len(bytes: &[u8], offset: usize, ctx: Ctx) -> Result<usize> {
    let word = |at: usize| read_u32(bytes, at, ctx);
    let buckets = word(offset)?;
    let min_chain = word(offset.saturating_add(4))?;
    let bloom_size = word(offset.saturating_add(8))?;
    if buckets == 0 || min_chain == 0 || bloom_size == 0 {
        return Err(Error::Malformed(format!(
            "Invalid DT_GNU_HASH: buckets_num={buckets} min_chain={min_chain} bloom_size={bloom_size}"
        )));
    }
    let bloom_word = if ctx.container.is_big() { 8 } else { 4 };
    let buckets_at = bloom_size
        .checked_mul(bloom_word)
        .and_then(|bloom| offset.checked_add(16)?.checked_add(bloom))
        .ok_or_else(|| Error::Malformed("DT_GNU_HASH bloom filter past the end".to_string()))?;
    let mut max_chain = 0;
    for bucket in 0..buckets {
        let at = bucket
            .checked_mul(4)
            .and_then(|b| buckets_at.checked_add(b))
            .ok_or_else(|| Error::Malformed("DT_GNU_HASH buckets past the end".to_string()))?;
        max_chain = max_chain.max(word(at)?);
    }
    if max_chain < min_chain {
        return Ok(0);
    }
    let mut chain_at = (max_chain - min_chain)
        .checked_mul(4)
        .and_then(|chain| {
            buckets_at
                .checked_add(buckets.checked_mul(4)?)?
                .checked_add(chain)
        })
        .ok_or_else(|| Error::Malformed("DT_GNU_HASH chains past the end".to_string()))?;
    loop {
        let hash = word(chain_at)?;
        max_chain = max_chain.saturating_add(1);
        chain_at = chain_at.saturating_add(4);
        if hash & 1 != 0 {
            return Ok(max_chain);
        }
    }
}

/// The number of dynamic symbols by DT_HASH: its `nchain` (readelf's rule).
fn hash_len(bytes: &[u8], offset: usize, machine: u16, ctx: Ctx) -> Result<usize> {
    let at = offset.saturating_add(4);
    let wide = (machine == EM_FAKE_ALPHA || machine == EM_S390) && ctx.container.is_big();
    if !wide {
        return read_u32(bytes, at, ctx);
    }
    let raw = bytes_at::<8>(bytes, at)?;
    let count = if ctx.le.is_little() {
        u64::from_le_bytes(raw)
    } else {
        u64::from_be_bytes(raw)
    };
    Ok(usize::try_from(count).unwrap_or(usize::MAX))
}

fn read_u32(bytes: &[u8], at: usize, ctx: Ctx) -> Result<usize> {
    let raw = bytes_at::<4>(bytes, at)?;
    let value = if ctx.le.is_little() {
        u32::from_le_bytes(raw)
    } else {
        u32::from_be_bytes(raw)
    };
    Ok(usize::try_from(value).unwrap_or(usize::MAX))
}

/// The `N` bytes at `at`, or an error naming the offset.
fn bytes_at<const N: usize>(bytes: &[u8], at: usize) -> Result<[u8; N]> {
    at.checked_add(N)
        .and_then(|end| bytes.get(at..end))
        .and_then(|raw| raw.try_into().ok())
        .ok_or_else(|| past_the_end(at))
}

fn past_the_end(at: usize) -> Error {
    Error::Malformed(format!(
        "hash table read at {at:#x} is past the end of the file"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_looked_up_in_place_including_suffixes() {
        let table = b"\0libc.so.6\0GLIBC_2.34\0";
        let strings = Strings::at(table, 0, table.len()).unwrap();
        assert_eq!(strings.get(0), Some(""));
        assert_eq!(strings.get(1), Some("libc.so.6"));
        assert_eq!(strings.get(6), Some("so.6"));
        assert_eq!(strings.get(11), Some("GLIBC_2.34"));
        assert_eq!(strings.get(table.len()), None);
        assert_eq!(strings.get(usize::MAX), None);
        assert!(Strings::at(table, 20, 10).is_err());
        assert!(Strings::at(table, usize::MAX, 2).is_err());
        assert!(Strings::at(b"\0\xff\0", 0, 3).is_err());
    }

    #[test]
    fn relocated_symbols_past_the_file_are_not_kept() {
        let relocations = Relocations {
            named: vec![0b1010],
            ..Relocations::default()
        };
        assert!(relocations.names(1));
        assert!(relocations.names(3));
        assert!(!relocations.names(2));
        assert!(!relocations.names(1 << 40));
    }

    /// RELA entries for x86_64: (type, symbol index).
    fn rela(entries: &[(u32, u64)]) -> Vec<u8> {
        entries
            .iter()
            .flat_map(|&(r_type, symbol)| {
                let info = (symbol << 32) | u64::from(r_type);
                [0u64.to_le_bytes(), info.to_le_bytes(), 0u64.to_le_bytes()].concat()
            })
            .collect()
    }

    fn walk_x86_64(entries: &[(u32, u64)]) -> Relocations {
        let (plt, got) = Arch::X86_64.slot_relocation_types();
        let kinds = RelocKinds {
            copy: Arch::X86_64.copy_relocation_type(),
            initial_exec: Arch::X86_64.initial_exec_tls_types(),
            plt,
            got,
        };
        let ctx = Ctx::new(Container::Big, Endian::Little);
        let mut relocations = Relocations::default();
        relocations.walk(&rela(entries), RelocLayout::new(true, ctx), &kinds, 1000);
        relocations
    }

    #[test]
    fn the_own_tls_block_is_kept_past_the_cap_on_named_symbols() {
        const TPOFF64: u32 = 18;
        let mut entries: Vec<(u32, u64)> = (1..=40).map(|s| (TPOFF64, s)).collect();
        entries.push((TPOFF64, 0));
        let relocations = walk_x86_64(&entries);
        assert!(relocations.initial_exec_own);
        assert_eq!(relocations.initial_exec.len(), INITIAL_EXEC_KEPT);
    }

    #[test]
    fn a_symbol_is_bound_by_its_most_eager_relocation() {
        const R64: u32 = 1;
        const GLOB_DAT: u32 = 6;
        const JUMP_SLOT: u32 = 7;
        let relocations = walk_x86_64(&[
            (JUMP_SLOT, 1),
            (JUMP_SLOT, 2),
            (GLOB_DAT, 2),
            (JUMP_SLOT, 3),
            (R64, 3),
        ]);
        assert_eq!(relocations.reference(1), Reference::Plt);
        assert_eq!(relocations.reference(2), Reference::Got);
        assert_eq!(relocations.reference(3), Reference::Load);
    }
}
