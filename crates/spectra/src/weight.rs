//! A layer's weight as a matrix: a convolution kernel `(out, in, kh, kw)` unfolded to
//! `out x (in*kh*kw)` (one row per output filter), a linear weight `(out, in)` as it is.

use crate::condition_number::{ConditionNumber, Tolerance};
use crate::element::Element;
use crate::error::{Result, SpectraError};
use crate::hidden_representation::flattened;
use crate::matrix::{check_len, promote};
use ndarray::ArrayView2;

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
        check_len("weight", data.len(), shape)?;
        if shape.len() < 2 {
            return Err(SpectraError::TooFewDimensions {
                what: "weight".to_owned(),
                shape: shape.to_vec(),
                ndim: shape.len(),
                min: 2,
                hint: "pass a linear (out, in) or convolution (out, in, kh, kw) weight",
            });
        }
        Ok(Self { data, shape })
    }

    /// `(out, in*kh*kw)`.
    pub fn matrix_shape(&self) -> (usize, usize) {
        flattened(self.shape, 0)
    }

    /// The condition number of the unfolded weight.
    pub fn condition_number(&self, tolerance: Tolerance) -> Result<ConditionNumber> {
        let view = ArrayView2::from_shape(self.matrix_shape(), self.data).expect("length checked");
        ConditionNumber::of_owned(
            promote(&view, "weight")?,
            <f32 as Element>::EPSILON,
            tolerance,
        )
    }
}
