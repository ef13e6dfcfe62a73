//! The figures of the onset study for one followed run: the layer x step heat map, the onset
//! layer against the step, and the weights and gradients per layer.

use plotters::prelude::SegmentValue;
use plotters::style::RGBColor;

use super::onset_curve::{OnsetCurve, OnsetSeries};
use super::onset_growth::OnsetGrowth;
use super::onset_heatmap::OnsetHeatmap;
use super::render::{render, Figure, FigureKind};
use crate::beyond::onset_data::{OnsetPoint, OnsetRun, Pass, SingularRule};
use crate::paper_reference::{dataset_label, model_label};
use crate::ReportError;

/// `"<what> — PlainNet-164, MNIST"`: a figure title naming the run.
pub(super) fn run_title(what: &str, run: &OnsetRun) -> String {
    format!(
        "{what} — {}, {}",
        model_label(&run.model),
        dataset_label(&run.dataset)
    )
}

/// The tick label of a column of a step axis: the step of the point it shows.
pub(super) fn step_label(points: &[OnsetPoint], v: &SegmentValue<i32>) -> String {
    match v {
        SegmentValue::CenterOf(i) => points
            .get(*i as usize)
            .map(|p| p.step.to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// The lines of the onset figure: the three rules on the batch-statistics pass, then the
/// default rule on the other passes that were taken.
fn onset_series(run: &OnsetRun) -> Vec<OnsetSeries> {
    let colors = [
        RGBColor(214, 39, 40),
        RGBColor(31, 119, 180),
        RGBColor(44, 160, 44),
        RGBColor(255, 127, 14),
        RGBColor(148, 103, 189),
    ];
    let mut lines: Vec<(Pass, SingularRule)> = SingularRule::ALL
        .iter()
        .map(|&rule| (Pass::Batch, rule))
        .collect();
    for pass in [Pass::Running, Pass::BatchF64] {
        if run.points.iter().any(|p| !p.layers(pass).is_empty()) {
            lines.push((pass, SingularRule::DataPrecision));
        }
    }
    lines
        .into_iter()
        .zip(colors.iter().cycle())
        .map(|((pass, rule), &color)| OnsetSeries { color, pass, rule })
        .collect()
}

/// The three figures of a followed run (none for an initialisation-only study).
pub(crate) fn onset_figures(run: &OnsetRun) -> Result<Vec<Figure>, ReportError> {
    if !run.is_trajectory() || run.points.is_empty() {
        return Ok(Vec::new());
    }
    let who = format!(
        "{} on {}",
        model_label(&run.model),
        dataset_label(&run.dataset)
    );
    let kind = FigureKind::BeyondPaper;
    let heatmap = OnsetHeatmap {
        run: run.clone(),
        passes: vec![Pass::Batch, Pass::Running],
    };
    let curve = OnsetCurve {
        run: run.clone(),
        series: onset_series(run),
    };
    let growth = OnsetGrowth { run: run.clone() };
    Ok(vec![
        render(
            &heatmap,
            kind,
            &run.dataset,
            format!(
                "log10 κ of every layer's hidden representation of {who} at each analysed \
                 step ({} samples, default tolerance), with BN batch statistics (left) and \
                 running statistics (right); black: singular (κ = ∞), magenta: non-finite \
                 values, orange dot: dead BN statistics.",
                run.samples
            ),
        )?,
        render(
            &curve,
            kind,
            &run.dataset,
            format!(
                "The first singular layer of {who} against the training step under each rule \
                 and pass (“{}”: no layer is singular).",
                super::onset_curve::NO_ONSET_LABEL
            ),
        )?,
        render(
            &growth,
            kind,
            &run.dataset,
            format!(
                "Largest |w| of each layer's kernel and the norm of each layer's gradient of \
                 {who} at the analysed steps (the gradient of the update taken from that \
                 step's weights)."
            ),
        )?,
    ])
}
