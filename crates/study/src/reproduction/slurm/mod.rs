//! The reproduction on a Slurm cluster: the plan of a local reproduction, submitted as a job
//! array (one task per unfinished run, each training and analysing its own run directory on
//! the shared filesystem) and a report job that runs once every task has ended. Slurm is the
//! scheduler; nothing of ours runs between the jobs.

pub mod commands;
pub mod outcome;
pub mod script;
pub mod status;
pub mod submission;
pub mod time_limit;

use super::plan::PlannedRun;
use super::run_record::{decide, move_aside, RunAction};
use super::{reproduction_plan, ReproductionOptions};
use script::{JobResources, ScriptContext};
use std::path::{Path, PathBuf};
use submission::{Submission, SubmittedRun};

/// How to submit.
#[derive(Debug, Clone, Default)]
pub struct SlurmOptions {
    pub resources: JobResources,
    /// Print the scripts and the `sbatch` commands instead of submitting them.
    pub dry_run: bool,
}

/// The two scripts of one submission; `array` is `None` when every run is finished.
#[derive(Debug, Clone)]
pub struct Scripts {
    pub array: Option<String>,
    pub report: String,
}

/// What [`submit`] did.
#[derive(Debug, Clone)]
pub struct SubmitReport {
    /// The profile's one-line description.
    pub profile: String,
    pub planned: usize,
    /// Runs submitted (or, in a dry run, that would be).
    pub pending: usize,
    pub results_dir: PathBuf,
    /// Runs whose old directory was moved aside (`force`): label and new place.
    pub moved_aside: Vec<(String, PathBuf)>,
    pub array_path: PathBuf,
    pub report_path: PathBuf,
    pub logs: PathBuf,
    pub scripts: Scripts,
    /// The submitted jobs; `None` in a dry run.
    pub submission: Option<Submission>,
}

/// Plans the runs as a local reproduction would, then submits the unfinished ones as a job
/// array and the report job after it (with `dry_run`, only says what it would submit).
/// `task_command` is the command line each array task executes for the plan of the options it
/// is given (whose paths are absolute); the task index is appended by the script.
pub fn submit(
    options: ReproductionOptions,
    slurm: &SlurmOptions,
    task_command: &dyn Fn(&ReproductionOptions) -> Vec<String>,
) -> anyhow::Result<SubmitReport> {
    let options = with_absolute_paths(options)?;
    let plan = reproduction_plan(&options)?;
    let workdir = std::env::current_dir()?;
    let slurm_dir = options.out.join("slurm");
    let logs = slurm_dir.join("logs");
    let command = task_command(&options);
    let ctx = ScriptContext {
        job_name: format!("deepskip-{}", options.profile.name()),
        workdir: &workdir,
        logs: &logs,
        command: &command,
    };
    let pending: Vec<usize> = plan
        .runs
        .iter()
        .enumerate()
        .filter(|(_, run)| options.force || !is_done(&options.out, run))
        .map(|(index, _)| index)
        .collect();
    let scripts = Scripts {
        array: (!pending.is_empty())
            .then(|| script::array_script(&ctx, &pending, &slurm.resources))
            .transpose()?,
        report: script::report_script(&ctx, &slurm.resources)?,
    };
    let mut report = SubmitReport {
        profile: plan.description.one_line(),
        planned: plan.runs.len(),
        pending: pending.len(),
        results_dir: options.out.clone(),
        moved_aside: Vec::new(),
        array_path: slurm_dir.join("array.sbatch"),
        report_path: slurm_dir.join("report.sbatch"),
        logs: logs.clone(),
        scripts,
        submission: None,
    };
    if slurm.dry_run {
        return Ok(report);
    }
    if options.force {
        report.moved_aside = move_old_runs_aside(&options.out, &plan.runs)?;
    }
    let (scripts, array_path, report_path) =
        (&report.scripts, &report.array_path, &report.report_path);
    std::fs::create_dir_all(&logs)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", logs.display()))?;
    for &index in &pending {
        outcome::forget(&options.out, &plan.runs[index])?;
    }
    let array_job = match &scripts.array {
        Some(text) => {
            deepskip_runs::write_atomic(array_path, text.as_bytes())?;
            Some(commands::sbatch(array_path, &[])?)
        }
        None => None,
    };
    deepskip_runs::write_atomic(report_path, scripts.report.as_bytes())?;
    let dependency: Vec<String> = array_job
        .iter()
        .map(|j| script::report_dependency(j))
        .collect();
    let report_job = commands::sbatch(report_path, &dependency).map_err(|e| {
        anyhow::anyhow!(
            "{e:#}\nthe job array {} was submitted; once it has ended, write the report with the \
             same command and --report-only instead of --slurm",
            array_job.as_deref().unwrap_or("(none)")
        )
    })?;
    let submission = Submission {
        array_job,
        report_job,
        submitted_unix: unix_now(),
        runs: plan
            .runs
            .iter()
            .enumerate()
            .map(|(index, run)| SubmittedRun::new(index, run, pending.contains(&index)))
            .collect(),
    };
    submission::write(&options.out, &submission)?;
    report.submission = Some(submission);
    Ok(report)
}

/// Jobs start in other directories and on other machines: every path they are given is
/// absolute (relative `idx:` data sets stay relative to the submission's directory, which the
/// scripts make the jobs' working directory).
fn with_absolute_paths(mut options: ReproductionOptions) -> anyhow::Result<ReproductionOptions> {
    let absolute = |path: &Path| -> anyhow::Result<PathBuf> {
        std::path::absolute(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    };
    options.out = absolute(&options.out)?;
    options.imagenet = options.imagenet.as_deref().map(absolute).transpose()?;
    options.data_dir = options.data_dir.as_deref().map(absolute).transpose()?;
    Ok(options)
}

/// Trained and analysed with this plan's configuration: not submitted again.
fn is_done(results_dir: &Path, run: &PlannedRun) -> bool {
    let run_dir = results_dir.join(run.rel_dir());
    decide(&run_dir, &run.config_hash(), false, |_| None) == RunAction::Done
}

/// `--force`: every planned run directory that exists goes to `<name>.old-<timestamp>` now,
/// once, so that the tasks (and their requeued attempts) start or resume their own run.
fn move_old_runs_aside(
    results_dir: &Path,
    runs: &[PlannedRun],
) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut moved = Vec::new();
    for run in runs {
        let run_dir = results_dir.join(run.rel_dir());
        if run_dir.exists() {
            moved.push((run.label(), move_aside(&run_dir)?));
        }
    }
    Ok(moved)
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
