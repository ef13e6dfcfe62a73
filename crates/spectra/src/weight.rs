//! A layer's weight as a linear operator. A dense convolution kernel `(out, in, kh, kw)` is
//! unfolded to `out x (in*kh*kw)` (one row per output filter), a linear weight `(out, in)` is
//! taken as it is.
//!
//! A grouped convolution with `g` groups stores its kernel as `(out, in/g, kh, kw)`, but the
//! map it applies is block-diagonal: group `j`'s `out/g` filters see only group `j`'s `in/g`
//! input channels. Its operator is `out x (in*kh*kw)` with `g` blocks of
//! `(out/g) x (in/g * kh*kw)` on the diagonal, and its singular values are the union of the
//! blocks' singular values. Block `j` is exactly rows `j*out/g .. (j+1)*out/g` of the stacked
//! unfolding, so each block is factored on its own and the values merged. (The stacked
//! `out x (in/g * kh*kw)` matrix mixes blocks that never share an input; its spectrum is not
//! the layer's.)

use crate::condition_number::ConditionNumber;
use crate::element::Precision;
use crate::error::{Result, SpectraError};
use crate::matrix::{check_unfoldable, flattened, promote};
use crate::spectrum::Spectrum;
use crate::tolerance::Tolerance;
use ndarray::{ArrayView2, Axis};

/// A weight tensor in row-major order with its shape and group count, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct Weight<'a> {
    pub data: &'a [f32],
    pub shape: &'a [usize],
    /// 1 for dense layers; the convolution's group count otherwise.
    pub groups: usize,
}

impl<'a> Weight<'a> {
    /// A dense weight: checks that `data` matches `shape` and that the weight has at least two
    /// dimensions (biases and batch-norm scales are vectors and have no condition number).
    pub fn new(data: &'a [f32], shape: &'a [usize]) -> Result<Self> {
        Self::grouped(data, shape, 1)
    }

    /// A convolution kernel `(out, in/groups, kh, kw)` of a layer with `groups` groups.
    pub fn grouped(data: &'a [f32], shape: &'a [usize], groups: usize) -> Result<Self> {
        check_unfoldable(
            "weight",
            data,
            shape,
            "pass a linear (out, in) or convolution (out, in, kh, kw) weight",
        )?;
        if groups == 0 || shape[0] % groups != 0 {
            return Err(SpectraError::InvalidGroups {
                shape: shape.to_vec(),
                groups,
            });
        }
        Ok(Self {
            data,
            shape,
            groups,
        })
    }

    /// The operator's shape: `(out, in*kh*kw)` with `in` all input channels.
    pub fn matrix_shape(&self) -> (usize, usize) {
        let (rows, cols) = flattened(self.shape, 0);
        (rows, cols * self.groups)
    }

    /// The condition number of the (block-diagonal) operator.
    pub fn condition_number(&self, tolerance: Tolerance) -> Result<ConditionNumber> {
        self.spectrum()?.condition_number(tolerance)
    }

    /// The operator's spectrum: the blocks' singular values merged (one block when dense).
    /// The centred spectrum centres each block's columns.
    pub fn spectrum(&self) -> Result<Spectrum> {
        let stacked = ArrayView2::from_shape(flattened(self.shape, 0), self.data)
            .expect("length checked in new");
        let block_rows = self.shape[0] / self.groups;
        let blocks = stacked
            .axis_chunks_iter(Axis(0), block_rows)
            .map(|block| Spectrum::of_owned(promote(&block, "weight")?, Precision::F32))
            .collect::<Result<Vec<_>>>()?;
        Ok(Spectrum::block_diagonal(blocks).expect("a weight has at least one group"))
    }
}
