//! The ImageNet transforms: random-resized-crop + flip for training, resize-256 + centre-crop
//! for evaluation, then normalisation to f32 CHW.
//!
//! Crops are planned in the coordinates of the original image from its size alone, so the
//! decoder can be told how much smaller it may decode (JPEG DCT scaling) before any pixel is
//! touched.

use super::decode::DecodeError;
use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::RgbImage;
use rand::Rng;

/// Which transform to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// Random-resized-crop, horizontal flip, normalise.
    Train,
    /// Resize the shorter side, centre crop, normalise.
    Eval,
}

/// Sizes and statistics of the transforms; [`TransformConfig::imagenet`] is the usual recipe.
#[derive(Debug, Clone, PartialEq)]
pub struct TransformConfig {
    /// Side of the square output (224; tests and CPU runs use 64).
    pub size: u32,
    /// Shorter side before the evaluation centre crop (256 for 224; scaled with `size`).
    pub resize: u32,
    /// Range of the crop's area as a fraction of the image's (training).
    pub scale: (f64, f64),
    /// Range of the crop's aspect ratio, width / height (training).
    pub ratio: (f64, f64),
    /// Per-channel mean and standard deviation of RGB values in [0, 1].
    pub mean: [f32; 3],
    pub std: [f32; 3],
    /// Whether JPEGs may be decoded at 1/2, 1/4 or 1/8 size when the crop stays >= `size`.
    pub reduced_decode: bool,
}

impl TransformConfig {
    /// The torchvision ImageNet recipe at output side `size` (evaluation resizes to
    /// `size * 256 / 224`).
    pub fn imagenet(size: u32) -> Self {
        Self {
            size,
            resize: (size * 256).div_ceil(224),
            scale: (0.08, 1.0),
            ratio: (3.0 / 4.0, 4.0 / 3.0),
            mean: [0.485, 0.456, 0.406],
            std: [0.229, 0.224, 0.225],
            reduced_decode: true,
        }
    }

    /// Why this configuration cannot work, if it cannot.
    pub fn validate(&self) -> Result<(), String> {
        let (s, r) = (self.scale, self.ratio);
        if self.size == 0 || self.resize < self.size {
            return Err(format!(
                "size {} must be at least 1 and resize {} at least size",
                self.size, self.resize
            ));
        }
        let scale_ok = 0.0 < s.0 && s.0 <= s.1 && s.1 <= 1.0;
        let ratio_ok = 0.0 < r.0 && r.0 <= r.1;
        if !(scale_ok && ratio_ok) {
            return Err(format!(
                "scale {s:?} must satisfy 0 < min <= max <= 1 and ratio {r:?} 0 < min <= max"
            ));
        }
        if self.std.iter().any(|&v| v <= 0.0) {
            return Err(format!("std {:?} must be positive", self.std));
        }
        Ok(())
    }

    /// The number of f32 values one transformed image fills (3 x size x size).
    pub fn output_len(&self) -> usize {
        3 * self.size as usize * self.size as usize
    }

    /// Plans the crop of an image of `width` x `height` pixels.
    pub fn plan(&self, split: Split, width: u32, height: u32, rng: &mut impl Rng) -> CropWindow {
        match split {
            Split::Train => {
                let mut window = random_resized_crop(width, height, self.scale, self.ratio, rng);
                window.flip = rng.random_bool(0.5);
                window
            }
            Split::Eval => centre_crop(width, height, self.resize, self.size),
        }
    }

    /// The largest reduction (1, 2, 4 or 8) that keeps the crop at least `size` on each side.
    pub fn max_reduction(&self, window: &CropWindow) -> u32 {
        if !self.reduced_decode {
            return 1;
        }
        let shorter = window.width.min(window.height);
        [8, 4, 2]
            .into_iter()
            .find(|&r| shorter / f64::from(r) >= f64::from(self.size))
            .unwrap_or(1)
    }

    /// Crops `image` (decoded at `original` size or reduced from it), resizes the crop to
    /// `size` x `size`, flips it if asked, and writes normalised CHW values into `out`.
    pub fn apply(
        &self,
        image: &RgbImage,
        original: (u32, u32),
        window: &CropWindow,
        out: &mut [f32],
    ) -> Result<(), DecodeError> {
        if out.len() != self.output_len() {
            return Err(DecodeError(format!(
                "output buffer holds {} values, the transform writes {}",
                out.len(),
                self.output_len()
            )));
        }
        let resized = self.resize_crop(image, original, window)?;
        self.normalise(&resized, window.flip, out);
        Ok(())
    }

    fn resize_crop(
        &self,
        image: &RgbImage,
        original: (u32, u32),
        window: &CropWindow,
    ) -> Result<Image<'static>, DecodeError> {
        let (w, h) = image.dimensions();
        // The decoder may have returned a reduced image: map the crop onto it.
        let sx = f64::from(w) / f64::from(original.0);
        let sy = f64::from(h) / f64::from(original.1);
        let src = ImageRef::new(w, h, image.as_raw(), PixelType::U8x3)
            .map_err(|e| DecodeError(format!("resize source: {e}")))?;
        let mut dst = Image::new(self.size, self.size, PixelType::U8x3);
        let options = ResizeOptions::new()
            .resize_alg(ResizeAlg::Convolution(FilterType::Bilinear))
            .crop(
                window.left * sx,
                window.top * sy,
                window.width * sx,
                window.height * sy,
            );
        Resizer::new()
            .resize(&src, &mut dst, &options)
            .map_err(|e| DecodeError(format!("resize: {e}")))?;
        Ok(dst)
    }

    fn normalise(&self, resized: &Image<'_>, flip: bool, out: &mut [f32]) {
        let side = self.size as usize;
        let plane = side * side;
        let pixels = resized.buffer();
        // (v / 255 - mean) / std as one multiply-add per value.
        let gain: [f32; 3] = std::array::from_fn(|c| 1.0 / (255.0 * self.std[c]));
        let bias: [f32; 3] = std::array::from_fn(|c| -self.mean[c] / self.std[c]);
        for y in 0..side {
            for x in 0..side {
                let src_x = if flip { side - 1 - x } else { x };
                let p = 3 * (y * side + src_x);
                for c in 0..3 {
                    out[c * plane + y * side + x] = f32::from(pixels[p + c]) * gain[c] + bias[c];
                }
            }
        }
    }
}

/// A crop in the original image's pixel coordinates, and whether to mirror it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CropWindow {
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
    pub flip: bool,
}

/// torchvision's `RandomResizedCrop.get_params`: ten tries at a random area and log-uniform
/// aspect ratio, then the largest centred crop within the ratio range.
pub fn random_resized_crop(
    width: u32,
    height: u32,
    scale: (f64, f64),
    ratio: (f64, f64),
    rng: &mut impl Rng,
) -> CropWindow {
    let (wf, hf) = (f64::from(width), f64::from(height));
    let area = wf * hf;
    let log_ratio = (ratio.0.ln(), ratio.1.ln());
    for _ in 0..10 {
        let target_area = area * rng.random_range(scale.0..=scale.1);
        let aspect = rng.random_range(log_ratio.0..=log_ratio.1).exp();
        let w = (target_area * aspect).sqrt().round();
        let h = (target_area / aspect).sqrt().round();
        if w > 0.0 && w <= wf && h > 0.0 && h <= hf {
            let top = rng.random_range(0..=(height - h as u32));
            let left = rng.random_range(0..=(width - w as u32));
            return window(f64::from(left), f64::from(top), w, h);
        }
    }
    let in_ratio = wf / hf;
    let (w, h) = if in_ratio < ratio.0 {
        (wf, (wf / ratio.0).round())
    } else if in_ratio > ratio.1 {
        ((hf * ratio.1).round(), hf)
    } else {
        (wf, hf)
    };
    window(((wf - w) / 2.0).floor(), ((hf - h) / 2.0).floor(), w, h)
}

/// Resize so the shorter side is `resize`, then take the centred `size` x `size` square; in
/// original coordinates that is a centred square of side `size * shorter / resize`.
pub fn centre_crop(width: u32, height: u32, resize: u32, size: u32) -> CropWindow {
    let (wf, hf) = (f64::from(width), f64::from(height));
    let side = (f64::from(size) * wf.min(hf) / f64::from(resize)).min(wf.min(hf));
    window((wf - side) / 2.0, (hf - side) / 2.0, side, side)
}

fn window(left: f64, top: f64, width: f64, height: f64) -> CropWindow {
    CropWindow {
        left,
        top,
        width,
        height,
        flip: false,
    }
}
