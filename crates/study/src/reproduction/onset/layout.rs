//! Where one run's onset study keeps its files, under
//! `<results>/studies/onset/<dataset>/<model>-s<seed>/`.

use crate::reproduction::plan::{dataset_dir_name, PlannedRun};
use deepskip_spectra::onset_record::ONSET_FILE;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct StudyDir {
    root: PathBuf,
}

impl StudyDir {
    pub fn of(results_dir: &Path, run: &PlannedRun) -> StudyDir {
        StudyDir {
            root: deepskip_runs::ResultsLayout::new(results_dir)
                .onset_dir()
                .join(dataset_dir_name(&run.dataset))
                .join(format!("{}-s{}", run.model, run.seed)),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `onset.json`: the study's results so far.
    pub fn onset_file(&self) -> PathBuf {
        self.root.join(ONSET_FILE)
    }

    /// The replay of the run (a deepskip-train run directory) whose steps are recorded.
    pub fn train_dir(&self) -> PathBuf {
        self.root.join("train")
    }

    /// The weights (and BN running statistics) at `step`.
    pub fn weights_file(&self, step: u64) -> PathBuf {
        self.root
            .join("snapshots")
            .join(format!("step-{step:010}.safetensors"))
    }

    /// The per-variable gradient norms of the update taken at `step`'s weights.
    pub fn gradients_file(&self, step: u64) -> PathBuf {
        self.root
            .join("snapshots")
            .join(format!("step-{step:010}.grad.json"))
    }

    /// The full spectra of one pass at `step` (`batch`, `running`, `batch_f64`).
    pub fn spectra_file(&self, step: u64, pass: &str) -> PathBuf {
        self.root
            .join("points")
            .join(format!("step-{step:010}"))
            .join(format!("{pass}.safetensors"))
    }
}
