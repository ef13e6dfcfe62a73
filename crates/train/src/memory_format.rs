//! Channels-last (NHWC) memory order for images and convolution weights. cuDNN's tensor-core
//! convolutions work in NHWC, so with NCHW tensors every convolution transposes its input and
//! output; with channels-last strides on the images and on every 4-D weight, the layout
//! propagates through convolutions, batch norm and ReLU and the transposes go away.
//!
//! tch 0.24 has no `memory_format` argument, so the layout is made the way PyTorch's
//! `to(memory_format=torch.channels_last)` leaves it: same shape, strides of an NHWC buffer
//! (`permute` to NHWC, `contiguous`, `permute` back).

use tch::nn::VarStore;
use tch::Tensor;

/// `tensor` (4-D) with channels-last strides; any other rank is returned as it is.
pub fn channels_last(tensor: &Tensor) -> Tensor {
    if tensor.dim() != 4 {
        return tensor.shallow_clone();
    }
    tensor
        .permute([0, 2, 3, 1])
        .contiguous()
        .permute([0, 3, 1, 2])
}

/// Whether a 4-D `tensor` is laid out channels-last (channels vary fastest in memory).
pub fn is_channels_last(tensor: &Tensor) -> bool {
    let (size, stride) = (tensor.size(), tensor.stride());
    tensor.dim() == 4 && stride[1] == 1 && stride[3] == size[1] && stride[2] == size[1] * size[3]
}

/// Gives every 4-D variable of `vs` (the convolution weights) channels-last storage, values
/// unchanged. Call it before [`crate::Sgd::new`], which keeps each variable's layout in its flat
/// buffer.
pub fn to_channels_last(vs: &VarStore) {
    tch::no_grad(|| {
        for (_, mut variable) in vs.variables() {
            if variable.dim() == 4 {
                let moved = channels_last(&variable);
                variable.set_data(&moved);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    #[test]
    fn channels_last_keeps_shape_and_values_and_changes_strides() {
        let x = Tensor::randn([2, 3, 4, 5], (Kind::Float, Device::Cpu));
        let y = channels_last(&x);
        assert_eq!(y.size(), x.size());
        assert!(!is_channels_last(&x));
        assert!(is_channels_last(&y), "strides {:?}", y.stride());
        assert_eq!(y.stride(), [60, 1, 15, 3]);
        assert!(y.equal(&x));
        let flat = Tensor::randn([6], (Kind::Float, Device::Cpu));
        assert_eq!(channels_last(&flat).stride(), [1]);
    }
}
