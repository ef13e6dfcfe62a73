//! Weights: each selected weighted layer's kernel as its operator (out x in*kh*kw; a grouped
//! convolution's block-diagonal one), its spectrum and its value statistics.

use super::layers::{analyse_layers, LayerValues};
use super::TensorData;
use deepskip_models::{LayerSelection, Network};
use deepskip_spectra::records::LayerStatsRecord;
use deepskip_spectra::{LayerSpectrum, ManyLayers, Weight};

/// Spectra and statistics for every selected layer's weight, in layer order.
pub fn analyse_weights(
    network: &Network,
    selection: &LayerSelection,
    many: &ManyLayers,
) -> anyhow::Result<(Vec<LayerSpectrum>, Vec<LayerStatsRecord>)> {
    let mut layers = Vec::new();
    for w in network.layer_weights() {
        if selection.contains(w.index) {
            // Weights are small (at most a few MB each), so all are copied at once.
            layers.push(LayerValues {
                index: w.index,
                name: w.name,
                data: TensorData::from_tensor(&w.weight)?,
                groups: w.groups,
            });
        }
    }
    let mut spectra = Vec::with_capacity(layers.len());
    let mut stats = Vec::with_capacity(layers.len());
    analyse_layers(
        &layers,
        |l| Weight::grouped(&l.data.values, &l.data.shape, l.groups),
        "weight",
        many,
        &mut spectra,
        &mut stats,
    );
    spectra.sort_by_key(|r| r.layer);
    Ok((spectra, stats))
}
