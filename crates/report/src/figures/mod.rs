//! The figures of the report, one file per figure kind; each is drawn as SVG and PNG.

mod condition;
mod depth_sweep;
mod effective_rank;
mod font;
mod histograms;
mod legend;
mod onset;
mod onset_curve;
mod onset_growth;
mod onset_heatmap;
mod palette;
mod render;
mod run_figures;
mod spectrum;
mod training;

pub use condition::INFINITY_LABEL;
pub(crate) use depth_sweep::depth_sweep;
pub(crate) use onset::onset_figures;
pub(crate) use palette::short_number;
pub use render::{Figure, FigureKind};
pub use run_figures::run_figures;

use crate::paper_reference::{chance_accuracy, dataset_label, model_label};
use crate::results::{Results, RunResult};
use crate::ReportError;
use condition::{ConditionOf, ConditionPlot, ConditionSeries, Kappa};
use histograms::HistogramPlot;
use palette::{model_color, run_label};
use render::render;
use training::{TrainingPlot, TrainingSeries};

/// The run that stands for a model in per-layer figures: its lowest seed with data.
pub(crate) fn representative<'a>(
    runs: &[&'a RunResult],
    has_data: impl Fn(&RunResult) -> bool,
) -> Vec<&'a RunResult> {
    let mut chosen: Vec<&RunResult> = Vec::new();
    for run in runs.iter().copied().filter(|r| has_data(r)) {
        match chosen
            .iter_mut()
            .find(|c| c.summary.model == run.summary.model)
        {
            Some(c) if run.summary.seed < c.summary.seed => *c = run,
            Some(_) => {}
            None => chosen.push(run),
        }
    }
    chosen
}

fn several_seeds(runs: &[&RunResult]) -> bool {
    let mut seeds: Vec<u64> = runs.iter().map(|r| r.summary.seed).collect();
    seeds.sort_unstable();
    seeds.dedup();
    seeds.len() > 1
}

fn training_figure(dataset: &str, runs: &[&RunResult]) -> Result<Option<Figure>, ReportError> {
    let with_metrics: Vec<&RunResult> = runs
        .iter()
        .copied()
        .filter(|r| !r.metrics.is_empty())
        .collect();
    if with_metrics.is_empty() {
        return Ok(None);
    }
    let seeds = several_seeds(&with_metrics);
    let series = with_metrics
        .iter()
        .enumerate()
        .map(|(i, r)| TrainingSeries {
            label: run_label(&r.summary.model, seeds.then_some(r.summary.seed)),
            color: model_color(&r.summary.model, i),
            metrics: r.metrics.clone(),
        })
        .collect();
    let plot = TrainingPlot {
        dataset: dataset.to_string(),
        series,
        chance: chance_accuracy(dataset),
    };
    let caption = format!(
        "Training loss (log scale) and accuracy per epoch on {} (paper Figs. 3-4).",
        dataset_label(dataset)
    );
    render(&plot, FigureKind::Training, dataset, caption).map(Some)
}

fn condition_figure(
    dataset: &str,
    runs: &[&RunResult],
    of: ConditionOf,
) -> Result<Option<Figure>, ReportError> {
    let rows = |r: &RunResult| match of {
        ConditionOf::Hidden => r.hidden_condition.clone(),
        ConditionOf::Weights => r.weight_condition.clone(),
    };
    let chosen = representative(runs, |r| !rows(r).is_empty());
    if chosen.is_empty() {
        return Ok(None);
    }
    let series = chosen
        .iter()
        .enumerate()
        .map(|(i, r)| ConditionSeries {
            label: model_label(&r.summary.model),
            color: model_color(&r.summary.model, i),
            // A layer with NaN/inf values has no kappa; like the paper (missing = infinite) it
            // is drawn on the ∞ row, with its own marker.
            points: rows(r)
                .iter()
                .map(|row| (row.layer, Kappa::of(row)))
                .collect(),
        })
        .collect();
    let plot = ConditionPlot {
        dataset: dataset.to_string(),
        of,
        series,
    };
    let (kind, caption) = match of {
        ConditionOf::Hidden => (
            FigureKind::HiddenCondition,
            format!(
                "Condition number of each layer's hidden representation on {} (paper Fig. 13); \
                 crosses on the top row marked “{INFINITY_LABEL}” are layers whose \
                 representation is numerically rank-deficient (κ = ∞), triangles layers with \
                 NaN/inf values (no spectrum; the paper leaves both out).",
                dataset_label(dataset)
            ),
        ),
        ConditionOf::Weights => (
            FigureKind::WeightCondition,
            format!(
                "Condition number of each layer's weight matrix on {} (paper Figs. 11-12).",
                dataset_label(dataset)
            ),
        ),
    };
    render(&plot, kind, dataset, caption).map(Some)
}

fn histogram_figures(dataset: &str, runs: &[&RunResult]) -> Result<Vec<Figure>, ReportError> {
    representative(runs, |r| r.layer_stats.is_some())
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let stats = r.layer_stats.clone()?;
            Some((i, r, stats))
        })
        .map(|(i, r, stats)| {
            let plot = HistogramPlot {
                dataset: dataset.to_string(),
                model: r.summary.model.clone(),
                depth: r.summary.depth,
                color: model_color(&r.summary.model, i),
                stats,
            };
            let caption = format!(
                "Distribution of unit activations and weights of {} on {}: first layer and the \
                 layer nearest 160/164 of the depth (paper Figs. 5-10).",
                model_label(&r.summary.model),
                dataset_label(dataset)
            );
            render(&plot, FigureKind::Histograms, dataset, caption)
        })
        .collect()
}

/// Every figure for every data set of the results, in report order: per data set, training,
/// histograms, weight condition, hidden condition, effective rank, spectrum heat maps.
pub fn build_figures(results: &Results) -> Result<Vec<Figure>, ReportError> {
    let mut figures = Vec::new();
    for dataset in results.datasets() {
        let runs: Vec<&RunResult> = results.runs_for(&dataset).collect();
        figures.extend(training_figure(&dataset, &runs)?);
        figures.extend(histogram_figures(&dataset, &runs)?);
        figures.extend(condition_figure(&dataset, &runs, ConditionOf::Weights)?);
        figures.extend(condition_figure(&dataset, &runs, ConditionOf::Hidden)?);
        figures.extend(run_figures::effective_rank_figure(&dataset, &runs)?);
        figures.extend(run_figures::spectrum_figures(&dataset, &runs)?);
    }
    Ok(figures)
}
