//! Weights: each selected weighted layer's kernel unfolded to out x (in*kh*kw), its condition
//! number and its value statistics.

use super::{condition_row, TensorData};
use deepskip_models::{LayerSelection, Network};
use deepskip_report::schema::{LayerConditionRow, LayerStatsRecord};
use deepskip_spectra::{LayerStats, ManyLayers, Weight};

/// Rows and statistics for every selected layer's weight, in layer order.
pub fn analyse_weights(
    network: &Network,
    selection: &LayerSelection,
    many: &ManyLayers,
) -> anyhow::Result<(Vec<LayerConditionRow>, Vec<LayerStatsRecord>)> {
    let mut tensors = Vec::new();
    for w in network.layer_weights() {
        if selection.contains(w.index) {
            // Weights are small (at most a few MB each), so all are copied at once.
            tensors.push((w.index, w.name, TensorData::from_tensor(&w.weight)?));
        }
    }
    let mut rows = Vec::with_capacity(tensors.len());
    let mut stats = Vec::with_capacity(tensors.len());
    let mut valid = Vec::new();
    let mut valid_names = Vec::new();
    for (index, name, data) in &tensors {
        match Weight::new(&data.values, &data.shape) {
            Ok(w) => {
                valid.push(w);
                valid_names.push((*index, name.as_str()));
            }
            Err(err) => rows.push(condition_row(*index, name, Err(err))),
        }
        match LayerStats::of(&data.values, name) {
            Ok(s) => stats.push(LayerStatsRecord {
                layer: *index,
                name: name.clone(),
                stats: s,
            }),
            Err(err) => eprintln!("warning: no weight statistics for layer {index}: {err}"),
        }
    }
    for ((index, name), result) in valid_names.into_iter().zip(many.condition_numbers(&valid)) {
        rows.push(condition_row(index, name, result));
    }
    rows.sort_by_key(|r| r.layer);
    Ok((rows, stats))
}
