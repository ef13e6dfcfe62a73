//! Where a run's batches come from: the one seam between the training loop and the data, so
//! that in-memory small-image data sets and streamed ImageNet folders share one loop.

use crate::{TrainConfig, TrainError, WarmupCoverage};
use deepskip_data::{
    eval_batches, train_batches, Augmentation, Batch, Dataset, ImageSet, Normalization,
};
use std::sync::Arc;

/// A boxed stream of batches.
pub type BatchIter<'a> = Box<dyn Iterator<Item = Batch> + 'a>;

/// The batches of a run. A training epoch must be a pure function of `(seed, epoch)` so that a
/// run resumed at an epoch boundary replays exactly.
pub trait BatchSource {
    /// Image channels and number of classes: what the model is fitted to.
    fn input(&self) -> (i64, i64);
    /// Full training batches in one epoch (before the `--steps-per-epoch` cap).
    fn train_batches_per_epoch(&self) -> usize;
    /// The training batches of 1-based `epoch`.
    fn train_epoch(&self, epoch: usize) -> BatchIter<'_>;
    /// The evaluation batches (every test image, in order).
    fn eval(&self) -> BatchIter<'_>;
    /// Whether the metrics record top-5 accuracy besides top-1 (ImageNet).
    fn top5(&self) -> bool {
        false
    }
}

/// A small-image [`Dataset`] held in memory (MNIST, CIFAR, IDX), possibly reduced to a
/// per-class subset.
#[derive(Debug)]
pub struct SmallImages {
    train: Arc<ImageSet>,
    test: Arc<ImageSet>,
    normalization: Normalization,
    augmentation: Augmentation,
    batch_size: usize,
    seed: u64,
}

impl SmallImages {
    /// The (subset) splits of `dataset` that `config` trains and tests on.
    pub fn new(config: &TrainConfig, dataset: &Dataset) -> Self {
        let subset = |set: &ImageSet, per_class: Option<usize>| match per_class {
            Some(n) => set.stratified_subset(n),
            None => set.clone(),
        };
        Self {
            train: Arc::new(subset(&dataset.train, config.train_subset)),
            test: Arc::new(subset(&dataset.test, config.test_subset)),
            normalization: dataset.normalization.clone(),
            augmentation: dataset.augmentation,
            batch_size: config.batch_size,
            seed: config.seed,
        }
    }
}

impl BatchSource for SmallImages {
    fn input(&self) -> (i64, i64) {
        (
            self.train.shape.channels as i64,
            self.train.num_classes as i64,
        )
    }

    fn train_batches_per_epoch(&self) -> usize {
        self.train.len() / self.batch_size.max(1)
    }

    fn train_epoch(&self, epoch: usize) -> BatchIter<'_> {
        Box::new(train_batches(
            Arc::clone(&self.train),
            &self.normalization,
            self.augmentation,
            self.batch_size,
            self.seed,
            epoch,
        ))
    }

    fn eval(&self) -> BatchIter<'_> {
        Box::new(eval_batches(
            Arc::clone(&self.test),
            &self.normalization,
            self.batch_size,
        ))
    }
}

/// The number of steps per epoch `config` trains with on `source`; an error when the training
/// split makes no full batch.
pub fn steps_per_epoch(
    config: &TrainConfig,
    source: &dyn BatchSource,
) -> Result<usize, TrainError> {
    let full_batches = source.train_batches_per_epoch();
    if full_batches == 0 {
        return Err(TrainError::InvalidConfig(format!(
            "the training split makes no full batch of {} (batch_size): lower batch_size or raise \
             train_subset",
            config.batch_size
        )));
    }
    Ok(config
        .steps_per_epoch
        .map_or(full_batches, |cap| cap.min(full_batches)))
}

/// How much of the run `config` would train on `source` its warm-up takes (`None` without a
/// warm-up); an error when the training split makes no full batch.
pub fn warmup_coverage(
    config: &TrainConfig,
    source: &dyn BatchSource,
) -> Result<Option<WarmupCoverage>, TrainError> {
    let Some(warmup) = &config.warmup else {
        return Ok(None);
    };
    let total = steps_per_epoch(config, source)? as u64 * config.epochs as u64;
    Ok(Some(warmup.coverage(total)))
}
