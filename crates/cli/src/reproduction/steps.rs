//! The two steps of a run, as library calls: training (deepskip-train) and the analysis of
//! the trained network (the `deepskip analyze` glue).

use crate::analysis;
use anyhow::Context;
use deepskip_data::Dataset;
use deepskip_models::LayerSelection;
use deepskip_report::schema::RunState;
use deepskip_spectra::{ManyLayers, Tolerance};
use deepskip_train::{BatchSource, RunOptions, TrainConfig};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Trains (or resumes) `config` in `run_dir`; the state it ended in (finished, diverged or
/// interrupted: all three are outcomes, not errors).
pub fn train(
    config: &TrainConfig,
    run_dir: &Path,
    source: &dyn BatchSource,
    resume: bool,
    interrupt: &Arc<AtomicBool>,
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
        println!("    {}: {reason}", run_dir.display());
    }
    if let Some(o) = &outcome.bn_overflow {
        println!("    {}", crate::commands::train::bn_overflow_warning(o));
    }
    Ok(outcome.status.state)
}

/// Analyses the trained network in `run_dir` on `samples` fixed training images (the analysis
/// glue's seed): every layer's hidden-representation and weight condition numbers and
/// statistics, written to `<run>/analysis/`.
pub fn analyze(
    run_dir: &Path,
    samples: usize,
    dataset: &Dataset,
    device: tch::Device,
    tolerance: Tolerance,
    view: analysis::RepresentationView,
) -> anyhow::Result<()> {
    let trained = deepskip_train::load_trained(run_dir, device)
        .with_context(|| format!("loading the trained model of {}", run_dir.display()))?;
    let samples = Arc::new(analysis::fixed_sample(
        &dataset.train,
        samples,
        analysis::ANALYSIS_SEED,
    ));
    let summary = analysis::analyse_run(
        run_dir,
        &trained.network,
        Arc::clone(&samples),
        &dataset.normalization,
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
    println!(
        "    analysed {} hidden representations ({} singular) and {} weights",
        summary.hidden, summary.singular, summary.weights
    );
    Ok(())
}
