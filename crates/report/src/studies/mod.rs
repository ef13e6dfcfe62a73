//! The studies beyond the paper that the reproduction runs on request (`--study depth`,
//! `--study init`): which runs belong to which study (`studies.json`, written by the
//! reproduction), what each run measured (accuracy, onset of singularity, what it predicts),
//! and their subsections of the report's "Beyond the paper" section.

mod depth;
mod init;
mod point;

pub use depth::{depth_sweep_figure, depth_sweep_html, depth_sweep_sentences};
pub use init::{init_html, init_sentences};
pub use point::{Study, StudyPoint, StudyRun};

use crate::figures::Figure;
use crate::results::{load_run, read_json};
use crate::ReportError;
use std::path::Path;

/// The measured points of every study run in `<results>/studies.json`; none when the
/// reproduction ran no study.
pub fn load_points(results_dir: &Path) -> Result<Vec<StudyPoint>, ReportError> {
    let path = deepskip_runs::ResultsLayout::new(results_dir).studies();
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let runs: Vec<StudyRun> = read_json(&path, "studies.json (a list of study runs)")?;
    runs.into_iter()
        .map(|run| {
            let result = load_run(results_dir, run.summary.clone())?;
            Ok(StudyPoint::measure(run, &result))
        })
        .collect()
}

/// The studies' subsections of "Beyond the paper" (HTML) and their figures; empty when no
/// study ran.
pub fn studies_section(points: &[StudyPoint]) -> Result<(String, Vec<Figure>), ReportError> {
    let mut html = String::new();
    let mut figures = Vec::new();
    for dataset in datasets_of(points, Study::Depth) {
        let figure = depth_sweep_figure(points, &dataset)?;
        html.push_str(&depth_sweep_html(points, &dataset, figure.as_ref()));
        figures.extend(figure);
    }
    if points.iter().any(|p| p.study == Study::Init) {
        html.push_str(&init_html(points));
    }
    Ok((html, figures))
}

/// The data sets a study ran on, in first-seen order.
pub(crate) fn datasets_of(points: &[StudyPoint], study: Study) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in points.iter().filter(|p| p.study == study) {
        if !out.contains(&p.dataset) {
            out.push(p.dataset.clone());
        }
    }
    out
}
