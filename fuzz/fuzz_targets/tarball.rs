//! npm tarball (.tgz) reading from arbitrary bytes: used as gzip data when it
//! starts like gzip, else gzipped first so the tar layer is reached.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use muslcheck::discover::archive::read_tar_gz;

fuzz_target!(|data: &[u8]| {
    let compressed;
    let input = if data.starts_with(&[0x1f, 0x8b]) {
        data
    } else {
        let mut encoder =
            flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        if encoder.write_all(data).is_err() {
            return;
        }
        let Ok(bytes) = encoder.finish() else { return };
        compressed = bytes;
        &compressed
    };
    let _ = read_tar_gz(input, |member| muslcheck::elf::analyse(member).is_ok());
});
