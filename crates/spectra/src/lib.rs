//! deepskip-spectra.
#![doc = include_str!("../README.md")]

mod condition_number;
pub mod condition_rows;
mod element;
mod error;
pub mod extended_f64;
mod hidden_representation;
mod layer_stats;
pub mod many_layers;
mod matrix;
mod measures;
mod npy;
pub mod onset_record;
pub mod records;
pub mod reduction;
mod singular_values;
mod spectra_file;
mod spectrum;
mod tolerance;
mod weight;

pub use condition_number::ConditionNumber;
pub use element::{Element, Precision};
pub use error::{Result, SpectraError};
pub use hidden_representation::HiddenRepresentation;
pub use layer_stats::{Histogram, LayerStats, Percentiles, HISTOGRAM_BINS};
pub use many_layers::{LayerMatrix, ManyLayers};
pub use measures::{effective_rank, stable_rank, SpectrumMeasures};
pub use npy::{NpyArray, NpyData};
pub use singular_values::singular_values;
pub use spectra_file::{LayerOutcome, LayerSpectrum, RunSpectra, SPECTRA_FORMAT};
pub use spectrum::Spectrum;
pub use tolerance::{Tolerance, RANK_LADDER};
pub use weight::Weight;
