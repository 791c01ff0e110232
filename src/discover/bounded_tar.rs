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
/// map and pieces, not the file, so it is reported, never read as the file.
pub struct PaxSparse {
    /// The file's name (`GNU.sparse.name`), when given.
    pub name: Option<Vec<u8>>,
    /// The file's size (`GNU.sparse.realsize`, or `GNU.sparse.size`).
    pub real_size: Option<u64>,
    version: String,
}

impl PaxSparse {
    pub fn reason(&self) -> String {
        format!(
            "a sparse file in GNU tar's PAX sparse format {}, which muslcheck does not expand: \
             not read, so whether it is ELF is unknown",
            self.version
        )
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
    let number = |key: &str| {
        value(key)
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| v.parse::<u64>().ok())
    };
    let version = match (number("GNU.sparse.major"), number("GNU.sparse.minor")) {
        (Some(major), Some(minor)) => format!("{major}.{minor}"),
        _ if value("GNU.sparse.map").is_some() => "0.1".to_string(),
        _ => "0.0".to_string(),
    };
    Some(PaxSparse {
        name: value("GNU.sparse.name").map(<[u8]>::to_vec),
        real_size: number("GNU.sparse.realsize").or_else(|| number("GNU.sparse.size")),
        version,
    })
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
