//! A layer's weight as a matrix: a convolution kernel `(out, in, kh, kw)` unfolded to
//! `out x (in*kh*kw)` (one row per output filter), a linear weight `(out, in)` as it is.

use crate::condition_number::{ConditionNumber, Tolerance};
use crate::error::Result;
use crate::matrix::{check_unfoldable, flattened, unfolded_condition_number};

/// A weight tensor in row-major order with its shape, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct Weight<'a> {
    pub data: &'a [f32],
    pub shape: &'a [usize],
}

impl<'a> Weight<'a> {
    /// Checks that `data` matches `shape` and that the weight has at least two dimensions
    /// (biases and batch-norm scales are vectors and have no condition number).
    pub fn new(data: &'a [f32], shape: &'a [usize]) -> Result<Self> {
        check_unfoldable(
            "weight",
            data,
            shape,
            "pass a linear (out, in) or convolution (out, in, kh, kw) weight",
        )?;
        Ok(Self { data, shape })
    }

    /// `(out, in*kh*kw)`.
    pub fn matrix_shape(&self) -> (usize, usize) {
        flattened(self.shape, 0)
    }

    /// The condition number of the unfolded weight.
    pub fn condition_number(&self, tolerance: Tolerance) -> Result<ConditionNumber> {
        unfolded_condition_number("weight", self.data, self.shape, tolerance)
    }
}
