//! Learning-rate schedules: the paper's step decay (our documented choice of milestones), cosine,
//! and the constant warm-up He et al. used for very deep CIFAR networks.

use serde::{Deserialize, Serialize};

/// How the learning rate falls from its base value over the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum LrSchedule {
    /// Multiply by `gamma` at each milestone; milestones are fractions (0..1) of the run's total
    /// optimiser steps, so they fall on the same epochs whatever `--steps-per-epoch` is.
    Step { milestones: Vec<f64>, gamma: f64 },
    /// Multiply by `gamma` every `epochs` epochs (the ImageNet recipe: x0.1 every 30).
    StepEvery { epochs: usize, gamma: f64 },
    /// Half-cosine from the base rate to 0 over the run.
    Cosine,
}

impl Default for LrSchedule {
    /// paper.md: x0.1 at 50%, 75% and 90% of training (0.1 -> 0.01 -> 0.001 -> 0.0001).
    fn default() -> Self {
        Self::Step {
            milestones: vec![0.5, 0.75, 0.9],
            gamma: 0.1,
        }
    }
}

/// A constant learning rate for the first `iterations` optimiser steps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Warmup {
    pub lr: f64,
    pub iterations: u64,
}

impl Default for Warmup {
    /// He et al. (2016), 110+ layers on CIFAR: 0.01 until training error is below 80% (~400 its).
    fn default() -> Self {
        Self {
            lr: 0.01,
            iterations: 400,
        }
    }
}

impl Warmup {
    /// How much of a run of `total_steps` optimiser steps this warm-up takes.
    pub fn coverage(&self, total_steps: u64) -> WarmupCoverage {
        WarmupCoverage {
            warmup_steps: self.iterations.min(total_steps),
            total_steps,
        }
    }
}

/// The steps of a run trained at the warm-up rate instead of the scheduled one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WarmupCoverage {
    pub warmup_steps: u64,
    pub total_steps: u64,
}

impl WarmupCoverage {
    /// The share of the run's steps at the warm-up rate, in [0, 1].
    pub fn fraction(&self) -> f64 {
        if self.total_steps == 0 {
            return 0.0;
        }
        self.warmup_steps as f64 / self.total_steps as f64
    }

    /// No step of the run uses the scheduled learning rate.
    pub fn covers_whole_run(&self) -> bool {
        self.total_steps > 0 && self.warmup_steps >= self.total_steps
    }
}

impl LrSchedule {
    /// The learning rate at 0-based optimiser step `step` of a run of `epochs` epochs with
    /// `steps_per_epoch` steps each.
    pub fn lr_at(
        &self,
        base_lr: f64,
        warmup: Option<&Warmup>,
        step: u64,
        steps_per_epoch: u64,
        epochs: usize,
    ) -> f64 {
        if let Some(w) = warmup {
            if step < w.iterations {
                return w.lr;
            }
        }
        let total = (steps_per_epoch * epochs as u64).max(1);
        match self {
            Self::Step { milestones, gamma } => {
                // Integer milestone steps avoid float ties at epoch boundaries.
                let passed = milestones
                    .iter()
                    .filter(|&&m| step >= (m * total as f64).round() as u64)
                    .count();
                base_lr * gamma.powi(passed as i32)
            }
            Self::StepEvery { epochs, gamma } => {
                let period = (*epochs as u64 * steps_per_epoch).max(1);
                base_lr * gamma.powi((step / period).min(i32::MAX as u64) as i32)
            }
            Self::Cosine => {
                let progress = (step as f64 / total as f64).min(1.0);
                base_lr * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
            }
        }
    }

    /// Checks that milestones are fractions in (0, 1] and gamma is positive.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Self::Step { milestones, gamma } => {
                if let Some(m) = milestones.iter().find(|m| !(**m > 0.0 && **m <= 1.0)) {
                    return Err(format!(
                        "step milestone {m} is not a fraction of the run in (0, 1]"
                    ));
                }
                if !(*gamma > 0.0 && gamma.is_finite()) {
                    return Err(format!("step gamma {gamma} must be a positive number"));
                }
                Ok(())
            }
            Self::StepEvery { epochs, gamma } => {
                if *epochs == 0 {
                    return Err("step-every schedule needs a period of at least 1 epoch".into());
                }
                if !(*gamma > 0.0 && gamma.is_finite()) {
                    return Err(format!("step gamma {gamma} must be a positive number"));
                }
                Ok(())
            }
            Self::Cosine => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1e-12)
    }

    #[test]
    fn step_schedule_follows_the_paper_on_200_epochs_of_391_steps() {
        let s = LrSchedule::default();
        let lr = |step| s.lr_at(0.1, None, step, 391, 200);
        assert!(close(lr(0), 0.1));
        assert!(close(lr(100 * 391 - 1), 0.1));
        assert!(close(lr(100 * 391), 0.01));
        assert!(close(lr(150 * 391 - 1), 0.01));
        assert!(close(lr(150 * 391), 0.001));
        assert!(close(lr(180 * 391), 0.0001));
        assert!(close(lr(200 * 391 - 1), 0.0001));
    }

    #[test]
    fn warmup_overrides_the_schedule_for_its_iterations_only() {
        let s = LrSchedule::default();
        let w = Warmup::default();
        assert!(close(s.lr_at(0.1, Some(&w), 0, 391, 200), 0.01));
        assert!(close(s.lr_at(0.1, Some(&w), 399, 391, 200), 0.01));
        assert!(close(s.lr_at(0.1, Some(&w), 400, 391, 200), 0.1));
    }

    #[test]
    fn warmup_coverage_is_capped_at_the_run_length() {
        let w = Warmup::default();
        let short = w.coverage(20);
        assert_eq!(short.warmup_steps, 20);
        assert!(short.covers_whole_run());
        assert!(close(short.fraction(), 1.0));
        let long = w.coverage(1600);
        assert!(!long.covers_whole_run());
        assert!(close(long.fraction(), 0.25));
        assert_eq!(w.coverage(0).fraction(), 0.0);
    }

    #[test]
    fn cosine_starts_at_base_halves_midway_and_ends_near_zero() {
        let s = LrSchedule::Cosine;
        assert!(close(s.lr_at(0.1, None, 0, 10, 10), 0.1));
        assert!(close(s.lr_at(0.1, None, 50, 10, 10), 0.05));
        assert!(s.lr_at(0.1, None, 99, 10, 10) < 1e-4);
    }

    #[test]
    fn step_every_decays_at_each_period_whatever_the_run_length() {
        let s = LrSchedule::StepEvery {
            epochs: 30,
            gamma: 0.1,
        };
        let lr = |step| s.lr_at(0.1, None, step, 50, 90);
        assert!(close(lr(30 * 50 - 1), 0.1));
        assert!(close(lr(30 * 50), 0.01));
        assert!(close(lr(60 * 50), 0.001));
        assert!(close(lr(90 * 50 - 1), 0.001));
        let bad = LrSchedule::StepEvery {
            epochs: 0,
            gamma: 0.1,
        };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn invalid_milestones_are_rejected() {
        let bad = LrSchedule::Step {
            milestones: vec![0.5, 1.5],
            gamma: 0.1,
        };
        assert!(bad.validate().unwrap_err().contains("1.5"));
        assert!(LrSchedule::default().validate().is_ok());
    }
}
