//! What each array task concluded about its run, recorded outside the run directory (the train
//! crate owns that) in `<results>/slurm/outcomes/`, so that the report job can say why a run
//! failed or stopped. A task that was killed records nothing; the report says so.

use crate::reproduction::plan::PlannedRun;
use crate::reproduction::summary::RunOutcome;
use deepskip_runs::schema::RunState;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// `<results>/slurm/outcomes/<run dir>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct OutcomeRecord {
    /// The plan the outcome belongs to (`PlannedRun::config_hash`).
    config_hash: String,
    outcome: RunOutcome,
}

/// Where the outcome of `run` is recorded.
pub fn path(results_dir: &Path, run: &PlannedRun) -> PathBuf {
    let mut file = results_dir
        .join("slurm")
        .join("outcomes")
        .join(run.rel_dir())
        .into_os_string();
    file.push(".json");
    PathBuf::from(file)
}

/// Records the outcome of a task's run (atomically).
pub fn record(results_dir: &Path, run: &PlannedRun, outcome: &RunOutcome) -> anyhow::Result<()> {
    let record = OutcomeRecord {
        config_hash: run.config_hash(),
        outcome: outcome.clone(),
    };
    Ok(deepskip_runs::write_json_atomic(
        &path(results_dir, run),
        &record,
    )?)
}

/// The recorded outcome of `run`, when one was recorded for this very plan.
pub fn read(results_dir: &Path, run: &PlannedRun) -> Option<RunOutcome> {
    let text = std::fs::read_to_string(path(results_dir, run)).ok()?;
    let record: OutcomeRecord = serde_json::from_str(&text).ok()?;
    (record.config_hash == run.config_hash()).then_some(record.outcome)
}

/// Drops the outcome of an earlier submission of `run` before it is submitted again, so that a
/// task killed this time is not reported with last time's outcome.
pub fn forget(results_dir: &Path, run: &PlannedRun) -> anyhow::Result<()> {
    let file = path(results_dir, run);
    match std::fs::remove_file(&file) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(anyhow::anyhow!("removing {}: {e}", file.display()))
        }
        _ => Ok(()),
    }
}

/// The report job's outcome for `run`: `done` (its state) when its run directory is trained and
/// analysed, whoever did it; otherwise what its task recorded; otherwise a failure that says the
/// task ended without a word.
pub fn for_report(results_dir: &Path, run: &PlannedRun, done: Option<RunState>) -> RunOutcome {
    let recorded = read(results_dir, run);
    match (done, recorded) {
        (Some(state), Some(RunOutcome::Completed { device, .. })) => {
            RunOutcome::Completed { state, device }
        }
        (Some(state), _) => RunOutcome::Completed {
            state,
            device: trained_on(&results_dir.join(run.rel_dir())),
        },
        (None, Some(outcome)) => outcome,
        (None, None) => RunOutcome::Failed {
            error: format!(
                "its Slurm task recorded no outcome: it was cancelled or killed before the end \
                 (see {}/slurm/logs)",
                results_dir.display()
            ),
            device: String::new(),
        },
    }
}

/// The device `config.json` names (where the run started), or empty.
fn trained_on(run_dir: &Path) -> String {
    deepskip_train::RunDir::new(run_dir)
        .read_config()
        .map(|config| config.device)
        .unwrap_or_default()
}

/// One line for the report job's log.
pub fn describe(outcome: &RunOutcome) -> String {
    match outcome {
        RunOutcome::Completed { state, device } => {
            format!("{} on {device}", state_word(*state))
        }
        RunOutcome::Interrupted { device } => {
            format!("interrupted on {device}; submit again to resume it")
        }
        RunOutcome::Skipped { reason } => format!("skipped ({reason})"),
        RunOutcome::Failed { error, .. } => format!("FAILED: {error}"),
    }
}

fn state_word(state: RunState) -> &'static str {
    match state {
        RunState::Diverged => "diverged",
        _ => "finished",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reproduction::plan::{default_models, plan_runs};
    use crate::reproduction::profile::Profile;
    use deepskip_data::DatasetName;

    fn runs() -> Vec<PlannedRun> {
        plan_runs(
            Profile::Toy,
            &[DatasetName::Mnist],
            &default_models(Profile::Toy),
            1,
        )
    }

    #[test]
    fn a_recorded_outcome_is_read_back_for_the_same_plan_only() {
        let tmp = tempfile::tempdir().unwrap();
        let runs = runs();
        let failed = RunOutcome::Failed {
            error: "out of memory".into(),
            device: "cuda:0".into(),
        };
        record(tmp.path(), &runs[0], &failed).unwrap();
        assert_eq!(read(tmp.path(), &runs[0]), Some(failed.clone()));
        assert_eq!(read(tmp.path(), &runs[1]), None);
        let mut changed = runs[0].clone();
        changed.recipe.epochs += 1;
        assert_eq!(read(tmp.path(), &changed), None, "another plan's outcome");
        assert_eq!(for_report(tmp.path(), &runs[0], None), failed);
        forget(tmp.path(), &runs[0]).unwrap();
        forget(tmp.path(), &runs[0]).unwrap();
        assert_eq!(read(tmp.path(), &runs[0]), None);
    }

    #[test]
    fn the_report_trusts_a_trained_run_directory_over_a_stale_outcome() {
        let tmp = tempfile::tempdir().unwrap();
        let run = &runs()[1];
        let stopped = RunOutcome::Interrupted {
            device: "cuda:1".into(),
        };
        record(tmp.path(), run, &stopped).unwrap();
        assert_eq!(
            for_report(tmp.path(), run, Some(RunState::Diverged)),
            RunOutcome::Completed {
                state: RunState::Diverged,
                device: String::new()
            }
        );
        assert_eq!(for_report(tmp.path(), run, None), stopped);
    }

    #[test]
    fn a_task_that_left_no_outcome_is_a_failure_that_points_at_the_logs() {
        let tmp = tempfile::tempdir().unwrap();
        let outcome = for_report(tmp.path(), &runs()[2], None);
        let RunOutcome::Failed { error, .. } = &outcome else {
            panic!("{outcome:?}");
        };
        assert!(error.contains("slurm/logs"), "{error}");
        assert!(!outcome.is_success());
    }
}
