//! Small generated data sets for the CLI's end-to-end tests: an MNIST-layout IDX split and
//! ImageNet-layout JPEGs.

// Each test binary compiles this module and uses only some of the writers.
#![allow(dead_code)]

use image::{ImageFormat, RgbImage};
use std::fs;
use std::path::Path;

const CLASSES: usize = 10;
const SIDE: usize = 28;

/// An IDX file: magic `00 00 08 <ndims>`, big-endian u32 dimensions, then bytes.
fn idx_bytes(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

/// An MNIST-layout IDX data set in `dir` (created): `train` and `t10k` splits with the given
/// images per class.
pub fn write_idx_data_set(dir: &Path, train_per_class: usize, test_per_class: usize) {
    fs::create_dir_all(dir).unwrap();
    write_idx_split(dir, "train", train_per_class);
    write_idx_split(dir, "t10k", test_per_class);
}

/// `per_class` images per class in MNIST's layout; class `c` draws a bright bar at row `2c+4`
/// over a little deterministic noise, so the classes are learnable.
fn write_idx_split(dir: &Path, prefix: &str, per_class: usize) {
    let n = per_class * CLASSES;
    let mut images = Vec::with_capacity(n * SIDE * SIDE);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let class = i % CLASSES;
        labels.push(class as u8);
        for row in 0..SIDE {
            for col in 0..SIDE {
                let noise = ((i * 31 + row * 7 + col * 13) % 23) as u8;
                let bar = if row == 2 * class + 4 { 200 } else { 0 };
                images.push(bar + noise);
            }
        }
    }
    let images_path = dir.join(format!("{prefix}-images-idx3-ubyte"));
    let labels_path = dir.join(format!("{prefix}-labels-idx1-ubyte"));
    fs::write(
        images_path,
        idx_bytes(&[n as u32, SIDE as u32, SIDE as u32], &images),
    )
    .unwrap();
    fs::write(labels_path, idx_bytes(&[n as u32], &labels)).unwrap();
}

/// A `width` x `height` JPEG at `path` (parents created) whose colours depend on `class`.
pub fn write_jpeg(path: &Path, width: u32, height: u32, class: u32) {
    let picture = RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            (x * 3 + class * 60) as u8,
            (y * 3) as u8,
            (class * 60) as u8,
        ])
    });
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    picture
        .save_with_format(path, ImageFormat::Jpeg)
        .expect("write JPEG");
}
