//! A tensor copied to the host as f32 values in row-major order with its shape.

use anyhow::Context;
use tch::{Device, Kind, Tensor};

/// One layer's tensor on the host.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorData {
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

impl TensorData {
    /// Copies `t` (any device, any float kind) to row-major f32 host memory.
    pub fn from_tensor(t: &Tensor) -> anyhow::Result<Self> {
        let shape = t
            .size()
            .iter()
            .map(|&d| usize::try_from(d))
            .collect::<Result<Vec<_>, _>>()
            .context("negative tensor dimension")?;
        let flat = t
            .detach()
            .to_device(Device::Cpu)
            .to_kind(Kind::Float)
            .contiguous()
            .view([-1]);
        let values = Vec::<f32>::try_from(&flat).context("copying a tensor to the host")?;
        Ok(Self { shape, values })
    }

    /// Appends another chunk of samples (same trailing shape) along the first axis.
    pub fn append_samples(&mut self, chunk: TensorData) -> anyhow::Result<()> {
        anyhow::ensure!(
            chunk.shape.get(1..) == self.shape.get(1..),
            "chunk shape {:?} does not continue {:?}",
            chunk.shape,
            self.shape
        );
        self.shape[0] += chunk.shape[0];
        self.values.extend_from_slice(&chunk.values);
        Ok(())
    }
}
