//! The figures made from the full spectra and the threshold-free measures: the effective rank
//! per layer (all models of a data set on one plot), a spectrum heat map per run, and the
//! figures of one run alone, which `deepskip analyze` writes beside its tables.

use super::condition::{ConditionOf, ConditionPlot, ConditionSeries, Kappa};
use super::effective_rank::{EffectiveRankPlot, RankSeries};
use super::palette::model_color;
use super::render::{render, Figure, FigureKind};
use super::representative;
use super::spectrum::{SpectrumColumn, SpectrumHeatMap};
use crate::like_for_like::matrix_shape;
use crate::paper_reference::{dataset_label, model_label};
use crate::results::RunResult;
use crate::ReportError;
use deepskip_spectra::records::LayerConditionRow;
use deepskip_spectra::LayerSpectrum;

/// The largest `min(N, D)` of the rows: the highest rank any of them can have.
fn full_rank(rows: &[&[LayerConditionRow]]) -> Option<usize> {
    rows.iter()
        .flat_map(|r| r.iter())
        .filter_map(|r| matrix_shape(&r.shape).map(|(n, d)| n.min(d)))
        .max()
}

fn effective_rank_plot(
    dataset: &str,
    models: &[(&str, &[LayerConditionRow])],
) -> Option<EffectiveRankPlot> {
    let series: Vec<RankSeries> = models
        .iter()
        .enumerate()
        .map(|(i, (model, rows))| RankSeries::of(model_label(model), model_color(model, i), rows))
        .filter(|s| !s.is_empty())
        .collect();
    if series.iter().all(|s| s.points.is_empty()) {
        return None;
    }
    let rows: Vec<&[LayerConditionRow]> = models.iter().map(|m| m.1).collect();
    Some(EffectiveRankPlot {
        dataset: dataset.to_string(),
        series,
        full_rank: full_rank(&rows),
    })
}

fn effective_rank_caption(dataset: &str) -> String {
    format!(
        "Effective rank (Roy and Vetterli 2007, the exponential of the entropy of the \
         normalised spectrum; threshold-free) of each layer's raw N × D representation on {}; \
         dashed: the largest possible value. Triangles on the bottom row: layers with NaN/inf \
         values.",
        dataset_label(dataset)
    )
}

/// The effective rank of every model of a data set (the lowest seed with data), on one plot.
pub(crate) fn effective_rank_figure(
    dataset: &str,
    runs: &[&RunResult],
) -> Result<Option<Figure>, ReportError> {
    let chosen = representative(runs, |r| !r.hidden_condition.is_empty());
    let models: Vec<(&str, &[LayerConditionRow])> = chosen
        .iter()
        .map(|r| (r.summary.model.as_str(), r.hidden_condition.as_slice()))
        .collect();
    match effective_rank_plot(dataset, &models) {
        Some(plot) => render(
            &plot,
            FigureKind::EffectiveRank,
            dataset,
            effective_rank_caption(dataset),
        )
        .map(Some),
        None => Ok(None),
    }
}

fn heat_map(
    dataset: &str,
    model: &str,
    rows: &[LayerConditionRow],
    spectra: &[LayerSpectrum],
) -> SpectrumHeatMap {
    SpectrumHeatMap {
        dataset: dataset.to_string(),
        label: model_label(model),
        stem: model.to_ascii_lowercase(),
        tolerance: rows
            .first()
            .map(|r| r.tolerance.clone())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "the table's tolerance".into()),
        columns: spectra
            .iter()
            .map(|l| SpectrumColumn::of(l, rows))
            .collect(),
    }
}

fn heat_map_caption(dataset: &str, model: &str) -> String {
    format!(
        "Every singular value of each layer's raw N × D representation of {} on {}, as \
         log10(σi/σmax) (from analysis/spectra.safetensors); the red line is the numerical \
         rank of the table, black cells exact zeros, grey columns layers with NaN/inf values.",
        model_label(model),
        dataset_label(dataset)
    )
}

/// One heat map per model of a data set (the lowest seed with stored spectra).
pub(crate) fn spectrum_figures(
    dataset: &str,
    runs: &[&RunResult],
) -> Result<Vec<Figure>, ReportError> {
    representative(runs, |r| !r.hidden_spectra.is_empty())
        .iter()
        .map(|r| {
            let model = &r.summary.model;
            let plot = heat_map(dataset, model, &r.hidden_condition, &r.hidden_spectra);
            render(
                &plot,
                FigureKind::SpectrumHeatMap,
                dataset,
                heat_map_caption(dataset, model),
            )
        })
        .collect()
}

/// The figures of one run's analysis: κ per layer, effective rank per layer and the spectrum
/// heat map of its hidden representations (the heat map only when `spectra` is not empty).
pub fn run_figures(
    model: &str,
    dataset: &str,
    rows: &[LayerConditionRow],
    spectra: &[LayerSpectrum],
) -> Result<Vec<Figure>, ReportError> {
    let mut figures = Vec::new();
    let condition = ConditionPlot {
        dataset: dataset.to_string(),
        of: ConditionOf::Hidden,
        series: vec![ConditionSeries {
            label: model_label(model),
            color: model_color(model, 0),
            points: rows.iter().map(|r| (r.layer, Kappa::of(r))).collect(),
        }],
    };
    let caption = format!(
        "Condition number of each layer's hidden representation of {}.",
        model_label(model)
    );
    figures.push(render(
        &condition,
        FigureKind::HiddenCondition,
        dataset,
        caption,
    )?);
    if let Some(plot) = effective_rank_plot(dataset, &[(model, rows)]) {
        figures.push(render(
            &plot,
            FigureKind::EffectiveRank,
            dataset,
            effective_rank_caption(dataset),
        )?);
    }
    if !spectra.is_empty() {
        let plot = heat_map(dataset, model, rows, spectra);
        figures.push(render(
            &plot,
            FigureKind::SpectrumHeatMap,
            dataset,
            heat_map_caption(dataset, model),
        )?);
    }
    Ok(figures)
}
