//! Hidden representations: one forward pass with taps, each tapped layer analysed as
//! it arrives, in groups of the analysis pool size, so at most one group of N x D outputs is
//! held at a time (never all layers).

use super::layers::{analyse_layers, LayerValues};
use super::modes::mode_rows;
use super::output::mark_bn_dead;
use super::TensorData;
use anyhow::Context;
use deepskip_data::{eval_batches, ImageSet, Normalization};
use deepskip_models::{BnWatch, LayerSelection, Network, Precision};
use deepskip_spectra::condition_rows::condition_rows;
use deepskip_spectra::records::{LayerConditionRow, LayerStatsRecord, ModeConditionRow};
use deepskip_spectra::{HiddenRepresentation, LayerSpectrum, ManyLayers, Tolerance};
use std::sync::Arc;
use tch::Device;

/// Full spectra and activation statistics of the tapped layers, in layer order.
#[derive(Debug, Default)]
pub struct HiddenAnalysis {
    pub spectra: Vec<LayerSpectrum>,
    /// The per-mode (HOSVD) rows, when asked for.
    pub modes: Vec<ModeConditionRow>,
    /// Layers whose BN statistics were non-finite or overflowed in the pass (numerically dead).
    pub bn_dead: Vec<usize>,
    pub stats: Vec<LayerStatsRecord>,
    /// What could not be measured, one line each (for the caller to show).
    pub warnings: Vec<String>,
}

impl HiddenAnalysis {
    /// The table rows of the analysed layers under `tolerance`, with BN-dead layers marked.
    pub fn condition_rows(&self, tolerance: Tolerance) -> anyhow::Result<Vec<LayerConditionRow>> {
        let mut rows = condition_rows(&self.spectra, tolerance)?;
        mark_bn_dead(&mut rows, &self.bn_dead);
        Ok(rows)
    }
}

/// Which statistics the BN layers normalise with while the representations are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum BnStatistics {
    /// Statistics of the analysed samples themselves (train-mode BN): the representation the
    /// gradient sees during training, which is what the paper's argument is about. It also
    /// stays meaningful when a deep PlainNet's running variances overflowed f32.
    Batch,
    /// The running averages stored in the checkpoint (eval mode).
    Running,
}

/// How the analysis runs its forward passes.
#[derive(Debug, Clone, Copy)]
pub struct ForwardPass {
    pub device: Device,
    /// Samples per forward pass.
    pub chunk: usize,
    pub bn: BnStatistics,
    /// Precision of the forward pass; the network must already be in it (its `VarStore`
    /// converted), the samples are converted on the device.
    pub precision: Precision,
}

/// Runs `samples` through `network` and analyses every selected layer; with `modes` =
/// `Some(tolerance)` also every mode unfolding (the HOSVD view) under that tolerance.
///
/// With [`BnStatistics::Batch`] all samples go through in one pass (the statistics are over
/// all of them); the running statistics this updates are never saved.
/// With `chunk >= samples.len()` there is a single forward pass and each layer is analysed
/// while the pass continues. With smaller chunks (bounded device memory) the layers are taken
/// a group at a time, one pass over the chunks per group, so host memory stays one group of
/// N x D outputs rather than every layer's.
pub fn analyse_hidden(
    network: &Network,
    samples: Arc<ImageSet>,
    normalization: &Normalization,
    pass: ForwardPass,
    selection: &LayerSelection,
    many: &ManyLayers,
    modes: Option<Tolerance>,
) -> anyhow::Result<HiddenAnalysis> {
    anyhow::ensure!(
        pass.bn == BnStatistics::Running || pass.chunk >= samples.len(),
        "batch statistics are taken over all {} samples in one pass: drop --chunk, or use \
         --bn running to analyse in chunks",
        samples.len()
    );
    let selected: Vec<usize> = network
        .layers()
        .iter()
        .map(|l| l.index)
        .filter(|&i| selection.contains(i))
        .collect();
    let group = many.thread_count();
    let mut out = HiddenAnalysis::default();
    let watch = BnWatch::new();
    let chunk = pass.chunk.max(1);
    if chunk >= samples.len() {
        let mut pending = Vec::with_capacity(group);
        forward_chunks(
            network,
            &samples,
            normalization,
            ForwardPass {
                chunk: samples.len(),
                ..pass
            },
            selection,
            &watch,
            &mut |layer| {
                pending.push(layer);
                if pending.len() >= group {
                    analyse_group(std::mem::take(&mut pending), many, modes, &mut out);
                }
                Ok(())
            },
        )?;
        analyse_group(pending, many, modes, &mut out);
    } else {
        for indices in selected.chunks(group) {
            let only = LayerSelection::Only(indices.to_vec());
            let mut gathered: Vec<LayerValues> = Vec::with_capacity(indices.len());
            forward_chunks(
                network,
                &samples,
                normalization,
                ForwardPass { chunk, ..pass },
                &only,
                &watch,
                &mut |layer| match gathered.iter_mut().find(|g| g.index == layer.index) {
                    Some(g) => g.data.append_samples(layer.data),
                    None => {
                        gathered.push(layer);
                        Ok(())
                    }
                },
            )?;
            analyse_group(gathered, many, modes, &mut out);
        }
    }
    out.bn_dead = watch.dead_layers(network.layers().len());
    out.spectra.sort_by_key(|r| r.layer);
    out.modes.sort_by_key(|r| (r.layer, r.mode));
    out.stats.sort_by_key(|r| r.layer);
    Ok(out)
}

/// Forward passes over `samples` in batches of `chunk`, handing each tap to `on_layer` as a
/// host copy. The first failure (copying a tap or in `on_layer`) stops the pass and is
/// returned.
fn forward_chunks(
    network: &Network,
    samples: &Arc<ImageSet>,
    normalization: &Normalization,
    pass: ForwardPass,
    selection: &LayerSelection,
    watch: &BnWatch,
    on_layer: &mut dyn FnMut(LayerValues) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    for batch in eval_batches(Arc::clone(samples), normalization, pass.chunk) {
        let (images, _) = batch.to_tensors(pass.device);
        let images = images.to_kind(pass.precision.kind());
        // Only the taps matter; the logits are dropped. Full f32 (no TF32) on CUDA: near-singular
        // layers' smallest singular values would otherwise differ from the CPU's.
        let _logits = deepskip_models::with_ieee_f32_convolutions(|| {
            tch::no_grad(|| {
                network.forward_watched(
                    &images,
                    pass.bn == BnStatistics::Batch,
                    selection,
                    &mut |tap| {
                        let data = TensorData::from_tensor(tap.output)
                            .with_context(|| format!("layer {} ({})", tap.index, tap.name))?;
                        on_layer(LayerValues {
                            index: tap.index,
                            name: tap.name.to_owned(),
                            data,
                            groups: 1,
                        })
                    },
                    watch,
                )
            })
        })?;
    }
    Ok(())
}

/// Spectra and statistics of a group of layers; the group's buffers are dropped on
/// return.
fn analyse_group(
    layers: Vec<LayerValues>,
    many: &ManyLayers,
    modes: Option<Tolerance>,
    out: &mut HiddenAnalysis,
) {
    if let Some(tolerance) = modes {
        for l in &layers {
            match HiddenRepresentation::new(&l.data.values, &l.data.shape) {
                Ok(rep) => out.modes.extend(mode_rows(
                    l.index,
                    &l.name,
                    &rep,
                    tolerance,
                    &mut out.warnings,
                )),
                Err(err) => out
                    .warnings
                    .push(format!("layer {}: no mode view: {err}", l.index)),
            }
        }
    }
    analyse_layers(
        &layers,
        |l| HiddenRepresentation::new(&l.data.values, &l.data.shape),
        "activation",
        many,
        &mut out.spectra,
        &mut out.stats,
        &mut out.warnings,
    );
}
