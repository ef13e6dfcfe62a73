//! The onset study's file, `studies/onset/<dataset>/<model>-s<seed>/onset.json`: one run's
//! hidden representations at initialisation and at chosen steps of its training, under BN
//! batch and running statistics, with each layer's weight magnitudes and gradient norm.
//! Written by the study crate's onset study, read by the report's "Beyond the paper" section
//! (whose loader is `deepskip_report::beyond::onset_data`).

use crate::extended_f64;
use crate::records::LayerStatus;
use serde::{Deserialize, Serialize};

/// The file of one run's study, in its own folder under the results directory's
/// `studies/onset/` (deepskip-runs' `ResultsLayout::onset_dir`).
pub const ONSET_FILE: &str = "onset.json";

/// The threshold-free onset: a layer whose effective rank is below this fraction of the
/// largest possible rank, min(N, D), counts as collapsed.
pub const EFFECTIVE_RANK_FRACTION: f64 = 0.1;

/// One run's study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnsetRun {
    /// The data set as the reproduction names it, e.g. `mnist`.
    pub dataset: String,
    /// The model spec, e.g. `plainnet-164`.
    pub model: String,
    pub seed: u64,
    /// The digest of the run's configuration (the reproduction's `config_hash`): a study made
    /// for another configuration is redone, not extended.
    pub config_hash: String,
    /// Samples per analysed representation (the N of each N x D matrix).
    pub samples: usize,
    pub layer_count: usize,
    pub steps_per_epoch: u64,
    /// Steps of the whole run.
    pub total_steps: u64,
    /// The steps this study analyses, ascending; 0 is the initialised network.
    pub planned_steps: Vec<u64>,
    /// Planned steps the run never reached (it diverged before them): no weights to analyse.
    #[serde(default)]
    pub lost_steps: Vec<u64>,
    /// The analysed points, ascending by step (a resumed study adds the missing ones).
    pub points: Vec<OnsetPoint>,
}

/// The network at one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnsetPoint {
    /// Updates applied so far (0: as initialised).
    pub step: u64,
    /// `Some(e)` when the step is the end of epoch `e`.
    pub epoch_end: Option<usize>,
    /// Hidden representations with BN batch statistics of the samples (train mode), f32
    /// forward pass: what the reproduction's analysis measures.
    pub batch: Vec<OnsetLayer>,
    /// The same samples with the BN running statistics (eval mode).
    pub running: Vec<OnsetLayer>,
    /// Batch statistics with the weights cast to f64 for the forward pass; empty when the
    /// study did not take it.
    #[serde(default)]
    pub batch_f64: Vec<OnsetLayer>,
    pub weights: Vec<LayerMagnitude>,
    /// Seconds the point's analyses took.
    pub seconds: f64,
}

/// Which hidden representations of a point: how BN normalised, in which precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    Batch,
    Running,
    BatchF64,
}

impl Pass {
    pub fn label(self) -> &'static str {
        match self {
            Pass::Batch => "batch statistics, f32",
            Pass::Running => "running statistics (eval mode), f32",
            Pass::BatchF64 => "batch statistics, f64",
        }
    }
}

impl OnsetPoint {
    pub fn layers(&self, pass: Pass) -> &[OnsetLayer] {
        match pass {
            Pass::Batch => &self.batch,
            Pass::Running => &self.running,
            Pass::BatchF64 => &self.batch_f64,
        }
    }

    /// The first layer that `rule` calls singular under `pass`; `None` when none is (or the
    /// pass was not taken).
    pub fn onset(&self, pass: Pass, rule: SingularRule) -> Option<usize> {
        self.layers(pass)
            .iter()
            .find(|l| l.is_singular(rule))
            .map(|l| l.layer)
    }

    /// How many layers `rule` calls singular under `pass`.
    pub fn singular_count(&self, pass: Pass, rule: SingularRule) -> usize {
        self.layers(pass)
            .iter()
            .filter(|l| l.is_singular(rule))
            .count()
    }

    /// The layers whose BN statistics were dead in `pass` (non-finite, or a variance that
    /// overflowed): in the running pass, the layers with non-finite running statistics.
    pub fn bn_dead(&self, pass: Pass) -> Vec<usize> {
        self.layers(pass)
            .iter()
            .filter(|l| l.bn_dead)
            .map(|l| l.layer)
            .collect()
    }

    pub fn magnitude(&self, layer: usize) -> Option<&LayerMagnitude> {
        self.weights.iter().find(|m| m.layer == layer)
    }
}

/// When a layer's representation counts as singular.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SingularRule {
    /// Rank below min(N, D) under the data-precision tolerance (the default).
    DataPrecision,
    /// Rank below min(N, D) under numpy's f32 `matrix_rank` tolerance (the old rule).
    NumpyF32,
    /// Effective rank below [`EFFECTIVE_RANK_FRACTION`] of min(N, D) (threshold-free).
    LowEffectiveRank,
}

impl SingularRule {
    pub const ALL: [SingularRule; 3] = [
        SingularRule::DataPrecision,
        SingularRule::NumpyF32,
        SingularRule::LowEffectiveRank,
    ];

    pub fn label(self) -> String {
        match self {
            SingularRule::DataPrecision => "data-precision tolerance (default)".into(),
            SingularRule::NumpyF32 => "numpy-f32 tolerance (old rule)".into(),
            SingularRule::LowEffectiveRank => {
                format!("effective rank < {} min(N, D)", EFFECTIVE_RANK_FRACTION)
            }
        }
    }
}

/// One layer's hidden representation at one point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnsetLayer {
    /// 1-based weighted-layer index.
    pub layer: usize,
    /// min(N, D): the rank of a non-singular representation.
    pub full_rank: usize,
    /// Under the default (data-precision) tolerance.
    pub status: LayerStatus,
    /// Under the default tolerance: infinite when singular, NaN when non-finite.
    #[serde(with = "extended_f64")]
    pub kappa: f64,
    /// Numerical rank under the default tolerance.
    pub rank: usize,
    /// Numerical rank under numpy-f32.
    pub rank_numpy_f32: usize,
    /// Roy and Vetterli's effective rank; NaN when non-finite.
    #[serde(with = "extended_f64")]
    pub effective_rank: f64,
    #[serde(with = "extended_f64")]
    pub stable_rank: f64,
    /// A BN layer of this layer was numerically dead in this pass.
    pub bn_dead: bool,
}

impl OnsetLayer {
    pub fn is_non_finite(&self) -> bool {
        self.status == LayerStatus::NonFinite
    }

    /// Whether `rule` calls this representation singular; a non-finite one always is (the
    /// paper draws such points as missing = infinite), a failed analysis never.
    pub fn is_singular(&self, rule: SingularRule) -> bool {
        match self.status {
            LayerStatus::NonFinite => return true,
            LayerStatus::Failed => return false,
            LayerStatus::FullRank | LayerStatus::RankDeficient => {}
        }
        match rule {
            SingularRule::DataPrecision => self.rank < self.full_rank,
            SingularRule::NumpyF32 => self.rank_numpy_f32 < self.full_rank,
            SingularRule::LowEffectiveRank => {
                self.effective_rank < EFFECTIVE_RANK_FRACTION * self.full_rank as f64
            }
        }
    }
}

/// A closed range of values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ValueRange {
    #[serde(with = "extended_f64")]
    pub min: f64,
    #[serde(with = "extended_f64")]
    pub max: f64,
}

/// One layer's weights at one point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerMagnitude {
    pub layer: usize,
    /// Largest |w| of the convolution kernel (or classifier matrix).
    #[serde(with = "extended_f64")]
    pub max_abs_weight: f64,
    /// The range of the BN scale (gamma); `None` for a layer without BN (the classifier).
    pub bn_scale: Option<ValueRange>,
    /// The range of the BN shift (beta).
    pub bn_shift: Option<ValueRange>,
    /// Largest BN running variance (may be infinite: overflowed).
    #[serde(with = "extended_f64::option", default)]
    pub running_var_max: Option<f64>,
    /// Whether every BN running mean and variance is finite.
    pub running_finite: Option<bool>,
    /// L2 norm of the gradient of the layer's parameters (kernel, BN scale and shift, bias)
    /// taken at this point's weights: the next update's; `None` at the end of the run.
    #[serde(with = "extended_f64::option", default)]
    pub grad_norm: Option<f64>,
}

impl OnsetRun {
    /// The point at `step`, if analysed.
    pub fn point(&self, step: u64) -> Option<&OnsetPoint> {
        self.points.iter().find(|p| p.step == step)
    }

    /// Whether the study follows training (more than the initialised network).
    pub fn is_trajectory(&self) -> bool {
        self.planned_steps.iter().any(|&s| s > 0)
    }

    /// Whether every planned point is analysed (or lost to a divergence).
    pub fn is_complete(&self) -> bool {
        self.planned_steps
            .iter()
            .all(|&s| self.point(s).is_some() || self.lost_steps.contains(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(layer: usize, status: LayerStatus, rank: usize, numpy: usize, eff: f64) -> OnsetLayer {
        OnsetLayer {
            layer,
            full_rank: 100,
            status,
            kappa: if rank < 100 { f64::INFINITY } else { 50.0 },
            rank,
            rank_numpy_f32: numpy,
            effective_rank: eff,
            stable_rank: 2.0,
            bn_dead: false,
        }
    }

    fn point(layers: Vec<OnsetLayer>) -> OnsetPoint {
        OnsetPoint {
            step: 3,
            epoch_end: None,
            batch: layers,
            running: Vec::new(),
            batch_f64: Vec::new(),
            weights: Vec::new(),
            seconds: 0.0,
        }
    }

    #[test]
    fn each_rule_finds_its_own_first_singular_layer() {
        use LayerStatus::*;
        let p = point(vec![
            layer(1, FullRank, 100, 100, 40.0),
            layer(2, FullRank, 100, 99, 30.0),
            layer(3, FullRank, 100, 90, 5.0),
            layer(4, RankDeficient, 60, 50, 20.0),
            layer(5, NonFinite, 0, 0, f64::NAN),
        ]);
        assert_eq!(p.onset(Pass::Batch, SingularRule::DataPrecision), Some(4));
        assert_eq!(p.onset(Pass::Batch, SingularRule::NumpyF32), Some(2));
        assert_eq!(
            p.onset(Pass::Batch, SingularRule::LowEffectiveRank),
            Some(3)
        );
        assert_eq!(
            p.singular_count(Pass::Batch, SingularRule::DataPrecision),
            2
        );
        assert_eq!(p.onset(Pass::Running, SingularRule::DataPrecision), None);
    }

    #[test]
    fn non_finite_layers_are_singular_and_failed_ones_are_not() {
        let nan = layer(1, LayerStatus::NonFinite, 0, 0, f64::NAN);
        let failed = layer(2, LayerStatus::Failed, 0, 0, f64::NAN);
        for rule in SingularRule::ALL {
            assert!(nan.is_singular(rule));
            assert!(!failed.is_singular(rule));
        }
    }

    #[test]
    fn a_study_file_round_trips_with_infinite_kappa() {
        let run = OnsetRun {
            dataset: "mnist".into(),
            model: "plainnet-20".into(),
            seed: 0,
            config_hash: "abc".into(),
            samples: 100,
            layer_count: 5,
            steps_per_epoch: 4,
            total_steps: 8,
            planned_steps: vec![0, 1, 8],
            lost_steps: vec![8],
            points: vec![point(vec![layer(
                4,
                LayerStatus::RankDeficient,
                60,
                50,
                20.0,
            )])],
        };
        let json = serde_json::to_string(&run).unwrap();
        let back: OnsetRun = serde_json::from_str(&json).unwrap();
        assert_eq!(back, run);
        assert!(back.is_trajectory() && !back.is_complete());
    }
}
