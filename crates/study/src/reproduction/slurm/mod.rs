//! The reproduction on a Slurm cluster: the plan of a local reproduction, submitted as a job
//! array (one task per unfinished run, each training and analysing its own run directory on
//! the shared filesystem) and a report job that runs once every task has ended. Slurm is the
//! scheduler; nothing of ours runs between the jobs.

pub mod command_line;
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
use std::process::ExitCode;
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
struct Scripts {
    array: Option<String>,
    report: String,
}

/// Plans the runs as a local reproduction would, then submits the unfinished ones as a job
/// array and the report job after it (or, with `dry_run`, prints what it would submit).
pub fn submit(options: ReproductionOptions, slurm: &SlurmOptions) -> anyhow::Result<ExitCode> {
    let options = with_absolute_paths(options)?;
    let plan = reproduction_plan(&options)?;
    let exe = std::env::current_exe()
        .map_err(|e| anyhow::anyhow!("cannot find the deepskip executable to submit: {e}"))?;
    let workdir = std::env::current_dir()?;
    let slurm_dir = options.out.join("slurm");
    let logs = slurm_dir.join("logs");
    let command = command_line::reproduce_command(&exe, &options);
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
    println!(
        "deepskip reproduce --slurm: {}",
        plan.description.one_line()
    );
    println!(
        "{} runs planned, {} to submit, {} already finished -> {}",
        plan.runs.len(),
        pending.len(),
        plan.runs.len() - pending.len(),
        options.out.display()
    );
    let array_path = slurm_dir.join("array.sbatch");
    let report_path = slurm_dir.join("report.sbatch");
    if slurm.dry_run {
        print_dry_run(&scripts, &array_path, &report_path);
        return Ok(ExitCode::SUCCESS);
    }
    if options.force {
        move_old_runs_aside(&options.out, &plan.runs)?;
    }
    std::fs::create_dir_all(&logs)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", logs.display()))?;
    for &index in &pending {
        outcome::forget(&options.out, &plan.runs[index])?;
    }
    let array_job = match &scripts.array {
        Some(text) => {
            deepskip_runs::write_atomic(&array_path, text.as_bytes())?;
            Some(commands::sbatch(&array_path, &[])?)
        }
        None => None,
    };
    deepskip_runs::write_atomic(&report_path, scripts.report.as_bytes())?;
    let dependency: Vec<String> = array_job
        .iter()
        .map(|j| script::report_dependency(j))
        .collect();
    let report_job = commands::sbatch(&report_path, &dependency).map_err(|e| {
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
    print_submitted(&submission, &options.out, &logs);
    Ok(ExitCode::SUCCESS)
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
fn move_old_runs_aside(results_dir: &Path, runs: &[PlannedRun]) -> anyhow::Result<()> {
    for run in runs {
        let run_dir = results_dir.join(run.rel_dir());
        if run_dir.exists() {
            let moved = move_aside(&run_dir)?;
            println!(
                "{}: old run moved to {} (--force)",
                run.label(),
                moved.display()
            );
        }
    }
    Ok(())
}

fn print_dry_run(scripts: &Scripts, array_path: &Path, report_path: &Path) {
    match &scripts.array {
        Some(text) => {
            println!("\n--- {} ---\n{text}", array_path.display());
            println!("$ sbatch --parsable {}", array_path.display());
        }
        None => println!("\nevery run is finished: no job array"),
    }
    println!("\n--- {} ---\n{}", report_path.display(), scripts.report);
    let dependency = if scripts.array.is_some() {
        format!("{} ", script::report_dependency("<array job id>"))
    } else {
        String::new()
    };
    println!(
        "$ sbatch --parsable {dependency}{}\n\n(dry run: nothing submitted)",
        report_path.display()
    );
}

fn print_submitted(submission: &Submission, results_dir: &Path, logs: &Path) {
    match &submission.array_job {
        Some(job) => {
            let tasks = submission.runs.iter().filter(|r| r.submitted).count();
            println!("Submitted job array {job} ({tasks} tasks, one per unfinished run)");
        }
        None => println!("Every run is finished: no job array submitted"),
    }
    println!(
        "Submitted report job {} (runs once the array has ended)",
        submission.report_job
    );
    println!(
        "Job ids and plan: {}\nLogs: {}\nReport: {} once job {} has ended; follow the runs \
         with the same command and --status instead of --slurm",
        submission::path(results_dir).display(),
        logs.display(),
        results_dir.join("report.html").display(),
        submission.report_job
    );
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
