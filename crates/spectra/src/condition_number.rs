//! The condition number `kappa = sigma_max / sigma_min` with its numerical rank, under the
//! tolerance of paper.md: singular values at or below `max(N, D) * eps * sigma_max` count as
//! zero, with `eps` the machine epsilon of the input precision. A rank-deficient matrix has
//! `kappa = +inf`.

use crate::element::Element;
use crate::error::{Result, SpectraError};
use crate::matrix::promote;
use crate::reduction::{reduce_to_triangle, worth_reducing};
use crate::singular_values::lapack_singular_values;
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

/// Which singular values count as zero.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Tolerance {
    /// `max(N, D) * eps * sigma_max` with `eps` of the input precision (numpy's `matrix_rank`).
    #[default]
    Default,
    /// `r * sigma_max`: scale invariant, like the default.
    Relative(f64),
    /// An absolute threshold.
    Absolute(f64),
}

impl Tolerance {
    /// The absolute threshold for a `rows x cols` matrix of input precision `eps`.
    pub fn threshold(self, rows: usize, cols: usize, eps: f64, sigma_max: f64) -> Result<f64> {
        let check = |value: f64| {
            if value.is_finite() && value >= 0.0 {
                Ok(value)
            } else {
                Err(SpectraError::InvalidTolerance { value })
            }
        };
        Ok(match self {
            Tolerance::Default => rows.max(cols) as f64 * eps * sigma_max,
            Tolerance::Relative(r) => check(r)? * sigma_max,
            Tolerance::Absolute(a) => check(a)?,
        })
    }
}

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
    /// let c = ConditionNumber::of(&a.view(), Tolerance::Default).unwrap();
    /// assert_eq!((c.kappa, c.numerical_rank), (4.0, 2));
    /// ```
    pub fn of<T: Element>(a: &ArrayView2<'_, T>, tolerance: Tolerance) -> Result<Self> {
        Self::of_owned(promote(a, "matrix")?, T::EPSILON, tolerance)
    }

    /// The condition number of a promoted f64 matrix whose input precision had epsilon `eps`;
    /// consumes the matrix so that only one copy is alive at a time.
    pub fn of_owned(a: Array2<f64>, eps: f64, tolerance: Tolerance) -> Result<Self> {
        let (rows, cols) = a.dim();
        let sigma = if worth_reducing(rows, cols) {
            lapack_singular_values(&reduce_to_triangle(a)?)?
        } else {
            lapack_singular_values(&a)?
        };
        Self::from_singular_values(&sigma, rows, cols, eps, tolerance)
    }

    /// Builds the result from all `min(rows, cols)` singular values (any order).
    pub fn from_singular_values(
        sigma: &[f64],
        rows: usize,
        cols: usize,
        eps: f64,
        tolerance: Tolerance,
    ) -> Result<Self> {
        if sigma.is_empty() {
            return Err(SpectraError::EmptyMatrix {
                what: "singular values".to_owned(),
                rows,
                cols,
            });
        }
        let sigma_max = sigma.iter().copied().fold(0.0_f64, f64::max);
        let sigma_min = sigma.iter().copied().fold(f64::INFINITY, f64::min);
        let threshold = tolerance.threshold(rows, cols, eps, sigma_max)?;
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
