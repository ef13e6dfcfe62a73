//! One study run and what it measured.

use crate::findings::Singularity;
use crate::paper_reference::model_label;
use crate::results::RunResult;
use deepskip_runs::schema::RunState;
pub use deepskip_runs::study_record::{Study, StudyRun};

/// What one study run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyPoint {
    pub study: Study,
    pub dataset: String,
    /// The model's label, e.g. `PlainNet-56`.
    pub model: String,
    /// `PlainNet`, `ResNet` or `ResNeXt`.
    pub family: String,
    pub depth: usize,
    pub init: String,
    pub seed: u64,
    pub state: RunState,
    pub train_acc: Option<f64>,
    /// On the full test split when the run was evaluated on it.
    pub test_acc: Option<f64>,
    /// The first hidden layer whose representation is singular (default tolerance); `None`
    /// when none is, or when the run was not analysed.
    pub onset: Option<usize>,
    /// Hidden layers analysed (0: no analysis).
    pub analysed: usize,
    pub singular: usize,
    /// The class predicted most often on the full test split and its share.
    pub majority_prediction: Option<(usize, f64)>,
    /// The test accuracy of always predicting the training split's majority class.
    pub constant_predictor_acc: Option<f64>,
}

impl StudyPoint {
    pub fn measure(run: StudyRun, result: &RunResult) -> Self {
        let s = &run.summary;
        let singularity = Singularity::of(&result.hidden_condition);
        let model = model_label(&s.model);
        let family = model.split('-').next().unwrap_or_default().to_string();
        StudyPoint {
            study: run.study,
            dataset: s.dataset.clone(),
            family,
            model,
            depth: s.depth,
            init: run.init.clone(),
            seed: s.seed,
            state: s.state,
            train_acc: s.train_acc,
            test_acc: s.test_acc,
            onset: singularity.first_singular,
            analysed: singularity.analysed,
            singular: singularity.singular,
            majority_prediction: s.predictions.as_ref().map(|p| p.majority_prediction()),
            constant_predictor_acc: s
                .predictions
                .as_ref()
                .map(|p| p.constant_predictor_accuracy()),
        }
    }

    /// `layer 2 of 164`, `none of 164`, or `not analysed`.
    pub fn onset_text(&self) -> String {
        match (self.analysed, self.onset) {
            (0, _) => "not analysed".into(),
            (n, Some(layer)) => format!("layer {layer} of {n}"),
            (n, None) => format!("none of {n}"),
        }
    }
}

/// `12.34%`, or `-` when absent.
pub(crate) fn percent(value: Option<f64>) -> String {
    value.map_or("-".into(), |v| format!("{:.2}%", 100.0 * v))
}

/// `class 1 (100.0%)`, or `-`.
pub(crate) fn prediction_text(p: &StudyPoint) -> String {
    p.majority_prediction.map_or("-".into(), |(c, share)| {
        format!("class {c} ({:.1}%)", 100.0 * share)
    })
}
