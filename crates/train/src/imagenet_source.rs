//! ImageNet-2012 folders as a [`BatchSource`]: JPEGs decoded and cropped in parallel ahead of
//! the GPU by deepskip-data's [`ImagenetLoader`]; images that cannot be decoded are skipped and
//! reported on stderr, never a crash.

use crate::batch_source::{BatchIter, BatchSource};
use crate::{TrainConfig, TrainError};
use deepskip_data::imagenet::{
    EpochBatches, ImagenetLayout, ImagenetLoader, LoaderConfig, SkippedImage,
};
use deepskip_data::Batch;
use std::path::Path;

/// The paper's (and torchvision's) ImageNet crop side.
pub const IMAGENET_SIZE: u32 = 224;

/// `<root>/train` and `<root>/val` streamed at `config.image_size` (224 by default).
#[derive(Debug)]
pub struct ImagenetFolders {
    train: ImagenetLoader,
    val: ImagenetLoader,
    classes: usize,
}

impl ImagenetFolders {
    /// Scans the class folders of `root` and prepares the loaders of `config`'s run.
    ///
    /// Per-class subsets are not supported (the folders are streamed, not held in memory):
    /// reduced ImageNet runs cap the epoch with `--steps-per-epoch` instead.
    pub fn open(root: &Path, config: &TrainConfig) -> Result<Self, TrainError> {
        if config.train_subset.is_some() || config.test_subset.is_some() {
            return Err(TrainError::InvalidConfig(
                "train_subset / test_subset are not supported for ImageNet folders; cap the \
                 epoch with steps_per_epoch instead"
                    .into(),
            ));
        }
        let layout = ImagenetLayout::open(root)?;
        let size = config.image_size.unwrap_or(IMAGENET_SIZE);
        let train = ImagenetLoader::new(
            &layout.train,
            LoaderConfig::train(config.batch_size, size, config.seed),
        )?;
        let val = ImagenetLoader::new(&layout.val, LoaderConfig::eval(config.batch_size, size))?;
        Ok(Self {
            train,
            val,
            classes: layout.train.classes().len(),
        })
    }
}

impl BatchSource for ImagenetFolders {
    fn input(&self) -> (i64, i64) {
        (3, self.classes as i64)
    }

    fn train_batches_per_epoch(&self) -> usize {
        self.train.batches_per_epoch()
    }

    fn train_epoch(&self, epoch: usize) -> BatchIter<'_> {
        Box::new(Reported(self.train.epoch(epoch)))
    }

    fn eval(&self) -> BatchIter<'_> {
        Box::new(Reported(self.val.epoch(0)))
    }

    fn top5(&self) -> bool {
        true
    }
}

/// An epoch's batches that report the images they skipped when the epoch is dropped.
#[derive(Debug)]
struct Reported(EpochBatches);

impl Iterator for Reported {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        self.0.next()
    }
}

impl Drop for Reported {
    fn drop(&mut self) {
        report_skipped(self.0.skipped());
    }
}

/// At most this many skipped files are named; the rest are counted.
const NAMED_SKIPS: usize = 10;

fn report_skipped(skipped: &[SkippedImage]) {
    for image in skipped.iter().take(NAMED_SKIPS) {
        eprintln!("warning: {image}");
    }
    if skipped.len() > NAMED_SKIPS {
        eprintln!(
            "warning: {} more images could not be decoded and were skipped",
            skipped.len() - NAMED_SKIPS
        );
    }
}
