//! The records of an analysis: `<run>/analysis/{hidden_condition,weight_condition}.csv`,
//! `hidden_modes.csv` and `layer_stats.json`. They live beside the measurements that fill them;
//! readers (the report) need no libtorch.

use serde::{Deserialize, Serialize};

pub use crate::{Histogram, LayerStats, Percentiles};

/// One row of `<run>/analysis/hidden_condition.csv` or `weight_condition.csv`.
///
/// `sigma_*`, `kappa`, `rank` and the measures without a prefix are those of the matrix as
/// defined in docs/analysis.md (the N x D representation, the weight's operator); the
/// `centred_*` columns are those of its column-centred version (each column's mean over the
/// rows removed). Columns added after the first version default when absent, so older CSVs
/// still read.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LayerConditionRow {
    /// 1-based weighted-layer index (the models crate's numbering).
    pub layer: usize,
    pub name: String,
    /// The analysed matrix's shape, e.g. `500x16384` (a grouped weight: its block-diagonal
    /// operator, `out x in*kh*kw`).
    pub shape: String,
    pub sigma_max: f64,
    pub sigma_min: f64,
    /// `inf` when the matrix is numerically rank-deficient; NaN when it has no singular
    /// values (see `status`).
    pub kappa: f64,
    /// Numerical rank under `tolerance`.
    pub rank: usize,
    /// A BN layer of this layer had non-finite or overflowed statistics in the analysis pass:
    /// the layer is numerically dead (its output does not depend on its input), a reason
    /// distinct from a singular representation. False in files written before it was recorded.
    #[serde(default)]
    pub bn_overflow: bool,
    /// What became of the layer; absent in CSVs written before it existed.
    #[serde(default)]
    pub status: Option<LayerStatus>,
    /// Convolution groups (the weight's operator is block-diagonal with this many blocks).
    #[serde(default = "one")]
    pub groups: usize,
    /// The tolerance rule that decided `rank` and `kappa`, e.g. `data-precision`.
    #[serde(default)]
    pub tolerance: String,
    /// The absolute threshold it gave: singular values at or below it count as zero.
    #[serde(default = "nan")]
    pub threshold: f64,
    /// `||A||_F^2 / sigma_max^2`.
    #[serde(default = "nan")]
    pub stable_rank: f64,
    /// Roy and Vetterli's effective rank, `exp` of the entropy of the normalised spectrum.
    #[serde(default = "nan")]
    pub effective_rank: f64,
    /// Numerical rank at `relative:1e-3`.
    #[serde(default)]
    pub rank_rel_1e3: usize,
    /// Numerical rank at `relative:1e-6`.
    #[serde(default)]
    pub rank_rel_1e6: usize,
    /// Numerical rank at `relative:1e-9`.
    #[serde(default)]
    pub rank_rel_1e9: usize,
    #[serde(default = "nan")]
    pub centred_kappa: f64,
    #[serde(default)]
    pub centred_rank: usize,
    #[serde(default = "nan")]
    pub centred_stable_rank: f64,
    #[serde(default = "nan")]
    pub centred_effective_rank: f64,
    #[serde(default)]
    pub centred_rank_rel_1e3: usize,
    #[serde(default)]
    pub centred_rank_rel_1e6: usize,
    #[serde(default)]
    pub centred_rank_rel_1e9: usize,
}

impl LayerConditionRow {
    /// Whether the layer counts as singular: rank-deficient (`kappa = inf`) or without
    /// singular values because of NaN/inf values (the paper draws both as missing = infinite).
    pub fn is_singular(&self) -> bool {
        self.kappa.is_infinite() || self.status == Some(LayerStatus::NonFinite)
    }
}

/// One row of `<run>/analysis/hidden_modes.csv` (`deepskip analyze --view modes`): the
/// condition number of one mode unfolding (HOSVD view) of a layer's N x C x H x W
/// representation; mode 1 is the N x CHW matrix of the main table, mode 2 is C x NHW, and so on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModeConditionRow {
    pub layer: usize,
    pub name: String,
    /// 1-based mode.
    pub mode: usize,
    /// The unfolding's shape, e.g. `16x512000`.
    pub shape: String,
    pub sigma_max: f64,
    pub sigma_min: f64,
    /// `inf` when rank-deficient, NaN when the layer could not be analysed.
    pub kappa: f64,
    pub rank: usize,
    /// The tolerance rule, e.g. `data-precision`.
    pub tolerance: String,
}

/// What became of one analysed layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LayerStatus {
    /// Full numerical rank: kappa is finite.
    FullRank,
    /// Numerically rank-deficient: kappa is infinite.
    RankDeficient,
    /// NaN or infinite values (a diverged layer): no singular values, counted as singular.
    NonFinite,
    /// The analysis failed for another reason (see the warning of the run that wrote it).
    Failed,
}

fn one() -> usize {
    1
}

fn nan() -> f64 {
    f64::NAN
}

/// `<run>/analysis/layer_stats.json`: the distribution of unit activations and of weights of
/// the analysed layers (paper Figs. 5-10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerStatsFile {
    /// Statistics of each analysed layer's output over the analysis samples.
    pub activations: Vec<LayerStatsRecord>,
    /// Statistics of each weighted layer's weight tensor.
    pub weights: Vec<LayerStatsRecord>,
}

/// The statistics of one layer's activations or weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerStatsRecord {
    /// 1-based weighted-layer index (the models crate's numbering).
    pub layer: usize,
    pub name: String,
    pub stats: LayerStats,
}
