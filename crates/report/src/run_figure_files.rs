//! `<run>/analysis/figures/*.png`: one run's own figures (kappa per layer, effective rank per
//! layer, the spectrum heat map), drawn from its analysis tables and stored spectra. The
//! analysis (upstream) writes the data; whoever shows it (the report, `deepskip analyze`)
//! draws these.

use crate::figures::run_figures;
use crate::results::read_condition_csv;
use crate::ReportError;
use deepskip_runs::{write_atomic, RunLayout};
use deepskip_spectra::RunSpectra;
use std::path::PathBuf;

/// Draws the figures of the analysis in `run` (model and data set name the plots) and returns
/// their paths; a run without an analysis gets none. A run analysed before spectra were stored
/// gets the figures its table alone allows.
pub fn write_run_figures(
    run: &RunLayout,
    model: &str,
    dataset: &str,
) -> Result<Vec<PathBuf>, ReportError> {
    if !run.hidden_condition().is_file() {
        return Ok(Vec::new());
    }
    let rows = read_condition_csv(&run.hidden_condition())?;
    let spectra = if run.spectra().is_file() {
        RunSpectra::read(&run.spectra())?.hidden
    } else {
        Vec::new()
    };
    let mut written = Vec::new();
    for figure in run_figures(model, dataset, &rows, &spectra)? {
        let path = run
            .analysis_dir()
            .join("figures")
            .join(format!("{}.png", figure.name));
        write_atomic(&path, &figure.png)?;
        written.push(path);
    }
    Ok(written)
}
