//! The onset study's subsections: every network at initialisation, then each followed run
//! through training (figures, a table per step and the numbers that answer "where and why
//! does it go singular"), all generated from `studies/onset/*/*/onset.json`.

use std::path::Path;

use super::onset_data::{
    load_onset_runs, OnsetPoint, OnsetRun, Pass, SingularRule, EFFECTIVE_RANK_FRACTION,
};
use super::{Subsection, TextTable};
use crate::figures::{onset_figures, short_number};
use crate::paper_reference::{dataset_label, model_label};
use crate::ReportError;

pub(super) fn subsections(results_dir: &Path) -> Result<Vec<Subsection>, ReportError> {
    let runs = load_onset_runs(results_dir)?;
    let initialised: Vec<&OnsetRun> = runs.iter().filter(|r| r.point(0).is_some()).collect();
    if initialised.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = vec![initialisation(&initialised)];
    for run in runs
        .iter()
        .filter(|r| r.is_trajectory() && r.points.len() > 1)
    {
        out.push(trajectory(run)?);
    }
    Ok(out)
}

fn who(run: &OnsetRun) -> String {
    format!(
        "{} on {}",
        model_label(&run.model),
        dataset_label(&run.dataset)
    )
}

/// `"none"` or `"k (first l)"`: how many layers `rule` calls singular under `pass`.
fn singular_cell(p: &OnsetPoint, pass: Pass, rule: SingularRule) -> String {
    if p.layers(pass).is_empty() {
        return "–".into();
    }
    match p.onset(pass, rule) {
        None => "none".into(),
        Some(first) => format!("{} (first {first})", p.singular_count(pass, rule)),
    }
}

/// The first singular layer, `"none"`, or `"–"` when the pass was not taken.
fn onset_cell(p: &OnsetPoint, pass: Pass, rule: SingularRule) -> String {
    if p.layers(pass).is_empty() {
        return "–".into();
    }
    p.onset(pass, rule)
        .map_or("none".into(), |layer| layer.to_string())
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    values.retain(|v| v.is_finite());
    values.sort_by(f64::total_cmp);
    let n = values.len();
    (n > 0).then(|| {
        if n % 2 == 1 {
            values[n / 2]
        } else {
            (values[n / 2 - 1] + values[n / 2]) / 2.0
        }
    })
}

fn number(v: Option<f64>) -> String {
    v.map_or("–".into(), short_number)
}

fn initialisation(runs: &[&OnsetRun]) -> Subsection {
    let header = [
        "Data set",
        "Model",
        "Layers",
        "Singular: default",
        "Singular: numpy-f32",
        "Effective rank < 0.1 min(N, D)",
        "Median κ",
        "Median effective rank",
        "Singular: running statistics",
        "Singular: f64",
    ];
    let mut rows = Vec::new();
    let mut sentences = Vec::new();
    let mut clean = 0;
    for run in runs {
        let Some(p) = run.point(0) else { continue };
        let batch = p.layers(Pass::Batch);
        let kappa = median(batch.iter().map(|l| l.kappa).collect());
        let eff = median(batch.iter().map(|l| l.effective_rank).collect());
        rows.push(vec![
            dataset_label(&run.dataset),
            model_label(&run.model),
            batch.len().to_string(),
            singular_cell(p, Pass::Batch, SingularRule::DataPrecision),
            singular_cell(p, Pass::Batch, SingularRule::NumpyF32),
            singular_cell(p, Pass::Batch, SingularRule::LowEffectiveRank),
            number(kappa),
            number(eff),
            singular_cell(p, Pass::Running, SingularRule::DataPrecision),
            singular_cell(p, Pass::BatchF64, SingularRule::DataPrecision),
        ]);
        let counts: Vec<usize> = SingularRule::ALL
            .iter()
            .map(|&r| p.singular_count(Pass::Batch, r))
            .collect();
        if counts.iter().all(|&c| c == 0) {
            clean += 1;
        }
        sentences.push(format!(
            "{}: {} of {} layers singular under the default tolerance, {} under numpy-f32, {} \
             with effective rank below {EFFECTIVE_RANK_FRACTION} min(N, D); median κ {}, \
             median effective rank {} of {}.",
            who(run),
            counts[0],
            batch.len(),
            counts[1],
            counts[2],
            number(kappa),
            number(eff),
            run.samples
        ));
    }
    let mut paragraphs = vec![format!(
        "{clean} of {} freshly initialised networks (the trained runs' seeds, before the first \
         step, {} samples, BN batch statistics) have no singular layer under any of the three \
         rules. Daneshmand et al. (2020) expect none: BN avoids rank collapse at \
         initialisation.",
        runs.len(),
        runs.first().map_or(0, |r| r.samples)
    )];
    paragraphs.extend(sentences);
    Subsection {
        id: "beyond-init".into(),
        title: "Hidden representations at initialisation".into(),
        paragraphs,
        tables: vec![TextTable {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows,
        }],
        figures: Vec::new(),
    }
}

/// `"0: none; 1: 2; ..."`: the onset of each point under `pass` and `rule`.
fn onset_list(run: &OnsetRun, pass: Pass, rule: SingularRule) -> String {
    run.points
        .iter()
        .filter(|p| !p.layers(pass).is_empty())
        .map(|p| format!("step {}: {}", p.step, onset_cell(p, pass, rule)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `"3.1e9 (layer 2)"`: the largest value of `measure` over the layers.
fn largest(
    p: &OnsetPoint,
    measure: impl Fn(&super::onset_data::LayerMagnitude) -> Option<f64>,
) -> String {
    p.weights
        .iter()
        .filter_map(|m| measure(m).filter(|v| !v.is_nan()).map(|v| (m.layer, v)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or("–".into(), |(layer, v)| {
            format!("{} (layer {layer})", short_number(v))
        })
}

/// Layers with non-finite running statistics: `"k (first l)"` or `"none"`.
fn non_finite_running(p: &OnsetPoint) -> String {
    let layers: Vec<usize> = p
        .weights
        .iter()
        .filter(|m| m.running_finite == Some(false))
        .map(|m| m.layer)
        .collect();
    match layers.first() {
        None => "none".into(),
        Some(first) => format!("{} (first {first})", layers.len()),
    }
}

fn bn_scale_range(p: &OnsetPoint) -> String {
    let (lo, hi) = p
        .weights
        .iter()
        .filter_map(|m| m.bn_scale)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| {
            (lo.min(r.min), hi.max(r.max))
        });
    if lo.is_finite() && hi.is_finite() {
        format!("{} to {}", short_number(lo), short_number(hi))
    } else {
        "–".into()
    }
}

fn step_table(run: &OnsetRun) -> TextTable {
    let header = [
        "Step",
        "Epoch end",
        "First singular: default",
        "numpy-f32",
        "effective rank",
        "Singular layers: default",
        "Running statistics: first singular",
        "Non-finite running statistics",
        "f64: first singular",
        "Largest |w|",
        "Largest gradient norm",
        "BN scale range",
    ];
    let rows = run
        .points
        .iter()
        .map(|p| {
            vec![
                p.step.to_string(),
                p.epoch_end.map_or(String::new(), |e| e.to_string()),
                onset_cell(p, Pass::Batch, SingularRule::DataPrecision),
                onset_cell(p, Pass::Batch, SingularRule::NumpyF32),
                onset_cell(p, Pass::Batch, SingularRule::LowEffectiveRank),
                p.singular_count(Pass::Batch, SingularRule::DataPrecision)
                    .to_string(),
                onset_cell(p, Pass::Running, SingularRule::DataPrecision),
                non_finite_running(p),
                onset_cell(p, Pass::BatchF64, SingularRule::DataPrecision),
                largest(p, |m| Some(m.max_abs_weight)),
                largest(p, |m| m.grad_norm),
                bn_scale_range(p),
            ]
        })
        .collect();
    TextTable {
        header: header.iter().map(|h| h.to_string()).collect(),
        rows,
    }
}

/// The change of one layer's largest |w| from the first to the last point.
fn layer_growth(run: &OnsetRun, layer: usize) -> Option<String> {
    let first = run.points.first()?.magnitude(layer)?.max_abs_weight;
    let last = run.points.last()?;
    let end = last.magnitude(layer)?.max_abs_weight;
    Some(format!(
        "layer {layer}'s largest |w| went from {} at step 0 to {} at step {}",
        short_number(first),
        short_number(end),
        last.step
    ))
}

fn trajectory(run: &OnsetRun) -> Result<Subsection, ReportError> {
    let steps: Vec<String> = run.points.iter().map(|p| p.step.to_string()).collect();
    let mut paragraphs = vec![format!(
        "{}: {} points of the run's {} steps (steps {}), {} samples each, from a replay of \
         the run that records the weights at those steps.",
        who(run),
        run.points.len(),
        run.total_steps,
        steps.join(", "),
        run.samples
    )];
    for rule in SingularRule::ALL {
        paragraphs.push(format!(
            "First singular layer, {}, BN batch statistics: {}.",
            rule.label(),
            onset_list(run, Pass::Batch, rule)
        ));
    }
    for pass in [Pass::Running, Pass::BatchF64] {
        if run.points.iter().any(|p| !p.layers(pass).is_empty()) {
            paragraphs.push(format!(
                "First singular layer, default tolerance, {}: {}.",
                pass.label(),
                onset_list(run, pass, SingularRule::DataPrecision)
            ));
        }
    }
    let running: Vec<String> = run
        .points
        .iter()
        .map(|p| format!("step {}: {}", p.step, non_finite_running(p)))
        .collect();
    paragraphs.push(format!(
        "Layers with non-finite BN running statistics: {}.",
        running.join("; ")
    ));
    let growth: Vec<String> = [2, 1]
        .iter()
        .filter_map(|&l| layer_growth(run, l))
        .collect();
    let grads: Vec<String> = run
        .points
        .iter()
        .filter(|p| p.weights.iter().any(|m| m.grad_norm.is_some()))
        .map(|p| format!("step {}: {}", p.step, largest(p, |m| m.grad_norm)))
        .collect();
    if !growth.is_empty() {
        paragraphs.push(format!(
            "{}; largest gradient norm per step: {}.",
            growth.join(", "),
            grads.join("; ")
        ));
    }
    Ok(Subsection {
        id: format!(
            "beyond-trajectory-{}-{}-s{}",
            run.dataset, run.model, run.seed
        ),
        title: format!("{} during training", who(run)),
        paragraphs,
        tables: vec![step_table(run)],
        figures: onset_figures(run)?,
    })
}
