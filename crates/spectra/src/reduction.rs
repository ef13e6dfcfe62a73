//! Reduction of long, thin matrices to a small triangle with the same singular values.
//!
//! A hidden representation of N = 500 samples by D = 16,384 features is very wide. Its
//! singular values are those of the N x N triangle `R` of a Householder QR of its transpose
//! (`A^T = Q R`, so `A = R^T Q^T` and `Q` has orthonormal columns). We factor with LAPACK
//! `geqrf` in place on the f64 copy (no `Q` is formed, no second D x N buffer), then run the
//! SVD on the N x N triangle. A tall matrix takes the mirrored route (`gelqf`, a lower
//! triangle).
//!
//! # Accuracy
//!
//! Householder QR is backward stable: the computed `R` is the exact factor of `A + E` with
//! `||E|| <= c(N, D) * eps * ||A||`, the same kind of guarantee the SVD itself gives. So every
//! singular value is still found to within an absolute error of about `eps * sigma_max`,
//! and a matrix with `kappa = 1e12` in f64 keeps its smallest singular value to a few digits.
//! This is the same reduction LAPACK's `gesdd` applies internally to very wide inputs; doing it
//! ourselves bounds the memory (the SVD workspace becomes N x N instead of N x D).
//!
//! The cheaper Gram-matrix route (eigenvalues of `A A^T`) is deliberately not used: squaring
//! squares the condition number, so singular values below `sqrt(eps) * sigma_max` (about
//! `1.5e-8 * sigma_max` in f64) drown in rounding error and any `kappa` above about `1e8`
//! would be misreported. The tests in `tests/reduction.rs` show both effects.

use crate::error::{Result, SpectraError};
use ndarray::Array2;
use ndarray_linalg::{Lapack, MatrixLayout};

/// Whether reducing first is worth it: one side at least twice the other.
pub fn worth_reducing(rows: usize, cols: usize) -> bool {
    rows.max(cols) >= 2 * rows.min(cols)
}

/// The `k x k` triangle (`k = min(rows, cols)`) whose singular values are those of `a`.
///
/// Consumes `a` and factors its buffer in place, so the peak memory stays one copy of `a`.
pub fn reduce_to_triangle(a: Array2<f64>) -> Result<Array2<f64>> {
    let (rows, cols) = a.dim();
    let k = rows.min(cols);
    if k == 0 {
        return Err(SpectraError::EmptyMatrix {
            what: "matrix to reduce".to_owned(),
            rows,
            cols,
        });
    }
    let mut buf: Vec<f64> = if a.is_standard_layout() {
        a.into_raw_vec_and_offset().0
    } else {
        a.iter().copied().collect()
    };
    // Read column-major, the row-major buffer is A^T (cols x rows, leading dimension cols).
    let lapack_dim = |n: usize| i32::try_from(n).map_err(|_| too_large(rows, cols));
    let (wide, layout) = if cols >= rows {
        // geqrf on the tall A^T: the upper triangle R of A^T = QR.
        (
            true,
            MatrixLayout::F {
                col: lapack_dim(rows)?,
                lda: lapack_dim(cols)?,
            },
        )
    } else {
        // lax maps C layout to gelqf on the same column-major A^T: the lower triangle L of
        // A^T = LQ.
        (
            false,
            MatrixLayout::C {
                row: lapack_dim(rows)?,
                lda: lapack_dim(cols)?,
            },
        )
    };
    f64::householder(layout, &mut buf).map_err(|source| SpectraError::Lapack {
        routine: if wide { "geqrf" } else { "gelqf" },
        rows,
        cols,
        source: source.into(),
    })?;
    let lda = cols;
    Ok(Array2::from_shape_fn((k, k), |(i, j)| {
        let in_triangle = if wide { i <= j } else { i >= j };
        if in_triangle {
            buf[j * lda + i]
        } else {
            0.0
        }
    }))
}

fn too_large(rows: usize, cols: usize) -> SpectraError {
    SpectraError::Lapack {
        routine: "geqrf",
        rows,
        cols,
        source: ndarray_linalg::error::LinalgError::NotStandardShape {
            obj: "LAPACK matrix (dimensions above i32::MAX)",
            rows: i32::MAX,
            cols: i32::MAX,
        },
    }
}
