//! The training-side half of the study: a [`StepObserver`] that keeps the weights and the
//! per-variable gradient norms of the steps the study analyses.

use super::layout::StudyDir;
use anyhow::Context;
use deepskip_train::{ObserverError, StepObserver};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use tch::nn::VarStore;
use tch::Kind;

/// Writes `snapshots/step-N.safetensors` and `snapshots/step-N.grad.json` for its steps.
#[derive(Debug)]
pub struct SnapshotRecorder {
    dir: StudyDir,
    steps: BTreeSet<u64>,
}

/// `variable name -> L2 norm of its gradient` (a variable without a gradient is absent).
pub type GradientNorms = BTreeMap<String, f64>;

impl SnapshotRecorder {
    pub fn new(dir: StudyDir, steps: impl IntoIterator<Item = u64>) -> SnapshotRecorder {
        SnapshotRecorder {
            dir,
            steps: steps.into_iter().collect(),
        }
    }
}

impl StepObserver for SnapshotRecorder {
    fn wants(&self, step: u64) -> bool {
        self.steps.contains(&step)
    }

    fn weights(&self, step: u64, vs: &VarStore) -> Result<(), ObserverError> {
        Ok(deepskip_train::checkpoint::save_weights(
            &self.dir.weights_file(step),
            vs,
        )?)
    }

    fn gradients(&self, step: u64, vs: &VarStore, grad_scale: f64) -> Result<(), ObserverError> {
        let file: Vec<VariableGradient> = gradient_norms(vs, grad_scale)
            .into_iter()
            .map(|(name, norm)| VariableGradient { name, norm })
            .collect();
        deepskip_runs::write_json_atomic(&self.dir.gradients_file(step), &file)?;
        Ok(())
    }
}

/// One entry of a gradient file.
#[derive(Debug, Serialize, Deserialize)]
struct VariableGradient {
    name: String,
    #[serde(with = "deepskip_spectra::extended_f64")]
    norm: f64,
}

fn gradient_norms(vs: &VarStore, grad_scale: f64) -> GradientNorms {
    tch::no_grad(|| {
        vs.variables()
            .into_iter()
            .filter(|(_, t)| t.requires_grad())
            .filter_map(|(name, t)| {
                let grad = t.grad();
                grad.defined().then(|| {
                    let norm = grad.to_kind(Kind::Double).norm().double_value(&[]);
                    (name, norm / grad_scale)
                })
            })
            .collect()
    })
}

/// Reads a gradient file written by [`SnapshotRecorder`]; `None` when there is none (the
/// last step of a run, or an initialisation-only study).
pub fn read_gradient_norms(dir: &StudyDir, step: u64) -> anyhow::Result<Option<GradientNorms>> {
    let path = dir.gradients_file(step);
    if !path.exists() {
        return Ok(None);
    }
    let file: Vec<VariableGradient> = serde_json::from_slice(&std::fs::read(&path)?)
        .with_context(|| format!("{}: not a gradient file", path.display()))?;
    Ok(Some(file.into_iter().map(|g| (g.name, g.norm)).collect()))
}
