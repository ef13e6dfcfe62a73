//! What the reproduction records in a run directory (`reproduce.json`: the config hash and
//! whether the analysis is done), and what to do with a run directory found on disk.

pub use deepskip_runs::schema::RunRecord;
use deepskip_runs::schema::{RunState, RunStatus};
use deepskip_runs::{read_json, write_json_atomic, RunLayout};
use std::fs;
use std::path::{Path, PathBuf};

/// The run's `reproduce.json`, or `None` when it has none (or an unreadable one).
pub fn read_record(run_dir: &Path) -> Option<RunRecord> {
    read_json(&RunLayout::new(run_dir).reproduce_record()).ok()
}

/// Replaces the run's `reproduce.json` with `record`.
pub fn write_record(run_dir: &Path, record: &RunRecord) -> anyhow::Result<()> {
    Ok(write_json_atomic(
        &RunLayout::new(run_dir).reproduce_record(),
        record,
    )?)
}

/// What a run directory needs, given what is on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunAction {
    /// Nothing there yet: train from scratch.
    Train,
    /// The same run, stopped before its end: continue from its checkpoint.
    Resume,
    /// Trained (finished or diverged) with this configuration; the analysis is missing.
    Analyze,
    /// Trained and analysed with this configuration: nothing to do.
    Done,
    /// Something else is there (another configuration, or `--force`): move it aside to
    /// `<name>.old-<timestamp>`, then train from scratch.
    Replace { reason: String },
}

/// Decides what to do with `run_dir` for a run whose hash is `config_hash`. `config_differs`
/// compares the directory's `config.json` with the planned training configuration (the train
/// crate's notion of "the same run") and says how they differ.
pub fn decide(
    run_dir: &Path,
    config_hash: &str,
    force: bool,
    config_differs: impl FnOnce(&Path) -> Option<String>,
) -> RunAction {
    if !has_entries(run_dir) {
        return RunAction::Train;
    }
    if force {
        return RunAction::Replace {
            reason: "--force".into(),
        };
    }
    let record = read_record(run_dir);
    if let Some(record) = &record {
        if record.config_hash != config_hash {
            return RunAction::Replace {
                reason: format!(
                    "its configuration changed (hash {} on disk, {} now)",
                    record.config_hash, config_hash
                ),
            };
        }
    }
    let config = RunLayout::new(run_dir).config();
    if !config.is_file() {
        return RunAction::Replace {
            reason: "it holds no config.json (not a training run)".into(),
        };
    }
    if let Some(difference) = config_differs(&config) {
        return RunAction::Replace {
            reason: format!("its training configuration changed ({difference})"),
        };
    }
    let trained = read_status(run_dir)
        .is_some_and(|s| matches!(s.state, RunState::Finished | RunState::Diverged));
    match (trained, record) {
        (true, Some(record)) if record.analyzed => RunAction::Done,
        (true, _) => RunAction::Analyze,
        (false, _) => RunAction::Resume,
    }
}

/// `<run>/status.json`, when present and readable.
pub fn read_status(run_dir: &Path) -> Option<RunStatus> {
    deepskip_train::RunDir::new(run_dir).read_status().ok()
}

/// Moves `run_dir` to `<name>.old-<unix seconds>` next to it (never deletes), returning the
/// new path.
pub fn move_aside(run_dir: &Path) -> anyhow::Result<PathBuf> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let name = run_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    let mut target = run_dir.with_file_name(format!("{name}.old-{stamp}"));
    let mut n = 1;
    while target.exists() {
        target = run_dir.with_file_name(format!("{name}.old-{stamp}-{n}"));
        n += 1;
    }
    fs::rename(run_dir, &target).map_err(|e| {
        anyhow::anyhow!(
            "could not move {} aside to {}: {e}; move or remove it yourself and rerun",
            run_dir.display(),
            target.display()
        )
    })?;
    Ok(target)
}

fn has_entries(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trained_run(dir: &Path, state: RunState, record: Option<RunRecord>) {
        fs::create_dir_all(dir).unwrap();
        fs::write(dir.join("config.json"), "{}").unwrap();
        let status = RunStatus {
            state,
            epoch: 1,
            step: 10,
            reason: None,
        };
        fs::write(
            dir.join("status.json"),
            serde_json::to_string(&status).unwrap(),
        )
        .unwrap();
        if let Some(record) = record {
            write_record(dir, &record).unwrap();
        }
    }

    fn record(hash: &str, analyzed: bool) -> Option<RunRecord> {
        Some(RunRecord {
            config_hash: hash.into(),
            profile: "quick".into(),
            analyzed,
        })
    }

    fn same(_: &Path) -> Option<String> {
        None
    }

    #[test]
    fn a_missing_or_empty_directory_is_trained() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(
            decide(&tmp.path().join("run"), "h", false, same),
            RunAction::Train
        );
        assert_eq!(decide(tmp.path(), "h", true, same), RunAction::Train);
    }

    #[test]
    fn finished_runs_are_skipped_or_only_analysed() {
        let tmp = tempfile::tempdir().unwrap();
        trained_run(tmp.path(), RunState::Finished, record("h", true));
        assert_eq!(decide(tmp.path(), "h", false, same), RunAction::Done);
        write_record(tmp.path(), &record("h", false).unwrap()).unwrap();
        assert_eq!(decide(tmp.path(), "h", false, same), RunAction::Analyze);
    }

    #[test]
    fn interrupted_runs_resume_and_changed_ones_are_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        trained_run(tmp.path(), RunState::Interrupted, None);
        assert_eq!(decide(tmp.path(), "h", false, same), RunAction::Resume);
        let changed = decide(tmp.path(), "h", false, |_| Some("lr: 0.1 vs 0.05".into()));
        assert!(matches!(changed, RunAction::Replace { reason } if reason.contains("lr")));
        write_record(tmp.path(), &record("old", true).unwrap()).unwrap();
        assert!(matches!(
            decide(tmp.path(), "h", false, same),
            RunAction::Replace { .. }
        ));
        assert!(matches!(
            decide(tmp.path(), "old", true, same),
            RunAction::Replace { .. }
        ));
    }

    #[test]
    fn moving_aside_keeps_every_file() {
        let tmp = tempfile::tempdir().unwrap();
        let run = tmp.path().join("resnet-20-s0");
        trained_run(&run, RunState::Finished, None);
        let moved = move_aside(&run).unwrap();
        assert!(!run.exists());
        assert!(moved.join("config.json").is_file());
        assert!(moved
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("resnet-20-s0.old-"));
    }
}
