//! The IDX format of MNIST and its relatives (Fashion-MNIST, KMNIST, ...): a magic number
//! `00 00 08 <ndims>`, `ndims` big-endian u32 dimensions, then the unsigned bytes.

use crate::decoded::read_decoded;
use crate::image_set::{ImageSet, ImageShape};
use crate::DataError;
use std::path::{Path, PathBuf};

/// An IDX array of unsigned bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
}

const UNSIGNED_BYTE: u8 = 0x08;

/// Parses IDX bytes (already decompressed); `path` names the source in errors.
pub fn parse_idx(bytes: &[u8], path: &Path) -> Result<IdxArray, DataError> {
    let bad = |problem: String| DataError::format(path, problem);
    if bytes.len() < 4 {
        return Err(bad(format!(
            "truncated: {} bytes, an IDX header needs at least 4",
            bytes.len()
        )));
    }
    let (z0, z1, kind, ndims) = (bytes[0], bytes[1], bytes[2], bytes[3]);
    if z0 != 0 || z1 != 0 {
        return Err(bad(format!(
            "wrong magic {z0:02x} {z1:02x}, IDX files start with 00 00"
        )));
    }
    if kind != UNSIGNED_BYTE {
        return Err(bad(format!(
            "element type 0x{kind:02x}, only unsigned bytes (0x08) are supported"
        )));
    }
    let header_len = 4 + 4 * usize::from(ndims);
    let header = bytes.get(4..header_len).ok_or_else(|| {
        bad(format!(
            "truncated header: {ndims} dimensions need {header_len} bytes, the file has {}",
            bytes.len()
        ))
    })?;
    let dims: Vec<usize> = header
        .chunks_exact(4)
        .map(|d| u32::from_be_bytes([d[0], d[1], d[2], d[3]]) as usize)
        .collect();
    let expected = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| bad(format!("dimensions {dims:?} overflow")))?;
    let actual = bytes.len() - header_len;
    if actual != expected {
        let what = if actual < expected {
            "truncated"
        } else {
            "trailing bytes"
        };
        return Err(bad(format!(
            "{what}: dimensions {dims:?} need {expected} data bytes, found {actual}"
        )));
    }
    Ok(IdxArray {
        dims,
        data: bytes[header_len..].to_vec(),
    })
}

/// Reads and parses an IDX file, gzip-compressed or not.
pub fn read_idx(path: &Path) -> Result<IdxArray, DataError> {
    parse_idx(&read_decoded(path)?, path)
}

/// Builds an image set from an IDX image array (`[n, rows, cols]`) and an IDX label array
/// (`[n]`). `num_classes`: the class count to check labels against; `None` takes the largest
/// label plus one.
pub fn image_set_from_idx(
    images: IdxArray,
    images_path: &Path,
    labels: IdxArray,
    labels_path: &Path,
    num_classes: Option<usize>,
) -> Result<ImageSet, DataError> {
    let &[count, height, width] = images.dims.as_slice() else {
        return Err(DataError::format(
            images_path,
            format!(
                "image array has dimensions {:?}, expected [count, rows, cols]",
                images.dims
            ),
        ));
    };
    let &[label_count] = labels.dims.as_slice() else {
        return Err(DataError::format(
            labels_path,
            format!(
                "label array has dimensions {:?}, expected [count]",
                labels.dims
            ),
        ));
    };
    if count != label_count {
        return Err(DataError::format(
            labels_path,
            format!(
                "{label_count} labels for {count} images in {}",
                images_path.display()
            ),
        ));
    }
    if height == 0 || width == 0 {
        return Err(DataError::format(
            images_path,
            format!("empty images ({height}x{width})"),
        ));
    }
    let largest = labels.data.iter().copied().max().map_or(0, usize::from);
    let classes = num_classes.unwrap_or(largest + 1);
    if largest >= classes && !labels.data.is_empty() {
        return Err(DataError::format(
            labels_path,
            format!("label {largest} in a {classes}-class set"),
        ));
    }
    let shape = ImageShape {
        channels: 1,
        height,
        width,
    };
    let labels = labels.data.into_iter().map(u16::from).collect();
    ImageSet::new(images.data, labels, shape, classes)
}

/// The train or test split of a directory in MNIST's layout (`train-*` or `t10k-*`, each
/// file optionally `.gz`).
pub fn read_idx_split(
    dir: &Path,
    train: bool,
    num_classes: Option<usize>,
) -> Result<ImageSet, DataError> {
    let prefix = if train { "train" } else { "t10k" };
    let images_path = locate(dir, &format!("{prefix}-images-idx3-ubyte"))?;
    let labels_path = locate(dir, &format!("{prefix}-labels-idx1-ubyte"))?;
    let images = read_idx(&images_path)?;
    let labels = read_idx(&labels_path)?;
    image_set_from_idx(images, &images_path, labels, &labels_path, num_classes)
}

/// `dir/name` if it exists, else `dir/name.gz`.
fn locate(dir: &Path, name: &str) -> Result<PathBuf, DataError> {
    let plain = dir.join(name);
    let gz = dir.join(format!("{name}.gz"));
    if plain.is_file() {
        Ok(plain)
    } else if gz.is_file() {
        Ok(gz)
    } else {
        Err(DataError::Missing {
            path: plain,
            dataset: format!("idx:{}", dir.display()),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// IDX bytes of an unsigned-byte array with the given dimensions.
    pub(crate) fn idx_bytes(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut out = vec![0, 0, UNSIGNED_BYTE, dims.len() as u8];
        for d in dims {
            out.extend_from_slice(&d.to_be_bytes());
        }
        out.extend_from_slice(data);
        out
    }

    fn p() -> &'static Path {
        Path::new("f-idx3-ubyte")
    }

    #[test]
    fn parses_dimensions_and_data() {
        let arr = parse_idx(&idx_bytes(&[2, 1, 3], &[1, 2, 3, 4, 5, 6]), p()).unwrap();
        assert_eq!(arr.dims, vec![2, 1, 3]);
        assert_eq!(arr.data, vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn wrong_magic_type_truncation_and_trailing_bytes_are_named() {
        let mut wrong_magic = idx_bytes(&[1], &[0]);
        wrong_magic[0] = 7;
        let mut wrong_type = idx_bytes(&[1], &[0]);
        wrong_type[2] = 0x0d;
        let cases = [
            (wrong_magic, "wrong magic"),
            (wrong_type, "element type 0x0d"),
            (idx_bytes(&[4], &[0, 1]), "truncated"),
            (idx_bytes(&[1], &[0, 1]), "trailing bytes"),
            (vec![0, 0, 8], "truncated"),
            (vec![0, 0, 8, 3, 0, 0], "truncated header"),
        ];
        for (bytes, expected) in cases {
            let err = parse_idx(&bytes, p()).unwrap_err().to_string();
            assert!(
                err.contains(expected) && err.contains("f-idx3-ubyte"),
                "{err}"
            );
        }
    }

    #[test]
    fn image_and_label_counts_and_ranges_are_checked() {
        let images = || parse_idx(&idx_bytes(&[2, 1, 1], &[9, 8]), p()).unwrap();
        let labels = |l: &[u8]| parse_idx(&idx_bytes(&[l.len() as u32], l), p()).unwrap();
        let lp = Path::new("labels");
        let ok = image_set_from_idx(images(), p(), labels(&[1, 0]), lp, Some(10)).unwrap();
        assert_eq!((ok.len(), ok.labels.clone()), (2, vec![1, 0]));
        let err = image_set_from_idx(images(), p(), labels(&[1]), lp, Some(10)).unwrap_err();
        assert!(err.to_string().contains("1 labels for 2 images"), "{err}");
        let err = image_set_from_idx(images(), p(), labels(&[11, 0]), lp, Some(10)).unwrap_err();
        assert!(
            err.to_string().contains("label 11 in a 10-class set"),
            "{err}"
        );
        let inferred = image_set_from_idx(images(), p(), labels(&[4, 0]), lp, None).unwrap();
        assert_eq!(inferred.num_classes, 5);
    }

    #[test]
    fn reads_a_directory_with_gzip_and_plain_files() {
        use flate2::{write::GzEncoder, Compression};
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(&idx_bytes(&[3, 2, 2], &[5; 12])).unwrap();
        std::fs::write(
            dir.path().join("train-images-idx3-ubyte.gz"),
            enc.finish().unwrap(),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("train-labels-idx1-ubyte"),
            idx_bytes(&[3], &[0, 1, 2]),
        )
        .unwrap();
        let set = read_idx_split(dir.path(), true, None).unwrap();
        assert_eq!((set.len(), set.num_classes, set.shape.plane()), (3, 3, 4));
        let err = read_idx_split(dir.path(), false, None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("t10k-images-idx3-ubyte") && err.contains("missing"),
            "{err}"
        );
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = parse_idx(&bytes, p());
        }

        #[test]
        fn damaged_valid_files_never_panic(cut in 0usize..40, flip in 0usize..40, bit in 0u8..8) {
            let mut bytes = idx_bytes(&[3, 2, 3], &[1; 18]);
            let at = flip % bytes.len();
            bytes[at] ^= 1 << bit;
            bytes.truncate(bytes.len().saturating_sub(cut));
            let _ = parse_idx(&bytes, p());
        }
    }
}
