//! Where every file of a run, and of a results directory, lives. No other crate spells these
//! names.

use std::path::{Path, PathBuf};

/// `<run>/`: what `deepskip train` writes (`config.json`, `metrics.jsonl`, `status.json`,
/// `checkpoint/`), what the analysis adds (`analysis/`) and the reproduction's record
/// (`reproduce.json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunLayout {
    root: PathBuf,
}

impl RunLayout {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The training configuration (`TrainConfig`).
    pub fn config(&self) -> PathBuf {
        self.root.join("config.json")
    }

    /// One `EpochMetrics` per line.
    pub fn metrics(&self) -> PathBuf {
        self.root.join("metrics.jsonl")
    }

    /// The `RunStatus`.
    pub fn status(&self) -> PathBuf {
        self.root.join("status.json")
    }

    /// Checkpoints: a manifest and the tensor files it names.
    pub fn checkpoint_dir(&self) -> PathBuf {
        self.root.join("checkpoint")
    }

    /// The reproduction's `RunRecord`.
    pub fn reproduce_record(&self) -> PathBuf {
        self.root.join("reproduce.json")
    }

    pub fn analysis_dir(&self) -> PathBuf {
        self.root.join("analysis")
    }

    /// Condition numbers of the hidden representations, one CSV row per layer.
    pub fn hidden_condition(&self) -> PathBuf {
        self.analysis_dir().join("hidden_condition.csv")
    }

    /// Condition numbers of the weights, one CSV row per layer.
    pub fn weight_condition(&self) -> PathBuf {
        self.analysis_dir().join("weight_condition.csv")
    }

    /// Activation and weight statistics per layer.
    pub fn layer_stats(&self) -> PathBuf {
        self.analysis_dir().join("layer_stats.json")
    }

    /// Every analysed layer's full singular spectrum (safetensors), for re-thresholding.
    pub fn spectra(&self) -> PathBuf {
        self.analysis_dir().join("spectra.safetensors")
    }

    /// The per-mode (HOSVD) condition numbers of the hidden representations.
    pub fn hidden_modes(&self) -> PathBuf {
        self.analysis_dir().join("hidden_modes.csv")
    }
}

/// `results/<profile>/`: `summary.json` and `runs/<dataset>/<model>-s<seed>/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultsLayout {
    root: PathBuf,
}

impl ResultsLayout {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The onset study (beyond the paper): `studies/onset/<dataset>/<model>-s<seed>/`.
    pub fn onset_dir(&self) -> PathBuf {
        self.root.join("studies").join("onset")
    }

    /// The runs of the studies beyond the paper (`StudyRun`s).
    pub fn studies(&self) -> PathBuf {
        self.root.join("studies.json")
    }

    /// One `RunSummary` per planned run.
    pub fn summary(&self) -> PathBuf {
        self.root.join("summary.json")
    }

    /// The run directory at `rel` (as a `RunSummary` records it).
    pub fn run(&self, rel: impl AsRef<Path>) -> RunLayout {
        RunLayout::new(self.root.join(rel))
    }

    /// `runs/<dataset_dir>/<model>-s<seed>`, relative to the results directory.
    pub fn run_rel_dir(dataset_dir: &str, model: &str, seed: u64) -> PathBuf {
        PathBuf::from("runs")
            .join(dataset_dir)
            .join(format!("{model}-s{seed}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_lives_under_its_run() {
        let results = ResultsLayout::new("/r");
        let rel = ResultsLayout::run_rel_dir("cifar10", "resnet-164", 2);
        assert_eq!(rel, PathBuf::from("runs/cifar10/resnet-164-s2"));
        let run = results.run(&rel);
        assert_eq!(
            run.hidden_condition(),
            PathBuf::from("/r/runs/cifar10/resnet-164-s2/analysis/hidden_condition.csv")
        );
        assert_eq!(results.summary(), PathBuf::from("/r/summary.json"));
        assert!(run.status().starts_with(run.root()));
    }
}
