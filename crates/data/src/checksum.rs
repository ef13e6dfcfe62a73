//! The MD5 registry of the canonical files (values published with the data sets, see
//! ../shared/datasets/README.md) and MD5 helpers.

use crate::{DataError, DatasetName};
use md5::{Digest, Md5};
use std::io::Read;
use std::path::Path;

/// A file of a data set as it lies in the data root, with the MD5 and size of its
/// (decompressed) bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CanonicalFile {
    /// Path relative to the data root, without any `.gz`.
    pub path: &'static str,
    /// MD5 of the uncompressed bytes; `None` where no official value is published (CIFAR-100's
    /// extracted files: only the archive's MD5 is, and it is checked on download).
    pub md5: Option<&'static str>,
    /// Size of the uncompressed bytes.
    pub size: u64,
    /// Whether a gzip-compressed copy (`<path>.gz`) is accepted in its place.
    pub gz_accepted: bool,
}

/// A file as the official site serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CanonicalArchive {
    /// File name on the server (appended to a base URL).
    pub file_name: &'static str,
    /// MD5 of the served bytes.
    pub md5: &'static str,
}

const fn mnist(path: &'static str, md5: &'static str, size: u64) -> CanonicalFile {
    CanonicalFile {
        path,
        md5: Some(md5),
        size,
        gz_accepted: true,
    }
}

const fn cifar(path: &'static str, md5: Option<&'static str>, size: u64) -> CanonicalFile {
    CanonicalFile {
        path,
        md5,
        size,
        gz_accepted: false,
    }
}

const CIFAR10_BATCH: u64 = 10_000 * 3_073;

/// MNIST, train images, train labels, test images, test labels.
pub const MNIST_FILES: [CanonicalFile; 4] = [
    mnist(
        "mnist/train-images-idx3-ubyte",
        "6bbc9ace898e44ae57da46a324031adb",
        47_040_016,
    ),
    mnist(
        "mnist/train-labels-idx1-ubyte",
        "a25bea736e30d166cdddb491f175f624",
        60_008,
    ),
    mnist(
        "mnist/t10k-images-idx3-ubyte",
        "2646ac647ad5339dbf082846283269ea",
        7_840_016,
    ),
    mnist(
        "mnist/t10k-labels-idx1-ubyte",
        "27ae3e4e09519cfbb04c329615203637",
        10_008,
    ),
];

/// The official MNIST `.gz` files, in the order of [`MNIST_FILES`].
pub const MNIST_ARCHIVES: [CanonicalArchive; 4] = [
    CanonicalArchive {
        file_name: "train-images-idx3-ubyte.gz",
        md5: "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    },
    CanonicalArchive {
        file_name: "train-labels-idx1-ubyte.gz",
        md5: "d53e105ee54ea40749a09fcbcd1e9432",
    },
    CanonicalArchive {
        file_name: "t10k-images-idx3-ubyte.gz",
        md5: "9fb629c4189551a2d022fa330f9573f3",
    },
    CanonicalArchive {
        file_name: "t10k-labels-idx1-ubyte.gz",
        md5: "ec29112dd5afa0611ce80d1b7f02629c",
    },
];

/// CIFAR-10 binary: five training batches, then the test batch.
pub const CIFAR10_FILES: [CanonicalFile; 6] = [
    cifar(
        "cifar-10-batches-bin/data_batch_1.bin",
        Some("5dd7e06a14cb22eb9f671a540d1b7c25"),
        CIFAR10_BATCH,
    ),
    cifar(
        "cifar-10-batches-bin/data_batch_2.bin",
        Some("5ea93a67294ea407fff1d09f752e9692"),
        CIFAR10_BATCH,
    ),
    cifar(
        "cifar-10-batches-bin/data_batch_3.bin",
        Some("942cd6a4bcdd0dd3c604fbe906cb4421"),
        CIFAR10_BATCH,
    ),
    cifar(
        "cifar-10-batches-bin/data_batch_4.bin",
        Some("ae636b3ba5c66a11e91e8cb52e771fcb"),
        CIFAR10_BATCH,
    ),
    cifar(
        "cifar-10-batches-bin/data_batch_5.bin",
        Some("53f37980c15c3d472c316c40844f3f0d"),
        CIFAR10_BATCH,
    ),
    cifar(
        "cifar-10-batches-bin/test_batch.bin",
        Some("803d5f7f4d78ea53de84dbe85f74fb6d"),
        CIFAR10_BATCH,
    ),
];

/// CIFAR-100 binary: training file, then test file.
pub const CIFAR100_FILES: [CanonicalFile; 2] = [
    cifar("cifar-100-binary/train.bin", None, 50_000 * 3_074),
    cifar("cifar-100-binary/test.bin", None, 10_000 * 3_074),
];

/// The official CIFAR-10 binary archive; it unpacks to `cifar-10-batches-bin/`.
pub const CIFAR10_ARCHIVE: CanonicalArchive = CanonicalArchive {
    file_name: "cifar-10-binary.tar.gz",
    md5: "c32a1d4ab5d03f1284b67883e8d87530",
};

/// The official CIFAR-100 binary archive; it unpacks to `cifar-100-binary/`.
pub const CIFAR100_ARCHIVE: CanonicalArchive = CanonicalArchive {
    file_name: "cifar-100-binary.tar.gz",
    md5: "03b5dce01913d631647c71ecec9e9cb8",
};

/// The canonical files of a data set (none for an IDX directory: it has no registry).
pub fn canonical_files(name: &DatasetName) -> &'static [CanonicalFile] {
    match name {
        DatasetName::Mnist => &MNIST_FILES,
        DatasetName::Cifar10 => &CIFAR10_FILES,
        DatasetName::Cifar100 { .. } => &CIFAR100_FILES,
        DatasetName::Idx(_) | DatasetName::ImageNet => &[],
    }
}

/// Lower-case hex MD5 of `bytes`.
pub fn md5_hex(bytes: &[u8]) -> String {
    hex(&Md5::digest(bytes))
}

/// Lower-case hex MD5 of the file at `path`, streamed.
pub fn md5_file(path: &Path) -> Result<String, DataError> {
    let mut file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| DataError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_matches_the_rfc_1321_test_vectors() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
    }

    #[test]
    fn streamed_md5_equals_in_memory_md5() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(md5_file(&path).unwrap(), md5_hex(&bytes));
    }

    #[test]
    fn registry_values_are_well_formed() {
        let all = MNIST_FILES
            .iter()
            .chain(&CIFAR10_FILES)
            .chain(&CIFAR100_FILES);
        for file in all {
            if let Some(md5) = file.md5 {
                assert_eq!(md5.len(), 32, "{}", file.path);
                assert!(md5.chars().all(|c| c.is_ascii_hexdigit()), "{}", file.path);
            }
        }
    }
}
