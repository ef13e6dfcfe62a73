//! Generated stand-ins for real data, for benchmarks and demos that must run without a
//! download: a CIFAR-shaped image set and photo-like JPEGs of ImageNet size.

use crate::cifar::CIFAR_SHAPE;
use crate::ImageSet;
use image::codecs::jpeg::JpegEncoder;
use image::{ExtendedColorType, ImageEncoder, RgbImage};

/// `images` CIFAR-shaped images of xorshift noise, labels cycling through the 10 classes.
pub fn cifar_like(images: usize) -> ImageSet {
    let mut x = 0x9e37_79b9u32;
    let pixels = (0..images * CIFAR_SHAPE.size())
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    let labels = (0..images).map(|i| (i % 10) as u16).collect();
    ImageSet::new(pixels, labels, CIFAR_SHAPE, 10).expect("the generated set is consistent")
}

/// Photo-like content: smooth shapes and shading plus mild sensor-like noise, so a quality-90
/// JPEG comes out near ImageNet's typical size (~100-150 KB at 500x375) rather than the few KB
/// of a flat picture or the ~300 KB of pure noise.
pub fn photo(width: u32, height: u32, seed: u32) -> RgbImage {
    let s = seed as f32;
    RgbImage::from_fn(width, height, |x, y| {
        let (xf, yf) = (x as f32, y as f32);
        let wave = ((xf * 0.05 + s).sin() * (yf * 0.03 - s).cos() * 60.0) as i32;
        let texture = ((xf * 0.4 + yf * 0.25 + s).sin() * 25.0) as i32;
        let noise = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503) ^ seed) % 24;
        let channel = |base: i32| (base + wave + texture + noise as i32).clamp(0, 255) as u8;
        image::Rgb([
            channel((x * 200 / width) as i32),
            channel(90 + (y * 120 / height) as i32),
            channel(160 - ((x + y) * 100 / (width + height)) as i32),
        ])
    })
}

/// [`photo`] encoded as a quality-90 JPEG.
pub fn photo_jpeg(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let image = photo(width, height, seed);
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, 90)
        .write_image(image.as_raw(), width, height, ExtendedColorType::Rgb8)
        .expect("encoding an in-memory RGB image");
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cifar_stand_in_has_every_class_and_the_jpeg_decodes_to_its_size() {
        let set = cifar_like(20);
        assert_eq!(set.class_counts(), vec![2; 10]);
        assert_ne!(set.image(0), set.image(1));
        let jpeg = photo_jpeg(50, 30, 1);
        let decoded = image::load_from_memory(&jpeg).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (50, 30));
        assert_ne!(photo_jpeg(50, 30, 2), jpeg);
    }
}
