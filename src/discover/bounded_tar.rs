//! Tar archives whose extension headers are bounded. Before it returns a
//! member, the tar crate reads that member's GNU long name, long link and
//! PAX header whole into memory (and an old GNU sparse member's map): a
//! header declaring 1 GiB would take 1 GiB. Every tar muslcheck reads goes
//! through [`BoundedTar`]: while the next member's headers are read, the
//! stream fails past [`MAX_EXTENSION_HEADERS`] beyond where they start, so
//! the archive ends in an error (a finding) instead.

use std::cell::Cell;
use std::io::{self, Read, Seek, SeekFrom};
use std::rc::Rc;

/// Most bytes of extension headers before one member; real ones (a path of
/// a few KiB, a dozen PAX records) are far below.
pub const MAX_EXTENSION_HEADERS: u64 = 1024 * 1024;
/// The member's own header and the extension entries' headers, each with
/// up to a block of padding.
const HEADER_BLOCKS: u64 = 8 * 512;
const BLOCK: u64 = 512;

/// Where the stream is, and how far it may go while headers are read.
#[derive(Debug, Default, Clone, Copy)]
struct Position {
    at: u64,
    limit: Option<u64>,
}

fn over_limit() -> io::Error {
    io::Error::other(format!(
        "tar extension headers (long name / long link / PAX / sparse map) over {} MiB before one member",
        MAX_EXTENSION_HEADERS / (1024 * 1024)
    ))
}

/// The archive's stream, counting its position and refusing to pass the
/// limit set while headers are read.
pub struct HeaderBounded<R> {
    inner: R,
    position: Rc<Cell<Position>>,
}

impl<R: Read> Read for HeaderBounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Position { at, limit } = self.position.get();
        let allowed = match limit {
            Some(limit) => usize::try_from(limit.saturating_sub(at)).unwrap_or(usize::MAX),
            None => usize::MAX,
        };
        if allowed == 0 && !buf.is_empty() {
            return Err(over_limit());
        }
        let len = buf.len().min(allowed);
        let n = match buf.get_mut(..len) {
            Some(buf) => self.inner.read(buf)?,
            None => 0,
        };
        let mut position = self.position.get();
        position.at = position.at.saturating_add(n as u64);
        self.position.set(position);
        Ok(n)
    }
}

impl<R: Seek> Seek for HeaderBounded<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let at = self.inner.seek(to)?;
        let mut position = self.position.get();
        position.at = at;
        self.position.set(position);
        Ok(at)
    }
}

/// A `tar::Archive` over [`HeaderBounded`]; its entries come from
/// [`BoundedTar::entries`].
pub struct BoundedTar<R: Read> {
    archive: tar::Archive<HeaderBounded<R>>,
    position: Rc<Cell<Position>>,
}

impl<R: Read> BoundedTar<R> {
    /// `reader` must be at the archive's start.
    pub fn new(reader: R) -> Self {
        let position = Rc::new(Cell::new(Position::default()));
        BoundedTar {
            archive: tar::Archive::new(HeaderBounded {
                inner: reader,
                position: Rc::clone(&position),
            }),
            position,
        }
    }

    pub fn entries(&mut self) -> io::Result<BoundedEntries<'_, R>> {
        let entries = self.archive.entries()?;
        Ok(BoundedEntries::new(entries, &self.position))
    }

    pub fn into_inner(self) -> R {
        self.archive.into_inner().inner
    }
}

impl<R: Read + Seek> BoundedTar<R> {
    /// Entries whose data is seeked over, not read, when left unread.
    pub fn entries_with_seek(&mut self) -> io::Result<BoundedEntries<'_, R>> {
        let entries = self.archive.entries_with_seek()?;
        Ok(BoundedEntries::new(entries, &self.position))
    }
}

/// The members of a [`BoundedTar`], as `tar::Entries` gives them; the first
/// error ends them.
pub struct BoundedEntries<'a, R: Read> {
    entries: tar::Entries<'a, HeaderBounded<R>>,
    position: Rc<Cell<Position>>,
    /// Where the next member's headers start: after the last one's data.
    next_header: u64,
}

impl<'a, R: Read> BoundedEntries<'a, R> {
    fn new(entries: tar::Entries<'a, HeaderBounded<R>>, position: &Rc<Cell<Position>>) -> Self {
        BoundedEntries {
            entries,
            position: Rc::clone(position),
            next_header: 0,
        }
    }

    fn set_limit(&self, limit: Option<u64>) {
        let mut position = self.position.get();
        position.limit = limit;
        self.position.set(position);
    }
}

impl<'a, R: Read> Iterator for BoundedEntries<'a, R> {
    type Item = io::Result<tar::Entry<'a, HeaderBounded<R>>>;

    fn next(&mut self) -> Option<Self::Item> {
        // The tar crate first skips what is left of the last member's data
        // (up to `next_header`), then reads the headers: only they are bounded.
        let limit = self
            .next_header
            .saturating_add(HEADER_BLOCKS)
            .saturating_add(MAX_EXTENSION_HEADERS);
        self.set_limit(Some(limit));
        let mut next = self.entries.next();
        self.set_limit(None);
        if let Some(Ok(entry)) = &mut next {
            // The tar crate has read exactly the headers: the data starts here.
            let data_start = self.position.get().at;
            self.next_header = data_start.saturating_add(padded(stored_size(entry)));
        }
        next
    }
}

/// Bytes the member's data takes in the archive.
fn stored_size<R: Read>(entry: &mut tar::Entry<R>) -> u64 {
    if !entry.header().entry_type().is_gnu_sparse() {
        return entry.size();
    }
    // The tar crate reports a sparse member's real size (holes included);
    // the archive holds the header's (or PAX `size`) bytes of it.
    let header_size = entry.header().entry_size().unwrap_or(0);
    let pax_size = match entry.pax_extensions() {
        Ok(Some(extensions)) => extensions
            .filter_map(Result::ok)
            .find(|extension| extension.key() == Ok("size"))
            .and_then(|extension| extension.value().ok()?.parse::<u64>().ok()),
        _ => None,
    };
    pax_size.unwrap_or(header_size)
}

/// Whether the tar crate gives a member's data: a regular file, or an old
/// GNU sparse one (type `S`), which it expands (holes as zeros).
pub fn holds_file_data(kind: tar::EntryType) -> bool {
    kind.is_file() || kind.is_gnu_sparse()
}

/// A regular member that GNU tar's PAX sparse formats (`GNU.sparse.*`
/// records, 0.0, 0.1 or 1.0) made of a sparse file: its data is the file's
/// pieces (in 1.0, after the map), not the file. [`PaxSparse::expand`]
/// gives the file, holes as zeros, as GNU tar and Go's archive/tar (Docker's)
/// extract it.
pub struct PaxSparse {
    /// The file's name (`GNU.sparse.name`), when given.
    pub name: Option<Vec<u8>>,
    /// The file's size (`GNU.sparse.realsize`, or `GNU.sparse.size`).
    pub real_size: Option<u64>,
    version: String,
    /// The pieces, from the records (0.0, 0.1); in the data for 1.0.
    map: Option<Vec<Piece>>,
}

/// One piece of a sparse file: where it goes, and how many bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Piece {
    offset: u64,
    len: u64,
}

/// Most pieces one sparse file may have; its map is read into memory.
const MAX_PIECES: usize = 64 * 1024;

impl PaxSparse {
    /// Why the file could not be had from the member.
    pub fn reason(&self, why: &str) -> String {
        format!(
            "a sparse file in GNU tar's PAX sparse format {} that cannot be expanded ({why}): \
             not read, so whether it is ELF is unknown",
            self.version
        )
    }

    /// The file the member holds, read from `data` (the member's data):
    /// the map first in format 1.0, then the pieces, holes as zeros.
    pub fn expand<'d, R: Read>(&self, data: &'d mut R) -> Result<SparseFile<'d, R>, String> {
        let real_size = self.real_size.ok_or("no GNU.sparse.realsize")?;
        let pieces = match &self.map {
            Some(pieces) => pieces.clone(),
            None if self.version == "1.0" => read_map(data)?,
            None => return Err("its map records cannot be read".to_string()),
        };
        let mut end = 0u64;
        for piece in &pieces {
            let piece_end = piece.offset.checked_add(piece.len);
            match piece_end {
                Some(piece_end) if piece.offset >= end && piece_end <= real_size => end = piece_end,
                _ => return Err("pieces out of order or past the file's size".to_string()),
            }
        }
        Ok(SparseFile {
            data,
            pieces,
            next_piece: 0,
            at: 0,
            real_size,
        })
    }
}

/// Format 1.0's map at the start of the member's data: the number of
/// pieces, then each one's offset and length, a decimal number a line,
/// padded to a 512-byte block.
fn read_map(data: &mut impl Read) -> Result<Vec<Piece>, String> {
    let mut read = 0u64;
    let mut line = || -> Result<u64, String> {
        let mut digits = String::new();
        loop {
            let mut byte = [0u8];
            data.read_exact(&mut byte)
                .map_err(|err| format!("its map ends early: {err}"))?;
            read += 1;
            match byte {
                [b'\n'] => break,
                [digit @ b'0'..=b'9'] if digits.len() < 20 => digits.push(char::from(digit)),
                _ => return Err("its map holds something other than numbers".to_string()),
            }
        }
        digits
            .parse()
            .map_err(|_| "its map holds an empty or too large number".to_string())
    };
    let count = usize::try_from(line()?).unwrap_or(usize::MAX);
    if count > MAX_PIECES {
        return Err(format!("its map lists {count} pieces, over {MAX_PIECES}"));
    }
    let mut pieces = Vec::with_capacity(count);
    for _ in 0..count {
        let offset = line()?;
        let len = line()?;
        pieces.push(Piece { offset, len });
    }
    let padding = padded(read) - read;
    io::copy(&mut data.take(padding), &mut io::sink())
        .map_err(|err| format!("its map ends early: {err}"))?;
    Ok(pieces)
}

/// A sparse member's file: its pieces where the map puts them, zeros between.
pub struct SparseFile<'d, R> {
    data: &'d mut R,
    pieces: Vec<Piece>,
    next_piece: usize,
    /// How far into the file.
    at: u64,
    real_size: u64,
}

impl<R: Read> Read for SparseFile<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some(piece) = self.pieces.get(self.next_piece).copied() {
            let piece_end = piece.offset.saturating_add(piece.len);
            if self.at < piece.offset {
                // A hole before the piece.
                return Ok(self.zeros(buf, piece.offset));
            }
            if self.at < piece_end {
                let wanted = usize::try_from(piece_end - self.at).unwrap_or(usize::MAX);
                let len = buf.len().min(wanted);
                let n = match buf.get_mut(..len) {
                    Some(part) => self.data.read(part)?,
                    None => 0,
                };
                if n == 0 && len > 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "a sparse file's pieces end before its map says",
                    ));
                }
                self.at += n as u64;
                return Ok(n);
            }
            self.next_piece += 1;
        }
        // The hole after the last piece.
        Ok(self.zeros(buf, self.real_size))
    }
}

impl<R> SparseFile<'_, R> {
    /// Zeros up to `until` (or as many as `buf` holds).
    fn zeros(&mut self, buf: &mut [u8], until: u64) -> usize {
        let len = buf
            .len()
            .min(usize::try_from(until.saturating_sub(self.at)).unwrap_or(usize::MAX));
        if let Some(part) = buf.get_mut(..len) {
            part.fill(0);
        }
        self.at += len as u64;
        len
    }
}

/// The PAX sparse records of a regular member, if it has any.
pub fn pax_sparse<R: Read>(entry: &mut tar::Entry<R>) -> Option<PaxSparse> {
    // Only a member's own records: a PAX header member would be read whole.
    if !entry.header().entry_type().is_file() {
        return None;
    }
    let extensions = entry.pax_extensions().ok()??;
    let mut records: Vec<(String, Vec<u8>)> = Vec::new();
    for extension in extensions.filter_map(Result::ok) {
        if let Ok(key) = extension.key() {
            if key.starts_with("GNU.sparse.") {
                records.push((key.to_string(), extension.value_bytes().to_vec()));
            }
        }
    }
    if records.is_empty() {
        return None;
    }
    let value = |key: &str| {
        records
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_slice())
    };
    let number = |text: &[u8]| std::str::from_utf8(text).ok()?.parse::<u64>().ok();
    let version = match (
        value("GNU.sparse.major").and_then(number),
        value("GNU.sparse.minor").and_then(number),
    ) {
        (Some(major), Some(minor)) => format!("{major}.{minor}"),
        _ if value("GNU.sparse.map").is_some() => "0.1".to_string(),
        _ => "0.0".to_string(),
    };
    let map = match version.as_str() {
        // 0.1: "offset,len,offset,len…" in one record.
        "0.1" => value("GNU.sparse.map").and_then(|map| {
            let numbers: Option<Vec<u64>> = map.split(|&b| b == b',').map(number).collect();
            pieces_of(&numbers?)
        }),
        // 0.0: an offset record and a length record per piece, in order.
        "0.0" => {
            let numbers: Option<Vec<u64>> = records
                .iter()
                .filter(|(key, _)| key == "GNU.sparse.offset" || key == "GNU.sparse.numbytes")
                .map(|(_, value)| number(value))
                .collect();
            numbers.as_deref().and_then(pieces_of)
        }
        _ => None,
    };
    Some(PaxSparse {
        name: value("GNU.sparse.name").map(<[u8]>::to_vec),
        real_size: value("GNU.sparse.realsize")
            .or_else(|| value("GNU.sparse.size"))
            .and_then(number),
        version,
        map,
    })
}

/// Offset and length pairs as pieces; `None` when they do not pair up or
/// are too many.
fn pieces_of(numbers: &[u64]) -> Option<Vec<Piece>> {
    if numbers.len() % 2 != 0 || numbers.len() / 2 > MAX_PIECES {
        return None;
    }
    Some(
        numbers
            .chunks_exact(2)
            .filter_map(|pair| match pair {
                [offset, len] => Some(Piece {
                    offset: *offset,
                    len: *len,
                }),
                _ => None,
            })
            .collect(),
    )
}

fn padded(size: u64) -> u64 {
    size.div_ceil(BLOCK).saturating_mul(BLOCK)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw_header(name: &[u8], size: u64, kind: u8) -> Vec<u8> {
        let mut header = tar::Header::new_ustar();
        header.as_old_mut().name[..name.len()].copy_from_slice(name);
        header.set_size(size);
        header.set_entry_type(tar::EntryType::new(kind));
        header.set_mode(0o644);
        header.set_cksum();
        header.as_bytes().to_vec()
    }

    fn member(name: &[u8], data: &[u8]) -> Vec<u8> {
        let mut bytes = raw_header(name, data.len() as u64, b'0');
        bytes.extend(data);
        bytes.resize(bytes.len().next_multiple_of(512), 0);
        bytes
    }

    fn names(archive: &[u8], seek: bool) -> (Vec<String>, Option<String>) {
        let mut tar = BoundedTar::new(io::Cursor::new(archive));
        let entries = if seek {
            tar.entries_with_seek().unwrap()
        } else {
            tar.entries().unwrap()
        };
        let mut names = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => names.push(String::from_utf8_lossy(&entry.path_bytes()).into()),
                Err(err) => return (names, Some(err.to_string())),
            }
        }
        (names, None)
    }

    #[test]
    fn big_members_pass_and_big_extension_headers_stop_the_archive() {
        let big = vec![7u8; 3 * 1024 * 1024];
        let long_name = vec![b'n'; 4000];
        let mut archive = member(b"big", &big);
        archive.extend(raw_header(b"././@LongLink", long_name.len() as u64, b'L'));
        archive.extend(&long_name);
        archive.resize(archive.len().next_multiple_of(512), 0);
        archive.extend(member(b"ignored", b"x"));
        archive.extend(member(b"after", b"y"));
        let huge = 2 * MAX_EXTENSION_HEADERS;
        archive.extend(raw_header(b"././@PaxHeader", huge, b'x'));
        archive.extend(vec![b'9'; huge as usize]);
        archive.extend(member(b"hidden", b"z"));
        archive.extend([0; 1024]);
        for seek in [false, true] {
            let (names, error) = names(&archive, seek);
            assert_eq!(names, ["big", "n".repeat(4000).as_str(), "after"]);
            let error = error.unwrap();
            assert!(error.contains("over 1 MiB"), "{error}");
        }
    }
}
