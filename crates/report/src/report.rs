//! The entry point: read a results directory and write every output into it.

use std::path::{Path, PathBuf};

use crate::figures::{build_figures, Figure};
use crate::findings::dataset_findings;
use crate::html::ReportPage;
use crate::results::Results;
use crate::tables::{build_tables, tables_markdown};
use crate::{write_run_figures, ProfileDescription, ReportError};
use deepskip_runs::write_atomic;
use deepskip_runs::ResultsLayout;

/// The files [`write_report`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFiles {
    pub tables_markdown: PathBuf,
    /// `table_1.csv` to `table_4.csv`, in order.
    pub table_csvs: Vec<PathBuf>,
    /// Every figure, SVG then PNG, under `figures/`.
    pub figures: Vec<PathBuf>,
    /// Each analysed run's own figures, under `<run>/analysis/figures/`.
    pub run_figures: Vec<PathBuf>,
    pub html: PathBuf,
}

/// Reads `results_dir` (as `deepskip reproduce` writes it) and writes `tables.md`,
/// `table_{1,2,3,4}.csv`, `figures/*.{svg,png}` and `report.html` into it, each through a
/// temporary file and a rename.
pub fn write_report(
    results_dir: &Path,
    profile: &ProfileDescription,
) -> Result<ReportFiles, ReportError> {
    let results = Results::load(results_dir)?;
    let tables = build_tables(&results);
    let mut figure_files = Vec::new();
    let mut run_figures = Vec::new();

    let tables_md = results_dir.join("tables.md");
    write_atomic(&tables_md, tables_markdown(&tables, profile).as_bytes())?;
    let mut table_csvs = Vec::new();
    for table in &tables {
        let path = results_dir.join(format!("table_{}.csv", table.paper.number));
        let text = table.csv().map_err(|source| ReportError::Csv {
            path: path.clone(),
            source,
        })?;
        write_atomic(&path, text.as_bytes())?;
        table_csvs.push(path);
    }

    for run in &results.runs {
        if let Some(rel) = &run.summary.run_dir {
            let layout = ResultsLayout::new(results_dir).run(rel);
            run_figures.extend(write_run_figures(
                &layout,
                &run.summary.model,
                &run.summary.dataset,
            )?);
        }
    }
    let figures = build_figures(&results)?;
    let beyond = crate::beyond::build_section(results_dir)?;
    let figure_dir = results_dir.join("figures");
    for figure in figures.iter().chain(beyond.figures()) {
        figure_files.extend(write_figure(&figure_dir, figure)?);
    }

    let findings: Vec<(String, Vec<String>)> = results
        .datasets()
        .into_iter()
        .map(|d| {
            let mut statements = dataset_findings(&results, &d);
            statements.extend(crate::prediction_census::dataset_sentences(&results, &d));
            (d, statements)
        })
        .collect();
    let study_points = crate::studies::load_points(results_dir)?;
    let (beyond_the_paper, study_figures) = crate::studies::studies_section(&study_points)?;
    for figure in &study_figures {
        figure_files.extend(write_figure(&figure_dir, figure)?);
    }
    let page = ReportPage {
        beyond_the_paper: &beyond_the_paper,
        profile,
        results: &results,
        tables: &tables,
        figures: &figures,
        findings: &findings,
        beyond: &beyond,
    };
    let html = results_dir.join("report.html");
    write_atomic(&html, page.render().as_bytes())?;

    Ok(ReportFiles {
        tables_markdown: tables_md,
        table_csvs,
        figures: figure_files,
        run_figures,
        html,
    })
}

/// Writes `figure` as `<dir>/<name>.svg` and `.png`; their paths.
fn write_figure(dir: &Path, figure: &Figure) -> Result<[PathBuf; 2], ReportError> {
    let svg = dir.join(format!("{}.svg", figure.name));
    write_atomic(&svg, figure.svg.as_bytes())?;
    let png = dir.join(format!("{}.png", figure.name));
    write_atomic(&png, &figure.png)?;
    Ok([svg, png])
}
