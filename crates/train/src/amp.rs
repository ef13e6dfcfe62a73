//! Dynamic loss scaling for mixed precision (CUDA autocast computes in f16, whose small
//! gradients underflow): the loss is multiplied by `scale` before backward, gradients are
//! divided by it in the update; an overflow skips the step and halves the scale, and every
//! `GROWTH_INTERVAL` clean steps double it (torch.cuda.amp.GradScaler's defaults).

const INITIAL_SCALE: f64 = 65536.0;
const GROWTH_INTERVAL: u32 = 2000;

/// The current loss scale and how long it has been free of overflows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LossScaler {
    scale: f64,
    clean_steps: u32,
}

impl LossScaler {
    pub(crate) fn new() -> Self {
        Self {
            scale: INITIAL_SCALE,
            clean_steps: 0,
        }
    }

    pub(crate) fn scale(&self) -> f64 {
        self.scale
    }

    /// Records whether this step's scaled gradients were finite; returns whether to apply it.
    pub(crate) fn update(&mut self, grads_finite: bool) -> bool {
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
