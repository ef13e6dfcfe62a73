//! Batches of transformed images, decoded in parallel (rayon) ahead of the consumer through a
//! bounded queue.
//!
//! An epoch is a pure function of `(seed, epoch)`: the shuffle is seeded by both, and every
//! image's crop and flip by `(seed, epoch, batch, position)`, so resuming at an epoch boundary
//! needs no RNG state and the thread schedule never changes a batch.

use super::decode::{decode_rgb, probe_dimensions, DecodeError};
use super::error::ImagenetError;
use super::folder::ImageFolder;
use super::transform::{Split, TransformConfig};
use crate::batches::{chacha_for, Batch};
use crossbeam_channel::{bounded, Receiver};
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;

/// An image the loader could not read or decode; it is left out of its batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedImage {
    pub path: PathBuf,
    pub reason: String,
}

impl std::fmt::Display for SkippedImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: skipped: {}", self.path.display(), self.reason)
    }
}

/// How batches are drawn from one split.
#[derive(Debug, Clone, PartialEq)]
pub struct LoaderConfig {
    pub batch_size: usize,
    pub split: Split,
    /// Shuffle the order every epoch (training).
    pub shuffle: bool,
    /// Leave out the last, smaller batch.
    pub drop_last: bool,
    pub seed: u64,
    /// Batches decoded ahead of the consumer.
    pub prefetch: usize,
    pub transform: TransformConfig,
}

impl LoaderConfig {
    /// Training: shuffled, random crops and flips, last partial batch dropped.
    pub fn train(batch_size: usize, size: u32, seed: u64) -> Self {
        Self {
            batch_size,
            split: Split::Train,
            shuffle: true,
            drop_last: true,
            seed,
            prefetch: 4,
            transform: TransformConfig::imagenet(size),
        }
    }

    /// Evaluation: in order, centre crops, every image.
    pub fn eval(batch_size: usize, size: u32) -> Self {
        Self {
            batch_size,
            split: Split::Eval,
            shuffle: false,
            drop_last: false,
            seed: 0,
            prefetch: 4,
            transform: TransformConfig::imagenet(size),
        }
    }
}

/// Streams batches of one [`ImageFolder`].
#[derive(Debug, Clone)]
pub struct ImagenetLoader {
    samples: Arc<Vec<(PathBuf, usize)>>,
    config: Arc<LoaderConfig>,
}

impl ImagenetLoader {
    pub fn new(folder: &ImageFolder, config: LoaderConfig) -> Result<Self, ImagenetError> {
        if config.batch_size == 0 || config.prefetch == 0 {
            return Err(ImagenetError::Config(format!(
                "batch_size ({}) and prefetch ({}) must be at least 1",
                config.batch_size, config.prefetch
            )));
        }
        config.transform.validate().map_err(ImagenetError::Config)?;
        Ok(Self {
            samples: Arc::new(folder.samples().to_vec()),
            config: Arc::new(config),
        })
    }

    pub fn config(&self) -> &LoaderConfig {
        &self.config
    }

    /// The number of batches one epoch yields.
    pub fn batches_per_epoch(&self) -> usize {
        let (n, b) = (self.samples.len(), self.config.batch_size);
        if self.config.drop_last {
            n / b
        } else {
            n.div_ceil(b)
        }
    }

    /// Starts decoding epoch `epoch` in the background; iterate the result for its batches.
    pub fn epoch(&self, epoch: usize) -> EpochBatches {
        let (sender, receiver) = bounded(self.config.prefetch);
        let loader = self.clone();
        let producer = std::thread::spawn(move || {
            let order = loader.order(epoch);
            for batch in 0..loader.batches_per_epoch() {
                if sender
                    .send(loader.load_batch(&order, epoch, batch))
                    .is_err()
                {
                    break; // the consumer stopped listening
                }
            }
        });
        EpochBatches {
            receiver: Some(receiver),
            producer: Some(producer),
            remaining: self.batches_per_epoch(),
            skipped: Vec::new(),
        }
    }

    /// Batch `batch` of epoch `epoch`, decoded on the calling thread's rayon pool.
    pub fn batch(&self, epoch: usize, batch: usize) -> (Batch, Vec<SkippedImage>) {
        self.load_batch(&self.order(epoch), epoch, batch)
    }

    /// The sample order of an epoch.
    fn order(&self, epoch: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.samples.len()).collect();
        if self.config.shuffle {
            order.shuffle(&mut chacha_for(&[self.config.seed, epoch as u64]));
        }
        order
    }

    fn load_batch(
        &self,
        order: &[usize],
        epoch: usize,
        batch: usize,
    ) -> (Batch, Vec<SkippedImage>) {
        let start = batch * self.config.batch_size;
        let end = (start + self.config.batch_size).min(order.len());
        let results: Vec<_> = order[start..end]
            .par_iter()
            .enumerate()
            .map(|(position, &index)| {
                let mut rng = chacha_for(&[
                    self.config.seed,
                    epoch as u64,
                    batch as u64,
                    position as u64,
                ]);
                let (path, label) = &self.samples[index];
                self.load_image(path, &mut rng)
                    .map(|pixels| (pixels, *label as i64))
                    .map_err(|e| SkippedImage {
                        path: path.clone(),
                        reason: e.0,
                    })
            })
            .collect();
        let side = self.config.transform.size as usize;
        let mut images = Vec::with_capacity(results.len() * self.config.transform.output_len());
        let mut labels = Vec::with_capacity(results.len());
        let mut skipped = Vec::new();
        for result in results {
            match result {
                Ok((pixels, label)) => {
                    images.extend_from_slice(&pixels);
                    labels.push(label);
                }
                Err(skip) => skipped.push(skip),
            }
        }
        let shape = [labels.len(), 3, side, side];
        let batch = Batch {
            images,
            labels,
            shape,
        };
        (batch, skipped)
    }

    fn load_image(&self, path: &PathBuf, rng: &mut ChaCha8Rng) -> Result<Vec<f32>, DecodeError> {
        let transform = &self.config.transform;
        let bytes = std::fs::read(path).map_err(|e| DecodeError(format!("read: {e}")))?;
        let original = probe_dimensions(&bytes)?;
        let window = transform.plan(self.config.split, original.0, original.1, rng);
        let image = decode_rgb(&bytes, transform.max_reduction(&window))?;
        let mut out = vec![0.0; transform.output_len()];
        transform.apply(&image, original, &window, &mut out)?;
        Ok(out)
    }
}

/// The batches of one epoch, in order; images that could not be decoded are collected in
/// [`EpochBatches::skipped`] as the batches holding them arrive.
#[derive(Debug)]
pub struct EpochBatches {
    receiver: Option<Receiver<(Batch, Vec<SkippedImage>)>>,
    producer: Option<JoinHandle<()>>,
    remaining: usize,
    skipped: Vec<SkippedImage>,
}

impl EpochBatches {
    /// The images skipped so far in this epoch, with the reason.
    pub fn skipped(&self) -> &[SkippedImage] {
        &self.skipped
    }
}

impl Iterator for EpochBatches {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        let (batch, skipped) = self.receiver.as_ref()?.recv().ok()?;
        self.skipped.extend(skipped);
        self.remaining = self.remaining.saturating_sub(1);
        Some(batch)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for EpochBatches {}

impl Drop for EpochBatches {
    fn drop(&mut self) {
        // Closing the queue stops the producer after the batch it is working on.
        self.receiver.take();
        if let Some(producer) = self.producer.take() {
            let _ = producer.join();
        }
    }
}
