//! Checks of a data set's files in the data root against the MD5 registry.

use crate::checksum::{canonical_files, md5_hex, CanonicalFile};
use crate::decoded::read_decoded;
use crate::{DataError, DatasetName};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// What a check of one file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileStatus {
    /// The (decompressed) bytes have the published MD5.
    Verified,
    /// No MD5 is published for this file (CIFAR-100's extracted files); its size is right.
    SizeMatches,
    Missing,
    Mismatch {
        expected: String,
        actual: String,
    },
    WrongSize {
        expected: u64,
        actual: u64,
    },
    /// The file could not be read or decompressed.
    Unreadable(String),
}

/// The check of one canonical file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCheck {
    pub file: CanonicalFile,
    /// The file that was checked (`<path>.gz` where only the compressed copy exists).
    pub path: PathBuf,
    pub status: FileStatus,
}

impl FileCheck {
    /// Whether the file can be used.
    pub fn is_ok(&self) -> bool {
        matches!(self.status, FileStatus::Verified | FileStatus::SizeMatches)
    }

    /// The error describing a failed check (`None` when it passed).
    pub fn to_error(&self, dataset: &DatasetName) -> Option<DataError> {
        let path = self.path.clone();
        let dataset = dataset.to_string();
        match &self.status {
            FileStatus::Verified | FileStatus::SizeMatches => None,
            FileStatus::Missing => Some(DataError::Missing { path, dataset }),
            FileStatus::Mismatch { expected, actual } => Some(DataError::Checksum {
                path,
                dataset,
                expected: expected.clone(),
                actual: actual.clone(),
            }),
            FileStatus::WrongSize { expected, actual } => Some(DataError::format(
                path,
                format!("{actual} bytes, expected {expected}"),
            )),
            FileStatus::Unreadable(why) => Some(DataError::format(path, why.clone())),
        }
    }
}

/// Checks every canonical file of `name` under `root` (in parallel).
pub fn check_files(name: &DatasetName, root: &Path) -> Vec<FileCheck> {
    canonical_files(name)
        .par_iter()
        .map(|file| check_file(file, root))
        .collect()
}

/// `Ok` when every canonical file of `name` under `root` passes, else the first failure.
pub fn verify(name: &DatasetName, root: &Path) -> Result<(), DataError> {
    match check_files(name, root)
        .iter()
        .find_map(|c| c.to_error(name))
    {
        Some(err) => Err(err),
        None => Ok(()),
    }
}

/// The file standing for `file` under `root`: the plain file, else its `.gz` copy where
/// accepted.
pub fn locate(file: &CanonicalFile, root: &Path) -> Option<PathBuf> {
    let plain = root.join(file.path);
    if plain.is_file() {
        return Some(plain);
    }
    let gz = root.join(format!("{}.gz", file.path));
    (file.gz_accepted && gz.is_file()).then_some(gz)
}

fn check_file(file: &CanonicalFile, root: &Path) -> FileCheck {
    let Some(path) = locate(file, root) else {
        return FileCheck {
            file: *file,
            path: root.join(file.path),
            status: FileStatus::Missing,
        };
    };
    let status = match read_decoded(&path) {
        Err(e) => FileStatus::Unreadable(e.to_string()),
        Ok(bytes) => match file.md5 {
            Some(expected) => {
                let actual = md5_hex(&bytes);
                if actual == expected {
                    FileStatus::Verified
                } else {
                    FileStatus::Mismatch {
                        expected: expected.to_owned(),
                        actual,
                    }
                }
            }
            None if bytes.len() as u64 == file.size => FileStatus::SizeMatches,
            None => FileStatus::WrongSize {
                expected: file.size,
                actual: bytes.len() as u64,
            },
        },
    };
    FileCheck {
        file: *file,
        path,
        status,
    }
}
