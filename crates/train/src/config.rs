//! `TrainConfig`: everything needed to rerun a training run, as written to `<run>/config.json`.

use crate::lr_schedule::{LrSchedule, Warmup};
use crate::TrainError;
use deepskip_models::{BnStats, Init, Precision};
use serde::{Deserialize, Serialize};

/// The tch crate this build links (pinned in the workspace Cargo.toml).
const TCH_VERSION: &str = "0.24.0";

/// A training run's configuration. Defaults are paper.md's protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Model spec as given on the command line, e.g. `resnet-164`.
    pub model: String,
    /// Channel-width multiplier applied to the spec (1.0 = the paper's widths).
    pub width_multiplier: f64,
    /// Data set name as the command line spells it, e.g. `mnist`.
    pub dataset: String,
    pub epochs: usize,
    pub batch_size: usize,
    /// Base learning rate (before schedule and warm-up).
    pub lr: f64,
    pub momentum: f64,
    pub nesterov: bool,
    pub weight_decay: f64,
    /// Decay BN scales/shifts and biases too (true = the paper: all weights).
    pub decay_bn_and_bias: bool,
    pub schedule: LrSchedule,
    pub warmup: Option<Warmup>,
    pub seed: u64,
    /// Cap on optimiser steps per epoch (reduced runs); `None` = the whole training split.
    pub steps_per_epoch: Option<usize>,
    /// Training images kept per class (reduced runs); `None` = all.
    pub train_subset: Option<usize>,
    /// Test images kept per class for evaluation; `None` = the full test split.
    pub test_subset: Option<usize>,
    /// `auto`, `cpu`, `cuda` or `cuda:N`.
    pub device: String,
    /// Mixed precision (CUDA only; ignored on CPU).
    pub amp: bool,
    /// Write a checkpoint every this many epochs (the last epoch is always checkpointed).
    pub checkpoint_every: usize,
    /// Side of the square crops of ImageNet runs (224 when absent); unused by small-image sets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_size: Option<u32>,
    /// The model actually built (spec fitted to the data set's channels and classes); filled
    /// in by `train`, read by `load_trained`.
    #[serde(default)]
    pub resolved_spec: Option<deepskip_models::ModelSpec>,
    /// Precision of weights, activations and gradients (f32 when absent).
    #[serde(default, skip_serializing_if = "is_default")]
    pub precision: Precision,
    /// How BN computes its batch statistics (the network's precision when absent).
    #[serde(default, skip_serializing_if = "is_default")]
    pub bn_stats: BnStats,
    /// Initialisation of the main-path convolutions (He when absent).
    #[serde(default, skip_serializing_if = "is_default")]
    pub init: Init,
    /// Versions of what produced the run; not compared on resume.
    #[serde(default)]
    pub versions: RecordedVersions,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            model: "resnet-164".into(),
            width_multiplier: 1.0,
            dataset: "cifar10".into(),
            epochs: 200,
            batch_size: 128,
            lr: 0.1,
            momentum: 0.9,
            nesterov: false,
            weight_decay: 1e-4,
            decay_bn_and_bias: true,
            schedule: LrSchedule::default(),
            warmup: Some(Warmup::default()),
            seed: 0,
            steps_per_epoch: None,
            train_subset: None,
            test_subset: None,
            device: "auto".into(),
            amp: false,
            checkpoint_every: 1,
            image_size: None,
            resolved_spec: None,
            precision: Precision::default(),
            bn_stats: BnStats::default(),
            init: Init::default(),
            versions: RecordedVersions::default(),
        }
    }
}

impl TrainConfig {
    /// Rejects values the loop cannot run with, naming the field to fix (the CLI maps fields
    /// to its flags).
    pub fn validate(&self) -> Result<(), TrainError> {
        let bad = |msg: String| Err(TrainError::InvalidConfig(msg));
        if self.epochs == 0 {
            return bad("epochs must be at least 1".into());
        }
        if self.batch_size == 0 {
            return bad("batch_size must be at least 1".into());
        }
        if self.steps_per_epoch == Some(0) {
            return bad("steps_per_epoch must be at least 1".into());
        }
        if self.train_subset == Some(0) || self.test_subset == Some(0) {
            return bad("train_subset / test_subset must be at least 1 per class".into());
        }
        if self.checkpoint_every == 0 {
            return bad("checkpoint_every must be at least 1 epoch".into());
        }
        if self.image_size.is_some_and(|s| s < 32) {
            return bad("image_size must be at least 32 pixels".into());
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad(format!("lr {} must be a positive number", self.lr));
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return bad(format!("momentum {} must be in [0, 1)", self.momentum));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return bad(format!("weight_decay {} must be >= 0", self.weight_decay));
        }
        if !(self.width_multiplier.is_finite() && self.width_multiplier > 0.0) {
            return bad(format!(
                "width_multiplier {} must be positive",
                self.width_multiplier
            ));
        }
        if self.amp && self.precision == Precision::F64 {
            return bad("amp and precision f64 exclude each other: drop one".into());
        }
        self.schedule.validate().map_err(TrainError::InvalidConfig)
    }

    /// The first option in which `self` and `other` differ as runs (versions, device, AMP and
    /// checkpoint frequency may change on resume), or `None` when they are the same run.
    pub fn run_difference(&self, other: &Self) -> Option<String> {
        let strip = |c: &Self| {
            let mut c = c.clone();
            c.versions = RecordedVersions::default();
            c.resolved_spec = None;
            c.device = String::new();
            c.amp = false;
            c.checkpoint_every = 1;
            serde_json::to_value(c).unwrap_or_default()
        };
        let (a, b) = (strip(self), strip(other));
        let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
            return Some("unreadable configuration".into());
        };
        a.iter().find(|(k, v)| b.get(*k) != Some(v)).map(|(k, v)| {
            format!(
                "{k}: {} here vs {} on disk",
                v,
                b.get(k).unwrap_or(&"missing".into())
            )
        })
    }
}

/// Keeps a field out of config.json while it has its default, so runs made before it existed
/// still resume (their recorded config matches).
fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// What produced a run, for the record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordedVersions {
    pub deepskip: String,
    pub tch: String,
    /// libtorch version, from `$LIBTORCH/version.py` when it can be read.
    pub libtorch: Option<String>,
    /// `git rev-parse HEAD` of the working directory, when it is a git checkout.
    pub git_commit: Option<String>,
    /// The device the run actually used, e.g. `Cpu` or `Cuda(0)`.
    pub device_used: Option<String>,
}

impl RecordedVersions {
    /// Detects versions of this build and its environment; absent ones stay `None`.
    pub fn detect() -> Self {
        Self {
            deepskip: env!("CARGO_PKG_VERSION").into(),
            tch: TCH_VERSION.into(),
            libtorch: libtorch_version(),
            git_commit: git_commit(),
            device_used: None,
        }
    }
}

fn libtorch_version() -> Option<String> {
    let root = std::env::var_os("LIBTORCH")?;
    let text = std::fs::read_to_string(std::path::Path::new(&root).join("version.py")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("__version__ = "))
        .map(|v| v.trim_matches(['\'', '"']).to_string())
}

fn git_commit() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_paper_protocol_and_valid() {
        let c = TrainConfig::default();
        assert_eq!(
            (c.batch_size, c.lr, c.momentum, c.weight_decay),
            (128, 0.1, 0.9, 1e-4)
        );
        assert!(c.validate().is_ok());
    }

    #[test]
    fn run_difference_ignores_versions_and_device_but_not_lr() {
        let a = TrainConfig::default();
        let mut b = a.clone();
        b.device = "cuda".into();
        b.versions.git_commit = Some("abc".into());
        assert_eq!(a.run_difference(&b), None);
        b.lr = 0.05;
        assert!(a.run_difference(&b).unwrap().starts_with("lr"));
    }

    #[test]
    fn json_round_trip_keeps_every_field() {
        let c = TrainConfig {
            schedule: LrSchedule::Cosine,
            warmup: None,
            steps_per_epoch: Some(7),
            ..TrainConfig::default()
        };
        let back: TrainConfig = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }
}
