//! Loading a trained network back from its run directory, for `deepskip analyze`.

use crate::checkpoint::{self, Position};
use crate::{RunDir, TrainConfig, TrainError};
use deepskip_models::{ModelSpec, Network};
use std::path::Path;
use tch::nn::VarStore;
use tch::Device;

/// A network with the weights of a run's last checkpoint.
#[derive(Debug)]
pub struct TrainedModel {
    pub spec: ModelSpec,
    /// Owns the weights `network` uses.
    pub vs: VarStore,
    pub network: Network,
    pub config: TrainConfig,
    /// Where the checkpoint was taken.
    pub position: Position,
}

/// Builds the run's network on `device` in the precision it was trained in and loads its last
/// checkpoint (convert `vs` afterwards to analyse in another precision).
pub fn load_trained(run_dir: &Path, device: Device) -> Result<TrainedModel, TrainError> {
    let dir = RunDir::new(run_dir);
    let config = dir.read_config()?;
    let spec = config
        .resolved_spec
        .clone()
        .ok_or_else(|| TrainError::BadCheckpoint {
            path: dir.config_path(),
            reason: "no resolved_spec recorded; was the run made by `deepskip train`?".into(),
        })?;
    let ck = dir.checkpoint_dir();
    let manifest =
        checkpoint::read_manifest(&ck)?.ok_or_else(|| TrainError::NoCheckpoint(run_dir.into()))?;
    let mut vs = VarStore::new(device);
    let network = Network::new(&vs.root(), &spec)?.with_bn_stats(config.bn_stats);
    vs.set_kind(config.precision.kind());
    checkpoint::restore_model(&ck, &manifest, &vs)?;
    Ok(TrainedModel {
        spec,
        vs,
        network,
        config,
        position: manifest.position,
    })
}
