//! The `--slurm` options of `deepskip reproduce`: submit the runs as a Slurm job array.

use crate::reproduction::device::DeviceChoice;
use crate::reproduction::slurm::script::JobResources;
use crate::reproduction::slurm::time_limit::TimeLimit;
use crate::reproduction::slurm::SlurmOptions;
use clap::Args;

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
