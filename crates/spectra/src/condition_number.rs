//! The condition number `kappa = sigma_max / sigma_min` with its numerical rank. A
//! rank-deficient matrix has `kappa = +inf`.
//!
//! # The default tolerance, and why
//!
//! The SVD runs in f64, but the matrices we analyse were stored in f32 (the forward pass
//! writes f32 activations; weights are f32). What a singular value of the stored matrix can
//! tell us is limited by that storage, not by the f64 factorisation:
//!
//! 1. Rounding every entry to f32 (unit roundoff `u = 2^-24`) gives `fl(A) = A + E` with
//!    `|E_ij| <= u |A_ij|`, so `||E||_2 <= ||E||_F <= u ||A||_F`.
//! 2. By Weyl's inequality `|sigma_i(A + E) - sigma_i(A)| <= ||E||_2`: every singular value of
//!    the stored matrix is within `u ||A||_F` of the exact one. A stored singular value at or
//!    below `u ||A||_F` is therefore compatible with an exact zero; one above it is not.
//! 3. The f64 factorisation (Householder reduction, then `gesdd`) is backward stable: it adds
//!    at most about `max(N, D) * eps_f64 * sigma_max` (numpy's rule, but with f64's epsilon).
//!
//! Hence [`Tolerance::DataPrecision`]: `tol = u ||A||_F + max(N, D) eps_f64 sigma_max`, with
//! `||A||_F^2 = sum sigma_i^2` taken from the spectrum itself (so stored spectra can be
//! re-thresholded without the matrix). Since `||A||_F = sigma_max * sqrt(stable rank)`, the
//! largest kappa that can be called finite is about `2^24 / sqrt(stable rank)`, at least
//! `2^24 / sqrt(min(N, D))` (750,000 at N = 500), whatever D.
//!
//! The old rule, numpy's `matrix_rank` default `max(N, D) * eps_f32 * sigma_max`
//! ([`Tolerance::NumpyF32`]), bounds the error of an SVD *carried out* in f32. For f32 data
//! factorised in f64 it is too coarse by a factor of about `2 max(N, D) / sqrt(stable rank)`:
//! at N = 500, D = 16,384 it calls every kappa above `2^23 / 16,384 = 512` infinite.

use crate::element::{Element, Precision};
use crate::error::{Result, SpectraError};
use crate::matrix::promote;
use crate::reduction::{reduce_to_triangle, worth_reducing};
use crate::singular_values::lapack_singular_values;
use crate::tolerance::Tolerance;
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

/// Condition number, extreme singular values and numerical rank of one matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConditionNumber {
    pub rows: usize,
    pub cols: usize,
    pub sigma_max: f64,
    /// The smallest of the `min(rows, cols)` singular values, as computed (possibly below the
    /// tolerance).
    pub sigma_min: f64,
    /// `sigma_max / sigma_min`, or `+inf` when the matrix is numerically rank-deficient.
    /// Serialised as a number, or the string `"inf"`.
    #[serde(with = "kappa_serde")]
    pub kappa: f64,
    /// How many singular values exceed `tolerance`.
    pub numerical_rank: usize,
    /// `numerical_rank == min(rows, cols)`.
    pub full_rank: bool,
    /// The absolute threshold that was applied.
    pub tolerance: f64,
}

impl ConditionNumber {
    /// The condition number of `a` (f32 or f64, any layout), computed in f64.
    ///
    /// Long, thin matrices are reduced to a triangle first ([`crate::reduction`]).
    ///
    /// ```
    /// use deepskip_spectra::{ConditionNumber, Tolerance};
    /// use ndarray::array;
    /// let a = array![[2.0_f64, 0.0], [0.0, 0.5]];
    /// let c = ConditionNumber::of(&a.view(), Tolerance::DataPrecision).unwrap();
    /// assert_eq!((c.kappa, c.numerical_rank), (4.0, 2));
    /// ```
    pub fn of<T: Element>(a: &ArrayView2<'_, T>, tolerance: Tolerance) -> Result<Self> {
        Self::of_owned(promote(a, "matrix")?, T::PRECISION, tolerance)
    }

    /// The condition number of a promoted f64 matrix whose entries were stored in
    /// `precision`; consumes the matrix so that only one copy is alive at a time.
    pub fn of_owned(a: Array2<f64>, precision: Precision, tolerance: Tolerance) -> Result<Self> {
        let (rows, cols) = a.dim();
        let sigma = if worth_reducing(rows, cols) {
            lapack_singular_values(&reduce_to_triangle(a)?)?
        } else {
            lapack_singular_values(&a)?
        };
        Self::from_singular_values(&sigma, rows, cols, precision, tolerance)
    }

    /// Builds the result from all `min(rows, cols)` singular values (any order) of a matrix
    /// stored in `precision`.
    pub fn from_singular_values(
        sigma: &[f64],
        rows: usize,
        cols: usize,
        precision: Precision,
        tolerance: Tolerance,
    ) -> Result<Self> {
        Self::from_derived(sigma, sigma, (rows, cols), precision, tolerance)
    }

    /// As [`ConditionNumber::from_singular_values`] for a matrix derived from the stored one
    /// with singular values `stored` (see [`Tolerance::threshold_derived`]).
    pub fn from_derived(
        sigma: &[f64],
        stored: &[f64],
        (rows, cols): (usize, usize),
        precision: Precision,
        tolerance: Tolerance,
    ) -> Result<Self> {
        SpectraError::check_has_values(sigma, rows, cols)?;
        let sigma_max = sigma.iter().copied().fold(0.0_f64, f64::max);
        let sigma_min = sigma.iter().copied().fold(f64::INFINITY, f64::min);
        let threshold = tolerance.threshold_derived(rows, cols, precision, sigma, stored)?;
        let numerical_rank = sigma.iter().filter(|&&s| s > threshold).count();
        let full_rank = numerical_rank == rows.min(cols);
        // A zero matrix has rank 0 and lands here too: exactly +inf, never 0/0.
        let kappa = if full_rank {
            sigma_max / sigma_min
        } else {
            f64::INFINITY
        };
        Ok(Self {
            rows,
            cols,
            sigma_max,
            sigma_min,
            kappa,
            numerical_rank,
            full_rank,
            tolerance: threshold,
        })
    }

    /// Whether the matrix is numerically singular (rank-deficient, `kappa = +inf`).
    pub fn is_singular(&self) -> bool {
        !self.full_rank
    }
}

/// `kappa` in JSON: a number when finite, the string `"inf"` when infinite (JSON has no
/// infinity and serde_json would silently write `null`).
mod kappa_serde {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Kappa {
        Finite(f64),
        Named(String),
    }

    pub fn serialize<S: Serializer>(kappa: &f64, s: S) -> Result<S::Ok, S::Error> {
        if kappa.is_infinite() {
            "inf".serialize(s)
        } else {
            kappa.serialize(s)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        match Kappa::deserialize(d)? {
            Kappa::Finite(x) => Ok(x),
            Kappa::Named(name) if name == "inf" => Ok(f64::INFINITY),
            Kappa::Named(other) => Err(serde::de::Error::custom(format!(
                "kappa must be a number or \"inf\", got {other:?}"
            ))),
        }
    }
}
