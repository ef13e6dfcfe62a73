//! `<run>/analysis/{hidden_condition.csv, weight_condition.csv, layer_stats.json}`, each
//! written to a temporary file and renamed into place.

use super::{analyse_hidden, analyse_weights, ForwardPass};
use crate::atomic_file::write_bytes;
use anyhow::Context;
use deepskip_data::{ImageSet, Normalization};
use deepskip_models::{LayerSelection, Network};
use deepskip_report::schema::{LayerConditionRow, LayerStatsFile};
use deepskip_spectra::ManyLayers;
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
}

/// Analyses the hidden representations of `network` on `samples` and its weights, for the
/// selected layers, and writes `<run_dir>/analysis/` (`deepskip analyze` and the reproduction
/// both run this).
pub fn analyse_run(
    run_dir: &Path,
    network: &Network,
    samples: Arc<ImageSet>,
    normalization: &Normalization,
    pass: ForwardPass,
    selection: &LayerSelection,
    many: &ManyLayers,
) -> anyhow::Result<AnalysisSummary> {
    let hidden = analyse_hidden(network, samples, normalization, pass, selection, many)?;
    let (weight_rows, weight_stats) = analyse_weights(network, selection, many)?;
    let files = AnalysisFiles {
        hidden: hidden.rows,
        weights: weight_rows,
        stats: LayerStatsFile {
            activations: hidden.stats,
            weights: weight_stats,
        },
    };
    let dir = write_analysis(run_dir, &files)?;
    Ok(AnalysisSummary {
        hidden: files.hidden.len(),
        singular: files
            .hidden
            .iter()
            .filter(|r| r.kappa.is_infinite())
            .count(),
        bn_overflow: files.hidden.iter().filter(|r| r.bn_overflow).count(),
        weights: files.weights.len(),
        hidden_rows: files.hidden,
        dir,
    })
}

/// Everything one analysis writes.
#[derive(Debug)]
pub struct AnalysisFiles {
    pub hidden: Vec<LayerConditionRow>,
    pub weights: Vec<LayerConditionRow>,
    pub stats: LayerStatsFile,
}

/// Writes the three files under `<run_dir>/analysis/` and returns that directory.
pub fn write_analysis(run_dir: &Path, files: &AnalysisFiles) -> anyhow::Result<PathBuf> {
    let dir = run_dir.join("analysis");
    write_csv(&dir.join("hidden_condition.csv"), &files.hidden)?;
    write_csv(&dir.join("weight_condition.csv"), &files.weights)?;
    let json = serde_json::to_vec_pretty(&files.stats)?;
    write_bytes(&dir.join("layer_stats.json"), &json)?;
    Ok(dir)
}

/// Writes `rows` as a CSV with a header, atomically.
pub fn write_csv<T: serde::Serialize>(path: &Path, rows: &[T]) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.serialize(row)?;
    }
    let bytes = writer.into_inner().context("finishing CSV")?;
    write_bytes(path, &bytes)
}
