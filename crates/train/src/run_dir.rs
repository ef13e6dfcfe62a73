//! The layout of a run directory and its small JSON files, each written to a temp file, synced
//! and renamed so that a crash never leaves a half-written one.

use crate::{TrainConfig, TrainError};
use deepskip_report::schema::RunStatus;
use serde::{de::DeserializeOwned, Serialize};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `<run>/`: `config.json`, `metrics.jsonl`, `status.json`, `checkpoint/`.
#[derive(Debug, Clone)]
pub struct RunDir {
    root: PathBuf,
}

impl RunDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn config_path(&self) -> PathBuf {
        self.root.join("config.json")
    }

    pub fn metrics_path(&self) -> PathBuf {
        self.root.join("metrics.jsonl")
    }

    pub fn status_path(&self) -> PathBuf {
        self.root.join("status.json")
    }

    pub fn checkpoint_dir(&self) -> PathBuf {
        self.root.join("checkpoint")
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
                    path: self.root.clone(),
                    difference,
                });
            }
            if !resume {
                return Err(TrainError::RunExists(self.root.clone()));
            }
        } else if self.has_entries()? {
            return Err(TrainError::NotARunDir(self.root.clone()));
        }
        fs::create_dir_all(self.checkpoint_dir()).map_err(TrainError::io(self.checkpoint_dir()))?;
        let resuming = config_path.exists();
        // Rewritten on resume too: versions and device record the latest session.
        write_json_atomic(&config_path, config)?;
        Ok(resuming)
    }

    fn has_entries(&self) -> Result<bool, TrainError> {
        match fs::read_dir(&self.root) {
            Ok(mut entries) => Ok(entries.next().is_some()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(TrainError::io(&self.root)(e)),
        }
    }

    pub fn read_config(&self) -> Result<TrainConfig, TrainError> {
        read_json(&self.config_path())
    }

    pub fn write_status(&self, status: &RunStatus) -> Result<(), TrainError> {
        write_json_atomic(&self.status_path(), status)
    }

    pub fn read_status(&self) -> Result<RunStatus, TrainError> {
        read_json(&self.status_path())
    }
}

/// Reads a JSON file into `T`.
pub(crate) fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, TrainError> {
    let text = fs::read_to_string(path).map_err(TrainError::io(path))?;
    serde_json::from_str(&text).map_err(TrainError::json(path))
}

/// Writes `value` as pretty JSON to `path` via a synced temp file and a rename.
pub(crate) fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> Result<(), TrainError> {
    let mut text = serde_json::to_string_pretty(value).map_err(TrainError::json(path))?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

/// Writes `bytes` to `path` via `<path>.tmp`, fsync and rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    let tmp = tmp_path(path);
    let mut file = fs::File::create(&tmp).map_err(TrainError::io(&tmp))?;
    file.write_all(bytes).map_err(TrainError::io(&tmp))?;
    file.sync_all().map_err(TrainError::io(&tmp))?;
    fs::rename(&tmp, path).map_err(TrainError::io(path))?;
    sync_parent(path)
}

/// `<path>.tmp`, the name a file is written under before it is renamed into place.
pub(crate) fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Makes a rename in `path`'s directory durable (best effort where directories cannot be opened).
pub(crate) fn sync_parent(path: &Path) -> Result<(), TrainError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = fs::File::open(dir) {
            d.sync_all().map_err(TrainError::io(dir))?;
        }
    }
    Ok(())
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
