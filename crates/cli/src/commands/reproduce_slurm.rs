//! The `--slurm` options of `deepskip reproduce`: submit the runs as a Slurm job array.

use clap::Args;
use deepskip_study::reproduction::device::DeviceChoice;
use deepskip_study::reproduction::slurm::script;
use deepskip_study::reproduction::slurm::script::JobResources;
use deepskip_study::reproduction::slurm::status::StatusTable;
use deepskip_study::reproduction::slurm::submission::{self, Submission};
use deepskip_study::reproduction::slurm::time_limit::TimeLimit;
use deepskip_study::reproduction::slurm::SlurmOptions;
use deepskip_study::reproduction::slurm::{Scripts, SubmitReport};
use std::path::Path;

/// On a Slurm cluster: `--slurm` submits one array task per unfinished run (each trains and
/// analyses its own run directory under --out, which must be on the shared filesystem) and a
/// report job that writes the tables, figures and report.html once every task has ended.
#[derive(Debug, Args)]
pub struct SlurmArgs {
    /// Submit the runs to Slurm (sbatch) instead of running them here; prints the job ids and
    /// writes them with the plan to <out>/slurm/submission.json.
    #[arg(long, help_heading = "Slurm")]
    pub slurm: bool,

    /// With --slurm: print the batch scripts and sbatch commands, submit nothing.
    #[arg(long, requires = "slurm", help_heading = "Slurm")]
    pub dry_run: bool,

    /// Partition of every job.
    #[arg(long, requires = "slurm", help_heading = "Slurm")]
    pub partition: Option<String>,

    /// Account every job is charged to.
    #[arg(long, requires = "slurm", help_heading = "Slurm")]
    pub account: Option<String>,

    /// GPUs of each run's task [default: 1, or 0 with --device cpu].
    #[arg(long, requires = "slurm", help_heading = "Slurm")]
    pub gpus_per_run: Option<u32>,

    /// CPUs of each run's task [default: the partition's].
    #[arg(long, requires = "slurm", help_heading = "Slurm")]
    pub cpus_per_run: Option<u32>,

    /// Time limit of each run's task (`12:00:00`, `2-00:00:00`); 60 s before it the task
    /// checkpoints and stops, and submitting again resumes it.
    #[arg(long, requires = "slurm", help_heading = "Slurm")]
    pub time: Option<TimeLimit>,

    /// A further sbatch option for every job, as sbatch takes it (repeatable):
    /// `--sbatch-arg=--qos=long`.
    #[arg(
        long,
        requires = "slurm",
        allow_hyphen_values = true,
        help_heading = "Slurm"
    )]
    pub sbatch_arg: Vec<String>,
}

impl SlurmArgs {
    /// The submission options when `--slurm` was given.
    pub fn options(&self, device: DeviceChoice) -> Option<SlurmOptions> {
        if !self.slurm {
            return None;
        }
        let default_gpus = u32::from(device != DeviceChoice::Cpu);
        Some(SlurmOptions {
            resources: JobResources {
                partition: self.partition.clone(),
                account: self.account.clone(),
                time: self.time.clone(),
                gpus_per_run: self.gpus_per_run.unwrap_or(default_gpus),
                cpus_per_run: self.cpus_per_run,
                extra: self.sbatch_arg.clone(),
            },
            dry_run: self.dry_run,
        })
    }
}

/// What `--slurm` submitted (or, with `--dry-run`, would submit).
pub fn print_submission(report: &SubmitReport) {
    println!("deepskip reproduce --slurm: {}", report.profile);
    println!(
        "{} runs planned, {} to submit, {} already finished -> {}",
        report.planned,
        report.pending,
        report.planned - report.pending,
        report.results_dir.display()
    );
    for (label, moved) in &report.moved_aside {
        println!("{label}: old run moved to {} (--force)", moved.display());
    }
    match &report.submission {
        None => print_dry_run(&report.scripts, &report.array_path, &report.report_path),
        Some(submission) => print_submitted(submission, &report.results_dir, &report.logs),
    }
}

/// `--status`: one line per planned run, and the report job's state.
pub fn print_status(table: &StatusTable) {
    println!(
        "{} runs planned in {}",
        table.rows.len(),
        table.results_dir.display()
    );
    if let Some(e) = &table.slurm_error {
        println!("Slurm: {e}");
    }
    println!("{:>3}  {:<36} {:<44} slurm", "#", "run", "run directory");
    for row in &table.rows {
        println!(
            "{:>3}  {:<36} {:<44} {}",
            row.index, row.label, row.on_disk, row.slurm
        );
    }
    if let Some((job, state)) = &table.report_job {
        println!("report job {job}: {state}");
    }
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
