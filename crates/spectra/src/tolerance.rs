//! Which singular values count as zero: the rank tolerance, its named rules and their one
//! parser. The default rule and its derivation are documented in [`crate::ConditionNumber`]'s
//! module (`condition_number.rs`) and in docs/analysis.md.

use crate::element::Precision;
use crate::error::{Result, SpectraError};
use std::fmt;
use std::str::FromStr;

/// Which singular values count as zero.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Tolerance {
    /// The precision of the analysed data: `u * ||A||_F + max(N, D) * eps_f64 * sigma_max`,
    /// with `u` the unit roundoff of the input precision (2^-24 for f32). Rounding the entries
    /// to the input precision moves every singular value by at most `u * ||A||_F` (Weyl), and
    /// the f64 factorisation by at most the second term; a singular value at or below the sum
    /// cannot be told from zero. Name: `data-precision` (alias `default`).
    #[default]
    DataPrecision,
    /// numpy's `matrix_rank` on float32: `max(N, D) * eps_f32 * sigma_max`. It bounds the
    /// error of an SVD carried out in f32 and is far coarser than [`Tolerance::DataPrecision`]
    /// for f32 data analysed in f64; kept to compare with earlier runs. Name: `numpy-f32`.
    NumpyF32,
    /// `r * sigma_max`: scale invariant. Name: `relative:R`.
    Relative(f64),
    /// An absolute threshold. Name: `absolute:A`.
    Absolute(f64),
}

/// The relative tolerances of the numerical-rank ladder reported beside kappa.
pub const RANK_LADDER: [f64; 3] = [1e-3, 1e-6, 1e-9];

impl Tolerance {
    /// The absolute threshold for a `rows x cols` matrix with singular values `sigma` (all of
    /// them, any order) whose entries were stored in `precision`.
    pub fn threshold(
        self,
        rows: usize,
        cols: usize,
        precision: Precision,
        sigma: &[f64],
    ) -> Result<f64> {
        self.threshold_derived(rows, cols, precision, sigma, sigma)
    }

    /// The threshold for a matrix derived from a stored one by an exact-in-principle map that
    /// does not grow errors (the column-centred `P A`, `||P|| = 1`): `sigma` are its singular
    /// values, `stored` those of the matrix whose entries were rounded. The rounding error
    /// `E` of the stored matrix reaches it as `P E`, so [`Tolerance::DataPrecision`] takes its
    /// scale from `stored`; the relative rules stay relative to `sigma`.
    pub fn threshold_derived(
        self,
        rows: usize,
        cols: usize,
        precision: Precision,
        sigma: &[f64],
        stored: &[f64],
    ) -> Result<f64> {
        let largest = |values: &[f64]| values.iter().copied().fold(0.0_f64, f64::max);
        let sigma_max = largest(sigma);
        let long_side = rows.max(cols) as f64;
        Ok(match self {
            Tolerance::DataPrecision => {
                let frobenius = stored.iter().map(|s| s * s).sum::<f64>().sqrt();
                precision.unit_roundoff() * frobenius + long_side * f64::EPSILON * largest(stored)
            }
            Tolerance::NumpyF32 => long_side * Precision::F32.epsilon() * sigma_max,
            Tolerance::Relative(r) => checked(r)? * sigma_max,
            Tolerance::Absolute(a) => checked(a)?,
        })
    }
}

fn checked(value: f64) -> Result<f64> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(SpectraError::InvalidTolerance { value })
    }
}

impl fmt::Display for Tolerance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tolerance::DataPrecision => f.write_str("data-precision"),
            Tolerance::NumpyF32 => f.write_str("numpy-f32"),
            Tolerance::Relative(r) => write!(f, "relative:{r:e}"),
            Tolerance::Absolute(a) => write!(f, "absolute:{a:e}"),
        }
    }
}

impl FromStr for Tolerance {
    type Err = SpectraError;

    /// `data-precision` (or `default`), `numpy-f32`, `relative:R`, `absolute:A`; the names
    /// [`Tolerance`]'s `Display` writes.
    fn from_str(text: &str) -> Result<Self> {
        let text = text.trim();
        let unknown = || SpectraError::UnknownTolerance {
            text: text.to_owned(),
        };
        let number = |value: &str| {
            let parsed: f64 = value.trim().parse().map_err(|_| unknown())?;
            checked(parsed)
        };
        match text.to_ascii_lowercase().as_str() {
            "data-precision" | "default" => Ok(Tolerance::DataPrecision),
            "numpy-f32" => Ok(Tolerance::NumpyF32),
            lower => match lower.split_once(':') {
                Some(("relative", value)) => number(value).map(Tolerance::Relative),
                Some(("absolute", value)) => number(value).map(Tolerance::Absolute),
                _ => Err(unknown()),
            },
        }
    }
}
