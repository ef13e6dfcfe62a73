//! Reading a results directory: `summary.json` and, for each run, its metrics and analysis.

use std::fs;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::paper_reference::PAPER_TABLES;
use crate::ReportError;
use deepskip_runs::schema::{EpochMetrics, RunSummary};
use deepskip_runs::{parse_metrics, ResultsLayout, RunLayout};
use deepskip_spectra::records::{LayerConditionRow, LayerStatsFile};
use deepskip_spectra::{LayerSpectrum, RunSpectra};

/// Everything the report knows about one run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    pub summary: RunSummary,
    /// One entry per epoch; empty when the run has no `metrics.jsonl` (skipped).
    pub metrics: Vec<EpochMetrics>,
    /// Per-layer condition numbers of the hidden representations; empty when not analysed.
    pub hidden_condition: Vec<LayerConditionRow>,
    /// Per-layer condition numbers of the weights; empty when not analysed.
    pub weight_condition: Vec<LayerConditionRow>,
    /// Activation and weight statistics; `None` when not analysed.
    pub layer_stats: Option<LayerStatsFile>,
    /// The hidden representations' full spectra (`analysis/spectra.safetensors`); empty when
    /// the run was not analysed or was analysed before spectra were stored.
    pub hidden_spectra: Vec<LayerSpectrum>,
}

/// A results directory as `deepskip reproduce` writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    pub dir: PathBuf,
    /// In `summary.json` order.
    pub runs: Vec<RunResult>,
}

impl Results {
    /// Reads `<dir>/summary.json` and every run directory it names. Missing metrics and
    /// analysis files are tolerated (skipped or diverged runs); malformed ones are errors.
    pub fn load(dir: &Path) -> Result<Self, ReportError> {
        let summary_path = ResultsLayout::new(dir).summary();
        if !summary_path.is_file() {
            return Err(ReportError::MissingSummary {
                path: dir.to_path_buf(),
            });
        }
        let summaries: Vec<RunSummary> =
            read_json(&summary_path, "summary.json (a list of RunSummary objects)")?;
        let runs = summaries
            .into_iter()
            .map(|summary| load_run(dir, summary))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            dir: dir.to_path_buf(),
            runs,
        })
    }

    /// The data sets present, the paper's tables' order first, then any others by name.
    pub fn datasets(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for run in &self.runs {
            if !names.contains(&run.summary.dataset) {
                names.push(run.summary.dataset.clone());
            }
        }
        let rank = |name: &String| {
            crate::paper_reference::paper_table(name)
                .map(|t| t.number as usize)
                .unwrap_or(PAPER_TABLES.len() + 1)
        };
        names.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
        names
    }

    /// The runs of one data set, in `summary.json` order.
    pub fn runs_for<'a>(&'a self, dataset: &'a str) -> impl Iterator<Item = &'a RunResult> + 'a {
        self.runs
            .iter()
            .filter(move |r| crate::paper_reference::same_dataset(&r.summary.dataset, dataset))
    }
}

/// Where a run's files live: the summary's `run_dir`, else the layout `reproduce` uses.
pub fn run_dir(results_dir: &Path, summary: &RunSummary) -> PathBuf {
    match &summary.run_dir {
        Some(rel) => results_dir.join(rel),
        None => results_dir.join(ResultsLayout::run_rel_dir(
            &summary.dataset,
            &summary.model,
            summary.seed,
        )),
    }
}

pub(crate) fn load_run(results_dir: &Path, summary: RunSummary) -> Result<RunResult, ReportError> {
    let run = RunLayout::new(run_dir(results_dir, &summary));
    let stats_path = run.layer_stats();
    let layer_stats = if stats_path.is_file() {
        Some(read_json(
            &stats_path,
            "layer_stats.json (activation and weight statistics per layer)",
        )?)
    } else {
        None
    };
    let spectra_path = run.spectra();
    let hidden_spectra = if spectra_path.is_file() {
        RunSpectra::read(&spectra_path)?.hidden
    } else {
        Vec::new()
    };
    Ok(RunResult {
        hidden_spectra,
        metrics: read_metrics(&run.metrics())?,
        hidden_condition: read_condition_csv(&run.hidden_condition())?,
        weight_condition: read_condition_csv(&run.weight_condition())?,
        layer_stats,
        summary,
    })
}

pub(crate) fn read_json<T: DeserializeOwned>(
    path: &Path,
    what: &'static str,
) -> Result<T, ReportError> {
    let text = fs::read_to_string(path).map_err(ReportError::io(path))?;
    serde_json::from_str(&text).map_err(|source| ReportError::Json {
        path: path.to_path_buf(),
        line: None,
        what,
        source,
    })
}

/// Reads `metrics.jsonl`; a missing file is an empty history, a torn last line is dropped
/// (see [`parse_metrics`]).
pub fn read_metrics(path: &Path) -> Result<Vec<EpochMetrics>, ReportError> {
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let text = fs::read_to_string(path).map_err(ReportError::io(path))?;
    parse_metrics(&text).map_err(|(line, source)| ReportError::Json {
        path: path.to_path_buf(),
        line: Some(line),
        what: "metrics line (an EpochMetrics object)",
        source,
    })
}

/// Reads a condition-number CSV; a missing file is an empty table. `inf` parses as infinity.
pub fn read_condition_csv(path: &Path) -> Result<Vec<LayerConditionRow>, ReportError> {
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let to_err = |source| ReportError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = csv::Reader::from_path(path).map_err(to_err)?;
    let mut rows: Vec<LayerConditionRow> = reader
        .deserialize()
        .collect::<Result<_, _>>()
        .map_err(to_err)?;
    rows.sort_by_key(|r| r.layer);
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condition_csv_reads_infinite_kappa() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hidden_condition.csv");
        fs::write(
            &path,
            "layer,name,shape,sigma_max,sigma_min,kappa,rank\n\
             2,conv2,8x64,3.5,0,inf,5\n\
             1,conv1,8x64,2.0,0.5,4.0,8\n",
        )
        .unwrap();
        let rows = read_condition_csv(&path).unwrap();
        assert_eq!(rows[0].layer, 1);
        assert_eq!(rows[0].kappa, 4.0);
        assert!(rows[1].kappa.is_infinite() && rows[1].kappa > 0.0);
        assert_eq!(rows[1].rank, 5);
    }

    #[test]
    fn missing_files_are_empty_and_bad_lines_are_named() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_metrics(&dir.path().join("none.jsonl"))
            .unwrap()
            .is_empty());
        assert!(read_condition_csv(&dir.path().join("none.csv"))
            .unwrap()
            .is_empty());
        let bad = dir.path().join("metrics.jsonl");
        fs::write(&bad, "{\"epoch\": 1}\n").unwrap();
        let err = read_metrics(&bad).unwrap_err().to_string();
        assert!(err.contains("line 1"), "{err}");
        // The same line cut short by a crash (no final newline) is dropped, as the trainer does.
        fs::write(&bad, "{\"epoch\": 1, \"tr").unwrap();
        assert!(read_metrics(&bad).unwrap().is_empty());
    }

    #[test]
    fn missing_summary_says_what_to_pass() {
        let dir = tempfile::tempdir().unwrap();
        let err = Results::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("summary.json"), "{err}");
    }
}
