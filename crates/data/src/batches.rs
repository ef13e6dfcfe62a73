//! Seeded batch streams. A training epoch is a pure function of `(seed, epoch)`: the shuffle
//! and every augmentation draw come from ChaCha generators keyed by `(seed, epoch, batch)`,
//! so a run resumed at an epoch boundary replays exactly, on any machine, with no RNG state
//! saved. Batches are assembled in parallel (rayon) by a background thread that stays a few
//! batches ahead of the consumer (a bounded queue).

use crate::augmentation::{write_augmented, Augmentation, Placement};
use crate::image_set::ImageSet;
use crate::normalization::Normalization;
use crossbeam_channel::Receiver;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::sync::Arc;

/// Batches assembled ahead of the consumer.
const PREFETCH: usize = 4;

/// One mini-batch: normalised `f32` images in NCHW order and their labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub images: Vec<f32>,
    pub labels: Vec<i64>,
    /// `[n, channels, height, width]`.
    pub shape: [usize; 4],
}

impl Batch {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.shape[0]
    }

    /// Whether the batch holds no image.
    pub fn is_empty(&self) -> bool {
        self.shape[0] == 0
    }
}

/// The batches of one pass over a set, in order; an `ExactSizeIterator`.
#[derive(Debug)]
pub struct Batches {
    plan: Arc<Plan>,
    next: usize,
    /// `None` when no background thread could be started: batches are then built on demand.
    prefetched: Option<Receiver<Batch>>,
}

/// The training batches of `epoch`: a seeded shuffle of `set`, augmented, normalised; the last
/// partial batch is dropped. `batch_size` 0 gives no batches.
pub fn train_batches(
    set: Arc<ImageSet>,
    norm: &Normalization,
    aug: Augmentation,
    batch_size: usize,
    seed: u64,
    epoch: usize,
) -> Batches {
    let mut order: Vec<usize> = (0..set.len()).collect();
    order.shuffle(&mut rng_for(seed, epoch, 0, Domain::Shuffle));
    let count = set.len().checked_div(batch_size).unwrap_or(0);
    Batches::start(Plan {
        set,
        table: norm.lookup_table(),
        aug,
        order,
        batch_size,
        count,
        seed,
        epoch,
    })
}

/// Evaluation batches: `set` in order, normalised, not augmented; the last partial batch is
/// kept. `batch_size` 0 gives no batches.
pub fn eval_batches(set: Arc<ImageSet>, norm: &Normalization, batch_size: usize) -> Batches {
    let order: Vec<usize> = (0..set.len()).collect();
    let count = if batch_size == 0 {
        0
    } else {
        set.len().div_ceil(batch_size)
    };
    Batches::start(Plan {
        set,
        table: norm.lookup_table(),
        aug: Augmentation::None,
        order,
        batch_size,
        count,
        seed: 0,
        epoch: 0,
    })
}

/// Everything a batch is a function of.
#[derive(Debug)]
struct Plan {
    set: Arc<ImageSet>,
    table: Vec<f32>,
    aug: Augmentation,
    order: Vec<usize>,
    batch_size: usize,
    count: usize,
    seed: u64,
    epoch: usize,
}

#[derive(Debug, Clone, Copy)]
enum Domain {
    Shuffle = 1,
    Augment = 2,
}

/// A generator keyed by the whole tuple, so no two (seed, epoch, batch, purpose) share draws.
fn rng_for(seed: u64, epoch: usize, batch: usize, domain: Domain) -> ChaCha8Rng {
    chacha_for(&[seed, epoch as u64, batch as u64, domain as u64])
}

/// A ChaCha8 stream keyed by up to four numbers (no hashing, so no collisions); the ImageNet
/// loader keys its streams the same way.
pub(crate) fn chacha_for(key: &[u64]) -> ChaCha8Rng {
    let mut seed = [0u8; 32];
    for (chunk, value) in seed.chunks_mut(8).zip(key) {
        chunk.copy_from_slice(&value.to_le_bytes());
    }
    ChaCha8Rng::from_seed(seed)
}

impl Plan {
    fn assemble(&self, batch: usize) -> Batch {
        let start = batch * self.batch_size;
        let indices = &self.order[start..(start + self.batch_size).min(self.order.len())];
        let shape = self.set.shape;
        let mut rng = rng_for(self.seed, self.epoch, batch, Domain::Augment);
        // Draw sequentially so the result does not depend on how rayon splits the work.
        let placements: Vec<Placement> = indices.iter().map(|_| self.aug.draw(&mut rng)).collect();
        let mut images = vec![0f32; indices.len() * shape.size()];
        images
            .par_chunks_mut(shape.size())
            .zip(indices.par_iter().zip(&placements))
            .for_each(|(out, (&i, &p))| {
                write_augmented(self.set.image(i), shape, p, &self.table, out)
            });
        Batch {
            images,
            labels: indices
                .iter()
                .map(|&i| i64::from(self.set.labels[i]))
                .collect(),
            shape: [indices.len(), shape.channels, shape.height, shape.width],
        }
    }
}

impl Batches {
    fn start(plan: Plan) -> Batches {
        let plan = Arc::new(plan);
        let (sender, receiver) = crossbeam_channel::bounded(PREFETCH);
        let producer = Arc::clone(&plan);
        let spawned = std::thread::Builder::new()
            .name("deepskip-batches".into())
            .spawn(move || {
                for b in 0..producer.count {
                    // The consumer dropped the iterator: stop.
                    if sender.send(producer.assemble(b)).is_err() {
                        break;
                    }
                }
            });
        Batches {
            plan,
            next: 0,
            prefetched: spawned.ok().map(|_| receiver),
        }
    }
}

impl Iterator for Batches {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        if self.next >= self.plan.count {
            return None;
        }
        let batch = match &self.prefetched {
            Some(rx) => rx.recv().ok(),
            None => Some(self.plan.assemble(self.next)),
        };
        self.next += 1;
        batch
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.plan.count - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Batches {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image_set::ImageShape;

    fn set(n: usize) -> Arc<ImageSet> {
        set_with_classes(n, 10)
    }

    /// `n` 3x4x4 images; image `i` has label `i % classes`.
    fn set_with_classes(n: usize, classes: usize) -> Arc<ImageSet> {
        let shape = ImageShape {
            channels: 3,
            height: 4,
            width: 4,
        };
        let images = (0..n * shape.size()).map(|i| (i % 251) as u8).collect();
        let labels = (0..n).map(|i| (i % classes) as u16).collect();
        Arc::new(ImageSet::new(images, labels, shape, classes).unwrap())
    }

    fn aug() -> Augmentation {
        Augmentation::PadCropFlip { pad: 2 }
    }

    fn epoch(seed: u64, e: usize) -> Vec<Batch> {
        train_batches(set(50), &Normalization::identity(3), aug(), 8, seed, e).collect()
    }

    #[test]
    fn same_seed_and_epoch_give_the_same_batches() {
        assert_eq!(epoch(3, 2), epoch(3, 2));
        assert_ne!(epoch(3, 2), epoch(3, 1));
        assert_ne!(epoch(3, 2), epoch(4, 2));
    }

    #[test]
    fn training_drops_the_partial_batch_and_covers_distinct_images() {
        // One class per image, so a label names the image it came from.
        let batches: Vec<Batch> = train_batches(
            set_with_classes(50, 50),
            &Normalization::identity(3),
            aug(),
            8,
            1,
            0,
        )
        .collect();
        assert_eq!(batches.len(), 6);
        assert!(batches
            .iter()
            .all(|b| b.shape == [8, 3, 4, 4] && b.images.len() == 8 * 48));
        let mut labels: Vec<i64> = batches.iter().flat_map(|b| b.labels.clone()).collect();
        assert_ne!(labels, (0..48).collect::<Vec<_>>(), "shuffled");
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), 48, "48 distinct images: {labels:?}");
        assert!(labels.iter().all(|l| (0..50).contains(l)), "{labels:?}");
    }

    #[test]
    fn eval_batches_are_in_order_unaugmented_and_keep_the_last_partial_batch() {
        let s = set(20);
        let batches: Vec<Batch> =
            eval_batches(Arc::clone(&s), &Normalization::identity(3), 8).collect();
        assert_eq!(
            batches.iter().map(Batch::len).collect::<Vec<_>>(),
            vec![8, 8, 4]
        );
        let first = &batches[2].images[..48];
        let expected: Vec<f32> = s.image(16).iter().map(|&v| f32::from(v) / 255.0).collect();
        assert_eq!(first, expected.as_slice());
        assert_eq!(batches[2].labels, vec![6, 7, 8, 9]);
    }

    #[test]
    fn len_counts_down_and_abandoned_streams_stop_cleanly() {
        let mut batches = train_batches(set(50), &Normalization::identity(3), aug(), 8, 0, 0);
        assert_eq!(batches.len(), 6);
        batches.next();
        assert_eq!(batches.len(), 5);
        drop(batches);
        assert_eq!(
            eval_batches(set(5), &Normalization::identity(3), 0).len(),
            0
        );
        assert_eq!(
            train_batches(set(5), &Normalization::identity(3), aug(), 8, 0, 0).len(),
            0
        );
    }
}
