//! `<run>/analysis/{hidden_condition.csv, weight_condition.csv, layer_stats.json}`, each
//! written to a temporary file and renamed into place.

use anyhow::Context;
use deepskip_report::schema::{LayerConditionRow, LayerStatsFile};
use std::path::{Path, PathBuf};

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
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    write_csv(&dir.join("hidden_condition.csv"), &files.hidden)?;
    write_csv(&dir.join("weight_condition.csv"), &files.weights)?;
    let json = serde_json::to_vec_pretty(&files.stats)?;
    write_atomic(&dir.join("layer_stats.json"), &json)?;
    Ok(dir)
}

fn write_csv(path: &Path, rows: &[LayerConditionRow]) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.serialize(row)?;
    }
    let bytes = writer.into_inner().context("finishing CSV")?;
    write_atomic(path, &bytes)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
}
