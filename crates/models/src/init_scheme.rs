//! Which initialisation a network's convolutions start from: He normal (the paper's) or the
//! delta-orthogonal initialisation of Xiao et al. (2018), with which they trained plain CNNs of
//! 10,000 layers.
//!
//! Delta-orthogonal: every kernel is zero except its spatial centre, which is an orthogonal
//! matrix (`c_out x c_in`, from the QR decomposition of a Gaussian matrix; semi-orthogonal when
//! `c_out != c_in`) times a gain. A convolution so initialised maps each pixel's channel vector
//! through that matrix, so (before the ReLU) it keeps the norm of every input exactly.

use crate::error::ModelError;
use crate::selection::LayerWeight;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use tch::{Kind, Tensor};

/// The ReLU gain (He et al. 2015): a rectifier halves the second moment, sqrt(2) restores it.
pub const RELU_GAIN: f64 = std::f64::consts::SQRT_2;

/// How the main-path convolutions are initialised (BN, classifier and projection shortcuts keep
/// their defaults under either).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Init {
    /// He et al. (2015) normal, fan-out mode, ReLU gain: the paper's initialisation.
    #[default]
    He,
    /// Xiao et al. (2018): zero kernels with an orthogonal centre tap, times the ReLU gain.
    DeltaOrthogonal,
}

impl Init {
    pub const ALL: [Init; 2] = [Init::He, Init::DeltaOrthogonal];

    /// The name on the command line and in every output.
    pub fn name(self) -> &'static str {
        match self {
            Init::He => "he",
            Init::DeltaOrthogonal => "delta-orthogonal",
        }
    }

    /// Re-initialises the convolution weights among `weights` (4-D tensors) as this scheme
    /// says; He weights are left as drawn. Draws from libtorch's generator.
    pub(crate) fn apply(self, weights: &[LayerWeight]) {
        if self == Init::He {
            return;
        }
        tch::no_grad(|| {
            for w in weights.iter().filter(|w| w.weight.dim() == 4) {
                let kernel = delta_orthogonal_kernel(&w.weight.size(), w.groups, RELU_GAIN);
                w.weight.shallow_clone().copy_(&kernel);
            }
        });
    }
}

impl fmt::Display for Init {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Init {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, ModelError> {
        let lower = s.trim().to_ascii_lowercase();
        Init::ALL
            .into_iter()
            .find(|i| i.name() == lower)
            .ok_or_else(|| ModelError::UnknownInit { name: s.into() })
    }
}

/// A `[c_out, c_in / groups, kh, kw]` kernel that is zero except at the spatial centre, where
/// each group's `(c_out / groups) x (c_in / groups)` block is `gain` times a (semi-)orthogonal
/// matrix.
pub fn delta_orthogonal_kernel(size: &[i64], groups: usize, gain: f64) -> Tensor {
    let (c_out, c_in_group, kh, kw) = (size[0], size[1], size[2], size[3]);
    let groups = groups.max(1) as i64;
    let c_out_group = c_out / groups;
    let blocks: Vec<Tensor> = (0..groups)
        .map(|_| semi_orthogonal(c_out_group, c_in_group) * gain)
        .collect();
    let centre = Tensor::cat(&blocks, 0);
    let kernel = Tensor::zeros([c_out, c_in_group, kh, kw], (Kind::Float, tch::Device::Cpu));
    kernel
        .narrow(2, kh / 2, 1)
        .narrow(3, kw / 2, 1)
        .copy_(&centre.view([c_out, c_in_group, 1, 1]));
    kernel
}

/// A `rows x cols` matrix with orthonormal columns (rows >= cols) or rows (rows < cols): the Q
/// of a Gaussian matrix's QR decomposition, its signs fixed by R's diagonal so that Q is
/// uniformly (Haar) distributed.
fn semi_orthogonal(rows: i64, cols: i64) -> Tensor {
    let (tall, short) = (rows.max(cols), rows.min(cols));
    let gaussian = Tensor::randn([tall, short], (Kind::Double, tch::Device::Cpu));
    let (q, r) = Tensor::linalg_qr(&gaussian, "reduced");
    let signs = r.diagonal(0, 0, 1).sign();
    let q = q * signs.unsqueeze(0);
    let q = if rows >= cols { q } else { q.transpose(0, 1) };
    q.to_kind(Kind::Float).contiguous()
}
