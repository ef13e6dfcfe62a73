//! Dynamic loss scaling for mixed precision (CUDA autocast computes in f16, whose small
//! gradients underflow): the loss is multiplied by `scale` before backward, gradients are
//! divided by it in the update; an overflow skips the step and halves the scale, and every
//! `GROWTH_INTERVAL` clean steps double it (torch.cuda.amp.GradScaler's defaults). Its state
//! is saved with the optimizer's in every checkpoint, so a resumed run goes on with the scale
//! it had reached.

use serde::{Deserialize, Serialize};

const INITIAL_SCALE: f64 = 65536.0;
const GROWTH_INTERVAL: u32 = 2000;

/// The current loss scale and how long it has been free of overflows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LossScaler {
    scale: f64,
    clean_steps: u32,
}

impl LossScaler {
    pub fn new() -> Self {
        Self {
            scale: INITIAL_SCALE,
            clean_steps: 0,
        }
    }

    /// The factor the loss is multiplied by before backward.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Records whether this step's scaled gradients were finite; returns whether to apply it.
    pub fn update(&mut self, grads_finite: bool) -> bool {
        if !grads_finite {
            self.scale = (self.scale / 2.0).max(1.0);
            self.clean_steps = 0;
            return false;
        }
        self.clean_steps += 1;
        if self.clean_steps == GROWTH_INTERVAL {
            self.scale *= 2.0;
            self.clean_steps = 0;
        }
        true
    }
}

impl Default for LossScaler {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_halves_and_skips_clean_steps_grow_the_scale() {
        let mut s = LossScaler::new();
        assert!(!s.update(false));
        assert_eq!(s.scale(), INITIAL_SCALE / 2.0);
        for _ in 0..GROWTH_INTERVAL {
            assert!(s.update(true));
        }
        assert_eq!(s.scale(), INITIAL_SCALE);
    }
}
