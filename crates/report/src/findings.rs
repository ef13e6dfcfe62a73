//! "What this shows": short statements per data set computed from the numbers, so that the
//! report's prose can never disagree with its tables and figures.

use crate::like_for_like::resnext_vs_resnet;
use crate::paper_reference::{chance_accuracy, dataset_label, model_label, paper_table};
use crate::results::{Results, RunResult};
use crate::tables::SeedSpread;
use deepskip_runs::schema::RunState;
use deepskip_spectra::records::{LayerConditionRow, LayerStatus};

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
    /// Layers numerically dead by BN overflow in the analysis pass (their κ is ∞ for a
    /// reason other than the network: f32 statistics that overflowed).
    pub bn_dead: usize,
    /// The first such layer.
    pub first_bn_dead: Option<usize>,
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
            bn_dead: sorted.iter().filter(|r| r.bn_overflow).count(),
            first_bn_dead: sorted.iter().find(|r| r.bn_overflow).map(|r| r.layer),
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
    let dead = match s.first_bn_dead {
        Some(first) => format!(
            " {} analysed layer(s) are numerically dead by BN overflow (batch statistics \
             non-finite, the output independent of the input), a failure of the arithmetic \
             rather than singularity, first at layer {first}.",
            s.bn_dead
        ),
        None => String::new(),
    };
    Some(text + &dead)
}

/// Whether BN statistics overflowed while the run trained (from `metrics.jsonl`).
fn training_overflow_sentence(model: &str, run: &RunResult) -> String {
    let name = model_label(model);
    match run.metrics.iter().find_map(|m| m.bn_overflow.as_ref()) {
        Some(o) => format!(
            "While {name} trained, BN batch statistics overflowed from step {} on (first at \
             layer {}); from there on its output did not depend on its input.",
            o.first_step, o.first_layer
        ),
        None => format!("While {name} trained, no BN layer's statistics overflowed."),
    }
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
    let mut analysed: Vec<(&str, &RunResult)> = Vec::new();
    let mut not_run = NotRun::default();
    for model in &models {
        let mine: Vec<&RunResult> = runs
            .iter()
            .copied()
            .filter(|r| r.summary.model == *model)
            .collect();
        if let Some(sentence) = accuracy_sentence(model, &mine, chance) {
            out.push(sentence);
        } else if let Some(reason) = mine.iter().find_map(|r| r.summary.reason.clone()) {
            not_run.add(model, reason);
        }
        if let Some(run) = analysed_run(&mine) {
            let s = Singularity::of(&run.hidden_condition);
            out.extend(singularity_sentence(model, &s));
            if !run.metrics.is_empty() {
                out.push(training_overflow_sentence(model, run));
            }
            analysed.push((model, run));
        }
    }
    out.extend(conditioning_comparison(&analysed));
    out.extend(not_run.sentences(dataset));
    if out.is_empty() {
        out.push(format!(
            "Nothing was measured on {}.",
            dataset_label(dataset)
        ));
    }
    out
}

/// Models that were not run, grouped by reason: each reason is said once, and where the data
/// set has a table, only there (long reasons such as how to install a data set by hand would
/// otherwise repeat under every model).
#[derive(Debug, Default)]
struct NotRun {
    /// Reason and the models it stopped, in first-seen order.
    by_reason: Vec<(String, Vec<String>)>,
}

impl NotRun {
    fn add(&mut self, model: &str, reason: String) {
        let label = model_label(model);
        match self.by_reason.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, models)) => models.push(label),
            None => self.by_reason.push((reason, vec![label])),
        }
    }

    fn sentences(&self, dataset: &str) -> Vec<String> {
        let table = paper_table(dataset);
        self.by_reason
            .iter()
            .map(|(reason, models)| {
                let verb = if models.len() == 1 { "was" } else { "were" };
                let why = match table {
                    Some(t) => format!("; the reason is given under Table {}", t.roman),
                    None => format!(": {reason}"),
                };
                format!("{} {verb} not run{why}.", join_names(models))
            })
            .collect()
    }
}

/// "A", "A and B", "A, B and C".
fn join_names(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The paper links ResNeXt's better test accuracy to better-conditioned representations:
/// compared on like-for-like layers (see [`crate::like_for_like`]).
fn conditioning_comparison(analysed: &[(&str, &RunResult)]) -> Vec<String> {
    let find = |family: &str| {
        analysed
            .iter()
            .find(|(m, _)| m.to_ascii_lowercase().starts_with(family))
            .map(|(m, run)| (*m, run.hidden_condition.as_slice()))
    };
    match (find("resnext"), find("resnet-")) {
        (Some(resnext), Some(resnet)) => resnext_vs_resnet(resnext, resnet),
        _ => Vec::new(),
    }
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
            bn_overflow: false,
            ..LayerConditionRow::default()
        }
    }

    #[test]
    fn models_stopped_by_one_reason_share_one_sentence_pointing_at_the_table() {
        let mut not_run = NotRun::default();
        let long = "cifar100 could not be obtained\nTo install it by hand: ...".to_string();
        for model in ["plainnet-164", "resnet-164", "resnext-164"] {
            not_run.add(model, long.clone());
        }
        assert_eq!(
            not_run.sentences("cifar100"),
            [
                "PlainNet-164, ResNet-164 and ResNeXt-164 were not run; the reason is given under \
              Table III."
            ]
        );
        // Without a table of its own, the reason is said here, once.
        let only = not_run.sentences("idx:/somewhere");
        assert_eq!(only.len(), 1);
        assert_eq!(only[0].matches("could not be obtained").count(), 1);
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
        assert_eq!((all.bn_dead, all.first_bn_dead), (0, None));
    }

    #[test]
    fn bn_overflow_is_counted_and_named_apart_from_singularity() {
        let inf = f64::INFINITY;
        let dead = |layer| LayerConditionRow {
            bn_overflow: true,
            ..row(layer, inf)
        };
        let s = Singularity::of(&[row(1, 10.0), dead(2), dead(3), row(4, inf)]);
        assert_eq!((s.singular, s.bn_dead, s.first_bn_dead), (3, 2, Some(2)));
        let text = singularity_sentence("plainnet-164", &s).unwrap();
        assert!(
            text.contains("2 analysed layer(s) are numerically dead by BN overflow"),
            "{text}"
        );
        assert!(text.contains("first at layer 2"), "{text}");
    }

    #[test]
    fn a_non_finite_layer_counts_as_singular_never_as_regular() {
        let mut diverged = row(2, f64::NAN);
        diverged.status = Some(deepskip_spectra::records::LayerStatus::NonFinite);
        let s = Singularity::of(&[row(1, 10.0), diverged, row(3, f64::INFINITY)]);
        assert_eq!((s.singular, s.first_singular), (2, Some(2)));
        assert_eq!((s.singular_from, s.non_finite), (Some(2), 1));
        assert_eq!(s.median_finite_kappa, Some(10.0));
    }
}
