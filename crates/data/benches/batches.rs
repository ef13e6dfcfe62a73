//! Throughput of augmented CIFAR training batches of 128 (images per second), the rate a
//! training loop can consume: shuffle, pad-crop-flip, normalise, prefetch.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use deepskip_data::{synthetic, train_batches, Augmentation, Normalization};
use std::hint::black_box;
use std::sync::Arc;

const IMAGES: usize = 10_000;
const BATCH: usize = 128;

fn augmented_batches(c: &mut Criterion) {
    let set = Arc::new(synthetic::cifar_like(IMAGES));
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
