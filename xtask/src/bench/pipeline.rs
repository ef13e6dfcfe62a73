//! Data pipeline throughput (deepskip-data only), compared with what training consumes.

use std::path::Path;

use anyhow::Result;
use serde_json::{json, Value};

use super::child;
use super::report::{Measured, PipelineReport};
use super::sides::Sides;
use super::stats::median;

/// Images per second of each run: CIFAR batches of 128, ImageNet decode + crop to 224.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PipelineRuns {
    pub cifar: Vec<f64>,
    pub imagenet: Vec<f64>,
    pub cifar_origin: String,
    pub peak_rss_kib: Option<u64>,
}

impl PipelineRuns {
    /// Pipeline speed over the fastest training consumption measured (images/s each).
    pub fn headroom(&self, training_images_per_second: Option<f64>) -> Option<f64> {
        Some(median(&self.cifar)? / training_images_per_second?)
    }

    pub fn to_json(&self, training_images_per_second: Option<f64>) -> Value {
        json!({
            "cifar_origin": self.cifar_origin,
            "cifar_batch": 128,
            "cifar_images_per_second_runs": self.cifar,
            "cifar_images_per_second_median": median(&self.cifar),
            "cifar_batches_per_second_median": median(&self.cifar).map(|v| v / 128.0),
            "imagenet_224_images_per_second_runs": self.imagenet,
            "imagenet_224_images_per_second_median": median(&self.imagenet),
            "fastest_training_images_per_second": training_images_per_second,
            "cifar_over_training_ratio": self.headroom(training_images_per_second),
            "peak_rss_kib": self.peak_rss_kib,
        })
    }
}

pub fn run(
    sides: &Sides,
    runs: usize,
    cifar_batches: usize,
    imagenet_images: usize,
    scratch: &Path,
) -> Result<PipelineRuns> {
    let mut result = PipelineRuns::default();
    for run in 0..runs {
        eprintln!("xtask bench: data pipeline run {}/{runs}", run + 1);
        let report: Measured<PipelineReport> = child::report(&mut sides.deepskip(&[
            "pipeline".into(),
            "--cifar-batches".into(),
            cifar_batches.to_string(),
            "--imagenet-images".into(),
            imagenet_images.to_string(),
            "--scratch".into(),
            scratch.display().to_string(),
        ]))?;
        let PipelineReport { cifar, imagenet } = report.body;
        result
            .cifar
            .push((cifar.batches * cifar.batch) as f64 / cifar.seconds);
        result
            .imagenet
            .push(imagenet.images as f64 / imagenet.seconds);
        result.cifar_origin = cifar.origin;
        result.peak_rss_kib = result.peak_rss_kib.max(report.peak_rss_kib);
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headroom_is_pipeline_over_training() {
        let runs = PipelineRuns {
            cifar: vec![1000.0, 3000.0, 2000.0],
            ..Default::default()
        };
        assert_eq!(runs.headroom(Some(100.0)), Some(20.0));
        assert_eq!(runs.headroom(None), None);
        assert_eq!(runs.to_json(Some(100.0))["cifar_over_training_ratio"], 20.0);
    }
}
