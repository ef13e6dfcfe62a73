//! Re-thresholding a finished analysis: the tables rewritten from its stored
//! `spectra.safetensors` under another tolerance, without recomputing anything.

use super::output::{write_tables, AnalysisSummary, SPECTRA_FILE};
use anyhow::Context;
use deepskip_report::condition_rows::condition_rows;
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
    let hidden = condition_rows(&spectra.hidden, tolerance)
        .with_context(|| format!("re-thresholding {}", path.display()))?;
    let weights = condition_rows(&spectra.weights, tolerance)?;
    write_tables(&dir, &hidden, &weights)?;
    Ok(AnalysisSummary::of(&hidden, weights.len(), dir))
}
