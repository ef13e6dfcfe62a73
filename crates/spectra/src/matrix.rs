//! Promotion of input matrices (any layout, f32 or f64) to the row-major f64 matrices that the
//! LAPACK routines factor, with the checks every entry point needs.

use crate::condition_number::ConditionNumber;
use crate::element::{Element, Precision};
use crate::error::{Result, SpectraError};
use crate::spectrum::Spectrum;
use crate::tolerance::Tolerance;
use ndarray::{Array2, ArrayView2};

/// Copies `view` into a new row-major f64 matrix, rejecting empty and non-finite input.
///
/// `what` names the matrix in error messages (e.g. `layer 17 (stage2.block3.conv1)`).
pub fn promote<T: Element>(view: &ArrayView2<'_, T>, what: &str) -> Result<Array2<f64>> {
    let (rows, cols) = view.dim();
    if rows == 0 || cols == 0 {
        return Err(SpectraError::EmptyMatrix {
            what: what.to_owned(),
            rows,
            cols,
        });
    }
    // `iter` walks in logical (row-major) order whatever the strides, so Fortran-order input
    // comes out row-major as the reduction expects.
    let values: Vec<f64> = view.iter().map(|&x| x.to_f64()).collect();
    let non_finite = values.iter().filter(|x| !x.is_finite()).count();
    if non_finite > 0 {
        return Err(SpectraError::NonFinite {
            what: what.to_owned(),
            count: non_finite,
            total: values.len(),
        });
    }
    Ok(Array2::from_shape_vec((rows, cols), values).expect("rows * cols values were collected"))
}

/// Checks that `data` holds exactly the product of `shape` values.
pub fn check_len(what: &str, len: usize, shape: &[usize]) -> Result<()> {
    let expected: usize = shape.iter().product();
    if expected == len {
        Ok(())
    } else {
        Err(SpectraError::ShapeMismatch {
            what: what.to_owned(),
            shape: shape.to_vec(),
            expected,
            actual: len,
        })
    }
}

/// Checks a row-major f32 tensor that will be unfolded to a matrix: `data` matches `shape`,
/// and there are at least two dimensions (`hint` says what to pass instead).
pub fn check_unfoldable(
    what: &str,
    data: &[f32],
    shape: &[usize],
    hint: &'static str,
) -> Result<()> {
    check_len(what, data.len(), shape)?;
    if shape.len() < 2 {
        return Err(SpectraError::TooFewDimensions {
            what: what.to_owned(),
            shape: shape.to_vec(),
            ndim: shape.len(),
            min: 2,
            hint,
        });
    }
    Ok(())
}

/// `(shape[mode], product of the other extents)`.
pub fn flattened(shape: &[usize], mode: usize) -> (usize, usize) {
    let rows = shape[mode];
    let cols = shape
        .iter()
        .enumerate()
        .filter(|&(k, _)| k != mode)
        .map(|(_, &e)| e)
        .product();
    (rows, cols)
}

/// The condition number of a checked row-major f32 tensor unfolded to
/// `shape[0] x (product of the rest)`, with the tolerance of f32 input.
pub fn unfolded_condition_number(
    what: &str,
    data: &[f32],
    shape: &[usize],
    tolerance: Tolerance,
) -> Result<ConditionNumber> {
    let view = ArrayView2::from_shape(flattened(shape, 0), data).expect("length checked");
    ConditionNumber::of_owned(promote(&view, what)?, Precision::F32, tolerance)
}

/// Both spectra of a checked row-major f32 tensor unfolded to
/// `shape[0] x (product of the rest)`.
pub fn unfolded_spectrum(what: &str, data: &[f32], shape: &[usize]) -> Result<Spectrum> {
    let view = ArrayView2::from_shape(flattened(shape, 0), data).expect("length checked");
    Spectrum::of_owned(promote(&view, what)?, Precision::F32)
}
