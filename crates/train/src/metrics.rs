//! `<run>/metrics.jsonl`: one `EpochMetrics` per line, appended and synced after each epoch.

use crate::TrainError;
use deepskip_runs::schema::EpochMetrics;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The append-only per-epoch log of a run.
#[derive(Debug, Clone)]
pub struct MetricsLog {
    path: PathBuf,
}

impl MetricsLog {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line and syncs it, so a crash loses at most the epoch in progress.
    pub fn append(&self, metrics: &EpochMetrics) -> Result<(), TrainError> {
        let mut line = serde_json::to_string(metrics).map_err(TrainError::json(&self.path))?;
        line.push('\n');
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(TrainError::io(&self.path))?;
        file.write_all(line.as_bytes())
            .map_err(TrainError::io(&self.path))?;
        file.sync_data().map_err(TrainError::io(&self.path))
    }

    /// Every recorded epoch; a missing file is an empty log. A torn last line (crash during an
    /// append) is dropped, any other unreadable line is an error.
    pub fn read(&self) -> Result<Vec<EpochMetrics>, TrainError> {
        Ok(deepskip_runs::read_metrics(&self.path)?)
    }

    /// Keeps only epochs `<= epoch` (those a resumed checkpoint covers), rewriting atomically.
    pub fn truncate_after(&self, epoch: usize) -> Result<(), TrainError> {
        let kept: Vec<EpochMetrics> = self
            .read()?
            .into_iter()
            .filter(|m| m.epoch <= epoch)
            .collect();
        let mut text = String::new();
        for m in &kept {
            text.push_str(&serde_json::to_string(m).map_err(TrainError::json(&self.path))?);
            text.push('\n');
        }
        Ok(deepskip_runs::write_atomic(&self.path, text.as_bytes())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch(e: usize) -> EpochMetrics {
        EpochMetrics {
            epoch: e,
            step: e as u64 * 10,
            train_loss: 1.0 / e as f64,
            train_acc: 0.5,
            test_loss: 1.0,
            test_acc: 0.4,
            lr: 0.1,
            seconds: 1.0,
            images_per_sec: 100.0,
            train_top5: None,
            test_top5: None,
            skipped_steps: 0,
            bn_overflow: None,
        }
    }

    #[test]
    fn append_read_and_truncate_after_a_resumed_epoch() {
        let tmp = tempfile::tempdir().unwrap();
        let log = MetricsLog::new(tmp.path().join("metrics.jsonl"));
        assert!(log.read().unwrap().is_empty());
        for e in 1..=3 {
            log.append(&epoch(e)).unwrap();
        }
        assert_eq!(log.read().unwrap(), vec![epoch(1), epoch(2), epoch(3)]);
        log.truncate_after(1).unwrap();
        assert_eq!(log.read().unwrap(), vec![epoch(1)]);
    }

    #[test]
    fn a_torn_last_line_is_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        let log = MetricsLog::new(tmp.path().join("metrics.jsonl"));
        log.append(&epoch(1)).unwrap();
        let mut f = OpenOptions::new().append(true).open(log.path()).unwrap();
        f.write_all(b"{\"epoch\": 2, \"st").unwrap();
        assert_eq!(log.read().unwrap(), vec![epoch(1)]);
    }
}
