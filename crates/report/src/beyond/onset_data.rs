//! Reading the onset study's files (`studies/onset/<dataset>/<model>-s<seed>/onset.json`,
//! whose types are deepskip-spectra's `onset_record`).

pub use deepskip_spectra::onset_record::*;

use crate::ReportError;
use std::path::{Path, PathBuf};

/// One run's study file.
pub fn read_onset_run(path: &Path) -> Result<OnsetRun, ReportError> {
    let bytes = std::fs::read(path).map_err(ReportError::io(path))?;
    serde_json::from_slice(&bytes).map_err(|source| ReportError::Json {
        path: path.to_path_buf(),
        line: None,
        what: "onset.json (an OnsetRun)",
        source,
    })
}

/// `<results>/studies/onset`.
pub fn onset_dir(results_dir: &Path) -> PathBuf {
    deepskip_runs::ResultsLayout::new(results_dir).onset_dir()
}

/// Every run's study under `results_dir`, sorted by data set, model and seed; none when the
/// study was not run.
pub fn load_onset_runs(results_dir: &Path) -> Result<Vec<OnsetRun>, ReportError> {
    let root = onset_dir(results_dir);
    let mut runs = Vec::new();
    for dataset in sorted_dirs(&root)? {
        for run in sorted_dirs(&dataset)? {
            let file = run.join(ONSET_FILE);
            // A study moved aside (`<model>-s<seed>.old-<time>`) is not the current one.
            let moved_aside = run
                .file_name()
                .is_some_and(|n| n.to_string_lossy().contains(".old-"));
            if file.is_file() && !moved_aside {
                runs.push(read_onset_run(&file)?);
            }
        }
    }
    runs.sort_by(|a, b| (&a.dataset, &a.model, a.seed).cmp(&(&b.dataset, &b.model, b.seed)));
    Ok(runs)
}

fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let entries = std::fs::read_dir(dir).map_err(ReportError::io(dir))?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    Ok(dirs)
}
