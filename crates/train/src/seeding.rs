//! Reproducible initial weights when several runs share a process.
//!
//! libtorch has one global CPU generator per process and `tch::manual_seed` also reseeds every
//! GPU's: two runs initialising at once (`--jobs N`) would draw from each other's streams. So
//! every seeded draw goes through [`with_torch_seed`], which holds one process-wide lock, and
//! networks are always initialised on the CPU (the same weights for a seed on every device)
//! and moved to their device afterwards. No training step draws from libtorch's generator
//! (augmentation and batch order come from deepskip-data's seeded Rust generators), so nothing
//! is reseeded after initialisation.

use crate::TrainError;
use deepskip_models::{ModelSpec, Network};
use std::sync::Mutex;
use tch::nn::VarStore;
use tch::Device;

static TORCH_GENERATOR: Mutex<()> = Mutex::new(());

/// Runs `f` with libtorch's global generator seeded with `seed`, while no other caller of this
/// function draws from it.
pub fn with_torch_seed<T>(seed: u64, f: impl FnOnce() -> T) -> T {
    let _only_us = TORCH_GENERATOR
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    tch::manual_seed(seed as i64);
    f()
}

/// `spec`'s network with the initial weights of `seed`, drawn on the CPU and then moved to
/// `device` (so that a seed means the same weights on every device).
pub fn seeded_network(
    spec: &ModelSpec,
    seed: u64,
    device: Device,
) -> Result<(VarStore, Network), TrainError> {
    let (mut vs, network) = with_torch_seed(seed, || {
        let vs = VarStore::new(Device::Cpu);
        Network::new(&vs.root(), spec).map(|network| (vs, network))
    })?;
    if device != Device::Cpu {
        // Keeps each variable's identity (set_data), so `network` sees the moved weights.
        vs.set_device(device);
    }
    Ok((vs, network))
}
