//! `<run>/analysis/figures/*.png`: the run's own figures (κ per layer, effective rank per
//! layer, the spectrum heat map), drawn from the tables and spectra just written.

use crate::atomic_file::write_bytes;
use deepskip_report::figures::run_figures;
use deepskip_report::schema::LayerConditionRow;
use deepskip_spectra::LayerSpectrum;
use std::path::{Path, PathBuf};

/// Writes the figures of the analysis in `analysis_dir` of the run in `run_dir` and returns
/// their paths. The model and data set come from the run's `config.json`; a run directory
/// without one (an analysis copied elsewhere) is named by its folder.
pub fn write_run_figures(
    run_dir: &Path,
    analysis_dir: &Path,
    rows: &[LayerConditionRow],
    spectra: &[LayerSpectrum],
) -> anyhow::Result<Vec<PathBuf>> {
    let (model, dataset) = match deepskip_train::RunDir::new(run_dir).read_config() {
        Ok(config) => (config.model, config.dataset),
        Err(_) => {
            let folder = run_dir.file_name().unwrap_or_default().to_string_lossy();
            (folder.into_owned(), String::from("run"))
        }
    };
    let mut written = Vec::new();
    for figure in run_figures(&model, &dataset, rows, spectra)? {
        let path = analysis_dir
            .join("figures")
            .join(format!("{}.png", figure.name));
        write_bytes(&path, &figure.png)?;
        written.push(path);
    }
    Ok(written)
}
