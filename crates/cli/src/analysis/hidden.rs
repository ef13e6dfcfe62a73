//! Hidden representations: one eval-mode forward pass with taps, each tapped layer analysed as
//! it arrives, in groups of the analysis pool size, so at most one group of N x D outputs is
//! held at a time (never all layers).

use super::{condition_row, TensorData};
use anyhow::Context;
use deepskip_data::{eval_batches, ImageSet, Normalization};
use deepskip_models::{LayerSelection, Network};
use deepskip_report::schema::{LayerConditionRow, LayerStatsRecord};
use deepskip_spectra::{HiddenRepresentation, LayerStats, ManyLayers};
use std::sync::Arc;
use tch::Device;

/// Condition numbers and activation statistics of the tapped layers, in layer order.
#[derive(Debug, Default)]
pub struct HiddenAnalysis {
    pub rows: Vec<LayerConditionRow>,
    pub stats: Vec<LayerStatsRecord>,
}

/// One tapped layer's output over all samples.
#[derive(Debug)]
struct TappedLayer {
    index: usize,
    name: String,
    data: TensorData,
}

/// Runs `samples` through `network` in eval mode and analyses every selected layer.
///
/// With `chunk >= samples.len()` there is a single forward pass and each layer is analysed
/// while the pass continues. With smaller chunks (bounded device memory) the layers are taken
/// a group at a time, one pass over the chunks per group, so host memory stays one group of
/// N x D outputs rather than every layer's.
pub fn analyse_hidden(
    network: &Network,
    samples: Arc<ImageSet>,
    normalization: &Normalization,
    device: Device,
    selection: &LayerSelection,
    chunk: usize,
    many: &ManyLayers,
) -> anyhow::Result<HiddenAnalysis> {
    let selected: Vec<usize> = network
        .layers()
        .iter()
        .map(|l| l.index)
        .filter(|&i| selection.contains(i))
        .collect();
    let group = many.thread_count();
    let mut out = HiddenAnalysis::default();
    let chunk = chunk.max(1);
    if chunk >= samples.len() {
        let mut pending = Vec::with_capacity(group);
        let mut failure = None;
        forward_chunks(
            network,
            &samples,
            normalization,
            device,
            samples.len(),
            selection,
            &mut |layer| {
                if failure.is_some() {
                    return;
                }
                match layer {
                    Ok(layer) => {
                        pending.push(layer);
                        if pending.len() >= group {
                            analyse_group(std::mem::take(&mut pending), many, &mut out);
                        }
                    }
                    Err(err) => failure = Some(err),
                }
            },
        )?;
        if let Some(err) = failure {
            return Err(err);
        }
        analyse_group(pending, many, &mut out);
    } else {
        for indices in selected.chunks(group) {
            let only = LayerSelection::Only(indices.to_vec());
            let mut gathered: Vec<TappedLayer> = Vec::with_capacity(indices.len());
            let mut failure = None;
            forward_chunks(
                network,
                &samples,
                normalization,
                device,
                chunk,
                &only,
                &mut |layer| {
                    let merged = layer.and_then(|layer| {
                        match gathered.iter_mut().find(|g| g.index == layer.index) {
                            Some(g) => g.data.append_samples(layer.data),
                            None => {
                                gathered.push(layer);
                                Ok(())
                            }
                        }
                    });
                    if let Err(err) = merged {
                        failure.get_or_insert(err);
                    }
                },
            )?;
            if let Some(err) = failure {
                return Err(err);
            }
            analyse_group(gathered, many, &mut out);
        }
    }
    out.rows.sort_by_key(|r| r.layer);
    out.stats.sort_by_key(|r| r.layer);
    Ok(out)
}

/// Forward passes over `samples` in batches of `chunk`, handing each tap to `on_layer` as a
/// host copy.
fn forward_chunks(
    network: &Network,
    samples: &Arc<ImageSet>,
    normalization: &Normalization,
    device: Device,
    chunk: usize,
    selection: &LayerSelection,
    on_layer: &mut dyn FnMut(anyhow::Result<TappedLayer>),
) -> anyhow::Result<()> {
    for batch in eval_batches(Arc::clone(samples), normalization, chunk) {
        let (images, _) = batch.to_tensors(device);
        // Only the taps matter; the logits are dropped.
        let _logits = tch::no_grad(|| {
            network.forward_with_taps(&images, false, selection, &mut |tap| {
                let copied = TensorData::from_tensor(tap.output)
                    .with_context(|| format!("layer {} ({})", tap.index, tap.name))
                    .map(|data| TappedLayer {
                        index: tap.index,
                        name: tap.name.to_owned(),
                        data,
                    });
                on_layer(copied);
            })
        });
    }
    Ok(())
}

/// Condition numbers (in parallel, bounded by the pool) and statistics of a group of layers;
/// the group's buffers are dropped on return.
fn analyse_group(layers: Vec<TappedLayer>, many: &ManyLayers, out: &mut HiddenAnalysis) {
    let mut valid = Vec::with_capacity(layers.len());
    let mut valid_layers = Vec::with_capacity(layers.len());
    for layer in &layers {
        match HiddenRepresentation::new(&layer.data.values, &layer.data.shape) {
            Ok(rep) => {
                valid.push(rep);
                valid_layers.push(layer);
            }
            Err(err) => out
                .rows
                .push(condition_row(layer.index, &layer.name, Err(err))),
        }
    }
    for (layer, result) in valid_layers.iter().zip(many.condition_numbers(&valid)) {
        out.rows
            .push(condition_row(layer.index, &layer.name, result));
    }
    for layer in &layers {
        match LayerStats::of(&layer.data.values, &layer.name) {
            Ok(stats) => out.stats.push(LayerStatsRecord {
                layer: layer.index,
                name: layer.name.clone(),
                stats,
            }),
            Err(err) => eprintln!(
                "warning: no activation statistics for layer {}: {err}",
                layer.index
            ),
        }
    }
}
