//! Summary statistics of a layer's activations or weights, for the paper's figures 5 to 10
//! (value ranges, spread, sparsity and a fixed-bin histogram).

use crate::error::{Result, SpectraError};
use serde::{Deserialize, Serialize};

/// Number of histogram bins [`LayerStats::of`] uses.
pub const HISTOGRAM_BINS: usize = 64;

/// A histogram with `counts.len()` equal-width bins; `edges` has one more entry than
/// `counts` (bin `i` is `[edges[i], edges[i + 1])`, the last bin includes its right edge).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    pub edges: Vec<f64>,
    pub counts: Vec<u64>,
}

/// The 1st, 5th, 25th, 50th, 75th, 95th and 99th percentiles (nearest rank).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub p1: f64,
    pub p5: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
    pub p99: f64,
}

/// Statistics over the finite values of one tensor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerStats {
    /// Number of values, finite or not.
    pub count: u64,
    /// Values that were NaN or infinite and are left out of everything below.
    pub non_finite: u64,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    /// Population standard deviation.
    pub std: f64,
    pub percentiles: Percentiles,
    /// Fraction of all values that are exactly zero (dead ReLU units show up here).
    pub zero_fraction: f64,
    pub histogram: Histogram,
}

const LEVELS: [f64; 7] = [0.01, 0.05, 0.25, 0.50, 0.75, 0.95, 0.99];

impl LayerStats {
    /// Statistics of `values` with a [`HISTOGRAM_BINS`]-bin histogram over `[min, max]`.
    ///
    /// `what` names the tensor in the error returned when no value is finite.
    pub fn of(values: &[f32], what: &str) -> Result<Self> {
        let mut finite: Vec<f32> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if finite.is_empty() {
            return Err(SpectraError::NoFiniteValues {
                what: what.to_owned(),
                total: values.len(),
            });
        }
        let n = finite.len() as f64;
        let mean = finite.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
        // Two passes: the textbook one-pass formula cancels badly for activations in the
        // millions (PlainNet's first layer).
        let var = finite
            .iter()
            .map(|&x| (f64::from(x) - mean).powi(2))
            .sum::<f64>()
            / n;
        let (min, max) = finite
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &x| {
                (lo.min(x), hi.max(x))
            });
        let zeros = values.iter().filter(|&&x| x == 0.0).count();
        let histogram = histogram(&finite, f64::from(min), f64::from(max), HISTOGRAM_BINS);
        let percentiles = percentiles(&mut finite);
        Ok(Self {
            count: values.len() as u64,
            non_finite: (values.len() - finite.len()) as u64,
            min: f64::from(min),
            max: f64::from(max),
            mean,
            std: var.sqrt(),
            percentiles,
            zero_fraction: zeros as f64 / values.len() as f64,
            histogram,
        })
    }
}

/// Nearest-rank percentiles by successive selection (linear time, no full sort of millions
/// of values); reorders `values`.
fn percentiles(values: &mut [f32]) -> Percentiles {
    let n = values.len();
    let mut start = 0;
    let mut found = [0.0_f64; 7];
    for (slot, level) in found.iter_mut().zip(LEVELS) {
        let rank = ((level * n as f64).ceil() as usize).clamp(1, n) - 1;
        // Earlier selections left everything below `start` smaller, so select in the tail.
        let rest = &mut values[start..];
        let (_, nth, _) = rest.select_nth_unstable_by(rank - start, f32::total_cmp);
        *slot = f64::from(*nth);
        start = rank;
    }
    let [p1, p5, p25, p50, p75, p95, p99] = found;
    Percentiles {
        p1,
        p5,
        p25,
        p50,
        p75,
        p95,
        p99,
    }
}

fn histogram(values: &[f32], min: f64, max: f64, bins: usize) -> Histogram {
    // A constant tensor gets a unit-wide range around its value so the bins are not empty.
    let (lo, hi) = if max > min {
        (min, max)
    } else {
        (min - 0.5, max + 0.5)
    };
    let width = (hi - lo) / bins as f64;
    let edges = (0..=bins).map(|i| lo + width * i as f64).collect();
    let mut counts = vec![0_u64; bins];
    for &x in values {
        let bin = (((f64::from(x) - lo) / width) as usize).min(bins - 1);
        counts[bin] += 1;
    }
    Histogram { edges, counts }
}
