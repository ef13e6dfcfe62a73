//! All singular values of one matrix, of the matrix itself and of its column-centred version
//! (each column's mean over the rows removed: for a hidden representation, the mean over the
//! samples of each feature), kept so that any tolerance can be applied afterwards.
//!
//! # Cost of the centred spectrum
//!
//! A wide matrix (N x D, D >= 2N) is reduced to its triangle first: `A^T = Q R`, so
//! `A = R^T Q^T` with `Q` orthonormal. Centring is a left multiplication by
//! `P = I - 1 1^T / N`, so `P A = (P R^T) Q^T` has the singular values of the N x N matrix
//! `P R^T`: the centred spectrum costs one more N x N SVD, not a second reduction of the
//! N x D matrix. Other shapes are small (D < 2N) or tall and are centred directly.

use crate::condition_number::ConditionNumber;
use crate::element::{Element, Precision};
use crate::error::Result;
use crate::matrix::promote;
use crate::measures::SpectrumMeasures;
use crate::reduction::{reduce_to_triangle, worth_reducing};
use crate::singular_values::lapack_singular_values;
use crate::tolerance::Tolerance;
use ndarray::{Array2, ArrayView2, Axis};

/// The singular values (descending, f64) of a `rows x cols` matrix stored in `precision`, and
/// those of its column-centred version.
#[derive(Debug, Clone, PartialEq)]
pub struct Spectrum {
    pub rows: usize,
    pub cols: usize,
    pub precision: Precision,
    /// All `min(rows, cols)` singular values of the matrix, descending.
    pub raw: Vec<f64>,
    /// All `min(rows, cols)` singular values of the column-centred matrix, descending.
    pub centred: Vec<f64>,
}

impl Spectrum {
    /// Both spectra of `a` (f32 or f64, any layout), computed in f64.
    pub fn of<T: Element>(a: &ArrayView2<'_, T>) -> Result<Self> {
        Self::of_owned(promote(a, "matrix")?, T::PRECISION)
    }

    /// Both spectra of a promoted f64 matrix (consumed, so one copy is alive at a time).
    pub fn of_owned(a: Array2<f64>, precision: Precision) -> Result<Self> {
        let (rows, cols) = a.dim();
        let (raw, centred) = if cols >= rows && worth_reducing(rows, cols) {
            let r = reduce_to_triangle(a)?;
            let centred = centred_columns(r.t().to_owned());
            (
                lapack_singular_values(&r)?,
                lapack_singular_values(&centred)?,
            )
        } else {
            let centred = centred_columns(a.clone());
            let raw = singular_values_of(a)?;
            (raw, singular_values_of(centred)?)
        };
        Ok(Self {
            rows,
            cols,
            precision,
            raw,
            centred,
        })
    }

    /// The spectrum of a block-diagonal operator from its blocks' spectra: singular values
    /// merged (and sorted), the operator `rows x cols` the sums of the blocks'.
    pub fn block_diagonal(blocks: Vec<Spectrum>) -> Option<Self> {
        let precision = blocks.first()?.precision;
        let mut merged = Self {
            rows: 0,
            cols: 0,
            precision,
            raw: Vec::new(),
            centred: Vec::new(),
        };
        for block in blocks {
            merged.rows += block.rows;
            merged.cols += block.cols;
            merged.raw.extend(block.raw);
            merged.centred.extend(block.centred);
        }
        merged.raw.sort_by(|x, y| y.total_cmp(x));
        merged.centred.sort_by(|x, y| y.total_cmp(x));
        Some(merged)
    }

    /// kappa and numerical rank of the matrix under `tolerance`.
    pub fn condition_number(&self, tolerance: Tolerance) -> Result<ConditionNumber> {
        ConditionNumber::from_singular_values(
            &self.raw,
            self.rows,
            self.cols,
            self.precision,
            tolerance,
        )
    }

    /// kappa and numerical rank of the column-centred matrix under `tolerance`; the rounding
    /// of the stored (raw) matrix sets the data-precision threshold.
    pub fn centred_condition_number(&self, tolerance: Tolerance) -> Result<ConditionNumber> {
        ConditionNumber::from_derived(
            &self.centred,
            &self.raw,
            (self.rows, self.cols),
            self.precision,
            tolerance,
        )
    }

    /// Threshold-free measures and the rank ladder of the matrix.
    pub fn measures(&self) -> Result<SpectrumMeasures> {
        let shape = (self.rows, self.cols);
        SpectrumMeasures::of(&self.raw, &self.raw, shape, self.precision)
    }

    /// Threshold-free measures and the rank ladder of the column-centred matrix.
    pub fn centred_measures(&self) -> Result<SpectrumMeasures> {
        let shape = (self.rows, self.cols);
        SpectrumMeasures::of(&self.centred, &self.raw, shape, self.precision)
    }
}

/// Singular values, through the triangle when the matrix is long and thin.
fn singular_values_of(a: Array2<f64>) -> Result<Vec<f64>> {
    let (rows, cols) = a.dim();
    if worth_reducing(rows, cols) {
        lapack_singular_values(&reduce_to_triangle(a)?)
    } else {
        lapack_singular_values(&a)
    }
}

/// `a` with each column's mean removed.
fn centred_columns(mut a: Array2<f64>) -> Array2<f64> {
    let means = a.mean_axis(Axis(0)).expect("matrices here have rows");
    a -= &means;
    a
}
