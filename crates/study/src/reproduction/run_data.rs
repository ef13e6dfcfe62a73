//! The data one planned run trains on and is analysed with: an in-memory small-image data set from the cache, or
//! the ImageNet folders given with `--imagenet` (streamed, so nothing is held per run).

use super::data_cache::DataCache;
use super::imagenet;
use super::plan::PlannedRun;
use super::train_config::train_config;
use crate::analysis::{fixed_sample, imagenet_validation_sample, AnalysisSamples, ANALYSIS_SEED};
use deepskip_data::{Dataset, DatasetName};
use deepskip_train::{BatchSource, ImagenetFolders, SmallImages, TrainConfig};
use std::path::Path;

/// Where a run's batches come from.
#[derive(Debug, Clone, Copy)]
pub enum RunData<'a> {
    /// MNIST, CIFAR or IDX, loaded once and shared by the runs on it.
    Images(&'a Dataset),
    /// The root of ImageNet-2012 (`train/` and `val/` class folders).
    Imagenet(&'a Path),
}

impl<'a> RunData<'a> {
    /// The data of `dataset`, or the reason it is not available.
    pub fn lookup(
        cache: &'a DataCache,
        imagenet: Option<&'a Path>,
        dataset: &DatasetName,
    ) -> Result<Self, String> {
        match (dataset, imagenet) {
            (DatasetName::ImageNet, Some(root)) => Ok(Self::Imagenet(root)),
            (DatasetName::ImageNet, None) => Err(imagenet::skip_reason(None)),
            (name, _) => cache.get(name).map(Self::Images),
        }
    }

    /// The training configuration of `run` on `device`: the profile's small-image recipe, or
    /// the ImageNet recipe.
    pub fn train_config(&self, run: &PlannedRun, device: &str) -> TrainConfig {
        match self {
            Self::Images(_) => train_config(run, device),
            Self::Imagenet(_) => imagenet::train_config(run, device),
        }
    }

    /// The batches `config` trains on.
    pub fn source(&self, config: &TrainConfig) -> anyhow::Result<Box<dyn BatchSource + 'a>> {
        Ok(match *self {
            Self::Images(dataset) => Box::new(SmallImages::new(config, dataset)),
            Self::Imagenet(root) => Box::new(ImagenetFolders::open(root, config)?),
        })
    }

    /// The fixed samples the analysis feeds the trained network of `config`: `n` training
    /// images of a small-image set, or `n` centre-cropped validation images of ImageNet.
    pub fn analysis_samples(
        &self,
        n: usize,
        config: &TrainConfig,
    ) -> anyhow::Result<AnalysisSamples> {
        Ok(match *self {
            Self::Images(dataset) => AnalysisSamples {
                images: fixed_sample(&dataset.train, n, ANALYSIS_SEED),
                normalization: dataset.normalization.clone(),
            },
            Self::Imagenet(root) => imagenet_validation_sample(
                root,
                n,
                config.image_size.unwrap_or(deepskip_train::IMAGENET_SIZE),
                ANALYSIS_SEED,
            )?,
        })
    }
}
