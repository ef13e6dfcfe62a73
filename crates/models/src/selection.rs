//! Which layers a tapped forward pass reports, and what it reports.

use crate::error::ModelError;
use tch::Tensor;

/// The weighted layers whose outputs [`crate::Network::forward_with_taps`] streams.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LayerSelection {
    /// Every weighted layer.
    #[default]
    All,
    /// Only these 1-based layer indices (order and duplicates do not matter).
    Only(Vec<usize>),
}

impl LayerSelection {
    pub fn contains(&self, index: usize) -> bool {
        match self {
            LayerSelection::All => true,
            LayerSelection::Only(indices) => indices.contains(&index),
        }
    }

    /// Fails on an index outside `1..=layer_count` (which would otherwise just never be tapped).
    pub fn validate(&self, layer_count: usize) -> Result<(), ModelError> {
        match self {
            LayerSelection::All => Ok(()),
            LayerSelection::Only(indices) => {
                match indices.iter().find(|&&i| i == 0 || i > layer_count) {
                    Some(&index) => Err(ModelError::LayerOutOfRange { index, layer_count }),
                    None => Ok(()),
                }
            }
        }
    }
}

/// One weighted layer's output during a forward pass. `output` lives on the model's device and
/// is only borrowed: copy it (or reduce it) inside the callback to keep it.
#[derive(Debug)]
pub struct Tap<'a> {
    /// 1-based weighted-layer index.
    pub index: usize,
    /// Layer name, e.g. `stage2.block5.conv1`.
    pub name: &'a str,
    pub output: &'a Tensor,
}

/// A weighted layer's position and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerInfo {
    /// 1-based weighted-layer index.
    pub index: usize,
    pub name: String,
}

/// A weighted layer's weight: conv kernels `(out, in/groups, kh, kw)`, classifier `(classes, in)`.
#[derive(Debug)]
pub struct LayerWeight {
    pub index: usize,
    pub name: String,
    /// A shallow clone sharing storage with the model's variable.
    pub weight: Tensor,
    /// The convolution's group count: the kernel acts as a block-diagonal operator of
    /// `groups` blocks `(out/groups) x (in/groups * kh * kw)`; 1 for dense layers.
    pub groups: usize,
}
