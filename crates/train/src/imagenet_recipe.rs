//! The usual ImageNet recipe (He et al. 2016), scaled to any batch size by the linear rule of
//! Goyal et al. (2017).

use crate::{LrSchedule, TrainConfig};

/// The batch size the reference learning rate is stated for.
pub const IMAGENET_REFERENCE_BATCH: usize = 256;
/// The learning rate for [`IMAGENET_REFERENCE_BATCH`] images per step.
pub const IMAGENET_REFERENCE_LR: f64 = 0.1;
/// Epochs between two x0.1 decays, and the length of the run.
pub const IMAGENET_DECAY_EVERY: usize = 30;
pub const IMAGENET_EPOCHS: usize = 90;

/// `0.1 * batch_size / 256`: the learning rate scaled linearly with the batch.
pub fn imagenet_lr(batch_size: usize) -> f64 {
    IMAGENET_REFERENCE_LR * batch_size as f64 / IMAGENET_REFERENCE_BATCH as f64
}

impl TrainConfig {
    /// `model` on the ImageNet folders named `dataset` with `batch_size` images per step: SGD
    /// at [`imagenet_lr`], momentum 0.9, weight decay 1e-4 on every weight, x0.1 every 30
    /// epochs for 90 epochs, no warm-up, 224-pixel crops.
    ///
    /// paper.md's own protocol (0.1 annealed to 0.0001 in at most 200 epochs) is the option
    /// [`TrainConfig::with_paper_anneal`].
    pub fn imagenet(model: &str, dataset: &str, batch_size: usize) -> Self {
        Self {
            model: model.into(),
            dataset: dataset.into(),
            epochs: IMAGENET_EPOCHS,
            batch_size,
            lr: imagenet_lr(batch_size),
            momentum: 0.9,
            weight_decay: 1e-4,
            decay_bn_and_bias: true,
            schedule: LrSchedule::StepEvery {
                epochs: IMAGENET_DECAY_EVERY,
                gamma: 0.1,
            },
            warmup: None,
            image_size: None,
            ..Self::default()
        }
    }

    /// paper.md's schedule instead of the step-every-30-epochs one: x0.1 at 50%, 75% and 90%
    /// of `epochs` (0.1 -> 0.0001 at batch 256).
    pub fn with_paper_anneal(mut self, epochs: usize) -> Self {
        self.schedule = LrSchedule::default();
        self.epochs = epochs;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_learning_rate_scales_linearly_with_the_batch() {
        assert_eq!(imagenet_lr(256), 0.1);
        assert_eq!(imagenet_lr(512), 0.2);
        assert_eq!(imagenet_lr(64), 0.025);
    }

    #[test]
    fn the_recipe_is_valid_and_decays_every_30_epochs_for_90() {
        let config = TrainConfig::imagenet("resnet-101", "imagenet", 128);
        assert!(config.validate().is_ok());
        assert_eq!((config.epochs, config.lr, config.warmup), (90, 0.05, None));
        let lr = |epoch: u64| config.schedule.lr_at(config.lr, None, epoch * 100, 100, 90);
        assert!((lr(29) - 0.05).abs() < 1e-12);
        assert!((lr(30) - 0.005).abs() < 1e-12);
        assert!((lr(60) - 0.0005).abs() < 1e-12);
        assert!((lr(89) - 0.0005).abs() < 1e-12);
        let paper = config.with_paper_anneal(200);
        assert_eq!((paper.epochs, paper.schedule), (200, LrSchedule::default()));
    }
}
