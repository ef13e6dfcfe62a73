//! A run directory as training uses it (the layout is deepskip-runs'), its small JSON files
//! each replaced atomically so that a crash never leaves a half-written one.

use crate::{TrainConfig, TrainError};
use deepskip_runs::schema::RunStatus;
use deepskip_runs::{read_json, write_json_atomic, RunLayout};
use std::fs;
use std::path::{Path, PathBuf};

/// `<run>/`: `config.json`, `metrics.jsonl`, `status.json`, `checkpoint/`.
#[derive(Debug, Clone)]
pub struct RunDir {
    layout: RunLayout,
}

impl RunDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            layout: RunLayout::new(root),
        }
    }

    pub fn root(&self) -> &Path {
        self.layout.root()
    }

    pub fn layout(&self) -> &RunLayout {
        &self.layout
    }

    pub fn config_path(&self) -> PathBuf {
        self.layout.config()
    }

    pub fn metrics_path(&self) -> PathBuf {
        self.layout.metrics()
    }

    pub fn status_path(&self) -> PathBuf {
        self.layout.status()
    }

    pub fn checkpoint_dir(&self) -> PathBuf {
        self.layout.checkpoint_dir()
    }

    /// Makes the directory ready for `config`: creates a new run, or checks that an existing one
    /// is the same run when `resume` is set. Returns whether an existing run is being resumed.
    /// Never deletes anything: a different run, or an existing run without `resume`, is an error.
    pub fn prepare(&self, config: &TrainConfig, resume: bool) -> Result<bool, TrainError> {
        let config_path = self.config_path();
        if config_path.exists() {
            let on_disk: TrainConfig = read_json(&config_path)?;
            if let Some(difference) = config.run_difference(&on_disk) {
                return Err(TrainError::RunDirConflict {
                    path: self.root().to_path_buf(),
                    difference,
                });
            }
            if !resume {
                return Err(TrainError::RunExists(self.root().to_path_buf()));
            }
        } else if self.has_entries()? {
            return Err(TrainError::NotARunDir(self.root().to_path_buf()));
        }
        fs::create_dir_all(self.checkpoint_dir()).map_err(TrainError::io(self.checkpoint_dir()))?;
        let resuming = config_path.exists();
        // Rewritten on resume too: versions and device record the latest session.
        write_json_atomic(&config_path, config)?;
        Ok(resuming)
    }

    fn has_entries(&self) -> Result<bool, TrainError> {
        match fs::read_dir(self.root()) {
            Ok(mut entries) => Ok(entries.next().is_some()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(TrainError::io(self.root())(e)),
        }
    }

    pub fn read_config(&self) -> Result<TrainConfig, TrainError> {
        Ok(read_json(&self.config_path())?)
    }

    pub fn write_status(&self, status: &RunStatus) -> Result<(), TrainError> {
        Ok(write_json_atomic(&self.status_path(), status)?)
    }

    pub fn read_status(&self) -> Result<RunStatus, TrainError> {
        Ok(read_json(&self.status_path())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_different_run_is_refused_and_the_same_run_resumes() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = RunDir::new(tmp.path().join("run"));
        let config = TrainConfig::default();
        assert!(!dir.prepare(&config, false).unwrap());
        assert!(matches!(
            dir.prepare(&config, false),
            Err(TrainError::RunExists(_))
        ));
        assert!(dir.prepare(&config, true).unwrap());
        let other = TrainConfig { seed: 9, ..config };
        let err = dir.prepare(&other, true).unwrap_err();
        assert!(err.to_string().contains("seed"), "{err}");
    }

    #[test]
    fn a_non_empty_foreign_directory_is_not_used() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("notes.txt"), "mine").unwrap();
        let err = RunDir::new(tmp.path()).prepare(&TrainConfig::default(), false);
        assert!(matches!(err, Err(TrainError::NotARunDir(_))));
        assert_eq!(
            fs::read_to_string(tmp.path().join("notes.txt")).unwrap(),
            "mine"
        );
    }
}
