//! "What this shows": short statements per data set computed from the numbers, so that the
//! report's prose can never disagree with its tables and figures.

use crate::paper_reference::{chance_accuracy, dataset_label, model_label};
use crate::results::{Results, RunResult};
use crate::schema::{LayerConditionRow, LayerStatus, RunState};
use crate::tables::SeedSpread;

/// Where a model's hidden representations are singular (κ = ∞).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Singularity {
    /// Layers with a condition number.
    pub analysed: usize,
    /// Layers whose representation is singular.
    pub singular: usize,
    /// The first singular layer.
    pub first_singular: Option<usize>,
    /// The layer from which every analysed layer on is singular, if any.
    pub singular_from: Option<usize>,
    /// Median of the finite condition numbers.
    pub median_finite_kappa: Option<f64>,
    /// Of the singular layers, those with NaN/inf values (no singular values at all).
    pub non_finite: usize,
}

impl Singularity {
    pub fn of(rows: &[LayerConditionRow]) -> Self {
        let mut sorted: Vec<&LayerConditionRow> = rows.iter().collect();
        sorted.sort_by_key(|r| r.layer);
        fn singular(r: &&LayerConditionRow) -> bool {
            r.is_singular()
        }
        let singular_from = sorted
            .iter()
            .rposition(|r| !singular(r))
            .map_or(sorted.first(), |last_finite| sorted.get(last_finite + 1))
            .map(|r| r.layer);
        let mut finite: Vec<f64> = sorted
            .iter()
            .map(|r| r.kappa)
            .filter(|k| k.is_finite())
            .collect();
        finite.sort_by(f64::total_cmp);
        Self {
            analysed: sorted.len(),
            singular: sorted.iter().filter(|r| singular(r)).count(),
            first_singular: sorted.iter().find(|r| singular(r)).map(|r| r.layer),
            singular_from,
            median_finite_kappa: finite.get(finite.len() / 2).copied(),
            non_finite: sorted
                .iter()
                .filter(|r| r.status == Some(LayerStatus::NonFinite))
                .count(),
        }
    }
}

fn accuracy_sentence(model: &str, runs: &[&RunResult], chance: Option<f64>) -> Option<String> {
    let measured: Vec<&&RunResult> = runs
        .iter()
        .filter(|r| matches!(r.summary.state, RunState::Finished | RunState::Diverged))
        .collect();
    let train = SeedSpread::of(
        &measured
            .iter()
            .filter_map(|r| r.summary.train_acc)
            .collect::<Vec<_>>(),
    )?;
    let test = SeedSpread::of(
        &measured
            .iter()
            .filter_map(|r| r.summary.test_acc)
            .collect::<Vec<_>>(),
    );
    let test_text = test
        .map(|t| format!(" and {} test", t.percent()))
        .unwrap_or_default();
    let chance_text = match chance {
        Some(c) => {
            let gap = (train.mean - c) * 100.0;
            if gap.abs() < 5.0 {
                format!(
                    ", within {:.1} points of chance ({:.0}%): it did not learn",
                    gap.abs(),
                    c * 100.0
                )
            } else {
                format!(", {gap:+.1} points from chance ({:.0}%)", c * 100.0)
            }
        }
        None => String::new(),
    };
    let diverged = if measured
        .iter()
        .any(|r| r.summary.state == RunState::Diverged)
    {
        " (a run diverged; its last good epoch counts)"
    } else {
        ""
    };
    Some(format!(
        "{} reaches {} train{test_text} accuracy{chance_text}{diverged}.",
        model_label(model),
        train.percent()
    ))
}

fn singularity_sentence(model: &str, s: &Singularity) -> Option<String> {
    if s.analysed == 0 {
        return None;
    }
    let name = model_label(model);
    let text = match (s.first_singular, s.singular_from) {
        (None, _) => format!(
            "{name}'s hidden representation is never singular over the {} analysed layers{}.",
            s.analysed,
            s.median_finite_kappa
                .map(|k| format!(" (median κ {k:.3e})"))
                .unwrap_or_default()
        ),
        (Some(first), Some(from)) if from == first => format!(
            "{name}'s hidden representation is singular (κ = ∞) from layer {from} on \
             ({} of {} analysed layers{}).",
            s.singular,
            s.analysed,
            non_finite_note(s)
        ),
        (Some(first), _) => format!(
            "{name}'s hidden representation is singular (κ = ∞) at {} of {} analysed layers{}, \
             first at layer {first}.",
            s.singular,
            s.analysed,
            non_finite_note(s)
        ),
    };
    Some(text)
}

fn non_finite_note(s: &Singularity) -> String {
    if s.non_finite == 0 {
        String::new()
    } else {
        format!("; {} of them hold NaN/inf values", s.non_finite)
    }
}

/// The representative run of a model for per-layer statements: lowest seed with analysis.
fn analysed_run<'a>(runs: &[&'a RunResult]) -> Option<&'a RunResult> {
    runs.iter()
        .copied()
        .filter(|r| !r.hidden_condition.is_empty())
        .min_by_key(|r| r.summary.seed)
}

/// Statements about one data set's runs: accuracy against chance, where representations
/// become singular, and how ResNet's and ResNeXt's conditioning compare.
pub fn dataset_findings(results: &Results, dataset: &str) -> Vec<String> {
    let runs: Vec<&RunResult> = results.runs_for(dataset).collect();
    let mut models: Vec<&str> = Vec::new();
    for r in &runs {
        if !models.contains(&r.summary.model.as_str()) {
            models.push(&r.summary.model);
        }
    }
    let chance = chance_accuracy(dataset);
    let mut out = Vec::new();
    let mut medians = Vec::new();
    for model in &models {
        let mine: Vec<&RunResult> = runs
            .iter()
            .copied()
            .filter(|r| r.summary.model == *model)
            .collect();
        if let Some(sentence) = accuracy_sentence(model, &mine, chance) {
            out.push(sentence);
        } else if let Some(reason) = mine.iter().find_map(|r| r.summary.reason.clone()) {
            out.push(format!("{} was not run: {reason}.", model_label(model)));
        }
        if let Some(run) = analysed_run(&mine) {
            let s = Singularity::of(&run.hidden_condition);
            out.extend(singularity_sentence(model, &s));
            if s.singular == 0 {
                medians.extend(s.median_finite_kappa.map(|k| (model.to_string(), k)));
            }
        }
    }
    out.extend(conditioning_comparison(&medians));
    if out.is_empty() {
        out.push(format!(
            "Nothing was measured on {}.",
            dataset_label(dataset)
        ));
    }
    out
}

/// The paper links ResNeXt's better test accuracy to better-conditioned representations.
fn conditioning_comparison(medians: &[(String, f64)]) -> Option<String> {
    let find = |family: &str| {
        medians
            .iter()
            .find(|(m, _)| m.to_ascii_lowercase().starts_with(family))
    };
    let (resnet, k_resnet) = find("resnet-")?;
    let (resnext, k_resnext) = find("resnext")?;
    let verdict = if k_resnext < k_resnet {
        "better conditioned, as the paper reports"
    } else {
        "not better conditioned, unlike the paper's finding"
    };
    Some(format!(
        "{}'s representations are {verdict} than {}'s (median κ {k_resnext:.3e} vs {k_resnet:.3e}).",
        model_label(resnext),
        model_label(resnet)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(layer: usize, kappa: f64) -> LayerConditionRow {
        LayerConditionRow {
            layer,
            name: format!("conv{layer}"),
            shape: "8x8".into(),
            sigma_max: 1.0,
            sigma_min: 1.0 / kappa,
            kappa,
            rank: 8,
            ..LayerConditionRow::default()
        }
    }

    #[test]
    fn singular_from_needs_every_later_layer_infinite() {
        let inf = f64::INFINITY;
        let s = Singularity::of(&[
            row(1, 10.0),
            row(2, inf),
            row(3, 5.0),
            row(4, inf),
            row(5, inf),
        ]);
        assert_eq!(s.first_singular, Some(2));
        assert_eq!(s.singular_from, Some(4));
        assert_eq!(s.singular, 3);
        let never = Singularity::of(&[row(1, 10.0), row(2, 30.0), row(3, 20.0)]);
        assert_eq!((never.first_singular, never.singular_from), (None, None));
        assert_eq!(never.median_finite_kappa, Some(20.0));
        let all = Singularity::of(&[row(1, inf), row(2, inf)]);
        assert_eq!(all.singular_from, Some(1));
    }

    #[test]
    fn a_non_finite_layer_counts_as_singular_never_as_regular() {
        let mut diverged = row(2, f64::NAN);
        diverged.status = Some(crate::schema::LayerStatus::NonFinite);
        let s = Singularity::of(&[row(1, 10.0), diverged, row(3, f64::INFINITY)]);
        assert_eq!((s.singular, s.first_singular), (2, Some(2)));
        assert_eq!((s.singular_from, s.non_finite), (Some(2), 1));
        assert_eq!(s.median_finite_kappa, Some(10.0));
    }
}
