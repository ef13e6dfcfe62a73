//! `deepskip reproduce --status`: each planned run's state from its run directory, and the
//! Slurm state of its array task when the results directory was submitted with `--slurm`.

use super::commands;
use super::submission::{self, Submission};
use crate::reproduction::plan::PlannedRun;
use crate::reproduction::run_record::{read_record, read_status};
use crate::reproduction::{reproduction_plan, ReproductionOptions};
use deepskip_runs::schema::RunState;
use std::collections::BTreeMap;
use std::path::Path;

/// Each planned run's state on disk and in Slurm: what `deepskip reproduce --status` shows.
#[derive(Debug, Clone)]
pub struct StatusTable {
    pub results_dir: std::path::PathBuf,
    /// Why the Slurm states could not be read (the scheduler's error), if they could not.
    pub slurm_error: Option<String>,
    pub rows: Vec<StatusRow>,
    /// The report job and its state, when the results directory was submitted.
    pub report_job: Option<(String, String)>,
}

/// One planned run in a [`StatusTable`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRow {
    pub index: usize,
    pub label: String,
    /// What its run directory holds, in a few words.
    pub on_disk: String,
    /// Its array task and Slurm state, or why it has none.
    pub slurm: String,
}

/// Reads the state of every run `options` plans.
pub fn status_table(options: &ReproductionOptions) -> anyhow::Result<StatusTable> {
    let plan = reproduction_plan(options)?;
    let submission = submission::read(&options.out);
    let jobs = submission.as_ref().map(job_states);
    let slurm_error = match &jobs {
        Some(Err(e)) => Some(format!("{e:#}")),
        _ => None,
    };
    let jobs = jobs.and_then(Result::ok).unwrap_or_default();
    let rows = plan
        .runs
        .iter()
        .enumerate()
        .map(|(index, run)| StatusRow {
            index,
            label: run.label(),
            on_disk: describe_run_dir(&options.out.join(run.rel_dir()), run),
            slurm: slurm_column(submission.as_ref(), &jobs, index),
        })
        .collect();
    let report_job = submission.map(|s| {
        let state = jobs.get(&s.report_job).map_or("ended", String::as_str);
        (s.report_job.clone(), state.to_owned())
    });
    Ok(StatusTable {
        results_dir: options.out.clone(),
        slurm_error,
        rows,
        report_job,
    })
}

/// The Slurm state of the submission's jobs by task id: the queue's, then the accounting's for
/// those that have left the queue (where accounting is configured).
fn job_states(submission: &Submission) -> anyhow::Result<BTreeMap<String, String>> {
    let mut states = BTreeMap::new();
    let jobs = submission
        .array_job
        .iter()
        .chain(std::iter::once(&submission.report_job));
    for job in jobs {
        if let Ok(ended) = commands::accounted_states(job) {
            states.extend(ended);
        }
        states.extend(commands::queued_states(job)?);
    }
    Ok(states)
}

fn slurm_column(
    submission: Option<&Submission>,
    jobs: &BTreeMap<String, String>,
    index: usize,
) -> String {
    let Some(submission) = submission else {
        return "not submitted".into();
    };
    match submission.task_id(index) {
        Some(task) => match jobs.get(&task) {
            Some(state) => format!("{task} {state}"),
            None => format!("{task} ended"),
        },
        None => "not in the last submission".into(),
    }
}

/// What the run directory of `run` holds, in a few words.
pub fn describe_run_dir(run_dir: &Path, run: &PlannedRun) -> String {
    let record = read_record(run_dir);
    if record
        .as_ref()
        .is_some_and(|r| r.config_hash != run.config_hash())
    {
        return "another configuration (moved aside when run)".into();
    }
    let analysed = record.is_some_and(|r| r.analyzed);
    let epochs = run.recipe.epochs;
    match read_status(run_dir) {
        None if deepskip_runs::RunLayout::new(run_dir).config().is_file() => {
            "started, no epoch yet".into()
        }
        None => "not started".into(),
        Some(status) => match status.state {
            RunState::Finished if analysed => "finished, analysed".into(),
            RunState::Diverged if analysed => "diverged, analysed".into(),
            RunState::Finished | RunState::Diverged => "trained, analysis pending".into(),
            RunState::Running => format!("training, epoch {}/{epochs} done", status.epoch),
            RunState::Interrupted => format!(
                "interrupted at epoch {}/{epochs}, step {}",
                status.epoch, status.step
            ),
            RunState::Skipped => "skipped".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reproduction::plan::{default_models, plan_runs};
    use crate::reproduction::profile::Profile;
    use deepskip_data::DatasetName;
    use deepskip_runs::schema::RunStatus;

    fn run() -> PlannedRun {
        plan_runs(
            Profile::Toy,
            &[DatasetName::Mnist],
            &default_models(Profile::Toy),
            1,
        )
        .remove(1)
    }

    fn write_status(dir: &Path, state: RunState, epoch: usize) {
        let status = RunStatus {
            state,
            epoch,
            step: 7,
            reason: None,
        };
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(
            dir.join("status.json"),
            serde_json::to_string(&status).unwrap(),
        )
        .unwrap();
    }

    #[test]
    fn describes_each_stage_of_a_run_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("run");
        let run = run();
        assert_eq!(describe_run_dir(&dir, &run), "not started");
        write_status(&dir, RunState::Interrupted, 1);
        assert_eq!(
            describe_run_dir(&dir, &run),
            "interrupted at epoch 1/2, step 7"
        );
        write_status(&dir, RunState::Finished, 2);
        assert_eq!(describe_run_dir(&dir, &run), "trained, analysis pending");
        let mut record = deepskip_runs::schema::RunRecord {
            config_hash: run.config_hash(),
            profile: "toy".into(),
            analyzed: true,
        };
        crate::reproduction::run_record::write_record(&dir, &record).unwrap();
        assert_eq!(describe_run_dir(&dir, &run), "finished, analysed");
        record.config_hash = "other".into();
        crate::reproduction::run_record::write_record(&dir, &record).unwrap();
        assert!(describe_run_dir(&dir, &run).starts_with("another configuration"));
    }

    #[test]
    fn the_slurm_column_names_the_task_and_its_state() {
        let run = run();
        let submission = Submission {
            array_job: Some("9".into()),
            report_job: "10".into(),
            submitted_unix: 0,
            runs: vec![
                super::submission::SubmittedRun::new(0, &run, true),
                super::submission::SubmittedRun::new(1, &run, true),
                super::submission::SubmittedRun::new(2, &run, false),
            ],
        };
        let jobs: BTreeMap<String, String> = [("9_0".to_string(), "RUNNING".to_string())].into();
        assert_eq!(slurm_column(Some(&submission), &jobs, 0), "9_0 RUNNING");
        assert_eq!(slurm_column(Some(&submission), &jobs, 1), "9_1 ended");
        assert_eq!(
            slurm_column(Some(&submission), &jobs, 2),
            "not in the last submission"
        );
        assert_eq!(slurm_column(None, &jobs, 0), "not submitted");
    }
}
