//! Data pipeline throughput: augmented CIFAR-10 training batches (deepskip-data's seeded
//! shuffle, pad-crop-flip, normalisation and prefetch), and ImageNet JPEG decode +
//! random-resized-crop to 224 through the ImageNet loader on generated photo-like JPEGs.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use deepskip_data::imagenet::{ImageFolder, ImagenetLoader, LoaderConfig};
use deepskip_data::{
    load, synthetic, train_batches, DataSource, DatasetName, ImageSet, Normalization,
};
use serde_json::{json, Value};

use crate::peak_memory::peak_rss_kib;

const CIFAR_BATCH: usize = 128;
const GENERATED_CIFAR_IMAGES: usize = 10_000;

#[derive(Debug, Args)]
pub struct PipelineArgs {
    /// Augmented CIFAR batches of 128 to time (at most one epoch).
    #[arg(long, default_value_t = 78)]
    cifar_batches: usize,
    /// Generated ImageNet JPEGs (500x375) to decode and crop.
    #[arg(long, default_value_t = 64)]
    imagenet_images: usize,
    /// Where the generated JPEGs go (a fresh subfolder is created and removed).
    #[arg(long)]
    scratch: PathBuf,
}

pub fn run(args: &PipelineArgs) -> Result<Value> {
    let (set, origin) = cifar_train_set();
    let cifar = time_cifar(set, args.cifar_batches);
    let imagenet = time_imagenet(&args.scratch, args.imagenet_images)?;
    Ok(json!({
        "side": "deepskip",
        "cifar": {
            "origin": origin,
            "batch": CIFAR_BATCH,
            "batches": cifar.0,
            "seconds": cifar.1,
        },
        "imagenet": {
            "size": 224,
            "images": imagenet.0,
            "seconds": imagenet.1,
        },
        "threads": rayon::current_num_threads(),
        "peak_rss_kib": peak_rss_kib(),
    }))
}

/// Real CIFAR-10 from the data root or mirror (never downloaded here), else a generated set.
fn cifar_train_set() -> (ImageSet, String) {
    let mut source = DataSource::from_env(None);
    source.allow_download = false;
    source.show_progress = false;
    match load(&DatasetName::Cifar10, &source) {
        Ok(dataset) => (dataset.train, format!("real ({})", source.root.display())),
        Err(err) => {
            eprintln!("deepskip-bench: timing generated CIFAR-shaped images instead: {err}");
            (
                synthetic::cifar_like(GENERATED_CIFAR_IMAGES),
                format!(
                    "generated {GENERATED_CIFAR_IMAGES} images: no CIFAR-10 under the data root \
                     or DEEPSKIP_DATA_MIRROR"
                ),
            )
        }
    }
}

/// (batches consumed, seconds), starting the clock before the epoch's shuffle.
fn time_cifar(set: ImageSet, batches: usize) -> (usize, f64) {
    let norm = Normalization::from_images(&set);
    let set = Arc::new(set);
    let start = Instant::now();
    let consumed = train_batches(
        set,
        &norm,
        deepskip_data::Augmentation::STANDARD_CIFAR,
        CIFAR_BATCH,
        7,
        1,
    )
    .take(batches)
    .inspect(|batch| {
        std::hint::black_box(&batch.images);
    })
    .count();
    (consumed, start.elapsed().as_secs_f64())
}

/// (images delivered, seconds) of one training epoch over generated JPEGs.
fn time_imagenet(scratch: &Path, images: usize) -> Result<(usize, f64)> {
    let root = scratch.join(format!("imagenet-{}", std::process::id()));
    let result = write_jpegs(&root, images).and_then(|()| {
        let folder = ImageFolder::scan(&root).context("scanning the generated ImageNet folder")?;
        let loader = ImagenetLoader::new(&folder, LoaderConfig::train(16, 224, 0))?;
        let start = Instant::now();
        let delivered: usize = loader.epoch(0).map(|batch| batch.labels.len()).sum();
        Ok((delivered, start.elapsed().as_secs_f64()))
    });
    std::fs::remove_dir_all(&root).with_context(|| format!("removing {}", root.display()))?;
    result
}

/// `images` quality-90 500x375 JPEGs in two class folders.
fn write_jpegs(root: &Path, images: usize) -> Result<()> {
    for index in 0..images {
        let dir = root.join(format!("n{:08}", index % 2));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let bytes = synthetic::photo_jpeg(500, 375, index as u32);
        let path = dir.join(format!("image_{index:05}.JPEG"));
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
