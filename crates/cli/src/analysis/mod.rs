//! The analysis glue of `deepskip analyze`: a trained network and N fixed samples in, per-layer
//! condition numbers and statistics out. Tensors cross to deepskip-spectra as `&[f32]` plus a
//! shape (tch and spectra use different ndarray versions).

mod hidden;
mod layer_selection;
mod layers;
mod output;
mod samples;
mod tensor_data;
mod weights;

pub use hidden::{analyse_hidden, BnStatistics, ForwardPass, HiddenAnalysis};
pub use layer_selection::parse_layer_selection;
pub use output::{analyse_run, write_analysis, write_csv, AnalysisFiles, AnalysisSummary};
pub use samples::{fixed_sample, ANALYSIS_SEED};
pub use tensor_data::TensorData;
pub use weights::analyse_weights;

use deepskip_report::schema::LayerConditionRow;
use deepskip_spectra::{ConditionNumber, SpectraError};

/// A CSV row for one analysed layer; a layer that could not be analysed (NaN or infinite
/// values after a divergence) gets NaN singular values, NaN kappa and rank 0, with a warning.
pub fn condition_row(
    layer: usize,
    name: &str,
    result: Result<ConditionNumber, SpectraError>,
) -> LayerConditionRow {
    match result {
        Ok(c) => LayerConditionRow {
            layer,
            name: name.to_owned(),
            shape: format!("{}x{}", c.rows, c.cols),
            sigma_max: c.sigma_max,
            sigma_min: c.sigma_min,
            kappa: c.kappa,
            rank: c.numerical_rank,
            bn_overflow: false,
        },
        Err(err) => {
            eprintln!("warning: layer {layer} ({name}) not analysed: {err}");
            LayerConditionRow {
                layer,
                name: name.to_owned(),
                shape: String::new(),
                sigma_max: f64::NAN,
                sigma_min: f64::NAN,
                kappa: f64::NAN,
                rank: 0,
                bn_overflow: false,
            }
        }
    }
}
