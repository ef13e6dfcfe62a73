//! Condition numbers and value statistics of a group of layers, whatever they hold: hidden
//! representations or weights.

use super::{condition_row, TensorData};
use deepskip_report::schema::{LayerConditionRow, LayerStatsRecord};
use deepskip_spectra::{LayerMatrix, LayerStats, ManyLayers, SpectraError};

/// One layer's values: a hidden representation over the samples, or a weight.
pub(crate) struct LayerValues {
    pub index: usize,
    pub name: String,
    pub data: TensorData,
}

/// Appends each layer's condition-number row (in parallel, bounded by `many`; a layer `unfold`
/// rejects gets a NaN row and a warning) and its value statistics; `what` names the values in
/// warnings ("activation", "weight").
pub(crate) fn analyse_layers<'a, M: LayerMatrix>(
    layers: &'a [LayerValues],
    unfold: impl Fn(&'a [f32], &'a [usize]) -> Result<M, SpectraError>,
    what: &str,
    many: &ManyLayers,
    rows: &mut Vec<LayerConditionRow>,
    stats: &mut Vec<LayerStatsRecord>,
) {
    let mut matrices = Vec::with_capacity(layers.len());
    let mut unfolded = Vec::with_capacity(layers.len());
    for layer in layers {
        match unfold(&layer.data.values, &layer.data.shape) {
            Ok(matrix) => {
                matrices.push(matrix);
                unfolded.push(layer);
            }
            Err(err) => rows.push(condition_row(layer.index, &layer.name, Err(err))),
        }
    }
    for (layer, result) in unfolded.iter().zip(many.condition_numbers(&matrices)) {
        rows.push(condition_row(layer.index, &layer.name, result));
    }
    for layer in layers {
        match LayerStats::of(&layer.data.values, &layer.name) {
            Ok(s) => stats.push(LayerStatsRecord {
                layer: layer.index,
                name: layer.name.clone(),
                stats: s,
            }),
            Err(err) => eprintln!(
                "warning: no {what} statistics for layer {}: {err}",
                layer.index
            ),
        }
    }
}
