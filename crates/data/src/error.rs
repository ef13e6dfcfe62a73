//! The error type of deepskip-data: every variant names the file or URL, what is wrong and
//! what to do about it.

use std::path::PathBuf;

/// Everything that can go wrong in deepskip-data.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// An I/O operation on `path` failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A data file does not have the structure its format requires (truncated, wrong magic,
    /// label out of range, ...).
    #[error("{path}: {problem}; the file is damaged or not in the expected format, delete it and run `deepskip data fetch` again")]
    Format { path: PathBuf, problem: String },

    /// A file's MD5 differs from the published one.
    #[error("{path}: MD5 mismatch, expected {expected}, actual {actual}; the file is corrupt or incomplete: run `deepskip data fetch {dataset}` (it moves the bad file aside to <file>.bad and fetches a verified copy)")]
    Checksum {
        path: PathBuf,
        dataset: String,
        expected: String,
        actual: String,
    },

    /// A downloaded file's MD5 differs from the published one.
    #[error("{url}: downloaded bytes have MD5 {actual}, expected {expected}; the download was discarded, run the fetch again or download the file by hand")]
    DownloadChecksum {
        url: String,
        expected: String,
        actual: String,
    },

    /// A file the data set needs is not in the data directory.
    #[error("{path}: missing; run `deepskip data fetch {dataset}`")]
    Missing { path: PathBuf, dataset: String },

    /// A data set name that is not one of the known names.
    #[error("unknown data set `{name}`; expected mnist, cifar10, cifar100, cifar100-coarse, idx:<dir> or imagenet")]
    UnknownDataset { name: String },

    /// ImageNet is streamed from its class folders, not fetched or loaded whole.
    #[error("ImageNet is read from its train/ and val/ class folders as it trains (ImageNet folders), not fetched or loaded into memory; obtain ILSVRC2012 from image-net.org and give its folder")]
    StreamedDataset,

    /// A download failed (network, HTTP status, interrupted transfer).
    #[error("download of {url} failed: {reason}")]
    Download { url: String, reason: String },

    /// A tar archive holds an entry that would be written outside the extraction directory.
    #[error("{archive}: unsafe entry `{entry}` ({reason}); refusing to extract this archive")]
    UnsafeArchive {
        archive: PathBuf,
        entry: String,
        reason: String,
    },

    /// Every source of a data set failed.
    #[error("could not obtain {dataset}. Tried:\n{}\nTo install it by hand:\n{manual}", attempts.iter().map(|a| format!("  - {a}")).collect::<Vec<_>>().join("\n"))]
    Unavailable {
        dataset: String,
        attempts: Vec<String>,
        manual: String,
    },

    /// A caller passed a value the crate cannot work with.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl DataError {
    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            source,
        }
    }

    /// A format problem in `path`.
    pub fn format(path: impl Into<PathBuf>, problem: impl Into<String>) -> Self {
        DataError::Format {
            path: path.into(),
            problem: problem.into(),
        }
    }
}
