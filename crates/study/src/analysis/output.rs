//! `<run>/analysis/{hidden_condition.csv, weight_condition.csv, layer_stats.json,
//! spectra.safetensors, figures/*.png}`, each written to a temporary file and renamed into place.

use super::{analyse_hidden, analyse_weights, ForwardPass, RepresentationView};
use anyhow::Context;
use deepskip_data::{ImageSet, Normalization};
use deepskip_models::{LayerSelection, Network};
use deepskip_runs::{write_atomic, RunLayout};
use deepskip_spectra::condition_rows::condition_rows;
use deepskip_spectra::records::{LayerConditionRow, LayerStatsFile};
use deepskip_spectra::{ManyLayers, RunSpectra, Tolerance};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The sizes of what [`analyse_run`] wrote, for the caller's message.
#[derive(Debug)]
pub struct AnalysisSummary {
    pub hidden: usize,
    pub singular: usize,
    /// Layers with a dead BN layer (non-finite or overflowed statistics).
    pub bn_overflow: usize,
    /// The hidden-representation rows written.
    pub hidden_rows: Vec<LayerConditionRow>,
    pub weights: usize,
    pub dir: PathBuf,
    /// What could not be measured, one line each (for the caller to show).
    pub warnings: Vec<String>,
}

/// Analyses the hidden representations of `network` on `samples` and its weights, for the
/// selected layers, and writes `<run_dir>/analysis/` with the tables under `tolerance`
/// (`deepskip analyze` and the reproduction both run this).
#[allow(clippy::too_many_arguments)]
pub fn analyse_run(
    run_dir: &Path,
    network: &Network,
    samples: Arc<ImageSet>,
    normalization: &Normalization,
    pass: ForwardPass,
    selection: &LayerSelection,
    many: &ManyLayers,
    tolerance: Tolerance,
    view: RepresentationView,
) -> anyhow::Result<AnalysisSummary> {
    let modes = (view == RepresentationView::Modes).then_some(tolerance);
    let hidden = analyse_hidden(
        network,
        samples,
        normalization,
        pass,
        selection,
        many,
        modes,
    )?;
    let weights = analyse_weights(network, selection, many)?;
    let hidden_rows = hidden.condition_rows(tolerance)?;
    let warnings = [hidden.warnings, weights.warnings].concat();
    let spectra = RunSpectra {
        hidden: hidden.spectra,
        weights: weights.spectra,
    };
    let files = AnalysisFiles {
        hidden: hidden_rows,
        weights: condition_rows(&spectra.weights, tolerance)?,
        stats: LayerStatsFile {
            activations: hidden.stats,
            weights: weights.stats,
        },
        spectra,
    };
    let dir = write_analysis(run_dir, &files)?;
    if view == RepresentationView::Modes {
        write_csv(&RunLayout::new(run_dir).hidden_modes(), &hidden.modes)?;
    }
    let mut summary = AnalysisSummary::of(&files.hidden, files.weights.len(), dir);
    summary.warnings = warnings;
    Ok(summary)
}

impl AnalysisSummary {
    /// Counts of the written tables; a non-finite layer counts as singular.
    pub fn of(hidden: &[LayerConditionRow], weights: usize, dir: PathBuf) -> Self {
        Self {
            hidden: hidden.len(),
            singular: hidden.iter().filter(|r| r.is_singular()).count(),
            bn_overflow: hidden.iter().filter(|r| r.bn_overflow).count(),
            hidden_rows: hidden.to_vec(),
            weights,
            dir,
            warnings: Vec::new(),
        }
    }
}

/// Marks the rows of layers whose BN statistics were dead in the analysis pass.
pub fn mark_bn_dead(rows: &mut [LayerConditionRow], dead: &[usize]) {
    for row in rows.iter_mut().filter(|r| dead.contains(&r.layer)) {
        row.bn_overflow = true;
    }
}

/// Everything one analysis writes.
#[derive(Debug)]
pub struct AnalysisFiles {
    pub hidden: Vec<LayerConditionRow>,
    pub weights: Vec<LayerConditionRow>,
    pub stats: LayerStatsFile,
    pub spectra: RunSpectra,
}

/// Writes the four files under `<run_dir>/analysis/` and returns that directory.
pub fn write_analysis(run_dir: &Path, files: &AnalysisFiles) -> anyhow::Result<PathBuf> {
    let layout = RunLayout::new(run_dir);
    write_atomic(&layout.spectra(), &files.spectra.to_bytes()?)?;
    write_tables(&layout, &files.hidden, &files.weights)?;
    let json = serde_json::to_vec_pretty(&files.stats)?;
    write_atomic(&layout.layer_stats(), &json)?;
    Ok(layout.analysis_dir())
}

/// Writes the two condition-number tables into the analysis directory `dir`.
pub fn write_tables(
    layout: &RunLayout,
    hidden: &[LayerConditionRow],
    weights: &[LayerConditionRow],
) -> anyhow::Result<()> {
    write_csv(&layout.hidden_condition(), hidden)?;
    write_csv(&layout.weight_condition(), weights)
}

/// Writes `rows` as a CSV with a header, atomically.
pub fn write_csv<R: serde::Serialize>(path: &Path, rows: &[R]) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.serialize(row)?;
    }
    let bytes = writer.into_inner().context("finishing CSV")?;
    Ok(write_atomic(path, &bytes)?)
}
