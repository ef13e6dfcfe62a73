//! Threshold-free measures of a spectrum beside kappa, and the numerical rank on a fixed
//! ladder of relative tolerances, so that a kappa of 1e4 can be told from an exact zero.

use crate::element::Precision;
use crate::error::{Result, SpectraError};
use crate::tolerance::{Tolerance, RANK_LADDER};
use serde::{Deserialize, Serialize};

/// Measures of one spectrum (all `min(rows, cols)` singular values).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpectrumMeasures {
    /// `||A||_F^2 / sigma_1^2`, in `[1, min(N, D)]`; 0 for a zero matrix.
    pub stable_rank: f64,
    /// Roy and Vetterli (2007): `exp(H(p))` with `p_i = sigma_i / sum sigma` and `H` the
    /// Shannon entropy (natural log), in `[1, min(N, D)]`; 0 for a zero matrix.
    pub effective_rank: f64,
    /// Numerical rank at `relative:1e-3`, `relative:1e-6`, `relative:1e-9` ([`RANK_LADDER`]).
    pub ladder_ranks: [usize; 3],
    /// Numerical rank under [`Tolerance::DataPrecision`].
    pub data_precision_rank: usize,
}

impl SpectrumMeasures {
    /// The measures of `sigma` (any order), singular values of a `rows x cols` matrix derived
    /// from one with singular values `stored` whose entries were stored in `precision`
    /// (`stored = sigma` for the stored matrix itself; see [`Tolerance::threshold_derived`]).
    pub fn of(
        sigma: &[f64],
        stored: &[f64],
        (rows, cols): (usize, usize),
        precision: Precision,
    ) -> Result<Self> {
        SpectraError::check_has_values(sigma, rows, cols)?;
        let rank = |tolerance: Tolerance| -> Result<usize> {
            let threshold = tolerance.threshold_derived(rows, cols, precision, sigma, stored)?;
            Ok(sigma.iter().filter(|&&s| s > threshold).count())
        };
        let mut ladder_ranks = [0; 3];
        for (slot, &r) in ladder_ranks.iter_mut().zip(&RANK_LADDER) {
            *slot = rank(Tolerance::Relative(r))?;
        }
        Ok(Self {
            stable_rank: stable_rank(sigma),
            effective_rank: effective_rank(sigma),
            ladder_ranks,
            data_precision_rank: rank(Tolerance::DataPrecision)?,
        })
    }
}

/// `sum sigma_i^2 / max sigma^2`; 0 for an all-zero spectrum.
pub fn stable_rank(sigma: &[f64]) -> f64 {
    let max = sigma.iter().copied().fold(0.0_f64, f64::max);
    if max == 0.0 {
        return 0.0;
    }
    sigma.iter().map(|s| (s / max) * (s / max)).sum()
}

/// `exp(-sum p_i ln p_i)` with `p_i = sigma_i / sum sigma` (terms with `p_i = 0` add 0); 0 for
/// an all-zero spectrum.
pub fn effective_rank(sigma: &[f64]) -> f64 {
    let total: f64 = sigma.iter().sum();
    if total == 0.0 {
        return 0.0;
    }
    let entropy: f64 = sigma
        .iter()
        .map(|s| s / total)
        .filter(|&p| p > 0.0)
        .map(|p| -p * p.ln())
        .sum();
    entropy.exp()
}
