//! The files muslcheck opens besides the ones it sniffs — `RECORD`,
//! `package.json`, lockfiles, the config, the baseline — opened one way:
//! regular files only (a symlink is followed only to a regular file, and for
//! a file found in the scanned tree only to one inside the scanned paths),
//! the type checked before opening and again on the opened descriptor, never
//! blocking, and never more than a cap read. And the files it writes
//! (`--output`, `--write-baseline`), written whole or not at all.

use std::fs::{File, FileType, Metadata, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The most read of one metadata file, manifest, lockfile, config or baseline.
pub const METADATA_CAP: u64 = 64 * 1024 * 1024;

/// Why a file could not be read; the caller says which file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A FIFO, socket, device, directory, or a symlink to one of them or to nothing.
    #[error("not a regular file ({0})")]
    NotRegular(String),
    /// A file found in the scanned tree that is a symlink leading out of it.
    #[error("a symlink to {0}, outside the scanned paths: not read")]
    Outside(String),
    #[error("larger than the {} cap for metadata files", Bytes(*cap))]
    TooLarge { cap: u64 },
    #[error("not valid UTF-8 (line {line})")]
    NotUtf8 { line: usize },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl ReadError {
    /// The file does not exist (a symlink to nothing is not this).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io(err) if err.kind() == std::io::ErrorKind::NotFound)
    }
}

/// A byte count as people write caps: `64 MiB`, else bytes.
struct Bytes(u64);

impl std::fmt::Display for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const MIB: u64 = 1024 * 1024;
        if self.0 >= MIB && self.0 % MIB == 0 {
            write!(f, "{} MiB", self.0 / MIB)
        } else {
            write!(f, "{} bytes", self.0)
        }
    }
}

/// What a file that is not regular is, for messages.
#[cfg(unix)]
pub(super) fn kind_of(file_type: &FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_dir() {
        "directory"
    } else if file_type.is_symlink() {
        "symlink"
    } else if file_type.is_fifo() {
        "FIFO"
    } else if file_type.is_socket() {
        "socket"
    } else if file_type.is_block_device() {
        "block device"
    } else if file_type.is_char_device() {
        "character device"
    } else if file_type.is_file() {
        "regular file"
    } else {
        "special file"
    }
}

#[cfg(not(unix))]
pub(super) fn kind_of(file_type: &FileType) -> &'static str {
    if file_type.is_dir() {
        "directory"
    } else if file_type.is_symlink() {
        "symlink"
    } else if file_type.is_file() {
        "regular file"
    } else {
        "special file"
    }
}

/// The scanned paths, resolved. A file found in them (a `RECORD`, a
/// `package.json`, a lockfile, a discovered config) is read through a symlink
/// only when the link resolves below one of them, as the walk follows links:
/// a committed link must not make muslcheck read a file of the machine it
/// runs on (`/proc/self/environ`) and print it in a parse error.
#[derive(Debug, Clone, Default)]
pub struct ScannedPaths(Vec<PathBuf>);

impl ScannedPaths {
    pub fn new(paths: &[PathBuf]) -> ScannedPaths {
        ScannedPaths(
            paths
                .iter()
                .filter_map(|path| std::fs::canonicalize(path).ok())
                .collect(),
        )
    }

    fn contain(&self, target: &Path) -> bool {
        self.0.iter().any(|root| target.starts_with(root))
    }
}

/// The metadata of `path` if it is a regular file or a symlink to one (with
/// `within`, one inside the scanned paths). Nothing is opened: a FIFO or a
/// device is refused by its type alone.
fn regular_metadata(path: &Path, within: Option<&ScannedPaths>) -> Result<Metadata, ReadError> {
    let own = std::fs::symlink_metadata(path)?;
    if own.file_type().is_symlink() {
        let target = match std::fs::metadata(path) {
            Ok(target) => target,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(ReadError::NotRegular("symlink to nothing".to_string()));
            }
            Err(err) => return Err(ReadError::Io(err)),
        };
        if !target.is_file() {
            let kind = kind_of(&target.file_type());
            let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            return Err(ReadError::NotRegular(format!(
                "symlink to {article} {kind}"
            )));
        }
        if let Some(scanned) = within {
            let resolved = std::fs::canonicalize(path)?;
            if !scanned.contain(&resolved) {
                return Err(ReadError::Outside(super::path_text(&resolved)));
            }
        }
        return Ok(target);
    }
    if !own.is_file() {
        return Err(ReadError::NotRegular(kind_of(&own.file_type()).to_string()));
    }
    Ok(own)
}

/// Opens `path` for reading with `O_NONBLOCK`: a FIFO swapped in after its
/// type was checked does not block the open (nor the reads).
pub(super) fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    options.open(path)
}

/// Opens a regular file for reading without ever blocking: the type is
/// checked first, the open is non-blocking, and the opened descriptor is
/// checked again (the path may have been swapped in between).
/// The file opened, and the size it claims.
fn open_regular(
    path: &Path,
    cap: u64,
    within: Option<&ScannedPaths>,
) -> Result<(File, u64), ReadError> {
    let metadata = regular_metadata(path, within)?;
    if metadata.len() > cap {
        return Err(ReadError::TooLarge { cap });
    }
    regular_descriptor(open_nonblocking(path)?)
}

/// `file` and the size it claims, if the opened descriptor is a regular file.
fn regular_descriptor(file: File) -> Result<(File, u64), ReadError> {
    let opened = file.metadata()?;
    if !opened.is_file() {
        return Err(ReadError::NotRegular(
            kind_of(&opened.file_type()).to_string(),
        ));
    }
    Ok((file, opened.len()))
}

/// What is reserved up front from a file's claimed size: enough for the
/// usual manifest or cached document in one read, never more than this
/// whatever the claim.
const RESERVED_FROM_CLAIM: u64 = 1024 * 1024;

/// The bytes of a regular file of at most `cap` bytes, named by the user
/// (`--config`, `--baseline`): a symlink may lead anywhere. At most `cap + 1`
/// bytes are read, whatever the file's size claims (files in `/proc` claim 0,
/// a file may grow), and at most [`RESERVED_FROM_CLAIM`] allocated from the
/// claim.
pub fn read_bounded(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    read_capped(path, cap, None)
}

/// [`read_bounded`] for a file found in the scanned tree: a symlink is
/// followed only to a regular file inside the scanned paths.
pub fn read_found(path: &Path, cap: u64, scanned: &ScannedPaths) -> Result<Vec<u8>, ReadError> {
    read_capped(path, cap, Some(scanned))
}

/// [`read_found`] for a file the walk met as a regular file (its directory
/// entry's type, not a link's): opened with `O_NOFOLLOW` and checked on the
/// descriptor, without a `stat` of its path first. A link swapped in since
/// fails that open and is then read as [`read_found`] reads one.
pub fn read_walked(path: &Path, cap: u64, scanned: &ScannedPaths) -> Result<Vec<u8>, ReadError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut options = OpenOptions::new();
        options
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_NOFOLLOW);
        match options.open(path) {
            Ok(file) => {
                let (file, claimed) = regular_descriptor(file)?;
                if claimed > cap {
                    return Err(ReadError::TooLarge { cap });
                }
                return read_opened(file, claimed, cap);
            }
            Err(err) if err.raw_os_error() == Some(libc::ELOOP) => {}
            Err(err) => return Err(err.into()),
        }
    }
    read_found(path, cap, scanned)
}

fn read_capped(path: &Path, cap: u64, within: Option<&ScannedPaths>) -> Result<Vec<u8>, ReadError> {
    let (file, claimed) = open_regular(path, cap, within)?;
    read_opened(file, claimed, cap)
}

/// At most `cap` bytes of an opened regular file that claims `claimed`.
fn read_opened(file: File, claimed: u64, cap: u64) -> Result<Vec<u8>, ReadError> {
    // `take` hides the size from `read_to_end`, which would then grow the
    // buffer from nothing in many small reads.
    let reserved = claimed.min(cap).min(RESERVED_FROM_CLAIM).saturating_add(1);
    let mut bytes = Vec::with_capacity(usize::try_from(reserved).unwrap_or(0));
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > cap {
        return Err(ReadError::TooLarge { cap });
    }
    Ok(bytes)
}

/// The first `len` bytes (or fewer) of a regular file, opened as
/// [`read_bounded`] opens one: for a header, without reading the rest.
pub fn read_prefix(path: &Path, len: u64) -> Result<Vec<u8>, ReadError> {
    let (file, claimed) = open_regular(path, u64::MAX, None)?;
    let mut bytes = Vec::with_capacity(usize::try_from(claimed.min(len)).unwrap_or(0));
    file.take(len).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// [`read_bounded`] as UTF-8 text; invalid UTF-8 is an error naming the line.
pub fn read_text_file(path: &Path, cap: u64) -> Result<String, ReadError> {
    utf8(read_bounded(path, cap)?)
}

/// [`read_found`] as UTF-8 text; invalid UTF-8 is an error naming the line.
pub fn read_found_text(path: &Path, cap: u64, scanned: &ScannedPaths) -> Result<String, ReadError> {
    utf8(read_found(path, cap, scanned)?)
}

fn utf8(bytes: Vec<u8>) -> Result<String, ReadError> {
    String::from_utf8(bytes).map_err(|err| {
        let valid = err.utf8_error().valid_up_to();
        let bytes = err.as_bytes();
        let newlines = bytes
            .get(..valid)
            .unwrap_or(bytes)
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        ReadError::NotUtf8 { line: newlines + 1 }
    })
}

/// Text decoded line by line: lines that are not valid UTF-8 are kept with
/// U+FFFD in place of their bad bytes, and their numbers (from 1) listed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LossyText {
    pub text: String,
    pub bad_lines: Vec<usize>,
}

impl LossyText {
    pub fn decode(bytes: Vec<u8>) -> LossyText {
        let bytes = match String::from_utf8(bytes) {
            Ok(text) => {
                return LossyText {
                    text,
                    bad_lines: Vec::new(),
                };
            }
            Err(err) => err.into_bytes(),
        };
        let mut decoded = LossyText::default();
        for (index, line) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
            let lossy = String::from_utf8_lossy(line);
            if matches!(lossy, std::borrow::Cow::Owned(_)) {
                decoded.bad_lines.push(index + 1);
            }
            decoded.text.push_str(&lossy);
        }
        decoded
    }
}

/// Writes `bytes` to `path` whole or not at all: into a temporary file in
/// the same directory, synced, then renamed over `path`. A symlink is written
/// through (its target is replaced), an existing file keeps its mode, and a
/// path that is not a regular file (`/dev/stdout`, a FIFO) is written to
/// directly, never replaced.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomically_with(path, |out| out.write_all(bytes))
}

/// [`write_atomically`] with the contents written by `write` as they are
/// made (a large report is never held whole), buffered.
pub fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let (target, permissions) = match std::fs::metadata(path) {
        Ok(metadata) if !metadata.is_file() => {
            let mut out = std::io::BufWriter::new(OpenOptions::new().write(true).open(path)?);
            write(&mut out)?;
            return out.flush();
        }
        Ok(metadata) => (std::fs::canonicalize(path)?, Some(metadata.permissions())),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => (path.to_path_buf(), None),
        Err(err) => return Err(err),
    };
    let directory = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".muslcheck-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // A new file gets what `File::create` would give: 0666 less the umask.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut temporary = builder.tempfile_in(&directory)?;
    if let Some(permissions) = permissions {
        temporary.as_file().set_permissions(permissions)?;
    }
    {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, temporary.as_file_mut());
        write(&mut out)?;
        out.flush()?;
    }
    temporary.as_file().sync_all()?;
    // On failure the temporary is removed when dropped.
    temporary.persist(&target).map_err(|err| err.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_at_most_the_cap_whatever_the_size_claims() {
        // /proc files claim 0 bytes and hold more.
        let maps = Path::new("/proc/self/maps");
        if maps.exists() {
            assert_eq!(std::fs::metadata(maps).unwrap().len(), 0);
            let err = read_bounded(maps, 16).unwrap_err();
            assert_eq!(
                err.to_string(),
                "larger than the 16 bytes cap for metadata files"
            );
            assert!(read_bounded(maps, METADATA_CAP).unwrap().len() > 16);
        }
    }

    #[test]
    fn refuses_what_is_not_a_regular_file_by_type() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_bounded(dir.path(), METADATA_CAP).unwrap_err();
        assert_eq!(err.to_string(), "not a regular file (directory)");
        let missing = read_bounded(&dir.path().join("missing"), METADATA_CAP).unwrap_err();
        assert!(missing.is_not_found(), "{missing}");
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(dir.path(), &link).unwrap();
            let err = read_bounded(&link, METADATA_CAP).unwrap_err();
            assert_eq!(
                err.to_string(),
                "not a regular file (symlink to a directory)"
            );
            assert!(!err.is_not_found());
        }
    }

    #[cfg(unix)]
    #[test]
    fn found_files_follow_symlinks_only_inside_the_scanned_paths() {
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("secret");
        std::fs::write(&secret, "token").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("inner.json");
        std::fs::write(&inner, "{}").unwrap();
        let (to_secret, to_inner) = (dir.path().join("a"), dir.path().join("b"));
        std::os::unix::fs::symlink(&secret, &to_secret).unwrap();
        std::os::unix::fs::symlink(&inner, &to_inner).unwrap();
        let scanned = ScannedPaths::new(&[dir.path().to_path_buf()]);
        let err = read_found(&to_secret, METADATA_CAP, &scanned).unwrap_err();
        assert!(matches!(err, ReadError::Outside(_)), "{err}");
        assert!(
            err.to_string()
                .ends_with("outside the scanned paths: not read")
        );
        assert_eq!(
            read_found(&to_inner, METADATA_CAP, &scanned).unwrap(),
            b"{}"
        );
        assert_eq!(read_bounded(&to_secret, METADATA_CAP).unwrap(), b"token");
    }

    /// A file the walk met as regular, replaced before it is read: by a
    /// link, a FIFO (never waited on), a directory or a larger file.
    #[cfg(unix)]
    #[test]
    fn a_walked_file_swapped_since_is_read_as_a_found_one_or_refused() {
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("secret");
        std::fs::write(&secret, "token").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let scanned = ScannedPaths::new(&[dir.path().to_path_buf()]);
        let path = dir.path().join("package.json");
        let read = |path: &Path, cap| read_walked(path, cap, &scanned);

        std::fs::write(&path, "{}").unwrap();
        assert_eq!(read(&path, METADATA_CAP).unwrap(), b"{}");
        let err = read(&path, 1).unwrap_err();
        assert!(matches!(err, ReadError::TooLarge { cap: 1 }), "{err}");

        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(&secret, &path).unwrap();
        let err = read(&path, METADATA_CAP).unwrap_err();
        assert!(matches!(err, ReadError::Outside(_)), "{err}");

        std::fs::remove_file(&path).unwrap();
        // coreutils' mkfifo: the crate has no unsafe code, libc's mkfifo would need some.
        let made = std::process::Command::new("mkfifo").arg(&path).status();
        assert!(made.is_ok_and(|status| status.success()), "mkfifo");
        let err = read(&path, METADATA_CAP).unwrap_err();
        assert_eq!(err.to_string(), "not a regular file (FIFO)");

        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        let err = read(&path, METADATA_CAP).unwrap_err();
        assert_eq!(err.to_string(), "not a regular file (directory)");

        std::fs::remove_dir(&path).unwrap();
        assert!(read(&path, METADATA_CAP).unwrap_err().is_not_found());
    }

    #[test]
    fn names_the_first_line_that_is_not_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, b"a = 1\nb = 2\nc = \"\xff\"\n").unwrap();
        let err = read_text_file(&path, METADATA_CAP).unwrap_err();
        assert_eq!(err.to_string(), "not valid UTF-8 (line 3)");
    }

    #[test]
    fn lossy_text_keeps_every_line_and_lists_the_bad_ones() {
        let decoded = LossyText::decode(b"ok\nbad \xff\nok\n\xfe\xfe".to_vec());
        assert_eq!(decoded.text, "ok\nbad \u{fffd}\nok\n\u{fffd}\u{fffd}");
        assert_eq!(decoded.bad_lines, [2, 4]);
        assert_eq!(
            LossyText::decode(b"fine\n".to_vec()),
            LossyText {
                text: "fine\n".into(),
                bad_lines: vec![]
            }
        );
    }

    #[test]
    fn atomic_write_replaces_whole_files_and_keeps_their_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        write_atomically(&path, b"first").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o604)).unwrap();
            write_atomically(&path, b"second").unwrap();
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o604);
        }
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary left");
        let err = write_atomically(&dir.path().join("no/such/dir/out"), b"x").unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    }
}
