//! One point of the study: the network at one step, its hidden representations with BN batch
//! statistics, with its running statistics (eval mode) and, optionally, in f64, each reduced
//! to the rows of [`OnsetLayer`], plus the layers' weight magnitudes.

use super::layout::StudyDir;
use super::magnitudes::layer_magnitudes;
use super::schedule::epoch_ending_at;
use super::snapshots::GradientNorms;
use crate::analysis::{analyse_hidden, BnStatistics, ForwardPass, HiddenAnalysis};
use deepskip_data::{ImageSet, Normalization};
use deepskip_models::{BnStats, LayerSelection, ModelSpec, Network, Precision};
use deepskip_runs::write_atomic;
use deepskip_spectra::condition_rows::condition_rows;
use deepskip_spectra::onset_record::{OnsetLayer, OnsetPoint};
use deepskip_spectra::records::LayerStatus;
use deepskip_spectra::{LayerOutcome, ManyLayers, RunSpectra, Tolerance};
use std::sync::Arc;
use std::time::Instant;
use tch::nn::VarStore;
use tch::Device;

/// What every point of one run's study is analysed with.
#[derive(Debug, Clone)]
pub struct PointInputs<'a> {
    /// The run's model fitted to its data (`deepskip_train::resolve_spec`).
    pub spec: ModelSpec,
    pub seed: u64,
    pub bn_stats: BnStats,
    /// The run's training precision: the precision of the batch and running passes.
    pub precision: Precision,
    pub samples: Arc<ImageSet>,
    pub normalization: &'a Normalization,
    pub device: Device,
    /// Also take the batch pass with the weights cast to f64 (when trained in f32).
    pub f64_pass: bool,
    pub steps_per_epoch: u64,
}

/// The network as it was at `step`: the seed's initial weights (drawn exactly as the trainer
/// draws them), overwritten by the snapshot of `step` when `step > 0`.
pub fn network_at(
    inputs: &PointInputs<'_>,
    dir: &StudyDir,
    step: u64,
) -> anyhow::Result<(VarStore, Network)> {
    let (mut vs, network) =
        deepskip_train::seeded_network(&inputs.spec, inputs.seed, inputs.device)?;
    let network = network.with_bn_stats(inputs.bn_stats);
    vs.set_kind(inputs.precision.kind());
    if step > 0 {
        deepskip_train::checkpoint::load_weights(&dir.weights_file(step), &vs)?;
    }
    Ok((vs, network))
}

/// Analyses the network at `step` (see [`network_at`]) and writes each pass's spectra.
pub fn analyse_point(
    inputs: &PointInputs<'_>,
    dir: &StudyDir,
    step: u64,
    gradients: Option<&GradientNorms>,
) -> anyhow::Result<OnsetPoint> {
    let started = Instant::now();
    let (mut vs, network) = network_at(inputs, dir, step)?;
    // Before any train-mode pass, which updates the running statistics of this copy.
    let weights = layer_magnitudes(network.layers(), &vs, gradients);
    let pass = |bn: BnStatistics, precision: Precision, name: &str| {
        let hidden = take_pass(&network, inputs, bn, precision)?;
        let spectra = RunSpectra {
            hidden: hidden.spectra.clone(),
            weights: Vec::new(),
        };
        write_atomic(&dir.spectra_file(step, name), &spectra.to_bytes()?)?;
        onset_layers(&hidden, inputs.samples.len())
    };
    let running = pass(BnStatistics::Running, inputs.precision, "running")?;
    let batch = pass(BnStatistics::Batch, inputs.precision, "batch")?;
    let batch_f64 = if inputs.f64_pass && inputs.precision == Precision::F32 {
        vs.set_kind(Precision::F64.kind());
        pass(BnStatistics::Batch, Precision::F64, "batch_f64")?
    } else {
        Vec::new()
    };
    Ok(OnsetPoint {
        step,
        epoch_end: epoch_ending_at(step, inputs.steps_per_epoch),
        batch,
        running,
        batch_f64,
        weights,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn take_pass(
    network: &Network,
    inputs: &PointInputs<'_>,
    bn: BnStatistics,
    precision: Precision,
) -> anyhow::Result<HiddenAnalysis> {
    analyse_hidden(
        network,
        Arc::clone(&inputs.samples),
        inputs.normalization,
        ForwardPass {
            device: inputs.device,
            chunk: inputs.samples.len(),
            bn,
            precision,
        },
        &LayerSelection::All,
        &ManyLayers::new(),
        None,
    )
}

/// The study's rows of one pass: the default tolerance's kappa and rank, the old rule's rank,
/// the threshold-free measures and BN health. A layer without a spectrum (non-finite) takes
/// `samples` as its full rank.
fn onset_layers(hidden: &HiddenAnalysis, samples: usize) -> anyhow::Result<Vec<OnsetLayer>> {
    let default = hidden.condition_rows(Tolerance::DataPrecision)?;
    let numpy = condition_rows(&hidden.spectra, Tolerance::NumpyF32)?;
    Ok(hidden
        .spectra
        .iter()
        .zip(default.iter().zip(&numpy))
        .map(|(spectrum, (row, old))| OnsetLayer {
            layer: row.layer,
            full_rank: match &spectrum.outcome {
                LayerOutcome::Analysed(s) => s.rows.min(s.cols),
                _ => samples,
            },
            status: row.status.unwrap_or(LayerStatus::Failed),
            kappa: row.kappa,
            rank: row.rank,
            rank_numpy_f32: old.rank,
            effective_rank: row.effective_rank,
            stable_rank: row.stable_rank,
            bn_dead: row.bn_overflow,
        })
        .collect())
}
