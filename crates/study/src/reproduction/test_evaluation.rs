//! The final evaluation of a trained run on the FULL test split (the reduced profiles train on
//! a subset and follow their epochs on a small balanced test subset, on which every constant
//! predictor scores exactly 1/classes and so hides a collapse): the accuracy, the
//! predicted-class histogram and the training split's majority class, written to
//! `<run>/test_evaluation.json`.

use anyhow::Context;
use deepskip_data::{eval_batches, Dataset};
use deepskip_runs::prediction_census::PredictionCensus;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tch::nn::ModuleT;
use tch::{Kind, Tensor};

/// Test images per forward pass: large enough to amortise the per-layer overhead of the narrow
/// quick-profile networks, small enough for the memory of a 164-layer pass.
const EVAL_BATCH: usize = 250;

/// `<run>/test_evaluation.json`.
pub fn path(run_dir: &Path) -> PathBuf {
    run_dir.join("test_evaluation.json")
}

/// The census recorded for `run_dir`, when it has one.
pub fn read(run_dir: &Path) -> Option<PredictionCensus> {
    let text = std::fs::read_to_string(path(run_dir)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Evaluates the last checkpoint of `run_dir` on every image of `dataset`'s test split (eval
/// mode, the precision it was trained in) and records the census.
pub fn evaluate(
    run_dir: &Path,
    dataset: &Dataset,
    device: tch::Device,
) -> anyhow::Result<PredictionCensus> {
    let trained = deepskip_train::load_trained(run_dir, device)
        .with_context(|| format!("loading the trained model of {}", run_dir.display()))?;
    let kind = trained.config.precision.kind();
    let classes = dataset.test.num_classes;
    let _no_grad = tch::no_grad_guard();
    let mut predicted = Tensor::zeros([classes as i64], (Kind::Int64, device));
    let (mut correct, mut non_finite) = (0i64, 0i64);
    let test = Arc::new(dataset.test.clone());
    for batch in eval_batches(test, &dataset.normalization, EVAL_BATCH).filter(|b| !b.is_empty()) {
        let (images, labels) = batch.to_tensors(device);
        let logits = trained.network.forward_t(&images.to_kind(kind), false);
        let classes_of = logits.argmax(-1, false);
        predicted += classes_of.bincount::<Tensor>(None, classes as i64);
        correct += classes_of
            .eq_tensor(&labels)
            .sum(Kind::Int64)
            .int64_value(&[]);
        let finite = logits.isfinite().all_dim(-1, false);
        non_finite += finite.logical_not().sum(Kind::Int64).int64_value(&[]);
    }
    let census = PredictionCensus {
        test_images: dataset.test.len() as u64,
        correct: correct as u64,
        non_finite: non_finite as u64,
        predicted: Vec::<i64>::try_from(&predicted.to_device(tch::Device::Cpu))?
            .into_iter()
            .map(|n| n as u64)
            .collect(),
        test_labels: counts(&dataset.test.class_counts()),
        train_majority_class: majority(&dataset.train.class_counts()),
    };
    deepskip_runs::write_json_atomic(&path(run_dir), &census)?;
    Ok(census)
}

fn counts(per_class: &[usize]) -> Vec<u64> {
    per_class.iter().map(|&n| n as u64).collect()
}

/// The most frequent class (the lowest-numbered among equals).
fn majority(per_class: &[usize]) -> usize {
    per_class
        .iter()
        .enumerate()
        .max_by_key(|&(c, n)| (*n, std::cmp::Reverse(c)))
        .map_or(0, |(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_majority_class_is_the_most_frequent_and_ties_go_to_the_lowest() {
        // MNIST's training split: 6,742 ones.
        let mnist = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
        assert_eq!(majority(&mnist), 1);
        assert_eq!(majority(&[100, 100, 100]), 0);
        assert_eq!(majority(&[1, 3, 3]), 1);
    }
}
