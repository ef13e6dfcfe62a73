//! The run trained once more in the study's folder, with the [`SnapshotRecorder`] keeping the
//! weights and gradients of the study's steps. Training is deterministic for a configuration
//! (seeded weights and batches, one libtorch thread on the CPU), so the replay is the same
//! run step for step; the test `onset_study` checks its final weights against the run's.

use super::layout::StudyDir;
use super::snapshots::SnapshotRecorder;
use deepskip_runs::schema::RunState;
use deepskip_train::{BatchSource, RunDir, RunOptions, TrainConfig};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Whether the replay recorded everything the study of `steps` reads: the weights of every
/// step after 0 and the gradient at step 0 (the first update's).
pub fn recorded(dir: &StudyDir, steps: &[u64]) -> bool {
    let weights = steps
        .iter()
        .filter(|&&s| s > 0)
        .all(|&s| dir.weights_file(s).is_file());
    weights && dir.gradients_file(0).is_file()
}

/// Trains `config` in the study's `train/` folder (resuming an interrupted replay), recording
/// `steps`; the state the replay ended in. A settled replay whose snapshots are incomplete
/// (removed by hand) is trained again from the start.
pub fn replay(
    config: &TrainConfig,
    source: &dyn BatchSource,
    dir: &StudyDir,
    steps: &[u64],
    interrupt: &Arc<AtomicBool>,
) -> anyhow::Result<RunState> {
    let train_dir = dir.train_dir();
    let run_dir = RunDir::new(&train_dir);
    let settled = run_dir
        .read_status()
        .is_ok_and(|s| matches!(s.state, RunState::Finished | RunState::Diverged));
    if settled && !recorded(dir, steps) {
        std::fs::remove_dir_all(&train_dir)?;
    }
    let recorder = SnapshotRecorder::new(dir.clone(), steps.iter().copied());
    let options = RunOptions {
        resume: run_dir.config_path().is_file(),
        interrupt: Some(Arc::clone(interrupt)),
        progress: true,
        progress_group: None,
    };
    let outcome =
        deepskip_train::train_observed(config, source, &train_dir, &options, Some(&recorder))?;
    Ok(outcome.status.state)
}
