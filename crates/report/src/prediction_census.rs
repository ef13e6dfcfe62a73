//! Which classes a trained model predicts on the full test split, and what a constant
//! predictor would score there: the check that tells a collapsed network from a weak one.
//!
//! A network whose output no longer depends on its input predicts one class for every image;
//! its test accuracy is then that class's share of the test split. The paper's PlainNet-164
//! MNIST test accuracy, 11.35%, is exactly digit 1's share of the MNIST test set (1,135 of
//! 10,000), and digit 1 is also the most frequent digit of the MNIST training split.

use serde::{Deserialize, Serialize};

/// Share of the test images above which a model counts as a constant predictor.
pub const CONSTANT_SHARE: f64 = 0.99;

/// The predictions of one trained model on every image of the test split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionCensus {
    /// Test images evaluated (the whole split).
    pub test_images: u64,
    /// Images whose predicted class is their label.
    pub correct: u64,
    /// Images whose logits held a NaN or an infinity (their argmax is meaningless).
    pub non_finite: u64,
    /// Predicted-class histogram: images predicted as class `c` at index `c`.
    pub predicted: Vec<u64>,
    /// Test images per true class.
    pub test_labels: Vec<u64>,
    /// The most frequent class of the (full) training split.
    pub train_majority_class: usize,
}

impl PredictionCensus {
    /// Top-1 accuracy on the full test split.
    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.test_images.max(1) as f64
    }

    /// The class predicted most often and the share of the test images it was predicted for.
    pub fn majority_prediction(&self) -> (usize, f64) {
        let (class, count) = self
            .predicted
            .iter()
            .enumerate()
            .max_by_key(|&(c, n)| (*n, std::cmp::Reverse(c)))
            .map_or((0, 0), |(c, n)| (c, *n));
        (class, count as f64 / self.test_images.max(1) as f64)
    }

    /// Whether (nearly) every test image gets the same class.
    pub fn is_constant(&self) -> bool {
        self.majority_prediction().1 >= CONSTANT_SHARE
    }

    /// The test accuracy of a model that always predicts the training split's majority class.
    pub fn constant_predictor_accuracy(&self) -> f64 {
        let hits = self
            .test_labels
            .get(self.train_majority_class)
            .copied()
            .unwrap_or(0);
        hits as f64 / self.test_images.max(1) as f64
    }

    /// One sentence for the report, numbers first.
    pub fn sentence(&self, model: &str) -> String {
        let (class, share) = self.majority_prediction();
        let constant = format!(
            "a constant predictor of the training split's majority class ({}) would score \
             {:.2}%",
            self.train_majority_class,
            100.0 * self.constant_predictor_accuracy()
        );
        let verdict = if self.is_constant() {
            format!("{model} is a constant predictor: it predicts class {class} for {:.2}% of the {} test images (test accuracy {:.2}%); {constant}.",
                100.0 * share, self.test_images, 100.0 * self.accuracy())
        } else {
            format!("{model} predicts {} classes (most often class {class}, {:.2}% of the {} test images; test accuracy {:.2}%); {constant}.",
                self.predicted.iter().filter(|&&n| n > 0).count(), 100.0 * share, self.test_images, 100.0 * self.accuracy())
        };
        if self.non_finite > 0 {
            format!(
                "{verdict} {} test images gave non-finite logits.",
                self.non_finite
            )
        } else {
            verdict
        }
    }
}

/// One sentence per run of `dataset` evaluated on the full test split, in summary order.
pub fn dataset_sentences(results: &crate::Results, dataset: &str) -> Vec<String> {
    results
        .runs
        .iter()
        .filter(|r| r.summary.dataset == dataset)
        .filter_map(|r| {
            let census = r.summary.predictions.as_ref()?;
            let model = crate::paper_reference::model_label(&r.summary.model);
            Some(census.sentence(&format!("{model} (seed {})", r.summary.seed)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MNIST's test split: 1,135 of its 10,000 images are ones.
    fn mnist_labels() -> Vec<u64> {
        vec![980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    }

    #[test]
    fn a_model_that_always_says_one_scores_digit_ones_share() {
        let mut predicted = vec![0; 10];
        predicted[1] = 10_000;
        let census = PredictionCensus {
            test_images: 10_000,
            correct: 1135,
            non_finite: 0,
            predicted,
            test_labels: mnist_labels(),
            train_majority_class: 1,
        };
        assert!(census.is_constant());
        assert_eq!(census.majority_prediction(), (1, 1.0));
        assert!((census.constant_predictor_accuracy() - 0.1135).abs() < 1e-12);
        assert_eq!(census.accuracy(), census.constant_predictor_accuracy());
        let text = census.sentence("PlainNet-164");
        assert!(
            text.contains("constant predictor: it predicts class 1"),
            "{text}"
        );
        assert!(text.contains("11.35%"), "{text}");
    }

    #[test]
    fn a_model_that_spreads_its_predictions_is_not_constant() {
        let census = PredictionCensus {
            test_images: 10_000,
            correct: 9_000,
            non_finite: 0,
            predicted: mnist_labels(),
            test_labels: mnist_labels(),
            train_majority_class: 1,
        };
        assert!(!census.is_constant());
        assert_eq!(census.majority_prediction().0, 1);
        assert!(census
            .sentence("ResNet-164")
            .contains("predicts 10 classes"));
    }
}
