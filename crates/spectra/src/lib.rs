//! deepskip-spectra.
#![doc = include_str!("../README.md")]

mod condition_number;
mod element;
mod error;
mod hidden_representation;
mod layer_stats;
pub mod many_layers;
mod matrix;
mod npy;
pub mod reduction;
mod singular_values;
mod weight;

pub use condition_number::{ConditionNumber, Tolerance};
pub use element::Element;
pub use error::{Result, SpectraError};
pub use hidden_representation::HiddenRepresentation;
pub use layer_stats::{Histogram, LayerStats, Percentiles, HISTOGRAM_BINS};
pub use many_layers::{LayerMatrix, ManyLayers};
pub use npy::{NpyArray, NpyData};
pub use singular_values::singular_values;
pub use weight::Weight;
