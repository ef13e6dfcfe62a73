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
