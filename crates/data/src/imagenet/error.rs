//! The error type of the ImageNet pipeline.

use std::path::PathBuf;

/// Everything that can go wrong while scanning, preparing or loading ImageNet folders.
///
/// An image that cannot be decoded is not an error of this type: the loader skips it and
/// reports it as a [`crate::imagenet::SkippedImage`].
#[derive(Debug, thiserror::Error)]
pub enum ImagenetError {
    /// An I/O operation on `path` failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A split folder holds no class folder.
    #[error(
        "{dir}: no class folders found; expected {dir}/<wnid>/*.JPEG (for the raw validation \
         images run `deepskip data imagenet-prep --devkit <devkit> --val {dir}` first)"
    )]
    NoClasses { dir: PathBuf },
    /// The validation split has a class that the training split lacks.
    #[error(
        "{dir}: class folder `{wnid}` is not a class of the training split; both splits must \
         use the same wnids"
    )]
    UnknownClass { dir: PathBuf, wnid: String },
    /// A devkit file is malformed.
    #[error("{path}: {problem}")]
    Devkit { path: PathBuf, problem: String },
    /// Sorting would overwrite a different file.
    #[error(
        "{target} already exists and differs from {source_path}; nothing was overwritten: move \
         one of them aside and run imagenet-prep again"
    )]
    TargetDiffers {
        target: PathBuf,
        source_path: PathBuf,
    },
    /// The loader was configured with impossible values.
    #[error("invalid loader configuration: {0}")]
    Config(String),
}

impl ImagenetError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
