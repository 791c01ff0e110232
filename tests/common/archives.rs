//! Archives built in memory for the tests: names written as given.

use std::io::Write;

/// A gzip tarball whose members' names are written raw: the tar crate's
/// setters refuse `..` and absolute names, which is what these tests need.
pub fn tarball(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    for (name, data) in members {
        let mut header = tar::Header::new_gnu();
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(data.len() as u64);
        header.set_mode(0o755);
        header.set_cksum();
        builder.append(&header, *data).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

pub fn wheel(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        zip.start_file(*name, options).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// Members named `names`, each the four bytes of ELF's magic (analysed,
/// and malformed: one item each).
pub fn elf_magic_members(names: &[String]) -> Vec<(&str, &[u8])> {
    names
        .iter()
        .map(|name| (name.as_str(), b"\x7fELF".as_slice()))
        .collect()
}
