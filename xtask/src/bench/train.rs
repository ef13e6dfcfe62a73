//! Training step throughput, deepskip (tch) against the PyTorch eager reference, per model.

use anyhow::{bail, Result};
use serde_json::{json, Value};

use super::child::{number, numbers};
use super::sides::Sides;
use super::stats::{median, Paired, Side};

/// What one model's comparison runs.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSetup {
    pub model: String,
    pub batch: u64,
    pub width: f64,
    pub device: String,
    pub amp: bool,
    pub warmup: usize,
    pub steps: usize,
    pub pairs: usize,
}

impl TrainSetup {
    pub fn args(&self) -> Vec<String> {
        let mut args = vec![
            "--model".into(),
            self.model.clone(),
            "--batch".into(),
            self.batch.to_string(),
            "--width".into(),
            self.width.to_string(),
            "--device".into(),
            self.device.clone(),
            "--warmup".into(),
            self.warmup.to_string(),
            "--steps".into(),
            self.steps.to_string(),
        ];
        if self.amp {
            args.push("--amp".into());
        }
        args
    }

    pub fn label(&self) -> String {
        let precision = if self.amp { "amp" } else { "fp32" };
        format!(
            "{} train step ({}, batch {}, width {}, {precision})",
            self.model, self.device, self.batch, self.width
        )
    }
}

/// Images per second of every run, per side, and what both sides reported.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainResult {
    pub setup: TrainSetup,
    pub params: u64,
    pub forward_flops_per_image: u64,
    pub images_per_second: Paired,
    pub peak_rss_kib: [Option<u64>; 2],
    /// Per side: where the steps' time went.
    pub phases: [StepPhases; 2],
    /// Per side: how that process's malloc was configured, as it reported it.
    pub heap: [Option<String>; 2],
}

/// Seconds of each phase of every timed step of one side's runs: zero_grad + forward + loss,
/// backward, optimiser update.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepPhases {
    pub forward: Vec<f64>,
    pub backward: Vec<f64>,
    pub update: Vec<f64>,
}

impl StepPhases {
    /// Appends a run's `phase_seconds` object.
    pub fn extend_from(&mut self, report: &Value) -> Result<()> {
        let phases = &report["phase_seconds"];
        self.forward.extend(numbers(phases, "forward")?);
        self.backward.extend(numbers(phases, "backward")?);
        self.update.extend(numbers(phases, "update")?);
        Ok(())
    }

    /// Median milliseconds per phase.
    pub fn median_ms(&self) -> Value {
        let ms = |v: &[f64]| median(v).map(|s| s * 1e3);
        json!({
            "forward": ms(&self.forward),
            "backward": ms(&self.backward),
            "update": ms(&self.update),
        })
    }
}

impl TrainResult {
    /// Achieved GFLOP/s of a side's median throughput, a step counted as 3 forward passes.
    pub fn gflops(&self, side: Side) -> Option<f64> {
        let runs = match side {
            Side::Deepskip => &self.images_per_second.deepskip,
            Side::Reference => &self.images_per_second.reference,
        };
        median(runs).map(|ips| ips * 3.0 * self.forward_flops_per_image as f64 / 1e9)
    }

    pub fn to_json(&self) -> Value {
        json!({
            "model": self.setup.model,
            "label": self.setup.label(),
            "batch": self.setup.batch,
            "width": self.setup.width,
            "device": self.setup.device,
            "amp": self.setup.amp,
            "warmup_steps": self.setup.warmup,
            "timed_steps_per_run": self.setup.steps,
            "params": self.params,
            "forward_flops_per_image": self.forward_flops_per_image,
            "images_per_second": {
                "deepskip_runs": self.images_per_second.deepskip,
                "pytorch_runs": self.images_per_second.reference,
                "deepskip_median": median(&self.images_per_second.deepskip),
                "pytorch_median": median(&self.images_per_second.reference),
            },
            "gflops_per_second": {
                "deepskip": self.gflops(Side::Deepskip),
                "pytorch": self.gflops(Side::Reference),
            },
            "ratios": self.images_per_second.ratios(),
            "median_ratio": self.images_per_second.median_ratio(),
            "peak_rss_kib": { "deepskip": self.peak_rss_kib[0], "pytorch": self.peak_rss_kib[1] },
            "median_phase_ms": {
                "deepskip": self.phases[0].median_ms(),
                "pytorch": self.phases[1].median_ms(),
            },
            "heap": { "deepskip": self.heap[0], "pytorch": self.heap[1] },
        })
    }
}

/// Both sides must train the same network: equal trainable parameter counts.
pub fn check_params(model: &str, deepskip: u64, reference: u64) -> Result<()> {
    if deepskip != reference {
        bail!(
            "{model}: deepskip has {deepskip} trainable parameters, the PyTorch reference \
             {reference}: bench/reference/train_step.py no longer builds the network of \
             crates/models (see crates/models/src/blueprint.rs); fix the reference before \
             comparing speed"
        );
    }
    Ok(())
}

/// Images per second of one run: batch over the median step time.
pub fn images_per_second(batch: u64, step_seconds: &[f64]) -> Option<f64> {
    median(step_seconds)
        .filter(|s| *s > 0.0)
        .map(|s| batch as f64 / s)
}

pub fn run(sides: &Sides, setup: &TrainSetup) -> Result<TrainResult> {
    let mut result = TrainResult {
        setup: setup.clone(),
        params: 0,
        forward_flops_per_image: 0,
        images_per_second: Paired::default(),
        peak_rss_kib: [None, None],
        phases: Default::default(),
        heap: [None, None],
    };
    let mut params = [None, None];
    let runs = sides.alternate(
        &setup.label(),
        setup.pairs,
        ("train-step", "train_step.py"),
        |_| setup.args(),
        |side, report| {
            let slot = side as usize;
            params[slot] = Some(number(report, "params")? as u64);
            if let [Some(a), Some(b)] = params {
                check_params(&setup.model, a, b)?;
                result.params = a;
            }
            if side == Side::Deepskip {
                result.forward_flops_per_image = number(report, "forward_flops_per_image")? as u64;
            }
            result.phases[slot].extend_from(report)?;
            result.heap[slot] = report["heap"].as_str().map(str::to_owned);
            let steps = numbers(report, "step_seconds")?;
            images_per_second(setup.batch, &steps)
                .ok_or_else(|| anyhow::anyhow!("{}: no timed steps in {report}", setup.label()))
        },
    )?;
    result.images_per_second = runs.throughput;
    result.peak_rss_kib = runs.peak_rss_kib;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differing_parameter_counts_fail_the_bench() {
        assert!(check_params("resnet-164", 10, 10).is_ok());
        let err = check_params("resnet-164", 10, 11).unwrap_err().to_string();
        assert!(
            err.contains("10") && err.contains("11") && err.contains("train_step.py"),
            "{err}"
        );
    }

    #[test]
    fn throughput_uses_the_median_step() {
        assert_eq!(images_per_second(32, &[0.5, 4.0, 0.25]), Some(64.0));
        assert_eq!(images_per_second(32, &[]), None);
    }

    #[test]
    fn gflops_count_three_forward_passes_per_image() {
        let setup = TrainSetup {
            model: "resnet-8".into(),
            batch: 2,
            width: 1.0,
            device: "cpu".into(),
            amp: false,
            warmup: 0,
            steps: 1,
            pairs: 1,
        };
        let result = TrainResult {
            setup,
            params: 1,
            forward_flops_per_image: 1_000_000_000,
            images_per_second: Paired {
                deepskip: vec![2.0],
                reference: vec![1.0],
            },
            peak_rss_kib: [Some(1), None],
            phases: [
                StepPhases {
                    forward: vec![0.001, 0.003, 0.002],
                    backward: vec![0.004],
                    update: vec![],
                },
                StepPhases::default(),
            ],
            heap: [Some("tuned".into()), None],
        };
        assert_eq!(result.gflops(Side::Deepskip), Some(6.0));
        let json = result.to_json();
        assert_eq!(json["median_ratio"], 2.0);
        assert_eq!(json["params"], 1);
        assert!(json["label"].as_str().unwrap().contains("fp32"));
        let phases = &json["median_phase_ms"]["deepskip"];
        assert_eq!(phases["forward"], 2.0);
        assert_eq!(phases["backward"], 4.0);
        assert!(phases["update"].is_null());
        assert_eq!(json["heap"]["deepskip"], "tuned");
    }

    #[test]
    fn phases_accumulate_over_runs_and_a_missing_phase_is_an_error() {
        let mut phases = StepPhases::default();
        let run = json!({"phase_seconds": {"forward": [1.0], "backward": [2.0], "update": [3.0]}});
        phases.extend_from(&run).unwrap();
        phases.extend_from(&run).unwrap();
        assert_eq!(phases.backward, [2.0, 2.0]);
        let err = phases
            .extend_from(&json!({"phase_seconds": {"forward": [1.0]}}))
            .unwrap_err();
        assert!(err.to_string().contains("backward"), "{err}");
    }
}
