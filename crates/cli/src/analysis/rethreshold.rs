//! Re-thresholding a finished analysis: the tables rewritten from its stored
//! `spectra.safetensors` under another tolerance, without recomputing anything.

use super::output::{mark_bn_dead, write_tables, AnalysisSummary, SPECTRA_FILE};
use super::write_run_figures;
use anyhow::Context;
use deepskip_report::condition_rows::condition_rows;
use deepskip_report::schema::LayerConditionRow;
use deepskip_spectra::{RunSpectra, Tolerance};
use std::path::Path;

/// Rewrites `<run_dir>/analysis/{hidden,weight}_condition.csv` from the stored spectra.
pub fn rethreshold(run_dir: &Path, tolerance: Tolerance) -> anyhow::Result<AnalysisSummary> {
    let dir = run_dir.join("analysis");
    let path = dir.join(SPECTRA_FILE);
    anyhow::ensure!(
        path.is_file(),
        "{} does not exist: the run was analysed before spectra were stored; run \
         `deepskip analyze --run {}` once to write it",
        path.display(),
        run_dir.display()
    );
    let spectra = RunSpectra::read(&path)?;
    let mut hidden = condition_rows(&spectra.hidden, tolerance)
        .with_context(|| format!("re-thresholding {}", path.display()))?;
    // BN health is a fact of the forward pass, not of the tolerance: keep what it recorded.
    mark_bn_dead(
        &mut hidden,
        &bn_dead_layers(&dir.join("hidden_condition.csv"))?,
    );
    let weights = condition_rows(&spectra.weights, tolerance)?;
    write_tables(&dir, &hidden, &weights)?;
    // The figures' rank line follows the tolerance.
    write_run_figures(run_dir, &dir, &hidden, &spectra.hidden)?;
    Ok(AnalysisSummary::of(&hidden, weights.len(), dir))
}

/// The layers an earlier analysis marked numerically dead by BN overflow (none when the table
/// is absent).
fn bn_dead_layers(table: &Path) -> anyhow::Result<Vec<usize>> {
    if !table.is_file() {
        return Ok(Vec::new());
    }
    let mut reader =
        csv::Reader::from_path(table).with_context(|| format!("reading {}", table.display()))?;
    let mut dead = Vec::new();
    for row in reader.deserialize::<LayerConditionRow>() {
        let row = row.with_context(|| format!("reading {}", table.display()))?;
        if row.bn_overflow {
            dead.push(row.layer);
        }
    }
    Ok(dead)
}
