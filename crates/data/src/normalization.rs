//! Per-channel mean and standard deviation of pixels scaled to 0..1.
//!
//! deepskip computes them from the training split of each data set (population standard
//! deviation over every pixel of every training image), rather than using published constants,
//! so any IDX directory gets correct values too. For the real data sets they agree with the
//! usual constants: MNIST 0.1307 / 0.3081; CIFAR-10 (0.4914, 0.4822, 0.4465) /
//! (0.2470, 0.2435, 0.2616).

use crate::image_set::ImageSet;
use rayon::prelude::*;

/// Per-channel statistics; a pixel `v` of channel `c` becomes `(v / 255 - mean[c]) / std[c]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalization {
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

impl Normalization {
    /// Mean and standard deviation of every channel over all images of `set`.
    pub fn from_images(set: &ImageSet) -> Self {
        let channels = set.shape.channels;
        let histograms = channel_histograms(set);
        let (mean, std) = (0..channels)
            .map(|c| moments(&histograms[c * 256..(c + 1) * 256]))
            .unzip();
        Normalization { mean, std }
    }

    /// Maps pixels to `v / 255` unchanged otherwise.
    pub fn identity(channels: usize) -> Self {
        Normalization {
            mean: vec![0.0; channels],
            std: vec![1.0; channels],
        }
    }

    /// The normalised value of every byte of every channel: `table[c * 256 + v]`. Batches are
    /// assembled by lookup instead of arithmetic per pixel.
    pub fn lookup_table(&self) -> Vec<f32> {
        self.mean
            .iter()
            .zip(&self.std)
            .flat_map(|(&m, &s)| {
                // A constant channel has std 0; it normalises to 0 rather than to NaN.
                let s = if s > 0.0 { s } else { 1.0 };
                (0..256).map(move |v| (v as f32 / 255.0 - m) / s)
            })
            .collect()
    }
}

/// Counts of each byte value per channel, `[c * 256 + v]`, counted in parallel over images.
fn channel_histograms(set: &ImageSet) -> Vec<u64> {
    let channels = set.shape.channels;
    let plane = set.shape.plane();
    let size = set.shape.size().max(1);
    set.images
        .par_chunks(size * 256)
        .fold(
            || vec![0u64; channels * 256],
            |mut hist, images| {
                for image in images.chunks_exact(size) {
                    for (c, channel) in image.chunks_exact(plane).enumerate() {
                        let h = &mut hist[c * 256..(c + 1) * 256];
                        channel.iter().for_each(|&v| h[usize::from(v)] += 1);
                    }
                }
                hist
            },
        )
        .reduce(
            || vec![0u64; channels * 256],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            },
        )
}

/// Mean and population standard deviation of values `v / 255` given their histogram.
fn moments(hist: &[u64]) -> (f32, f32) {
    let n: u64 = hist.iter().sum();
    if n == 0 {
        return (0.0, 1.0);
    }
    let n = n as f64;
    let mean = hist
        .iter()
        .enumerate()
        .map(|(v, &k)| v as f64 / 255.0 * k as f64)
        .sum::<f64>()
        / n;
    let var = hist
        .iter()
        .enumerate()
        .map(|(v, &k)| (v as f64 / 255.0 - mean).powi(2) * k as f64)
        .sum::<f64>()
        / n;
    (mean as f32, var.sqrt() as f32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image_set::ImageShape;

    #[test]
    fn statistics_are_per_channel_over_all_images() {
        let shape = ImageShape {
            channels: 2,
            height: 1,
            width: 2,
        };
        // Channel 0 holds 0 and 255 (mean 0.5, std 0.5); channel 1 is constant 51 (0.2, 0).
        let images = vec![0, 255, 51, 51, 255, 0, 51, 51];
        let set = ImageSet::new(images, vec![0, 1], shape, 2).unwrap();
        let norm = Normalization::from_images(&set);
        assert!((norm.mean[0] - 0.5).abs() < 1e-6 && (norm.std[0] - 0.5).abs() < 1e-6);
        assert!((norm.mean[1] - 0.2).abs() < 1e-6 && norm.std[1].abs() < 1e-6);
        let table = norm.lookup_table();
        assert!((table[255] - 1.0).abs() < 1e-6 && (table[0] + 1.0).abs() < 1e-6);
        assert_eq!(
            table[256 + 51],
            0.0,
            "a constant channel maps to 0, not NaN"
        );
    }
}
