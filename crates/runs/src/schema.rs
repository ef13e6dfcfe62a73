//! The records of a run directory and of a results directory, shared by their writers
//! (deepskip-train, the study pipeline) and their readers (the report). No libtorch here, so
//! reading results never needs a tch build.

use serde::{Deserialize, Serialize};

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

/// `<run>/reproduce.json`, written by the reproduction after training (the train crate refuses
/// to start in a directory holding foreign files) and again after the analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The run identity (`deepskip_study::PlannedRun::config_hash`) of the plan that produced
    /// this directory.
    pub config_hash: String,
    pub profile: String,
    /// The analysis (`analysis/`) was completed for this hash.
    pub analyzed: bool,
}
