//! The error type of deepskip-spectra.

use std::path::PathBuf;

/// Everything that can go wrong in deepskip-spectra.
#[derive(Debug, thiserror::Error)]
pub enum SpectraError {
    /// An I/O operation on `path` failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A matrix with no rows or no columns has no singular values.
    #[error("cannot analyse an empty {rows}x{cols} matrix ({what}); pass at least one row and one column")]
    EmptyMatrix {
        what: String,
        rows: usize,
        cols: usize,
    },

    /// NaN or infinite entries make singular values meaningless.
    #[error("{what} holds {count} non-finite values (NaN or infinite) out of {total}; the layer diverged or the input is corrupt, so no singular values can be computed")]
    NonFinite {
        what: String,
        count: usize,
        total: usize,
    },

    /// `data.len()` does not match the product of `shape`.
    #[error("{what}: shape {shape:?} needs {expected} values but {actual} were given")]
    ShapeMismatch {
        what: String,
        shape: Vec<usize>,
        expected: usize,
        actual: usize,
    },

    /// The tensor has too few dimensions for the requested view.
    #[error(
        "{what}: shape {shape:?} has {ndim} dimension(s) but at least {min} are needed ({hint})"
    )]
    TooFewDimensions {
        what: String,
        shape: Vec<usize>,
        ndim: usize,
        min: usize,
        hint: &'static str,
    },

    /// A user-supplied tolerance that is negative or not a number.
    #[error("invalid tolerance {value}: it must be a finite number >= 0")]
    InvalidTolerance { value: f64 },

    /// A tolerance name that is none of the known rules.
    #[error("unknown tolerance {text:?}: use data-precision (the default), numpy-f32, relative:R or absolute:A with a number >= 0 (e.g. relative:1e-6)")]
    UnknownTolerance { text: String },

    /// A grouped weight whose output channels do not split into the groups.
    #[error("weight of shape {shape:?} cannot have {groups} groups: the output channels must be a positive multiple of the group count")]
    InvalidGroups { shape: Vec<usize>, groups: usize },

    /// A spectra file that cannot be read back.
    #[error("{path}: not a readable deepskip spectra file: {message}; rerun the analysis to write it again")]
    MalformedSpectra { path: PathBuf, message: String },

    /// LAPACK failed even after the fallback routine.
    #[error("LAPACK {routine} failed on a {rows}x{cols} matrix: {source}")]
    Lapack {
        routine: &'static str,
        rows: usize,
        cols: usize,
        #[source]
        source: ndarray_linalg::error::LinalgError,
    },

    /// The `.npy` file is not a valid array file.
    #[error(
        "{path}: not a readable .npy file: {message}; write it with numpy.save (format 1.0-3.0)"
    )]
    MalformedNpy { path: PathBuf, message: String },

    /// The `.npy` file holds an element type other than f32 or f64.
    #[error("{path}: unsupported dtype {descr}; only float32 ('<f4') and float64 ('<f8') are supported, convert with array.astype(numpy.float64)")]
    UnsupportedDtype { path: PathBuf, descr: String },

    /// No per-layer statistics for an empty tensor.
    #[error(
        "cannot compute statistics of {what}: it has no finite values ({total} values in all)"
    )]
    NoFiniteValues { what: String, total: usize },
}

impl SpectraError {
    /// An empty spectrum (of a `rows x cols` matrix) is refused: there is nothing to measure.
    pub(crate) fn check_has_values(sigma: &[f64], rows: usize, cols: usize) -> Result<()> {
        if sigma.is_empty() {
            Err(SpectraError::EmptyMatrix {
                what: "singular values".to_owned(),
                rows,
                cols,
            })
        } else {
            Ok(())
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = SpectraError> = std::result::Result<T, E>;
