//! Whether each BN layer's statistics were usable during a forward pass.
//!
//! A BN layer is numerically dead when its batch mean or inverse standard deviation is
//! non-finite, or when the inverse standard deviation is exactly zero (the variance overflowed
//! to infinity): its output is then NaN, or `beta` for every sample, whatever the input. In
//! eval mode the running statistics are checked instead. The check reduces the per-channel
//! statistics BN computes anyway (C values, not the N x C x H x W output) and stays on the
//! device: nothing is read back until [`BnWatch::dead_layers`] or a caller reads
//! [`BnWatch::flags`].

use std::cell::RefCell;
use tch::{Kind, Tensor};

/// Collects one flag per BN layer during forward passes of [`crate::Network::forward_watched`].
#[derive(Debug, Default)]
pub struct BnWatch {
    /// `(weighted-layer index, 0-d bool tensor: dead)`, in forward order. Projection
    /// shortcuts count toward the block's last layer.
    flags: RefCell<Vec<(usize, Tensor)>>,
}

impl BnWatch {
    pub fn new() -> BnWatch {
        BnWatch::default()
    }

    /// Batch statistics of a train-mode BN layer (`invstd` as libtorch's `native_batch_norm`
    /// returns it).
    pub(crate) fn record_batch(&self, layer: usize, mean: &Tensor, invstd: &Tensor) {
        let dead = mean
            .isfinite()
            .all()
            .logical_not()
            .logical_or(&invstd.isfinite().all().logical_not())
            .logical_or(&invstd.eq(0.0).any());
        self.flags.borrow_mut().push((layer, dead));
    }

    /// Running statistics of an eval-mode BN layer.
    pub(crate) fn record_running(&self, layer: usize, mean: &Tensor, var: &Tensor) {
        let dead = mean
            .isfinite()
            .all()
            .logical_and(&var.isfinite().all())
            .logical_not();
        self.flags.borrow_mut().push((layer, dead));
    }

    /// One bool per weighted layer `1..=layer_count` (index `i - 1`), true where any of the
    /// layer's BN layers was dead in any pass since the last [`BnWatch::clear`]; on the
    /// device, without a host read.
    pub fn flags(&self, layer_count: usize) -> Option<Tensor> {
        let flags = self.flags.borrow();
        let (_, first) = flags.first()?;
        let device = first.device();
        let slots: Vec<i64> = flags.iter().map(|(layer, _)| *layer as i64 - 1).collect();
        let dead: Vec<Tensor> = flags.iter().map(|(_, d)| d.to_kind(Kind::Int64)).collect();
        let counts = Tensor::zeros([layer_count as i64], (Kind::Int64, device)).index_put(
            &[Some(Tensor::from_slice(&slots).to_device(device))],
            &Tensor::stack(&dead, 0),
            true,
        );
        Some(counts.gt(0))
    }

    /// The weighted layers (1-based, ascending) with a dead BN layer: one host read.
    pub fn dead_layers(&self, layer_count: usize) -> Vec<usize> {
        self.flags(layer_count)
            .map(|f| dead_indices(&f))
            .unwrap_or_default()
    }

    /// Forgets the flags of earlier passes.
    pub fn clear(&self) {
        self.flags.borrow_mut().clear();
    }
}

/// The 1-based indices where a bool flag tensor of [`BnWatch::flags`] is set (one host read).
pub fn dead_indices(flags: &Tensor) -> Vec<usize> {
    let set = Vec::<bool>::try_from(flags.to_device(tch::Device::Cpu)).unwrap_or_default();
    set.iter()
        .enumerate()
        .filter(|(_, &d)| d)
        .map(|(i, _)| i + 1)
        .collect()
}
