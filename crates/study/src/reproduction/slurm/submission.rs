//! `<results>/slurm/submission.json`: what the last `--slurm` submission submitted (the plan,
//! which runs went into the array, the job ids), for `--status` and for the people who read the
//! results directory later.

use crate::reproduction::plan::PlannedRun;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The last submission of a results directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    /// The job array of the unfinished runs; `None` when every run was already finished.
    pub array_job: Option<String>,
    /// The job that writes the tables, figures and report once the array has ended.
    pub report_job: String,
    /// Seconds since the Unix epoch.
    pub submitted_unix: u64,
    /// Every planned run, in plan order (its index is its array task id).
    pub runs: Vec<SubmittedRun>,
}

/// One planned run of a submission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmittedRun {
    pub index: usize,
    pub label: String,
    /// Relative to the results directory.
    pub run_dir: String,
    pub config_hash: String,
    /// In the array; `false`: already finished, not submitted again.
    pub submitted: bool,
}

impl SubmittedRun {
    pub fn new(index: usize, run: &PlannedRun, submitted: bool) -> Self {
        Self {
            index,
            label: run.label(),
            run_dir: run.rel_dir().to_string_lossy().into_owned(),
            config_hash: run.config_hash(),
            submitted,
        }
    }
}

impl Submission {
    /// The array task id of run `index` (`<array>_<index>`), when it was submitted.
    pub fn task_id(&self, index: usize) -> Option<String> {
        let array = self.array_job.as_ref()?;
        let run = self.runs.iter().find(|r| r.index == index)?;
        run.submitted.then(|| format!("{array}_{index}"))
    }
}

pub fn path(results_dir: &Path) -> PathBuf {
    results_dir.join("slurm").join("submission.json")
}

pub fn write(results_dir: &Path, submission: &Submission) -> anyhow::Result<()> {
    Ok(deepskip_runs::write_json_atomic(
        &path(results_dir),
        submission,
    )?)
}

/// The last submission, `None` when there was none (or its file cannot be read).
pub fn read(results_dir: &Path) -> Option<Submission> {
    let text = std::fs::read_to_string(path(results_dir)).ok()?;
    serde_json::from_str(&text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reproduction::plan::{default_models, plan_runs};
    use crate::reproduction::profile::Profile;
    use deepskip_data::DatasetName;

    #[test]
    fn round_trips_and_names_the_array_tasks_of_submitted_runs_only() {
        let tmp = tempfile::tempdir().unwrap();
        let runs = plan_runs(
            Profile::Toy,
            &[DatasetName::Mnist],
            &default_models(Profile::Toy),
            1,
        );
        let submission = Submission {
            array_job: Some("77".into()),
            report_job: "78".into(),
            submitted_unix: 1,
            runs: vec![
                SubmittedRun::new(0, &runs[0], false),
                SubmittedRun::new(1, &runs[1], true),
            ],
        };
        write(tmp.path(), &submission).unwrap();
        let back = read(tmp.path()).unwrap();
        assert_eq!(back, submission);
        assert_eq!(back.task_id(1).as_deref(), Some("77_1"));
        assert_eq!(back.task_id(0), None);
        assert_eq!(back.runs[1].run_dir, "runs/mnist/resnet-20-s0");
    }
}
