//! Small ELF files written from scratch, and hostile rewrites of real ones,
//! for tests that need many generated libraries or one crafted section.

/// A x86-64 shared object: what it needs and what it defines.
#[derive(Debug, Clone, Default)]
pub struct SharedObject {
    pub soname: Option<String>,
    pub needed: Vec<String>,
    /// DT_RUNPATH.
    pub runpath: Option<String>,
    /// DT_RPATH.
    pub rpath: Option<String>,
    /// Global function symbols it uses and does not define.
    pub undefined: Vec<String>,
    /// Global function symbols it defines.
    pub exports: Vec<String>,
    /// Global symbols it defines as STT_GNU_IFUNC and names in a relocation
    /// of its own (as libatomic's PLT does).
    pub ifunc_exports: Vec<String>,
    /// PT_INTERP: a program (position-independent) rather than a library.
    pub interpreter: Option<String>,
}

const EHDR_SIZE: usize = 64;
const PHDR_SIZE: usize = 56;
const SYM_SIZE: usize = 24;

fn push_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}
fn push_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}
fn push_u64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}
fn align(out: &mut Vec<u8>, to: usize) {
    while out.len() % to != 0 {
        out.push(0);
    }
}

impl SharedObject {
    /// An object needing `libc` then `needed`, and nothing else said.
    pub fn needing(libc: &str, needed: &[&str]) -> SharedObject {
        SharedObject {
            needed: std::iter::once(libc)
                .chain(needed.iter().copied())
                .map(str::to_string)
                .collect(),
            ..SharedObject::default()
        }
    }

    /// The file's bytes: ELF header, a PT_LOAD covering the whole file at
    /// address 0 (so addresses are offsets), PT_DYNAMIC, `.dynstr`, `.dynsym`,
    /// a SysV hash table (which gives goblin the symbol count and musl its lookup) and the dynamic
    /// section, with one R_X86_64_GLOB_DAT relocation (into a GOT slot of
    /// its own) per undefined symbol and per IFUNC export, so musl's loader
    /// looks each one up.
    /// No section headers.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut strings = vec![0u8];
        let mut intern = |name: &str| -> u64 {
            let at = strings.len() as u64;
            strings.extend_from_slice(name.as_bytes());
            strings.push(0);
            at
        };
        let needed: Vec<u64> = self.needed.iter().map(|n| intern(n)).collect();
        let soname = self.soname.as_deref().map(&mut intern);
        let runpath = self.runpath.as_deref().map(&mut intern);
        let rpath = self.rpath.as_deref().map(&mut intern);
        // (name offset, st_info, defined), the relocated ones first
        let mut symbols: Vec<(u64, u8, bool)> = Vec::new();
        for name in &self.undefined {
            symbols.push((intern(name), 0x12, false)); // STB_GLOBAL, STT_FUNC
        }
        for name in &self.ifunc_exports {
            symbols.push((intern(name), 0x1a, true)); // STB_GLOBAL, STT_GNU_IFUNC
        }
        let relocated = symbols.len();
        for name in &self.exports {
            symbols.push((intern(name), 0x12, true));
        }

        let mut body = Vec::new();
        let phnum = if self.interpreter.is_some() { 3 } else { 2 };
        let body_start = EHDR_SIZE + phnum * PHDR_SIZE;
        let strtab = body_start as u64;
        body.extend_from_slice(&strings);
        let interpreter = self.interpreter.as_ref().map(|path| {
            let at = (body_start + body.len()) as u64;
            body.extend_from_slice(path.as_bytes());
            body.push(0);
            (at, path.len() as u64 + 1)
        });
        let at = |body: &Vec<u8>| (body_start + body.len()) as u64;
        align(&mut body, 8);
        let symtab = at(&body);
        body.extend_from_slice(&[0; SYM_SIZE]);
        for &(name, info, defined) in &symbols {
            push_u32(&mut body, name as u32);
            body.push(info);
            body.push(0);
            push_u16(&mut body, if defined { 1 } else { 0 }); // SHN_UNDEF when undefined
            push_u64(&mut body, if defined { 0x1000 } else { 0 });
            push_u64(&mut body, 0);
        }
        let hash = at(&body);
        let nsyms = (symbols.len() + 1) as u32;
        // One bucket holding every symbol in order: valid for any hash values.
        push_u32(&mut body, 1); // nbucket
        push_u32(&mut body, nsyms); // nchain: the symbol count
        push_u32(&mut body, u32::from(nsyms > 1)); // bucket[0]: the first symbol
        for index in 0..nsyms {
            push_u32(&mut body, if index + 1 < nsyms { index + 1 } else { 0 });
        }
        align(&mut body, 8);
        let got = at(&body);
        body.extend(std::iter::repeat_n(0u8, 8 * relocated));
        let rela = at(&body);
        for index in 0..relocated {
            push_u64(&mut body, got + 8 * index as u64); // r_offset
            push_u64(&mut body, ((index as u64 + 1) << 32) | 6); // symbol, R_X86_64_GLOB_DAT
            push_u64(&mut body, 0); // r_addend
        }
        let rela_size = (24 * relocated) as u64;
        let dynamic = at(&body);
        let mut entries: Vec<(u64, u64)> = needed.iter().map(|&n| (1, n)).collect();
        if let Some(soname) = soname {
            entries.push((14, soname));
        }
        if let Some(rpath) = rpath {
            entries.push((15, rpath));
        }
        if let Some(runpath) = runpath {
            entries.push((29, runpath));
        }
        entries.extend([
            (4, hash),
            (5, strtab),
            (6, symtab),
            (10, strings.len() as u64),
            (11, SYM_SIZE as u64),
            (7, rela),
            (8, rela_size),
            (9, 24),
            (0, 0),
        ]);
        for (tag, value) in &entries {
            push_u64(&mut body, *tag);
            push_u64(&mut body, *value);
        }
        let dynamic_size = (entries.len() * 16) as u64;
        let total = (body_start + body.len()) as u64;

        let mut out = Vec::with_capacity(total as usize);
        out.extend_from_slice(b"\x7fELF");
        out.extend_from_slice(&[2, 1, 1, 0]); // 64-bit, little endian, version 1, SysV
        out.extend_from_slice(&[0; 8]);
        push_u16(&mut out, 3); // ET_DYN
        push_u16(&mut out, 62); // EM_X86_64
        push_u32(&mut out, 1);
        push_u64(&mut out, 0); // e_entry
        push_u64(&mut out, EHDR_SIZE as u64); // e_phoff
        push_u64(&mut out, 0); // e_shoff
        push_u32(&mut out, 0); // e_flags
        push_u16(&mut out, EHDR_SIZE as u16);
        push_u16(&mut out, PHDR_SIZE as u16);
        push_u16(&mut out, phnum as u16); // e_phnum
        push_u16(&mut out, 64); // e_shentsize
        push_u16(&mut out, 0); // e_shnum
        push_u16(&mut out, 0); // e_shstrndx
        // PT_INTERP first, then PT_LOAD, read-write (the GOT is written),
        // the whole file at address 0.
        let headers = interpreter
            .map(|(at, len)| (3u32, 4u32, at, len, 1u64))
            .into_iter()
            .chain([(1, 6, 0, total, 0x1000), (2, 6, dynamic, dynamic_size, 8)]);
        for (p_type, flags, offset, size, alignment) in headers {
            push_u32(&mut out, p_type);
            push_u32(&mut out, flags);
            push_u64(&mut out, offset);
            push_u64(&mut out, offset); // p_vaddr
            push_u64(&mut out, offset); // p_paddr
            push_u64(&mut out, size);
            push_u64(&mut out, size);
            push_u64(&mut out, alignment);
        }
        out.extend_from_slice(&body);
        out
    }
}

fn read_u16(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap())
}
fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}
fn read_u64(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
}
fn write_u32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}
fn write_u64(bytes: &mut [u8], at: usize, value: u64) {
    bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

/// Rewrites the `.gnu.version_r` section of a little-endian ELF64 file with
/// one version need: `needs` verneed entries (all naming the original first
/// entry's library) that all point at one shared array of `auxes` vernaux
/// entries (all naming the original first version). The new section is
/// appended to the file; its section header is patched to point at it.
/// A reader that follows every entry's aux array yields `needs × auxes`
/// items from `16 × (needs + auxes)` bytes.
pub fn shared_vernaux(original: &[u8], needs: u16, auxes: u16) -> Vec<u8> {
    const SHT_GNU_VERNEED: u32 = 0x6fff_fffe;
    let mut bytes = original.to_vec();
    let (shoff, shentsize, shnum) = (
        read_u64(&bytes, 40) as usize,
        read_u16(&bytes, 58) as usize,
        read_u16(&bytes, 60) as usize,
    );
    let header = (0..shnum)
        .map(|i| shoff + i * shentsize)
        .find(|&at| read_u32(&bytes, at + 4) == SHT_GNU_VERNEED)
        .expect("the file has a .gnu.version_r section");
    let old = read_u64(&bytes, header + 24) as usize;
    let vn_file = read_u32(&bytes, old + 4);
    let first_aux = old + read_u32(&bytes, old + 8) as usize;
    let (vna_hash, vna_other, vna_name) = (
        read_u32(&bytes, first_aux),
        read_u16(&bytes, first_aux + 6),
        read_u32(&bytes, first_aux + 8),
    );

    align(&mut bytes, 8);
    let start = bytes.len();
    let (needs, auxes) = (usize::from(needs), usize::from(auxes));
    for i in 0..needs {
        push_u16(&mut bytes, 1); // vn_version
        push_u16(&mut bytes, auxes as u16); // vn_cnt
        push_u32(&mut bytes, vn_file);
        push_u32(&mut bytes, (16 * (needs - i)) as u32); // vn_aux: the shared array
        push_u32(&mut bytes, if i + 1 == needs { 0 } else { 16 }); // vn_next
    }
    for k in 0..auxes {
        push_u32(&mut bytes, vna_hash);
        push_u16(&mut bytes, 0); // vna_flags
        push_u16(&mut bytes, vna_other);
        push_u32(&mut bytes, vna_name);
        push_u32(&mut bytes, if k + 1 == auxes { 0 } else { 16 }); // vna_next
    }
    write_u64(&mut bytes, header + 24, start as u64); // sh_offset
    write_u64(&mut bytes, header + 32, (16 * (needs + auxes)) as u64); // sh_size
    write_u32(&mut bytes, header + 44, needs as u32); // sh_info: the verneed count
    bytes
}
