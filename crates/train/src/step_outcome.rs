//! Whether a training step's update was applied.
//!
//! A step whose loss is finite can still have non-finite gradients: in a deep plain network
//! with batch normalisation, a channel whose batch variance is (nearly) zero multiplies the
//! backward signal by up to `1/sqrt(eps)` at every layer, and after a hundred such layers the
//! gradient overflows f32 while the forward pass (rescaled by every BN) stays finite. One such
//! update would make every weight infinite and end the run, so the step is skipped instead
//! (no weight and no momentum change) and counted, as a mixed-precision loss scaler does. A
//! non-finite loss still ends the run as diverged.

/// What became of one training step's update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// The gradients were finite and the optimiser stepped.
    Applied,
    /// Some gradient was NaN or infinite: weights and momentum were left as they were.
    Skipped,
}

impl StepOutcome {
    /// The decision for gradients that are (`true`) or are not all finite.
    pub fn from_grads_finite(grads_finite: bool) -> Self {
        if grads_finite {
            StepOutcome::Applied
        } else {
            StepOutcome::Skipped
        }
    }

    pub fn is_skipped(self) -> bool {
        self == StepOutcome::Skipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_non_finite_gradients_skip_the_step() {
        assert_eq!(StepOutcome::from_grads_finite(true), StepOutcome::Applied);
        assert_eq!(StepOutcome::from_grads_finite(false), StepOutcome::Skipped);
        assert!(StepOutcome::Skipped.is_skipped() && !StepOutcome::Applied.is_skipped());
    }
}
