//! The onset study ("Beyond the paper"): where and why a network's hidden representations go
//! singular. For seed 0 of every analysed run, the representations of the freshly
//! initialised network; for the followed runs (PlainNet in `quick`), also those at log-spaced
//! steps of its training, recorded by training the run again with a [`StepObserver`]
//! (deepskip-train). Each point is taken with BN batch statistics, with the running
//! statistics (eval mode) and in f64, with each layer's weight magnitudes and gradient norm,
//! into `studies/onset/<dataset>/<model>-s<seed>/onset.json` (the report's schema,
//! `deepskip_spectra::onset_record`).
//!
//! [`StepObserver`]: deepskip_train::StepObserver

mod events;
mod layout;
mod magnitudes;
mod point;
mod replay;
mod schedule;
mod settings;
mod snapshots;
mod study;

pub use events::OnsetEvent;
pub use layout::StudyDir;
pub use point::{analyse_point, network_at, PointInputs};
pub use schedule::{EpochEnds, StepSchedule};
pub use settings::{OnsetSettings, Target};
pub use snapshots::SnapshotRecorder;
pub use study::{study_run, StudyContext, StudyEnd};

use super::data_cache::DataCache;
use super::plan::PlannedRun;

/// How the study of a reproduction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OnsetOutcome {
    pub complete: usize,
    pub failed: usize,
    pub interrupted: bool,
}

/// Studies every target of `settings` among `runs` in turn (a failed one does not stop the
/// others), reporting through `on_event`.
pub fn run_onset_study(
    ctx: &StudyContext<'_>,
    runs: &[PlannedRun],
    data: &DataCache,
    on_event: &mut dyn FnMut(OnsetEvent),
) -> OnsetOutcome {
    let mut outcome = OnsetOutcome::default();
    for target in ctx.settings.targets(runs) {
        let label = target.run.label();
        let dataset = match data.get(&target.run.dataset) {
            Ok(d) => d,
            Err(reason) => {
                on_event(OnsetEvent::Skipped { label, reason });
                continue;
            }
        };
        match study_run(ctx, target, dataset, on_event) {
            Ok(StudyEnd::Interrupted) => {
                outcome.interrupted = true;
                break;
            }
            Ok(_) => outcome.complete += 1,
            Err(e) => {
                outcome.failed += 1;
                on_event(OnsetEvent::Failed {
                    label,
                    error: format!("{e:#}"),
                });
            }
        }
    }
    outcome
}

/// The study of a whole reproduction, after its runs: the profile's settings, the options'
/// precision, BN statistics and `--force`. Nothing when only part of the plan runs here (a
/// Slurm task, the report job) or the reproduction was interrupted.
pub fn for_reproduction(
    options: &super::ReproductionOptions,
    runs: &[PlannedRun],
    data: &DataCache,
    device: tch::Device,
    interrupt: &std::sync::Arc<std::sync::atomic::AtomicBool>,
    on_event: &mut dyn FnMut(OnsetEvent),
) -> OnsetOutcome {
    if options.scope != super::RunScope::All || interrupt.load(std::sync::atomic::Ordering::SeqCst)
    {
        return OnsetOutcome {
            interrupted: options.scope == super::RunScope::All,
            ..OnsetOutcome::default()
        };
    }
    let settings = OnsetSettings::for_profile(options.profile);
    let ctx = StudyContext {
        results_dir: &options.out,
        settings: &settings,
        precision: options.precision,
        bn_stats: options.bn_stats,
        device,
        force: options.force,
        interrupt,
    };
    run_onset_study(&ctx, runs, data, on_event)
}
