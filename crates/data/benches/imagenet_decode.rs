//! Decoded and random-resized-cropped images per second on generated JPEGs of typical ImageNet
//! size (500x375, quality 90), one core; plus the alternatives the decoder and resizer were
//! chosen against. Target: >= 300 images/s per core for `pipeline/train_224`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use deepskip_data::imagenet::{decode_rgb, probe_dimensions, Split, TransformConfig};
use deepskip_data::synthetic;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;

const IMAGES: usize = 8;

fn jpegs() -> Vec<Vec<u8>> {
    (0..IMAGES as u32)
        .map(|seed| synthetic::photo_jpeg(500, 375, seed))
        .collect()
}

/// Decode, plan, crop, resize, flip and normalise, as the loader does per image.
fn pipeline(
    bytes: &[u8],
    config: &TransformConfig,
    split: Split,
    rng: &mut ChaCha8Rng,
    out: &mut [f32],
) {
    let original = probe_dimensions(bytes).expect("probe");
    let window = config.plan(split, original.0, original.1, rng);
    let image = decode_rgb(bytes, config.max_reduction(&window)).expect("decode");
    config
        .apply(&image, original, &window, out)
        .expect("transform");
}

fn bench_pipeline(c: &mut Criterion) {
    let files = jpegs();
    let mean_kb = files.iter().map(Vec::len).sum::<usize>() as f64 / files.len() as f64 / 1024.0;
    println!("{IMAGES} generated 500x375 quality-90 JPEGs, {mean_kb:.0} KB on average");
    let mut group = c.benchmark_group("pipeline");
    group.throughput(Throughput::Elements(IMAGES as u64));
    for (name, size, split, reduced) in [
        ("train_224", 224, Split::Train, true),
        ("train_224_no_dct_scaling", 224, Split::Train, false),
        ("eval_224", 224, Split::Eval, true),
        ("train_64", 64, Split::Train, true),
        ("train_64_no_dct_scaling", 64, Split::Train, false),
    ] {
        let mut config = TransformConfig::imagenet(size);
        config.reduced_decode = reduced;
        let mut out = vec![0.0; config.output_len()];
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        group.bench_function(name, |b| {
            b.iter(|| {
                for bytes in &files {
                    pipeline(bytes, &config, split, &mut rng, &mut out);
                }
                black_box(&out);
            })
        });
    }
    group.finish();
}

fn bench_decoders(c: &mut Criterion) {
    let files = jpegs();
    let mut group = c.benchmark_group("decode_500x375");
    group.throughput(Throughput::Elements(IMAGES as u64));
    group.bench_function("zune_jpeg", |b| {
        b.iter(|| {
            for bytes in &files {
                let mut d = zune_jpeg::JpegDecoder::new(
                    zune_jpeg::zune_core::bytestream::ZCursor::new(bytes.as_slice()),
                );
                black_box(d.decode().expect("zune"));
            }
        })
    });
    group.bench_function("image_crate", |b| {
        b.iter(|| {
            for bytes in &files {
                black_box(image::load_from_memory(bytes).expect("image").to_rgb8());
            }
        })
    });
    for reduction in [1u16, 2, 4] {
        group.bench_function(format!("jpeg_decoder_1_{reduction}"), |b| {
            b.iter(|| {
                for bytes in &files {
                    let mut d = jpeg_decoder::Decoder::new(bytes.as_slice());
                    d.read_info().expect("header");
                    d.scale(500 / reduction, 375 / reduction).expect("scale");
                    black_box(d.decode().expect("jpeg-decoder"));
                }
            })
        });
    }
    group.finish();
}

fn bench_resizers(c: &mut Criterion) {
    let image = synthetic::photo(500, 375, 1);
    let mut group = c.benchmark_group("crop_resize_320x240_to_224");
    group.bench_function("fast_image_resize", |b| {
        let config = TransformConfig::imagenet(224);
        let window = deepskip_data::imagenet::CropWindow {
            left: 50.0,
            top: 40.0,
            width: 320.0,
            height: 240.0,
            flip: false,
        };
        let mut out = vec![0.0; config.output_len()];
        b.iter(|| {
            config
                .apply(&image, (500, 375), &window, &mut out)
                .expect("apply")
        })
    });
    group.bench_function("image_resize_triangle", |b| {
        b.iter(|| {
            let crop = image::imageops::crop_imm(&image, 50, 40, 320, 240).to_image();
            black_box(image::imageops::resize(
                &crop,
                224,
                224,
                image::imageops::FilterType::Triangle,
            ))
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = bench_pipeline, bench_decoders, bench_resizers
}
criterion_main!(benches);
