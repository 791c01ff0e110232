//! A layer blob as a stream: hashed and counted as it is read, inflated as
//! its first bytes say (gzip, zstd frames, or none), and stopped when it
//! inflates like a bomb.

use std::cell::Cell;
use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;

use sha2::Digest as _;

/// A layer inflating to more than this many times its compressed size
/// (past [`BOMB_FLOOR`]) is a bomb: real layers stay far below.
const MAX_INFLATE_RATIO: u64 = 200;
const BOMB_FLOOR: u64 = 256 * 1024 * 1024;
/// Most bytes a single layer may inflate to, whatever its ratio.
const MAX_LAYER_INFLATED: u64 = 64 * 1024 * 1024 * 1024;

/// Counts and hashes the blob's bytes as they are read.
pub(super) struct Hashing<R> {
    pub(super) inner: R,
    pub(super) hasher: sha2::Sha256,
    pub(super) read: Rc<Cell<u64>>,
}

impl<'a> Hashing<Box<dyn Read + 'a>> {
    /// Reads nothing (a placeholder while a reader changes hands).
    fn empty() -> Self {
        Hashing {
            inner: Box::new(std::io::empty()),
            hasher: sha2::Sha256::new(),
            read: Rc::new(Cell::new(0)),
        }
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(bytes) = buf.get(..n) {
            self.hasher.update(bytes);
        }
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

pub(super) type Raw<'a> = BufReader<Hashing<Box<dyn Read + 'a>>>;

/// The layer's tar stream, inflated as its first bytes say.
pub(super) enum Inflate<'a> {
    Plain(Raw<'a>),
    Gzip(flate2::bufread::MultiGzDecoder<Raw<'a>>),
    Zstd(ZstdFrames<'a>),
}

impl<'a> Inflate<'a> {
    pub(super) fn into_raw(self) -> Raw<'a> {
        match self {
            Inflate::Plain(raw) => raw,
            Inflate::Gzip(gzip) => gzip.into_inner(),
            Inflate::Zstd(zstd) => zstd.into_raw(),
        }
    }
}

impl Read for Inflate<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Inflate::Plain(raw) => raw.read(buf),
            Inflate::Gzip(gzip) => gzip.read(buf),
            Inflate::Zstd(zstd) => zstd.read(buf),
        }
    }
}

type ZstdDecoder<'a> = ruzstd::decoding::StreamingDecoder<Raw<'a>, ruzstd::decoding::FrameDecoder>;

/// A zstd stream of one frame or more (zstd:chunked layers write several,
/// and skippable frames between them), decoded one frame after another.
pub(super) enum ZstdFrames<'a> {
    Decoding(Box<ZstdDecoder<'a>>),
    Between(Raw<'a>),
}

const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

impl<'a> ZstdFrames<'a> {
    fn new(raw: Raw<'a>) -> Result<ZstdFrames<'a>, String> {
        ZstdDecoder::new(raw)
            .map(|decoder| ZstdFrames::Decoding(Box::new(decoder)))
            .map_err(|e| format!("not a readable zstd stream: {e}"))
    }

    pub(super) fn into_raw(self) -> Raw<'a> {
        match self {
            ZstdFrames::Decoding(decoder) => decoder.into_inner(),
            ZstdFrames::Between(raw) => raw,
        }
    }

    /// After a frame: skips skippable frames; `true` when another zstd frame follows.
    fn next_frame(raw: &mut Raw<'a>) -> std::io::Result<bool> {
        loop {
            let head = raw.fill_buf()?;
            if head.starts_with(&ZSTD_MAGIC) {
                return Ok(true);
            }
            // Skippable frames: magic 0x184D2A50..=0x184D2A5F (little-endian), then a u32 size.
            let skippable = head.len() >= 8
                && head.get(1..4) == Some([0x2a, 0x4d, 0x18].as_slice())
                && head.first().is_some_and(|b| b & 0xf0 == 0x50);
            if !skippable {
                return Ok(false);
            }
            let mut header = [0u8; 8];
            raw.read_exact(&mut header)?;
            let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
            std::io::copy(
                &mut raw.by_ref().take(u64::from(size)),
                &mut std::io::sink(),
            )?;
        }
    }
}

impl Read for ZstdFrames<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let ZstdFrames::Decoding(decoder) = self else {
                return Ok(0);
            };
            let n = decoder.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // This frame ended: another may follow.
            let placeholder = ZstdFrames::Between(BufReader::new(Hashing::empty()));
            let ZstdFrames::Decoding(decoder) = std::mem::replace(self, placeholder) else {
                return Ok(0);
            };
            let mut raw = decoder.into_inner();
            if !Self::next_frame(&mut raw)? {
                *self = ZstdFrames::Between(raw);
                return Ok(0);
            }
            *self = ZstdFrames::new(raw).map_err(std::io::Error::other)?;
        }
    }
}

/// Stops a layer that inflates like a bomb.
pub(super) struct Bounded<'a> {
    pub(super) inner: Inflate<'a>,
    pub(super) inflated: u64,
    pub(super) raw: Rc<Cell<u64>>,
}

impl Read for Bounded<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.inflated += n as u64;
        let ratio_cap = self
            .raw
            .get()
            .saturating_mul(MAX_INFLATE_RATIO)
            .max(BOMB_FLOOR);
        if self.inflated > ratio_cap || self.inflated > MAX_LAYER_INFLATED {
            return Err(std::io::Error::other(format!(
                "inflates to over {} MiB from {} KiB (a decompression bomb?); not read further",
                self.inflated / (1024 * 1024),
                self.raw.get() / 1024
            )));
        }
        Ok(n)
    }
}

pub(super) fn open_inflated(mut raw: Raw<'_>) -> Result<Inflate<'_>, String> {
    let head = raw.fill_buf().map_err(|e| e.to_string())?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Inflate::Gzip(flate2::bufread::MultiGzDecoder::new(raw)))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        ZstdFrames::new(raw).map(Inflate::Zstd)
    } else {
        Ok(Inflate::Plain(raw))
    }
}
