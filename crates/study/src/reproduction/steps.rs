//! The two steps of a run, as library calls: training (deepskip-train) and the analysis of
//! the trained network (the `deepskip analyze` glue).

use crate::analysis;
use crate::RunStep;
use anyhow::Context;
use deepskip_models::LayerSelection;
use deepskip_runs::schema::RunState;
use deepskip_spectra::{ManyLayers, Tolerance};
use deepskip_train::{BatchSource, RunOptions, TrainConfig};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Trains (or resumes) `config` in `run_dir`; the state it ended in (finished, diverged or
/// interrupted: all three are outcomes, not errors). `note` receives the trainer's reason.
pub fn train(
    config: &TrainConfig,
    run_dir: &Path,
    source: &dyn BatchSource,
    resume: bool,
    interrupt: &Arc<AtomicBool>,
    note: &dyn Fn(RunStep),
    progress_group: Option<deepskip_train::ProgressGroup>,
) -> anyhow::Result<RunState> {
    let options = RunOptions {
        resume,
        interrupt: Some(interrupt.clone()),
        progress: true,
        progress_group,
    };
    let outcome = deepskip_train::train_from(config, source, run_dir, &options)?;
    if let Some(reason) = &outcome.status.reason {
        note(RunStep::TrainingNote {
            run_dir: run_dir.to_path_buf(),
            reason: reason.clone(),
        });
    }
    if let Some(o) = &outcome.bn_overflow {
        note(RunStep::BnOverflow(o.clone()));
    }
    Ok(outcome.status.state)
}

/// Analyses the trained network in `run_dir` on `samples` (fixed images of the run's data
/// set): every layer's hidden-representation and weight condition numbers and statistics,
/// written to `<run>/analysis/`.
pub fn analyze(
    run_dir: &Path,
    samples: analysis::AnalysisSamples,
    device: tch::Device,
    tolerance: Tolerance,
    view: analysis::RepresentationView,
    note: &dyn Fn(RunStep),
) -> anyhow::Result<()> {
    let trained = deepskip_train::load_trained(run_dir, device)
        .with_context(|| format!("loading the trained model of {}", run_dir.display()))?;
    let normalization = samples.normalization;
    let samples = Arc::new(samples.images);
    let summary = analysis::analyse_run(
        run_dir,
        &trained.network,
        Arc::clone(&samples),
        &normalization,
        analysis::ForwardPass {
            device,
            chunk: samples.len(),
            bn: analysis::BnStatistics::Batch,
            precision: trained.config.precision,
        },
        &LayerSelection::All,
        &ManyLayers::new(),
        tolerance,
        view,
    )?;
    note(RunStep::Analysed {
        hidden: summary.hidden,
        singular: summary.singular,
        weights: summary.weights,
        warnings: summary.warnings,
    });
    Ok(())
}
