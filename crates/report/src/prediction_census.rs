//! The report's sentences about which classes each trained model predicts (the record is
//! deepskip-runs' `prediction_census`).

pub use deepskip_runs::prediction_census::*;

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
