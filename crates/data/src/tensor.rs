//! Batches as tch tensors (feature `tch`): the only libtorch types in this crate's API.

use crate::batches::Batch;
use tch::{Device, Tensor};

impl Batch {
    /// The images as an `f32` tensor of shape `[n, c, h, w]` and the labels as an `i64` tensor
    /// of shape `[n]`, both on `device`.
    ///
    /// For a GPU both are staged in page-locked host memory and copied without blocking, so
    /// the host goes on queueing the step while the batch travels (a copy from ordinary memory
    /// waits for the device). libtorch's pinned allocator keeps the staging buffer until the
    /// copy has finished, so dropping it here is safe.
    pub fn to_tensors(&self, device: Device) -> (Tensor, Tensor) {
        let shape: Vec<i64> = self.shape.iter().map(|&d| d as i64).collect();
        let images = Tensor::from_slice(&self.images).view(shape.as_slice());
        let labels = Tensor::from_slice(&self.labels);
        (to_device(images, device), to_device(labels, device))
    }
}

fn to_device(host: Tensor, device: Device) -> Tensor {
    match device {
        Device::Cpu => host,
        _ => host
            .pin_memory(device)
            .to_device_(device, host.kind(), true, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensors_keep_shape_values_and_dtypes() {
        let batch = Batch {
            images: (0..24).map(|v| v as f32).collect(),
            labels: vec![3, 9],
            shape: [2, 3, 2, 2],
        };
        let (x, y) = batch.to_tensors(Device::Cpu);
        assert_eq!(x.size(), vec![2, 3, 2, 2]);
        assert_eq!(x.kind(), tch::Kind::Float);
        assert_eq!(y.kind(), tch::Kind::Int64);
        assert_eq!(x.double_value(&[1, 2, 1, 0]), 22.0);
        assert_eq!(Vec::<i64>::try_from(&y).unwrap(), vec![3, 9]);
    }
}
