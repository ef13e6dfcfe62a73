//! The analysis glue of `deepskip analyze`: a trained network and N fixed samples in, per-layer
//! full spectra, condition numbers and statistics out. Tensors cross to deepskip-spectra as `&[f32]` plus a
//! shape (tch and spectra use different ndarray versions).

mod hidden;
mod imagenet_samples;
mod layer_selection;
mod layers;
mod modes;
mod output;
mod rethreshold;
mod samples;
mod tensor_data;
mod weights;

pub use hidden::{analyse_hidden, BnStatistics, ForwardPass, HiddenAnalysis};
pub use imagenet_samples::{imagenet_validation_sample, AnalysisSamples};
pub use layer_selection::parse_layer_selection;
pub use modes::RepresentationView;
pub use output::{
    analyse_run, write_analysis, write_csv, write_tables, AnalysisFiles, AnalysisSummary,
};
pub use rethreshold::rethreshold;
pub use samples::{fixed_sample, ANALYSIS_SEED};
pub use tensor_data::TensorData;
pub use weights::analyse_weights;
