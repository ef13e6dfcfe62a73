//! Checkpoints that survive being killed mid-write.
//!
//! `checkpoint/` holds the model and momentum buffers as safetensors files named by step, and
//! `manifest.json` naming them with their sizes. A save writes the new tensor files under new
//! names (temp file, fsync, rename), then replaces the manifest the same way, and only then
//! removes files the new manifest does not name. Until the manifest rename the previous manifest
//! and its files are untouched, so a crash at any point leaves a loadable checkpoint.

use crate::amp::LossScaler;
use crate::optimizer::Sgd;
use crate::TrainError;
use deepskip_runs::schema::RunStatus;
use deepskip_runs::{is_temp_name, read_json, write_json_atomic};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use tch::nn::VarStore;
use tch::{Device, Tensor};

const MANIFEST: &str = "manifest.json";
const FORMAT: u32 = 1;

/// Where the run stood when the checkpoint was taken.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// Epochs fully completed (metrics written).
    pub epochs_done: usize,
    /// Optimiser steps completed since the start of the run.
    pub step: u64,
    /// Batches of epoch `epochs_done + 1` already trained on (non-zero after an interrupt).
    pub batch_in_epoch: usize,
    /// Running sums of the epoch in progress, so an interrupted epoch reports as if whole.
    pub partial: EpochTally,
}

/// Running training loss and accuracy over part of an epoch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct EpochTally {
    pub loss_sum: f64,
    pub correct: u64,
    /// Top-5 hits (counted only for sources that record top-5 accuracy).
    #[serde(default)]
    pub correct_top5: u64,
    pub seen: u64,
    /// Training seconds spent so far in the epoch.
    pub seconds: f64,
    /// Steps whose update was skipped for non-finite gradients (absent in older checkpoints).
    #[serde(default)]
    pub skipped_steps: u64,
    /// Steps trained so far in the epoch, skipped ones included (absent in older checkpoints).
    #[serde(default)]
    pub steps: u64,
}

/// One tensor file of a checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    pub file: String,
    pub bytes: u64,
}

/// `checkpoint/manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub position: Position,
    pub status: RunStatus,
    pub model: FileEntry,
    pub momentum: FileEntry,
    /// The mixed-precision loss scaler's state (runs with AMP on CUDA only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_scaler: Option<LossScaler>,
}

/// Writes a checkpoint of `vs`, `sgd` and the loss scaler (if any) at `position` into `dir`.
pub fn save(
    dir: &Path,
    vs: &VarStore,
    sgd: &Sgd,
    loss_scaler: Option<&LossScaler>,
    position: &Position,
    status: &RunStatus,
) -> Result<Manifest, TrainError> {
    fs::create_dir_all(dir).map_err(TrainError::io(dir))?;
    let model: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
    let manifest = Manifest {
        format: FORMAT,
        position: position.clone(),
        status: status.clone(),
        model: write_tensors(dir, &format!("model-s{:010}", position.step), &model)?,
        momentum: write_tensors(
            dir,
            &format!("momentum-s{:010}", position.step),
            &sgd.named_buffers(),
        )?,
        loss_scaler: loss_scaler.cloned(),
    };
    write_json_atomic(&dir.join(MANIFEST), &manifest)?;
    remove_unreferenced(dir, &manifest);
    Ok(manifest)
}

/// Reads the manifest of `dir`, `None` when no checkpoint was ever completed there.
pub fn read_manifest(dir: &Path) -> Result<Option<Manifest>, TrainError> {
    let path = dir.join(MANIFEST);
    if !path.exists() {
        return Ok(None);
    }
    let manifest: Manifest = read_json(&path)?;
    if manifest.format != FORMAT {
        return Err(bad(
            &path,
            format!("format {} (this build reads {FORMAT})", manifest.format),
        ));
    }
    for entry in [&manifest.model, &manifest.momentum] {
        let file = dir.join(&entry.file);
        let bytes = fs::metadata(&file)
            .map(|m| m.len())
            .map_err(|_| bad(&path, format!("{} is missing", file.display())))?;
        if bytes != entry.bytes {
            return Err(bad(
                &file,
                format!(
                    "{bytes} bytes, the manifest says {} (truncated?)",
                    entry.bytes
                ),
            ));
        }
    }
    Ok(Some(manifest))
}

/// Loads the model weights named by `manifest` into `vs`; every variable must be present with
/// its shape.
pub fn restore_model(dir: &Path, manifest: &Manifest, vs: &VarStore) -> Result<(), TrainError> {
    let path = dir.join(&manifest.model.file);
    let saved = read_tensors(&path)?;
    copy_into(&path, vs.variables(), saved)
}

/// Writes every variable of `vs` (weights and BN running statistics) to `path`, a
/// safetensors file, through a temporary file and a rename: a snapshot of the model alone, for
/// studies that keep the weights of chosen steps.
pub fn save_weights(path: &Path, vs: &VarStore) -> Result<(), TrainError> {
    let stem = path.file_stem().and_then(|f| f.to_str());
    let safetensors = path.extension().is_some_and(|e| e == "safetensors");
    let (Some(dir), Some(stem), true) = (path.parent(), stem, safetensors) else {
        return Err(bad(path, "a snapshot is a <name>.safetensors file".into()));
    };
    fs::create_dir_all(dir).map_err(TrainError::io(dir))?;
    let model: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
    write_tensors(dir, stem, &model).map(|_| ())
}

/// Loads a file written by [`save_weights`] (or a checkpoint's model file) into `vs`; every
/// variable must be present with its shape.
pub fn load_weights(path: &Path, vs: &VarStore) -> Result<(), TrainError> {
    copy_into(path, vs.variables(), read_tensors(path)?)
}

/// Loads the momentum buffers named by `manifest` into `sgd`.
pub fn restore_momentum(dir: &Path, manifest: &Manifest, sgd: &mut Sgd) -> Result<(), TrainError> {
    let path = dir.join(&manifest.momentum.file);
    let saved = read_tensors(&path)?;
    sgd.load_buffers(&path, saved)
}

fn write_tensors(
    dir: &Path,
    stem: &str,
    tensors: &[(String, Tensor)],
) -> Result<FileEntry, TrainError> {
    let file = format!("{stem}.safetensors");
    let path = dir.join(&file);
    let on_cpu: Vec<(&str, Tensor)> = tensors
        .iter()
        .map(|(n, t)| (n.as_str(), t.to_device(Device::Cpu)))
        .collect();
    // libtorch's error is kept here; the writer only sees that the fill failed.
    let mut torch_error = None;
    let written = deepskip_runs::write_with(&path, |tmp| {
        Tensor::write_safetensors(&on_cpu, tmp).map_err(|e| {
            torch_error = Some(e);
            std::io::Error::other("libtorch could not write the tensors")
        })
    });
    if let Some(source) = torch_error {
        return Err(TrainError::Torch {
            context: format!("writing {}", path.display()),
            source,
        });
    }
    let bytes = written.map_err(deepskip_runs::RunsError::from)?;
    Ok(FileEntry { file, bytes })
}

fn read_tensors(path: &Path) -> Result<Vec<(String, Tensor)>, TrainError> {
    Tensor::read_safetensors(path).map_err(|e| bad(path, e.to_string()))
}

/// Copies each saved tensor into the target of its name: every target needs one of its shape,
/// and every saved tensor a target (else the file belongs to another model).
pub(crate) fn copy_into(
    path: &Path,
    targets: HashMap<String, Tensor>,
    saved: Vec<(String, Tensor)>,
) -> Result<(), TrainError> {
    let saved: HashMap<String, Tensor> = saved.into_iter().collect();
    for (name, target) in &targets {
        let mut target = target.shallow_clone();
        let src = saved.get(name).ok_or_else(|| {
            bad(
                path,
                format!("no tensor {name}; was it written by another model?"),
            )
        })?;
        if src.size() != target.size() {
            return Err(bad(
                path,
                format!(
                    "{name} has shape {:?}, the model expects {:?}",
                    src.size(),
                    target.size()
                ),
            ));
        }
        tch::no_grad(|| target.f_copy_(src))
            .map_err(TrainError::torch(format!("loading {name}")))?;
    }
    if let Some(extra) = saved.keys().find(|name| !targets.contains_key(*name)) {
        return Err(bad(
            path,
            format!("{extra} matches nothing in this model; was it written by another model?"),
        ));
    }
    Ok(())
}

/// Removes tensor files and temp files the current manifest does not name (best effort: a
/// leftover file costs disk space, not correctness).
fn remove_unreferenced(dir: &Path, manifest: &Manifest) {
    let keep = [MANIFEST, &manifest.model.file, &manifest.momentum.file];
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name.ends_with(".safetensors") || is_temp_name(&name);
        if ours && !keep.contains(&name.as_str()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn bad(path: &Path, reason: String) -> TrainError {
    TrainError::BadCheckpoint {
        path: PathBuf::from(path),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimizer::SgdOptions;
    use deepskip_runs::schema::RunState;
    use tch::{nn, Kind};

    fn store(value: f64) -> VarStore {
        let vs = VarStore::new(Device::Cpu);
        let _ = vs.root().var("layer/w", &[3, 2], nn::Init::Const(value));
        let _ = vs.root().var("layer/b", &[3], nn::Init::Const(value));
        vs
    }

    fn sgd(vs: &VarStore) -> Sgd {
        Sgd::new(
            vs,
            SgdOptions {
                momentum: 0.9,
                nesterov: false,
                weight_decay: 0.0,
                decay_bn_and_bias: true,
            },
        )
    }

    fn status(epoch: usize) -> RunStatus {
        RunStatus {
            state: RunState::Running,
            epoch,
            step: epoch as u64 * 5,
            reason: None,
        }
    }

    fn at(epoch: usize) -> Position {
        Position {
            epochs_done: epoch,
            step: epoch as u64 * 5,
            ..Position::default()
        }
    }

    #[test]
    fn save_then_restore_gives_back_weights_momentum_and_position() {
        let tmp = tempfile::tempdir().unwrap();
        let vs = store(1.5);
        let mut opt = sgd(&vs);
        opt.zero_grad();
        vs.variables()["layer/w"].sum(Kind::Float).backward();
        opt.step(0.1, 1.0);
        save(tmp.path(), &vs, &opt, None, &at(2), &status(2)).unwrap();

        let fresh = store(0.0);
        let mut fresh_opt = sgd(&fresh);
        let manifest = read_manifest(tmp.path()).unwrap().unwrap();
        restore_model(tmp.path(), &manifest, &fresh).unwrap();
        restore_momentum(tmp.path(), &manifest, &mut fresh_opt).unwrap();
        assert_eq!(manifest.position, at(2));
        let w = &fresh.variables()["layer/w"];
        assert!((w.double_value(&[0, 0]) - 1.4).abs() < 1e-6);
        let buffers: HashMap<_, _> = fresh_opt.named_buffers().into_iter().collect();
        assert_eq!(buffers["layer/w"].double_value(&[2, 1]), 1.0);
        assert_eq!(buffers["layer/b"].double_value(&[0]), 0.0);
    }

    /// A scaler that has halved once and counted clean steps since comes back as it was; a
    /// checkpoint without AMP (and one from before the field existed) has none.
    #[test]
    fn the_loss_scaler_round_trips_with_the_optimizer_state() {
        let tmp = tempfile::tempdir().unwrap();
        let vs = store(1.0);
        let mut scaler = LossScaler::new();
        scaler.update(false);
        for _ in 0..3 {
            scaler.update(true);
        }
        save(
            tmp.path(),
            &vs,
            &sgd(&vs),
            Some(&scaler),
            &at(1),
            &status(1),
        )
        .unwrap();
        let manifest = read_manifest(tmp.path()).unwrap().unwrap();
        assert_eq!(manifest.loss_scaler.as_ref(), Some(&scaler));
        assert_eq!(manifest.loss_scaler.unwrap().scale(), 32768.0);

        save(tmp.path(), &vs, &sgd(&vs), None, &at(2), &status(2)).unwrap();
        let path = tmp.path().join(MANIFEST);
        let text = fs::read_to_string(&path).unwrap();
        assert!(!text.contains("loss_scaler"), "{text}");
        assert_eq!(
            read_manifest(tmp.path()).unwrap().unwrap().loss_scaler,
            None
        );
    }

    /// A save killed after writing (part of) its new tensor files but before the manifest
    /// rename: the old manifest still names complete files.
    #[test]
    fn an_interrupted_save_leaves_the_previous_checkpoint_loadable() {
        let tmp = tempfile::tempdir().unwrap();
        let vs = store(1.0);
        let opt = sgd(&vs);
        save(tmp.path(), &vs, &opt, None, &at(1), &status(1)).unwrap();

        // The next save's files, as a kill would leave them: a half-written temp tensor file,
        // a complete renamed model file, and a half-written manifest temp file.
        let complete = fs::read(tmp.path().join("model-s0000000005.safetensors")).unwrap();
        fs::write(tmp.path().join("model-s0000000010.safetensors"), &complete).unwrap();
        fs::write(
            tmp.path().join("momentum-s0000000010.safetensors.tmp"),
            &complete[..complete.len() / 2],
        )
        .unwrap();
        fs::write(
            tmp.path().join("manifest.json.tmp"),
            b"{\"format\": 1, \"pos",
        )
        .unwrap();

        let manifest = read_manifest(tmp.path()).unwrap().unwrap();
        assert_eq!(manifest.position, at(1));
        let fresh = store(0.0);
        restore_model(tmp.path(), &manifest, &fresh).unwrap();
        assert_eq!(fresh.variables()["layer/b"].double_value(&[1]), 1.0);

        // The next complete save cleans the leftovers up.
        save(tmp.path(), &vs, &opt, None, &at(3), &status(3)).unwrap();
        let mut names: Vec<String> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "manifest.json",
                "model-s0000000015.safetensors",
                "momentum-s0000000015.safetensors"
            ]
        );
    }

    #[test]
    fn a_truncated_tensor_file_is_reported_not_loaded() {
        let tmp = tempfile::tempdir().unwrap();
        let vs = store(1.0);
        save(tmp.path(), &vs, &sgd(&vs), None, &at(1), &status(1)).unwrap();
        let file = tmp.path().join("model-s0000000005.safetensors");
        let bytes = fs::read(&file).unwrap();
        fs::write(&file, &bytes[..bytes.len() - 4]).unwrap();
        let err = read_manifest(tmp.path()).unwrap_err().to_string();
        assert!(err.contains("truncated"), "{err}");
    }

    #[test]
    fn a_checkpoint_of_another_model_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let vs = store(1.0);
        save(tmp.path(), &vs, &sgd(&vs), None, &at(1), &status(1)).unwrap();
        let other = VarStore::new(Device::Cpu);
        let _ = other.root().var("layer/w", &[2, 2], nn::Init::Const(0.0));
        let manifest = read_manifest(tmp.path()).unwrap().unwrap();
        let err = restore_model(tmp.path(), &manifest, &other).unwrap_err();
        assert!(err.to_string().contains("shape"), "{err}");
    }
}
