//! The error type of deepskip-report.

use std::path::PathBuf;

/// Everything that can go wrong in deepskip-report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// An I/O operation on `path` failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A JSON file (or one line of a JSON-lines file) does not hold what its schema says.
    #[error("{path}{}: not a valid {what}: {source}; regenerate it (rerun the step that writes it) or remove it", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Json {
        path: PathBuf,
        /// 1-based line number for JSON-lines files.
        line: Option<usize>,
        /// What the file should contain, e.g. "summary.json (a list of RunSummary)".
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// An output file could not be written.
    #[error(transparent)]
    Runs(#[from] deepskip_runs::RunsError),
    /// A CSV file does not hold the expected columns.
    #[error("{path}: not a valid condition-number table (expected columns layer,name,shape,sigma_max,sigma_min,kappa,rank): {source}; rerun `deepskip analyze` for this run")]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    /// The results directory has no `summary.json`.
    #[error("{path}: no summary.json here; pass the directory `deepskip reproduce` wrote (results/<profile>/)")]
    MissingSummary { path: PathBuf },
    /// A run's stored spectra could not be read or turned into table rows.
    #[error(transparent)]
    Spectra(#[from] deepskip_spectra::SpectraError),
    /// plotters failed to draw a figure.
    #[error("figure {figure}: drawing failed: {message}")]
    Plot { figure: String, message: String },
    /// A rendered figure could not be encoded as PNG.
    #[error("figure {figure}: PNG encoding failed: {message}")]
    Png { figure: String, message: String },
    /// The embedded font could not be loaded (a broken build of this crate).
    #[error("the embedded font {name} could not be parsed; reinstall deepskip-report")]
    Font { name: &'static str },
}

impl ReportError {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}
