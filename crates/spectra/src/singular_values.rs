//! Singular values through LAPACK: divide and conquer (`gesdd`) first, the QR-iteration
//! routine (`gesvd`) when `gesdd` fails to converge, as numpy and SciPy users do by hand.

use crate::element::Element;
use crate::error::{Result, SpectraError};
use crate::matrix::promote;
use ndarray::{Array2, ArrayView2};
use ndarray_linalg::error::LinalgError;
use ndarray_linalg::{JobSvd, SVD, SVDDC};

/// All `min(rows, cols)` singular values of `a`, in descending order, computed in f64 by a
/// plain full SVD of the whole matrix (no reduction; see [`crate::reduction`] for the faster
/// route that [`crate::ConditionNumber::of`] takes on long, thin matrices).
///
/// ```
/// use ndarray::array;
/// let a = array![[3.0_f32, 0.0], [0.0, -4.0]];
/// let s = deepskip_spectra::singular_values(&a.view()).unwrap();
/// assert_eq!(s, vec![4.0, 3.0]);
/// ```
pub fn singular_values<T: Element>(a: &ArrayView2<'_, T>) -> Result<Vec<f64>> {
    lapack_singular_values(&promote(a, "matrix")?)
}

/// Singular values of a row-major f64 matrix, descending; `gesvd` retries when `gesdd` fails.
pub(crate) fn lapack_singular_values(a: &Array2<f64>) -> Result<Vec<f64>> {
    let (rows, cols) = a.dim();
    let sigma = match a.svddc(JobSvd::None) {
        Ok((_, sigma, _)) => sigma,
        // gesdd's only failure on a finite matrix is non-convergence (info > 0); gesvd's
        // implicit QR iteration is slower but converges in cases where it does not.
        Err(LinalgError::Lapack(_)) => {
            a.svd(false, false)
                .map_err(|source| SpectraError::Lapack {
                    routine: "gesvd (after gesdd failed to converge)",
                    rows,
                    cols,
                    source,
                })?
                .1
        }
        Err(source) => {
            return Err(SpectraError::Lapack {
                routine: "gesdd",
                rows,
                cols,
                source,
            })
        }
    };
    let mut values = sigma.to_vec();
    // LAPACK returns them sorted; sorting again costs nothing and makes the order a contract.
    values.sort_by(|x, y| y.total_cmp(x));
    Ok(values)
}
