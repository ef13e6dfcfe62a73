//! Throughput of augmented CIFAR training batches of 128 (images per second), the rate a
//! training loop can consume: shuffle, pad-crop-flip, normalise, prefetch.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use deepskip_data::cifar::CIFAR_SHAPE;
use deepskip_data::{train_batches, Augmentation, ImageSet, Normalization};
use std::hint::black_box;
use std::sync::Arc;

const IMAGES: usize = 10_000;
const BATCH: usize = 128;

fn synthetic_cifar() -> ImageSet {
    let mut x = 0x9e37_79b9u32;
    let images = (0..IMAGES * CIFAR_SHAPE.size())
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    let labels = (0..IMAGES).map(|i| (i % 10) as u16).collect();
    ImageSet::new(images, labels, CIFAR_SHAPE, 10).expect("valid synthetic set")
}

fn augmented_batches(c: &mut Criterion) {
    let set = Arc::new(synthetic_cifar());
    let norm = Normalization::from_images(&set);
    let mut group = c.benchmark_group("cifar_train_batches");
    group.sample_size(10);
    group.throughput(Throughput::Elements(((IMAGES / BATCH) * BATCH) as u64));
    let mut epoch = 0;
    group.bench_function("augmented_128", |b| {
        b.iter(|| {
            epoch += 1;
            let batches = train_batches(
                Arc::clone(&set),
                &norm,
                Augmentation::STANDARD_CIFAR,
                BATCH,
                7,
                epoch,
            );
            black_box(batches.fold(0usize, |n, batch| n + black_box(batch.images.len())))
        })
    });
    group.finish();
}

criterion_group!(benches, augmented_batches);
criterion_main!(benches);
