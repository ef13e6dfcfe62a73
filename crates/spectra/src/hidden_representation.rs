//! A layer's output for N samples as a matrix: N x D with D = C*H*W, the definition of
//! paper.md, and the per-mode (HOSVD) unfoldings as a second view.

use crate::condition_number::ConditionNumber;
use crate::element::Precision;
use crate::error::Result;
use crate::matrix::{
    check_unfoldable, flattened, promote, unfolded_condition_number, unfolded_spectrum,
};
use crate::spectrum::Spectrum;
use crate::tolerance::Tolerance;
use ndarray::{ArrayView2, ArrayViewD, Axis, IxDyn};

/// One layer's output for N samples: `data` in row-major order with `shape` `[N, ...]`
/// (e.g. `[N, C, H, W]` or `[N, D]`), borrowed from wherever the tensor lives.
#[derive(Debug, Clone, Copy)]
pub struct HiddenRepresentation<'a> {
    pub data: &'a [f32],
    pub shape: &'a [usize],
}

impl<'a> HiddenRepresentation<'a> {
    /// Checks that `data` matches `shape` and that there are at least two dimensions.
    pub fn new(data: &'a [f32], shape: &'a [usize]) -> Result<Self> {
        check_unfoldable(
            "hidden representation",
            data,
            shape,
            "the first dimension is the sample index; pass [N, D] or [N, C, H, W]",
        )?;
        Ok(Self { data, shape })
    }

    /// `(N, D)`: samples by flattened features.
    pub fn matrix_shape(&self) -> (usize, usize) {
        flattened(self.shape, 0)
    }

    /// The condition number of the N x D matrix (samples stacked as rows).
    pub fn condition_number(&self, tolerance: Tolerance) -> Result<ConditionNumber> {
        unfolded_condition_number("hidden representation", self.data, self.shape, tolerance)
    }

    /// Both spectra (raw and column-centred) of the N x D matrix.
    pub fn spectrum(&self) -> Result<Spectrum> {
        unfolded_spectrum("hidden representation", self.data, self.shape)
    }

    /// One condition number per mode: mode k unfolds the tensor to `shape[k] x (product of the
    /// others)` (mode 1 is the N x CHW matrix above, mode 2 is C x NHW, and so on).
    ///
    /// The order of the columns in an unfolding does not change its singular values, so any
    /// consistent flattening of the other axes gives the same result.
    pub fn mode_condition_numbers(&self, tolerance: Tolerance) -> Result<Vec<ConditionNumber>> {
        let tensor =
            ArrayViewD::from_shape(IxDyn(self.shape), self.data).expect("length checked in new");
        (0..self.shape.len())
            .map(|mode| {
                let (rows, cols) = flattened(self.shape, mode);
                // Moving `mode` to the front and reading in logical order yields the unfolding
                // row by row; only this one f64 copy is materialised.
                let unfolded = moved_to_front(&tensor, mode);
                let view = ArrayView2::from_shape((rows, cols), &unfolded)
                    .expect("an unfolding keeps the element count");
                ConditionNumber::of_owned(
                    promote(&view, &format!("mode-{} unfolding", mode + 1))?,
                    Precision::F32,
                    tolerance,
                )
            })
            .collect()
    }
}

fn moved_to_front(tensor: &ArrayViewD<'_, f32>, mode: usize) -> Vec<f32> {
    let mut order: Vec<usize> = (0..tensor.ndim()).collect();
    order.remove(mode);
    order.insert(0, mode);
    let permuted = tensor.view().permuted_axes(IxDyn(&order));
    debug_assert_eq!(permuted.len_of(Axis(0)), tensor.shape()[mode]);
    permuted.iter().copied().collect()
}
