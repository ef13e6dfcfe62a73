//! Reading `.npy` arrays of f32 or f64 (C or Fortran order, any rank >= 2) for
//! `deepskip spectra`, through the ndarray-npy crate.

use crate::condition_number::ConditionNumber;
use crate::element::Element;
use crate::error::{Result, SpectraError};
use crate::matrix::flattened;
use crate::spectrum::Spectrum;
use crate::tolerance::Tolerance;
use ndarray::{ArrayD, ArrayView2};
use ndarray_npy::{ReadNpyError, ReadNpyExt};
use std::io::Cursor;
use std::path::{Path, PathBuf};

/// The values of a `.npy` file in row-major (C) order, whatever the file's order.
#[derive(Debug, Clone, PartialEq)]
pub enum NpyData {
    F32(Vec<f32>),
    F64(Vec<f64>),
}

/// A `.npy` array with at least two dimensions.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    pub shape: Vec<usize>,
    pub data: NpyData,
}

impl NpyArray {
    /// Reads `path`; f32 and f64 in either byte order and either memory order are accepted.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| SpectraError::Io {
            path: path.to_owned(),
            source,
        })?;
        let (shape, data) = match ArrayD::<f32>::read_npy(Cursor::new(&bytes)) {
            Ok(a) => (a.shape().to_vec(), NpyData::F32(row_major(a))),
            Err(ReadNpyError::WrongDescriptor(_)) => {
                match ArrayD::<f64>::read_npy(Cursor::new(&bytes)) {
                    Ok(a) => (a.shape().to_vec(), NpyData::F64(row_major(a))),
                    Err(ReadNpyError::WrongDescriptor(descr)) => {
                        return Err(SpectraError::UnsupportedDtype {
                            path: path.to_owned(),
                            descr: descr.to_string(),
                        })
                    }
                    Err(other) => return Err(malformed(path, &other)),
                }
            }
            Err(other) => return Err(malformed(path, &other)),
        };
        if shape.len() < 2 {
            return Err(SpectraError::TooFewDimensions {
                what: path.display().to_string(),
                ndim: shape.len(),
                shape,
                min: 2,
                hint: "save a matrix, e.g. numpy.save(path, x.reshape(1, -1))",
            });
        }
        Ok(Self { shape, data })
    }

    /// The element type's name: `f32` or `f64`.
    pub fn dtype(&self) -> &'static str {
        match self.data {
            NpyData::F32(_) => f32::PRECISION.name(),
            NpyData::F64(_) => f64::PRECISION.name(),
        }
    }

    /// `(N, rest)`: the first axis against all others flattened.
    pub fn matrix_shape(&self) -> (usize, usize) {
        flattened(&self.shape, 0)
    }

    /// The condition number of the N x rest matrix, with the input's own epsilon.
    pub fn condition_number(&self, tolerance: Tolerance) -> Result<ConditionNumber> {
        let shape = self.matrix_shape();
        match &self.data {
            NpyData::F32(v) => ConditionNumber::of(&matrix(shape, v), tolerance),
            NpyData::F64(v) => ConditionNumber::of(&matrix(shape, v), tolerance),
        }
    }

    /// Both spectra (raw and column-centred) of the N x rest matrix, in f64, with the input's
    /// precision recorded.
    pub fn spectrum(&self) -> Result<Spectrum> {
        let shape = self.matrix_shape();
        match &self.data {
            NpyData::F32(v) => Spectrum::of(&matrix(shape, v)),
            NpyData::F64(v) => Spectrum::of(&matrix(shape, v)),
        }
    }
}

fn matrix<T>(shape: (usize, usize), values: &[T]) -> ArrayView2<'_, T> {
    ArrayView2::from_shape(shape, values).expect("the shape came from the same file")
}

fn row_major<T: Clone>(a: ArrayD<T>) -> Vec<T> {
    if a.is_standard_layout() {
        a.into_raw_vec_and_offset().0
    } else {
        a.iter().cloned().collect()
    }
}

fn malformed(path: &Path, err: &ReadNpyError) -> SpectraError {
    SpectraError::MalformedNpy {
        path: PathBuf::from(path),
        message: err.to_string(),
    }
}
