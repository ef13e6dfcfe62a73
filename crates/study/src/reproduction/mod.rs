//! `deepskip reproduce`: plans the runs of a profile, trains (or resumes) and analyses each,
//! then writes `summary.json` and the report. One concept per module.

pub mod data_cache;
pub mod device;
pub mod imagenet;
pub mod onset;
pub mod parallel_runs;
pub mod plan;
pub mod profile;
pub mod run_data;
pub mod run_record;
pub mod runner;
pub mod scope;
pub mod slurm;
pub mod steps;
pub mod studies;
pub mod summary;
pub mod test_evaluation;
pub mod train_config;

use crate::{StudyEvent, StudyObserver};
use device::{DeviceChoice, DevicePool};
use plan::{dataset_kind, default_models, plan_runs, PlannedRun};
use profile::{DatasetKind, Profile};
pub use scope::RunScope;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Everything `deepskip reproduce` was asked for.
#[derive(Debug, Clone)]
pub struct ReproductionOptions {
    pub profile: Profile,
    pub datasets: Vec<deepskip_data::DatasetName>,
    /// Empty: the profile's default models.
    pub models: Vec<String>,
    pub device: DeviceChoice,
    pub seeds: u64,
    pub out: PathBuf,
    /// Runs at once: GPUs used (default 1), or single-threaded CPU runs of the reduced
    /// profiles (default: one per core, memory permitting).
    pub jobs: Option<usize>,
    pub imagenet: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub force: bool,
    pub allow_cpu: bool,
    /// Every run here, one run (a Slurm array task), or the report only (the Slurm report job).
    pub scope: RunScope,
    /// Training precision of every run (the analysis follows it).
    pub precision: deepskip_models::Precision,
    pub bn_stats: deepskip_models::BnStats,
    /// The rank tolerance of the analysis tables.
    pub tolerance: deepskip_spectra::Tolerance,
    /// Views of the hidden representations the analysis computes.
    pub view: crate::analysis::RepresentationView,
    /// Set (e.g. by Ctrl-C) to make the running step checkpoint and stop, and the rest wait.
    pub interrupt: Arc<AtomicBool>,
    /// The studies beyond the paper to add (`--study`).
    pub studies: studies::StudySelection,
}

/// The runs of a reproduction and how the outputs describe its profile.
#[derive(Debug, Clone)]
pub struct Plan {
    pub runs: Vec<PlannedRun>,
    pub description: deepskip_runs::ProfileDescription,
}

/// `results/<profile>/` under the workspace root (the nearest directory upwards whose
/// Cargo.toml declares a `[workspace]`), or under the current directory outside a checkout.
pub fn default_results_dir(profile: Profile) -> PathBuf {
    workspace_root().join("results").join(profile.name())
}

fn workspace_root() -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    deepskip_data::source::workspace_root(&cwd).unwrap_or(cwd)
}

/// The profile as the report and every output describe it: its name and what it reduced
/// (reductions that apply to only some data sets say which).
pub fn profile_description(
    profile: Profile,
    datasets: &[deepskip_data::DatasetName],
) -> deepskip_runs::ProfileDescription {
    let mut kinds: Vec<DatasetKind> = datasets.iter().map(dataset_kind).collect();
    kinds.dedup();
    let per_kind: Vec<(DatasetKind, Vec<String>)> =
        kinds.iter().map(|&k| (k, profile.reductions(k))).collect();
    let mut reductions: Vec<String> = Vec::new();
    for (kind, items) in &per_kind {
        for item in items {
            let everywhere = per_kind.iter().all(|(_, other)| other.contains(item));
            let line = if everywhere {
                item.clone()
            } else {
                format!("{}: {item}", kind_label(*kind))
            };
            if !reductions.contains(&line) {
                reductions.push(line);
            }
        }
    }
    deepskip_runs::ProfileDescription::new(profile.name(), reductions)
}

fn kind_label(kind: DatasetKind) -> &'static str {
    match kind {
        DatasetKind::Mnist => "MNIST",
        DatasetKind::Cifar => "CIFAR",
        DatasetKind::ImageNet => "ImageNet",
    }
}

/// Runs the whole reproduction (or the part `options.scope` names), reporting to `events`, and
/// writes `summary.json`; the caller writes the report from it (see [`runner::Reproduction`]).
pub fn reproduce(
    options: ReproductionOptions,
    events: &dyn StudyObserver,
) -> anyhow::Result<runner::Reproduction> {
    let plan = reproduction_plan(&options)?;
    // The report job trains nothing: it needs no GPU, whatever `--device` says.
    let pool = if options.scope == RunScope::ReportOnly {
        DevicePool {
            devices: vec![tch::Device::Cpu],
        }
    } else {
        let pool = DevicePool::resolve(options.device, options.jobs.unwrap_or(1))?;
        check_profile_fits_device(&options, &pool, events)?;
        if limit_cpu_threads(options.profile, &pool) {
            side_by_side_on_cpu(pool, options.jobs)
        } else {
            pool
        }
    };
    events.on_event(StudyEvent::Planned {
        profile: plan.description.one_line(),
        runs: plan.runs.len(),
        devices: pool
            .devices
            .iter()
            .map(|&d| device::device_name(d))
            .collect(),
        out: options.out.clone(),
    });
    runner::run_reproduction(&options, &pool, &plan.runs, &plan.description, events)
}

/// The runs of the reproduction `options` asks for, in table order (Table IV's last), whatever
/// runs them: this machine or a Slurm job array.
pub fn reproduction_plan(options: &ReproductionOptions) -> anyhow::Result<Plan> {
    let models = if options.models.is_empty() {
        default_models(options.profile)
    } else {
        options.models.clone()
    };
    for model in &models {
        model
            .parse::<deepskip_models::ModelSpec>()
            .map_err(|e| anyhow::anyhow!("--models {model}: {e}"))?;
    }
    let mut runs = plan_runs(options.profile, &options.datasets, &models, options.seeds);
    // Table IV's runs come last, so `--jobs 3` gives the three ImageNet models a GPU each.
    runs.extend(imagenet::plan(options));
    let mut described = options.datasets.clone();
    if options.imagenet.is_some() {
        described.push(deepskip_data::DatasetName::ImageNet);
    }
    let description = profile_description(options.profile, &described);
    Ok(Plan { runs, description })
}

fn check_profile_fits_device(
    options: &ReproductionOptions,
    pool: &DevicePool,
    events: &dyn StudyObserver,
) -> anyhow::Result<()> {
    if !options.profile.is_for_gpu() || !pool.is_cpu_only() {
        return Ok(());
    }
    let name = options.profile.name();
    anyhow::ensure!(
        options.allow_cpu,
        "the {name} profile trains full-width 164-layer networks on the full data: weeks on a \
         CPU. Run it on a GPU (--device cuda), use --profile quick, or pass --allow-cpu to run \
         it here anyway"
    );
    events.on_event(StudyEvent::Warning(format!(
        "running the {name} profile on the CPU (--allow-cpu): expect weeks per data set"
    )));
    Ok(())
}

/// The reduced-width networks of `quick` and `toy` are made of tiny convolutions, where
/// libtorch's intra-op threads cost more than they give (measured: one thread trains
/// ResNet-164 x0.25 several times faster than two on a busy 2-core machine). `OMP_NUM_THREADS`,
/// when set, is left to decide.
fn limit_cpu_threads(profile: Profile, pool: &DevicePool) -> bool {
    let single_threaded = pool.is_cpu_only()
        && !profile.is_for_gpu()
        && std::env::var_os("OMP_NUM_THREADS").is_none();
    if single_threaded {
        tch::set_num_threads(1);
    }
    single_threaded
}

/// Single-threaded CPU runs side by side: one worker per core (or `--jobs`), memory permitting.
fn side_by_side_on_cpu(pool: DevicePool, jobs: Option<usize>) -> DevicePool {
    let workers = parallel_runs::cpu_workers(
        jobs,
        parallel_runs::available_cores(),
        parallel_runs::available_memory(),
    );
    DevicePool {
        devices: vec![pool.devices[0]; workers],
    }
}
