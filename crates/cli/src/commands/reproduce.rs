//! `deepskip reproduce`: the paper's tables, figures and report from one command.

use super::reproduce_command::reproduce_command;
use super::reproduce_slurm::SlurmArgs;
use crate::render::TerminalLines;
use clap::Args;
use deepskip_models::{BnStats, Precision};
use deepskip_study::reproduction::device::DeviceChoice;
use deepskip_study::reproduction::profile::Profile;
use deepskip_study::reproduction::{self, slurm, ReproductionOptions, RunScope};
use std::path::PathBuf;
use std::process::ExitCode;

/// Train PlainNet, ResNet and ResNeXt on each data set, analyse their condition numbers, and
/// write summary.json, Tables I-IV, the figures and report.html.
///
/// Reruns skip finished runs (same configuration hash) and resume interrupted ones; Ctrl-C
/// finishes the current step, checkpoints and exits with status 130.
#[derive(Debug, Args)]
pub struct ReproduceArgs {
    /// `quick`: CPU-sized (depth 164 kept; width, data, epochs and analysis reduced; about ten
    /// minutes on 2 cores). `paper`: the paper's full protocol (a GPU; days on a CPU). `toy`:
    /// depth 20 and a few steps, for the end-to-end test of the pipeline only.
    #[arg(long, value_enum, default_value_t = Profile::Quick)]
    pub profile: Profile,

    /// Data sets, comma-separated: mnist, cifar10, cifar100, cifar100-coarse or idx:<dir>.
    /// One that cannot be obtained is skipped with its reason.
    #[arg(long, value_delimiter = ',', default_value = "mnist,cifar10,cifar100")]
    pub datasets: Vec<deepskip_data::DatasetName>,

    /// Models, comma-separated (default: the profile's PlainNet, ResNet and ResNeXt, 164 layers).
    #[arg(long, value_delimiter = ',')]
    pub models: Vec<String>,

    /// `auto` (CUDA when present), `cpu`, `cuda` or `cuda:N`.
    #[arg(long, default_value = "auto")]
    pub device: DeviceChoice,

    /// Seeds per model (0..N); several give mean and spread in the tables.
    #[arg(long, default_value_t = 1)]
    pub seeds: u64,

    /// Results directory [default: results/<profile>/ under the workspace root].
    #[arg(long)]
    pub out: Option<PathBuf>,

    /// Runs in parallel: one per GPU (cuda:0..N-1, default 1); on the CPU (quick and toy
    /// profiles) that many single-threaded runs at once [default: one per core, memory
    /// permitting]. The runs' numbers do not depend on it.
    #[arg(long)]
    pub jobs: Option<usize>,

    /// ImageNet-2012 directory (train/ and val/ class folders) for Table IV; without it the
    /// table says why it was not run.
    #[arg(long)]
    pub imagenet: Option<PathBuf>,

    /// Data root [default: $DEEPSKIP_DATA_DIR, else <workspace>/datasets].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,

    /// Rerun finished runs; their old directories are moved to `<name>.old-<timestamp>`.
    #[arg(long)]
    pub force: bool,

    /// Let the `paper` profile run on a CPU (weeks of compute).
    #[arg(long)]
    pub allow_cpu: bool,

    /// Show each planned run's state (and its Slurm job's after --slurm); run nothing.
    #[arg(long, conflicts_with_all = ["slurm", "only_run", "report_only"])]
    pub status: bool,

    #[command(flatten)]
    pub slurm: SlurmArgs,

    /// Run only the run at this index of the plan (what each Slurm array task runs).
    #[arg(long, hide = true, conflicts_with = "slurm")]
    pub only_run: Option<usize>,

    /// Train nothing: write summary.json and the report from the run directories (what the
    /// Slurm report job runs).
    #[arg(long, hide = true, conflicts_with_all = ["slurm", "only_run"])]
    pub report_only: bool,

    /// Training precision of every run, f32 or f64 (as `deepskip train --precision`; use a
    /// separate --out, since finished f32 runs do not count for f64).
    #[arg(long, default_value_t = Precision::F32)]
    pub precision: Precision,

    /// BN batch statistics of every run, native or f64 (as `deepskip train --bn-stats`).
    #[arg(long, default_value_t = BnStats::Native)]
    pub bn_stats: BnStats,
    /// Rank tolerance of the analysis tables: data-precision (default), numpy-f32,
    /// relative:R or absolute:A (see `deepskip analyze --help`).
    #[arg(long, default_value = "data-precision")]
    pub tolerance: deepskip_spectra::Tolerance,
    /// Views of the hidden representations: flattened, or modes (also the HOSVD view).
    #[arg(long, value_enum, default_value = "flattened")]
    pub view: deepskip_study::analysis::RepresentationView,
    /// Studies beyond the paper to add, comma-separated: depth (PlainNet/ResNet at depths 8 to
    /// 164, ResNeXt at 11 to 164, on MNIST), init (PlainNet with delta-orthogonal init next to
    /// He, every data set) or all. Resumable like the rest; in the report's "Beyond the paper".
    #[arg(long = "study", value_enum, value_delimiter = ',')]
    pub studies: Vec<deepskip_study::reproduction::studies::StudyChoice>,
}

impl ReproduceArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        super::doctor::warn_if_auto_misses_gpu(self.device == DeviceChoice::Auto);
        let options = self.options();
        if self.status {
            let table = slurm::status::status_table(&options)?;
            super::reproduce_slurm::print_status(&table);
            return Ok(ExitCode::SUCCESS);
        }
        match self.slurm.options(options.device) {
            Some(submission) => {
                let exe = std::env::current_exe().map_err(|e| {
                    anyhow::anyhow!("cannot find the deepskip executable to submit: {e}")
                })?;
                let task = |o: &ReproductionOptions| reproduce_command(&exe, o);
                let report = slurm::submit(options, &submission, &task)?;
                super::reproduce_slurm::print_submission(&report);
                Ok(ExitCode::SUCCESS)
            }
            None => reproduce_here(options),
        }
    }

    /// The reproduction these arguments ask for.
    pub fn options(&self) -> ReproductionOptions {
        let scope = match (self.only_run, self.report_only) {
            (Some(index), _) => RunScope::One(index),
            (None, true) => RunScope::ReportOnly,
            (None, false) => RunScope::All,
        };
        ReproductionOptions {
            profile: self.profile,
            datasets: self.datasets.clone(),
            models: self.models.clone(),
            device: self.device,
            seeds: self.seeds,
            out: self
                .out
                .clone()
                .unwrap_or_else(|| reproduction::default_results_dir(self.profile)),
            jobs: self.jobs,
            imagenet: self.imagenet.clone(),
            data_dir: self.data_dir.clone(),
            force: self.force,
            allow_cpu: self.allow_cpu,
            scope,
            precision: self.precision,
            bn_stats: self.bn_stats,
            tolerance: self.tolerance,
            view: self.view,
            interrupt: crate::interrupt::interrupt_flag(),
            studies: deepskip_study::reproduction::studies::StudySelection::of(&self.studies),
        }
    }
}

/// Reproduces on this machine, then writes the report from `summary.json` (the study crate is
/// upstream of the report) and says how long it all took.
fn reproduce_here(options: ReproductionOptions) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let out = options.out.clone();
    let done = reproduction::reproduce(options, &TerminalLines)?;
    if !done.report_due {
        return Ok(done.status);
    }
    let mut status = done.status;
    match deepskip_report::write_report(&out, &done.description) {
        Ok(files) => println!("Report: {}", files.html.display()),
        Err(e) => {
            eprintln!("error: writing the report in {} failed: {e}", out.display());
            status = ExitCode::FAILURE;
        }
    }
    println!("Total wall time: {:.0} s", started.elapsed().as_secs_f64());
    Ok(status)
}
