//! The analysis samples: a fixed-seed random subset of a split, so that every run of a data set
//! is measured on the same images.

use deepskip_data::ImageSet;
use rand::seq::index::sample;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The seed of the analysis subset (independent of the training seed, so runs compare).
pub const ANALYSIS_SEED: u64 = 0x5eed_a11a;

/// `n` images of `set` drawn without replacement with `seed` (all of them, in order, when
/// `n >= set.len()`), kept in their original order.
pub fn fixed_sample(set: &ImageSet, n: usize, seed: u64) -> ImageSet {
    if n >= set.len() {
        return set.clone();
    }
    let chosen = sample_indices(set.len(), n, seed);
    let size = set.shape.size();
    let images = chosen
        .iter()
        .flat_map(|&i| set.images[i * size..(i + 1) * size].iter().copied())
        .collect();
    let labels = chosen.iter().map(|&i| set.labels[i]).collect();
    ImageSet {
        images,
        labels,
        shape: set.shape,
        num_classes: set.num_classes,
    }
}

/// `n` of the indices `0..len` drawn without replacement with `seed`, ascending (all of them
/// when `n >= len`).
pub fn sample_indices(len: usize, n: usize, seed: u64) -> Vec<usize> {
    if n >= len {
        return (0..len).collect();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut chosen = sample(&mut rng, len, n).into_vec();
    chosen.sort_unstable();
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use deepskip_data::ImageShape;

    fn set(len: usize) -> ImageSet {
        let shape = ImageShape {
            channels: 1,
            height: 1,
            width: 2,
        };
        let images = (0..len * 2).map(|v| v as u8).collect();
        ImageSet::new(images, (0..len).map(|i| (i % 3) as u16).collect(), shape, 3).unwrap()
    }

    #[test]
    fn same_seed_same_images_and_pixels_follow_labels() {
        let s = set(50);
        let a = fixed_sample(&s, 10, 7);
        assert_eq!(a, fixed_sample(&s, 10, 7));
        assert_ne!(a, fixed_sample(&s, 10, 8));
        assert_eq!(a.len(), 10);
        for (k, &label) in a.labels.iter().enumerate() {
            let i = usize::from(a.images[2 * k]) / 2;
            assert_eq!(label, s.labels[i]);
        }
        assert_eq!(fixed_sample(&s, 80, 7), s);
    }
}
