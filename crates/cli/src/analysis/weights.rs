//! Weights: each selected weighted layer's kernel unfolded to out x (in*kh*kw), its condition
//! number and its value statistics.

use super::layers::{analyse_layers, LayerValues};
use super::TensorData;
use deepskip_models::{LayerSelection, Network};
use deepskip_report::schema::{LayerConditionRow, LayerStatsRecord};
use deepskip_spectra::{ManyLayers, Weight};

/// Rows and statistics for every selected layer's weight, in layer order.
pub fn analyse_weights(
    network: &Network,
    selection: &LayerSelection,
    many: &ManyLayers,
) -> anyhow::Result<(Vec<LayerConditionRow>, Vec<LayerStatsRecord>)> {
    let mut layers = Vec::new();
    for w in network.layer_weights() {
        if selection.contains(w.index) {
            // Weights are small (at most a few MB each), so all are copied at once.
            layers.push(LayerValues {
                index: w.index,
                name: w.name,
                data: TensorData::from_tensor(&w.weight)?,
            });
        }
    }
    let mut rows = Vec::with_capacity(layers.len());
    let mut stats = Vec::with_capacity(layers.len());
    analyse_layers(&layers, Weight::new, "weight", many, &mut rows, &mut stats);
    rows.sort_by_key(|r| r.layer);
    Ok((rows, stats))
}
