//! CPU architectures, named the way distributions name them (`x86_64`, `aarch64`).

use std::fmt;
use std::str::FromStr;

// `e_machine` values (elf.h).
const EM_X86_64: u16 = 62;
const EM_AARCH64: u16 = 183;
const EM_386: u16 = 3;
const EM_ARM: u16 = 40;
const EM_PPC64: u16 = 21;
const EM_S390: u16 = 22;
const EM_RISCV: u16 = 243;
const EM_LOONGARCH: u16 = 258;

/// A CPU architecture an ELF file is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Arch {
    X86_64,
    Aarch64,
    I686,
    Armv7,
    Ppc64le,
    Ppc64,
    S390x,
    Riscv64,
    Loongarch64,
    /// A machine muslcheck has no name for; the raw `e_machine` value.
    Other(u16),
}

impl Arch {
    /// The architecture of an ELF header (`e_machine`, refined by class and byte order).
    pub fn from_elf(e_machine: u16, is_64: bool, little_endian: bool) -> Arch {
        match e_machine {
            EM_X86_64 => Arch::X86_64,
            EM_AARCH64 => Arch::Aarch64,
            EM_386 => Arch::I686,
            EM_ARM => Arch::Armv7,
            EM_PPC64 if little_endian => Arch::Ppc64le,
            EM_PPC64 => Arch::Ppc64,
            EM_S390 if is_64 => Arch::S390x,
            EM_RISCV if is_64 => Arch::Riscv64,
            EM_LOONGARCH if is_64 => Arch::Loongarch64,
            other => Arch::Other(other),
        }
    }

    /// The architecture this program was compiled for.
    pub fn host() -> Arch {
        match std::env::consts::ARCH {
            "aarch64" => Arch::Aarch64,
            "x86" => Arch::I686,
            "arm" => Arch::Armv7,
            "powerpc64" if cfg!(target_endian = "little") => Arch::Ppc64le,
            "powerpc64" => Arch::Ppc64,
            "s390x" => Arch::S390x,
            "riscv64" => Arch::Riscv64,
            "loongarch64" => Arch::Loongarch64,
            _ => Arch::X86_64,
        }
    }

    /// The relocation type that copies a data symbol into an executable (`R_*_COPY`).
    pub fn copy_relocation_type(self) -> Option<u32> {
        match self {
            Arch::X86_64 | Arch::I686 => Some(5),
            Arch::Aarch64 => Some(1024),
            Arch::Armv7 => Some(20),
            Arch::Ppc64le | Arch::Ppc64 => Some(19),
            Arch::S390x => Some(9),
            Arch::Riscv64 => Some(4),
            Arch::Loongarch64 => Some(4),
            Arch::Other(_) => None,
        }
    }

    /// The relocation types of initial-exec TLS (musl's `REL_TPOFF` and
    /// `REL_TPOFF_NEG` in `arch/*/reloc.h`): a fixed offset from the thread
    /// pointer, which only objects loaded at program start have.
    pub fn initial_exec_tls_types(self) -> &'static [u32] {
        match self {
            Arch::X86_64 => &[18],
            Arch::I686 => &[14, 37],
            Arch::Aarch64 => &[1030],
            Arch::Armv7 => &[19],
            Arch::Ppc64le | Arch::Ppc64 => &[73],
            Arch::S390x => &[56],
            Arch::Riscv64 => &[11],
            Arch::Loongarch64 => &[11],
            Arch::Other(_) => &[],
        }
    }

    /// The relocation types a lazy loader may leave unbound: the PLT's
    /// jump slots and the GOT's data entries (musl's `REL_PLT` and
    /// `REL_GOT` in `arch/*/reloc.h`). Any other type naming a symbol binds
    /// it when the object is loaded.
    pub fn slot_relocation_types(self) -> (&'static [u32], &'static [u32]) {
        match self {
            Arch::X86_64 | Arch::I686 => (&[7], &[6]),
            Arch::Aarch64 => (&[1026], &[1025]),
            Arch::Armv7 => (&[22], &[21]),
            Arch::Ppc64le | Arch::Ppc64 => (&[21], &[20]),
            Arch::S390x => (&[11], &[10]),
            Arch::Riscv64 | Arch::Loongarch64 => (&[5], &[]),
            Arch::Other(_) => (&[], &[]),
        }
    }

    /// Name of a relocation type, for messages.
    pub fn relocation_name(self, r_type: u32) -> String {
        let name = match (self, r_type) {
            (Arch::X86_64, 37) => "R_X86_64_IRELATIVE",
            (Arch::X86_64, 19) => "R_X86_64_DTPOFF32",
            (Arch::X86_64, 10) => "R_X86_64_32",
            (Arch::X86_64, 11) => "R_X86_64_32S",
            (Arch::X86_64, 24) => "R_X86_64_PC64",
            (Arch::Aarch64, 1032) => "R_AARCH64_IRELATIVE",
            _ => return format!("type {r_type}"),
        };
        name.to_string()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
            Arch::I686 => "i686",
            Arch::Armv7 => "armv7",
            Arch::Ppc64le => "ppc64le",
            Arch::Ppc64 => "ppc64",
            Arch::S390x => "s390x",
            Arch::Riscv64 => "riscv64",
            Arch::Loongarch64 => "loongarch64",
            Arch::Other(_) => "other",
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arch::Other(machine) => write!(f, "machine-{machine}"),
            known => f.write_str(known.as_str()),
        }
    }
}

impl FromStr for Arch {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "x86_64" | "amd64" | "x64" => Arch::X86_64,
            "aarch64" | "arm64" => Arch::Aarch64,
            "i686" | "i386" | "x86" => Arch::I686,
            "armv7" | "armhf" | "arm" => Arch::Armv7,
            "ppc64le" => Arch::Ppc64le,
            "ppc64" => Arch::Ppc64,
            "s390x" => Arch::S390x,
            "riscv64" => Arch::Riscv64,
            "loongarch64" => Arch::Loongarch64,
            other => {
                return Err(format!(
                    "unknown architecture `{other}`; expected one of x86_64, aarch64, i686, armv7, ppc64le, ppc64, s390x, riscv64, loongarch64"
                ));
            }
        })
    }
}

impl serde::Serialize for Arch {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}
