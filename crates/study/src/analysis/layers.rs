//! Condition numbers and value statistics of a group of layers, whatever they hold: hidden
//! representations or weights.

use super::TensorData;
use deepskip_spectra::records::LayerStatsRecord;
use deepskip_spectra::{
    LayerMatrix, LayerOutcome, LayerSpectrum, LayerStats, ManyLayers, SpectraError,
};

/// One layer's values: a hidden representation over the samples, or a weight.
pub(crate) struct LayerValues {
    pub index: usize,
    pub name: String,
    pub data: TensorData,
    /// Convolution groups of a weight; 1 for hidden representations and dense weights.
    pub groups: usize,
}

/// Appends each layer's full spectrum (in parallel, bounded by `many`; a layer `unfold`
/// rejects or that holds NaN/inf gets its outcome and a warning) and its value statistics;
/// `what` names the values in warnings ("activation", "weight").
pub(crate) fn analyse_layers<'a, M: LayerMatrix>(
    layers: &'a [LayerValues],
    unfold: impl Fn(&'a LayerValues) -> Result<M, SpectraError>,
    what: &str,
    many: &ManyLayers,
    spectra: &mut Vec<LayerSpectrum>,
    stats: &mut Vec<LayerStatsRecord>,
    warnings: &mut Vec<String>,
) {
    let mut matrices = Vec::with_capacity(layers.len());
    let mut unfolded = Vec::with_capacity(layers.len());
    for layer in layers {
        match unfold(layer) {
            Ok(matrix) => {
                matrices.push(matrix);
                unfolded.push(layer);
            }
            Err(err) => spectra.push(layer_spectrum(layer, Err(err), warnings)),
        }
    }
    for (layer, result) in unfolded.iter().zip(many.spectra(&matrices)) {
        spectra.push(layer_spectrum(layer, result, warnings));
    }
    for layer in layers {
        match LayerStats::of(&layer.data.values, &layer.name) {
            Ok(s) => stats.push(LayerStatsRecord {
                layer: layer.index,
                name: layer.name.clone(),
                stats: s,
            }),
            Err(err) => warnings.push(format!(
                "no {what} statistics for layer {}: {err}",
                layer.index
            )),
        }
    }
}

/// The layer's outcome, with a warning when it has no spectrum.
fn layer_spectrum(
    layer: &LayerValues,
    result: Result<deepskip_spectra::Spectrum, SpectraError>,
    warnings: &mut Vec<String>,
) -> LayerSpectrum {
    if let Err(err) = &result {
        warnings.push(format!(
            "layer {} ({}) not analysed: {err}",
            layer.index, layer.name
        ));
    }
    LayerSpectrum {
        layer: layer.index,
        name: layer.name.clone(),
        groups: layer.groups,
        outcome: LayerOutcome::of(result),
    }
}
