//! The on-disk formats of a reproduction, shared by their writers (deepskip-train, the
//! `deepskip` command) and their reader (this crate). They live here, in a crate without
//! libtorch, so that reading results never needs a tch build.

use serde::{Deserialize, Serialize};

pub use deepskip_spectra::{Histogram, LayerStats, Percentiles};

/// Parses the text of a `metrics.jsonl`. A torn last line (a crash during an append: the text
/// does not end in a newline) is dropped; any other unreadable line is an error, with its
/// 1-based line number.
pub fn parse_metrics(text: &str) -> Result<Vec<EpochMetrics>, (usize, serde_json::Error)> {
    let torn_tail = !text.is_empty() && !text.ends_with('\n');
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    let mut out = Vec::with_capacity(lines.len());
    for (k, &(i, line)) in lines.iter().enumerate() {
        match serde_json::from_str(line) {
            Ok(m) => out.push(m),
            Err(_) if torn_tail && k + 1 == lines.len() => break,
            Err(e) => return Err((i + 1, e)),
        }
    }
    Ok(out)
}

/// One line of `<run>/metrics.jsonl`: what one epoch measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Optimiser steps taken since the start of the run, this epoch included.
    pub step: u64,
    /// Mean cross-entropy over the epoch's training batches (running, train mode).
    pub train_loss: f64,
    /// Fraction (0..1) of training samples classified correctly during the epoch.
    pub train_acc: f64,
    /// Mean cross-entropy over the (possibly subset) test split, eval mode.
    pub test_loss: f64,
    /// Fraction (0..1) of test samples classified correctly, eval mode.
    pub test_acc: f64,
    /// Learning rate at the last step of the epoch.
    pub lr: f64,
    /// Wall time of the epoch (training and evaluation), seconds.
    pub seconds: f64,
    /// Training images per second.
    pub images_per_sec: f64,
    /// Fraction (0..1) of training samples whose label is among the 5 highest logits
    /// (many-class data sets such as ImageNet; absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_top5: Option<f64>,
    /// Top-5 accuracy on the test split, eval mode (absent when not measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_top5: Option<f64>,
    /// Training steps of the epoch whose gradients were non-finite (NaN or infinite) although
    /// the loss was finite: their update was skipped, as a mixed-precision loss scaler does
    /// (with `--amp`, the scaler's own overflow steps are counted here too). Absent (read as 0)
    /// in metrics written before it was recorded.
    #[serde(default)]
    pub skipped_steps: u64,
    /// BN layers whose batch statistics were non-finite (or whose variance overflowed to
    /// infinity) at some training step of the epoch; absent when none was, and in metrics
    /// written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bn_overflow: Option<BnOverflow>,
}

/// Where and when BN statistics overflowed during one epoch of training.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BnOverflow {
    /// The lowest weighted-layer index (the models crate's numbering) with a dead BN layer.
    pub first_layer: usize,
    /// Weighted layers with a dead BN layer at some step of the epoch.
    pub layers: usize,
    /// Training steps of the epoch with at least one dead BN layer.
    pub steps: u64,
    /// The first such step (1-based, counted from the start of the run).
    pub first_step: u64,
}

/// Where a run stands, as recorded in `<run>/status.json` and in `summary.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Running,
    Finished,
    /// The loss became NaN or infinite; the last good checkpoint is kept.
    Diverged,
    /// Stopped by Ctrl-C or a signal after writing a checkpoint; `--resume` continues.
    Interrupted,
    /// Not run, for the stated reason (e.g. the data set could not be obtained).
    Skipped,
}

/// `<run>/status.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunStatus {
    pub state: RunState,
    /// Epochs completed.
    pub epoch: usize,
    /// Optimiser steps completed.
    pub step: u64,
    pub reason: Option<String>,
}

/// One object of `results/<profile>/summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub dataset: String,
    pub model: String,
    pub depth: usize,
    pub params: u64,
    /// Final-epoch training accuracy, fraction 0..1.
    pub train_acc: Option<f64>,
    /// Final-epoch test accuracy, fraction 0..1.
    pub test_acc: Option<f64>,
    #[serde(rename = "status")]
    pub state: RunState,
    pub reason: Option<String>,
    pub epochs: usize,
    pub seconds: f64,
    pub device: String,
    pub profile: String,
    pub seed: u64,
    /// The paper's number for this cell, fraction 0..1, when the paper reports one.
    pub paper_train_acc: Option<f64>,
    pub paper_test_acc: Option<f64>,
    /// The run directory, relative to the results directory.
    pub run_dir: Option<String>,
    /// What the trained model predicts on the full test split (absent in older summaries, and
    /// for runs not evaluated so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predictions: Option<crate::prediction_census::PredictionCensus>,
}

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
