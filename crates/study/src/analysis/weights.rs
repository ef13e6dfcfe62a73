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
) -> anyhow::Result<WeightAnalysis> {
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
    let mut out = WeightAnalysis::default();
    analyse_layers(
        &layers,
        |l| Weight::grouped(&l.data.values, &l.data.shape, l.groups),
        "weight",
        many,
        &mut out.spectra,
        &mut out.stats,
        &mut out.warnings,
    );
    out.spectra.sort_by_key(|r| r.layer);
    Ok(out)
}

/// The weights' spectra and statistics, and what could not be measured.
#[derive(Debug, Default)]
pub struct WeightAnalysis {
    pub spectra: Vec<LayerSpectrum>,
    pub stats: Vec<LayerStatsRecord>,
    pub warnings: Vec<String>,
}
