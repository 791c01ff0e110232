//! A layer blob as a stream: hashed and counted as it is read, inflated as
//! its first bytes say (gzip, zstd frames, or none), and stopped when it
//! inflates like a bomb.

use std::cell::Cell;
use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;

use sha2::Digest as _;

/// A layer inflating to more than this many times its compressed size is a
/// bomb (real layers stay far below), once the image has used its
/// [`BOMB_FLOOR`]: bytes past the ratio that all its layers together may
/// inflate (a thousand layers each just under a floor of their own made an
/// image of 8 MB inflate about 250 GiB, in 55-62 s).
const MAX_INFLATE_RATIO: u64 = 200;
pub(super) const BOMB_FLOOR: u64 = 256 * 1024 * 1024;
/// The window a zstd layer may decode before its first byte out while its
/// blob is too short to pay for it by the ratio: zstd's levels 1-19 use at
/// most 8 MiB. Only while the image has floor left.
const WINDOW_GRACE: u64 = 8 * 1024 * 1024;
/// Most bytes a single layer may inflate to, whatever its ratio.
const MAX_LAYER_INFLATED: u64 = 64 * 1024 * 1024 * 1024;
/// The largest zstd window decoded: zstd's own decoder refuses larger ones
/// unless told otherwise (`ZSTD_WINDOWLOG_LIMIT_DEFAULT`, 2^27). The decoder
/// keeps a window of output in memory, and gives out none of a frame's
/// bytes until it has decoded a window's worth.
const MAX_ZSTD_WINDOW: u64 = 128 * 1024 * 1024;

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

impl Inflate<'_> {
    /// Bytes the next read inflates before it gives out any: a zstd frame
    /// not yet begun decodes its window first.
    fn inflates_ahead(&self) -> u64 {
        match self {
            Inflate::Zstd(ZstdFrames::Decoding(_, ahead)) => *ahead,
            _ => 0,
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

/// A frame's header, read to check its window, then the rest of the stream.
type FrameSource<'a> = std::io::Chain<std::io::Cursor<Vec<u8>>, Raw<'a>>;
type ZstdDecoder<'a> =
    ruzstd::decoding::StreamingDecoder<FrameSource<'a>, ruzstd::decoding::FrameDecoder>;

/// A zstd stream of one frame or more (zstd:chunked layers write several,
/// and skippable frames between them), decoded one frame after another.
pub(super) enum ZstdFrames<'a> {
    /// A frame, and the bytes it decodes before its first byte out (0 once
    /// it gave some).
    Decoding(Box<ZstdDecoder<'a>>, u64),
    Between(Raw<'a>),
}

const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

impl<'a> ZstdFrames<'a> {
    fn new(mut raw: Raw<'a>) -> Result<ZstdFrames<'a>, String> {
        let unreadable = |e: std::io::Error| format!("not a readable zstd stream: {e}");
        let header = read_frame_header(&mut raw).map_err(unreadable)?;
        let Some(window) = frame_window(&header) else {
            return Err("not a readable zstd stream: a malformed frame header".to_string());
        };
        if window.size > MAX_ZSTD_WINDOW {
            return Err(format!(
                "a zstd frame asks for a {} MiB window, more than the {} MiB zstd itself decodes without being told to",
                window.size / (1024 * 1024),
                MAX_ZSTD_WINDOW / (1024 * 1024)
            ));
        }
        let ahead = window
            .content
            .map_or(window.size, |content| content.min(window.size));
        ZstdDecoder::new(std::io::Cursor::new(header).chain(raw))
            .map(|decoder| ZstdFrames::Decoding(Box::new(decoder), ahead))
            .map_err(|e| format!("not a readable zstd stream: {e}"))
    }

    pub(super) fn into_raw(self) -> Raw<'a> {
        match self {
            ZstdFrames::Decoding(decoder, _) => decoder.into_inner().into_inner().1,
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
            let ZstdFrames::Decoding(decoder, ahead) = self else {
                return Ok(0);
            };
            let n = decoder.read(buf)?;
            if n > 0 || buf.is_empty() {
                *ahead = 0;
                return Ok(n);
            }
            // This frame ended: another may follow.
            let placeholder = ZstdFrames::Between(BufReader::new(Hashing::empty()));
            let ZstdFrames::Decoding(decoder, _) = std::mem::replace(self, placeholder) else {
                return Ok(0);
            };
            let mut raw = decoder.into_inner().into_inner().1;
            if !Self::next_frame(&mut raw)? {
                *self = ZstdFrames::Between(raw);
                return Ok(0);
            }
            *self = ZstdFrames::new(raw).map_err(std::io::Error::other)?;
        }
    }
}

/// Stops a layer that inflates like a bomb, with the image's layers below
/// it.
pub(super) struct Bounded<'a> {
    pub(super) inner: Inflate<'a>,
    pub(super) inflated: u64,
    pub(super) raw: Rc<Cell<u64>>,
    /// What the layers below left of the image's [`BOMB_FLOOR`].
    pub(super) floor_left: u64,
}

/// A layer's bytes inflated past [`MAX_INFLATE_RATIO`] times its blob.
pub(super) fn past_the_ratio(inflated: u64, raw: u64) -> u64 {
    inflated.saturating_sub(raw.saturating_mul(MAX_INFLATE_RATIO))
}

impl Read for Bounded<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // A frame's window is decoded before any of it comes out: checked first.
        self.check(self.inner.inflates_ahead())?;
        let n = self.inner.read(buf)?;
        self.inflated += n as u64;
        self.check(0)?;
        Ok(n)
    }
}

impl Bounded<'_> {
    /// An error when this layer, with `ahead` bytes more, inflates past its
    /// cap, or past the ratio by more than the image's floor left.
    fn check(&self, ahead: u64) -> std::io::Result<()> {
        let inflated = self.inflated.saturating_add(ahead);
        let raw = self.raw.get();
        let grace = if ahead > 0 && self.floor_left > 0 {
            WINDOW_GRACE
        } else {
            0
        };
        if inflated > MAX_LAYER_INFLATED {
            return Err(std::io::Error::other(format!(
                "inflates to over {} MiB (a decompression bomb?); not read further",
                inflated / (1024 * 1024),
            )));
        }
        if past_the_ratio(inflated, raw) > self.floor_left.saturating_add(grace) {
            return Err(std::io::Error::other(format!(
                "inflates to over {} MiB from {} KiB, past {MAX_INFLATE_RATIO} times its size by more than the {} MiB the image's layers together may (a decompression bomb?); not read further",
                inflated / (1024 * 1024),
                raw / 1024,
                BOMB_FLOOR / (1024 * 1024)
            )));
        }
        Ok(())
    }
}

/// A zstd frame's window and, when its header says, its content size.
#[derive(Debug, PartialEq, Eq)]
struct FrameWindow {
    size: u64,
    content: Option<u64>,
}

/// Where a frame header's fields lie, by its descriptor (RFC 8878
/// 3.1.1.1: magic, descriptor, then a window descriptor unless the frame is
/// a single segment, a dictionary id, a content size).
struct HeaderLayout {
    single_segment: bool,
    window_descriptor: usize,
    dictionary_id: usize,
    content_size: usize,
}

impl HeaderLayout {
    fn of(descriptor: u8) -> HeaderLayout {
        let single_segment = descriptor & 0x20 != 0;
        HeaderLayout {
            single_segment,
            window_descriptor: usize::from(!single_segment),
            dictionary_id: match descriptor & 0x03 {
                0 => 0,
                1 => 1,
                2 => 2,
                _ => 4,
            },
            content_size: match descriptor >> 6 {
                0 => usize::from(single_segment),
                1 => 2,
                2 => 4,
                _ => 8,
            },
        }
    }

    fn len(&self) -> usize {
        5 + self.window_descriptor + self.dictionary_id + self.content_size
    }
}

/// Reads a zstd frame's header whole.
fn read_frame_header(raw: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut header = vec![0u8; 5];
    raw.read_exact(&mut header)?;
    let layout = HeaderLayout::of(header.get(4).copied().unwrap_or(0));
    header.resize(layout.len(), 0);
    raw.read_exact(header.get_mut(5..).unwrap_or_default())?;
    Ok(header)
}

/// The window and content size a frame header (as [`read_frame_header`]
/// read it) declares; `None` when it is not one.
fn frame_window(header: &[u8]) -> Option<FrameWindow> {
    if !header.starts_with(&ZSTD_MAGIC) {
        return None;
    }
    let layout = HeaderLayout::of(*header.get(4)?);
    let window = if layout.single_segment {
        None
    } else {
        let byte = *header.get(5)?;
        let base = 1u64.checked_shl(10 + u32::from(byte >> 3))?;
        Some(base + base / 8 * u64::from(byte & 0x07))
    };
    let at = 5 + layout.window_descriptor + layout.dictionary_id;
    let content = match layout.content_size {
        0 => None,
        len => {
            // Little-endian; two bytes count from 256.
            let bytes = header.get(at..at + len)?;
            let value = bytes
                .iter()
                .rev()
                .fold(0u64, |value, &byte| value << 8 | u64::from(byte));
            Some(if len == 2 { value + 256 } else { value })
        }
    };
    // A single segment's window is its content.
    let size = window.or(content)?;
    Some(FrameWindow { size, content })
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `bytes` as a layer blob's stream.
    fn raw(bytes: Vec<u8>) -> (Raw<'static>, Rc<Cell<u64>>) {
        let read = Rc::new(Cell::new(0));
        let hashing = Hashing {
            inner: Box::new(std::io::Cursor::new(bytes)) as Box<dyn Read>,
            hasher: sha2::Sha256::new(),
            read: Rc::clone(&read),
        };
        (BufReader::new(hashing), read)
    }

    /// A zstd frame header: the magic, `descriptor`, then `rest`.
    fn header(descriptor: u8, rest: &[u8]) -> Vec<u8> {
        let mut bytes = ZSTD_MAGIC.to_vec();
        bytes.push(descriptor);
        bytes.extend_from_slice(rest);
        bytes
    }

    #[test]
    fn frame_headers_declare_their_window_and_content() {
        let window = |bytes: Vec<u8>| {
            let read = read_frame_header(&mut std::io::Cursor::new(&bytes)).unwrap();
            assert_eq!(read, bytes, "the header is read whole, no more");
            frame_window(&read)
        };
        // Window descriptor 0x58: 2^(10 + 11) = 2 MiB; no content size.
        assert_eq!(
            window(header(0x00, &[0x58])),
            Some(FrameWindow {
                size: 2 << 20,
                content: None
            })
        );
        // Mantissa 3: 2 MiB + 3/8 of it; a one-byte dictionary id skipped.
        assert_eq!(
            window(header(0x01, &[0x5b, 0x07])).map(|w| w.size),
            Some((2 << 20) + 3 * (2 << 20) / 8)
        );
        // A single segment's window is its four-byte content size.
        assert_eq!(
            window(header(0xa0, &[0x00, 0x00, 0x10, 0x00])),
            Some(FrameWindow {
                size: 1 << 20,
                content: Some(1 << 20)
            })
        );
        // Two bytes of content size count from 256.
        assert_eq!(
            window(header(0x60, &[0x00, 0x00])).map(|w| w.content),
            Some(Some(256))
        );
        // `zstd --long=31`: a 2 GiB window.
        assert_eq!(window(header(0x00, &[0xa8])).map(|w| w.size), Some(1 << 31));
        assert_eq!(frame_window(&[0u8; 6]), None, "not a zstd frame");
    }

    #[test]
    fn every_header_read_whole_is_one_whose_window_is_read() {
        // Every descriptor and window byte: the header reader and the
        // window reader agree on the fields' places, and neither panics.
        for descriptor in 0..=u8::MAX {
            for window_byte in 0..=u8::MAX {
                let mut bytes = header(descriptor, &[window_byte]);
                bytes.extend(1..=20u8);
                let read = read_frame_header(&mut std::io::Cursor::new(&bytes)).unwrap();
                assert!((6..=18).contains(&read.len()), "{descriptor:#x}");
                assert!(frame_window(&read).is_some(), "{descriptor:#x}");
                // Cut short, it is no header.
                let short = read.get(..read.len() - 1).unwrap();
                assert!(read_frame_header(&mut std::io::Cursor::new(short)).is_err());
            }
        }
    }

    #[test]
    fn a_frame_with_a_window_larger_than_zstd_decodes_is_not_read() {
        let (blob, _) = raw(header(0x00, &[0xa8]));
        let Err(reason) = open_inflated(blob) else {
            panic!("a 2 GiB window was decoded");
        };
        assert!(reason.contains("2048 MiB window"), "{reason}");
        // 128 MiB is decoded.
        let (blob, _) = raw(header(0x00, &[0x88]));
        assert!(open_inflated(blob).is_ok());
    }

    #[test]
    fn the_layers_of_an_image_share_one_bomb_floor() {
        // 1 MiB of blob, inflating 2 MiB: far under the ratio.
        let layer = |bytes: Vec<u8>, floor_left: u64| {
            let (blob, read) = raw(bytes);
            Bounded {
                inner: open_inflated(blob).unwrap(),
                inflated: 0,
                raw: read,
                floor_left,
            }
        };
        let mut out = vec![0u8; 1 << 20];
        let mut ratio_kept = layer(vec![0u8; 1 << 20], 0);
        assert!(ratio_kept.read_to_end(&mut Vec::new()).is_ok());
        assert_eq!(past_the_ratio(ratio_kept.inflated, ratio_kept.raw.get()), 0);
        // Past the ratio: within what the floor has left, then beyond it.
        assert_eq!(past_the_ratio(300 << 20, 1 << 20), 100 << 20);
        let mut over = layer(vec![0u8; 1 << 20], 0);
        over.inflated = 201 << 20;
        let err = over.read(&mut out).unwrap_err();
        assert!(err.to_string().contains("decompression bomb"), "{err}");
        let mut within = layer(vec![0u8; 1 << 20], 202 << 20);
        within.inflated = 201 << 20;
        assert!(within.read(&mut out).is_ok());
        // A zstd frame decodes its window before its first byte out: with
        // the image's floor used up, one its blob cannot pay for is refused
        // before decoding; with floor left, zstd's usual 8 MiB is decoded.
        let mut spent = layer(header(0x00, &[0x68]), 0);
        assert_eq!(spent.inner.inflates_ahead(), 8 << 20);
        let err = spent.read(&mut out).unwrap_err();
        assert!(err.to_string().contains("decompression bomb"), "{err}");
        assert_eq!(spent.inflated, 0, "nothing inflated");
        let mut left = layer(header(0x00, &[0x68]), 1);
        let read = left.read(&mut out);
        assert!(
            !read.is_err_and(|err| err.to_string().contains("decompression bomb")),
            "decoded"
        );
    }
}
