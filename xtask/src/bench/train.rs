//! Training step throughput, deepskip (tch) against the PyTorch eager reference, per model.

use anyhow::{bail, Result};
use clap::ValueEnum;
use serde_json::{json, Value};

use super::report::{PhaseSeconds, TrainStepReport};
use super::sides::Sides;
use super::stats::{median, Paired, Side};

/// What a training step computes in, named as both sides' `--precision` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Precision {
    Fp32,
    /// CUDA autocast (f16) with a constant loss scale.
    Fp16,
    /// Weights and activations in bf16 (tch 0.24 cannot set autocast's dtype, so neither side
    /// autocasts: both convert the network).
    Bf16,
}

impl Precision {
    pub fn name(self) -> &'static str {
        match self {
            Precision::Fp32 => "fp32",
            Precision::Fp16 => "fp16",
            Precision::Bf16 => "bf16",
        }
    }
}

/// What one model's comparison runs.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSetup {
    pub model: String,
    pub batch: u64,
    pub width: f64,
    pub device: String,
    pub precision: Precision,
    /// Images and convolution weights in NHWC memory order.
    pub channels_last: bool,
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
            "--precision".into(),
            self.precision.name().into(),
        ];
        if self.channels_last {
            args.push("--channels-last".into());
        }
        args
    }

    pub fn label(&self) -> String {
        let layout = if self.channels_last {
            ", channels-last"
        } else {
            ""
        };
        format!(
            "{} train step ({}, batch {}, width {}, {}{layout})",
            self.model,
            self.device,
            self.batch,
            self.width,
            self.precision.name()
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
    /// Appends a run's phases.
    pub fn extend_from(&mut self, phases: &PhaseSeconds) {
        self.forward.extend(&phases.forward);
        self.backward.extend(&phases.backward);
        self.update.extend(&phases.update);
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
            "precision": self.setup.precision.name(),
            "channels_last": self.setup.channels_last,
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

/// One phase time per timed step, or the "where the time goes" table would mix steps.
fn check_equal_lengths(report: &TrainStepReport) -> Result<()> {
    let phases = &report.phase_seconds;
    let steps = report.step_seconds.len();
    for (name, times) in [
        ("forward", &phases.forward),
        ("backward", &phases.backward),
        ("update", &phases.update),
    ] {
        if times.len() != steps {
            bail!(
                "the report has {steps} step times but {} {name} phase times",
                times.len()
            );
        }
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
        |side, report: &TrainStepReport| {
            let slot = side as usize;
            params[slot] = Some(report.params);
            if let [Some(a), Some(b)] = params {
                check_params(&setup.model, a, b)?;
                result.params = a;
            }
            if side == Side::Deepskip {
                result.forward_flops_per_image =
                    report.forward_flops_per_image.ok_or_else(|| {
                        anyhow::anyhow!("deepskip-bench reported no forward_flops_per_image")
                    })?;
            }
            check_equal_lengths(report)?;
            result.phases[slot].extend_from(&report.phase_seconds);
            result.heap[slot].clone_from(&report.heap);
            images_per_second(setup.batch, &report.step_seconds).ok_or_else(|| {
                anyhow::anyhow!("{}: no timed steps in {side:?}'s report", setup.label())
            })
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
            precision: Precision::Fp32,
            channels_last: false,
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
    fn phases_accumulate_over_runs_and_must_match_the_steps() {
        let run = |backward: Vec<f64>| TrainStepReport {
            params: 1,
            forward_flops_per_image: None,
            step_seconds: vec![7.0],
            phase_seconds: PhaseSeconds {
                forward: vec![1.0],
                backward,
                update: vec![3.0],
            },
            heap: None,
        };
        let mut phases = StepPhases::default();
        phases.extend_from(&run(vec![2.0]).phase_seconds);
        phases.extend_from(&run(vec![2.5]).phase_seconds);
        assert_eq!(phases.backward, [2.0, 2.5]);
        assert!(check_equal_lengths(&run(vec![2.0])).is_ok());
        let err = check_equal_lengths(&run(vec![])).unwrap_err().to_string();
        assert!(err.contains("1 step times but 0 backward"), "{err}");
    }

    #[test]
    fn setups_pass_precision_and_layout_to_both_sides() {
        let setup = TrainSetup {
            model: "resnet-164".into(),
            batch: 128,
            width: 1.0,
            device: "cuda".into(),
            precision: Precision::Bf16,
            channels_last: true,
            warmup: 2,
            steps: 10,
            pairs: 5,
        };
        let args = setup.args();
        let at = args.iter().position(|a| a == "--precision").unwrap();
        assert_eq!(args[at + 1], "bf16");
        assert!(args.contains(&"--channels-last".to_string()));
        assert!(
            setup.label().ends_with("width 1, bf16, channels-last)"),
            "{}",
            setup.label()
        );
    }
}
