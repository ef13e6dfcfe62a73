//! Whole-file reads that undo gzip compression when the file is gzip-compressed.

use crate::DataError;
use flate2::read::GzDecoder;
use std::io::Read;
use std::path::Path;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The file's bytes, decompressed when they start with the gzip magic (whatever the name).
pub fn read_decoded(path: &Path) -> Result<Vec<u8>, DataError> {
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    decode(bytes, path)
}

/// `bytes` decompressed when they start with the gzip magic, otherwise unchanged; `path`
/// only names the source in errors.
pub fn decode(bytes: Vec<u8>, path: &Path) -> Result<Vec<u8>, DataError> {
    if !bytes.starts_with(&GZIP_MAGIC) {
        return Ok(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len() * 4);
    GzDecoder::new(bytes.as_slice())
        .read_to_end(&mut out)
        .map_err(|e| DataError::format(path, format!("gzip data is corrupt or truncated ({e})")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;

    #[test]
    fn gzip_is_undone_and_plain_bytes_pass_through() {
        let plain = b"not compressed at all".to_vec();
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(&plain).unwrap();
        let gz = enc.finish().unwrap();
        assert_eq!(decode(gz, Path::new("x.gz")).unwrap(), plain);
        assert_eq!(decode(plain.clone(), Path::new("x")).unwrap(), plain);
    }

    #[test]
    fn truncated_gzip_is_a_format_error_naming_the_file() {
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(&[7u8; 10_000]).unwrap();
        let mut gz = enc.finish().unwrap();
        gz.truncate(gz.len() / 2);
        let err = decode(gz, Path::new("labels.gz")).unwrap_err().to_string();
        assert!(err.contains("labels.gz") && err.contains("gzip"), "{err}");
    }
}
