//! deepskip-models.
#![doc = include_str!("../README.md")]

mod blueprint;
mod bn_health;
mod conv_bn;
mod device;
mod error;
mod family;
mod flops;
pub mod init;
mod init_scheme;
mod network;
mod pass;
mod precision;
mod residual_block;
mod selection;
mod shortcut;
mod spec;
mod stem;

pub use bn_health::{dead_indices, BnWatch};
pub use device::{enable_cudnn_benchmark, with_ieee_f32_convolutions};
pub use error::ModelError;
pub use family::{Family, InputKind, Shortcut};
pub use init_scheme::{delta_orthogonal_kernel, Init};
pub use network::Network;
pub use precision::{BnStats, Precision};
pub use selection::{LayerInfo, LayerSelection, LayerWeight, Tap};
pub use spec::ModelSpec;
